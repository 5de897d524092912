//! The two framings of the plain-text and Gemini-array bodies, against oracles: the streaming
//! UTF-8 decoder equals `String::from_utf8_lossy` of the whole body at every chunking, and the
//! JSON values splitter returns exactly the elements `serde_json` finds in the whole array, at
//! every chunking, as soon as each is complete. Neither panics on any input.
// proptest is a native-only dev-dependency.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use proptest::prelude::*;
use serde_json::Value;
use streamguard::json_values::{JsonValuesSplitter, Piece, ValuesEnd};
use streamguard::utf8::Utf8Stream;
use support::chunking::standard_chunkings;

fn decode(chunks: &[&[u8]]) -> String {
    let mut d = Utf8Stream::new();
    let mut out = String::new();
    for c in chunks {
        d.decode(c, &mut out);
    }
    d.finish(&mut out);
    out
}

fn split(chunks: &[&[u8]]) -> (Vec<Piece>, ValuesEnd) {
    let mut s = JsonValuesSplitter::with_max_value_bytes(1 << 20);
    let mut out = Vec::new();
    for c in chunks {
        s.feed(c);
        while let Some(p) = s.next_piece() {
            out.push(p);
        }
    }
    (out, s.finish())
}

/// Cuts `bytes` at the given per-mille points.
fn cut_at<'a>(bytes: &'a [u8], cuts: &[u16]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|&c| bytes.len() * usize::from(c.min(1000)) / 1000)
        .collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points {
        out.push(&bytes[start..p]);
        start = p;
    }
    out.push(&bytes[start..]);
    out
}

/// Arbitrary JSON values, with strings full of the characters the splitter must not be
/// fooled by (quotes, backslashes, brackets, commas) and non-ASCII text.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z\"\\\\\\[\\]{},:é日🦀 \n]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-z\"\\]]{0,4}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// JSON whitespace, as Gemini puts it around its elements (`\n,\r\n`).
fn ws() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec![" ", "\n", "\r\n", "\t"]), 0..3)
        .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn utf8_at_any_chunking_equals_from_utf8_lossy(
        bytes in prop::collection::vec(prop_oneof![
            any::<u8>(),
            prop::sample::select(vec![0xE6u8, 0x97, 0xA5, 0xF0, 0x9F, 0xA6, 0x80, 0xC3, 0xA9]),
        ], 0..256),
        cuts in prop::collection::vec(0u16..=1000, 0..10),
    ) {
        let want = String::from_utf8_lossy(&bytes).into_owned();
        prop_assert_eq!(decode(&cut_at(&bytes, &cuts)), want);
    }

    #[test]
    fn the_splitter_finds_the_elements_serde_json_finds(
        values in prop::collection::vec((json_value(), ws(), ws()), 0..6),
        lead in ws(),
        pretty in any::<bool>(),
        cuts in prop::collection::vec(0u16..=1000, 0..10),
    ) {
        let mut body = format!("{lead}[");
        for (i, (v, before, after)) in values.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(before);
            let text = if pretty {
                serde_json::to_string_pretty(v).unwrap_or_default()
            } else {
                serde_json::to_string(v).unwrap_or_default()
            };
            body.push_str(&text);
            body.push_str(after);
        }
        body.push(']');
        let oracle: Vec<Value> = serde_json::from_str(&body).unwrap_or_default();
        let (pieces, end) = split(&cut_at(body.as_bytes(), &cuts));
        prop_assert_eq!(&end, &ValuesEnd::default());
        prop_assert_eq!(pieces.last(), Some(&Piece::Closed));
        let got: Vec<Value> = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Value(text) => serde_json::from_str(text).ok(),
                _ => None,
            })
            .collect();
        prop_assert_eq!(got.len(), pieces.len() - 1, "every element parses: {:?}", pieces);
        prop_assert_eq!(got, oracle);
    }

    #[test]
    fn any_bytes_at_any_chunking_split_the_same_and_never_panic(
        bytes in prop::collection::vec(prop_oneof![
            any::<u8>(),
            prop::sample::select(b"[]{},\"\\ \n:1a".to_vec()),
        ], 0..256),
        cuts in prop::collection::vec(0u16..=1000, 0..10),
    ) {
        let whole = split(&[&bytes]);
        let pieces = split(&cut_at(&bytes, &cuts));
        prop_assert_eq!(pieces, whole.clone());
        // At most one Invalid or Closed, and nothing after it.
        if let Some(i) = whole.0.iter().position(|p| matches!(p, Piece::Invalid(_) | Piece::Closed)) {
            prop_assert_eq!(i + 1, whole.0.len());
        }
    }
}

#[test]
fn a_gemini_array_at_every_standard_chunking() {
    let body = b"[{\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi, [there]\"}]}}]\n}\n,\r\n{\n  \"candidates\": [{\"finishReason\": \"STOP\"}]\n}\n]";
    let (whole, _) = split(&[&body[..]]);
    assert_eq!(whole.len(), 3);
    for (label, chunks) in standard_chunkings(body) {
        assert_eq!(split(&chunks).0, whole, "{label}");
    }
}
