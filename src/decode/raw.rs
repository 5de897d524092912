//! Raw SSE: every event's data is text, appended as is (whatever its event type). There is
//! no terminator: a clean close after a whole event is complete (with no finish reason), a
//! close inside an event is truncated.

use super::sink::EventSink;

/// Where a body that ends inside an event stopped, for the `truncated` message.
pub(crate) const TRUNCATED: &str = "inside an event";

/// One dispatched event's data.
pub(crate) fn on_text(data: &str, sink: &mut EventSink) {
    sink.text(Some(data));
}
