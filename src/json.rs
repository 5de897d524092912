//! A lazy view of JSON text that serde_json has already checked.
//!
//! [`Json::parse`] runs serde_json over the whole frame once (`IgnoredAny`: the text must be
//! exactly one valid JSON value, with serde_json's error messages); after that, only what a
//! decoder reads is looked at: an object's members are split into `(key, value text)` pairs
//! when asked for, a string is unescaped when read (borrowed when it has no escapes), a count
//! is read from its digits. Nothing builds a `serde_json::Value` or a map, numbers are never
//! converted to floats, and no typed serde visitor is involved (their `invalid_type` errors
//! pull core's float formatting into the wasm). The scanner below only ever walks text that
//! serde_json accepted, so it only has to find where tokens end; it still never panics or
//! loops on any input.
//!
//! Reading a nested member scans its parent's text again, so a frame costs O(size × depth of
//! the deepest member read), at most 5 levels in the decoders.
//!
//! The same answers as `serde_json::Value`'s accessors, with these deliberate differences: a
//! string with an invalid `\u` surrogate escape reads as absent (`Value` rejected the whole
//! frame); nesting deeper than serde_json's recursion limit (128) is accepted.

use std::borrow::Cow;

use serde::de::IgnoredAny;

/// One syntactically valid JSON value, as its text (borrowed from the frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Json<'a>(&'a str);

impl<'a> Json<'a> {
    /// `null` (what tests decode a malformed line to).
    #[cfg(test)]
    pub(crate) const NULL: Json<'static> = Json("null");

    /// Checks that `text` is exactly one JSON value (whitespace around it allowed).
    pub(crate) fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<IgnoredAny>(text)?;
        Ok(Json(text.trim_matches(is_ws)))
    }

    /// Whether this is an object.
    pub(crate) fn is_object(self) -> bool {
        self.0.starts_with('{')
    }

    /// Whether this is a string.
    pub(crate) fn is_string(self) -> bool {
        self.0.starts_with('"')
    }

    /// Whether this is `null`.
    pub(crate) fn is_null(self) -> bool {
        self.0 == "null"
    }

    /// The string, unescaped (borrowed when it has no escapes).
    pub(crate) fn as_str(self) -> Option<Cow<'a, str>> {
        let inner = self.0.strip_prefix('"')?.strip_suffix('"')?;
        if inner.contains('\\') {
            unescape(inner).map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(inner))
        }
    }

    /// A non-negative integer that fits a `u64` (like `Value::as_u64`: `1.0`, `1e3`, `-1`
    /// and anything larger than `u64::MAX` are not).
    pub(crate) fn as_u64(self) -> Option<u64> {
        // A valid JSON number never starts with `+`, so `parse` sees digits or fails.
        self.0.parse().ok()
    }

    /// `true` or `false`.
    pub(crate) fn as_bool(self) -> Option<bool> {
        match self.0 {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// A non-empty string, or a number's text (a provider's error code may be either).
    pub(crate) fn as_text(self) -> Option<String> {
        if self.0.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            return Some(self.0.to_owned());
        }
        self.as_str().filter(|s| !s.is_empty()).map(Cow::into_owned)
    }

    /// The members of an object (none for anything else). A repeated key keeps every
    /// occurrence; [`Obj::get`] answers with the last one, like `serde_json::Value`.
    pub(crate) fn obj(self) -> Obj<'a> {
        let mut members = Vec::new();
        let Some(body) = self.0.strip_prefix('{') else {
            return Obj(members);
        };
        let mut rest = body;
        loop {
            rest = rest.trim_start_matches(|c: char| is_ws(c) || c == ',');
            if !rest.starts_with('"') {
                break; // `}` (or nothing left)
            }
            let key_len = value_len(rest);
            let (key, after) = rest.split_at(key_len);
            let after = after.trim_start_matches(is_ws);
            let Some(after) = after.strip_prefix(':') else {
                break;
            };
            let after = after.trim_start_matches(is_ws);
            let (value, next) = after.split_at(value_len(after));
            if value.is_empty() {
                break;
            }
            members.push((Json(key).as_str().unwrap_or_default(), Json(value)));
            rest = next;
        }
        Obj(members)
    }

    /// The elements of an array, or `None` for anything else.
    pub(crate) fn array(self) -> Option<Vec<Json<'a>>> {
        let mut rest = self.0.strip_prefix('[')?;
        let mut items = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| is_ws(c) || c == ',');
            let (item, next) = rest.split_at(value_len(rest));
            if item.is_empty() {
                break; // `]` (or nothing left)
            }
            items.push(Json(item));
            rest = next;
        }
        Some(items)
    }

    /// The text without the whitespace between tokens (compact; strings, numbers and key
    /// order are kept as sent).
    pub(crate) fn compact(self) -> String {
        let mut out = String::with_capacity(self.0.len());
        let mut in_string = false;
        let mut escaped = false;
        for c in self.0.chars() {
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
            } else if is_ws(c) {
                continue;
            }
            out.push(c);
        }
        out
    }
}

/// JSON whitespace.
fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The byte length of the value at the start of `s` (0 at `,`, `]`, `}`, whitespace or the
/// end). Always a char boundary: every byte it stops after is ASCII.
fn value_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
                if depth == 0 {
                    return i + 1;
                }
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return i,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            b',' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => return i,
            _ => {}
        }
    }
    if in_string || depth > 0 {
        0 // unterminated: not a value (cannot happen after serde_json's check)
    } else {
        s.len()
    }
}

/// The unescaped text between a string's quotes; `None` for an escape that is not valid
/// (a lone surrogate, which serde_json's check lets through).
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let hi = hex4(&mut chars)?;
                if (0xD800..0xDC00).contains(&hi) {
                    if chars.next()? != '\\' || chars.next()? != 'u' {
                        return None;
                    }
                    let lo = hex4(&mut chars)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                } else {
                    char::from_u32(hi)?
                }
            }
            _ => return None,
        });
    }
    Some(out)
}

/// Four hex digits.
fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

/// An object's members in order (a non-object reads as no members).
#[derive(Debug, Default)]
pub(crate) struct Obj<'a>(Vec<(Cow<'a, str>, Json<'a>)>);

impl<'a> Obj<'a> {
    /// The member `key` (the last one when a key repeats, like `serde_json::Value`).
    pub(crate) fn get(&self, key: &str) -> Option<Json<'a>> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| *v)
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
        assert!(Json::parse(r#"{"a":}"#).is_err());
        assert!(Json::parse("{} x").is_err());
        assert_eq!(Json::parse(" 42 ").ok(), Some(Json("42")));
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
    }

    #[test]
    fn scanner_never_panics_on_unchecked_text() {
        for s in [
            "",
            "{",
            "[",
            "\"",
            "{\"a\"",
            "{\"a\":",
            "{\"a\" 1}",
            "[1,,2",
            "}{",
            "\"\\",
            "\"\\u12",
        ] {
            let j = Json(s);
            let _ = (
                j.obj().get("a"),
                j.array(),
                j.as_str(),
                j.as_u64(),
                j.compact(),
            );
        }
    }
}

/// Differential: every accessor agrees with `serde_json::Value` on generated JSON, compact and
/// pretty; and nothing panics on arbitrary text.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod props {
    use super::*;
    use proptest::prelude::*;
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
                assert_eq!(o.0.len(), map.len());
            }
            _ => assert_eq!(j.array(), None),
        }
    }

    proptest! {
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
        fn never_panics(s in any::<String>(), t in "[\\[\\]{}\",:\\\\ a-z0-9.\\-]{0,40}") {
            for text in [s.as_str(), t.as_str()] {
                if let Ok(j) = Json::parse(text) {
                    let _ = (j.obj().get("a"), j.array(), j.as_str(), j.as_u64(), j.compact());
                }
                let j = Json(text);
                let _ = (j.obj().get("a"), j.array(), j.as_str(), j.as_u64(), j.compact());
            }
        }
    }
}
