//! NDJSON line framing with the same push shape as the SSE parser.
//!
//! [`NdjsonSplitter::new`], [`NdjsonSplitter::with_max_line_bytes`], `feed(&[u8])` (never
//! fails), `next_line() -> Option<Result<String, FrameError>>` (LF-terminated, CRLF tolerated,
//! blank lines skipped, UTF-8 decoded with U+FFFD replacement), `finish() -> Option<String>`
//! (the unterminated final fragment, if not blank), `bytes_examined() -> u64`.
//!
//! Details:
//! - Only LF ends a line; one CR right before the LF is removed. A lone CR elsewhere is data.
//! - A line is blank when it holds only JSON whitespace (space, tab, CR); blank lines are
//!   skipped. Other lines are returned as they are (no trimming), for the JSON decoder.
//! - A leading BOM is not removed (NDJSON has none; the JSON decoder reports it).
//! - Cap: when a line grows over the cap, `next_line` yields `Err(FrameError::EventTooLarge)`
//!   once, at the moment the cap is crossed; the rest of that line is dropped without being
//!   buffered and splitting continues after its LF. If the stream ends while such a line is
//!   being dropped, `finish` returns `None` (the error was already reported); an over-cap
//!   final fragment is queued as the error (take it with `next_line`) and `finish` returns
//!   `None`.
//! - `feed` after `finish` is ignored.

use crate::fifo::Fifo;
use std::ops::Range;

use crate::error::FrameError;
use crate::lines::{Line, LineEnding, LineSplitter};
use crate::text::{forget, lossy, KEEP};

/// The splitter.
#[derive(Debug)]
pub struct NdjsonSplitter {
    lines: LineSplitter,
    max: usize,
    /// Lines split but not yet taken by `next_line`: ranges of `store`, where they sit back to
    /// back (no allocation per line; the buffer is reused from chunk to chunk), or (`None`)
    /// the one line in `large`.
    queue: Fifo<Result<Option<Range<usize>>, FrameError>>,
    store: String,
    /// One queued line longer than [`KEEP`], in a buffer of its own (so no buffer holding
    /// a huge line grows to take the next one).
    large: String,
    /// `large` holds a queued line.
    large_used: bool,
    /// `finish` was called; a late `feed` is ignored.
    finished: bool,
}

impl Default for NdjsonSplitter {
    fn default() -> Self {
        Self::new()
    }
}

/// JSON whitespace only (RFC 8259 `ws`, minus LF which cannot occur inside a line).
fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
}

impl NdjsonSplitter {
    /// A splitter with the default cap ([`crate::sse::DEFAULT_MAX_EVENT_BYTES`]).
    pub fn new() -> Self {
        Self::with_max_line_bytes(crate::sse::DEFAULT_MAX_EVENT_BYTES)
    }

    /// A splitter with a cap on line size.
    pub fn with_max_line_bytes(max: usize) -> Self {
        NdjsonSplitter {
            lines: LineSplitter::new(LineEnding::Lf, max),
            max,
            queue: Fifo::default(),
            store: String::new(),
            large: String::new(),
            large_used: false,
            finished: false,
        }
    }

    /// Hands in the next chunk.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.finished {
            return;
        }
        self.recycle();
        let queue = &mut self.queue;
        let store = &mut self.store;
        let large = &mut self.large;
        let large_used = &mut self.large_used;
        let limit = self.max;
        self.lines.feed(bytes, |line| match line {
            Line::Complete(raw) => {
                if is_blank(raw) {
                } else if raw.len() > KEEP && !*large_used {
                    *large_used = true;
                    large.push_str(&lossy(raw));
                    queue.push_back(Ok(None));
                } else {
                    let start = store.len();
                    store.push_str(&lossy(raw));
                    queue.push_back(Ok(Some(start..store.len())));
                }
            }
            Line::TooLong => queue.push_back(Err(FrameError::EventTooLarge { limit })),
        });
    }

    /// The next complete line, or `None` when more bytes are needed.
    pub fn next_line(&mut self) -> Option<Result<String, FrameError>> {
        self.next_line_ref().map(|r| r.map(str::to_owned))
    }

    /// Once every line was taken, forgets them (keeping a small buffer).
    pub(crate) fn recycle(&mut self) {
        if self.queue.is_empty() {
            forget(&mut self.store);
            self.large = String::new();
            self.large_used = false;
        }
    }

    /// The next complete line, borrowed from the splitter (no allocation).
    pub(crate) fn next_line_ref(&mut self) -> Option<Result<&str, FrameError>> {
        Some(match self.queue.pop_front()? {
            Ok(Some(range)) => Ok(self.store.get(range).unwrap_or_default()),
            Ok(None) => Ok(self.large.as_str()),
            Err(e) => Err(e),
        })
    }

    /// Ends the stream; returns the unterminated final fragment if it is not blank. Queued
    /// lines can still be taken with `next_line`. A second call returns `None`.
    pub fn finish(&mut self) -> Option<String> {
        if self.finished {
            return None;
        }
        self.finished = true;
        if self.lines.is_discarding() {
            let _ = self.lines.take_partial();
            return None;
        }
        let raw = self.lines.take_partial();
        // A CR at the very end is the first half of a CRLF that never completed; drop it like
        // a complete line's CR.
        let raw = match raw.split_last() {
            Some((&b'\r', head)) => head,
            _ => &raw[..],
        };
        if is_blank(raw) {
            None
        } else if raw.len() > self.max {
            // Only possible for a fragment of exactly cap + 1 bytes (one byte was kept in case
            // it was the CR of a CRLF): report it like any over-cap line.
            self.queue
                .push_back(Err(FrameError::EventTooLarge { limit: self.max }));
            None
        } else {
            Some(lossy(raw).into_owned())
        }
    }

    /// Bytes examined by the line search so far.
    pub fn bytes_examined(&self) -> u64 {
        self.lines.bytes_examined()
    }
}
