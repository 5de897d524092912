//! [`Fifo`]: a first-in first-out queue made of two `Vec`s. The queues of the core (decoded
//! events, framed items, outputs) only push at the back and pop at the front; two vectors do
//! that in amortised O(1) with the `Vec` code the wasm has anyway, where each `VecDeque<T>`
//! brings its own ring-buffer code (about 0.5 KB per element type).

/// A FIFO queue.
#[derive(Debug, Clone)]
pub(crate) struct Fifo<T> {
    /// The oldest items, newest first (popped from the end).
    front: Vec<T>,
    /// The newest items, oldest first (pushed at the end).
    back: Vec<T>,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo {
            front: Vec::new(),
            back: Vec::new(),
        }
    }
}

impl<T> Fifo<T> {
    /// Adds an item at the back.
    pub(crate) fn push_back(&mut self, item: T) {
        self.back.push(item);
    }

    /// Takes the item at the front.
    #[inline(always)]
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        if self.front.is_empty() {
            if self.back.is_empty() {
                // The usual answer (every queue is drained until empty): no call at all.
                return None;
            }
            self.refill();
        }
        self.front.pop()
    }

    /// Moves the back items to the front, oldest last.
    fn refill(&mut self) {
        self.back.reverse();
        core::mem::swap(&mut self.front, &mut self.back);
    }

    /// Whether the queue is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.front.is_empty() && self.back.is_empty()
    }

    /// Every item, in no particular order.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.front.iter_mut().chain(self.back.iter_mut())
    }

    /// Removes every item.
    pub(crate) fn clear(&mut self) {
        self.front.clear();
        self.back.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn behaves_like_a_vecdeque() {
        let mut f = Fifo::default();
        let mut d = VecDeque::new();
        let mut seed = 0x9E37_79B9u32;
        for i in 0..5000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            if seed % 3 == 0 {
                assert_eq!(f.pop_front(), d.pop_front());
            } else {
                f.push_back(i);
                d.push_back(i);
            }
            assert_eq!(f.is_empty(), d.is_empty());
        }
        while let Some(x) = d.pop_front() {
            assert_eq!(f.pop_front(), Some(x));
        }
        assert_eq!(f.pop_front(), None);
    }
}
