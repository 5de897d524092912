//! The safe retry policy: decided here, executed by the hosts.
//!
//! CONTRACT (issue 4): `RetryPolicy` (off by default: `max_attempts = 1`) with
//! `decide(&self, attempt: u32, outcome: &Outcome, random: f64) -> Option<u64>`: `attempt` is the
//! 1-based number of the attempt that just ended, `random` a host-supplied value in [0, 1) for
//! jitter; returns the delay in ms before the next attempt, or `None` (never after content).

use crate::outcome::Outcome;

/// When and how to retry. (Stub until issue 4 lands.)
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
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 1,
            base_delay_ms: 500,
            max_delay_ms: 8_000,
            max_retry_after_ms: 30_000,
        }
    }
}

impl RetryPolicy {
    /// The delay before the next attempt, or `None`.
    pub fn decide(&self, _attempt: u32, _outcome: &Outcome, _random: f64) -> Option<u64> {
        None
    }
}
