//! Raw SSE: every event's data is text, appended as is (whatever its event type). There is
//! no terminator: a clean close after a whole event is complete (with no finish reason), a
//! close inside an event is truncated.

use super::Out;

/// One dispatched event.
pub(crate) fn on_event(data: &str, out: &mut Out) {
    out.text(Some(data));
}
