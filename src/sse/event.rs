//! Lines -> events: WHATWG "Interpreting an event stream".
//! <https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>

use super::{Queue, Queued};
use crate::text::{grow, lossy};

/// The per-event buffers of the spec, plus the persistent last event ID buffer.
#[derive(Debug)]
pub(crate) struct EventBuilder {
    max: usize,
    /// "data buffer", without its last LF: the spec appends an LF after every value and
    /// removes the last one at dispatch; we put one before every value but the first
    /// (`has_data` says whether there was one). Spans lines, so it carries state across
    /// `feed` calls.
    data: String,
    /// Where the data starts in `data`: 0, or (a data line taken whole, see
    /// [`EventBuilder::joined_line`]) the length of its `data:` field name.
    data_from: usize,
    /// A `data` field was processed in this block (the spec's data buffer is not empty).
    has_data: bool,
    /// "event type buffer". Spans lines, so it carries state across `feed` calls.
    event_type: String,
    /// "last event ID buffer". Persists across events (also when set in a block that
    /// dispatches nothing) until an `id` field sets it again.
    id_buffer: String,
    /// The event source's "last event ID string": the buffer as of the last blank line
    /// (dispatch step 1). Exists for resume: an `id` of an event cut off before its blank line
    /// is in the buffer but not here, so a reconnect does not skip that event.
    id_string: String,
    /// A non-comment line was seen since the last blank line: the block is pending. Exists for
    /// `finish()`, which reports a last event that never got its blank line.
    pending_fields: bool,
    /// A line or the data of this block went over the cap and was reported; every line up to
    /// the next blank line is ignored (the whole event is dropped, not just the over-cap line).
    dropping: bool,
}

impl EventBuilder {
    pub(crate) fn new(max: usize) -> Self {
        EventBuilder {
            max,
            data: String::new(),
            data_from: 0,
            has_data: false,
            event_type: String::new(),
            id_buffer: String::new(),
            id_string: String::new(),
            pending_fields: false,
            dropping: false,
        }
    }

    pub(crate) fn last_event_id_buffer(&self) -> &str {
        &self.id_buffer
    }

    pub(crate) fn last_event_id_string(&self) -> &str {
        &self.id_string
    }

    /// Seeds the last event ID (buffer and string) of a reconnection: "the last event ID
    /// string of the event source" persists across reconnections.
    pub(crate) fn seed_last_event_id(&mut self, id: &str) {
        self.id_buffer.clear();
        self.id_buffer.push_str(id);
        self.id_string.clear();
        self.id_string.push_str(id);
    }

    pub(crate) fn has_pending_fields(&self) -> bool {
        self.pending_fields
    }

    /// Drops the pending event (end of stream).
    pub(crate) fn discard_pending(&mut self) {
        self.reset_block();
        self.pending_fields = false;
        self.dropping = false;
    }

    fn reset_block(&mut self) {
        self.data = String::new();
        self.data_from = 0;
        self.has_data = false;
        self.event_type.clear();
    }

    /// A line went over the cap: report once, drop the pending event, ignore the rest of the
    /// block.
    /// Within an already dropped block nothing more is reported (one report per event).
    pub(crate) fn too_long(&mut self, out: &mut Queue) {
        if !self.dropping {
            out.push(Queued::TooLarge(self.max));
        }
        self.reset_block();
        self.pending_fields = true;
        self.dropping = true;
    }

    /// Takes a complete line that the line splitter joined from several chunks, in the buffer
    /// that holds it, when it is a `data` line that starts the event's data (the usual long
    /// line: one large chunk of a provider's stream): the buffer becomes the data buffer
    /// itself, its field name skipped by `data_from`, so a long line is never held twice.
    /// `false` (the buffer left as it was) for any other line: process it with
    /// [`EventBuilder::line`].
    pub(crate) fn take_data_line(&mut self, buf: &mut Vec<u8>) -> bool {
        if !self.dropping && !self.has_data {
            // The field name is what comes before the first ':', and one space after it is
            // not part of the value (see `line`).
            let from = match buf.get(..6) {
                Some(b"data: ") => Some(6),
                _ if buf.starts_with(b"data:") => Some(5),
                _ => None,
            };
            // Within the cap (no separator: this is the event's first value), and UTF-8 (an
            // invalid line is decoded with replacements by `line`).
            if let Some(from) = from.filter(|&f| buf.len().saturating_sub(f) <= self.max) {
                match String::from_utf8(core::mem::take(buf)) {
                    Ok(line) => {
                        self.pending_fields = true;
                        self.data = line;
                        self.data_from = from;
                        self.has_data = true;
                        return true;
                    }
                    Err(e) => *buf = e.into_bytes(),
                }
            }
        }
        false
    }

    /// Processes one complete line (raw bytes, line end removed).
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub(crate) fn line(&mut self, raw: &[u8], out: &mut Queue) {
        // "If the line is empty (a blank line): Dispatch the event, as defined below."
        if raw.is_empty() {
            if self.dropping {
                self.dropping = false;
                self.reset_block();
            } else {
                self.dispatch(out);
            }
            self.pending_fields = false;
            return;
        }
        // "If the line starts with a U+003A COLON character (:): Ignore the line."
        if raw.first() == Some(&b':') {
            out.push(Queued::Comment);
            return;
        }
        self.pending_fields = true;
        if self.dropping {
            return;
        }
        // "If the line contains a U+003A COLON character (:): Collect the characters on the
        // line before the first U+003A COLON character (:), and let field be that string.
        // Collect the characters on the line after the first U+003A COLON character (:), and
        // let value be that string. If value starts with a U+0020 SPACE character, remove it
        // from value."
        // "Otherwise, the string is not empty but does not contain a U+003A COLON character
        // (:): Process the field using the steps described below, using the whole line as the
        // field name, and the empty string as the field value."
        // ':' and ' ' are ASCII, so splitting the raw bytes is the same as splitting the
        // decoded line; decoding each part with U+FFFD replacement gives the same text.
        let (name, value) = match raw.iter().position(|&b| b == b':') {
            Some(i) => {
                let name = raw.get(..i).unwrap_or_default();
                let mut value = raw.get(i.saturating_add(1)..).unwrap_or_default();
                if let Some((&b' ', rest)) = value.split_first() {
                    value = rest;
                }
                (name, value)
            }
            None => (raw, &b""[..]),
        };
        self.field(name, value, out);
    }

    /// "Process the field". Field names are compared exactly (case-sensitive); unknown names
    /// are ignored.
    fn field(&mut self, name: &[u8], value: &[u8], out: &mut Queue) {
        match name {
            // "If the field name is "event": Set the event type buffer to field value."
            b"event" => {
                self.event_type.clear();
                self.event_type.push_str(&lossy(value));
            }
            // "If the field name is "data": Append the field value to the data buffer, then
            // append a single U+000A LINE FEED (LF) character to the data buffer."
            b"data" => {
                let value = lossy(value);
                let sep = if self.has_data { "\n" } else { "" };
                // The event's data once this value is in (the last LF is removed at dispatch).
                let grown = self
                    .data
                    .len()
                    .saturating_sub(self.data_from)
                    .saturating_add(sep.len())
                    .saturating_add(value.len());
                if grown > self.max {
                    self.too_long(out);
                    return;
                }
                grow(&mut self.data, sep.len() + value.len());
                if self.has_data {
                    self.data.push_str(sep);
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            // "If the field name is "id": If the field value does not contain U+0000 NULL, then
            // set the last event ID buffer to the field value. Otherwise, ignore the field."
            b"id" if !value.contains(&0) => {
                self.id_buffer.clear();
                self.id_buffer.push_str(&lossy(value));
            }
            // "If the field name is "retry": If the field value consists of only ASCII digits,
            // then interpret the field value as an integer in base ten, and set the event
            // stream's reconnection time to that integer. Otherwise, ignore the field."
            // We report it as an item at this point; an empty value is ignored (as browsers
            // and eventsource-parser do). Values beyond u64 saturate.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |acc, &d| {
                    acc.saturating_mul(10)
                        .saturating_add(u64::from(d.wrapping_sub(b'0')))
                });
                out.push(Queued::Retry(ms));
            }
            // "Otherwise: The field is ignored." (also an `id` with U+0000 or a `retry` that is
            // not all digits).
            _ => {}
        }
    }

    /// "Dispatch the event".
    fn dispatch(&mut self, out: &mut Queue) {
        // "1. Set the last event ID string of the event source to the value of the last event
        // ID buffer." -- the buffer itself persists, see `id_buffer`.
        if self.id_string != self.id_buffer {
            self.id_string.clone_from(&self.id_buffer);
        }
        // "2. If the data buffer is an empty string, set the data buffer and the event type
        // buffer to the empty string and return."
        if !self.has_data {
            self.event_type.clear();
            return;
        }
        // "3. If the data buffer's last character is a U+000A LINE FEED (LF) character, then
        // remove the last character from the data buffer."
        // (Our buffer never has that last LF.)
        self.has_data = false;
        // "4. Let event be the result of creating an event using MessageEvent ... Initialize
        // event's type attribute to "message", its data attribute to data, ... its
        // lastEventId attribute to the last event ID string of the event source.
        // 5. If the event type buffer has a value other than the empty string, change the type
        // of the newly created event to equal the value of the event type buffer."
        // (An empty type is queued as `message`.)
        out.push_event(
            &self.event_type,
            &mut self.data,
            self.data_from,
            &self.id_string,
        );
        self.data_from = 0;
        // "6. Set the data buffer and the event type buffer to the empty string."
        self.event_type.clear();
    }
}
