//! WHATWG "Parsing an event stream" + "Interpreting an event stream", as a push parser.
//! <https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream>
//!
//! CONTRACT (issue 2; other modules rely on exactly these signatures):
//! - `SseParser::new()` (cap [`DEFAULT_MAX_EVENT_BYTES`]), `SseParser::with_max_event_bytes(n)`.
//! - `feed(&mut self, &[u8])` never fails and never panics.
//! - `next_event(&mut self) -> Option<Result<Item, FrameError>>`: `None` = need more bytes.
//! - `finish(&mut self) -> Eof`: end of stream; drains nothing new (a pending event without its
//!   blank line is NOT dispatched, per spec) but reports it in `Eof::unterminated`.
//! - `bytes_examined(&self) -> u64`: bytes the line search looked at (linear-time proof).
//! - `last_event_id(&self) -> &str`: the current last event ID buffer.

use crate::error::FrameError;

/// Default cap on one line and on one event's accumulated data: 8 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// A dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event` field, `message` when not set.
    pub event_type: String,
    /// The `data` lines joined with LF, one trailing LF removed.
    pub data: String,
    /// The last event ID at dispatch time (persists across events).
    pub last_event_id: String,
}

/// What the parser reports, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A dispatched event.
    Event(Event),
    /// A valid `retry` field (ASCII digits only), at the point it was parsed. Saturates at u64::MAX.
    Retry(u64),
    /// A comment line (`:` first). Keep-alives; never decoded.
    Comment,
}

/// What `finish()` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Eof {
    /// The stream ended inside an event: an unterminated last line, or data/event/id fields
    /// after the last blank line (a trailing comment alone does not count).
    pub unterminated: bool,
}

/// The push parser. (Stub until issue 2 lands.)
#[derive(Debug, Default)]
pub struct SseParser {
    _private: (),
}

impl SseParser {
    /// A parser with the default cap.
    pub fn new() -> Self {
        Self::default()
    }
    /// A parser with a cap on line and event size.
    pub fn with_max_event_bytes(_max: usize) -> Self {
        Self::default()
    }
    /// Hands in the next chunk.
    pub fn feed(&mut self, _bytes: &[u8]) {}
    /// The next item, or `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Option<Result<Item, FrameError>> {
        None
    }
    /// Ends the stream.
    pub fn finish(&mut self) -> Eof {
        Eof::default()
    }
    /// Bytes examined by the line search so far.
    pub fn bytes_examined(&self) -> u64 {
        0
    }
    /// The last event ID buffer.
    pub fn last_event_id(&self) -> &str {
        ""
    }
}
