//! WHATWG "Parsing an event stream" + "Interpreting an event stream", as a push parser.
//! <https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream>
//!
//! - [`SseParser::new`] (cap [`DEFAULT_MAX_EVENT_BYTES`]), [`SseParser::with_max_event_bytes`],
//!   and [`SseParser::with_resume_id`] for a reconnection.
//! - `feed(&[u8])` never fails and never panics.
//! - `next_event() -> Option<Result<Item, FrameError>>`: `None` = need more bytes.
//! - `finish() -> Eof`: end of stream; drains nothing new (a pending event without its blank
//!   line is NOT dispatched, per spec) but reports it in [`Eof::unterminated`].
//! - `bytes_examined()`: bytes the line search looked at (linear-time proof).
//!
//! The spec keeps two last event IDs, and so do we, under two names:
//! - [`SseParser::last_event_id_buffer`], the spec's "last event ID buffer": set by every `id`
//!   line as soon as it is parsed.
//! - [`SseParser::resume_id`], the spec's "last event ID string": the buffer as of the last
//!   blank line. This is what a reconnect sends as `Last-Event-ID`.
//!
//! Each dispatched [`Event`] carries the ID it was dispatched with in
//! [`Event::last_event_id`] (the DOM's `MessageEvent.lastEventId`).
//!
//! Two stages: `lines` splits raw bytes into lines (CRLF, LF, lone CR; a CR at the end of a
//! chunk and an LF at the start of the next are one line end), `event` turns lines into
//! events. Each complete line is decoded as UTF-8 with U+FFFD replacement; CR, LF and ':' never
//! occur inside a multi-byte sequence, so a code point split across chunks decodes intact.
//!
//! Every property holds at every chunking, including one byte at a time: the output depends
//! only on the concatenated bytes.
//!
//! # Where we deviate from the spec, on purpose
//! - The spec silently drops a last event that lacks its blank line. We drop it too, but
//!   [`SseParser::finish`] reports that it was there ([`Eof::unterminated`]) so the session can
//!   call the stream truncated.
//! - A browser keeps `retry` as state; we report each valid one as [`Item::Retry`] where it is
//!   parsed (stream order). An empty `retry` value is ignored (the spec's "only ASCII digits"
//!   is vacuously true for it; browsers and eventsource-parser ignore it too).
//! - Memory is capped ([`DEFAULT_MAX_EVENT_BYTES`] by default). The cap applies to one line
//!   (its bytes including the field name, excluding the line end) and to one event's data
//!   (the joined `data` values). When either grows over the cap, `next_event` yields
//!   `Err(FrameError::EventTooLarge)` at the moment the cap is crossed (not when the line
//!   ends). The rest of that line is dropped without being buffered, the pending event is
//!   dropped, and every line up to the next blank line is ignored: the block is dropped whole
//!   and reported once, however many of its lines go over. Its later `id`, `retry` and `data`
//!   lines do not take effect (an `id` earlier in the block already did: the last event ID
//!   buffer is not per event). An over-cap line is never looked into, so even an over-cap
//!   comment drops its block. Comments in a dropped block are still reported. Parsing
//!   continues normally after the blank line.
//! - `feed` after `finish` is ignored: the stream has ended.

mod event;

use crate::fifo::Fifo;
use std::ops::Range;

use crate::error::FrameError;
use crate::lines::{Got, Line, LineEnding, LineSplitter};
use crate::text::forget;
use event::EventBuilder;

/// Default cap on one line and on one event's accumulated data: 8 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// A dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event` field, `message` when not set.
    pub event_type: String,
    /// The `data` lines joined with LF, one trailing LF removed.
    pub data: String,
    /// The last event ID at dispatch time (persists across events): the DOM's
    /// `MessageEvent.lastEventId`, equal to [`SseParser::resume_id`] once this event is
    /// dispatched.
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
    ///
    /// Precisely: true when bytes follow the last line end (including a partial BOM prefix
    /// such as `EF BB` alone, which is not a BOM but data), or when any non-comment line (a
    /// known or unknown field, or a line over the cap) came after the last blank line. A
    /// stream that is only a complete BOM is not unterminated.
    pub unterminated: bool,
}

/// The UTF-8 byte order mark.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// The push parser.
#[derive(Debug)]
pub struct SseParser {
    lines: LineSplitter,
    events: EventBuilder,
    /// Items parsed but not yet taken by `next_event`. Bounded by the input of the feeds not
    /// yet drained.
    queue: Queue,
    /// How many bytes of a leading BOM have matched so far, or `None` once the start of the
    /// stream is behind us. Exists because the BOM may arrive split across chunks (`EF` | `BB BF`)
    /// and must be removed only at the very start of the stream.
    bom_matched: Option<usize>,
    /// `finish` was called; exists so a late `feed` cannot restart a finished stream.
    finished: Option<Eof>,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// A parser with the default cap.
    pub fn new() -> Self {
        Self::with_max_event_bytes(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A parser with a cap on line and event size.
    pub fn with_max_event_bytes(max: usize) -> Self {
        SseParser {
            lines: LineSplitter::new(LineEnding::CrLfOrCr, max),
            events: EventBuilder::new(max),
            queue: Queue::default(),
            bom_matched: Some(0),
            finished: None,
        }
    }

    /// A parser for a reconnection: the last event ID (buffer and string) starts as
    /// `resume_id`, the one the previous connection ended with and the reconnect sent ("the
    /// last event ID string of the event source" persists across reconnections).
    pub fn with_resume_id(max: usize, resume_id: &str) -> Self {
        let mut p = Self::with_max_event_bytes(max);
        p.events.seed_last_event_id(resume_id);
        p
    }

    /// Hands in the next chunk. Never fails; results are taken with [`Self::next_event`].
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.finished.is_some() {
            return;
        }
        let mut rest = bytes;
        // "The stream must then be parsed by reading everything line by line ... One leading
        // U+FEFF BYTE ORDER MARK character must be ignored if any are present." (The UTF-8
        // decode algorithm strips one leading BOM; a second one is data.)
        if let Some(matched) = self.bom_matched {
            let mut k = matched;
            while k < BOM.len() {
                match (rest.split_first(), BOM.get(k)) {
                    (Some((&b, tail)), Some(&want)) if b == want => {
                        k += 1;
                        rest = tail;
                    }
                    (None, _) => {
                        // Chunk ended inside a possible BOM: wait for more bytes.
                        self.bom_matched = Some(k);
                        return;
                    }
                    _ => {
                        // Not a BOM: the matched prefix is ordinary data.
                        self.bom_matched = None;
                        let prefix = BOM.get(..k).unwrap_or_default();
                        self.split(prefix);
                        break;
                    }
                }
            }
            self.bom_matched = None;
        }
        self.split(rest);
    }

    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn split(&mut self, bytes: &[u8]) {
        self.queue.recycle();
        let events = &mut self.events;
        let queue = &mut self.queue;
        self.lines.feed_owned(bytes, |got| {
            // One call of `line` (not one per kind of line: smaller wasm).
            let raw: &[u8] = match got {
                Got::Line(Line::Complete(raw)) => raw,
                Got::Line(Line::TooLong) => return events.too_long(queue),
                Got::Joined(buf) => {
                    if events.take_data_line(buf) {
                        return;
                    }
                    buf
                }
            };
            events.line(raw, queue)
        });
    }

    /// The next item, or `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Option<Result<Item, FrameError>> {
        let item = self.queue.pop()?;
        Some(match item {
            ItemRef::Event { event_type, data } => Ok(Item::Event(Event {
                event_type: event_type.to_owned(),
                data: data.to_owned(),
                last_event_id: self.queue.last_id().to_owned(),
            })),
            ItemRef::Retry(ms) => Ok(Item::Retry(ms)),
            ItemRef::Comment => Ok(Item::Comment),
            ItemRef::TooLarge(limit) => Err(FrameError::EventTooLarge { limit }),
        })
    }

    /// Once every queued item was taken, frees the buffer that held them (a large one is not
    /// kept until the next chunk).
    #[inline]
    pub(crate) fn recycle(&mut self) {
        self.queue.recycle();
    }

    /// The next item, borrowed from the parser (no allocation), or `None` when more bytes are
    /// needed.
    pub(crate) fn next_item(&mut self) -> Option<ItemRef<'_>> {
        self.queue.pop()
    }

    /// Ends the stream. A pending event without its blank line is dropped (spec) and reported
    /// in [`Eof::unterminated`]. Items already queued can still be taken with `next_event`.
    /// Calling it again returns the same value.
    pub fn finish(&mut self) -> Eof {
        if let Some(eof) = self.finished {
            return eof;
        }
        // "Once the end of the file is reached, any pending data must be discarded. (If the
        // file ends in the middle of an event, before the final empty line, the incomplete
        // event is not dispatched.)"
        let partial_bom = matches!(self.bom_matched, Some(k) if k > 0);
        let unterminated =
            partial_bom || self.lines.has_partial() || self.events.has_pending_fields();
        let _ = self.lines.take_partial();
        self.events.discard_pending();
        let eof = Eof { unterminated };
        self.finished = Some(eof);
        eof
    }

    /// Bytes examined by the line search so far.
    pub fn bytes_examined(&self) -> u64 {
        self.lines.bytes_examined()
    }

    /// The spec's "last event ID buffer": the value of the last `id` line parsed, even one
    /// of an event not dispatched yet. Not what a reconnect sends: see [`Self::resume_id`].
    pub fn last_event_id_buffer(&self) -> &str {
        self.events.last_event_id_buffer()
    }

    /// The event source's last event ID *string*: the buffer as it was at the last blank line
    /// (spec: "dispatch the event", step 1). This is what a reconnect sends as
    /// `Last-Event-ID`: an `id` line of an event the connection lost before its blank line is
    /// in the buffer, not here, so resuming from here cannot skip that event.
    pub fn resume_id(&self) -> &str {
        self.events.last_event_id_string()
    }
}

/// An item borrowed from the parser's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemRef<'a> {
    /// A dispatched event.
    Event {
        /// Its type (`message` when not set).
        event_type: &'a str,
        /// Its data.
        data: &'a str,
    },
    /// A valid `retry` field.
    Retry(u64),
    /// A comment line.
    Comment,
    /// A line or event over the cap (the cap).
    TooLarge(usize),
}

/// A queued item; an event's strings are ranges of the queue's store.
#[derive(Debug)]
enum Queued {
    Event {
        /// `None`: `message`.
        event_type: Option<Range<usize>>,
        /// `None`: the data is the queue's `moved` buffer.
        data: Option<Range<usize>>,
        last_event_id: Range<usize>,
    },
    Retry(u64),
    Comment,
    TooLarge(usize),
}

/// The items parsed and not taken yet, their strings back to back in one buffer: an event
/// costs no allocation of its own, and the buffers are reused from chunk to chunk. One
/// event's data is moved in whole instead of copied (a large event is never copied, and no
/// buffer holding one grows to take the next).
#[derive(Debug, Default)]
pub(crate) struct Queue {
    items: Fifo<Queued>,
    store: String,
    /// The data of one queued event, moved in whole: `moved[moved_from..]` (a data line
    /// taken whole from the line splitter still starts with its `data:` field name).
    moved: String,
    moved_from: usize,
    /// `moved` holds a queued event's data.
    moved_used: bool,
    /// The event whose data is `moved` was taken: its data is released at the next `pop` or
    /// `recycle` (a large event's buffer is not held while the rest of its read is decoded).
    moved_lent: bool,
    /// The last event ID of the item taken last (for [`SseParser::next_event`]).
    last_id: Range<usize>,
}

impl Queue {
    /// Once every item was taken, forgets their strings (keeping a small buffer).
    #[inline]
    fn recycle(&mut self) {
        self.release_moved();
        if self.items.is_empty() && (self.moved_used || !self.store.is_empty()) {
            self.last_id = 0..0;
            self.moved_used = false;
            self.moved_from = 0;
            forget(&mut self.store);
            forget(&mut self.moved);
        }
    }

    /// Releases `moved` once the event that used it was taken (and is no longer borrowed).
    fn release_moved(&mut self) {
        if self.moved_lent {
            self.moved_lent = false;
            self.moved_used = false;
            self.moved_from = 0;
            forget(&mut self.moved);
        }
    }

    fn push(&mut self, item: Queued) {
        self.items.push_back(item);
    }

    /// Queues an event whose data is `data[from..]`: `data` is moved in whole when the
    /// `moved` buffer is free (`data` gets its old allocation for the next event), else
    /// appended to the store.
    fn push_event(
        &mut self,
        event_type: &str,
        data: &mut String,
        from: usize,
        last_event_id: &str,
    ) {
        self.recycle();
        let data_range = if !self.moved_used {
            self.moved_used = true;
            core::mem::swap(&mut self.moved, data);
            self.moved_from = from;
            data.clear();
            None
        } else {
            let start = self.store.len();
            self.store.push_str(data.get(from..).unwrap_or_default());
            data.clear();
            Some(start..self.store.len())
        };
        let event_type = (!event_type.is_empty()).then(|| self.append(event_type));
        let last_event_id = self.append(last_event_id);
        forget(data);
        self.push(Queued::Event {
            event_type,
            data: data_range,
            last_event_id,
        });
    }

    fn append(&mut self, s: &str) -> Range<usize> {
        let start = self.store.len();
        self.store.push_str(s);
        start..self.store.len()
    }

    fn get(&self, r: &Range<usize>) -> &str {
        self.store.get(r.clone()).unwrap_or_default()
    }

    fn pop(&mut self) -> Option<ItemRef<'_>> {
        self.release_moved();
        Some(match self.items.pop_front()? {
            Queued::Event {
                event_type,
                data,
                last_event_id,
            } => {
                self.last_id = last_event_id;
                self.moved_lent = data.is_none();
                ItemRef::Event {
                    event_type: event_type.as_ref().map_or("message", |r| self.get(r)),
                    data: match &data {
                        Some(r) => self.get(r),
                        None => self.moved.get(self.moved_from..).unwrap_or_default(),
                    },
                }
            }
            Queued::Retry(ms) => ItemRef::Retry(ms),
            Queued::Comment => ItemRef::Comment,
            Queued::TooLarge(limit) => ItemRef::TooLarge(limit),
        })
    }

    fn last_id(&self) -> &str {
        self.get(&self.last_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> (Vec<Result<Item, FrameError>>, Eof) {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c);
            while let Some(i) = p.next_event() {
                out.push(i);
            }
        }
        let eof = p.finish();
        (out, eof)
    }

    fn ev(t: &str, d: &str, id: &str) -> Result<Item, FrameError> {
        Ok(Item::Event(Event {
            event_type: t.into(),
            data: d.into(),
            last_event_id: id.into(),
        }))
    }

    #[test]
    fn basic_event() {
        let (out, eof) = run(&[b"data: YHOO\ndata: +2\ndata: 10\n\n"]);
        assert_eq!(out, vec![ev("message", "YHOO\n+2\n10", "")]);
        assert!(!eof.unterminated);
    }

    #[test]
    fn split_bom_and_crlf() {
        let (out, _) = run(&[b"\xEF", b"\xBB", b"\xBFdata: a\r", b"\n\r", b"\n"]);
        assert_eq!(out, vec![ev("message", "a", "")]);
    }

    #[test]
    fn partial_bom_is_data() {
        let (out, eof) = run(&[b"\xEF\xBB", b"data: x\n\n"]);
        // "\u{FFFD}data: x" is an unknown field.
        assert_eq!(out, vec![]);
        assert!(!eof.unterminated);
    }

    #[test]
    fn queued_events_keep_their_own_data() {
        // An empty event, then others, all queued by one feed before any is taken.
        let (out, _) = run(&[b"data:\n\ndata: x\n\nevent: e\ndata: y\nid: 1\n\n"]);
        assert_eq!(
            out,
            vec![
                ev("message", "", ""),
                ev("message", "x", ""),
                ev("e", "y", "1")
            ]
        );
    }

    #[test]
    fn unterminated_reported() {
        let (out, eof) = run(&[b"data: a\n\ndata: b\n"]);
        assert_eq!(out, vec![ev("message", "a", "")]);
        assert!(eof.unterminated);
    }
}
