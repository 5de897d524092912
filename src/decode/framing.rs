//! How body bytes become frames, before any provider reads them.
//!
//! A [`Framer`] is one of:
//! - `Sniff`: `auto` before the framing is known. It holds the leading whitespace and BOM
//!   bytes and reports the first other byte; the `auto` rules turn that byte into a
//!   [`Framing`], and [`Framer::start`] replays the held bytes into the new framer.
//! - `Sse`: the SSE parser; its frames are [`Item`](crate::sse::Item)s (events, comments, `retry`).
//! - `Ndjson`: the NDJSON splitter; its frames are lines.
//!
//! Every framer has the same push shape: `feed`, then `next_frame_ref` until `None`, and `finish`
//! at the end of the body. A new framing (a plain-text passthrough where every byte is text, a
//! JSON array streamed element by element) is a [`Framing`] variant, a `Framer` variant with
//! that shape, and a [`FrameRef`] variant when its frames are of a new kind.

use crate::error::FrameError;
use crate::ndjson::NdjsonSplitter;
use crate::sse::{ItemRef, SseParser};

/// The framings a protocol can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// Server-sent events.
    Sse,
    /// One JSON value per line.
    Ndjson,
}

/// One frame, borrowed from the framer (no allocation).
#[derive(Debug)]
pub(crate) enum FrameRef<'a> {
    /// An SSE event, comment or `retry` field.
    Item(ItemRef<'a>),
    /// An NDJSON line (not blank).
    Line(&'a str),
    /// A line or event over the cap.
    Error(FrameError),
}

/// What the framer says at the end of the body.
#[derive(Debug, Default)]
pub(crate) struct FramerEnd {
    /// The body ended inside an SSE event.
    pub(crate) unterminated: bool,
    /// The unterminated final NDJSON line, if not blank.
    pub(crate) last_line: Option<String>,
}

/// Whitespace sniffed before the first decisive byte is replayed up to this many bytes; the
/// rest is dropped (it carries no content in either framing).
const SNIFF_CAP: usize = 64 * 1024;

/// The bytes the sniffer holds back: whitespace, and the bytes of a UTF-8 BOM.
fn is_held(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0xEF | 0xBB | 0xBF)
}

/// Bytes -> frames, in the framing of the stream (or still sniffing for it).
#[derive(Debug)]
pub(crate) enum Framer {
    /// Waiting for the first byte that is not whitespace or a BOM. Holds the skipped bytes
    /// (capped) to replay them to the framer chosen.
    Sniff(Vec<u8>),
    /// SSE.
    Sse(SseParser),
    /// NDJSON.
    Ndjson(NdjsonSplitter),
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
        }
    }

    /// Whether this is a sniffer that has held no byte yet.
    pub(crate) fn is_fresh_sniffer(&self) -> bool {
        matches!(self, Framer::Sniff(held) if held.is_empty())
    }

    /// Hands in bytes. A sniffer returns the first byte that is not whitespace or a BOM,
    /// without taking `bytes`: the caller then calls [`Framer::start`] and feeds `bytes` again.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Option<u8> {
        match self {
            Framer::Sse(p) => p.feed(bytes),
            Framer::Ndjson(s) => s.feed(bytes),
            Framer::Sniff(held) => {
                if let Some(&first) = bytes.iter().find(|&&b| !is_held(b)) {
                    return Some(first);
                }
                let room = SNIFF_CAP.saturating_sub(held.len());
                held.extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or(&[]));
            }
        }
        None
    }

    /// Replaces this framer by one for `framing`; a sniffer's held bytes are replayed into it.
    pub(crate) fn start(&mut self, framing: Framing, max_event_bytes: usize, resume_id: &str) {
        let held = match self {
            Framer::Sniff(held) => core::mem::take(held),
            _ => Vec::new(),
        };
        *self = Framer::new(framing, max_event_bytes, resume_id);
        self.feed(&held);
    }

    /// The next frame, borrowed, or `None` when the framer needs bytes.
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
        }
    }

    /// After a frame was decoded: once every queued frame was taken, frees what held them.
    pub(crate) fn recycle(&mut self) {
        match self {
            Framer::Sse(p) => p.recycle(),
            Framer::Ndjson(s) => s.recycle(),
            Framer::Sniff(_) => {}
        }
    }

    /// The end of the body.
    pub(crate) fn finish(&mut self) -> FramerEnd {
        match self {
            Framer::Sniff(_) => FramerEnd::default(),
            Framer::Sse(p) => FramerEnd {
                unterminated: p.finish().unterminated,
                last_line: None,
            },
            Framer::Ndjson(s) => FramerEnd {
                unterminated: false,
                last_line: s.finish(),
            },
        }
    }

    /// What a frame is called in a `truncated` message (`line` or `event`).
    pub(crate) fn frame_name(&self) -> &'static str {
        match self {
            Framer::Ndjson(_) => "line",
            Framer::Sniff(_) | Framer::Sse(_) => "event",
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
