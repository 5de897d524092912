//! Bytes -> lines: the line search shared by the SSE parser and the NDJSON splitter.
//!
//! Works on raw bytes. CR and LF are ASCII and never occur inside a multi-byte UTF-8 sequence,
//! so splitting before decoding cannot break a code point, however the bytes were chunked.
//!
//! Linear time: every input byte is looked at by the search exactly once. The unfinished line
//! is kept in `partial`, and the search only ever runs over the *new* chunk (this plays the role
//! of tokio-util `LinesCodec::next_index`: everything in `partial` is known to contain no line
//! end, so it is never rescanned). [`LineSplitter::bytes_examined`] counts the bytes searched so
//! a test can prove it without a timer.

use crate::text::grow_bytes;

/// Which bytes end a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineEnding {
    /// SSE: CRLF, LF or a lone CR (WHATWG "end-of-line").
    CrLfOrCr,
    /// NDJSON: LF only; one CR right before the LF is removed from the line.
    Lf,
}

/// One result of the line search.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// A complete line, without its line end.
    Complete(&'a [u8]),
    /// A line grew over the cap. Reported once per line; the rest of that line is discarded
    /// without being buffered, and splitting resumes after its line end.
    TooLong,
}

/// What [`LineSplitter::feed_owned`] hands over: a line inside one chunk (or an over-cap
/// report), or a complete line joined from several chunks, in the buffer that holds exactly
/// its bytes (line end removed), to take (`core::mem::take`) or read.
#[derive(Debug)]
pub(crate) enum Got<'a> {
    Line(Line<'a>),
    Joined(&'a mut Vec<u8>),
}

/// The bytes -> lines state machine.
#[derive(Debug)]
pub(crate) struct LineSplitter {
    ending: LineEnding,
    max: usize,
    /// The unfinished line (bytes after the last line end). Exists for lines split across
    /// chunks; it never contains a line end, so it is never searched again.
    partial: Vec<u8>,
    /// The start of a long unfinished line in blocks of [`BLOCK`] bytes (`partial` holds the
    /// rest), joined once at its end into a buffer of its exact size. One growing buffer copies
    /// the line at each step, and in the wasm memory every larger copy landed above the ones
    /// freed before it (the memory grew by ~3x the line for one 4 MiB line).
    blocks: Vec<Vec<u8>>,
    /// Bytes in `blocks`.
    blocks_len: usize,
    /// The previous chunk ended with a CR (SSE mode): an LF at the start of the next chunk
    /// belongs to that CR and is skipped, so CR | LF across a chunk boundary is ONE line end.
    skip_lf: bool,
    /// A line went over the cap and was reported; drop bytes until its line end. Exists so a
    /// huge line arriving over many chunks is reported once and never buffered.
    discarding: bool,
    /// Bytes the line search looked at (linear-time proof).
    examined: u64,
}

impl LineSplitter {
    pub(crate) fn new(ending: LineEnding, max: usize) -> Self {
        LineSplitter {
            ending,
            max,
            partial: Vec::new(),
            blocks: Vec::new(),
            blocks_len: 0,
            skip_lf: false,
            discarding: false,
            examined: 0,
        }
    }

    /// Bytes the line search has looked at so far.
    pub(crate) fn bytes_examined(&self) -> u64 {
        self.examined
    }

    /// True when bytes after the last line end are pending (an incomplete line, buffered or
    /// being discarded).
    pub(crate) fn has_partial(&self) -> bool {
        !self.partial.is_empty() || !self.blocks.is_empty() || self.discarding
    }

    /// True while the rest of an over-cap line is being dropped.
    pub(crate) fn is_discarding(&self) -> bool {
        self.discarding
    }

    /// The pending incomplete line, for `finish()`. Empties the buffer.
    pub(crate) fn take_partial(&mut self) -> Vec<u8> {
        self.discarding = false;
        self.skip_lf = false;
        self.join(&[])
    }

    /// The bytes of the unfinished line kept so far (blocks and `partial`).
    fn pending_len(&self) -> usize {
        self.blocks_len + self.partial.len() // both at most the cap
    }

    /// Keeps `input` (no line end in it) as the next bytes of the unfinished line.
    fn keep(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            if self.partial.len() >= BLOCK {
                if self.blocks.capacity() == 0 {
                    // Room for a line of the cap: the list never moves (a small block left
                    // live between the blocks would split the gap they leave when freed).
                    self.blocks = Vec::with_capacity(self.max / BLOCK + 2);
                }
                let full = core::mem::replace(&mut self.partial, Vec::with_capacity(BLOCK));
                self.blocks_len = self.blocks_len.saturating_add(full.len());
                self.blocks.push(full);
            }
            let room = BLOCK.saturating_sub(self.partial.len());
            let (now, rest) = input.split_at(room.min(input.len()));
            grow_bytes(&mut self.partial, now.len());
            self.partial.extend_from_slice(now);
            input = rest;
        }
    }

    /// The unfinished line followed by `tail` in one buffer (of exactly that size for a line
    /// of several blocks; a line of one block is its buffer, grown), emptying the line kept.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn join(&mut self, tail: &[u8]) -> Vec<u8> {
        if self.blocks.is_empty() {
            let mut joined = core::mem::take(&mut self.partial);
            grow_bytes(&mut joined, tail.len());
            joined.extend_from_slice(tail);
            return joined;
        }
        let total = self.pending_len().saturating_add(tail.len());
        let mut joined = Vec::with_capacity(total);
        for block in core::mem::take(&mut self.blocks) {
            joined.extend_from_slice(&block);
        }
        self.blocks_len = 0;
        joined.extend_from_slice(&self.partial);
        // Freed with the blocks (it lies right after them), to leave one gap.
        self.partial = Vec::new();
        joined.extend_from_slice(tail);
        joined
    }

    /// Index of the first line-end byte in `hay`, counting the bytes examined.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn find_end(&mut self, hay: &[u8]) -> Option<usize> {
        let found = find_line_end(hay, self.ending == LineEnding::CrLfOrCr);
        let looked = match found {
            Some(i) => i.saturating_add(1),
            None => hay.len(),
        };
        self.examined = self.examined.saturating_add(looked as u64);
        found
    }

    /// The cap for bytes still waiting for their line end. In LF mode one trailing CR may
    /// still be removed, so allow one extra byte there.
    fn partial_cap(&self) -> usize {
        match self.ending {
            LineEnding::CrLfOrCr => self.max,
            LineEnding::Lf => self.max.saturating_add(1),
        }
    }

    /// Splits `input`, calling `on_line` for each complete line (or over-cap report) in order.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub(crate) fn feed(&mut self, input: &[u8], mut on_line: impl FnMut(Line<'_>)) {
        self.feed_owned(input, |got| {
            on_line(match got {
                Got::Line(line) => line,
                Got::Joined(buf) => Line::Complete(buf),
            })
        });
    }

    /// [`LineSplitter::feed`], handing a line joined from several chunks over in its buffer
    /// ([`Got::Joined`]), which the consumer may take instead of copying the line (a second
    /// buffer of a long line's size).
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub(crate) fn feed_owned(&mut self, mut input: &[u8], mut on_line: impl FnMut(Got<'_>)) {
        loop {
            if self.skip_lf {
                // WHATWG: "end-of-line = ( cr lf / cr / lf )" -- a CR that ended the last chunk
                // followed by an LF at the start of this one is a single CRLF.
                match input.split_first() {
                    None => return,
                    Some((&first, rest)) => {
                        self.skip_lf = false;
                        if first == b'\n' {
                            self.examined = self.examined.saturating_add(1);
                            input = rest;
                        }
                    }
                }
            }
            if input.is_empty() {
                return;
            }
            let found = self.find_end(input);
            if self.discarding {
                match found {
                    None => return, // dropped, never buffered
                    Some(i) => {
                        self.discarding = false;
                        input = self.after_end(input, i);
                        continue;
                    }
                }
            }
            match found {
                None => {
                    if self.pending_len().saturating_add(input.len()) > self.partial_cap() {
                        // Free the memory, not just the length.
                        (self.partial, self.blocks, self.blocks_len) = (Vec::new(), Vec::new(), 0);
                        self.discarding = true;
                        on_line(Got::Line(Line::TooLong));
                    } else {
                        self.keep(input);
                    }
                    return;
                }
                Some(i) => {
                    let head = input.get(..i).unwrap_or_default();
                    let rest = self.after_end(input, i);
                    if self.pending_len() == 0 {
                        // Zero-copy: the whole line is inside this chunk.
                        let line = self.strip_cr(head);
                        if line.len() > self.max {
                            on_line(Got::Line(Line::TooLong));
                        } else {
                            on_line(Got::Line(Line::Complete(line)));
                        }
                    } else {
                        let mut joined = self.join(head);
                        let cut = self.strip_cr(&joined).len();
                        joined.truncate(cut);
                        if joined.len() > self.max {
                            on_line(Got::Line(Line::TooLong));
                        } else {
                            on_line(Got::Joined(&mut joined));
                        }
                        // Keep the allocation for the next split line, unless it is large.
                        joined.clear();
                        if joined.capacity() <= 64 * 1024 {
                            self.partial = joined;
                        }
                    }
                    input = rest;
                }
            }
        }
    }

    /// The input after the line end at `i`; sets `skip_lf` for a CR that ends the chunk.
    fn after_end<'a>(&mut self, input: &'a [u8], i: usize) -> &'a [u8] {
        let rest = input.get(i.saturating_add(1)..).unwrap_or_default();
        if input.get(i) == Some(&b'\r') {
            match rest.split_first() {
                Some((&b'\n', after_lf)) => {
                    self.examined = self.examined.saturating_add(1);
                    return after_lf;
                }
                Some(_) => {}
                // The CR is the chunk's last byte: its LF, if any, comes with the next chunk.
                None => self.skip_lf = true,
            }
        }
        rest
    }

    /// In LF mode, removes one CR right before the LF.
    fn strip_cr<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        match (self.ending, line.split_last()) {
            (LineEnding::Lf, Some((&b'\r', head))) => head,
            _ => line,
        }
    }
}

/// The block size of a long unfinished line (see `LineSplitter::blocks`): a 64 KiB wasm page
/// less room for the allocator's own words, so that blocks tile the memory (a block of exactly
/// 64 KiB takes two pages in talc, and the memory grew by twice the line).
const BLOCK: usize = 64 * 1024 - 64;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bytes of `v` equal to `b`, as their high bit (exact for the lowest one).
#[inline(always)]
pub(crate) fn eq_bytes(v: u64, b: u8) -> u64 {
    let x = v ^ (LO * u64::from(b));
    x.wrapping_sub(LO) & !x & HI
}

/// The eight bytes of `b` at `i` as a little-endian word, if there are eight.
#[inline(always)]
pub(crate) fn word(b: &[u8], i: usize) -> Option<u64> {
    let w = b.get(i..i.checked_add(8)?)?;
    <[u8; 8]>::try_from(w).ok().map(u64::from_le_bytes)
}

/// The index of the first LF (and, with `cr`, CR) in `hay`: eight bytes at a time.
fn find_line_end(hay: &[u8], cr: bool) -> Option<usize> {
    let mut i = 0;
    while let Some(v) = word(hay, i) {
        let mut hits = eq_bytes(v, b'\n');
        if cr {
            hits |= eq_bytes(v, b'\r');
        }
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = hay.get(i..).unwrap_or_default();
    rest.iter()
        .position(|&b| b == b'\n' || (cr && b == b'\r'))
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(ending: LineEnding, max: usize, chunks: &[&[u8]]) -> Vec<Option<Vec<u8>>> {
        let mut s = LineSplitter::new(ending, max);
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c, |l| {
                out.push(match l {
                    Line::Complete(b) => Some(b.to_vec()),
                    Line::TooLong => None,
                })
            });
        }
        out
    }

    #[test]
    fn word_search_finds_the_first_line_end() {
        for len in 0..40 {
            for at in 0..len {
                for (end, cr) in [(b'\n', false), (b'\n', true), (b'\r', true)] {
                    let mut hay = vec![b'a'; len];
                    hay[at] = end;
                    if at + 1 < len {
                        hay[at + 1] = b'\n';
                    }
                    assert_eq!(find_line_end(&hay, cr), Some(at), "{len} {at}");
                }
                let mut hay = vec![0xC3u8; len];
                hay[at] = b'\r';
                assert_eq!(find_line_end(&hay, false), None);
                assert_eq!(find_line_end(&hay, true), Some(at));
            }
            assert_eq!(find_line_end(&vec![b'x'; len], true), None);
        }
    }

    #[test]
    fn a_line_longer_than_a_block_is_joined_whole_and_over_the_cap_not_kept() {
        let line: Vec<u8> = (0..3 * BLOCK + 77).map(|i| b'a' + (i % 26) as u8).collect();
        let wire = [&line[..], b"\nnext\n"].concat();
        for chunk in [1000, BLOCK - 1, BLOCK, BLOCK + 1, wire.len()] {
            let chunks: Vec<_> = wire.chunks(chunk).collect();
            let got = split(LineEnding::CrLfOrCr, 8 * BLOCK, &chunks);
            assert_eq!(got, [Some(line.clone()), Some(b"next".to_vec())], "{chunk}");
        }
        let mut s = LineSplitter::new(LineEnding::Lf, 2 * BLOCK);
        let mut n = 0;
        wire.chunks(1000)
            .for_each(|c| s.feed(c, |l| n += usize::from(l == Line::TooLong)));
        assert!(n == 1 && s.blocks.is_empty() && s.partial.capacity() <= BLOCK);
    }

    #[test]
    fn cr_lf_across_chunks_is_one_line_end() {
        let got = split(LineEnding::CrLfOrCr, 100, &[b"a\r", b"\nb\r", b"c\n"]);
        assert_eq!(
            got,
            vec![
                Some(b"a".to_vec()),
                Some(b"b".to_vec()),
                Some(b"c".to_vec())
            ]
        );
    }

    #[test]
    fn over_cap_is_reported_once_and_not_buffered() {
        let mut s = LineSplitter::new(LineEnding::CrLfOrCr, 4);
        let mut n = 0;
        for _ in 0..100 {
            s.feed(b"xxxxxx", |l| {
                assert_eq!(l, Line::TooLong);
                n += 1;
            });
            assert!(s.partial.capacity() <= 4);
        }
        assert_eq!(n, 1);
        let mut got = Vec::new();
        s.feed(b"yy\nok\n", |l| {
            if let Line::Complete(b) = l {
                got.push(b.to_vec())
            }
        });
        assert_eq!(got, vec![b"ok".to_vec()]);
    }

    #[test]
    fn lf_mode_strips_one_cr_and_keeps_lone_cr() {
        let got = split(LineEnding::Lf, 100, &[b"a\r", b"\nb\rc\n"]);
        assert_eq!(got, vec![Some(b"a".to_vec()), Some(b"b\rc".to_vec())]);
    }
}
