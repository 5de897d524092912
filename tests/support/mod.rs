//! Shared test helpers. Each `tests/*.rs` binary includes this with `mod support;`, and not
//! every binary uses every helper, hence the `dead_code` allowance.
//!
//! Sections: chunking helpers (any byte stream), then framing runners (SSE parser, NDJSON
//! splitter). Append new sections at the end; keep helpers generic and documented.
#![allow(dead_code)]

use streamguard::error::FrameError;
use streamguard::ndjson::NdjsonSplitter;
use streamguard::sse::{Eof, Item, SseParser};

// ---------------------------------------------------------------------------------------------
// Chunking helpers
// ---------------------------------------------------------------------------------------------

/// `bytes` cut into chunks of `n` bytes (the last one may be shorter). `n == 0` is treated as 1.
pub fn split_every(bytes: &[u8], n: usize) -> Vec<&[u8]> {
    bytes.chunks(n.max(1)).collect()
}

/// `bytes` one byte per chunk.
pub fn one_byte_at_a_time(bytes: &[u8]) -> Vec<&[u8]> {
    split_every(bytes, 1)
}

/// Every way of cutting `bytes` into two chunks, including an empty first or last chunk
/// (`len + 1` chunkings).
pub fn all_two_way_splits(bytes: &[u8]) -> impl Iterator<Item = [&[u8]; 2]> + '_ {
    (0..=bytes.len()).map(move |i| {
        let (a, b) = bytes.split_at(i);
        [a, b]
    })
}

/// A tiny deterministic RNG (SplitMix64), so the core's tests need no `rand` dependency and a
/// failing seed replays exactly.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n == 0` gives 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// `bytes` cut at random points chosen by `seed`; chunk sizes are in `0..=max_chunk` (empty
/// chunks included on purpose: a host may hand in an empty read).
pub fn seeded_random_splits(bytes: &[u8], seed: u64, max_chunk: usize) -> Vec<&[u8]> {
    let mut rng = SplitMix64(seed);
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = rng.below(max_chunk.max(1) + 1).min(rest.len());
        let (a, b) = rest.split_at(n);
        out.push(a);
        rest = b;
    }
    out
}

/// The standard set of chunkings every framing test runs: whole, every two-way split, one byte
/// at a time, fixed sizes 2, 3, 7, 64, and a few seeded random splits. Each entry has a label
/// for failure messages.
pub fn standard_chunkings(bytes: &[u8]) -> Vec<(String, Vec<&[u8]>)> {
    let mut out = vec![("whole".to_string(), vec![bytes])];
    for (i, [a, b]) in all_two_way_splits(bytes).enumerate() {
        out.push((format!("split at {i}"), vec![a, b]));
    }
    out.push(("one byte at a time".to_string(), one_byte_at_a_time(bytes)));
    for n in [2, 3, 7, 64] {
        out.push((format!("every {n}"), split_every(bytes, n)));
    }
    for seed in 0..4u64 {
        out.push((
            format!("random seed {seed}"),
            seeded_random_splits(bytes, seed, 9),
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Framing runners
// ---------------------------------------------------------------------------------------------

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
