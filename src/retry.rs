//! The safe retry policy. The [`crate::driver::Driver`] applies it; hosts only connect when
//! the driver says so.
//!
//! `RetryPolicy` (off by default: `max_attempts = 1`) with
//! `decide(&self, attempt: u32, outcome: &StreamResult, random: f64) -> Option<u64>`: `attempt` is the
//! 1-based number of the attempt that just ended, `random` a value in [0, 1) for jitter;
//! returns the delay in ms before the next attempt, or `None` (never after content).
//!
//! ## When [`RetryPolicy::decide`] retries
//! Only when **nothing was delivered**: no content delta, no text, no thinking, no tool call.
//! A POST to an LLM is not idempotent: a retry after the first token pays for a second
//! generation and shows the user a different answer. Then only for:
//! - `network_error` with no body byte received (connection refused; a browser cannot tell a
//!   refusal from other failures, so any network error before the first byte qualifies);
//! - `http_error` 408, 409, 429, 5xx, 529;
//! - `provider_error` marked retryable (overloaded, rate limited) that came before any content.
//!
//! Never for `stalled` (even a first-byte stall: the server may still be generating and
//! billing the first request), `aborted`, `truncated`, `protocol_error` or `complete`.
//!
//! The delay: the server's `Retry-After` (`error.retry_after_ms`) when given, except that one
//! longer than `max_retry_after_ms` ends retrying (`None`); otherwise exponential backoff
//! `min(max_delay, base * 2^(attempt-1))` scaled by jitter `0.5 + random / 2` (equal jitter:
//! between half and all of the backoff).
//!
//! ## Resume for raw SSE GET streams
//! [`RetryPolicy::resume_delay`] (with `resume = true`) is for `sse` GET streams only, where a
//! reconnect is idempotent: after `truncated`, `network_error` or an idle/content stall it
//! returns the delay (the stream's `retry:` value when it sent one, else the backoff) and the
//! host reconnects with `Last-Event-ID: session.resume_id()`. Reconnects count against
//! `max_attempts` too.
//!
//! The driver calls it through [`crate::Session::resume_delay`], which also requires protocol
//! `sse` and an event ID (or nothing delivered yet: a server without an ID to resume from
//! starts over, which would repeat the text), then continues with [`crate::Session::resume`]:
//! the same reply, cumulative stats, the ID and `retry:` carried over, and asks the host to
//! connect with `Last-Event-ID`. The driver also requires a GET (JS
//! `retry: { resume: true }`, `probe --resume`): a POST is not idempotent.

use crate::error::StallPhase;
use crate::head::is_retryable_status;
use crate::outcome::{Outcome, StreamResult};

/// When and how to retry. Off by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first; 1 = off.
    pub max_attempts: u32,
    /// The first backoff.
    pub base_delay_ms: u64,
    /// The largest backoff.
    pub max_delay_ms: u64,
    /// The largest `Retry-After` honoured; a longer one ends retrying.
    pub max_retry_after_ms: u64,
    /// Raw `sse` GET streams: reconnect with `Last-Event-ID` (see [`RetryPolicy::resume_delay`]).
    pub resume: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 1,
            base_delay_ms: 500,
            max_delay_ms: 8_000,
            max_retry_after_ms: 30_000,
            resume: false,
        }
    }
}

/// Whether nothing of the answer reached the caller.
pub fn nothing_delivered(outcome: &StreamResult) -> bool {
    outcome.stats.deltas == 0
        && outcome.text.is_empty()
        && outcome.thinking.is_empty()
        && outcome.tool_calls.is_empty()
}

impl RetryPolicy {
    /// The jittered exponential backoff after attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32, random: f64) -> u64 {
        let exp = attempt.saturating_sub(1).min(63);
        let raw = self
            .base_delay_ms
            .saturating_mul(1u64 << exp)
            .min(self.max_delay_ms);
        let r = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // `as` saturates; the factor is in [0.5, 1].
        (raw as f64 * (0.5 + r / 2.0)).round() as u64
    }

    /// The delay before the next attempt, or `None`.
    pub fn decide(&self, attempt: u32, outcome: &StreamResult, random: f64) -> Option<u64> {
        if attempt.max(1) >= self.max_attempts || !nothing_delivered(outcome) {
            return None;
        }
        let error = outcome.error.as_ref()?;
        let eligible = match outcome.outcome {
            Outcome::NetworkError => outcome.stats.bytes == 0,
            Outcome::HttpError => error.status.is_some_and(is_retryable_status),
            Outcome::ProviderError => error.retryable == Some(true),
            _ => false,
        };
        if !eligible {
            return None;
        }
        match error.retry_after_ms {
            Some(ra) if ra > self.max_retry_after_ms => None,
            Some(ra) => Some(ra),
            None => Some(self.backoff(attempt.max(1), random)),
        }
    }

    /// Raw `sse` GET streams only: the delay before reconnecting with `Last-Event-ID`, or
    /// `None`. `retry_ms` is the stream's last `retry:` value (`session.retry_ms()`); one
    /// longer than `max_retry_after_ms` ends reconnecting.
    pub fn resume_delay(
        &self,
        attempt: u32,
        outcome: &StreamResult,
        retry_ms: Option<u64>,
        random: f64,
    ) -> Option<u64> {
        if !self.resume || attempt.max(1) >= self.max_attempts {
            return None;
        }
        let eligible = match outcome.outcome {
            Outcome::Truncated | Outcome::NetworkError => true,
            Outcome::Stalled => matches!(
                outcome.error.as_ref().and_then(|e| e.phase),
                Some(StallPhase::Idle | StallPhase::Content)
            ),
            _ => false,
        };
        if !eligible {
            return None;
        }
        match retry_ms {
            Some(r) if r > self.max_retry_after_ms => None,
            Some(r) => Some(r),
            None => Some(self.backoff(attempt.max(1), random)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorCode, StreamError};
    use crate::outcome::{Reply, Stats};

    fn outcome(error: Option<StreamError>, text: &str, bytes: u64, deltas: u64) -> StreamResult {
        let reply = Reply {
            text: text.to_string(),
            ..Reply::default()
        };
        let stats = Stats {
            bytes,
            deltas,
            ..Stats::default()
        };
        StreamResult::new(reply, error, stats)
    }

    fn http(status: u16, retry_after: Option<u64>) -> StreamResult {
        let mut e = StreamError::new(ErrorCode::HttpError, "x");
        e.status = Some(status);
        e.retry_after_ms = retry_after;
        outcome(Some(e), "", 100, 0)
    }

    fn on() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn off_by_default() {
        assert_eq!(
            RetryPolicy::default().decide(1, &http(503, None), 0.0),
            None
        );
    }

    #[test]
    fn statuses() {
        let p = on();
        for s in [408, 409, 429, 500, 502, 503, 529] {
            assert!(p.decide(1, &http(s, None), 0.0).is_some(), "{s}");
        }
        for s in [400, 401, 403, 404, 422] {
            assert_eq!(p.decide(1, &http(s, None), 0.0), None, "{s}");
        }
    }

    #[test]
    fn backoff_and_jitter() {
        let p = on();
        assert_eq!(p.decide(1, &http(503, None), 0.0), Some(250));
        assert_eq!(p.decide(1, &http(503, None), 0.999_999), Some(500));
        assert_eq!(p.decide(2, &http(503, None), 0.0), Some(500));
        assert_eq!(p.decide(3, &http(503, None), 0.0), Some(1000));
        assert_eq!(
            p.decide(4, &http(503, None), 0.0),
            None,
            "attempts exhausted"
        );
        let many = RetryPolicy {
            max_attempts: 100,
            ..on()
        };
        assert_eq!(many.decide(90, &http(503, None), 0.999_999), Some(8000));
        assert_eq!(many.decide(5, &http(503, None), f64::NAN), Some(4000));
    }

    #[test]
    fn retry_after_wins_up_to_cap() {
        let p = on();
        assert_eq!(p.decide(1, &http(429, Some(2000)), 0.7), Some(2000));
        assert_eq!(p.decide(1, &http(429, Some(30_001)), 0.7), None);
    }

    #[test]
    fn never_after_content() {
        let p = on();
        let mut e = StreamError::new(ErrorCode::ProviderError, "overloaded");
        e.retryable = Some(true);
        assert!(p
            .decide(1, &outcome(Some(e.clone()), "", 50, 0), 0.0)
            .is_some());
        assert_eq!(
            p.decide(1, &outcome(Some(e.clone()), "Hi", 50, 1), 0.0),
            None
        );
        assert_eq!(p.decide(1, &outcome(Some(e), "", 50, 1), 0.0), None);
        let net = StreamError::new(ErrorCode::NetworkError, "refused");
        assert!(p
            .decide(1, &outcome(Some(net.clone()), "", 0, 0), 0.0)
            .is_some());
        assert_eq!(p.decide(1, &outcome(Some(net), "", 10, 0), 0.0), None);
    }

    #[test]
    fn never_for_other_outcomes() {
        let p = on();
        let mut stall = StreamError::new(ErrorCode::Stalled, "s");
        stall.phase = Some(StallPhase::FirstByte);
        for e in [
            None,
            Some(stall),
            Some(StreamError::new(ErrorCode::Aborted, "a")),
            Some(StreamError::new(ErrorCode::Truncated, "t")),
            Some(StreamError::new(ErrorCode::InvalidJson, "j")),
            Some(StreamError::new(ErrorCode::ProviderError, "not retryable")),
        ] {
            assert_eq!(p.decide(1, &outcome(e, "", 0, 0), 0.0), None);
        }
    }

    #[test]
    fn resume() {
        let p = RetryPolicy {
            resume: true,
            ..on()
        };
        let trunc = outcome(
            Some(StreamError::new(ErrorCode::Truncated, "t")),
            "abc",
            10,
            3,
        );
        assert_eq!(p.resume_delay(1, &trunc, Some(3000), 0.0), Some(3000));
        assert_eq!(p.resume_delay(1, &trunc, None, 0.0), Some(250));
        assert_eq!(p.resume_delay(1, &trunc, Some(60_000), 0.0), None);
        assert_eq!(p.resume_delay(4, &trunc, Some(10), 0.0), None);
        assert_eq!(on().resume_delay(1, &trunc, Some(10), 0.0), None, "off");
        let mut idle = StreamError::new(ErrorCode::Stalled, "s");
        idle.phase = Some(StallPhase::Idle);
        assert!(p
            .resume_delay(1, &outcome(Some(idle), "a", 1, 1), None, 0.0)
            .is_some());
        assert_eq!(
            p.resume_delay(1, &outcome(None, "a", 1, 1), None, 0.0),
            None
        );
        let abort = outcome(Some(StreamError::new(ErrorCode::Aborted, "a")), "", 0, 0);
        assert_eq!(p.resume_delay(1, &abort, None, 0.0), None);
    }
}
