//! JSON values framing: one JSON array streamed element by element (`[{..}\n,\r\n{..}]`, Gemini's
//! `streamGenerateContent` without `alt=sse`), or JSON values one after another (`{..}{..}`,
//! whitespace between them allowed), with the same push shape as the SSE parser.
//!
//! [`JsonValuesSplitter::with_max_value_bytes`], `feed(&[u8])` (never fails), `next_piece() ->
//! Option<Piece>`, `finish() -> ValuesEnd`. An element is returned as soon as its last byte
//! arrives, at any chunking: the splitter only finds where values end (strings, escapes and
//! nesting depth), checking nothing else; the decoder parses each value.
//!
//! - The first byte that is not whitespace (or a UTF-8 BOM) decides: `[` is one array, anything
//!   else a sequence of values.
//! - In an array, elements are separated by `,`; the `]` that closes it is
//!   [`Piece::Closed`], and whatever follows it is ignored. Anything else where a `,` or the
//!   `]` belongs (or a `,` with no element after it) is [`Piece::Invalid`] with a message, after
//!   which the splitter returns nothing more.
//! - Cap: a value over the cap is [`Piece::TooLarge`] once, when the cap is crossed; the rest of
//!   it is skipped without being buffered and splitting continues after it.
//! - At the end of the body, [`ValuesEnd`] says whether it ended inside a value or inside an
//!   array that was never closed, and hands back an unfinished value (a number at the very end
//!   of a sequence is whole; anything else unfinished is a truncation).
//! - Values are decoded as UTF-8 with U+FFFD replacement, like the NDJSON splitter's lines.

use std::ops::Range;

use crate::error::FrameError;
use crate::fifo::Fifo;
use crate::text::{grow_bytes, lossy, push_u64, KEEP};

/// What the splitter produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// One whole value (an array element, or a top-level value).
    Value(String),
    /// The `]` that closes the array.
    Closed,
    /// Bytes that cannot continue the array, with a message saying what was found.
    Invalid(String),
    /// A value over the cap.
    TooLarge(FrameError),
}

/// A [`Piece`] borrowed from the splitter: a value is its bytes (not checked as UTF-8 yet).
#[derive(Debug)]
pub(crate) enum PieceRef<'a> {
    Value(&'a [u8]),
    Closed,
    Invalid(String),
    TooLarge(FrameError),
}

/// A queued piece: a value is a range of the splitter's store.
#[derive(Debug)]
enum Queued {
    Value(Range<usize>),
    Closed,
    Invalid(String),
    TooLarge(FrameError),
}

/// What the splitter says at the end of the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValuesEnd {
    /// The body ended inside a value.
    pub inside_value: bool,
    /// The body ended inside an array whose `]` never came.
    pub open_array: bool,
    /// The unfinished value, if not empty (a number at the end of a sequence is whole).
    pub last: Option<String>,
}

/// Where the splitter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the first value or `[`.
    Start,
    /// In an array, where an element (or, right after `[`, the closing `]`) belongs.
    BeforeElement { first: bool },
    /// Inside a value.
    InValue,
    /// After a value: a `,` or `]` (array), or the next value (sequence).
    AfterValue,
    /// After the closing `]`, or after an invalid byte: everything is ignored.
    Done,
}

/// The splitter.
#[derive(Debug)]
pub struct JsonValuesSplitter {
    max: usize,
    state: State,
    /// The body is one array (decided by its first byte).
    array: bool,
    /// The values split but not taken yet, back to back, then the bytes of the value being
    /// read (from `value_start`; nothing while an over-cap value is skipped). Reused from
    /// chunk to chunk: no allocation per value.
    store: Vec<u8>,
    /// Where the value being read starts in `store`.
    value_start: usize,
    /// Bytes of the current value seen so far, buffered or not (for the cap).
    value_len: usize,
    /// Nesting depth inside the current value (objects and arrays alike).
    depth: u32,
    /// Inside a string of the current value; a string, escape or depth can span chunks.
    in_string: bool,
    /// The previous byte was a backslash inside a string (an escape cut by a chunk end).
    escaped: bool,
    /// The current value is a bare scalar (number, `true`, ...): it ends at a delimiter.
    scalar: bool,
    /// The current value crossed the cap: its bytes are skipped, not buffered.
    skipping: bool,
    /// Leading BOM bytes still allowed (the first bytes of the body only).
    bom_left: u8,
    /// Values returned so far (for messages).
    count: u64,
    queue: Fifo<Queued>,
}

impl JsonValuesSplitter {
    /// A splitter with a cap on one value's size.
    pub fn with_max_value_bytes(max: usize) -> Self {
        JsonValuesSplitter {
            max,
            state: State::Start,
            array: false,
            store: Vec::new(),
            value_start: 0,
            value_len: 0,
            depth: 0,
            in_string: false,
            escaped: false,
            scalar: false,
            skipping: false,
            bom_left: 3,
            count: 0,
            queue: Fifo::default(),
        }
    }

    /// Hands in body bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.recycle();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match self.state {
                State::Done => return,
                State::InValue => {
                    i += self.scan_value(bytes.get(i..).unwrap_or(&[]));
                    continue;
                }
                State::Start => {
                    if self.bom_left > 0 && matches!(b, 0xEF | 0xBB | 0xBF) {
                        self.bom_left -= 1;
                    } else if !is_ws(b) {
                        self.bom_left = 0;
                        if b == b'[' {
                            self.array = true;
                            self.state = State::BeforeElement { first: true };
                        } else if starts_value(b) {
                            self.begin_value();
                            continue;
                        } else {
                            self.invalid(b, "a JSON value");
                        }
                    }
                }
                State::BeforeElement { first } => {
                    if b == b']' && first {
                        self.close();
                    } else if starts_value(b) {
                        self.begin_value();
                        continue;
                    } else if !is_ws(b) {
                        self.invalid(b, "an element");
                    }
                }
                State::AfterValue => match b {
                    _ if is_ws(b) => {}
                    _ if !self.array && starts_value(b) => {
                        self.begin_value();
                        continue;
                    }
                    _ if !self.array => self.invalid(b, "a JSON value"),
                    b',' => self.state = State::BeforeElement { first: false },
                    b']' => self.close(),
                    _ => self.invalid(b, "',' or ']'"),
                },
            }
            i += 1;
        }
    }

    /// The next piece, or `None` when the splitter needs bytes.
    pub fn next_piece(&mut self) -> Option<Piece> {
        Some(match self.next_piece_ref()? {
            PieceRef::Value(v) => Piece::Value(lossy(v).into_owned()),
            PieceRef::Closed => Piece::Closed,
            PieceRef::Invalid(m) => Piece::Invalid(m),
            PieceRef::TooLarge(e) => Piece::TooLarge(e),
        })
    }

    /// The next piece, borrowed from the splitter (no allocation for a value).
    pub(crate) fn next_piece_ref(&mut self) -> Option<PieceRef<'_>> {
        Some(match self.queue.pop_front()? {
            Queued::Value(range) => PieceRef::Value(self.store.get(range).unwrap_or_default()),
            Queued::Closed => PieceRef::Closed,
            Queued::Invalid(m) => PieceRef::Invalid(m),
            Queued::TooLarge(e) => PieceRef::TooLarge(e),
        })
    }

    /// Once every queued value was taken, forgets them: the store keeps only the value being
    /// read (moved to its start: each byte moves at most once), and a large store is freed.
    pub(crate) fn recycle(&mut self) {
        if !self.queue.is_empty() {
            return;
        }
        let keep = if self.state == State::InValue && !self.skipping {
            self.value_start
        } else {
            self.store.len()
        };
        if keep == 0 {
            return;
        }
        if keep == self.store.len() && self.store.capacity() > KEEP {
            self.store = Vec::new();
        } else {
            self.store.copy_within(keep.., 0);
            self.store.truncate(self.store.len() - keep);
        }
        self.value_start = 0;
    }

    /// The end of the body.
    pub fn finish(&mut self) -> ValuesEnd {
        let inside = self.state == State::InValue;
        let value = self.store.get(self.value_start..).unwrap_or_default();
        let end = ValuesEnd {
            inside_value: inside && !(self.scalar && self.depth == 0 && !self.in_string),
            open_array: self.array && self.state != State::Done,
            last: (inside && !self.skipping && !value.is_empty())
                .then(|| lossy(value).into_owned()),
        };
        self.store.truncate(self.value_start);
        self.state = State::Done;
        end
    }

    /// Values returned so far.
    pub fn values(&self) -> u64 {
        self.count
    }

    fn begin_value(&mut self) {
        self.state = State::InValue;
        self.value_start = self.store.len();
        self.value_len = 0;
        self.depth = 0;
        self.in_string = false;
        self.escaped = false;
        self.scalar = false;
        self.skipping = false;
    }

    fn close(&mut self) {
        self.queue.push_back(Queued::Closed);
        self.state = State::Done;
    }

    fn invalid(&mut self, b: u8, expected: &str) {
        let mut m = String::from("expected ");
        m.push_str(expected);
        m.push_str(" after ");
        if self.count == 0 && !self.array {
            m.push_str("the start of the body");
        } else if self.count == 0 {
            m.push_str("'['");
        } else {
            m.push_str("element ");
            push_u64(&mut m, self.count - 1);
        }
        m.push_str(", got ");
        if b.is_ascii_graphic() {
            m.push('\'');
            m.push(char::from(b));
            m.push('\'');
        } else {
            m.push_str("byte 0x");
            m.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('?'));
            m.push(char::from_digit(u32::from(b & 0xF), 16).unwrap_or('?'));
        }
        self.queue.push_back(Queued::Invalid(m));
        self.state = State::Done;
    }

    /// Reads the current value from `bytes`; returns how many bytes it took. A bare scalar
    /// stops before its delimiter (which is then read as what follows the value).
    fn scan_value(&mut self, bytes: &[u8]) -> usize {
        let first_byte = self.value_len == 0;
        let mut end = None;
        let mut i = 0;
        if first_byte {
            if let Some(&b) = bytes.first() {
                self.scalar = !matches!(b, b'{' | b'[' | b'"');
            }
        }
        while let Some(&b) = bytes.get(i) {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.depth == 0 {
                        end = Some((i + 1, i + 1));
                        break;
                    }
                } else {
                    // A run of plain string bytes: skip to the next quote or backslash.
                    i = next_special(bytes, i + 1);
                    continue;
                }
                i += 1;
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth = self.depth.saturating_add(1),
                b'}' | b']' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        end = Some((i + 1, i + 1));
                        break;
                    }
                }
                _ if self.scalar
                    && self.depth == 0
                    && (is_ws(b) || matches!(b, b',' | b']' | b'}')) =>
                {
                    // The delimiter is not part of the scalar.
                    end = Some((i, i));
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let (taken, value_end) = end.unwrap_or((bytes.len(), bytes.len()));
        self.push_value_bytes(bytes.get(..value_end).unwrap_or(&[]));
        if end.is_some() {
            self.end_value();
        }
        taken
    }

    fn push_value_bytes(&mut self, part: &[u8]) {
        self.value_len = self.value_len.saturating_add(part.len());
        if self.skipping {
            return;
        }
        if self.max > 0 && self.value_len > self.max {
            self.skipping = true;
            self.store.truncate(self.value_start);
            self.queue
                .push_back(Queued::TooLarge(FrameError::EventTooLarge {
                    limit: self.max,
                }));
            return;
        }
        grow_bytes(&mut self.store, part.len());
        self.store.extend_from_slice(part);
    }

    fn end_value(&mut self) {
        if !self.skipping {
            self.queue
                .push_back(Queued::Value(self.value_start..self.store.len()));
        }
        self.value_start = self.store.len();
        self.count += 1;
        self.skipping = false;
        self.state = State::AfterValue;
    }
}

/// The index of the first `"` or `\` at or after `i` (or `b.len()`).
fn next_special(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .and_then(|rest| rest.iter().position(|&c| c == b'"' || c == b'\\'))
        .map_or(b.len(), |p| i + p)
}

/// Whether `b` can start a JSON value (a value always takes at least this byte, so the
/// splitter always moves on).
fn starts_value(b: u8) -> bool {
    matches!(
        b,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    )
}

/// JSON whitespace.
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> (Vec<Piece>, ValuesEnd) {
        let mut s = JsonValuesSplitter::with_max_value_bytes(1 << 20);
        let mut out = Vec::new();
        for c in chunks {
            s.feed(c);
            while let Some(p) = s.next_piece() {
                out.push(p);
            }
        }
        let end = s.finish();
        (out, end)
    }

    fn v(s: &str) -> Piece {
        Piece::Value(s.to_owned())
    }

    #[test]
    fn an_array_streamed_in_any_chunking() {
        let body = "[{\n  \"a\": \"x,]}\\\"\"\n}\n,\r\n{\"b\": [1, {\"c\": 2}]}\n]";
        let want = vec![
            v("{\n  \"a\": \"x,]}\\\"\"\n}"),
            v("{\"b\": [1, {\"c\": 2}]}"),
            Piece::Closed,
        ];
        let bytes = body.as_bytes();
        for i in 0..=bytes.len() {
            let (got, end) = run(&[&bytes[..i], &bytes[i..]]);
            assert_eq!(got, want, "split at {i}");
            assert_eq!(end, ValuesEnd::default());
        }
        let ones: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(run(&ones).0, want);
    }

    #[test]
    fn elements_come_out_as_soon_as_they_end() {
        let mut s = JsonValuesSplitter::with_max_value_bytes(1 << 20);
        s.feed(b"[{\"a\":1}");
        assert_eq!(s.next_piece(), Some(v("{\"a\":1}")));
        s.feed(b",");
        assert_eq!(s.next_piece(), None);
    }

    #[test]
    fn sequences_scalars_and_empty_arrays() {
        assert_eq!(
            run(&[b"\xef\xbb\xbf {\"a\":1}\n{\"b\":2} \"s\" 42"]),
            (
                vec![v("{\"a\":1}"), v("{\"b\":2}"), v("\"s\"")],
                ValuesEnd {
                    inside_value: false,
                    open_array: false,
                    last: Some("42".into())
                }
            )
        );
        assert_eq!(run(&[b" [ ] trailing"]).0, vec![Piece::Closed]);
        assert_eq!(
            run(&[b"[1, true ,null]"]).0,
            vec![v("1"), v("true"), v("null"), Piece::Closed]
        );
    }

    #[test]
    fn an_array_that_never_closes_or_a_value_cut_short() {
        let (got, end) = run(&[b"[{\"a\":1},\n"]);
        assert_eq!(got, vec![v("{\"a\":1}")]);
        assert!(end.open_array && !end.inside_value);
        let (got, end) = run(&[b"[{\"a\":1},{\"b\":"]);
        assert_eq!(got, vec![v("{\"a\":1}")]);
        assert!(end.open_array && end.inside_value);
        assert_eq!(end.last.as_deref(), Some("{\"b\":"));
    }

    #[test]
    fn junk_between_elements_is_invalid_once() {
        let (got, _) = run(&[b"[{\"a\":1} x {\"b\":2}]"]);
        assert_eq!(
            got,
            vec![
                v("{\"a\":1}"),
                Piece::Invalid("expected ',' or ']' after element 0, got 'x'".into())
            ]
        );
        let (got, _) = run(&[b"[,"]);
        assert_eq!(
            got,
            vec![Piece::Invalid(
                "expected an element after '[', got ','".into()
            )]
        );
        let (got, _) = run(&[b"[1,]"]);
        assert_eq!(
            got,
            vec![
                v("1"),
                Piece::Invalid("expected an element after element 0, got ']'".into())
            ]
        );
    }

    #[test]
    fn bytes_that_cannot_start_a_value_are_invalid_and_never_loop() {
        for body in [&b"}"[..], b"{\"a\":1}}", b"{} ,", b"[}", b"[1 2]", b"x"] {
            let (got, _) = run(&[body]);
            assert!(
                matches!(got.last(), Some(Piece::Invalid(_))),
                "{body:?}: {got:?}"
            );
            assert!(got.len() <= 2, "{body:?}: {got:?}");
        }
    }

    #[test]
    fn a_value_over_the_cap_is_reported_once_and_skipped() {
        let mut s = JsonValuesSplitter::with_max_value_bytes(8);
        s.feed(b"[{\"a\":\"0123456789");
        s.feed(b"abc\"},{\"b\":1}]");
        let mut got = Vec::new();
        while let Some(p) = s.next_piece() {
            got.push(p);
        }
        assert_eq!(
            got,
            vec![
                Piece::TooLarge(FrameError::EventTooLarge { limit: 8 }),
                v("{\"b\":1}"),
                Piece::Closed
            ]
        );
    }
}
