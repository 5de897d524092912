//! Raw SSE and plain text: every event's data (or every decoded byte of a `text` body) is
//! text, appended as is (whatever its event type). There is no terminator: a clean close after
//! a whole event is complete (with no finish reason), a close inside an event is truncated.
//! Plain text has no events: a clean close is always complete; bytes that are not UTF-8 are
//! replaced by U+FFFD and reported once with a `meta` event named [`INVALID_UTF8`].

use super::sink::EventSink;

/// Where a body that ends inside an event stopped, for the `truncated` message.
pub(crate) const TRUNCATED: &str = "inside an event";

/// The `meta` event of a plain-text body with bytes that are not UTF-8.
pub(crate) const INVALID_UTF8: &str = "invalid_utf8";

/// One dispatched event's data, or one piece of decoded plain text.
pub(crate) fn on_text(data: &str, sink: &mut EventSink) {
    sink.text(Some(data));
}
