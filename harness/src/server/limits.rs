//! The limits a client's request is read under (`serve` and `proxy` share them and their
//! command-line options).

use std::time::Duration;

/// How long a client may take over its request, and how long a refused one is drained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The whole request (head and body) must arrive within this, from the accept: 408 else.
    pub request_timeout: Duration,
    /// A body that stops short of its Content-Length for this long is answered 400.
    pub body_idle: Duration,
    /// After a refusal, what the client still sends is read and discarded for at most this.
    pub linger: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            request_timeout: Duration::from_secs(10),
            body_idle: Duration::from_secs(1),
            linger: Duration::from_secs(2),
        }
    }
}

/// `--request-timeout-ms`, `--body-idle-ms`, `--linger-ms` and `--backlog` of `serve` and
/// `proxy`.
#[derive(clap::Args, Debug, Clone)]
pub struct LimitArgs {
    /// The whole request (head and body) must arrive within this many ms of the connection,
    /// else 408 (slow clients, slowloris).
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub request_timeout_ms: u64,
    /// A request body shorter than its Content-Length is answered 400 once nothing more came
    /// for this many ms.
    #[arg(long, default_value_t = 1_000, value_name = "MS")]
    pub body_idle_ms: u64,
    /// After refusing a request, read and discard what the client still sends for at most this
    /// many ms before closing (so the answer is not lost to a reset).
    #[arg(long, default_value_t = 2_000, value_name = "MS")]
    pub linger_ms: u64,
    /// The listen backlog (connections the kernel queues before they are accepted; capped by
    /// net.core.somaxconn).
    #[arg(long, default_value_t = 4096, value_name = "N")]
    pub backlog: u32,
}

impl LimitArgs {
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            request_timeout: Duration::from_millis(self.request_timeout_ms),
            body_idle: Duration::from_millis(self.body_idle_ms),
            linger: Duration::from_millis(self.linger_ms),
        }
    }
}
