//! Stats tracking for one request (see [`Stats`] for the fields).
//!
//! Gaps are measured between inputs only: `max_byte_gap_ms` between two non-empty reads (the
//! first counted from the request start), `max_content_gap_ms` between two content deltas (the
//! first counted from the request start). The silence that ends in a stall is not a gap between
//! two inputs; the stall's `elapsed_ms` and phase describe it.
//!
//! ## `buffered`
//! Set when the body is over (EOF, or the provider's terminator) and all of these hold:
//! the first byte came at least [`BUFFERED_MIN_WAIT_MS`] after the request, the whole body
//! (first to last read) arrived within [`BUFFERED_MAX_SPAN_MS`], and it carried at least
//! [`BUFFERED_MIN_DELTAS`] content deltas. That is the signature of a proxy that buffers the
//! response (nginx `proxy_buffering`, a compressing middlebox) rather than a model that is slow
//! to start: a real stream spreads its deltas over time. The hint for the user ("disable proxy
//! buffering / compression for text/event-stream") belongs to the host's display.

use crate::outcome::Stats;
use crate::time::Millis;

/// `buffered` needs a first byte at least this late (ms after the request).
pub const BUFFERED_MIN_WAIT_MS: u64 = 500;
/// `buffered` needs the whole body within this span (ms from the first to the last read).
pub const BUFFERED_MAX_SPAN_MS: u64 = 50;
/// `buffered` needs at least this many content deltas (a short answer may legitimately be fast).
pub const BUFFERED_MIN_DELTAS: u64 = 5;

/// Counters and timestamps of one request.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// The first attempt's start (times in the stats are relative to it).
    origin: Millis,
    /// This attempt's start (gaps and `buffered` are per attempt).
    start: Millis,
    headers_at: Option<Millis>,
    first_byte_at: Option<Millis>,
    /// This attempt's first byte (for `buffered`).
    attempt_first_byte_at: Option<Millis>,
    /// `deltas` when this attempt started (for `buffered`).
    deltas_before: u64,
    /// Events and keep-alives of earlier attempts (the decoder counts the current one).
    events_before: u64,
    keep_alives_before: u64,
    /// An earlier attempt looked buffered.
    buffered_before: bool,
    last_byte_at: Option<Millis>,
    first_content_at: Option<Millis>,
    last_content_at: Option<Millis>,
    bytes: u64,
    deltas: u64,
    flushes: u64,
    max_byte_gap_ms: u64,
    max_content_gap_ms: u64,
}

impl Metrics {
    /// Metrics for a request sent at `start`.
    pub fn new(start: Millis) -> Self {
        Metrics {
            origin: start,
            start,
            ..Metrics::default()
        }
    }

    /// The metrics of the next attempt of the same stream, started at `now` (see the module
    /// docs). `events`, `keep_alives` and `body_over` are this attempt's, as for
    /// [`Metrics::stats`].
    pub fn resume(&self, now: Millis, events: u64, keep_alives: u64, body_over: bool) -> Self {
        Metrics {
            start: now,
            attempt_first_byte_at: None,
            last_byte_at: None,
            last_content_at: None,
            deltas_before: self.deltas,
            events_before: self.events_before.saturating_add(events),
            keep_alives_before: self.keep_alives_before.saturating_add(keep_alives),
            buffered_before: self.buffered_before || (body_over && self.looks_buffered()),
            ..self.clone()
        }
    }

    /// The response head arrived.
    pub fn on_head(&mut self, now: Millis) {
        self.headers_at.get_or_insert(now);
    }

    /// A non-empty read of `n` bytes.
    pub fn on_bytes(&mut self, now: Millis, n: usize) {
        if n == 0 {
            return;
        }
        let prev = self.last_byte_at.unwrap_or(self.start);
        self.max_byte_gap_ms = self.max_byte_gap_ms.max(now.since(prev));
        self.first_byte_at.get_or_insert(now);
        self.attempt_first_byte_at.get_or_insert(now);
        self.last_byte_at = Some(now.max(prev));
        self.bytes = self.bytes.saturating_add(n as u64);
    }

    /// A content delta (text, thinking, tool-call fragment).
    pub fn on_content(&mut self, now: Millis) {
        let prev = self.last_content_at.unwrap_or(self.start);
        self.max_content_gap_ms = self.max_content_gap_ms.max(now.since(prev));
        self.first_content_at.get_or_insert(now);
        self.last_content_at = Some(now.max(prev));
        self.deltas += 1;
    }

    /// A text flush was delivered.
    pub fn on_flush(&mut self) {
        self.flushes += 1;
    }

    /// Content deltas so far.
    pub fn deltas(&self) -> u64 {
        self.deltas
    }

    /// Body bytes so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Whether the body so far (of this attempt) looks like one buffered burst (see the module
    /// docs). Only meaningful once the body is over.
    pub fn looks_buffered(&self) -> bool {
        match (self.attempt_first_byte_at, self.last_byte_at) {
            (Some(first), Some(last)) => {
                first.since(self.start) >= BUFFERED_MIN_WAIT_MS
                    && last.since(first) <= BUFFERED_MAX_SPAN_MS
                    && self.deltas.saturating_sub(self.deltas_before) >= BUFFERED_MIN_DELTAS
            }
            _ => false,
        }
    }

    /// The stats at `now`. `events` and `keep_alives` come from the decoder; `body_over` says
    /// whether the body ended (EOF or the terminator), which `buffered` needs.
    pub fn stats(&self, now: Millis, events: u64, keep_alives: u64, body_over: bool) -> Stats {
        let rel = |t: Option<Millis>| t.map(|t| t.since(self.origin));
        Stats {
            headers_ms: rel(self.headers_at),
            ttfb_ms: rel(self.first_byte_at),
            ttft_ms: rel(self.first_content_at),
            duration_ms: now.since(self.origin),
            bytes: self.bytes,
            events: self.events_before.saturating_add(events),
            keep_alives: self.keep_alives_before.saturating_add(keep_alives),
            deltas: self.deltas,
            flushes: self.flushes,
            max_byte_gap_ms: self.max_byte_gap_ms,
            max_content_gap_ms: self.max_content_gap_ms,
            buffered: self.buffered_before || (body_over && self.looks_buffered()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_gaps() {
        let mut m = Metrics::new(Millis(1000));
        m.on_head(Millis(1100));
        m.on_head(Millis(1200));
        m.on_bytes(Millis(1150), 0);
        m.on_bytes(Millis(1300), 10);
        m.on_bytes(Millis(1350), 5);
        m.on_bytes(Millis(1750), 5);
        m.on_content(Millis(1350));
        m.on_content(Millis(1400));
        m.on_flush();
        let s = m.stats(Millis(2000), 7, 2, true);
        assert_eq!(s.headers_ms, Some(100));
        assert_eq!(s.ttfb_ms, Some(300));
        assert_eq!(s.ttft_ms, Some(350));
        assert_eq!(s.duration_ms, 1000);
        assert_eq!(s.bytes, 20);
        assert_eq!(s.max_byte_gap_ms, 400);
        assert_eq!(s.max_content_gap_ms, 350);
        assert_eq!((s.events, s.keep_alives, s.deltas, s.flushes), (7, 2, 2, 1));
        assert!(!s.buffered);
    }

    #[test]
    fn resume_carries_counters_and_keeps_times_from_the_first_attempt() {
        let mut m = Metrics::new(Millis(1000));
        m.on_head(Millis(1010));
        m.on_bytes(Millis(1020), 10);
        m.on_content(Millis(1020));
        m.on_flush();
        let mut r = m.resume(Millis(2000), 3, 1, false);
        r.on_head(Millis(2010));
        r.on_bytes(Millis(2100), 5);
        r.on_content(Millis(2100));
        let s = r.stats(Millis(2200), 2, 0, true);
        assert_eq!(
            (s.headers_ms, s.ttfb_ms, s.ttft_ms),
            (Some(10), Some(20), Some(20))
        );
        assert_eq!(s.duration_ms, 1200);
        assert_eq!((s.bytes, s.events, s.keep_alives), (15, 5, 1));
        assert_eq!((s.deltas, s.flushes), (2, 1));
        // The first read of the new attempt counts from its own request, not the last byte
        // of the previous one.
        assert_eq!(s.max_byte_gap_ms, 100);
        assert!(!s.buffered);
    }

    #[test]
    fn buffered_burst() {
        let mut m = Metrics::new(Millis(0));
        m.on_bytes(Millis(800), 4000);
        m.on_bytes(Millis(801), 4000);
        for _ in 0..50 {
            m.on_content(Millis(801));
        }
        assert!(m.stats(Millis(801), 52, 0, true).buffered);
        // Not while the body may still be coming.
        assert!(!m.stats(Millis(801), 52, 0, false).buffered);
        // A fast start is not buffering.
        let mut fast = Metrics::new(Millis(0));
        fast.on_bytes(Millis(100), 4000);
        for _ in 0..50 {
            fast.on_content(Millis(100));
        }
        assert!(!fast.looks_buffered());
        // A short answer is not buffering either.
        let mut short = Metrics::new(Millis(0));
        short.on_bytes(Millis(900), 100);
        short.on_content(Millis(900));
        assert!(!short.looks_buffered());
    }
}
