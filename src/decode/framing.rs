//! How body bytes become frames, before any provider reads them.
//!
//! A [`Framer`] is one of:
//! - `Sniff`: the framing is not known yet (`auto`, or `gemini`, whose two forms frame
//!   differently). It holds every byte until the `auto` rules decide (the leading whitespace
//!   and BOM bytes, capped, then the few bytes a rule needs), and [`Framer::start`] replays
//!   them into the framer chosen.
//! - `Sse`: the SSE parser; its frames are [`Item`](crate::sse::Item)s (events, comments, `retry`).
//! - `Ndjson`: the NDJSON splitter; its frames are lines.
//! - `Json`: JSON values (one array streamed element by element, or values one after
//!   another); its frames are values, and the array's close.
//! - `Text`: a plain-text passthrough: every byte is text, decoded as UTF-8 across chunks.
//!
//! Every framer has the same push shape: `feed`, then `next_frame_ref` until `None` (each
//! frame borrowed from the framer, no allocation), `recycle` after each, and `finish` at the
//! end of the body.

use crate::error::FrameError;
use crate::json_values::{JsonValuesSplitter, PieceRef};
use crate::ndjson::NdjsonSplitter;
use crate::sse::{ItemRef, SseParser};
use crate::text::lossy;
use crate::utf8::Utf8Stream;
use std::borrow::Cow;

/// The framings a protocol can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Server-sent events.
    Sse,
    /// One JSON value per line.
    Ndjson,
    /// JSON values: one array streamed element by element, or values one after another.
    Json,
    /// Plain text: every byte is text.
    Text,
}

/// One frame, borrowed from the framer (no allocation).
#[derive(Debug)]
pub(crate) enum FrameRef<'a> {
    /// An SSE event, comment or `retry` field.
    Item(ItemRef<'a>),
    /// An NDJSON line (not blank).
    Line(&'a str),
    /// A JSON value (an array element), as UTF-8 (invalid bytes replaced).
    Value(Cow<'a, str>),
    /// The `]` that closes a JSON array.
    Closed,
    /// Bytes that cannot continue a JSON array (the message says what was found).
    Invalid(String),
    /// Decoded plain text (never empty).
    Text(&'a str),
    /// The first bytes of a plain-text body that are not UTF-8 (replaced by U+FFFD); reported
    /// once, after the text that holds the replacement.
    InvalidUtf8,
    /// A line, event or value over the cap.
    Error(FrameError),
}

/// What the framer says at the end of the body.
#[derive(Debug, Default)]
pub(crate) struct FramerEnd {
    /// The body ended inside an SSE event or a JSON value.
    pub(crate) unterminated: bool,
    /// The unterminated final NDJSON line or JSON value, if not blank.
    pub(crate) last_line: Option<String>,
    /// The body ended inside a JSON array whose `]` never came.
    pub(crate) open_array: bool,
}

/// Whitespace sniffed before the first decisive byte is replayed up to this many bytes; the
/// rest is dropped (it carries no content in the framings that are sniffed for).
const SNIFF_CAP: usize = 64 * 1024;

/// The bytes the sniffer skips before the first decisive byte: whitespace, and the bytes of a
/// UTF-8 BOM.
fn is_held(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0xEF | 0xBB | 0xBF)
}

/// The bytes held before the framing is known.
#[derive(Debug, Default)]
pub(crate) struct Sniffer {
    held: Vec<u8>,
    /// Where the first byte that is not whitespace or a BOM byte is in `held`.
    decisive: Option<usize>,
}

impl Sniffer {
    fn feed(&mut self, bytes: &[u8]) {
        if self.decisive.is_some() {
            self.held.extend_from_slice(bytes);
            return;
        }
        match bytes.iter().position(|&b| !is_held(b)) {
            Some(at) => {
                // Leading whitespace over the cap is dropped; the rest is all kept.
                let room = SNIFF_CAP.saturating_sub(self.held.len());
                let (lead, rest) = bytes.split_at(at);
                self.held
                    .extend_from_slice(lead.get(..room.min(lead.len())).unwrap_or(&[]));
                self.decisive = Some(self.held.len());
                self.held.extend_from_slice(rest);
            }
            None => {
                let room = SNIFF_CAP.saturating_sub(self.held.len());
                self.held
                    .extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or(&[]));
            }
        }
    }

    /// The bytes from the first decisive one on (`None` before it came).
    pub(crate) fn decisive(&self) -> Option<&[u8]> {
        self.held.get(self.decisive?..)
    }
}

/// Plain text: UTF-8 decoded across chunks, a leading BOM dropped.
#[derive(Debug, Default)]
pub(crate) struct TextFramer {
    utf8: Utf8Stream,
    /// The text decoded from the bytes handed in since it was last taken (one buffer, reused).
    pending: String,
    /// `pending` was handed out as a frame: cleared at the next `recycle` or `feed`.
    lent: bool,
    /// Some text was decoded (a BOM is only dropped at the very start).
    started: bool,
    /// Invalid bytes were replaced and not reported yet.
    report_invalid: bool,
}

impl TextFramer {
    fn feed(&mut self, bytes: &[u8]) {
        self.recycle();
        let before = self.utf8.invalid_sequences();
        self.utf8.decode(bytes, &mut self.pending);
        self.after_decode(before);
    }

    fn after_decode(&mut self, invalid_before: u64) {
        if !self.started && !self.pending.is_empty() {
            self.started = true;
            if self.pending.starts_with('\u{feff}') {
                // `remove` of the one char, not `replace_range` (its splice code is ~1 KB of
                // wasm).
                self.pending.remove(0);
            }
        }
        if invalid_before == 0 && self.utf8.invalid_sequences() > 0 {
            self.report_invalid = true;
        }
    }

    fn next_frame(&mut self) -> Option<FrameRef<'_>> {
        if !self.lent && !self.pending.is_empty() {
            self.lent = true;
            return Some(FrameRef::Text(&self.pending));
        }
        if core::mem::take(&mut self.report_invalid) {
            return Some(FrameRef::InvalidUtf8);
        }
        None
    }

    fn recycle(&mut self) {
        if core::mem::take(&mut self.lent) {
            self.pending.clear();
        }
    }
}

/// Bytes -> frames, in the framing of the stream (or still sniffing for it).
#[derive(Debug)]
pub(crate) enum Framer {
    /// Waiting for the `auto` rules to decide (see [`Sniffer`]).
    Sniff(Sniffer),
    /// SSE.
    Sse(SseParser),
    /// NDJSON.
    Ndjson(NdjsonSplitter),
    /// JSON values.
    Json(JsonValuesSplitter),
    /// Plain text.
    Text(TextFramer),
}

impl Framer {
    /// A framer for `framing`. `resume_id` seeds an SSE parser's last event ID (a resumed
    /// stream); empty for a new stream.
    pub(crate) fn new(framing: Framing, max_event_bytes: usize, resume_id: &str) -> Framer {
        match framing {
            Framing::Sse if resume_id.is_empty() => {
                Framer::Sse(SseParser::with_max_event_bytes(max_event_bytes))
            }
            Framing::Sse => Framer::Sse(SseParser::with_resume_id(max_event_bytes, resume_id)),
            Framing::Ndjson => Framer::Ndjson(NdjsonSplitter::with_max_line_bytes(max_event_bytes)),
            Framing::Json => {
                Framer::Json(JsonValuesSplitter::with_max_value_bytes(max_event_bytes))
            }
            Framing::Text => Framer::Text(TextFramer::default()),
        }
    }

    /// A sniffer that has held nothing yet.
    pub(crate) fn sniffer() -> Framer {
        Framer::Sniff(Sniffer::default())
    }

    /// Whether this is a sniffer that has held no byte yet.
    pub(crate) fn is_fresh_sniffer(&self) -> bool {
        matches!(self, Framer::Sniff(s) if s.held.is_empty())
    }

    /// The sniffer, while the framing is not known.
    pub(crate) fn sniffing(&self) -> Option<&Sniffer> {
        match self {
            Framer::Sniff(s) => Some(s),
            _ => None,
        }
    }

    /// Hands in bytes (a sniffer holds them).
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        match self {
            Framer::Sse(p) => p.feed(bytes),
            Framer::Ndjson(s) => s.feed(bytes),
            Framer::Json(s) => s.feed(bytes),
            Framer::Text(t) => t.feed(bytes),
            Framer::Sniff(s) => s.feed(bytes),
        }
    }

    /// Replaces this framer by one for `framing`; a sniffer's held bytes are replayed into it.
    pub(crate) fn start(&mut self, framing: Framing, max_event_bytes: usize, resume_id: &str) {
        let held = match self {
            Framer::Sniff(s) => core::mem::take(&mut s.held),
            _ => Vec::new(),
        };
        *self = Framer::new(framing, max_event_bytes, resume_id);
        self.feed(&held);
    }

    /// The next frame, borrowed, or `None` when the framer needs bytes.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub(crate) fn next_frame_ref(&mut self) -> Option<FrameRef<'_>> {
        match self {
            Framer::Sniff(_) => None,
            Framer::Sse(p) => p.next_item().map(|item| match item {
                ItemRef::TooLarge(limit) => FrameRef::Error(FrameError::EventTooLarge { limit }),
                item => FrameRef::Item(item),
            }),
            Framer::Ndjson(s) => s.next_line_ref().map(|r| match r {
                Ok(line) => FrameRef::Line(line),
                Err(e) => FrameRef::Error(e),
            }),
            Framer::Json(s) => s.next_piece_ref().map(|p| match p {
                PieceRef::Value(v) => FrameRef::Value(lossy(v)),
                PieceRef::Closed => FrameRef::Closed,
                PieceRef::Invalid(m) => FrameRef::Invalid(m),
                PieceRef::TooLarge(e) => FrameRef::Error(e),
            }),
            Framer::Text(t) => t.next_frame(),
        }
    }

    /// After a frame was decoded: once every queued frame was taken, frees what held them.
    pub(crate) fn recycle(&mut self) {
        match self {
            Framer::Sse(p) => p.recycle(),
            Framer::Ndjson(s) => s.recycle(),
            Framer::Json(s) => s.recycle(),
            Framer::Text(t) => t.recycle(),
            Framer::Sniff(_) => {}
        }
    }

    /// The end of the body.
    pub(crate) fn finish(&mut self) -> FramerEnd {
        match self {
            Framer::Sniff(_) => FramerEnd::default(),
            Framer::Sse(p) => FramerEnd {
                unterminated: p.finish().unterminated,
                ..FramerEnd::default()
            },
            Framer::Ndjson(s) => FramerEnd {
                last_line: s.finish(),
                ..FramerEnd::default()
            },
            Framer::Json(s) => {
                let end = s.finish();
                FramerEnd {
                    unterminated: end.inside_value,
                    last_line: end.last,
                    open_array: end.open_array,
                }
            }
            Framer::Text(t) => {
                // A code point still held becomes U+FFFD: take it with `next_frame_ref`.
                t.recycle();
                let before = t.utf8.invalid_sequences();
                t.utf8.finish(&mut t.pending);
                t.after_decode(before);
                FramerEnd::default()
            }
        }
    }

    /// What a frame is called in a `truncated` message (`line`, `event`, `JSON value`).
    pub(crate) fn frame_name(&self) -> &'static str {
        match self {
            Framer::Ndjson(_) => "line",
            Framer::Json(_) => "JSON value",
            Framer::Sniff(_) | Framer::Sse(_) | Framer::Text(_) => "event",
        }
    }

    /// The SSE parser, once the framing is SSE.
    pub(crate) fn sse(&self) -> Option<&SseParser> {
        match self {
            Framer::Sse(p) => Some(p),
            _ => None,
        }
    }
}
