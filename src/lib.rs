//! # streamguard
//!
//! Stream LLM output from `fetch()` without the failures every chat UI rediscovers: silent
//! hangs, streams cut off without `[DONE]` shown as complete, abort that does nothing, one
//! re-render per token, multibyte characters or CRLF split across chunks.
//!
//! The core is **sans-io**: it does no networking and never reads a clock. The host (the
//! browser layer in `web` on wasm32, the native client in the harness, or a test with a
//! virtual clock) hands in bytes with a timestamp and asks what to do next:
//!
//! ```text
//!  handle_bytes(now, &[u8]) --> +---------+ --> poll_output(): Text(batch) | Event(..) | Finished(StreamResult)
//!  handle_eof(now)          --> | Session | --> poll_deadline(): Option<Millis>   (the host arms ONE timer)
//!  handle_timeout(now)      --> +---------+      AbortRequest: the host aborts the fetch
//!
//!  bytes --> sse::SseParser / ndjson::NdjsonSplitter --> decode::StreamDecoder --> outcome::Reply
//!            json_values::JsonValuesSplitter / utf8::Utf8Stream
//!                 (framing, UTF-8, caps)                   (provider wire format)     (text, tools)
//! ```
//!
//! What it does not do: it sends no request itself outside `web`, never retries on its own
//! (it says when a retry is safe; the host does it), and never renders.
#![forbid(unsafe_code)]
// The shipped wasm (scripts/build-wasm.sh, which sets `--cfg streamguard_speed` and already
// builds with RUSTC_BOOTSTRAP=1 for -Zbuild-std) is opt-level "z"; the functions every read or
// event goes through are marked `#[cfg_attr(streamguard_speed, optimize(speed))]` (the
// unstable `optimize_attribute`), which lifts "z"'s size constraints from those functions only.
// Measured on the 29 marked functions: +602 B gz of wasm for 6-9% less time per stream (Node,
// 1 KiB reads: openai, anthropic, tiny); with the dependencies at opt-level 2 (Cargo.toml),
// 44,134 B (+219) for 6-13%. Native builds and the tests' wasm do not see it.
#![cfg_attr(streamguard_speed, feature(optimize_attribute))]
#![warn(missing_docs)]

pub mod batch;
pub mod decode;
pub mod driver;
pub mod error;
mod fifo;
pub mod head;
pub mod http;
mod json;
pub mod json_values;
mod lines;
pub mod metrics;
pub mod ndjson;
pub mod outcome;
pub mod retry;
pub mod retryable;
pub mod session;
pub mod sse;
mod text;
pub mod time;
pub mod utf8;
pub mod watchdog;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use decode::{Protocol, StreamDecoder, StreamEvent};
pub use driver::Driver;
pub use error::{ErrorCode, FrameError, StallPhase, StreamError};
pub use outcome::{FinishReason, Outcome, Reply, Stats, StreamResult, ToolCall, Usage};
pub use retry::RetryPolicy;
pub use session::{Config, FlushMode, NetworkError, NetworkErrorKind, Output, Session, SmoothUnit};
pub use time::Millis;

/// Not API: what the JSON scanner reads, for the `json_scan` fuzz target.
#[doc(hidden)]
pub use json::Shape as JsonShape;

/// The README's examples, compiled and run as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
