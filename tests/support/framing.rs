//! Runners for the framers: feed chunks to the SSE parser or the NDJSON splitter, drain after
//! every feed, finish, and return everything they reported.

use streamguard::error::FrameError;
use streamguard::ndjson::NdjsonSplitter;
use streamguard::sse::{Eof, Item, SseParser};

/// Everything the SSE parser reported for one chunking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseRun {
    /// Items in the order `next_event` returned them.
    pub items: Vec<Result<Item, FrameError>>,
    /// What `finish` said.
    pub eof: Eof,
    /// `bytes_examined` after the run.
    pub examined: u64,
}

/// Feeds `chunks` to a parser with cap `max`, draining after every feed, then finishes.
pub fn run_sse(max: usize, chunks: &[&[u8]]) -> SseRun {
    let mut p = SseParser::with_max_event_bytes(max);
    let mut items = Vec::new();
    for c in chunks {
        p.feed(c);
        while let Some(i) = p.next_event() {
            items.push(i);
        }
    }
    let eof = p.finish();
    while let Some(i) = p.next_event() {
        items.push(i);
    }
    SseRun {
        items,
        eof,
        examined: p.bytes_examined(),
    }
}

/// Everything the NDJSON splitter reported for one chunking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NdjsonRun {
    /// Lines in the order `next_line` returned them.
    pub lines: Vec<Result<String, FrameError>>,
    /// What `finish` returned.
    pub tail: Option<String>,
    /// `bytes_examined` after the run.
    pub examined: u64,
}

/// Feeds `chunks` to a splitter with cap `max`, draining after every feed, then finishes.
pub fn run_ndjson(max: usize, chunks: &[&[u8]]) -> NdjsonRun {
    let mut s = NdjsonSplitter::with_max_line_bytes(max);
    let mut lines = Vec::new();
    for c in chunks {
        s.feed(c);
        while let Some(l) = s.next_line() {
            lines.push(l);
        }
    }
    let tail = s.finish();
    while let Some(l) = s.next_line() {
        lines.push(l);
    }
    NdjsonRun {
        lines,
        tail,
        examined: s.bytes_examined(),
    }
}
