//! JSON frames: one validating pass that records a token tape, and a view that reads the tape.
//!
//! [`Tape::parse`] checks that a frame is exactly one JSON value (whitespace around it
//! allowed) in ONE linear pass over its bytes, and records every value it passes as a token:
//! its extent in the text, for an object or array the index of the token after its subtree,
//! for a string whether it holds an escape. It accepts and rejects exactly what
//! `serde_json::from_str::<serde::de::IgnoredAny>` does, with the same error messages
//! (`expected value at line 1 column 7`): serde_json is its oracle in the tests (a proptest
//! below, and the `json_scan` fuzz target).
//!
//! The view ([`Json`], [`Obj`]) then only walks the tape: finding a member costs the number of
//! members before it, never a scan of their text. A string is borrowed when it has no escape
//! and unescaped when read ([`Json::as_str`]) or appended straight to where it goes
//! ([`Json::write_str`]): the unescaping pass is the copy the text needs anyway, and a 4 MiB
//! string costs one scan and one copy. Numbers are never converted to floats, and nothing
//! builds a map or a `serde_json::Value`.
//!
//! The answers are those of `serde_json::Value`'s accessors, with these deliberate
//! differences: a string with an invalid `\u` surrogate escape reads as absent (`Value`
//! rejects the whole frame); nesting deeper than serde_json's recursion limit (128) and
//! numbers out of `f64` range are accepted (as `IgnoredAny` does).
//!
//! Memory: the tape is one token (3 words) per value. A [`Tape`] keeps its allocation from
//! one frame to the next, up to [`Tape::KEEP`] tokens.

use std::borrow::Cow;

use crate::lines::{eq_bytes, word};
use crate::text::{grow, push_usize};

/// One value on the tape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tok {
    /// The offset of the value's first byte.
    start: usize,
    /// The offset after its last byte.
    end: usize,
    /// Objects and arrays: the index of the first token after the subtree. Strings: 1 when
    /// the string holds an escape, else 0. Other values: 0.
    aux: usize,
}

/// The tape of one frame. Reused from frame to frame (it keeps its allocations).
#[derive(Debug, Default)]
pub(crate) struct Tape {
    toks: Vec<Tok>,
    /// The open containers (token indexes) while scanning.
    stack: Vec<usize>,
}

impl Tape {
    /// Tokens kept allocated between frames; a larger tape is freed after use.
    pub(crate) const KEEP: usize = 4096;

    /// Checks that `text` is exactly one JSON value (whitespace around it allowed) and returns
    /// a view of it.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub(crate) fn parse<'a>(&'a mut self, text: &'a str) -> Result<Json<'a>, JsonError> {
        if self.toks.capacity() > Self::KEEP {
            self.toks = Vec::new();
        }
        if self.stack.capacity() > Self::KEEP {
            self.stack = Vec::new();
        }
        scan(text.as_bytes(), &mut self.toks, &mut self.stack)?;
        Ok(Json {
            text,
            toks: &self.toks,
            at: 0,
        })
    }
}

/// Why a frame is not JSON: serde_json's error codes that its `IgnoredAny` check can return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    EofWhileParsingList,
    EofWhileParsingObject,
    EofWhileParsingString,
    EofWhileParsingValue,
    ExpectedColon,
    ExpectedListCommaOrEnd,
    ExpectedObjectCommaOrEnd,
    ExpectedSomeIdent,
    ExpectedSomeValue,
    InvalidEscape,
    InvalidNumber,
    ControlCharacterWhileParsingString,
    KeyMustBeAString,
    TrailingCharacters,
}

impl Code {
    /// serde_json's wording.
    fn text(self) -> &'static str {
        match self {
            Code::EofWhileParsingList => "EOF while parsing a list",
            Code::EofWhileParsingObject => "EOF while parsing an object",
            Code::EofWhileParsingString => "EOF while parsing a string",
            Code::EofWhileParsingValue => "EOF while parsing a value",
            Code::ExpectedColon => "expected `:`",
            Code::ExpectedListCommaOrEnd => "expected `,` or `]`",
            Code::ExpectedObjectCommaOrEnd => "expected `,` or `}`",
            Code::ExpectedSomeIdent => "expected ident",
            Code::ExpectedSomeValue => "expected value",
            Code::InvalidEscape => "invalid escape",
            Code::InvalidNumber => "invalid number",
            Code::ControlCharacterWhileParsingString => {
                "control character (\\u0000-\\u001F) found while parsing a string"
            }
            Code::KeyMustBeAString => "key must be a string",
            Code::TrailingCharacters => "trailing characters",
        }
    }
}

/// A frame that is not one JSON value: what serde_json would say, and where (1-based line,
/// 0-based byte column, as serde_json counts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JsonError {
    code: Code,
    line: usize,
    column: usize,
}

impl JsonError {
    /// The error at byte `i` of `b` (serde_json's `position_of_index`).
    #[cold]
    fn at(b: &[u8], i: usize, code: Code) -> JsonError {
        let head = b.get(..i).unwrap_or(b);
        let start_of_line = head
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p.saturating_add(1));
        let lines = head
            .get(..start_of_line)
            .map_or(0, |h| h.iter().filter(|&&c| c == b'\n').count());
        JsonError {
            code,
            line: lines.saturating_add(1),
            column: i.saturating_sub(start_of_line),
        }
    }

    /// Appends serde_json's message (`expected value at line 1 column 7`).
    pub(crate) fn write_message(&self, out: &mut String) {
        out.push_str(self.code.text());
        out.push_str(" at line ");
        push_usize(out, self.line);
        out.push_str(" column ");
        push_usize(out, self.column);
    }

    /// serde_json's message.
    #[cfg(test)]
    pub(crate) fn message(&self) -> String {
        let mut s = String::new();
        self.write_message(&mut s);
        s
    }
}

/// JSON whitespace.
#[inline(always)]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The index of the first byte at or after `i` that is not whitespace (or `b.len()`).
#[inline(always)]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        if !is_ws(c) {
            break;
        }
        i += 1;
    }
    i
}

/// The index of the first byte at or after `i` that ends a run of plain string bytes: `"`,
/// `\` or a control character (serde_json's `skip_to_escape`), or `b.len()`. Eight bytes at a
/// time.
#[inline(always)]
fn skip_plain(b: &[u8], mut i: usize) -> usize {
    while let Some(v) = word(b, i) {
        let hits = not_plain(v);
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            break;
        }
        i += 1;
    }
    i
}

/// The bytes of `v` that end a run of plain string bytes (`"`, `\` or a control character),
/// as the high bit of each; only the lowest one is exact (a borrow may mark bytes above it).
#[inline(always)]
fn not_plain(v: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    eq_bytes(v, b'"') | eq_bytes(v, b'\\') | (v.wrapping_sub(LO * 0x20) & !v & HI)
}

/// [`scan_str`] with its common case inline: a string without escape that closes within the
/// eight bytes after its opening quote (most keys and short values) costs no call.
#[inline(always)]
fn scan_short_str(b: &[u8], i: usize) -> Result<(usize, bool), JsonError> {
    let Some(v) = word(b, i) else {
        return scan_str(b, i);
    };
    let hits = not_plain(v);
    if hits == 0 {
        return scan_str(b, i + 8);
    }
    let at = i + (hits.trailing_zeros() / 8) as usize;
    if b.get(at) == Some(&b'"') {
        return Ok((at + 1, false));
    }
    // An escape or a control character at `at`; the bytes before it are plain.
    scan_str(b, at)
}

/// The index of the first `\` at or after `i`, eight bytes at a time.
#[inline(always)]
fn find_backslash(b: &[u8], mut i: usize) -> Option<usize> {
    while let Some(v) = word(b, i) {
        let hits = eq_bytes(v, b'\\');
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = b.get(i..)?;
    rest.iter().position(|&c| c == b'\\').map(|p| i + p)
}

/// Scans a string whose opening quote is at `i - 1`; returns the index after the closing quote
/// and whether the string holds an escape (serde_json's `ignore_str`). Escapes back to back (a
/// run of non-ASCII text sent as `\uXXXX`) are read one after another without a new search.
#[cfg_attr(streamguard_speed, optimize(speed))]
fn scan_str(b: &[u8], mut i: usize) -> Result<(usize, bool), JsonError> {
    let n = b.len();
    let mut escaped = false;
    loop {
        i = skip_plain(b, i);
        loop {
            match b.get(i) {
                None => return Err(JsonError::at(b, n, Code::EofWhileParsingString)),
                Some(b'"') => return Ok((i + 1, escaped)),
                Some(b'\\') => {
                    escaped = true;
                    let Some(&c) = b.get(i + 1) else {
                        return Err(JsonError::at(b, n, Code::EofWhileParsingString));
                    };
                    i += 2;
                    match c {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => match b.get(i..i + 4) {
                            Some(&[w, x, y, z]) => {
                                i += 4;
                                if (hex(w) | hex(x) | hex(y) | hex(z)) >= 16 {
                                    return Err(JsonError::at(b, i, Code::InvalidEscape));
                                }
                            }
                            _ => return Err(JsonError::at(b, n, Code::EofWhileParsingString)),
                        },
                        _ => return Err(JsonError::at(b, i, Code::InvalidEscape)),
                    }
                }
                Some(&c) if c < 0x20 => {
                    return Err(JsonError::at(
                        b,
                        i,
                        Code::ControlCharacterWhileParsingString,
                    ))
                }
                // Plain bytes again: back to the word-at-a-time search.
                Some(_) => break,
            }
        }
    }
}

/// Scans a literal's remaining bytes (`ull`, `rue`, `alse`) from `i` (serde_json's
/// `parse_ident`).
fn scan_ident(b: &[u8], mut i: usize, rest: &[u8]) -> Result<usize, JsonError> {
    for &want in rest {
        let Some(&c) = b.get(i) else {
            return Err(JsonError::at(b, i, Code::EofWhileParsingValue));
        };
        i += 1;
        if c != want {
            return Err(JsonError::at(b, i, Code::ExpectedSomeIdent));
        }
    }
    Ok(i)
}

/// Scans a number whose first digit is at `i` (after any `-`); returns the index after it
/// (serde_json's `ignore_integer`, `ignore_decimal`, `ignore_exponent`).
#[cfg_attr(streamguard_speed, optimize(speed))]
fn scan_number(b: &[u8], mut i: usize) -> Result<usize, JsonError> {
    let n = b.len();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let peek_error = |i: usize| JsonError::at(b, n.min(i + 1), Code::InvalidNumber);
    match b.get(i) {
        Some(b'0') => {
            i += 1;
            if digit(i) {
                return Err(peek_error(i));
            }
        }
        Some(b'1'..=b'9') => {
            i += 1;
            while digit(i) {
                i += 1;
            }
        }
        Some(_) => return Err(JsonError::at(b, i + 1, Code::InvalidNumber)),
        None => return Err(JsonError::at(b, i, Code::InvalidNumber)),
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digit(i) {
            return Err(peek_error(i));
        }
        while digit(i) {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        match b.get(i) {
            Some(c) if c.is_ascii_digit() => i += 1,
            Some(_) => return Err(JsonError::at(b, i + 1, Code::InvalidNumber)),
            None => return Err(JsonError::at(b, i, Code::InvalidNumber)),
        }
        while digit(i) {
            i += 1;
        }
    }
    Ok(i)
}

/// The one pass: validates `b` as serde_json's `IgnoredAny` does (same control flow, same
/// error positions) and records the tape.
fn scan(b: &[u8], toks: &mut Vec<Tok>, stack: &mut Vec<usize>) -> Result<(), JsonError> {
    stack.clear();
    // Tokens are written over the previous frame's (`n` of them so far), then the tape is cut
    // to `n`: no `Vec::push` call per token.
    let mut tape = Writer { toks, n: 0 };
    let result = scan_into(b, &mut tape, stack);
    let n = tape.n;
    toks.truncate(n);
    result
}

/// The tape being written.
struct Writer<'t> {
    toks: &'t mut Vec<Tok>,
    n: usize,
}

impl Writer<'_> {
    #[inline(always)]
    fn put(&mut self, tok: Tok) {
        match self.toks.get_mut(self.n) {
            Some(t) => *t = tok,
            None => self.toks.push(tok),
        }
        self.n += 1;
    }

    #[inline(always)]
    fn len(&self) -> usize {
        self.n
    }

    #[inline(always)]
    fn get(&self, at: usize) -> Option<&Tok> {
        self.toks.get(at).filter(|_| at < self.n)
    }

    #[inline(always)]
    fn get_mut(&mut self, at: usize) -> Option<&mut Tok> {
        if at < self.n {
            self.toks.get_mut(at)
        } else {
            None
        }
    }
}

/// [`scan`] into a [`Writer`].
#[cfg_attr(streamguard_speed, optimize(speed))]
fn scan_into(b: &[u8], toks: &mut Writer<'_>, stack: &mut Vec<usize>) -> Result<(), JsonError> {
    let n = b.len();
    let peek_error = |i: usize, code| JsonError::at(b, n.min(i + 1), code);
    let mut i = 0;
    // The innermost open container's bracket (`[` or `{`).
    let mut frame = 0u8;
    loop {
        // A value.
        i = skip_ws(b, i);
        let Some(&c) = b.get(i) else {
            return Err(peek_error(i, Code::EofWhileParsingValue));
        };
        let start = i;
        let mut aux = 0;
        let mut opened = false;
        i = match c {
            b'"' => {
                let (end, escaped) = scan_short_str(b, i + 1)?;
                aux = usize::from(escaped);
                end
            }
            b'n' => scan_ident(b, i + 1, b"ull")?,
            b't' => scan_ident(b, i + 1, b"rue")?,
            b'f' => scan_ident(b, i + 1, b"alse")?,
            b'-' => scan_number(b, i + 1)?,
            b'0'..=b'9' => scan_number(b, i)?,
            b'[' | b'{' => {
                opened = true;
                frame = c;
                stack.push(toks.len());
                i + 1
            }
            _ => return Err(peek_error(i, Code::ExpectedSomeValue)),
        };
        toks.put(Tok { start, end: i, aux });
        // After it: a comma, closing brackets, or (in an object) the next key.
        if stack.is_empty() {
            break; // a scalar at the root
        }
        let mut accept_comma = !opened;
        loop {
            i = skip_ws(b, i);
            match b.get(i) {
                Some(b',') if accept_comma => {
                    i += 1;
                    break;
                }
                Some(&close) if close == frame + 2 => {
                    // `]` is `[` + 2 and `}` is `{` + 2.
                    i += 1;
                    let Some(open) = stack.pop() else { break };
                    let next = toks.len();
                    if let Some(t) = toks.get_mut(open) {
                        t.end = i;
                        t.aux = next;
                    }
                    let Some(&top) = stack.last() else {
                        // The root container closed.
                        return end(b, i);
                    };
                    frame = toks
                        .get(top)
                        .and_then(|t| b.get(t.start).copied())
                        .unwrap_or(b'[');
                    accept_comma = true;
                }
                Some(_) if accept_comma => {
                    return Err(peek_error(
                        i,
                        if frame == b'[' {
                            Code::ExpectedListCommaOrEnd
                        } else {
                            Code::ExpectedObjectCommaOrEnd
                        },
                    ))
                }
                Some(_) => break,
                None => {
                    return Err(peek_error(
                        i,
                        if frame == b'[' {
                            Code::EofWhileParsingList
                        } else {
                            Code::EofWhileParsingObject
                        },
                    ))
                }
            }
        }
        if frame == b'{' {
            // A key, then `:`.
            i = skip_ws(b, i);
            match b.get(i) {
                Some(b'"') => {}
                Some(_) => return Err(peek_error(i, Code::KeyMustBeAString)),
                None => return Err(peek_error(i, Code::EofWhileParsingObject)),
            }
            let start = i;
            let (end, escaped) = scan_short_str(b, i + 1)?;
            toks.put(Tok {
                start,
                end,
                aux: usize::from(escaped),
            });
            i = skip_ws(b, end);
            match b.get(i) {
                Some(b':') => i += 1,
                Some(_) => return Err(peek_error(i, Code::ExpectedColon)),
                None => return Err(peek_error(i, Code::EofWhileParsingObject)),
            }
        }
    }
    end(b, i)
}

/// After the root value: only whitespace may follow (serde_json's `Deserializer::end`).
fn end(b: &[u8], i: usize) -> Result<(), JsonError> {
    let i = skip_ws(b, i);
    if i < b.len() {
        return Err(JsonError::at(
            b,
            b.len().min(i + 1),
            Code::TrailingCharacters,
        ));
    }
    Ok(())
}

/// One JSON value of a parsed frame: a position on its tape.
#[derive(Clone, Copy)]
pub(crate) struct Json<'a> {
    text: &'a str,
    toks: &'a [Tok],
    at: usize,
}

impl core::fmt::Debug for Json<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.raw())
    }
}

impl<'a> Json<'a> {
    /// `null` (what tests decode a malformed line to).
    #[cfg(test)]
    pub(crate) const NULL: Json<'static> = Json {
        text: "null",
        toks: &[Tok {
            start: 0,
            end: 4,
            aux: 0,
        }],
        at: 0,
    };

    /// Parses `text` with a tape of its own that lives as long as the text (tests only: the
    /// tape is leaked).
    #[cfg(test)]
    pub(crate) fn parse(text: &'a str) -> Result<Json<'a>, JsonError> {
        let tape: &'a mut Tape = Box::leak(Box::default());
        tape.parse(text)
    }

    #[inline(always)]
    fn tok(self) -> Tok {
        self.toks.get(self.at).copied().unwrap_or(Tok {
            start: 0,
            end: 0,
            aux: 0,
        })
    }

    /// The value's text as sent.
    fn raw(self) -> &'a str {
        let t = self.tok();
        self.text.get(t.start..t.end).unwrap_or_default()
    }

    #[inline(always)]
    fn first(self) -> u8 {
        self.text
            .as_bytes()
            .get(self.tok().start)
            .copied()
            .unwrap_or(0)
    }

    /// The index of the token after this value.
    #[inline(always)]
    fn next(self) -> usize {
        match self.first() {
            b'{' | b'[' => self.tok().aux,
            _ => self.at + 1,
        }
    }

    /// The value at token `at` of the same tape.
    #[inline(always)]
    fn with(self, at: usize) -> Json<'a> {
        Json { at, ..self }
    }

    /// Whether this is an object.
    pub(crate) fn is_object(self) -> bool {
        self.first() == b'{'
    }

    /// Whether this is a string.
    pub(crate) fn is_string(self) -> bool {
        self.first() == b'"'
    }

    /// Whether this is `null`.
    pub(crate) fn is_null(self) -> bool {
        self.raw() == "null"
    }

    /// The text between a string's quotes, as sent, and whether it holds an escape.
    fn inner(self) -> Option<(&'a str, bool)> {
        if !self.is_string() {
            return None;
        }
        let t = self.tok();
        let inner = self
            .text
            .get(t.start + 1..t.end.saturating_sub(1))
            .unwrap_or_default();
        Some((inner, t.aux != 0))
    }

    /// The string, unescaped (borrowed when it has no escapes). `None` for anything else and
    /// for a string with an invalid surrogate escape.
    pub(crate) fn as_str(self) -> Option<Cow<'a, str>> {
        let (inner, escaped) = self.inner()?;
        if !escaped {
            return Some(Cow::Borrowed(inner));
        }
        let mut out = String::with_capacity(inner.len());
        unescape_into(inner, &mut out).then_some(Cow::Owned(out))
    }

    /// Appends the string, unescaped, to `out` without an intermediate copy. `false` (and
    /// `out` unchanged) for anything else and for a string with an invalid surrogate escape.
    pub(crate) fn write_str(self, out: &mut String) -> bool {
        let Some((inner, escaped)) = self.inner() else {
            return false;
        };
        if !escaped {
            grow(out, inner.len());
            out.push_str(inner);
            return true;
        }
        let len = out.len();
        if unescape_into(inner, out) {
            return true;
        }
        out.truncate(len);
        false
    }

    /// A non-negative integer that fits a `u64` (like `Value::as_u64`: `1.0`, `1e3`, `-1`
    /// and anything larger than `u64::MAX` are not).
    pub(crate) fn as_u64(self) -> Option<u64> {
        let digits = self.raw();
        if digits.is_empty() {
            return None;
        }
        let mut v: u64 = 0;
        for d in digits.bytes() {
            if !d.is_ascii_digit() {
                return None;
            }
            v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        Some(v)
    }

    /// `true` or `false`.
    pub(crate) fn as_bool(self) -> Option<bool> {
        match self.raw() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// A non-empty string, or a number's text (a provider's error code may be either).
    pub(crate) fn as_text(self) -> Option<String> {
        if matches!(self.first(), b'-' | b'0'..=b'9') {
            return Some(self.raw().to_owned());
        }
        self.as_str().filter(|s| !s.is_empty()).map(Cow::into_owned)
    }

    /// The members of an object (none for anything else). A repeated key keeps every
    /// occurrence; [`Obj::get`] answers with the last one, like `serde_json::Value`.
    pub(crate) fn obj(self) -> Obj<'a> {
        Obj(self.is_object().then_some(self))
    }

    /// The elements of an array, or `None` for anything else.
    #[cfg(test)]
    pub(crate) fn array(self) -> Option<Vec<Json<'a>>> {
        self.items().map(Iterator::collect)
    }

    /// The elements of an array, without collecting them; `None` for anything else.
    pub(crate) fn items(self) -> Option<Items<'a>> {
        (self.first() == b'[').then(|| Items {
            json: self,
            at: self.at + 1,
            end: self.tok().aux,
        })
    }

    /// The text without the whitespace between tokens (compact; strings, numbers and key
    /// order are kept as sent).
    pub(crate) fn compact(self) -> String {
        let raw = self.raw();
        let mut out = String::with_capacity(raw.len());
        let mut in_string = false;
        let mut escaped = false;
        for c in raw.chars() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            } else if c == '"' {
                in_string = true;
            } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
                continue;
            }
            out.push(c);
        }
        out
    }
}

/// The elements of an array, in order.
#[derive(Debug, Clone)]
pub(crate) struct Items<'a> {
    json: Json<'a>,
    at: usize,
    end: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = Json<'a>;

    fn next(&mut self) -> Option<Json<'a>> {
        if self.at >= self.end {
            return None;
        }
        let item = self.json.with(self.at);
        self.at = item.next().max(self.at + 1);
        Some(item)
    }
}

/// Appends the unescaped text of `s` (a string's inner text that the scanner accepted) to
/// `out`; `false` for an invalid surrogate escape (a lone surrogate, which serde_json's check
/// lets through). Copies runs between escapes whole, and reads escapes back to back without a
/// new search.
#[cfg_attr(streamguard_speed, optimize(speed))]
fn unescape_into(s: &str, out: &mut String) -> bool {
    // Unescaping never lengthens: one reservation for the whole string.
    grow(out, s.len());
    let b = s.as_bytes();
    let mut run = 0; // the start of the bytes not copied yet
    while let Some(mut pos) = find_backslash(b, run) {
        if pos > run {
            out.push_str(s.get(run..pos).unwrap_or_default());
        }
        loop {
            let Some((ch, used)) = unescape_one(b, pos) else {
                return false;
            };
            out.push(ch);
            pos += used;
            if !matches!(b.get(pos), Some(b'\\')) {
                break;
            }
        }
        run = pos;
    }
    if run < b.len() {
        out.push_str(s.get(run..).unwrap_or_default());
    }
    true
}

/// The escape at `pos` (a `\`) of a string the scanner accepted: its character and length.
/// `None` for a lone or reversed surrogate.
#[inline(always)]
fn unescape_one(b: &[u8], pos: usize) -> Option<(char, usize)> {
    let ch = match *b.get(pos + 1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hi = hex4(b, pos + 2)?;
            if !(0xD800..0xDC00).contains(&hi) {
                return char::from_u32(hi).map(|c| (c, 6));
            }
            if !matches!(b.get(pos + 6..pos + 8), Some([b'\\', b'u'])) {
                return None;
            }
            let lo = hex4(b, pos + 8)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return None;
            }
            return char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                .map(|c| (c, 12));
        }
        _ => return None,
    };
    Some((ch, 2))
}

/// `a == b`, inline (short keys: a call to `memcmp` costs more than the loop).
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while let (Some(x), Some(y)) = (a.get(i), b.get(i)) {
        if x != y {
            return false;
        }
        i += 1;
    }
    true
}

/// The value of each byte as a hex digit; 16 for a byte that is not one.
static HEX: [u8; 256] = {
    let mut t = [16u8; 256];
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut d = 0;
    while d < 6 {
        t[b'a' as usize + d] = 10 + d as u8;
        t[b'A' as usize + d] = 10 + d as u8;
        d += 1;
    }
    t
};

/// The value of a hex digit (16: not one).
#[inline(always)]
fn hex(d: u8) -> u32 {
    u32::from(HEX.get(usize::from(d)).copied().unwrap_or(16))
}

/// The four hex digits of `b` at `i`: one table read per digit, one test for all four.
#[inline(always)]
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    match b.get(i..i + 4)? {
        &[a, b, c, d] => {
            let (a, b, c, d) = (hex(a), hex(b), hex(c), hex(d));
            ((a | b | c | d) < 16).then_some(a << 12 | b << 8 | c << 4 | d)
        }
        _ => None,
    }
}

/// An object's members in order (a non-object reads as no members).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Obj<'a>(Option<Json<'a>>);

impl<'a> Obj<'a> {
    /// The members, in order: `(key, value)`.
    fn members(&self) -> impl Iterator<Item = (Json<'a>, Json<'a>)> + 'a {
        let (mut at, end, json) = match self.0 {
            Some(j) => (j.at + 1, j.tok().aux, Some(j)),
            None => (0, 0, None),
        };
        core::iter::from_fn(move || {
            let j = json?;
            if at >= end {
                return None;
            }
            let key = j.with(at);
            let value = j.with(at + 1);
            at = value.next().max(at + 2);
            Some((key, value))
        })
    }

    /// The member `key` (the last one when a key repeats, like `serde_json::Value`).
    pub(crate) fn get(&self, key: &str) -> Option<Json<'a>> {
        let [found] = self.pick([key]);
        found
    }

    /// The members `keys`, in one pass over the object (each the last one when a key
    /// repeats): `pick(["a", "b"])` is `[get("a"), get("b")]`.
    pub(crate) fn pick<const N: usize>(&self, keys: [&str; N]) -> [Option<Json<'a>>; N] {
        let mut found = [None; N];
        self.pick_into(&keys, &mut found);
        found
    }

    /// [`Obj::pick`] without a copy of the loop per number of keys.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn pick_into(&self, keys: &[&str], found: &mut [Option<Json<'a>>]) {
        let Some(j) = self.0 else {
            return;
        };
        let text = j.text.as_bytes();
        let end = j.tok().aux;
        let mut at = j.at + 1;
        while at < end {
            let (Some(k), Some(v)) = (j.toks.get(at), j.toks.get(at + 1)) else {
                break;
            };
            // No escape: the bytes between the quotes are the key.
            let raw = text
                .get(k.start + 1..k.end.saturating_sub(1))
                .unwrap_or_default();
            for (key, slot) in keys.iter().zip(found.iter_mut()) {
                let matches = if k.aux == 0 {
                    same_bytes(raw, key.as_bytes())
                } else {
                    j.with(at).as_str().is_some_and(|s| s == *key)
                };
                if matches {
                    *slot = Some(j.with(at + 1));
                }
            }
            // The next key follows the value's subtree.
            at = match text.get(v.start) {
                Some(b'{' | b'[') => v.aux.max(at + 2),
                _ => at + 2,
            };
        }
    }

    /// The member `key` as a string.
    pub(crate) fn str(&self, key: &str) -> Option<Cow<'a, str>> {
        self.get(key).and_then(Json::as_str)
    }

    /// The member `key` as an unsigned integer.
    pub(crate) fn u64(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(Json::as_u64)
    }

    /// The member `key` as a `u32` index.
    pub(crate) fn index(&self, key: &str) -> Option<u32> {
        self.u64(key).and_then(|i| u32::try_from(i).ok())
    }

    /// The members of the object at `key` (none when absent or not an object).
    pub(crate) fn obj(&self, key: &str) -> Obj<'a> {
        self.get(key).map(Json::obj).unwrap_or_default()
    }

    /// How many members (repeats included).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.members().count()
    }
}

/// What the decoders can read of a value, as a tree: the scanner's answers side by side with
/// serde_json's in the tests and the `json_scan` fuzz target. Not API.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number: its `as_u64`, and its text when it is an integer that fits an `i64` or a
    /// `u64` (the only numbers whose text serde_json's `Value` keeps as sent).
    Number(Option<u64>),
    /// A string (`None`: an invalid surrogate escape).
    Str(Option<String>),
    /// An array.
    Array(Vec<Shape>),
    /// An object: `get` of each distinct key (in first-seen order) and the member count.
    Object(Vec<(String, Shape)>, usize),
}

impl Shape {
    /// The scanner's reading of `text`: its shape, or serde_json's error message.
    pub fn of(text: &str) -> Result<(Shape, String), String> {
        let mut tape = Tape::default();
        match tape.parse(text) {
            Ok(v) => Ok((Shape::read(v), v.compact())),
            Err(e) => {
                let mut s = String::new();
                e.write_message(&mut s);
                Err(s)
            }
        }
    }

    fn read(v: Json<'_>) -> Shape {
        match v.first() {
            b'n' => Shape::Null,
            b't' | b'f' => Shape::Bool(v.as_bool().unwrap_or(false)),
            b'"' => Shape::Str(v.as_str().map(Cow::into_owned)),
            b'[' => Shape::Array(v.items().into_iter().flatten().map(Shape::read).collect()),
            b'{' => {
                let o = v.obj();
                let mut keys: Vec<String> = Vec::new();
                let mut count = 0;
                for (k, _) in o.members() {
                    count += 1;
                    if let Some(k) = k.as_str() {
                        if !keys.iter().any(|s| *s == k) {
                            keys.push(k.into_owned());
                        }
                    }
                }
                let members = keys
                    .into_iter()
                    .map(|k| {
                        let value = o.get(&k).map_or(Shape::Null, Shape::read);
                        (k, value)
                    })
                    .collect();
                Shape::Object(members, count)
            }
            _ => Shape::Number(v.as_u64()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_match_serde_json_value() {
        let text = r#" {"s":"a\"b","b":"plain","n":42,"f":1.0,"e":1e3,"neg":-1,"big":18446744073709551616,
            "t":true,"z":null,"o":{"k":[1, {"x" : "y"}]},"dup":1,"dup":2,"esc\u0041":"k"} "#;
        let v = Json::parse(text).expect("valid");
        let o = v.obj();
        assert_eq!(o.str("s").as_deref(), Some("a\"b"));
        assert!(matches!(o.str("b"), Some(Cow::Borrowed("plain"))));
        assert_eq!(o.u64("n"), Some(42));
        for key in ["f", "e", "neg", "big", "s", "t", "z", "o", "missing"] {
            assert_eq!(o.u64(key), None, "{key}");
        }
        assert_eq!(o.get("t").and_then(Json::as_bool), Some(true));
        assert!(o.get("z").is_some_and(Json::is_null));
        assert_eq!(o.u64("dup"), Some(2));
        assert_eq!(o.str("escA").as_deref(), Some("k"));
        let arr = o.obj("o").get("k").and_then(Json::array).expect("array");
        assert_eq!(arr.len(), 2);
        assert_eq!(arr[1].obj().str("x").as_deref(), Some("y"));
        assert_eq!(
            o.obj("o").get("k").map(Json::compact).as_deref(),
            Some(r#"[1,{"x":"y"}]"#)
        );
        assert!(o.obj("s").get("x").is_none());
        assert_eq!(o.len(), 13);
        assert!(Json::parse(r#"{"a":}"#).is_err());
        assert!(Json::parse("{} x").is_err());
        assert_eq!(Json::parse(" 42 ").map(Json::raw), Ok("42"));
    }

    #[test]
    fn compact_keeps_strings() {
        let v = Json::parse("{ \"a b\" : [ 1 ,\"x \\\" y\" ] }").expect("valid");
        assert_eq!(v.compact(), "{\"a b\":[1,\"x \\\" y\"]}");
    }

    #[test]
    fn escapes_and_surrogate_pairs() {
        let v = Json::parse(
            r#"{"s":"\ud83d\ude00 \u00e9\n\/\b\f\t\r\\","lone":"\ud800x","lo":"\udc00"}"#,
        )
        .expect("valid");
        let o = v.obj();
        assert_eq!(
            o.str("s").as_deref(),
            Some("\u{1F600} \u{e9}\n/\u{8}\u{c}\t\r\\")
        );
        assert_eq!(o.str("lone"), None);
        assert_eq!(o.str("lo"), None);
        let mut out = String::from("x");
        assert!(!o.get("lone").is_some_and(|j| j.write_str(&mut out)));
        assert_eq!(out, "x");
        assert!(o.get("s").is_some_and(|j| j.write_str(&mut out)));
        assert_eq!(out, "x\u{1F600} \u{e9}\n/\u{8}\u{c}\t\r\\");
    }

    #[test]
    fn error_messages_are_serde_jsons() {
        for (text, message) in [
            ("", "EOF while parsing a value at line 1 column 0"),
            ("{\"a\":}", "expected value at line 1 column 6"),
            ("{} x", "trailing characters at line 1 column 4"),
            ("[1,\n2", "EOF while parsing a list at line 2 column 1"),
            ("\"\\x\"", "invalid escape at line 1 column 3"),
            ("01", "invalid number at line 1 column 2"),
            ("tru", "EOF while parsing a value at line 1 column 3"),
            ("{1:2}", "key must be a string at line 1 column 2"),
        ] {
            assert_eq!(
                Json::parse(text).map(Json::raw).map_err(|e| e.message()),
                Err(message.to_owned()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_tape_is_reused_and_big_tapes_are_freed() {
        let mut tape = Tape::default();
        let big = format!("[{}0]", "0,".repeat(Tape::KEEP * 2));
        assert!(tape.parse(&big).is_ok());
        assert!(tape.toks.capacity() > Tape::KEEP);
        assert!(tape.parse("[1]").is_ok());
        assert!(tape.toks.capacity() <= Tape::KEEP);
    }

    #[test]
    fn a_long_string_is_scanned_once_per_eight_bytes() {
        let s = format!("\"{}\\u00e9{}\"", "a".repeat(1000), "b".repeat(1000));
        let v = Json::parse(&s).expect("valid");
        assert_eq!(v.as_str().map(|s| s.len()), Some(2002));
    }
}

/// Differential: the scanner against serde_json, its oracle. On generated JSON (compact and
/// pretty) every accessor agrees with `serde_json::Value`; on arbitrary and near-JSON text
/// the scanner accepts exactly what `serde_json::from_str::<IgnoredAny>` accepts, with the
/// same error message.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod props {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IgnoredAny;
    use serde_json::Value;

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<u64>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e9f64..1e9).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[a-z\"\\\\/\n\t\u{1}\u{e9}\u{1F600}]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z\"\\\\ ]{0,4}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn same(j: Json<'_>, v: &Value) {
        assert_eq!(j.as_u64(), v.as_u64(), "{j:?} {v}");
        assert_eq!(j.as_bool(), v.as_bool(), "{j:?} {v}");
        assert_eq!(j.is_null(), v.is_null(), "{j:?} {v}");
        assert_eq!(j.as_str().as_deref(), v.as_str(), "{j:?} {v}");
        assert_eq!(j.is_object(), v.is_object(), "{j:?} {v}");
        assert_eq!(j.is_string(), v.is_string(), "{j:?} {v}");
        match v {
            Value::Array(items) => {
                let got = j.array().expect("an array");
                assert_eq!(got.len(), items.len(), "{j:?}");
                for (g, item) in got.iter().zip(items) {
                    same(*g, item);
                }
            }
            Value::Object(map) => {
                let o = j.obj();
                for (k, item) in map {
                    same(o.get(k).expect("member"), item);
                }
                assert_eq!(o.len(), map.len());
            }
            _ => assert!(j.array().is_none()),
        }
    }

    /// serde_json's verdict on `text`, as the scanner reports it.
    fn oracle(text: &str) -> Result<(), String> {
        serde_json::from_str::<IgnoredAny>(text)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn ours(text: &str) -> Result<(), String> {
        Shape::of(text).map(|_| ())
    }

    /// `s` as a JSON string in ASCII: every other character as `\uXXXX` (astral ones as
    /// surrogate pairs), as Python's `json.dumps` sends it: escapes back to back.
    fn ascii_json(s: &str) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                ' '..='~' => out.push(c),
                _ => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04x}"));
                    }
                }
            }
        }
        out.push('"');
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Escape-dense strings (escapes back to back, read without a new search): read back
        /// exactly; cut, or with one byte replaced, accepted and rejected like serde_json, and
        /// read as the same string wherever serde_json reads one.
        #[test]
        fn escapes_back_to_back_agree_with_serde_json(
            s in "(\\PC|[\u{e9}\u{65e5}\u{1F600}\u{1D518}\u{0}-\u{1f}\"\\\\])*",
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
            byte in prop::sample::select(vec![b'"', b'\\', b'u', b'x', b'0', b'd', b'D', b'8', b'c', b'f', 1u8]),
        ) {
            let lit = ascii_json(&s);
            let j = Json::parse(&lit).expect("valid");
            let read = j.as_str();
            prop_assert_eq!(read.as_deref(), Some(s.as_str()));
            let mut out = String::from("x");
            prop_assert!(j.write_str(&mut out));
            prop_assert_eq!(out.get(1..), Some(s.as_str()));
            let oracle_read = serde_json::from_str::<String>(&lit).ok();
            prop_assert_eq!(oracle_read.as_deref(), Some(s.as_str()));
            let at = cut.index(lit.len() + 1);
            let mut flipped = lit.clone().into_bytes();
            if let Some(b) = flipped.get_mut(flip.index(lit.len())) {
                *b = byte;
            }
            let flipped = String::from_utf8(flipped).unwrap_or_default();
            for text in [lit.get(..at).unwrap_or_default(), flipped.as_str()] {
                prop_assert_eq!(ours(text), oracle(text), "{:?}", text);
                if let Ok(want) = serde_json::from_str::<String>(text) {
                    let got = Json::parse(text).expect("valid").as_str();
                    prop_assert_eq!(got.as_deref(), Some(want.as_str()), "{:?}", text);
                }
            }
        }

        #[test]
        fn agrees_with_serde_json_value(v in value()) {
            for text in [
                serde_json::to_string(&v).expect("ser"),
                serde_json::to_string_pretty(&v).expect("ser"),
            ] {
                let j = Json::parse(&text).expect("valid");
                same(j, &v);
                if !v.is_string() {
                    prop_assert_eq!(j.compact(), serde_json::to_string(&v).expect("ser"));
                }
            }
        }

        #[test]
        fn accepts_and_rejects_like_serde_json(
            s in any::<String>(),
            t in "[\\[\\]{}\",:\\\\ \n\ta-z0-9.eE+\\-u\u{1}\u{e9}]{0,40}",
            v in value(),
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
            byte in prop::sample::select(vec![b'"', b'\\', b',', b':', b'}', b']', b'[', b'{', b' ', b'0', b'-', b'.', b'e', b'u', b'x', b'\n', 1u8]),
        ) {
            let json = serde_json::to_string_pretty(&v).expect("ser");
            // Cut at a char boundary, and one byte replaced by a JSON-significant one.
            let at = cut.index(json.len() + 1);
            let cut_text = json.get(..at).unwrap_or(&json).to_owned();
            let mut flipped = json.clone().into_bytes();
            let i = flip.index(flipped.len().max(1));
            if let Some(b) = flipped.get_mut(i) {
                if b.is_ascii() {
                    *b = byte;
                }
            }
            let flipped = String::from_utf8(flipped).unwrap_or_default();
            for text in [s.as_str(), t.as_str(), json.as_str(), cut_text.as_str(), flipped.as_str()] {
                prop_assert_eq!(ours(text), oracle(text), "{:?}", text);
            }
        }
    }
}
