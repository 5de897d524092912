//! Event boundaries in a streamed body, found incrementally, so that SSE-aware faults (stall
//! after N events, drop the terminator, line endings) can work on a live upstream.
//!
//! An unfinished event is held back until its boundary comes, but never more than
//! [`MAX_PENDING`] bytes of it: past that (an upstream that never ends its line) the held
//! bytes go out as they are (`Tag::Raw`), so memory stays bounded.

use bytes::{Bytes, BytesMut};

use crate::plan::Tag;

/// The most bytes of an unfinished event held back (above the core's 8 MiB event cap, so
/// every event a client accepts keeps its boundary).
pub(crate) const MAX_PENDING: usize = 16 * 1024 * 1024;

/// How the body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Server-sent events: an event ends with a blank line (any of CRLF, CR, LF).
    Sse,
    /// One JSON object per LF-terminated line (Ollama).
    Ndjson,
    /// No boundaries: every chunk is forwarded as it came.
    Raw,
}

impl Mode {
    /// From the response's Content-Type.
    pub(crate) fn from_content_type(ct: Option<&str>) -> Mode {
        let ct = ct.unwrap_or("").to_ascii_lowercase();
        if ct.starts_with("text/event-stream") {
            Mode::Sse
        } else if ct.contains("ndjson") || ct.contains("jsonl") {
            Mode::Ndjson
        } else {
            Mode::Raw
        }
    }
}

/// The incremental splitter.
#[derive(Debug)]
pub(crate) struct Splitter {
    mode: Mode,
    buf: BytesMut,
    /// Where the line search resumes: the start of the unfinished line, so that a long line
    /// arriving in small chunks is scanned once, not once per chunk.
    line_start: usize,
    /// How far the buffer was scanned for a line terminator.
    scanned: usize,
}

impl Splitter {
    pub(crate) fn new(mode: Mode) -> Splitter {
        Splitter {
            mode,
            buf: BytesMut::new(),
            line_start: 0,
            scanned: 0,
        }
    }

    /// Feeds a chunk; returns every write that is complete now.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<(Bytes, Tag)> {
        if self.mode == Mode::Raw {
            return if chunk.is_empty() {
                Vec::new()
            } else {
                vec![(Bytes::copy_from_slice(chunk), Tag::Raw)]
            };
        }
        self.buf.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some((end, next)) = self.next_line_end() {
            let blank = end == self.line_start;
            self.line_start = next;
            self.scanned = next;
            let boundary = match self.mode {
                Mode::Ndjson => true,
                _ => blank,
            };
            if boundary {
                let bytes = self.buf.split_to(next).freeze();
                self.line_start = 0;
                self.scanned = 0;
                let tag = classify(self.mode, &bytes);
                out.push((bytes, tag));
            }
        }
        if self.buf.len() > MAX_PENDING {
            self.line_start = 0;
            self.scanned = 0;
            out.push((self.buf.split().freeze(), Tag::Raw));
        }
        out
    }

    /// Whether the held-back bytes end in a blank line made of a CR (`\r\r` or `\n\r`):
    /// the event is complete unless an LF follows (then the CR was half of a CRLF).
    pub(crate) fn tail_ends_with_cr_blank(&self) -> bool {
        self.buf.ends_with(b"\r\r") || self.buf.ends_with(b"\n\r")
    }

    /// Bytes of an unfinished event held back.
    pub(crate) fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The bytes of an unfinished event at the end of the body.
    pub(crate) fn finish(&mut self) -> Option<(Bytes, Tag)> {
        if self.buf.is_empty() {
            return None;
        }
        self.line_start = 0;
        self.scanned = 0;
        Some((self.buf.split().freeze(), Tag::Raw))
    }

    /// The next line terminator after `scanned`: (end of the line's content, start of the
    /// next line). A CR as the last buffered byte waits for the next chunk (it may be a CRLF).
    fn next_line_end(&mut self) -> Option<(usize, usize)> {
        let b = &self.buf[..];
        let mut i = self.scanned;
        while i < b.len() {
            match b[i] {
                b'\n' => return Some((i, i + 1)),
                b'\r' if self.mode == Mode::Sse => {
                    if i + 1 == b.len() {
                        self.scanned = i;
                        return None;
                    }
                    let next = if b[i + 1] == b'\n' { i + 2 } else { i + 1 };
                    return Some((i, next));
                }
                _ => i += 1,
            }
        }
        self.scanned = b.len();
        None
    }
}

/// What a complete event is.
fn classify(mode: Mode, bytes: &[u8]) -> Tag {
    let text = String::from_utf8_lossy(bytes);
    match mode {
        Mode::Ndjson => {
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            if compact.is_empty() {
                Tag::Comment
            } else if compact.contains("\"done\":true") {
                Tag::Terminator
            } else {
                Tag::Event
            }
        }
        _ => {
            let lines: Vec<&str> = text.split(['\r', '\n']).filter(|l| !l.is_empty()).collect();
            if lines.iter().all(|l| l.starts_with(':')) {
                return Tag::Comment;
            }
            let field = |name: &str| {
                lines.iter().find_map(|l| {
                    l.strip_prefix(name)
                        .and_then(|r| r.strip_prefix(':'))
                        .map(|v| v.strip_prefix(' ').unwrap_or(v))
                })
            };
            let terminator = field("data") == Some("[DONE]")
                || matches!(
                    field("event"),
                    Some("message_stop") | Some("response.completed")
                );
            if terminator {
                Tag::Terminator
            } else {
                Tag::Event
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(mode: Mode, input: &[u8], step: usize) -> Vec<(Vec<u8>, Tag)> {
        let mut s = Splitter::new(mode);
        let mut out = Vec::new();
        for c in input.chunks(step) {
            out.extend(s.push(c).into_iter().map(|(b, t)| (b.to_vec(), t)));
        }
        out.extend(s.finish().map(|(b, t)| (b.to_vec(), t)));
        out
    }

    #[test]
    fn sse_events_at_every_chunking() {
        let input = b": ping\n\ndata: {\"a\":1}\r\n\r\nevent: x\rdata: y\r\rdata: [DONE]\n\ntail";
        let want = vec![
            (b": ping\n\n".to_vec(), Tag::Comment),
            (b"data: {\"a\":1}\r\n\r\n".to_vec(), Tag::Event),
            (b"event: x\rdata: y\r\r".to_vec(), Tag::Event),
            (b"data: [DONE]\n\n".to_vec(), Tag::Terminator),
            (b"tail".to_vec(), Tag::Raw),
        ];
        for step in 1..=input.len() {
            assert_eq!(all(Mode::Sse, input, step), want, "step {step}");
        }
    }

    #[test]
    fn ndjson_lines_and_anthropic_stop() {
        let input = b"{\"message\":{}}\n{\"done\": true}\n";
        let out = all(Mode::Ndjson, input, 3);
        assert_eq!(out[0].1, Tag::Event);
        assert_eq!(out[1].1, Tag::Terminator);
        let out = all(Mode::Sse, b"event: message_stop\ndata: {}\n\n", 5);
        assert_eq!(out[0].1, Tag::Terminator);
    }

    #[test]
    fn an_endless_event_is_not_held_back_forever() {
        let mut s = Splitter::new(Mode::Sse);
        let chunk = vec![b'a'; 1024 * 1024];
        let mut out = 0;
        for _ in 0..20 {
            out += s.push(&chunk).iter().map(|(b, _)| b.len()).sum::<usize>();
            assert!(s.pending() <= MAX_PENDING);
        }
        assert_eq!(out + s.pending(), 20 * chunk.len());
        assert!(out > 0);
    }

    #[test]
    fn raw_passes_chunks_through() {
        let mut s = Splitter::new(Mode::Raw);
        assert_eq!(
            s.push(b"data: {"),
            vec![(Bytes::from_static(b"data: {"), Tag::Raw)]
        );
        assert!(s.finish().is_none());
    }
}
