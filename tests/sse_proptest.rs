//! Property tests: for generated event streams (fields, comments, random bytes including
//! multi-byte UTF-8 and invalid sequences, CR/LF/CRLF endings, BOMs), every random chunking
//! gives exactly the output of feeding the stream whole; and feeding whole agrees with a naive
//! reference model written straight from the spec (decode the whole stream, then split lines).
//! The same for NDJSON.
// proptest is a native-only dev-dependency: keep this binary off wasm32 (browser tests build every test target).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use proptest::prelude::*;
use streamguard::error::FrameError;
use streamguard::sse::{Eof, Event, Item, DEFAULT_MAX_EVENT_BYTES};
use support::chunking::one_byte_at_a_time;
use support::framing::{run_ndjson, run_sse};

/// Cuts `bytes` at the given points (taken modulo the length, sorted).
fn cut<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut ps: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
    ps.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in ps {
        out.push(bytes.get(start..p).unwrap_or_default());
        start = p;
    }
    out.push(bytes.get(start..).unwrap_or_default());
    out
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[ a-z0-9:]{0,6}".prop_map(String::into_bytes),
        "[0-9]{1,4}".prop_map(String::into_bytes),
        "[ é中🦀\u{FEFF}\u{0}]{0,4}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..6),
    ]
}

fn line() -> impl Strategy<Value = Vec<u8>> {
    let name = prop_oneof![
        Just(&b"data"[..]),
        Just(&b"data"[..]),
        Just(&b"event"[..]),
        Just(&b"id"[..]),
        Just(&b"retry"[..]),
        Just(&b"foo"[..]),
        Just(&b"Data"[..]),
        Just(&b""[..]),
    ];
    let sep = prop_oneof![
        Just(&b":"[..]),
        Just(&b": "[..]),
        Just(&b":  "[..]),
        Just(&b""[..])
    ];
    prop_oneof![
        4 => (name, sep, value()).prop_map(|(n, s, v)| [n, s, &v[..]].concat()),
        1 => value().prop_map(|v| [&b":"[..], &v[..]].concat()),
        2 => Just(Vec::new()),
        1 => Just(vec![0xEF, 0xBB, 0xBF]),
        1 => proptest::collection::vec(any::<u8>(), 0..8),
    ]
}

fn ending() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![Just(&b"\n"[..]), Just(&b"\r"[..]), Just(&b"\r\n"[..])]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    let bom = prop_oneof![
        Just(Vec::new()),
        Just(vec![0xEF, 0xBB, 0xBF]),
        Just(vec![0xEF, 0xBB]),
    ];
    (
        bom,
        proptest::collection::vec((line(), ending()), 0..16),
        proptest::option::of(line()),
    )
        .prop_map(|(bom, lines, tail)| {
            let mut out = bom;
            for (l, e) in lines {
                out.extend_from_slice(&l);
                out.extend_from_slice(e);
            }
            if let Some(t) = tail {
                out.extend_from_slice(&t);
            }
            out
        })
}

/// The spec, naively: decode the whole stream, strip one BOM, split lines on the decoded text,
/// interpret. No chunking, no cap.
fn reference_sse(bytes: &[u8]) -> (Vec<Result<Item, FrameError>>, Eof) {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut cur));
            }
            '\n' => lines.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    let mut out = Vec::new();
    let (mut data, mut etype, mut id) = (String::new(), String::new(), String::new());
    let mut pending = false;
    for line in lines {
        if line.is_empty() {
            pending = false;
            if data.is_empty() {
                etype.clear();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            let t = if etype.is_empty() {
                "message".to_string()
            } else {
                etype.clone()
            };
            out.push(Ok(Item::Event(Event {
                event_type: t,
                data: std::mem::take(&mut data),
                last_event_id: id.clone(),
            })));
            etype.clear();
            continue;
        }
        if line.starts_with(':') {
            out.push(Ok(Item::Comment));
            continue;
        }
        pending = true;
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n, v.strip_prefix(' ').unwrap_or(v)),
            None => (&line[..], ""),
        };
        match name {
            "event" => etype = value.to_string(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => id = value.to_string(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                out.push(Ok(Item::Retry(value.parse().unwrap_or(u64::MAX))));
            }
            _ => {}
        }
    }
    let unterminated = pending || !cur.is_empty();
    (out, Eof { unterminated })
}

fn reference_ndjson(bytes: &[u8]) -> (Vec<Result<String, FrameError>>, Option<String>) {
    let blank = |l: &[u8]| l.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'));
    let strip = |l: &'_ [u8]| -> Vec<u8> { l.strip_suffix(b"\r").unwrap_or(l).to_vec() };
    let mut parts: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    let last = parts.pop().unwrap_or_default();
    let lines = parts
        .into_iter()
        .filter(|l| !blank(l))
        .map(|l| Ok(String::from_utf8_lossy(&strip(l)).into_owned()))
        .collect();
    let tail = (!blank(last)).then(|| String::from_utf8_lossy(&strip(last)).into_owned());
    (lines, tail)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn sse_whole_feed_matches_the_spec_model(bytes in stream()) {
        let run = run_sse(DEFAULT_MAX_EVENT_BYTES, &[&bytes]);
        let (items, eof) = reference_sse(&bytes);
        prop_assert_eq!(run.items, items);
        prop_assert_eq!(run.eof, eof);
    }

    #[test]
    fn sse_any_chunking_matches_whole(
        bytes in stream(),
        points in proptest::collection::vec(any::<usize>(), 0..24),
        max in prop_oneof![Just(6usize), Just(16), Just(DEFAULT_MAX_EVENT_BYTES)],
    ) {
        let whole = run_sse(max, &[&bytes]);
        let chunked = run_sse(max, &cut(&bytes, &points));
        prop_assert!(chunked.examined <= bytes.len() as u64);
        prop_assert_eq!(chunked.items, whole.items);
        prop_assert_eq!(chunked.eof, whole.eof);
    }

    #[test]
    fn sse_one_byte_at_a_time_matches_whole(bytes in stream()) {
        let whole = run_sse(DEFAULT_MAX_EVENT_BYTES, &[&bytes]);
        let drip = run_sse(DEFAULT_MAX_EVENT_BYTES, &one_byte_at_a_time(&bytes));
        prop_assert_eq!(drip, whole);
    }

    #[test]
    fn sse_arbitrary_bytes_never_panic_and_chunk_invariant(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        points in proptest::collection::vec(any::<usize>(), 0..16),
    ) {
        let whole = run_sse(8, &[&bytes]);
        let chunked = run_sse(8, &cut(&bytes, &points));
        prop_assert_eq!(chunked.items, whole.items);
        prop_assert_eq!(chunked.eof, whole.eof);
    }

    #[test]
    fn ndjson_whole_feed_matches_the_model(bytes in stream()) {
        let run = run_ndjson(DEFAULT_MAX_EVENT_BYTES, &[&bytes]);
        let (lines, tail) = reference_ndjson(&bytes);
        prop_assert_eq!(run.lines, lines);
        prop_assert_eq!(run.tail, tail);
    }

    #[test]
    fn ndjson_any_chunking_matches_whole(
        bytes in stream(),
        points in proptest::collection::vec(any::<usize>(), 0..24),
        max in prop_oneof![Just(4usize), Just(16), Just(DEFAULT_MAX_EVENT_BYTES)],
    ) {
        let whole = run_ndjson(max, &[&bytes]);
        let chunked = run_ndjson(max, &cut(&bytes, &points));
        prop_assert!(chunked.examined <= bytes.len() as u64);
        prop_assert_eq!(chunked.lines, whole.lines);
        prop_assert_eq!(chunked.tail, whole.tail);
    }
}
