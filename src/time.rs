//! Host-supplied time. The core never reads a clock: every `handle_*` call carries `now`.

use core::ops::{Add, Sub};

/// A point in time in whole milliseconds, on the host's monotonic clock
/// (`performance.now()` in the browser, tokio's `Instant` natively, a counter in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Millis(pub u64);

impl Millis {
    /// Milliseconds from `earlier` to `self`, zero if `earlier` is later (a host clock that
    /// stepped backwards must not underflow).
    pub fn since(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The earlier of two optional deadlines (`None`: not armed).
    pub(crate) fn earliest(a: Option<Millis>, b: Option<Millis>) -> Option<Millis> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl Add<u64> for Millis {
    type Output = Millis;
    fn add(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }
}

impl Sub<Millis> for Millis {
    type Output = u64;
    fn sub(self, rhs: Millis) -> u64 {
        self.since(rhs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_of_optional_deadlines() {
        let (a, b) = (Some(Millis(5)), Some(Millis(9)));
        assert_eq!(Millis::earliest(a, b), a);
        assert_eq!(Millis::earliest(b, a), a);
        assert_eq!(Millis::earliest(None, b), b);
        assert_eq!(Millis::earliest(b, None), b);
        assert_eq!(Millis::earliest(None, None), None);
    }
}
