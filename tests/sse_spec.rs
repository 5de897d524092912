//! Table-driven conformance cases for the SSE parser (WHATWG "Parsing an event stream" and
//! "Interpreting an event stream"), each checked fed whole, split at every byte index, one byte
//! at a time, at fixed sizes and at seeded random splits: the output must be identical.
//! <https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream>

mod support;

use streamguard::error::FrameError;
use streamguard::sse::{Eof, Event, Item, SseParser, DEFAULT_MAX_EVENT_BYTES};
use support::chunking::{one_byte_at_a_time, split_every, standard_chunkings};
use support::framing::run_sse;

type Out = Result<Item, FrameError>;

fn ev(event_type: &str, data: &str, id: &str) -> Out {
    Ok(Item::Event(Event {
        event_type: event_type.to_string(),
        data: data.to_string(),
        last_event_id: id.to_string(),
    }))
}
fn msg(data: &str) -> Out {
    ev("message", data, "")
}
fn msg_id(data: &str, id: &str) -> Out {
    ev("message", data, id)
}
fn retry(ms: u64) -> Out {
    Ok(Item::Retry(ms))
}
fn comment() -> Out {
    Ok(Item::Comment)
}
fn too_large(limit: usize) -> Out {
    Err(FrameError::EventTooLarge { limit })
}

struct Case {
    name: &'static str,
    max: usize,
    input: &'static [u8],
    items: Vec<Out>,
    unterminated: bool,
}

/// `case!(name, input, [items...], unterminated)` or with a cap first: `case!(cap 8, ...)`.
macro_rules! case {
    (cap $max:expr, $name:expr, $input:expr, [$($item:expr),* $(,)?], $unterminated:expr) => {
        Case {
            name: $name,
            max: $max,
            input: $input,
            items: vec![$($item),*],
            unterminated: $unterminated,
        }
    };
    ($name:expr, $input:expr, [$($item:expr),* $(,)?], $unterminated:expr) => {
        case!(cap DEFAULT_MAX_EVENT_BYTES, $name, $input, [$($item),*], $unterminated)
    };
}

fn cases() -> Vec<Case> {
    vec![
        // --- The WHATWG examples ----------------------------------------------------------
        case!(
            "whatwg: stock ticker, data lines joined with LF",
            b"data: YHOO\ndata: +2\ndata: 10\n\n",
            [msg("YHOO\n+2\n10")],
            false
        ),
        case!(
            "whatwg: comment, ids, id reset, unterminated third event",
            b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n",
            [comment(), msg_id("first event", "1"), msg_id("second event", "")],
            true
        ),
        case!(
            "whatwg: data without colon gives empty and LF events; last one not dispatched",
            b"data\n\ndata\ndata\n\ndata:",
            [msg(""), msg("\n")],
            true
        ),
        case!(
            "whatwg: one leading space is optional",
            b"data:test\n\ndata: test\n\n",
            [msg("test"), msg("test")],
            false
        ),
        case!(
            "whatwg: field without colon is a field with empty value (unknown: ignored)",
            b"test\n\n",
            [],
            false
        ),
        case!(
            "whatwg: event types",
            b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
            [ev("add", "73857293", ""), ev("remove", "2153", ""), ev("add", "113411", "")],
            false
        ),
        // --- UTF-8 ----------------------------------------------------------------------------
        case!("utf8: CJK", "data: 你好，世界\n\n".as_bytes(), [msg("你好，世界")], false),
        case!("utf8: 4-byte emoji", "data: 🦀🚀\n\n".as_bytes(), [msg("🦀🚀")], false),
        case!(
            "utf8: invalid byte becomes U+FFFD",
            b"data: a\xFFb\n\n",
            [msg("a\u{FFFD}b")],
            false
        ),
        case!(
            "utf8: truncated sequence before LF is one U+FFFD",
            b"data: \xE2\x82\n\n",
            [msg("\u{FFFD}")],
            false
        ),
        case!(
            "utf8: encoded surrogate is three U+FFFD (maximal subparts)",
            b"data: \xED\xA0\x80!\n\n",
            [msg("\u{FFFD}\u{FFFD}\u{FFFD}!")],
            false
        ),
        case!(
            "utf8: overlong encoding is replaced",
            b"data: \xC0\xAF\n\n",
            [msg("\u{FFFD}\u{FFFD}")],
            false
        ),
        case!(
            "utf8: invalid byte in field name makes it unknown",
            b"d\xFFata: x\n\n",
            [],
            false
        ),
        case!(
            "utf8: invalid byte in event type",
            b"event: a\xFFb\ndata: x\n\n",
            [ev("a\u{FFFD}b", "x", "")],
            false
        ),
        case!(
            "utf8: invalid byte in id",
            b"id: \xF0\x9F\ndata: x\n\n",
            [msg_id("x", "\u{FFFD}")],
            false
        ),
        case!(
            "utf8: invalid sequence cut by CR",
            b"data: \xF0\x9F\x98\rdata: z\n\n",
            [msg("\u{FFFD}\nz")],
            false
        ),
        // --- BOM --------------------------------------------------------------------------------
        case!(
            "bom: one leading BOM removed",
            b"\xEF\xBB\xBFdata: a\n\n",
            [msg("a")],
            false
        ),
        case!(
            "bom: a second BOM is data (field name U+FEFF data is unknown)",
            b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n",
            [msg("b")],
            false
        ),
        case!(
            "bom: not at the start is data",
            b"data: a\n\n\xEF\xBB\xBFdata: b\n\n",
            [msg("a")],
            false
        ),
        case!(
            "bom: inside a value is kept",
            b"data: \xEF\xBB\xBFx\n\n",
            [msg("\u{FEFF}x")],
            false
        ),
        case!(
            "bom: a partial BOM prefix is data, not stripped",
            b"\xEF\xBBdata: a\n\ndata: b\n\n",
            [msg("b")],
            false
        ),
        case!("bom: stream of only a BOM is empty", b"\xEF\xBB\xBF", [], false),
        case!(
            "bom: stream of only a partial BOM is an unterminated line",
            b"\xEF\xBB",
            [],
            true
        ),
        case!(
            "bom: BOM then blank lines then data",
            b"\xEF\xBB\xBF\n\ndata: a\n\n",
            [msg("a")],
            false
        ),
        case!(
            "bom: BOM then a lone CR line end",
            b"\xEF\xBB\xBF\rdata: a\r\r",
            [msg("a")],
            false
        ),
        // --- Line endings -------------------------------------------------------------------------
        case!("eol: CRLF", b"data: a\r\ndata: b\r\n\r\n", [msg("a\nb")], false),
        case!("eol: lone CR", b"data: a\rdata: b\r\r", [msg("a\nb")], false),
        case!(
            "eol: mixed CRLF, CR and LF in one stream",
            b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\n\n",
            [msg("a\nb\nc"), msg("d")],
            false
        ),
        case!(
            "eol: LF then CR are two line ends",
            b"data: a\n\rdata: b\n\n",
            [msg("a"), msg("b")],
            false
        ),
        case!(
            "eol: CR CR LF is a line end then one blank line",
            b"data: a\r\r\ndata: b\n\n",
            [msg("a"), msg("b")],
            false
        ),
        case!(
            "eol: CR as the very last byte ends its line (blank line dispatches)",
            b"data: a\n\r",
            [msg("a")],
            false
        ),
        case!(
            "eol: CR as the very last byte ends a retry line (reported)",
            b"retry: 5\r",
            [retry(5)],
            true
        ),
        case!(
            "eol: lone CR inside a value splits the line",
            b"data: a\rb\n\n",
            [msg("a")],
            false
        ),
        case!(
            "eol: many CRLF blank lines dispatch nothing extra",
            b"data: a\r\n\r\n\r\n\r\ndata: b\r\n\r\n",
            [msg("a"), msg("b")],
            false
        ),
        case!(
            "eol: only line ends",
            b"\n\r\n\r\r\n",
            [],
            false
        ),
        // --- Comments -------------------------------------------------------------------------------
        case!("comment: keep-alive alone", b": ping\n", [comment()], false),
        case!("comment: bare colon", b":\n\n", [comment()], false),
        case!(
            "comment: between data lines does not break the event",
            b"data: a\n: keep-alive\ndata: b\n\n",
            [comment(), msg("a\nb")],
            false
        ),
        case!(
            "comment: OpenRouter-style processing comment before data",
            b": OPENROUTER PROCESSING\n\ndata: {\"x\":1}\n\n",
            [comment(), msg("{\"x\":1}")],
            false
        ),
        case!(
            "comment: space before colon is a field named space, not a comment",
            b" : x\ndata: a\n\n",
            [msg("a")],
            false
        ),
        case!(
            "comment: trailing complete comment does not make the stream unterminated",
            b"data: a\n\n: bye\n",
            [msg("a"), comment()],
            false
        ),
        // --- Fields ---------------------------------------------------------------------------------
        case!("field: data without colon", b"data\n\n", [msg("")], false),
        case!("field: empty data value", b"data:\n\n", [msg("")], false),
        case!(
            "field: only one leading space removed",
            b"data:  a\n\n",
            [msg(" a")],
            false
        ),
        case!("field: tab is not removed", b"data:\ta\n\n", [msg("\ta")], false),
        case!("field: trailing space kept", b"data: a \n\n", [msg("a ")], false),
        case!(
            "field: value split at the first colon only",
            b"data: a:b: c\n\n",
            [msg("a:b: c")],
            false
        ),
        case!(
            "field: names are case-sensitive",
            b"Data: a\nDATA: b\nEvent: x\nID: 3\nRetry: 7\n\n",
            [],
            false
        ),
        case!(
            "field: unknown field ignored",
            b"foo: bar\ndata: a\nbaz\n\n",
            [msg("a")],
            false
        ),
        case!(
            "field: space before the colon makes another name",
            b"data : a\n\n",
            [],
            false
        ),
        case!(
            "field: empty data line then value",
            b"data:\ndata: a\n\n",
            [msg("\na")],
            false
        ),
        case!(
            "field: only one trailing LF removed",
            b"data: a\ndata:\n\n",
            [msg("a\n")],
            false
        ),
        case!(
            "field: JSON data as OpenAI sends it, then [DONE]",
            b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n",
            [msg("{\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}"), msg("[DONE]")],
            false
        ),
        // --- Event type -------------------------------------------------------------------------------
        case!(
            "type: reset after dispatch",
            b"event: a\ndata: 1\n\ndata: 2\n\n",
            [ev("a", "1", ""), msg("2")],
            false
        ),
        case!(
            "type: reset when an empty-data event is not dispatched",
            b"event: a\n\ndata: 2\n\n",
            [msg("2")],
            false
        ),
        case!(
            "type: empty event field means message",
            b"event:\ndata: x\n\n",
            [msg("x")],
            false
        ),
        case!(
            "type: last event field wins",
            b"event: a\nevent: b\ndata: x\n\n",
            [ev("b", "x", "")],
            false
        ),
        case!(
            "type: event field after data in the same block",
            b"data: x\nevent: e\n\n",
            [ev("e", "x", "")],
            false
        ),
        case!(
            "type: only blank lines dispatch nothing",
            b"\n\n\n",
            [],
            false
        ),
        // --- id ---------------------------------------------------------------------------------------
        case!(
            "id: persists across events",
            b"id: 1\ndata: a\n\ndata: b\n\n",
            [msg_id("a", "1"), msg_id("b", "1")],
            false
        ),
        case!(
            "id: set in a block that dispatches nothing still persists",
            b"id: 7\n\ndata: a\n\n",
            [msg_id("a", "7")],
            false
        ),
        case!(
            "id: empty value resets it",
            b"id: 1\ndata: a\n\nid:\ndata: b\n\n",
            [msg_id("a", "1"), msg_id("b", "")],
            false
        ),
        case!(
            "id: value containing U+0000 is ignored",
            b"id: 1\n\nid: a\0b\ndata: x\n\n",
            [msg_id("x", "1")],
            false
        ),
        case!(
            "id: lone U+0000 is ignored",
            b"id: 2\nid: \0\ndata: x\n\n",
            [msg_id("x", "2")],
            false
        ),
        case!(
            "id: last one before the blank line wins",
            b"id: 1\ndata: a\nid: 2\n\n",
            [msg_id("a", "2")],
            false
        ),
        case!(
            "id: unicode and spaces kept",
            "id:  ид 9\ndata: x\n\n".as_bytes(),
            [msg_id("x", " ид 9")],
            false
        ),
        case!(
            "id: only id after the last event is unterminated",
            b"data: a\n\nid: 9\n",
            [msg("a")],
            true
        ),
        // --- retry ------------------------------------------------------------------------------------
        case!("retry: valid", b"retry: 1000\n\n", [retry(1000)], false),
        case!(
            "retry: reported before the event it is in",
            b"data: a\nretry: 5\n\n",
            [retry(5), msg("a")],
            false
        ),
        case!("retry: zero and leading zeros", b"retry: 0\nretry: 007\n\n", [retry(0), retry(7)], false),
        case!(
            "retry: non-digits ignored",
            b"retry: 10a\nretry: -1\nretry: 1.5\nretry: +3\nretry: 1e3\n\n",
            [],
            false
        ),
        case!(
            "retry: two spaces means a leading space in the value: ignored",
            b"retry:  100\nretry: 100 \n\n",
            [],
            false
        ),
        case!(
            "retry: empty value and no colon ignored",
            b"retry:\nretry\n\n",
            [],
            false
        ),
        case!(
            "retry: non-ASCII digits ignored",
            "retry: ١٢\nretry: １２\n\n".as_bytes(),
            [],
            false
        ),
        case!(
            "retry: huge value saturates",
            b"retry: 99999999999999999999999999\n\n",
            [retry(u64::MAX)],
            false
        ),
        case!(
            "retry: with CRLF",
            b"retry: 3000\r\ndata: x\r\n\r\n",
            [retry(3000), msg("x")],
            false
        ),
        // --- End of stream ----------------------------------------------------------------------------
        case!("eof: empty stream", b"", [], false),
        case!("eof: incomplete data line", b"data: a", [], true),
        case!("eof: data line without blank line", b"data: a\n", [], true),
        case!(
            "eof: event field only",
            b"data: a\n\nevent: x\n",
            [msg("a")],
            true
        ),
        case!("eof: unknown field only", b"foo\n", [], true),
        case!("eof: properly terminated", b"data: a\n\n", [msg("a")], false),
        case!(
            "eof: incomplete comment line is an unterminated line",
            b"data: a\n\n: pi",
            [msg("a")],
            true
        ),
        case!(
            "eof: ends after CRLF blank line",
            b"data: a\r\n\r\n",
            [msg("a")],
            false
        ),
        // --- Cap --------------------------------------------------------------------------------------
        case!(
            cap 8,
            "cap: line over the cap, then parsing continues",
            b"data: 123456789\n\ndata: ok\n\n",
            [too_large(8), msg("ok")],
            false
        ),
        case!(
            cap 8,
            "cap: line of exactly the cap is fine",
            b"data: 12\r\n\r\n",
            [msg("12")],
            false
        ),
        case!(
            cap 12,
            "cap: accumulated data over the cap drops the whole block",
            b"data: 123456\ndata: 123456\ndata: x\n\ndata: ok\n\n",
            [too_large(12), msg("ok")],
            false
        ),
        case!(
            cap 12,
            "cap: accumulated data of exactly the cap is fine",
            b"data: 12345\ndata: 123456\n\n",
            [msg("12345\n123456")],
            false
        ),
        case!(
            cap 8,
            "cap: over-cap line without a line end at EOF",
            b"data: 1234567890",
            [too_large(8)],
            true
        ),
        case!(
            cap 8,
            "cap: later id/retry in the dropped block do not apply; earlier id does",
            b"id: 1\ndata: 123456789\nid: 2\nretry: 5\n\ndata: a\n\n",
            [too_large(8), msg_id("a", "1")],
            false
        ),
        case!(
            cap 8,
            "cap: comments in a dropped block are still reported",
            b"data: 123456789\n: c\n\ndata: a\n\n",
            [too_large(8), comment(), msg("a")],
            false
        ),
        case!(
            cap 8,
            "cap: one report per over-cap line",
            b"data: 123456789\n\ndata: 123456789abcdef\n\ndata: a\n\n",
            [too_large(8), too_large(8), msg("a")],
            false
        ),
        case!(
            cap 8,
            "cap: over-cap line ended by a lone CR",
            b"data: 123456789\rdata: x\r\rdata: y\r\r",
            [too_large(8), msg("y")],
            false
        ),
        case!(
            cap 8,
            "cap: a dropped block is reported once, however many lines go over",
            b"data: 123456789\ndata: 123456789\n\ndata: a\n\n",
            [too_large(8), msg("a")],
            false
        ),
        case!(
            cap 8,
            "cap: over-cap comment line also reported",
            b": 123456789\ndata: a\n\n",
            [too_large(8)],
            false
        ),
    ]
}

/// Runs one case at every standard chunking and asserts the exact expected output, identical
/// everywhere, and a line search that looked at each byte at most once.
fn check(case: &Case) {
    for (label, chunks) in standard_chunkings(case.input) {
        let run = run_sse(case.max, &chunks);
        assert_eq!(
            run.items, case.items,
            "case {:?}, chunking {label}: items differ",
            case.name
        );
        assert_eq!(
            run.eof,
            Eof {
                unterminated: case.unterminated
            },
            "case {:?}, chunking {label}: eof differs",
            case.name
        );
        assert!(
            run.examined <= case.input.len() as u64,
            "case {:?}, chunking {label}: examined {} > {} input bytes",
            case.name,
            run.examined,
            case.input.len()
        );
    }
}

#[test]
fn spec_table_at_every_chunking() {
    let cases = cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    for case in &cases {
        check(case);
    }
}

#[test]
fn case_names_are_unique() {
    let cases = cases();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len());
}

/// A code point split at each of its byte boundaries, across two and more chunks, decodes
/// intact (no U+FFFD).
#[test]
fn code_point_split_across_chunks_decodes_intact() {
    let input = "data: é中🦀\n\n".as_bytes();
    for (label, chunks) in standard_chunkings(input) {
        let run = run_sse(DEFAULT_MAX_EVENT_BYTES, &chunks);
        assert_eq!(run.items, vec![msg("é中🦀")], "{label}");
    }
}

/// The line search resumes where it stopped: a 1 MiB line fed one byte at a time is examined
/// once, not rescanned per chunk (a rescanning parser examines ~n^2/2 = 5.5e11 bytes here).
#[test]
fn long_line_in_tiny_chunks_is_examined_linearly() {
    let n = 1 << 20;
    let mut input = b"data: ".to_vec();
    input.resize(n, b'x');
    input.extend_from_slice(b"\n\n");
    let mut p = SseParser::new();
    for c in one_byte_at_a_time(&input) {
        p.feed(c);
    }
    let examined = p.bytes_examined();
    assert!(
        examined >= n as u64,
        "the search must look at the line: {examined}"
    );
    assert!(
        examined <= 2 * input.len() as u64,
        "examined {examined} bytes for {} input bytes",
        input.len()
    );
    match p.next_event() {
        Some(Ok(Item::Event(e))) => assert_eq!(e.data.len(), n - 6),
        other => panic!("expected the long event, got {other:?}"),
    }
}

/// Many events in one chunk: examined stays linear and every event comes out in order.
#[test]
fn many_events_in_one_chunk() {
    let mut input = Vec::new();
    for i in 0..20_000 {
        input.extend_from_slice(format!("id: {i}\ndata: {i}\n\n").as_bytes());
    }
    let mut p = SseParser::new();
    p.feed(&input);
    let mut n = 0;
    while let Some(item) = p.next_event() {
        assert_eq!(item, msg_id(&n.to_string(), &n.to_string()));
        n += 1;
    }
    assert_eq!(n, 20_000);
    assert!(p.bytes_examined() <= input.len() as u64);
}

/// 50 MiB without a line end in 64 KiB chunks under an 8 MiB cap: one error at the cap, and
/// the parser recovers after the line ends.
#[test]
fn unbounded_line_reports_once_and_recovers() {
    let mut p = SseParser::new();
    p.feed(b"data: ");
    let chunk = vec![b'x'; 64 * 1024];
    let mut errors = 0;
    let mut fed = 6usize;
    let mut reported_at = None;
    for _ in 0..800 {
        p.feed(&chunk);
        fed += chunk.len();
        while let Some(item) = p.next_event() {
            assert_eq!(item, too_large(DEFAULT_MAX_EVENT_BYTES));
            errors += 1;
            reported_at.get_or_insert(fed);
        }
    }
    assert_eq!(errors, 1);
    let at = reported_at.unwrap_or(0);
    assert!(at > DEFAULT_MAX_EVENT_BYTES && at <= DEFAULT_MAX_EVENT_BYTES + chunk.len());
    p.feed(b"\n\ndata: after\n\n");
    assert_eq!(p.next_event(), Some(msg("after")));
    assert_eq!(p.next_event(), None);
    assert!(!p.finish().unterminated);
}

#[test]
fn last_event_id_accessor_tracks_the_buffer() {
    let mut p = SseParser::new();
    assert_eq!(p.last_event_id_buffer(), "");
    p.feed(b"id: abc\n");
    assert_eq!(p.last_event_id_buffer(), "abc");
    p.feed(b"\nid: a\0\n");
    assert_eq!(p.last_event_id_buffer(), "abc");
    p.feed(b"id\n");
    assert_eq!(p.last_event_id_buffer(), "");
}

#[test]
fn next_event_is_none_until_the_blank_line() {
    let mut p = SseParser::new();
    p.feed(b"data: a\n");
    assert_eq!(p.next_event(), None);
    p.feed(b"\r");
    assert_eq!(p.next_event(), Some(msg("a")));
    // The CR may be followed by the LF of a CRLF: no second blank line.
    p.feed(b"\ndata: b\n\n");
    assert_eq!(p.next_event(), Some(msg("b")));
    assert_eq!(p.next_event(), None);
}

#[test]
fn finish_is_idempotent_and_ends_the_stream() {
    let mut p = SseParser::new();
    p.feed(b"data: a\n");
    assert!(p.finish().unterminated);
    assert!(p.finish().unterminated);
    p.feed(b"\ndata: b\n\n");
    assert_eq!(p.next_event(), None);
}

#[test]
fn empty_chunks_change_nothing() {
    let input = b"data: a\r\n\r\n";
    let mut chunks: Vec<&[u8]> = Vec::new();
    for c in split_every(input, 1) {
        chunks.push(b"");
        chunks.push(c);
        chunks.push(b"");
    }
    assert_eq!(
        run_sse(DEFAULT_MAX_EVENT_BYTES, &chunks),
        run_sse(DEFAULT_MAX_EVENT_BYTES, &[input])
    );
}
