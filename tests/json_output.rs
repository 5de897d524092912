//! The hand-written JSON of results and events against serde_json, its oracle: for generated
//! results and events (every field, every optional present and absent, text with quotes,
//! backslashes, control characters and non-ASCII), `to_json` is byte for byte
//! `serde_json::to_string` of the `Serialize` derive, and `to_json_without_text` is the same
//! object without its `text` member.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use streamguard::{
    ErrorCode, FinishReason, Outcome, StallPhase, Stats, StreamError, StreamEvent, StreamResult,
    ToolCall, Usage,
};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z \"\\\\/\n\r\t\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}é漢🎉]{0,12}",
    ]
}

fn finish_reason() -> impl Strategy<Value = FinishReason> {
    prop::sample::select(vec![
        FinishReason::Stop,
        FinishReason::Length,
        FinishReason::ToolCalls,
        FinishReason::ContentFilter,
        FinishReason::Other,
    ])
}

fn usage() -> impl Strategy<Value = Usage> {
    (any::<Option<u64>>(), any::<Option<u64>>()).prop_map(|(input_tokens, output_tokens)| Usage {
        input_tokens,
        output_tokens,
    })
}

fn error() -> impl Strategy<Value = StreamError> {
    let code = prop::sample::select(vec![
        ErrorCode::Truncated,
        ErrorCode::Stalled,
        ErrorCode::Aborted,
        ErrorCode::HttpError,
        ErrorCode::ProviderError,
        ErrorCode::UnexpectedContentType,
        ErrorCode::InvalidJson,
        ErrorCode::InvalidEvent,
        ErrorCode::EventTooLarge,
        ErrorCode::TextTooLarge,
        ErrorCode::NetworkError,
    ]);
    let phase = prop::option::of(prop::sample::select(vec![
        StallPhase::FirstByte,
        StallPhase::Idle,
        StallPhase::Content,
        StallPhase::Total,
    ]));
    (
        (
            code,
            text(),
            phase,
            any::<Option<u16>>(),
            any::<Option<u64>>(),
        ),
        (
            prop::option::of(text()),
            prop::option::of(text()),
            prop::option::of(text()),
            any::<Option<bool>>(),
            any::<Option<u64>>(),
            any::<Option<u64>>(),
        ),
    )
        .prop_map(
            |(
                (code, message, phase, status, retry_after_ms),
                (provider, error_type, provider_code, retryable, event_index, elapsed_ms),
            )| {
                let mut e = StreamError::new(code, message);
                e.phase = phase;
                e.status = status;
                e.retry_after_ms = retry_after_ms;
                e.provider = provider;
                e.error_type = error_type;
                e.provider_code = provider_code;
                e.retryable = retryable;
                e.event_index = event_index;
                e.elapsed_ms = elapsed_ms;
                e
            },
        )
}

fn tool_call() -> impl Strategy<Value = ToolCall> {
    (
        any::<u32>(),
        prop::option::of(text()),
        prop::option::of(text()),
        text(),
    )
        .prop_map(|(index, id, name, arguments)| ToolCall {
            index,
            id,
            name,
            arguments,
        })
}

fn stats() -> impl Strategy<Value = Stats> {
    (
        (
            any::<Option<u64>>(),
            any::<Option<u64>>(),
            any::<Option<u64>>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
        ),
        (
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (headers_ms, ttfb_ms, ttft_ms, duration_ms, bytes, events),
                (keep_alives, deltas, flushes, max_byte_gap_ms, max_content_gap_ms, buffered),
            )| Stats {
                headers_ms,
                ttfb_ms,
                ttft_ms,
                duration_ms,
                bytes,
                events,
                keep_alives,
                deltas,
                flushes,
                max_byte_gap_ms,
                max_content_gap_ms,
                buffered,
            },
        )
}

fn result() -> impl Strategy<Value = StreamResult> {
    (
        (
            text(),
            text(),
            prop::option::of(finish_reason()),
            prop::option::of(text()),
        ),
        (
            prop::collection::vec(tool_call(), 0..3),
            prop::option::of(usage()),
            prop::option::of(error()),
            stats(),
        ),
    )
        .prop_map(
            |(
                (text, thinking, finish_reason, raw_finish_reason),
                (tool_calls, usage, error, stats),
            )| {
                let outcome = error
                    .as_ref()
                    .map_or(Outcome::Complete, |e| e.code.outcome());
                StreamResult {
                    outcome,
                    text,
                    thinking,
                    finish_reason,
                    raw_finish_reason,
                    tool_calls,
                    usage,
                    error,
                    stats,
                }
            },
        )
}

fn event() -> impl Strategy<Value = StreamEvent> {
    prop_oneof![
        text().prop_map(|text| StreamEvent::Text { text }),
        text().prop_map(|text| StreamEvent::Thinking { text }),
        tool_call().prop_map(|c| StreamEvent::ToolCall {
            index: c.index,
            id: c.id,
            name: c.name,
            arguments: c.arguments,
        }),
        usage().prop_map(StreamEvent::Usage),
        (finish_reason(), prop::option::of(text()))
            .prop_map(|(reason, raw)| StreamEvent::Finish { reason, raw }),
        Just(StreamEvent::KeepAlive),
        text().prop_map(|name| StreamEvent::Meta { name }),
        prop::option::of(error()).prop_map(StreamEvent::End),
    ]
}

proptest! {
    #[test]
    fn result_json_is_serde_jsons(r in result()) {
        let want = serde_json::to_string(&r).expect("ser");
        prop_assert_eq!(r.to_json(), want.clone());
        let mut without: serde_json::Value = serde_json::from_str(&want).expect("json");
        without.as_object_mut().expect("object").remove("text");
        let got: serde_json::Value =
            serde_json::from_str(&r.to_json_without_text()).expect("json");
        prop_assert_eq!(got, without);
        prop_assert!(!r.to_json_without_text().contains("\"text\":"));
    }

    #[test]
    fn event_json_is_serde_jsons(e in event()) {
        prop_assert_eq!(e.to_json(), serde_json::to_string(&e).expect("ser"));
    }
}
