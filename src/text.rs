//! Text building without `core::fmt`: integers in decimal, JSON strings escaped as serde_json
//! escapes them, and a small JSON object writer. Messages and JSON are built with these so the
//! wasm carries no formatting machinery (`format!` pulls in `core::fmt` and its padding and
//! integer code, several KB).

use std::borrow::Cow;

/// `bytes` as UTF-8, invalid sequences replaced by U+FFFD (`String::from_utf8_lossy`), with
/// the fast validation first: borrowed and checked a word at a time when the bytes are valid.
pub(crate) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match core::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(replace_invalid(bytes)),
    }
}

/// `String::from_utf8_lossy(bytes).into_owned()`, built on `str::from_utf8`'s error (the
/// valid prefix, then one U+FFFD per maximal invalid subpart, as `Utf8Error::error_len`
/// delimits it) instead of core's `Utf8Chunks` (about 1 KB less wasm).
fn replace_invalid(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    loop {
        match core::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                out.push_str(core::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{FFFD}');
                match e.error_len() {
                    Some(n) => bytes = rest.get(n..).unwrap_or_default(),
                    None => return out, // an incomplete sequence at the end
                }
            }
        }
    }
}

/// Makes room for `additional` more bytes in `s`, growing by half (not doubling) when it
/// must grow: a buffer that holds one huge event ends at most 1.5x its size, and while it
/// grows the old and the new block together are at most 2.5x (3x when doubling). Appends stay
/// amortised O(1) (each byte is copied at most 3 times on average).
pub(crate) fn grow(s: &mut String, additional: usize) {
    let need = s.len().saturating_add(additional);
    if need > s.capacity() {
        let target = need.max(s.capacity().saturating_add(s.capacity() / 2));
        s.reserve_exact(target.saturating_sub(s.len()));
    }
}

/// The value of `s`: one or more ASCII digits and nothing else, `None` past `u64::MAX`
/// (the integer parsers of `retryable` and `http_date` build on it instead of core's generic
/// `str::parse`).
pub(crate) fn digits(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &d in s.as_bytes() {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(v)
}

/// The most a reused buffer (a parser's queue or line store) keeps allocated once emptied; a
/// larger one is freed, so one large event does not pin its size for the rest of the stream.
pub(crate) const KEEP: usize = 64 * 1024;

/// Empties a reused buffer, releasing its memory when it grew past [`KEEP`].
pub(crate) fn forget(buf: &mut String) {
    if buf.capacity() > KEEP {
        *buf = String::new();
    } else {
        buf.clear();
    }
}

/// [`grow`] for bytes.
pub(crate) fn grow_bytes(v: &mut Vec<u8>, additional: usize) {
    let need = v.len().saturating_add(additional);
    if need > v.capacity() {
        let target = need.max(v.capacity().saturating_add(v.capacity() / 2));
        v.reserve_exact(target.saturating_sub(v.len()));
    }
}

/// The parts, joined (`format!` without `core::fmt`).
pub(crate) fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// `v` in decimal.
pub(crate) fn decimal(v: u64) -> String {
    let mut s = String::new();
    push_u64(&mut s, v);
    s
}

/// `s.trim()`, at once when `s` starts and ends with a visible ASCII character (a JSON frame
/// does; `trim` would decode chars from both ends to check for Unicode white space).
#[inline(always)]
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Appends `v` in decimal.
pub(crate) fn push_u64(out: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut n = 0;
    loop {
        if let Some(d) = digits.get_mut(n) {
            *d = (v % 10) as u8;
        }
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &d in digits.iter().take(n).rev() {
        out.push(char::from(b'0' + d));
    }
}

/// Appends `v` in decimal.
pub(crate) fn push_usize(out: &mut String, v: usize) {
    push_u64(out, v as u64);
}

/// Appends `s` as a JSON string (quotes included), escaped exactly as serde_json escapes it:
/// `"`, `\`, `\b`, `\f`, `\n`, `\r`, `\t`, other control characters as `\u00xx` (lowercase
/// hex); everything else as is.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut run = 0; // start of the bytes not yet copied
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0C => "\\f",
            0..=0x1F => "",
            _ => continue,
        };
        out.push_str(s.get(run..i).unwrap_or_default());
        run = i + 1;
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(
                HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
            ));
            out.push(char::from(
                HEX.get(usize::from(b & 0xF)).copied().unwrap_or(b'0'),
            ));
        } else {
            out.push_str(esc);
        }
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

/// A JSON object being written: `{`, then members separated by commas, then `}`.
pub(crate) struct JsonObject<'o> {
    out: &'o mut String,
    first: bool,
}

impl<'o> JsonObject<'o> {
    /// Starts an object in `out`.
    pub(crate) fn new(out: &'o mut String) -> Self {
        out.push('{');
        JsonObject { out, first: true }
    }

    /// Writes `"name":` and returns the buffer for the value.
    pub(crate) fn key(&mut self, name: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\":");
        self.out
    }

    /// A string member.
    pub(crate) fn str(&mut self, name: &str, value: &str) {
        push_json_str(self.key(name), value);
    }

    /// A string member, `null` when absent.
    pub(crate) fn opt_str(&mut self, name: &str, value: Option<&str>) {
        match value {
            Some(v) => self.str(name, v),
            None => self.key(name).push_str("null"),
        }
    }

    /// A number member.
    pub(crate) fn u64(&mut self, name: &str, value: u64) {
        push_u64(self.key(name), value);
    }

    /// A number member, `null` when absent.
    pub(crate) fn opt_u64(&mut self, name: &str, value: Option<u64>) {
        match value {
            Some(v) => self.u64(name, v),
            None => self.key(name).push_str("null"),
        }
    }

    /// A boolean member.
    pub(crate) fn bool(&mut self, name: &str, value: bool) {
        self.key(name)
            .push_str(if value { "true" } else { "false" });
    }

    /// A member whose value is JSON text already (a literal, a nested object).
    pub(crate) fn raw(&mut self, name: &str, json: &str) {
        self.key(name).push_str(json);
    }

    /// Closes the object.
    pub(crate) fn end(self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_is_from_utf8_lossy() {
        let cases: [&[u8]; 8] = [
            b"plain",
            b"\xff",
            b"a\xc3",
            b"\xe2\x82",
            b"x\xe2\x82y\xf0\x9f\x98\x80z",
            b"\xed\xa0\x80",
            b"\xc0\xaf\xf5\x80",
            "é漢🎉".as_bytes(),
        ];
        for b in cases {
            assert_eq!(lossy(b), String::from_utf8_lossy(b), "{b:?}");
        }
    }

    #[test]
    fn integers() {
        for v in [0, 1, 9, 10, 42, 1_000_000, u64::from(u32::MAX), u64::MAX] {
            let mut s = String::from("x");
            push_u64(&mut s, v);
            assert_eq!(s, format!("x{v}"));
        }
    }

    #[test]
    fn digits_is_u64_from_str_without_a_sign() {
        for t in [
            "0",
            "007",
            "42",
            "18446744073709551615",
            "18446744073709551616",
            "",
            "+1",
            "-1",
            "1a",
            " 1",
            "1 ",
        ] {
            let want = if t.starts_with('+') {
                None
            } else {
                t.parse::<u64>().ok()
            };
            assert_eq!(digits(t), want, "{t:?}");
        }
    }

    #[test]
    fn json_strings_are_serde_jsons() {
        for s in [
            "",
            "plain",
            "q\"b\\s/",
            "\u{0}\u{1}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{1f}\u{7f}",
            "é漢🎉",
            "end\n",
        ] {
            let mut out = String::new();
            push_json_str(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).expect("ser"));
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn lossy_matches_from_utf8_lossy(b in prop::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(lossy(&b), String::from_utf8_lossy(&b));
        }

        #[test]
        fn digits_matches_u64_from_str(s in "[0-9]{0,22}|[0-9a+ -]{0,4}") {
            let want = if s.starts_with('+') { None } else { s.parse::<u64>().ok() };
            prop_assert_eq!(digits(&s), want);
        }

        #[test]
        fn json_strings_match_serde_json(s in any::<String>(), v in any::<u64>()) {
            let mut out = String::new();
            push_json_str(&mut out, &s);
            prop_assert_eq!(out, serde_json::to_string(&s).expect("ser"));
            let mut n = String::new();
            push_u64(&mut n, v);
            prop_assert_eq!(n, v.to_string());
        }
    }
}
