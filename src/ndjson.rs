//! NDJSON line framing with the same push shape as the SSE parser.
//!
//! CONTRACT (issue 2): `NdjsonSplitter::new()`, `with_max_line_bytes(n)`, `feed(&[u8])` (never
//! fails), `next_line() -> Option<Result<String, FrameError>>` (LF-terminated, CRLF tolerated,
//! blank lines skipped, UTF-8 decoded with U+FFFD replacement), `finish() -> Option<String>`
//! (the unterminated final fragment, if not blank), `bytes_examined() -> u64`.

use crate::error::FrameError;

/// The splitter. (Stub until issue 2 lands.)
#[derive(Debug, Default)]
pub struct NdjsonSplitter {
    _private: (),
}

impl NdjsonSplitter {
    /// A splitter with the default cap ([`crate::sse::DEFAULT_MAX_EVENT_BYTES`]).
    pub fn new() -> Self {
        Self::default()
    }
    /// A splitter with a cap on line size.
    pub fn with_max_line_bytes(_max: usize) -> Self {
        Self::default()
    }
    /// Hands in the next chunk.
    pub fn feed(&mut self, _bytes: &[u8]) {}
    /// The next complete line, or `None` when more bytes are needed.
    pub fn next_line(&mut self) -> Option<Result<String, FrameError>> {
        None
    }
    /// Ends the stream; returns the unterminated final fragment if it is not blank.
    pub fn finish(&mut self) -> Option<String> {
        None
    }
    /// Bytes examined by the line search so far.
    pub fn bytes_examined(&self) -> u64 {
        0
    }
}
