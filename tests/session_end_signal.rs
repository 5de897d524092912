//! After the provider's end signal the text is whole: a later stall (any timer) or network
//! failure ends the stream `complete`, with the finish reason and the usage that came, and the
//! request aborted; never `stalled` or `network_error`. Checked for every protocol on the
//! virtual clock. Protocols whose end signal is their terminator (Ollama, Responses) are
//! complete at once; raw `sse` and `text` have no end signal, so they still stall.

mod support;

use streamguard::session::NetworkErrorKind;
use streamguard::{FinishReason, Outcome, Protocol, StallPhase, Usage};
use support::session::{
    anthropic_delta, assert_stalled, openai_chunk, openai_finish, test_config, SessionHost,
    ANTHROPIC_PING, ANTHROPIC_START, CONTENT_MS, IDLE_MS, OPENAI_DONE, TOTAL_MS,
};

/// One protocol's stream: the content, then the end signal, and what the outcome carries.
struct Wire {
    protocol: Protocol,
    content_type: &'static str,
    /// Text deltas (one write each).
    content: Vec<Vec<u8>>,
    /// The end signal (one write), without the terminator that would follow it.
    end_signal: Vec<u8>,
    text: &'static str,
    finish: FinishReason,
    raw: Option<&'static str>,
    usage: Option<Usage>,
}

fn sse(data: &str) -> Vec<u8> {
    format!("data: {data}\n\n").into_bytes()
}

fn gemini_chunk(text: &str, finish: Option<&str>) -> String {
    let finish = finish.map_or(String::new(), |f| format!(",\"finishReason\":\"{f}\""));
    format!(
        "{{\"candidates\":[{{\"content\":{{\"parts\":[{{\"text\":\"{text}\"}}],\"role\":\"model\"}}{finish},\"index\":0}}],\"usageMetadata\":{{\"promptTokenCount\":4,\"candidatesTokenCount\":2,\"totalTokenCount\":6}},\"modelVersion\":\"gemini-2.5-flash\"}}"
    )
}

/// Every protocol that has an end signal before its terminator (or instead of one).
fn wires() -> Vec<Wire> {
    let usage = |i, o| {
        Some(Usage {
            input_tokens: Some(i),
            output_tokens: Some(o),
        })
    };
    vec![
        Wire {
            protocol: Protocol::OpenAi,
            content_type: "text/event-stream",
            content: vec![openai_chunk("Hel"), openai_chunk("lo")],
            end_signal: [
                openai_finish("length"),
                sse(r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}"#),
            ]
            .concat(),
            text: "Hello",
            finish: FinishReason::Length,
            raw: Some("length"),
            usage: usage(3, 2),
        },
        Wire {
            protocol: Protocol::Anthropic,
            content_type: "text/event-stream",
            content: vec![ANTHROPIC_START.to_vec(), anthropic_delta("Hello")],
            end_signal: b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\n".to_vec(),
            text: "Hello",
            finish: FinishReason::Stop,
            raw: Some("end_turn"),
            usage: usage(10, 15),
        },
        Wire {
            protocol: Protocol::Gemini,
            content_type: "text/event-stream",
            content: vec![format!("data: {}\r\n\r\n", gemini_chunk("Hel", None)).into_bytes()],
            end_signal: format!("data: {}\r\n\r\n", gemini_chunk("lo", Some("MAX_TOKENS")))
                .into_bytes(),
            text: "Hello",
            finish: FinishReason::Length,
            raw: Some("MAX_TOKENS"),
            usage: usage(4, 2),
        },
        Wire {
            // The JSON array form: the finishReason came, the `]` did not.
            protocol: Protocol::Gemini,
            content_type: "application/json; charset=UTF-8",
            content: vec![format!("[{}", gemini_chunk("Hel", None)).into_bytes()],
            end_signal: format!("\n,\r\n{}", gemini_chunk("lo", Some("STOP"))).into_bytes(),
            text: "Hello",
            finish: FinishReason::Stop,
            raw: Some("STOP"),
            usage: usage(4, 2),
        },
        Wire {
            protocol: Protocol::AiSdk,
            content_type: "text/event-stream",
            content: vec![
                sse(r#"{"type":"start"}"#),
                sse(r#"{"type":"text-start","id":"0"}"#),
                sse(r#"{"type":"text-delta","id":"0","delta":"Hel"}"#),
                sse(r#"{"type":"text-delta","id":"0","delta":"lo"}"#),
            ],
            end_signal: [
                sse(r#"{"type":"text-end","id":"0"}"#),
                sse(r#"{"type":"finish-step"}"#),
                sse(r#"{"type":"finish","finishReason":"tool-calls"}"#),
            ]
            .concat(),
            text: "Hello",
            finish: FinishReason::ToolCalls,
            raw: Some("tool-calls"),
            usage: None,
        },
    ]
}

/// Plays `w` up to its end signal (content at 10, 20, ...; the end signal 10 ms later) and
/// returns the host and the time of the last byte.
fn up_to_the_end_signal(w: &Wire, protocol: Protocol) -> (SessionHost, u64) {
    let mut h = SessionHost::new(test_config(protocol));
    h.head(5, 200, &[("content-type", w.content_type)]);
    let mut t = 0;
    for c in &w.content {
        t += 10;
        h.bytes(t, c);
    }
    t += 10;
    h.bytes(t, &w.end_signal);
    assert!(
        !h.session.is_finished(),
        "{:?}: ended at the end signal",
        w.protocol
    );
    (h, t)
}

fn assert_complete(h: &SessionHost, w: &Wire, label: &str) {
    h.check_invariants();
    let o = h.outcome();
    assert_eq!(o.outcome, Outcome::Complete, "{label}: {o:#?}");
    assert_eq!(o.error, None, "{label}");
    assert_eq!(o.text, w.text, "{label}");
    assert_eq!(o.finish_reason, Some(w.finish), "{label}");
    assert_eq!(o.raw_finish_reason.as_deref(), w.raw, "{label}");
    assert_eq!(o.usage, w.usage, "{label}: the usage that came is kept");
}

#[test]
fn an_idle_stall_after_the_end_signal_is_complete_and_aborts_the_request() {
    for w in wires() {
        for protocol in [w.protocol, Protocol::Auto] {
            let label = format!("{:?} as {}", w.protocol, protocol.name());
            let (mut h, last) = up_to_the_end_signal(&w, protocol);
            h.run_to_end(last + 10 * IDLE_MS);
            assert_complete(&h, &w, &label);
            assert_eq!(
                h.finished().0,
                last + IDLE_MS,
                "{label}: at the idle deadline"
            );
            assert!(h.abort_requested(), "{label}: the connection is released");
        }
    }
}

#[test]
fn a_reset_after_the_end_signal_is_complete() {
    for w in wires() {
        let label = format!("{:?}", w.protocol);
        let (mut h, last) = up_to_the_end_signal(&w, w.protocol);
        h.error(last + 30, NetworkErrorKind::Reset);
        assert_complete(&h, &w, &label);
        assert_eq!(h.finished().0, last + 30, "{label}");
        assert!(
            !h.abort_requested(),
            "{label}: the connection is already gone"
        );
    }
}

#[test]
fn the_content_and_total_timers_after_the_end_signal_are_complete_too() {
    for w in wires() {
        let label = format!("{:?}", w.protocol);
        // Keep-alives keep the idle timer quiet; the content timer fires.
        let (mut h, last) = up_to_the_end_signal(&w, w.protocol);
        let mut t = last;
        // A comment in SSE; whitespace between the elements of a JSON array.
        let keep_alive: &[u8] = if w.content_type.starts_with("application/json") {
            b"\n"
        } else {
            b": keep-alive\n\n"
        };
        while t < CONTENT_MS + 400 && !h.session.is_finished() {
            t += 200;
            h.bytes(t, keep_alive);
        }
        h.run_to_end(TOTAL_MS * 2);
        assert_complete(&h, &w, &label);
        // The content timer counts from the last content delta: the last content write, or
        // the end signal when it carries text too (Gemini's last chunk does).
        let mut last_content = 10 * w.content.len() as u64;
        if w.protocol == Protocol::Gemini {
            last_content += 10;
        }
        assert_eq!(
            h.finished().0,
            last_content + CONTENT_MS,
            "{label}: at the content deadline"
        );
        // A lone total timer (idle and content off).
        let mut config = test_config(w.protocol);
        config.idle_timeout_ms = 0;
        config.content_timeout_ms = 0;
        let mut h = SessionHost::new(config);
        h.head(5, 200, &[("content-type", w.content_type)]);
        for (i, c) in w.content.iter().enumerate() {
            h.bytes(10 + i as u64, c);
        }
        h.bytes(100, &w.end_signal);
        h.run_to_end(TOTAL_MS * 2);
        assert_complete(&h, &w, &label);
        assert_eq!(h.finished().0, TOTAL_MS, "{label}: at the total deadline");
    }
}

#[test]
fn before_the_end_signal_a_stall_is_still_a_stall() {
    for w in wires() {
        let mut h = SessionHost::new(test_config(w.protocol));
        h.head(5, 200, &[("content-type", w.content_type)]);
        let mut t = 0;
        for c in &w.content {
            t += 10;
            h.bytes(t, c);
        }
        h.run_to_end(10 * IDLE_MS);
        assert_stalled(&h, StallPhase::Idle, t + IDLE_MS);
        let o = h.outcome();
        assert_eq!(o.finish_reason, None);
        assert_eq!(o.raw_finish_reason, None);
        assert!(
            w.text.starts_with(&o.text) && !o.text.is_empty(),
            "text kept"
        );
    }
}

#[test]
fn terminator_protocols_are_complete_at_the_terminator_not_at_a_later_deadline() {
    let cases: [(Protocol, &str, Vec<u8>, Option<&str>); 3] = [
        (
            Protocol::Ollama,
            "application/x-ndjson",
            b"{\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"done\":false}\n{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":5,\"eval_count\":7}\n".to_vec(),
            Some("stop"),
        ),
        (
            Protocol::OpenAiResponses,
            "text/event-stream",
            b"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\nevent: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"status\":\"completed\",\"usage\":{\"input_tokens\":5,\"output_tokens\":7}}}\n\n".to_vec(),
            Some("completed"),
        ),
        (
            // The array's `]` after the finishReason.
            Protocol::Gemini,
            "application/json",
            format!("[{}]", gemini_chunk("Hi", Some("STOP"))).into_bytes(),
            Some("STOP"),
        ),
    ];
    for (protocol, ct, body, raw) in cases {
        let mut h = SessionHost::new(test_config(protocol));
        h.head(5, 200, &[("content-type", ct)]);
        h.bytes(20, &body);
        h.run_to_end(10 * IDLE_MS);
        h.check_invariants();
        let (t, o) = h.finished();
        assert_eq!(o.outcome, Outcome::Complete, "{protocol:?}");
        assert_eq!(t, 20, "{protocol:?}: at the terminator");
        assert_eq!(o.text, "Hi");
        assert_eq!(o.raw_finish_reason.as_deref(), raw, "{protocol:?}");
        assert!(o.usage.is_some(), "{protocol:?}");
    }
}

#[test]
fn raw_sse_and_plain_text_have_no_end_signal_so_they_stall() {
    for (protocol, ct, body) in [
        (
            Protocol::Sse,
            "text/event-stream",
            &b"data: Hel\n\ndata: lo\n\n"[..],
        ),
        (Protocol::Text, "text/plain; charset=utf-8", b"Hello"),
        (Protocol::Auto, "text/plain; charset=utf-8", b"Hello"),
    ] {
        let mut h = SessionHost::new(test_config(protocol));
        h.head(5, 200, &[("content-type", ct)]);
        h.bytes(20, body);
        h.run_to_end(10 * IDLE_MS);
        h.check_invariants();
        assert_stalled(&h, StallPhase::Idle, 20 + IDLE_MS);
        assert_eq!(h.outcome().text, "Hello", "{protocol:?}: text kept");
        // The same body closed cleanly is complete, with no finish reason.
        let mut h = SessionHost::new(test_config(protocol));
        h.head(5, 200, &[("content-type", ct)]);
        h.bytes(20, body);
        h.eof(30);
        h.check_invariants();
        let o = h.outcome();
        assert_eq!(o.outcome, Outcome::Complete, "{protocol:?}");
        assert_eq!(
            (o.finish_reason, o.raw_finish_reason.as_deref()),
            (None, None)
        );
    }
}

#[test]
fn an_anthropic_stream_that_pings_after_message_delta_is_complete() {
    // The issue's case: message_delta with stop_reason, then only pings until the content
    // timer fires.
    let mut h = SessionHost::new(test_config(Protocol::Anthropic));
    h.sse_head(5);
    h.bytes(10, ANTHROPIC_START);
    h.bytes(20, &anthropic_delta("Whole answer."));
    h.bytes(30, b"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":4}}\n\n");
    for i in 1..=10 {
        h.bytes(30 + 200 * i, ANTHROPIC_PING);
    }
    h.run_to_end(TOTAL_MS);
    h.check_invariants();
    let o = h.outcome();
    assert_eq!(o.outcome, Outcome::Complete);
    assert_eq!(o.text, "Whole answer.");
    assert_eq!(o.finish_reason, Some(FinishReason::Length));
    assert_eq!(o.raw_finish_reason.as_deref(), Some("max_tokens"));
    assert!(h.abort_requested());
    // An OpenAI stream whose [DONE] would have come after the finish chunk.
    let mut h = SessionHost::new(test_config(Protocol::OpenAi));
    h.sse_head(5);
    h.bytes(10, &openai_chunk("x"));
    h.bytes(20, &openai_finish("stop"));
    h.run_to_end(TOTAL_MS);
    assert_eq!(h.outcome().outcome, Outcome::Complete);
    // ... and with [DONE] it is complete at once.
    let mut h = SessionHost::new(test_config(Protocol::OpenAi));
    h.sse_head(5);
    h.bytes(
        10,
        &[
            openai_chunk("x"),
            openai_finish("stop"),
            OPENAI_DONE.to_vec(),
        ]
        .concat(),
    );
    assert_eq!(h.finished().0, 10);
}

/// Every decoder fixture with an end signal (a finish reason), cut right after it and then
/// silent, through a session at several chunkings: complete at the idle deadline with the
/// fixture's finish reasons, and with the text up to the cut. A fixture whose finish reason
/// only comes with its terminator is complete at the terminator, before any timer.
#[test]
fn every_fixture_cut_after_its_end_signal_then_stalled_is_complete() {
    use streamguard::StreamEvent;
    use support::chunking::{one_byte_at_a_time, seeded_random_splits, split_every};
    use support::decode::{load_fixtures, run_fixture};

    let mut checked = 0;
    for fx in load_fixtures() {
        // Where the first finish reason became available, fed one byte at a time.
        let bytewise = run_fixture(&fx, &one_byte_at_a_time(&fx.body));
        let Some(at) = bytewise
            .events
            .iter()
            .zip(&bytewise.fed_at)
            .find(|(e, _)| matches!(e, StreamEvent::Finish { .. }))
            .map(|(_, &at)| at)
        else {
            continue;
        };
        let prefix = &fx.body[..at];
        let want = run_fixture(&fx, &[prefix]);
        let head: Vec<(&str, &str)> = fx
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut chunkings = vec![
            ("whole".to_owned(), vec![prefix]),
            ("one byte at a time".to_owned(), one_byte_at_a_time(prefix)),
            ("every 7".to_owned(), split_every(prefix, 7)),
        ];
        for seed in 0..3 {
            chunkings.push((
                format!("seed {seed}"),
                seeded_random_splits(prefix, seed, 64),
            ));
        }
        for (label, chunks) in chunkings {
            let label = format!("{} [{label}]", fx.name);
            let mut h = SessionHost::new(test_config(fx.protocol));
            h.head(1, 200, &head);
            for (i, c) in chunks.iter().enumerate() {
                h.bytes(2 + i as u64 / 64, c);
            }
            let last = h.now;
            h.run_to_end(last + 10 * IDLE_MS);
            h.check_invariants();
            let (t, o) = h.finished();
            assert_eq!(o.outcome, Outcome::Complete, "{label}: {o:#?}");
            assert_eq!(o.text, want.outcome.text, "{label}");
            assert_eq!(o.finish_reason, want.outcome.finish_reason, "{label}");
            assert_eq!(
                o.raw_finish_reason, want.outcome.raw_finish_reason,
                "{label}"
            );
            let ended_at_once = matches!(want.events.last(), Some(StreamEvent::End(None)));
            if ended_at_once {
                assert!(t <= last, "{label}: complete at the terminator");
            } else {
                assert_eq!(t, last + IDLE_MS, "{label}: complete at the idle deadline");
                assert!(h.abort_requested(), "{label}");
            }
        }
        checked += 1;
    }
    assert!(checked > 30, "only {checked} fixtures have an end signal");
}
