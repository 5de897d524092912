//! The session: decoder + four timers + batcher + metrics + head checks, driven by the host.
//!
//! CONTRACT (issue 4; the browser layer and the native client rely on these signatures):
//! ```text
//!  Session::new(config, now)               now = the moment the request is sent
//!  handle_response_head(now, status, &[(name, value)])
//!  handle_bytes(now, &[u8])   (one call per network read)
//!  handle_eof(now) | handle_error(now, NetworkError) | handle_abort(now)
//!  handle_timeout(now)        (early or spurious: no-op)
//!  handle_frame(now)          (an animation frame, or the host's hidden-page fallback tick)
//!  poll_output() -> Option<Output>           drain after every handle_* call
//!  poll_deadline() -> Option<Millis>         the ONE timer the host arms (timers + interval flush)
//!  wants_frame() -> bool                     request an animation frame (text is pending)
//!  is_finished() -> bool ; text() -> &str ; stats(now) -> Stats ; last_event_id() ; retry_ms()
//! ```
//! After `Output::Finished` nothing else is ever returned and every `handle_*` is a no-op.

use crate::decode::{Protocol, StreamDecoder, StreamEvent};
use crate::outcome::{Outcome, Stats};
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
    /// Every delta at once.
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

/// Session configuration. Every timeout of 0 is off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The wire protocol.
    pub protocol: Protocol,
    /// Request start until the first body byte.
    pub first_byte_timeout_ms: u64,
    /// The longest silence between body bytes.
    pub idle_timeout_ms: u64,
    /// The longest time without a content delta, counted from the request.
    pub content_timeout_ms: u64,
    /// The whole request.
    pub total_timeout_ms: u64,
    /// How text is batched.
    pub flush: FlushMode,
    /// Cap on one line / event.
    pub max_event_bytes: usize,
    /// Cap on the total text.
    pub max_text_bytes: usize,
    /// Emit `Output::Event` for non-text events (the JS `onEvent` is set).
    pub emit_events: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            protocol: Protocol::Auto,
            first_byte_timeout_ms: 60_000,
            idle_timeout_ms: 30_000,
            content_timeout_ms: 120_000,
            total_timeout_ms: 600_000,
            flush: FlushMode::Frame,
            max_event_bytes: crate::sse::DEFAULT_MAX_EVENT_BYTES,
            max_text_bytes: 64 * 1024 * 1024,
            emit_events: false,
        }
    }
}

/// Why the connection failed, as far as the host can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkErrorKind {
    /// Nothing listens (native hosts can tell; browsers cannot).
    Refused,
    /// Reset or closed mid-body / incomplete chunked body.
    Reset,
    /// Anything else (DNS, TLS, CORS, the browser's opaque `TypeError`).
    Other,
}

/// A network failure reported by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkError {
    /// The kind.
    pub kind: NetworkErrorKind,
    /// The host's message.
    pub message: String,
}

/// What the session asks of the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Batched text to render. Never empty. All flushes concatenate to the final text.
    Text(String),
    /// A decoded non-text event (only with `Config::emit_events`).
    Event(StreamEvent),
    /// Abort the request now (a timer fired, a cap was exceeded). `Finished` follows.
    AbortRequest,
    /// The final outcome. Nothing follows.
    Finished(Outcome),
}

/// One request's state. (Stub until issue 4 lands.)
#[derive(Debug)]
pub struct Session {
    config: Config,
    start: Millis,
    decoder: StreamDecoder,
}

impl Session {
    /// A session whose request was sent at `now`.
    pub fn new(config: Config, now: Millis) -> Self {
        let decoder = StreamDecoder::new(config.protocol, config.max_event_bytes);
        Session {
            config,
            start: now,
            decoder,
        }
    }
    /// The response status and headers arrived.
    pub fn handle_response_head(&mut self, _now: Millis, _status: u16, _headers: &[(&str, &str)]) {}
    /// A body chunk arrived.
    pub fn handle_bytes(&mut self, _now: Millis, _bytes: &[u8]) {}
    /// The body ended cleanly.
    pub fn handle_eof(&mut self, _now: Millis) {}
    /// The connection failed.
    pub fn handle_error(&mut self, _now: Millis, _error: NetworkError) {}
    /// The caller aborted.
    pub fn handle_abort(&mut self, _now: Millis) {}
    /// The host's timer fired (maybe late, maybe early).
    pub fn handle_timeout(&mut self, _now: Millis) {}
    /// An animation frame (or the hidden-page fallback tick).
    pub fn handle_frame(&mut self, _now: Millis) {}
    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        None
    }
    /// When the host's one timer should fire next.
    pub fn poll_deadline(&self) -> Option<Millis> {
        None
    }
    /// Whether the host should request an animation frame.
    pub fn wants_frame(&self) -> bool {
        false
    }
    /// Whether the final outcome was produced.
    pub fn is_finished(&self) -> bool {
        false
    }
    /// The text so far (everything decoded, flushed or not).
    pub fn text(&self) -> &str {
        &self.decoder.reply().text
    }
    /// Live stats at `now`.
    pub fn stats(&self, now: Millis) -> Stats {
        Stats {
            duration_ms: now.since(self.start),
            ..Stats::default()
        }
    }
    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// The SSE last event ID (for resume).
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id()
    }
    /// The last `retry:` value.
    pub fn retry_ms(&self) -> Option<u64> {
        self.decoder.retry_ms()
    }
    #[doc(hidden)]
    pub fn _unused(&self) -> Outcome {
        Outcome::new(self.decoder.reply().clone(), None, self.stats(self.start))
    }
}
