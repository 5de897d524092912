//! Bad input to the new protocols, each a defined outcome with a clear message, the text so far
//! kept, never a panic, the same at every chunking: an AI SDK part of an unknown type (a meta
//! event, the stream goes on) or that is no part at all (`invalid_event`), a Gemini chunk with
//! no candidates (a blocked prompt is a `provider_error` saying why; usage alone is fine), a
//! JSON array that never closes (`truncated`, or `stalled` when the socket stays open), and
//! invalid UTF-8 in a plain-text stream (U+FFFD and an `invalid_utf8` event, `complete`).

mod support;

use streamguard::{ErrorCode, Outcome, Protocol, StallPhase, StreamEvent};
use support::chunking::standard_chunkings;
use support::decode::{comparable_events, run_decoder, DecodeRun};
use support::session::{assert_stalled, test_config, SessionHost, IDLE_MS};

/// Runs `body` at every standard chunking; every run must equal the whole run (text events
/// joined for plain text). Returns the whole run.
fn every_chunking(protocol: Protocol, content_type: &str, body: &[u8]) -> DecodeRun {
    let whole = run_decoder(protocol, Some(content_type), 1 << 20, &[body]);
    for (label, chunks) in standard_chunkings(body) {
        let run = run_decoder(protocol, Some(content_type), 1 << 20, &chunks);
        assert_eq!(
            comparable_events(&run),
            comparable_events(&whole),
            "{label}"
        );
        assert_eq!(run.verdict, whole.verdict, "{label}");
        assert_eq!(run.outcome.text, whole.outcome.text, "{label}");
    }
    whole
}

fn has_meta(run: &DecodeRun, name: &str) -> bool {
    run.events
        .iter()
        .any(|e| matches!(e, StreamEvent::Meta { name: n } if n == name))
}

#[test]
fn an_ai_sdk_part_of_an_unknown_type_is_a_meta_event_and_the_stream_goes_on() {
    let body = concat!(
        "data: {\"type\":\"text-delta\",\"id\":\"0\",\"delta\":\"Before \"}\n\n",
        "data: {\"type\":\"brand-new-part\",\"payload\":{\"text\":\"not text\"}}\n\n",
        "data: {\"type\":\"data-chart\",\"data\":{\"delta\":\"no\"}}\n\n",
        "data: {\"type\":\"text-delta\",\"id\":\"0\",\"delta\":\"after\"}\n\n",
        "data: {\"type\":\"finish\"}\n\ndata: [DONE]\n\n"
    );
    let run = every_chunking(Protocol::AiSdk, "text/event-stream", body.as_bytes());
    assert_eq!(run.outcome.outcome, Outcome::Complete);
    assert_eq!(run.outcome.text, "Before after");
    assert!(has_meta(&run, "brand-new-part") && has_meta(&run, "data-chart"));
}

#[test]
fn an_ai_sdk_frame_that_is_no_part_is_invalid_event_with_the_text_kept() {
    let body = concat!(
        "data: {\"type\":\"text-delta\",\"id\":\"0\",\"delta\":\"Kept\"}\n\n",
        "data: {\"delta\":\"a part without a type\"}\n\n",
        "data: {\"type\":\"text-delta\",\"id\":\"0\",\"delta\":\" never\"}\n\n"
    );
    let run = every_chunking(Protocol::AiSdk, "text/event-stream", body.as_bytes());
    assert_eq!(run.outcome.outcome, Outcome::ProtocolError);
    assert_eq!(run.outcome.text, "Kept");
    let e = run.verdict.expect("an error");
    assert_eq!(e.code, ErrorCode::InvalidEvent);
    assert_eq!(e.event_index, Some(1));
    assert!(
        e.message.contains("is not an AI SDK stream part"),
        "{}",
        e.message
    );
}

#[test]
fn a_gemini_chunk_without_candidates_is_usage_or_a_blocked_prompt() {
    // Usage alone (no candidates, no block): nothing but usage, the stream goes on.
    let usage_only = concat!(
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]},\"index\":0}]}\r\n\r\n",
        "data: {\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":1}}\r\n\r\n",
        "data: {\"candidates\":[{\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\n"
    );
    let run = every_chunking(Protocol::Gemini, "text/event-stream", usage_only.as_bytes());
    assert_eq!(run.outcome.outcome, Outcome::Complete);
    assert_eq!(run.outcome.text, "Hi");
    assert_eq!(run.outcome.usage.and_then(|u| u.output_tokens), Some(1));
    // A blocked prompt: a provider error that says why, not an empty success.
    let blocked = concat!(
        "data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\",\"blockReasonMessage\":\"The prompt was flagged.\",",
        "\"safetyRatings\":[{\"category\":\"HARM_CATEGORY_HARASSMENT\",\"probability\":\"HIGH\"}]},",
        "\"usageMetadata\":{\"promptTokenCount\":7,\"totalTokenCount\":7}}\r\n\r\n"
    );
    for ct in ["text/event-stream", "application/json"] {
        let body = if ct == "application/json" {
            format!("[{}]", blocked.trim_start_matches("data: ").trim_end())
        } else {
            blocked.to_owned()
        };
        let run = every_chunking(Protocol::Gemini, ct, body.as_bytes());
        assert_eq!(run.outcome.outcome, Outcome::ProviderError, "{ct}");
        let e = run.verdict.expect("an error");
        assert_eq!(e.error_type.as_deref(), Some("SAFETY"));
        assert_eq!(e.retryable, Some(false));
        assert_eq!(
            e.message,
            "Gemini blocked the prompt (promptFeedback.blockReason SAFETY): The prompt was flagged."
        );
    }
}

#[test]
fn a_json_array_that_never_closes_is_truncated_or_stalled_with_the_text_kept() {
    let body = b"[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Half \"}]}}]}\n,\r\n{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"an answer\"}]}}]}\n";
    let run = every_chunking(Protocol::Gemini, "application/json", body);
    assert_eq!(run.outcome.outcome, Outcome::Truncated);
    assert_eq!(run.outcome.text, "Half an answer");
    assert_eq!(
        run.verdict.map(|e| e.message).as_deref(),
        Some("the body ended before any finishReason (inside a JSON array that was never closed)")
    );
    // The same under auto, decided by application/json and the leading `[`.
    let auto = every_chunking(Protocol::Auto, "application/json", body);
    assert_eq!(auto.resolved, Protocol::Gemini);
    assert_eq!(auto.outcome.outcome, Outcome::Truncated);
    // The socket stays open: the idle timer, with the text kept.
    let mut h = SessionHost::new(test_config(Protocol::Auto));
    h.head(5, 200, &[("content-type", "application/json")]);
    h.bytes(10, &body[..40]);
    h.bytes(20, &body[40..]);
    h.run_to_end(20 + 10 * IDLE_MS);
    h.check_invariants();
    assert_stalled(&h, StallPhase::Idle, 20 + IDLE_MS);
    assert_eq!(h.outcome().text, "Half an answer");
}

#[test]
fn invalid_utf8_in_a_text_stream_is_replaced_and_reported_once() {
    let body = b"caf\xc3\xa9 \xff\xfe\xfd broken \xe6\x97 and whole \xe6\x97\xa5";
    for protocol in [Protocol::Text, Protocol::Auto] {
        let run = every_chunking(protocol, "text/plain; charset=utf-8", body);
        assert_eq!(run.resolved, Protocol::Text);
        assert_eq!(run.outcome.outcome, Outcome::Complete);
        assert_eq!(
            run.outcome.text,
            "café \u{FFFD}\u{FFFD}\u{FFFD} broken \u{FFFD} and whole 日"
        );
        let reports = run
            .events
            .iter()
            .filter(|e| matches!(e, StreamEvent::Meta { name } if name == "invalid_utf8"))
            .count();
        assert_eq!(reports, 1, "reported once: {:?}", run.events);
    }
    // Valid text has no report.
    let run = every_chunking(Protocol::Text, "text/plain", "日本語 🦀".as_bytes());
    assert!(!has_meta(&run, "invalid_utf8"));
}
