//! The decoder's API rules, with already-framed input (`feed_item`, `feed_line`) and bytes.

mod support;

use streamguard::sse::{Event, Item};
use streamguard::{ErrorCode, FinishReason, Protocol, StreamDecoder, StreamEvent};
use support::decode::run_decoder;

fn event(event_type: &str, data: &str) -> Item {
    Item::Event(Event {
        event_type: event_type.to_owned(),
        data: data.to_owned(),
        last_event_id: String::new(),
    })
}

fn drain(d: &mut StreamDecoder) -> Vec<StreamEvent> {
    std::iter::from_fn(|| d.next_event()).collect()
}

fn chunk(text: &str) -> String {
    serde_json::json!({"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]})
        .to_string()
}

#[test]
fn whitespace_data_comments_and_retry_never_reach_json_decoding() {
    let mut d = StreamDecoder::new(Protocol::OpenAi, 1 << 20);
    d.feed_item(Item::Comment);
    d.feed_item(Item::Retry(2500));
    d.feed_item(event("message", "   "));
    d.feed_item(event("message", "\n\t"));
    d.feed_item(event("ping", "not json"));
    d.feed_item(event("message", &chunk("ok")));
    let events = drain(&mut d);
    assert_eq!(
        events,
        vec![
            StreamEvent::KeepAlive,
            StreamEvent::KeepAlive,
            StreamEvent::Text { text: "ok".into() }
        ]
    );
    assert_eq!(d.keep_alives(), 2);
    assert_eq!(d.retry_ms(), Some(2500));
    assert_eq!(d.frames(), 4);
    assert_eq!(d.reply().text, "ok");
}

#[test]
fn invalid_json_carries_the_event_index_a_bounded_quote_and_keeps_the_text_before() {
    let mut d = StreamDecoder::new(Protocol::OpenAi, 1 << 20);
    d.feed_item(event("message", &chunk("kept")));
    d.feed_item(Item::Comment);
    d.feed_item(event("message", &chunk(" too")));
    let bad = format!("{{\"choices\": {}", "x".repeat(500));
    d.feed_item(event("message", &bad));
    d.feed_item(event("message", &chunk("lost")));
    let events = drain(&mut d);
    let Some(StreamEvent::End(Some(e))) = events.last() else {
        panic!("no End(Some): {events:?}");
    };
    assert_eq!(e.code, ErrorCode::InvalidJson);
    assert_eq!(e.code.outcome().code(), "protocol_error");
    assert_eq!(e.event_index, Some(2));
    assert!(e.message.contains("{\\\"choices\\\": xxx"), "{}", e.message);
    assert!(e.message.len() < 250, "unbounded message: {}", e.message);
    assert_eq!(d.reply().text, "kept too");
    assert_eq!(d.finish().map(|e| e.code), Some(ErrorCode::InvalidJson));
}

#[test]
fn done_without_a_finish_reason_is_complete_with_stop() {
    let mut d = StreamDecoder::new(Protocol::OpenAi, 1 << 20);
    d.feed(format!("data: {}\n\ndata:[DONE]\n\n", chunk("x")).as_bytes());
    let events = drain(&mut d);
    assert_eq!(
        &events[1..],
        &[
            StreamEvent::Finish {
                reason: FinishReason::Stop,
                raw: None
            },
            StreamEvent::End(None)
        ]
    );
    assert_eq!(d.finish(), None);
    assert_eq!(d.reply().finish_reason, Some(FinishReason::Stop));
    assert_eq!(
        d.reply().raw_finish_reason,
        None,
        "[DONE] carries no reason of its own"
    );
}

#[test]
fn truncation_messages_say_what_was_missing_and_where_the_body_ended() {
    let whole = format!("data: {}\n\n", chunk("a"));
    let run = run_decoder(Protocol::OpenAi, None, 1 << 20, &[whole.as_bytes()]);
    let e = run.verdict.expect("truncated");
    assert_eq!(e.code, ErrorCode::Truncated);
    assert!(e.message.contains("[DONE]") && e.message.contains("finish_reason"));
    assert!(!e.message.contains("unterminated"), "{}", e.message);

    let cut = format!("data: {}\n\ndata: {{\"choi", chunk("a"));
    let run = run_decoder(Protocol::OpenAi, None, 1 << 20, &[cut.as_bytes()]);
    let e = run.verdict.expect("truncated");
    assert!(e.message.contains("unterminated event"), "{}", e.message);
    assert_eq!(run.outcome.text, "a");

    let run = run_decoder(
        Protocol::Ollama,
        None,
        1 << 20,
        &[b"{\"response\":\"a\"}\n{\"resp"],
    );
    let e = run.verdict.expect("truncated");
    assert!(e.message.contains("\"done\": true") && e.message.contains("unterminated line"));
    assert_eq!(run.outcome.text, "a");
}

#[test]
fn an_unterminated_final_ndjson_line_that_is_whole_json_still_counts() {
    let body = b"{\"response\":\"a\",\"done\":false}\n{\"response\":\"b\",\"done\":true}";
    let run = run_decoder(Protocol::Ollama, None, 1 << 20, &[body]);
    assert_eq!(run.verdict, None);
    assert_eq!(run.outcome.text, "ab");
    assert_eq!(run.outcome.finish_reason, Some(FinishReason::Stop));
}

#[test]
fn an_oversized_event_is_event_too_large_with_its_index() {
    let body = format!(
        "data: {}\n\ndata: {}\n\n",
        chunk("a"),
        chunk(&"y".repeat(300))
    );
    let run = run_decoder(Protocol::OpenAi, None, 128, &[body.as_bytes()]);
    let e = run.verdict.expect("event_too_large");
    assert_eq!(e.code, ErrorCode::EventTooLarge);
    assert_eq!(e.event_index, Some(1));
    assert_eq!(run.outcome.text, "a");
}

#[test]
fn after_finish_input_is_ignored_and_the_verdict_repeats() {
    let mut d = StreamDecoder::new(Protocol::OpenAi, 1 << 20);
    d.feed(format!("data: {}\n\n", chunk("a")).as_bytes());
    drain(&mut d);
    let first = d.finish();
    d.feed(b"data: [DONE]\n\n");
    assert!(drain(&mut d).is_empty());
    assert_eq!(d.finish(), first);
    assert_eq!(first.map(|e| e.code), Some(ErrorCode::Truncated));
}

#[test]
fn tool_call_fragments_merge_by_index_and_repeated_ids_are_not_doubled() {
    let mut d = StreamDecoder::new(Protocol::OpenAi, 1 << 20);
    let tc = |index: u32, id: Option<&str>, name: Option<&str>, args: &str| {
        let mut f = serde_json::json!({"arguments": args});
        if let Some(n) = name {
            f["name"] = n.into();
        }
        let mut call = serde_json::json!({"index": index, "function": f});
        if let Some(i) = id {
            call["id"] = i.into();
        }
        serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}).to_string()
    };
    // A server that repeats the id and name on every chunk, and one that splits the name.
    for data in [
        tc(3, Some("call_x"), Some("lookup"), "{\"q\":"),
        tc(3, Some("call_x"), Some("lookup"), "1}"),
        tc(0, Some("call_y"), Some("get_"), ""),
        tc(0, None, Some("time"), "{}"),
    ] {
        d.feed_item(event("message", &data));
    }
    drain(&mut d);
    let calls = &d.reply().tool_calls;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].index, 3);
    assert_eq!(calls[0].id.as_deref(), Some("call_x"));
    assert_eq!(calls[0].name.as_deref(), Some("lookup"));
    assert_eq!(calls[0].arguments, "{\"q\":1}");
    assert_eq!(calls[1].name.as_deref(), Some("get_time"));
    assert_eq!(calls[1].arguments, "{}");
    let reply = d.take_reply();
    assert_eq!(reply.tool_calls.len(), 2);
    assert!(d.reply().tool_calls.is_empty());
}

#[test]
fn auto_stays_auto_until_the_first_event_decides() {
    let mut d = StreamDecoder::new(Protocol::Auto, 1 << 20);
    d.set_content_type("text/event-stream");
    d.feed(b": hello\n\nretry: 10\n\ndata:   \n\n");
    drain(&mut d);
    assert_eq!(d.protocol(), Protocol::Auto);
    d.feed(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\n");
    drain(&mut d);
    assert_eq!(d.protocol(), Protocol::Anthropic);
    assert_eq!(d.keep_alives(), 1);
}

#[test]
fn auto_with_a_json_content_type_sniffs_the_first_byte() {
    // SSE under a wrong Content-Type is still SSE.
    let body = format!("id: 9\ndata: {}\n\ndata: [DONE]\n\n", chunk("sse"));
    let run = run_decoder(
        Protocol::Auto,
        Some("application/json"),
        1 << 20,
        &[b"\r\n", body.as_bytes()],
    );
    assert_eq!(run.resolved, Protocol::OpenAi);
    assert_eq!(run.verdict, None);
    assert_eq!(run.outcome.text, "sse");
    // NDJSON after a BOM and blank lines, unknown Content-Type.
    let run = run_decoder(
        Protocol::Auto,
        None,
        1 << 20,
        &[b"\xEF\xBB", b"\xBF\n {\"response\":\"nd\",\"done\":true}\n"],
    );
    assert_eq!(run.resolved, Protocol::Ollama);
    assert_eq!(run.verdict, None);
    assert_eq!(run.outcome.text, "nd");
    // An empty body decides nothing and is truncated.
    let run = run_decoder(Protocol::Auto, None, 1 << 20, &[b"  \n"]);
    assert_eq!(run.resolved, Protocol::Auto);
    assert_eq!(run.verdict.map(|e| e.code), Some(ErrorCode::Truncated));
}

#[test]
fn the_last_event_id_buffer_and_the_resume_id_are_tracked() {
    let mut d = StreamDecoder::new(Protocol::Sse, 1 << 20);
    d.feed(b"id: 41\ndata: a\n\nid: 42\ndata: b\n\n");
    drain(&mut d);
    assert_eq!(d.last_event_id_buffer(), "42");
    assert_eq!(d.resume_id(), "42");
    assert_eq!(d.reply().text, "ab");
    // An `id` line of an event not yet dispatched is in the buffer only.
    d.feed(b"id: 43\ndata: c\n");
    drain(&mut d);
    assert_eq!((d.last_event_id_buffer(), d.resume_id()), ("43", "42"));
}

#[test]
fn raw_sse_is_complete_at_a_clean_close_and_truncated_inside_an_event() {
    let run = run_decoder(Protocol::Sse, None, 1 << 20, &[b"data: a\n\ndata: b\n\n"]);
    assert_eq!(run.verdict, None);
    assert_eq!(run.outcome.finish_reason, None);
    let run = run_decoder(Protocol::Sse, None, 1 << 20, &[b"data: a\n\ndata: b"]);
    assert_eq!(run.verdict.map(|e| e.code), Some(ErrorCode::Truncated));
    assert_eq!(run.outcome.text, "a");
}

#[test]
fn every_error_serialises_provider_type_and_retryable() {
    let run = run_decoder(
        Protocol::OpenAi,
        None,
        1 << 20,
        &[b"data: {\"choices\":[]}\n\n"],
    );
    let json: serde_json::Value =
        serde_json::from_str(&run.outcome.to_json()).expect("outcome json");
    let err = &json["error"];
    assert_eq!(err["code"], "truncated");
    for key in ["message", "provider", "type", "retryable"] {
        assert!(err.get(key).is_some(), "error lacks {key}: {err}");
    }
    let body = b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\"}}\n\n";
    let run = run_decoder(Protocol::Anthropic, None, 1 << 20, &[body]);
    let json: serde_json::Value = serde_json::from_str(&run.outcome.to_json()).expect("json");
    assert_eq!(json["outcome"], "provider_error");
    assert_eq!(json["error"]["provider"], "anthropic");
    assert_eq!(json["error"]["type"], "rate_limit_error");
    assert_eq!(json["error"]["message"], "slow down");
    assert_eq!(json["error"]["retryable"], true);
}

#[test]
fn anthropic_usage_merges_input_from_message_start_and_output_from_message_delta() {
    let mut d = StreamDecoder::new(Protocol::Anthropic, 1 << 20);
    d.feed_item(event(
        "message_start",
        r#"{"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}"#,
    ));
    d.feed_item(event(
        "message_delta",
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#,
    ));
    drain(&mut d);
    let usage = d.reply().usage.expect("usage");
    assert_eq!(usage.input_tokens, Some(25));
    assert_eq!(usage.output_tokens, Some(15));
    // A finish reason without message_stop: complete at EOF.
    assert_eq!(d.finish(), None);
}

#[test]
fn framed_ndjson_lines() {
    let mut d = StreamDecoder::new(Protocol::Ollama, 1 << 20);
    d.feed_line(r#"{"message":{"role":"assistant","content":"hi","thinking":"hmm"},"done":false}"#);
    d.feed_line("   ");
    d.feed_line(r#"{"error":"model is overloaded, please retry"}"#);
    let events = drain(&mut d);
    assert_eq!(d.reply().thinking, "hmm");
    assert_eq!(d.reply().text, "hi");
    let Some(StreamEvent::End(Some(e))) = events.last() else {
        panic!("{events:?}");
    };
    assert_eq!(e.retryable, Some(true));
    assert_eq!(e.event_index, Some(2));
}

#[test]
fn a_four_mib_event_in_small_chunks_decodes_whole() {
    let big = "é".repeat(2 * 1024 * 1024);
    let body = format!("data: {}\n\ndata: [DONE]\n\n", chunk(&big));
    let chunks: Vec<&[u8]> = body.as_bytes().chunks(4096).collect();
    let run = run_decoder(Protocol::OpenAi, None, 8 << 20, &chunks);
    assert_eq!(run.verdict, None);
    assert_eq!(run.outcome.text.len(), big.len());
    assert!(run.outcome.text == big);
    assert_eq!(run.frames, 2);
}

#[test]
fn every_event_serialises_with_its_type_tag() {
    let mut e = streamguard::StreamError::new(ErrorCode::ProviderError, "m");
    e.provider = Some("openai".into());
    let cases = [
        (
            StreamEvent::Text { text: "t".into() },
            r#"{"type":"text","text":"t"}"#,
        ),
        (
            StreamEvent::Thinking { text: "h".into() },
            r#"{"type":"thinking","text":"h"}"#,
        ),
        (
            StreamEvent::ToolCall {
                index: 1,
                id: None,
                name: Some("n".into()),
                arguments: "{".into(),
            },
            r#"{"type":"tool_call","index":1,"id":null,"name":"n","arguments":"{"}"#,
        ),
        (
            StreamEvent::Usage(streamguard::Usage {
                input_tokens: Some(1),
                output_tokens: None,
            }),
            r#"{"type":"usage","inputTokens":1,"outputTokens":null}"#,
        ),
        (
            StreamEvent::Finish {
                reason: FinishReason::Length,
                raw: Some("max_tokens".into()),
            },
            r#"{"type":"finish","reason":"length","raw":"max_tokens"}"#,
        ),
        (
            StreamEvent::Finish {
                reason: FinishReason::Stop,
                raw: None,
            },
            r#"{"type":"finish","reason":"stop","raw":null}"#,
        ),
        (StreamEvent::KeepAlive, r#"{"type":"keep_alive"}"#),
        (
            StreamEvent::Meta {
                name: "ping".into(),
            },
            r#"{"type":"meta","name":"ping"}"#,
        ),
        (StreamEvent::End(None), r#"{"type":"end","error":null}"#),
        (
            StreamEvent::End(Some(e)),
            r#"{"type":"end","error":{"code":"provider_error","message":"m","provider":"openai","type":null,"retryable":null}}"#,
        ),
    ];
    for (event, want) in cases {
        assert_eq!(serde_json::to_string(&event).expect("serialise"), want);
    }
}
