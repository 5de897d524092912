//! NDJSON splitter cases, each checked at every standard chunking (whole, every two-way split,
//! one byte at a time, fixed sizes, seeded random splits).

mod support;

use streamguard::error::FrameError;
use streamguard::ndjson::NdjsonSplitter;
use streamguard::sse::DEFAULT_MAX_EVENT_BYTES;
use support::chunking::{one_byte_at_a_time, standard_chunkings};
use support::framing::run_ndjson;

type Out = Result<String, FrameError>;

fn l(s: &str) -> Out {
    Ok(s.to_string())
}
fn too_large(limit: usize) -> Out {
    Err(FrameError::EventTooLarge { limit })
}

struct Case {
    name: &'static str,
    max: usize,
    input: &'static [u8],
    lines: Vec<Out>,
    tail: Option<&'static str>,
}

macro_rules! case {
    (cap $max:expr, $name:expr, $input:expr, [$($line:expr),* $(,)?], $tail:expr) => {
        Case { name: $name, max: $max, input: $input, lines: vec![$($line),*], tail: $tail }
    };
    ($name:expr, $input:expr, [$($line:expr),* $(,)?], $tail:expr) => {
        case!(cap DEFAULT_MAX_EVENT_BYTES, $name, $input, [$($line),*], $tail)
    };
}

fn cases() -> Vec<Case> {
    vec![
        case!("empty stream", b"", [], None),
        case!("one line", b"{\"a\":1}\n", [l("{\"a\":1}")], None),
        case!(
            "ollama-style lines",
            b"{\"message\":{\"content\":\"Hi\"},\"done\":false}\n{\"done\":true}\n",
            [
                l("{\"message\":{\"content\":\"Hi\"},\"done\":false}"),
                l("{\"done\":true}")
            ],
            None
        ),
        case!("CRLF tolerated", b"{}\r\n[]\r\n", [l("{}"), l("[]")], None),
        case!(
            "only one CR before LF removed",
            b"a\r\r\n",
            [l("a\r")],
            None
        ),
        case!("lone CR is not a line end", b"a\rb\n", [l("a\rb")], None),
        case!(
            "blank lines skipped",
            b"\n\n{}\n\r\n \t \n\n[]\n",
            [l("{}"), l("[]")],
            None
        ),
        case!(
            "non-JSON whitespace is not blank",
            "\u{a0}\n".as_bytes(),
            [l("\u{a0}")],
            None
        ),
        case!(
            "surrounding spaces kept on non-blank lines",
            b"  {} \n",
            [l("  {} ")],
            None
        ),
        case!(
            "unterminated final fragment",
            b"{}\n{\"a\"",
            [l("{}")],
            Some("{\"a\"")
        ),
        case!("unterminated fragment with CR", b"{}\r", [], Some("{}")),
        case!("blank unterminated fragment", b"{}\n  ", [l("{}")], None),
        case!(
            "UTF-8 split anywhere decodes intact",
            "{\"t\":\"日本🦀\"}\n".as_bytes(),
            [l("{\"t\":\"日本🦀\"}")],
            None
        ),
        case!(
            "invalid UTF-8 replaced",
            b"a\xFFb\n\xE2\x82\n",
            [l("a\u{FFFD}b"), l("\u{FFFD}")],
            None
        ),
        case!(
            "BOM is not removed (NDJSON has none)",
            b"\xEF\xBB\xBF{}\n",
            [l("\u{FEFF}{}")],
            None
        ),
        case!(
            cap 4,
            "line over the cap reported once, then recovery",
            b"123456789\nabcd\n",
            [too_large(4), l("abcd")],
            None
        ),
        case!(
            cap 4,
            "line of exactly the cap with CRLF is fine",
            b"abcd\r\nx\n",
            [l("abcd"), l("x")],
            None
        ),
        case!(
            cap 4,
            "line of cap + 1 is over",
            b"abcde\n",
            [too_large(4)],
            None
        ),
        case!(
            cap 4,
            "over-cap unterminated fragment is reported, not returned",
            b"x\n123456789",
            [l("x"), too_large(4)],
            None
        ),
        case!(
            cap 4,
            "unterminated fragment of cap + 1 is over",
            b"x\n12345",
            [l("x"), too_large(4)],
            None
        ),
        case!(
            cap 4,
            "unterminated fragment of exactly the cap is returned",
            b"x\n1234",
            [l("x")],
            Some("1234")
        ),
        case!(
            cap 4,
            "two over-cap lines, two reports",
            b"123456\n123456\nok\n",
            [too_large(4), too_large(4), l("ok")],
            None
        ),
    ]
}

#[test]
fn ndjson_cases_at_every_chunking() {
    for case in cases() {
        for (label, chunks) in standard_chunkings(case.input) {
            let run = run_ndjson(case.max, &chunks);
            assert_eq!(run.lines, case.lines, "{:?} at {label}", case.name);
            assert_eq!(
                run.tail.as_deref(),
                case.tail,
                "{:?} at {label}: tail",
                case.name
            );
            assert!(
                run.examined <= case.input.len() as u64,
                "{:?} at {label}: examined",
                case.name
            );
        }
    }
}

#[test]
fn long_line_in_tiny_chunks_is_examined_linearly() {
    let n = 1 << 20;
    let mut input = vec![b'x'; n];
    input.push(b'\n');
    let mut s = NdjsonSplitter::new();
    for c in one_byte_at_a_time(&input) {
        s.feed(c);
    }
    assert!(s.bytes_examined() >= n as u64);
    assert!(s.bytes_examined() <= 2 * input.len() as u64);
    assert_eq!(s.next_line().map(|r| r.map(|l| l.len())), Some(Ok(n)));
}

#[test]
fn next_line_none_until_lf_and_finish_once() {
    let mut s = NdjsonSplitter::new();
    s.feed(b"{\"a\":");
    assert_eq!(s.next_line(), None);
    s.feed(b"1}\r");
    assert_eq!(s.next_line(), None);
    s.feed(b"\n{");
    assert_eq!(s.next_line(), Some(l("{\"a\":1}")));
    assert_eq!(s.finish(), Some("{".to_string()));
    assert_eq!(s.finish(), None);
    s.feed(b"}\n");
    assert_eq!(s.next_line(), None);
}
