//! The four deadlines, as timestamps.
//!
//! | timer | armed | deadline |
//! |---|---|---|
//! | first byte | until the first body byte | `start + first_byte` |
//! | idle | after the first body byte | `last byte + idle` |
//! | content | always | `(last content delta, or start) + content` |
//! | total | always | `start + total` |
//!
//! A timeout of 0 disarms that timer. Response headers do not stop the first-byte timer;
//! keep-alives (bytes) reset idle but not content.
//!
//! Deadlines are stored as timestamps and checked against the `now` of every input
//! ([`Watchdog::expired`]), never against "a callback ran": a timer callback that runs late
//! (hidden tabs throttle timers to 1 s or more) still reports the timer that expired first.
//! A deadline exactly at `now` counts as expired. Each individual deadline only ever moves
//! later (given a non-decreasing `now`); see [`Deadlines`].

use crate::error::StallPhase;
use crate::text::{cat, decimal};
use crate::time::Millis;

/// The four timeouts in milliseconds (0 = off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timeouts {
    /// Request start until the first body byte.
    pub first_byte_ms: u64,
    /// The longest silence between body bytes after the first one.
    pub idle_ms: u64,
    /// The longest time without a content delta, counted from the request.
    pub content_ms: u64,
    /// The whole request.
    pub total_ms: u64,
}

/// The currently armed deadlines (`None` = disarmed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deadlines {
    /// First-byte deadline, until the first body byte.
    pub first_byte: Option<Millis>,
    /// Idle deadline, after the first body byte.
    pub idle: Option<Millis>,
    /// Content deadline.
    pub content: Option<Millis>,
    /// Total deadline.
    pub total: Option<Millis>,
}

impl Deadlines {
    /// The deadlines in tie-break order: when two expire at the same instant the earlier entry
    /// wins (first byte, idle, content, total: the more specific diagnosis first).
    pub fn in_order(&self) -> [(StallPhase, Option<Millis>); 4] {
        [
            (StallPhase::FirstByte, self.first_byte),
            (StallPhase::Idle, self.idle),
            (StallPhase::Content, self.content),
            (StallPhase::Total, self.total),
        ]
    }

    /// The earliest armed deadline.
    pub fn earliest(&self) -> Option<Millis> {
        let mut earliest = None;
        for &(_, d) in &self.in_order() {
            earliest = Millis::earliest(earliest, d);
        }
        earliest
    }
}

/// The four timers of one request.
#[derive(Debug, Clone)]
pub struct Watchdog {
    timeouts: Timeouts,
    start: Millis,
    /// Set by the first body byte: disarms first-byte, arms idle.
    last_byte: Option<Millis>,
    /// The last content delta; the content timer counts from `start` until there is one.
    last_content: Option<Millis>,
}

impl Watchdog {
    /// Timers for a request sent at `start`.
    pub fn new(timeouts: Timeouts, start: Millis) -> Self {
        Watchdog {
            timeouts,
            start,
            last_byte: None,
            last_content: None,
        }
    }

    /// The configured timeouts.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Body bytes arrived at `now` (an empty read is not a byte: do not call this for it).
    pub fn on_bytes(&mut self, now: Millis) {
        self.last_byte = Some(self.last_byte.map_or(now, |t| t.max(now)));
    }

    /// A content delta arrived at `now`.
    pub fn on_content(&mut self, now: Millis) {
        self.last_content = Some(self.last_content.map_or(now, |t| t.max(now)));
    }

    /// The armed deadlines.
    pub fn deadlines(&self) -> Deadlines {
        let t = self.timeouts;
        let arm = |base: Millis, ms: u64| (ms > 0).then(|| base + ms);
        Deadlines {
            first_byte: match self.last_byte {
                None => arm(self.start, t.first_byte_ms),
                Some(_) => None,
            },
            idle: self.last_byte.and_then(|b| arm(b, t.idle_ms)),
            content: arm(self.last_content.unwrap_or(self.start), t.content_ms),
            total: arm(self.start, t.total_ms),
        }
    }

    /// The earliest armed deadline (what the host's one timer should be armed for).
    pub fn deadline(&self) -> Option<Millis> {
        self.deadlines().earliest()
    }

    /// The timer that expired first, if any deadline is at or before `now`, with its deadline.
    /// With several expired (a late callback), the one with the earliest deadline wins; ties
    /// go by [`Deadlines::in_order`].
    pub fn expired(&self, now: Millis) -> Option<(StallPhase, Millis)> {
        let mut best: Option<(StallPhase, Millis)> = None;
        for &(phase, deadline) in &self.deadlines().in_order() {
            if let Some(d) = deadline {
                if d <= now && best.is_none_or(|(_, b)| d < b) {
                    best = Some((phase, d));
                }
            }
        }
        best
    }

    /// The timeout of `phase` in milliseconds.
    pub fn timeout_of(&self, phase: StallPhase) -> u64 {
        match phase {
            StallPhase::FirstByte => self.timeouts.first_byte_ms,
            StallPhase::Idle => self.timeouts.idle_ms,
            StallPhase::Content => self.timeouts.content_ms,
            StallPhase::Total => self.timeouts.total_ms,
        }
    }
}

/// The human sentence for a stall (not stable; match on the phase).
pub fn stall_message(phase: StallPhase, timeout_ms: u64) -> String {
    let ms = &decimal(timeout_ms);
    match phase {
        StallPhase::FirstByte => cat(&[
            "stalled: no body byte ",
            ms,
            " ms after the request (first byte timeout; response headers do not count)",
        ]),
        StallPhase::Idle => cat(&[
            "stalled: no body byte ",
            ms,
            " ms after the last one (idle timeout)",
        ]),
        StallPhase::Content => cat(&[
            "stalled: no content delta for ",
            ms,
            " ms (content timeout; keep-alives and pings do not count)",
        ]),
        StallPhase::Total => cat(&[
            "stalled: the request ran longer than the ",
            ms,
            " ms total timeout",
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wd() -> Watchdog {
        Watchdog::new(
            Timeouts {
                first_byte_ms: 1000,
                idle_ms: 500,
                content_ms: 1500,
                total_ms: 5000,
            },
            Millis(100),
        )
    }

    #[test]
    fn first_byte_then_idle() {
        let mut w = wd();
        assert_eq!(w.deadline(), Some(Millis(1100)));
        assert_eq!(w.expired(Millis(1099)), None);
        assert_eq!(
            w.expired(Millis(1100)),
            Some((StallPhase::FirstByte, Millis(1100)))
        );
        w.on_bytes(Millis(300));
        let d = w.deadlines();
        assert_eq!(d.first_byte, None);
        assert_eq!(d.idle, Some(Millis(800)));
        assert_eq!(w.expired(Millis(799)), None);
        assert_eq!(
            w.expired(Millis(800)),
            Some((StallPhase::Idle, Millis(800)))
        );
    }

    #[test]
    fn content_counts_from_start_and_ignores_bytes() {
        let mut w = wd();
        for t in (200..1600).step_by(200) {
            w.on_bytes(Millis(t));
        }
        assert_eq!(
            w.expired(Millis(1600)),
            Some((StallPhase::Content, Millis(1600)))
        );
        w.on_content(Millis(1500));
        assert_eq!(w.deadlines().content, Some(Millis(3000)));
    }

    #[test]
    fn late_check_reports_earliest() {
        let mut w = wd();
        w.on_bytes(Millis(200));
        // idle at 700, content at 1600, total at 5100: checked very late.
        assert_eq!(
            w.expired(Millis(9000)),
            Some((StallPhase::Idle, Millis(700)))
        );
    }

    #[test]
    fn zero_disarms() {
        let w = Watchdog::new(Timeouts::default(), Millis(0));
        assert_eq!(w.deadline(), None);
        assert_eq!(w.expired(Millis(u64::MAX)), None);
    }

    #[test]
    fn saturates_near_max() {
        let w = Watchdog::new(
            Timeouts {
                total_ms: u64::MAX,
                ..Timeouts::default()
            },
            Millis(u64::MAX - 1),
        );
        assert_eq!(w.deadline(), Some(Millis(u64::MAX)));
    }

    #[test]
    fn ties_prefer_specific_phase() {
        let w = Watchdog::new(
            Timeouts {
                first_byte_ms: 1000,
                idle_ms: 0,
                content_ms: 1000,
                total_ms: 1000,
            },
            Millis(0),
        );
        assert_eq!(
            w.expired(Millis(1000)),
            Some((StallPhase::FirstByte, Millis(1000)))
        );
    }
}
