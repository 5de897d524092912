//! Property tests: no input makes a decoder panic, and the decoded result never depends on
//! how the bytes were chunked.
// proptest is a native-only dev-dependency: keep this binary off wasm32 (browser tests build every test target).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use proptest::prelude::*;
use streamguard::{Protocol, StreamEvent};
use support::decode::{comparable_events, load_fixtures, run_decoder, run_fixture};

const PROTOCOLS: [Protocol; 9] = Protocol::ALL;

const CONTENT_TYPES: [Option<&str>; 5] = [
    None,
    Some("text/event-stream"),
    Some("application/x-ndjson"),
    Some("application/json"),
    Some("text/plain; charset=utf-8"),
];

/// Cuts `bytes` at the given fractions (each in 0..=1000 per mille), sorted.
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

/// Lines that look like every provider's wire format, plus broken variants, so random
/// sequences reach deep into each decoder.
const PIECES: &[&str] = &[
    "data: [DONE]",
    "data:[DONE]",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":null}]}",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":4294967296,\"id\":\"c\",\"function\":{\"name\":\"n\",\"arguments\":\"{\"}}]}}]}",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
    "data: {\"choices\":null,\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":1e99}}",
    "data: {\"error\":{\"message\":null,\"type\":5,\"code\":[1]}}",
    "data: {\"error\":\"plain\"}",
    "event: message_start",
    "event: error",
    "event: ping",
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"é\"}}",
    "data: {\"type\":\"content_block_start\",\"index\":-1,\"content_block\":{\"type\":\"tool_use\",\"id\":1,\"name\":null}}",
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\"}}",
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}",
    "data: {\"type\":\"message_stop\"}",
    "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
    "data: {\"type\":\"response.output_text.delta\",\"delta\":\"r\"}",
    "data: {\"type\":\"response.completed\",\"response\":{\"output\":7}}",
    "data: {\"type\":\"response.failed\",\"response\":null}",
    "data: {\"type\":\"response.incomplete\"}",
    "{\"message\":{\"content\":\"o\",\"tool_calls\":[{\"function\":{\"arguments\":[1,2]}}]},\"done\":false}",
    "{\"response\":\"g\",\"done\":true,\"done_reason\":7}",
    "{\"error\":{\"message\":\"busy\"}}",
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"g\"},{\"text\":\"t\",\"thought\":true},{\"functionCall\":{\"name\":\"f\",\"args\":{\"a\":[1]}}}]},\"index\":0}]}",
    "data: {\"candidates\":[{\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":1,\"candidatesTokenCount\":2}}",
    "data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}",
    "data: {\"error\":{\"code\":503,\"message\":\"m\",\"status\":\"UNAVAILABLE\",\"details\":[{\"@type\":\"google.rpc.RetryInfo\",\"retryDelay\":\"9.9s\"}]}}",
    "[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}",
    ",{\"candidates\":[{\"finishReason\":\"MAX_TOKENS\"}]}",
    "]",
    "data: {\"type\":\"start\"}",
    "data: {\"type\":\"text-delta\",\"id\":\"0\",\"delta\":\"s\"}",
    "data: {\"type\":\"reasoning-delta\",\"id\":\"0\",\"delta\":\"r\"}",
    "data: {\"type\":\"tool-input-start\",\"toolCallId\":\"c\",\"toolName\":\"t\"}",
    "data: {\"type\":\"tool-input-available\",\"toolCallId\":\"c\",\"input\":{\"x\":1}}",
    "data: {\"type\":\"finish\",\"finishReason\":\"stop\"}",
    "data: {\"type\":\"error\",\"errorText\":\"e\"}",
    "data: {\"type\":\"data-x\",\"data\":1}",
    "data: {\"type\":7}",
    "plain text \u{e9}",
    "\u{ff}\u{fe}",
    "data: {\"choices\": [",
    "data: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    ": comment",
    "retry: 100",
    "id: x",
    "data:",
    "data:  ",
    "",
    "\u{feff}",
    "\u{1F980}",
];

fn line_soup() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop::sample::select(PIECES);
    let ending = prop::sample::select(&["\n", "\r\n", "\r", "\n\n", "\r\n\r\n"][..]);
    prop::collection::vec((piece, ending), 0..24).prop_map(|parts| {
        let mut out = Vec::new();
        for (p, e) in parts {
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(e.as_bytes());
        }
        out
    })
}

/// The invariants every run must keep, whatever the input.
fn check_run_invariants(events: &[StreamEvent], verdict: &Option<streamguard::StreamError>) {
    let end = events.iter().position(|e| matches!(e, StreamEvent::End(_)));
    if let Some(i) = end {
        assert_eq!(i + 1, events.len(), "events after End: {events:?}");
        if let Some(StreamEvent::End(e)) = events.get(i) {
            assert_eq!(e, verdict, "finish() disagrees with End");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        protocol in 0..PROTOCOLS.len(),
        ct in 0..CONTENT_TYPES.len(),
        cuts in prop::collection::vec(0u16..=1000, 0..6),
    ) {
        let chunks = cut_at(&bytes, &cuts);
        let run = run_decoder(PROTOCOLS[protocol], CONTENT_TYPES[ct], 64, &chunks);
        check_run_invariants(&run.events, &run.verdict);
    }

    #[test]
    fn provider_shaped_soup_never_panics_and_ignores_chunking(
        bytes in line_soup(),
        protocol in 0..PROTOCOLS.len(),
        ct in 0..CONTENT_TYPES.len(),
        cuts in prop::collection::vec(0u16..=1000, 0..8),
    ) {
        let whole = run_decoder(PROTOCOLS[protocol], CONTENT_TYPES[ct], 1 << 16, &[&bytes]);
        check_run_invariants(&whole.events, &whole.verdict);
        let split = run_decoder(PROTOCOLS[protocol], CONTENT_TYPES[ct], 1 << 16, &cut_at(&bytes, &cuts));
        prop_assert_eq!(comparable_events(&split), comparable_events(&whole));
        prop_assert_eq!(&split.verdict, &whole.verdict);
        prop_assert_eq!(&split.outcome.text, &whole.outcome.text);
    }

    #[test]
    fn fixtures_under_random_chunkings_match_the_whole_run(
        which in any::<prop::sample::Index>(),
        cuts in prop::collection::vec(0u16..=1000, 0..12),
    ) {
        let fixtures = load_fixtures();
        let fx = which.get(&fixtures);
        let whole = run_fixture(fx, &[&fx.body]);
        let split = run_fixture(fx, &cut_at(&fx.body, &cuts));
        prop_assert_eq!(comparable_events(&split), comparable_events(&whole), "{}", fx.name);
        prop_assert_eq!(&split.verdict, &whole.verdict, "{}", fx.name);
    }
}
