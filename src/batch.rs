//! The text batcher: coalesces text deltas between flushes so the UI re-renders once per frame
//! (or per interval), not once per token.
//!
//! The batcher holds no text of its own: it tracks a range of the reply's text (which only
//! grows), and a flush is a range of it, so a delta is never copied into a pending buffer.
//!
//! Guarantees, in every mode: a flush is never empty, [`Batcher::drain_all`] (called before the
//! final outcome) returns everything still pending in one piece, and the flushes concatenate to
//! exactly the text pushed.
//!
//! Modes ([`FlushMode`]):
//! - `Frame`: [`Batcher::on_frame`] flushes everything pending; at most one flush per frame,
//!   the final one included: when a flush already happened in the current frame
//!   ([`Batcher::flushed_this_frame`]), the session holds the final flush (and the outcome)
//!   until the next frame. The first content is flushed in the first frame after it arrives
//!   (no artificial delay).
//! - `Interval { ms }`: leading edge, then rate-limited: text is flushed at once when the last
//!   flush is at least `ms` old (so the first text is never delayed), otherwise at
//!   `last flush + ms` ([`Batcher::deadline`]; the session folds it into `poll_deadline`).
//!   `ms = 0` behaves like `Immediate`.
//! - `Immediate`: no waiting, but one flush per input: the deltas of one network read are
//!   coalesced and flushed when the session has processed the read
//!   ([`Batcher::end_of_input`]), so a read carrying twenty deltas is one flush, not twenty.
//! - `Smooth { unit }`: frame-driven steady reveal, see below.
//!
//! ## The smooth reveal
//! Pending text is cut into units: a **word** is a run of non-whitespace followed by its
//! whitespace; a **grapheme** is a char with the combining marks, variation selectors, emoji
//! modifiers and zero-width-joiner sequences that follow it (an approximation of UAX #29 with
//! no dependency). While the stream is open the last unit is held back when it may still grow
//! (a word not yet followed by whitespace, the last grapheme), so only whole units appear.
//!
//! Each frame releases `quota` units. Whenever text arrives the quota is raised to
//! `ceil(backlog / SMOOTH_CATCHUP_FRAMES)` (it never drops while a backlog remains), so a burst
//! is revealed at a steady pace over about [`SMOOTH_CATCHUP_FRAMES`] frames and a reveal that
//! falls behind a fast stream speeds up to catch up. When the backlog is empty the quota resets
//! to 1. The final outcome is never delayed: `drain_all` releases everything left in one flush.

use core::ops::Range;

use crate::time::Millis;

/// How text deltas are coalesced before they reach the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlushMode {
    /// At most one flush per animation frame (`handle_frame`); the first content is flushed in
    /// the first frame after it arrives.
    #[default]
    Frame,
    /// At most one flush every `ms` (driven by `poll_deadline`).
    Interval {
        /// The period.
        ms: u64,
    },
    /// At once: the text of each input (one network read) in one flush.
    Immediate,
    /// Steady reveal by word or grapheme, driven by frames, catching up when behind.
    Smooth {
        /// The unit released.
        unit: SmoothUnit,
    },
}

/// The unit of the smooth reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmoothUnit {
    /// Whole words (with their trailing whitespace).
    Word,
    /// Grapheme-ish units (a char with its combining marks).
    Grapheme,
}

/// Frames over which the smooth reveal drains a backlog (8 frames ≈ 133 ms at 60 Hz).
pub const SMOOTH_CATCHUP_FRAMES: usize = 8;

/// The batcher. It holds no text: it tracks a range of the text it is handed (the reply's
/// text, which only grows): `flushed..end` is pending. A flush is a range of that text.
#[derive(Debug, Clone)]
pub struct Batcher {
    mode: FlushMode,
    /// The text before this offset was flushed.
    flushed: usize,
    /// The text before this offset was pushed (`flushed..end` is pending).
    end: usize,
    /// When the last flush happened (interval mode's rate limit).
    last_flush: Option<Millis>,
    /// Smooth: units released per frame; raised on arrival, reset when the backlog is empty.
    quota: usize,
    /// Smooth: units pending, kept incrementally so a push costs O(its own length), not
    /// O(backlog) (a hidden tab gets no frames while text keeps arriving).
    units: usize,
    /// Frame and smooth modes: a flush happened since the last frame tick, so another one
    /// (the final flush included) must wait for the next tick.
    flushed_this_frame: bool,
}

impl Batcher {
    /// A batcher in `mode`.
    pub fn new(mode: FlushMode) -> Self {
        Batcher::starting_at(mode, 0)
    }

    /// A batcher whose text before `offset` is already flushed (a resumed stream).
    pub fn starting_at(mode: FlushMode, offset: usize) -> Self {
        Batcher {
            mode,
            flushed: offset,
            end: offset,
            last_flush: None,
            quota: 1,
            units: 0,
            flushed_this_frame: false,
        }
    }

    /// The mode.
    pub fn mode(&self) -> FlushMode {
        self.mode
    }

    /// Where the pushed text ends.
    pub fn end(&self) -> usize {
        self.end
    }

    /// Whether text is pending.
    pub fn has_pending(&self) -> bool {
        self.end > self.flushed
    }

    /// The pending part of `text`.
    pub fn pending<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.flushed..self.end).unwrap_or_default()
    }

    /// `text` (everything so far) now ends at `end` (a char boundary past the last push):
    /// the new part arrived at `now`. Returns a flush when the mode flushes at once.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub fn push(&mut self, now: Millis, text: &str, end: usize) -> Option<Range<usize>> {
        let new = text.get(self.end..end).filter(|t| !t.is_empty())?;
        let prev = self.pending(text).chars().next_back();
        self.end = end;
        match self.mode {
            FlushMode::Immediate => None,
            FlushMode::Interval { .. } => self.poll(now),
            FlushMode::Smooth { unit } => {
                self.units += match prev {
                    None => count_units(new, unit),
                    Some(_) => count_starts(new, unit, prev),
                };
                self.quota = self.quota.max(self.units.div_ceil(SMOOTH_CATCHUP_FRAMES));
                None
            }
            FlushMode::Frame => None,
        }
    }

    /// The session processed one input (a read, a timeout, a frame): immediate mode flushes
    /// everything that input produced, in one piece. Other modes: nothing.
    pub fn end_of_input(&mut self, now: Millis) -> Option<Range<usize>> {
        match self.mode {
            FlushMode::Immediate => self.take(now),
            _ => None,
        }
    }

    /// Whether the mode is paced by frames (frame and smooth).
    pub fn frame_paced(&self) -> bool {
        matches!(self.mode, FlushMode::Frame | FlushMode::Smooth { .. })
    }

    /// Frame-paced modes: whether a flush already happened since the last frame tick (so the
    /// next one, the final flush included, waits for the next tick).
    pub fn flushed_this_frame(&self) -> bool {
        self.flushed_this_frame
    }

    /// Interval mode: flush if due at `now`. Other modes: nothing (frames and pushes drive them).
    #[inline]
    pub fn poll(&mut self, now: Millis) -> Option<Range<usize>> {
        match self.mode {
            FlushMode::Interval { .. } => match self.deadline() {
                Some(d) if d <= now => self.take(now),
                _ => None,
            },
            _ => None,
        }
    }

    /// Interval mode: when the pending text is due. `None` when nothing is pending or in other
    /// modes (frames are not timers: the host's hidden-page fallback is its own business).
    pub fn deadline(&self) -> Option<Millis> {
        match self.mode {
            FlushMode::Interval { ms } if self.has_pending() => {
                Some(self.last_flush.map_or(Millis(0), |t| t + ms))
            }
            _ => None,
        }
    }

    /// Whether a frame would release something of `text`.
    pub fn wants_frame(&self, text: &str) -> bool {
        // After a flush, the next tick clears `flushed_this_frame` (so a final flush can go
        // out in it); without a tick the final flush would wait for one anyway.
        if self.flushed_this_frame {
            return true;
        }
        match self.mode {
            FlushMode::Frame => self.has_pending(),
            // O(1): a unit is complete when another starts after it, or (words) when the
            // text already ends in whitespace.
            FlushMode::Smooth { unit } => {
                self.units >= 2
                    || (unit == SmoothUnit::Word
                        && self.units == 1
                        && self.pending(text).ends_with(char::is_whitespace))
            }
            _ => false,
        }
    }

    /// An animation frame at `now`. Frame mode flushes everything pending; smooth mode
    /// releases its quota of whole units of `text`; other modes also flush what is due
    /// (harmless).
    pub fn on_frame(&mut self, now: Millis, text: &str) -> Option<Range<usize>> {
        self.flushed_this_frame = false;
        match self.mode {
            FlushMode::Frame => self.take(now),
            FlushMode::Smooth { unit } => {
                let (len, released) = releasable(self.pending(text), unit, self.quota);
                if len == 0 {
                    return None;
                }
                let out = self.flushed..self.flushed + len;
                self.flushed += len;
                self.units = self.units.saturating_sub(released);
                if !self.has_pending() {
                    self.quota = 1;
                    self.units = 0;
                }
                self.last_flush = Some(now);
                self.flushed_this_frame = true;
                Some(out)
            }
            FlushMode::Interval { .. } => self.poll(now),
            FlushMode::Immediate => self.take(now),
        }
    }

    /// Everything pending, in one flush (before the final outcome).
    pub fn drain_all(&mut self, now: Millis) -> Option<Range<usize>> {
        self.quota = 1;
        self.take(now)
    }

    fn take(&mut self, now: Millis) -> Option<Range<usize>> {
        if !self.has_pending() {
            return None;
        }
        self.last_flush = Some(now);
        self.units = 0;
        self.flushed_this_frame = self.frame_paced();
        let out = self.flushed..self.end;
        self.flushed = self.end;
        Some(out)
    }
}

/// Whether `c` attaches to the previous char in a grapheme-ish unit.
fn is_extender(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F   // combining diacritical marks
        | 0x0483..=0x0489
        | 0x0591..=0x05BD
        | 0x0610..=0x061A
        | 0x064B..=0x065F
        | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E
        | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF
        | 0x200C..=0x200D // ZWNJ, ZWJ
        | 0x20D0..=0x20FF
        | 0xFE00..=0xFE0F // variation selectors
        | 0xFE20..=0xFE2F
        | 0x1F3FB..=0x1F3FF // emoji skin tones
        | 0xE0020..=0xE007F // tag characters
        | 0xE0100..=0xE01EF)
}

/// Byte offsets where grapheme-ish units start (after the first one).
/// `prev`: the char before `s` (when `s` continues a text), else `None`.
fn grapheme_starts(s: &str, prev: Option<char>) -> impl Iterator<Item = usize> + '_ {
    let mut prev = prev;
    s.char_indices().filter_map(move |(i, c)| {
        let starts = match prev {
            None => false,
            // A char after ZWJ joins the sequence (emoji ZWJ sequences).
            Some('\u{200D}') => false,
            Some(_) => !is_extender(c),
        };
        prev = Some(c);
        starts.then_some(i)
    })
}

/// Byte offsets where words start (whitespace followed by non-whitespace).
/// `prev`: the char before `s` (when `s` continues a text), else `None`.
fn word_starts(s: &str, prev: Option<char>) -> impl Iterator<Item = usize> + '_ {
    let mut prev_ws = prev.is_some_and(char::is_whitespace);
    s.char_indices().filter_map(move |(i, c)| {
        let ws = c.is_whitespace();
        let starts = prev_ws && !ws;
        prev_ws = ws;
        starts.then_some(i)
    })
}

/// Units in `s` (complete or not).
fn count_units(s: &str, unit: SmoothUnit) -> usize {
    if s.is_empty() {
        return 0;
    }
    1 + count_starts(s, unit, None)
}

/// Unit starts in `s`, which follows the char `prev` (a start at index 0 counts when `prev`
/// is set and the unit boundary falls there).
fn count_starts(s: &str, unit: SmoothUnit, prev: Option<char>) -> usize {
    match unit {
        SmoothUnit::Word => word_starts(s, prev).count(),
        SmoothUnit::Grapheme => grapheme_starts(s, prev).count(),
    }
}

/// The byte length of the first `n` complete units of `s` (0 if none is complete) and how many
/// units that is. A unit is complete when another unit starts after it, or (words) when it
/// already ends in whitespace. Costs O(the released bytes), not O(`s`), except for the last unit.
fn releasable(s: &str, unit: SmoothUnit, n: usize) -> (usize, usize) {
    if n == 0 || s.is_empty() {
        return (0, 0);
    }
    let mut starts: Box<dyn Iterator<Item = usize>> = match unit {
        SmoothUnit::Word => Box::new(word_starts(s, None)),
        SmoothUnit::Grapheme => Box::new(grapheme_starts(s, None)),
    };
    let mut end = 0;
    let mut released = 0;
    for _ in 0..n {
        match starts.next() {
            Some(i) => {
                end = i;
                released += 1;
            }
            None => {
                // The last unit: a word that already ends in whitespace is complete.
                if unit == SmoothUnit::Word && s.ends_with(char::is_whitespace) {
                    end = s.len();
                    released += 1;
                }
                break;
            }
        }
    }
    (end, released)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batcher with the text it tracks, speaking in strings.
    struct B {
        b: Batcher,
        text: String,
    }

    impl B {
        fn new(mode: FlushMode) -> Self {
            B {
                b: Batcher::new(mode),
                text: String::new(),
            }
        }
        fn out(&mut self, r: Option<Range<usize>>) -> Option<String> {
            r.map(|r| self.text[r].to_owned())
        }
        fn push(&mut self, now: Millis, s: &str) -> Option<String> {
            self.text.push_str(s);
            let r = self.b.push(now, &self.text, self.text.len());
            self.out(r)
        }
        fn end_of_input(&mut self, now: Millis) -> Option<String> {
            let r = self.b.end_of_input(now);
            self.out(r)
        }
        fn poll(&mut self, now: Millis) -> Option<String> {
            let r = self.b.poll(now);
            self.out(r)
        }
        fn on_frame(&mut self, now: Millis) -> Option<String> {
            let r = self.b.on_frame(now, &self.text);
            self.out(r)
        }
        fn drain_all(&mut self, now: Millis) -> Option<String> {
            let r = self.b.drain_all(now);
            self.out(r)
        }
        fn wants_frame(&self) -> bool {
            self.b.wants_frame(&self.text)
        }
        fn deadline(&self) -> Option<Millis> {
            self.b.deadline()
        }
        fn flushed_this_frame(&self) -> bool {
            self.b.flushed_this_frame()
        }
        fn pending(&self) -> &str {
            self.b.pending(&self.text)
        }
    }

    #[test]
    fn frame_mode_one_flush_per_frame() {
        let mut b = B::new(FlushMode::Frame);
        assert!(!b.wants_frame());
        assert_eq!(b.push(Millis(1), "Hel"), None);
        assert_eq!(b.push(Millis(2), "lo"), None);
        assert!(b.wants_frame());
        assert_eq!(b.on_frame(Millis(16)).as_deref(), Some("Hello"));
        assert_eq!(b.on_frame(Millis(32)), None);
        assert!(!b.wants_frame());
    }

    #[test]
    fn interval_leading_edge_then_rate_limited() {
        let mut b = B::new(FlushMode::Interval { ms: 100 });
        assert_eq!(b.push(Millis(10), "a").as_deref(), Some("a"));
        assert_eq!(b.push(Millis(20), "b"), None);
        assert_eq!(b.push(Millis(50), "c"), None);
        assert_eq!(b.deadline(), Some(Millis(110)));
        assert_eq!(b.poll(Millis(109)), None);
        assert_eq!(b.poll(Millis(110)).as_deref(), Some("bc"));
        assert_eq!(b.deadline(), None);
        // Quiet for a while: the next text goes out at once.
        assert_eq!(b.push(Millis(500), "d").as_deref(), Some("d"));
    }

    #[test]
    fn immediate_one_flush_per_input() {
        let mut b = B::new(FlushMode::Immediate);
        assert_eq!(b.push(Millis(0), "x"), None);
        assert_eq!(b.push(Millis(0), "y"), None);
        assert_eq!(b.end_of_input(Millis(0)).as_deref(), Some("xy"));
        assert_eq!(b.end_of_input(Millis(0)), None);
        assert_eq!(b.push(Millis(1), ""), None);
        assert_eq!(b.push(Millis(1), "z"), None);
        assert_eq!(b.drain_all(Millis(1)).as_deref(), Some("z"));
        assert!(
            !b.flushed_this_frame() && !b.wants_frame(),
            "immediate is not frame-paced"
        );
    }

    #[test]
    fn frame_mode_knows_a_flush_happened_in_this_frame() {
        let mut b = B::new(FlushMode::Frame);
        b.push(Millis(1), "a");
        assert_eq!(b.on_frame(Millis(16)).as_deref(), Some("a"));
        assert!(b.flushed_this_frame());
        assert!(b.wants_frame(), "a tick is wanted to clear the flag");
        b.push(Millis(17), "b");
        // The next tick clears the flag and flushes.
        assert_eq!(b.on_frame(Millis(32)).as_deref(), Some("b"));
        assert!(b.flushed_this_frame());
        assert_eq!(b.on_frame(Millis(48)), None);
        assert!(!b.flushed_this_frame() && !b.wants_frame());
        // A final drain counts as this frame's flush.
        b.push(Millis(50), "c");
        assert_eq!(b.drain_all(Millis(50)).as_deref(), Some("c"));
        assert!(b.flushed_this_frame());
    }

    #[test]
    fn smooth_words_whole_and_steady() {
        let mut b = B::new(FlushMode::Smooth {
            unit: SmoothUnit::Word,
        });
        let text = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen end";
        b.push(Millis(0), text);
        let mut out = Vec::new();
        let mut t = 0;
        while b.wants_frame() {
            t += 16;
            if let Some(s) = b.on_frame(Millis(t)) {
                out.push(s);
            }
        }
        // 17 words: quota ceil(17/8) = 3; the last word "end" is held back (may still grow).
        assert!(out.iter().all(|s| s.ends_with(' ')));
        assert!(out
            .iter()
            .all(|s| s.split_whitespace().count() == 3 || s == out.last().unwrap()));
        assert_eq!(out.len(), 6);
        assert_eq!(b.pending(), "end");
        assert_eq!(b.drain_all(Millis(t)).as_deref(), Some("end"));
        let joined: String = out.concat() + "end";
        assert_eq!(joined, text);
    }

    #[test]
    fn smooth_catches_up() {
        let mut b = B::new(FlushMode::Smooth {
            unit: SmoothUnit::Word,
        });
        b.push(Millis(0), "a b ");
        assert_eq!(b.on_frame(Millis(16)).as_deref(), Some("a "));
        // A large burst arrives: the quota rises to drain it in ~8 frames.
        let burst = "w ".repeat(80);
        b.push(Millis(20), &burst);
        let first = b.on_frame(Millis(32)).unwrap_or_default();
        assert!(first.split_whitespace().count() >= 10, "{first:?}");
    }

    #[test]
    fn smooth_graphemes_keep_combining_marks() {
        let mut b = B::new(FlushMode::Smooth {
            unit: SmoothUnit::Grapheme,
        });
        // e + combining acute, family emoji (ZWJ sequence), thumbs up + skin tone, then "x".
        let s = "e\u{301}\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{1F44D}\u{1F3FD}x";
        b.push(Millis(0), s);
        let mut out = Vec::new();
        let mut t = 0;
        while b.wants_frame() {
            t += 16;
            if let Some(f) = b.on_frame(Millis(t)) {
                out.push(f);
            }
        }
        assert_eq!(
            out,
            vec![
                "e\u{301}".to_string(),
                "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}".to_string(),
                "\u{1F44D}\u{1F3FD}".to_string()
            ]
        );
        assert_eq!(b.drain_all(Millis(t)).as_deref(), Some("x"));
    }

    #[test]
    fn smooth_push_is_linear_without_frames() {
        // A hidden tab: no frames while 20 000 deltas arrive. Incremental counting keeps each
        // push proportional to the delta; a rescan of the backlog would take seconds here.
        let mut b = B::new(FlushMode::Smooth {
            unit: SmoothUnit::Grapheme,
        });
        for i in 0..20_000u64 {
            b.push(Millis(i), "abcdefghij ");
            assert!(b.wants_frame());
        }
        assert_eq!(b.b.units, 220_000);
        let first = b.on_frame(Millis(20_000)).unwrap_or_default();
        assert_eq!(first.chars().count(), 220_000 / SMOOTH_CATCHUP_FRAMES);
        assert_eq!(b.b.units, 220_000 - 220_000 / SMOOTH_CATCHUP_FRAMES);
    }

    #[test]
    fn incremental_units_match_a_full_count() {
        let pieces = [
            "a",
            " ",
            "b c",
            "e\u{301}",
            "\u{200D}",
            "👍",
            "\u{1F3FD}",
            "  x",
            "\n",
        ];
        for unit in [SmoothUnit::Word, SmoothUnit::Grapheme] {
            let mut b = B::new(FlushMode::Smooth { unit });
            let mut seed = 0x2545_F491_4F6C_DD1Du64;
            for t in 0..3000u64 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                if seed % 3 == 0 {
                    b.on_frame(Millis(t));
                } else {
                    b.push(Millis(t), pieces[(seed >> 8) as usize % pieces.len()]);
                }
                assert_eq!(
                    b.b.units,
                    count_units(b.pending(), unit),
                    "{:?}",
                    b.pending()
                );
            }
        }
    }

    #[test]
    fn units_counting() {
        assert_eq!(count_units("", SmoothUnit::Word), 0);
        assert_eq!(count_units("  a  b", SmoothUnit::Word), 3);
        assert_eq!(releasable("  a  b", SmoothUnit::Word, 1), (2, 1));
        assert_eq!(releasable("a b ", SmoothUnit::Word, 5), (4, 2));
        assert_eq!(releasable("ab", SmoothUnit::Word, 5), (0, 0));
        assert_eq!(releasable("ab", SmoothUnit::Grapheme, 5), (1, 1));
        // Incremental counting agrees with counting the whole text.
        for (a, b) in [
            ("a", " b"),
            ("a ", "b"),
            ("a", "b"),
            ("e", "\u{301}x"),
            (" ", " "),
        ] {
            for unit in [SmoothUnit::Word, SmoothUnit::Grapheme] {
                let whole = count_units(&format!("{a}{b}"), unit);
                let inc = count_units(a, unit) + count_starts(b, unit, a.chars().next_back());
                assert_eq!(whole, inc, "{a:?} {b:?} {unit:?}");
            }
        }
    }
}
