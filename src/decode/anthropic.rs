//! Anthropic Messages streaming.
//!
//! Every event has an SSE `event:` name and the same `"type"` in its JSON data (the JSON type
//! wins; the event name is the fallback):
//! `message_start` (`message.usage.input_tokens`), `content_block_start` (a `text`, `thinking`
//! or `tool_use` block at `index`; a tool block's `id` and `name` start its tool call),
//! `content_block_delta` (`text_delta` → text, `thinking_delta` → thinking, kept apart from the
//! answer, `input_json_delta` → the tool call's argument fragment `partial_json`,
//! `signature_delta` → meta), `content_block_stop`, `message_delta` (`delta.stop_reason`,
//! `usage.output_tokens`), `message_stop` (the terminator), `ping` (keep-alive) and `error`
//! (`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`).
//! Unknown event types are meta (the API reserves the right to add them).

use super::errors::provider_error_of;
use super::protocol::{Protocol, ProviderDecoder};
use super::read;
use super::sink::EventSink;
use crate::json::Json;
use crate::outcome::FinishReason;

/// The Messages decoder (stateless: tool calls are keyed by content block index).
#[derive(Debug, Default)]
pub(crate) struct Anthropic;

impl ProviderDecoder for Anthropic {
    fn truncated_before(&self) -> &'static str {
        "before message_stop and before any message_delta stop_reason"
    }

    /// `ping` is one of the Messages events (with JSON data).
    fn decodes_pings(&self) -> bool {
        true
    }

    fn on_json(&mut self, event_type: &str, v: Json<'_>, index: u64, sink: &mut EventSink) {
        let o = v.obj();
        // One pass over the event's members for those every event reads (and `delta`, which
        // the most frequent events read: no second pass for it).
        let [json_type, block_index, delta] = o.pick(["type", "index", "delta"]);
        let delta = delta.map(Json::obj).unwrap_or_default();
        let json_type = json_type.and_then(Json::as_str);
        let ty = json_type.as_deref().unwrap_or(event_type);
        let block_index = block_index
            .and_then(Json::as_u64)
            .and_then(|i| u32::try_from(i).ok())
            .unwrap_or(0);
        match ty {
            "ping" => sink.keep_alive(),
            "message_start" => {
                sink.meta(ty);
                let u = o.obj("message").obj("usage");
                sink.usage(u.u64("input_tokens"), u.u64("output_tokens"));
            }
            "content_block_start" => {
                let block = o.obj("content_block");
                match block.str("type").as_deref() {
                    Some("text") => {
                        sink.meta(ty);
                        sink.text_of(block.get("text"));
                    }
                    Some("thinking") => {
                        sink.meta(ty);
                        sink.thinking_of(block.get("thinking"));
                    }
                    Some("tool_use" | "server_tool_use") => {
                        read::tool(sink, block_index, block.get("id"), block.get("name"), None);
                    }
                    _ => sink.meta(ty),
                }
            }
            "content_block_delta" => {
                let [delta_type, text, thinking, partial_json] =
                    delta.pick(["type", "text", "thinking", "partial_json"]);
                match delta_type.and_then(Json::as_str).as_deref() {
                    Some("text_delta") => sink.text_of(text),
                    Some("thinking_delta") => sink.thinking_of(thinking),
                    Some("input_json_delta") => {
                        read::tool(sink, block_index, None, None, partial_json)
                    }
                    Some(other) => sink.meta(other),
                    None => sink.meta(ty),
                }
            }
            "message_delta" => {
                let u = o.obj("usage");
                sink.usage(u.u64("input_tokens"), u.u64("output_tokens"));
                match delta.str("stop_reason") {
                    Some(r) => sink.finish(map_stop_reason(&r), Some(&r)),
                    None => sink.meta(ty),
                }
            }
            "message_stop" => sink.complete(),
            "error" => {
                // The nested error object (any type) when there is one, else the event.
                let nested = o.get("error").map(Json::obj);
                let err = nested.as_ref().unwrap_or(&o);
                sink.fail(provider_error_of(
                    Protocol::Anthropic,
                    err.get("type"),
                    None,
                    err.get("message"),
                    index,
                ));
            }
            other => sink.meta(other),
        }
    }
}

/// Anthropic's `stop_reason` strings.
pub(crate) fn map_stop_reason(reason: &str) -> FinishReason {
    match reason {
        "end_turn" | "stop_sequence" => FinishReason::Stop,
        "max_tokens" => FinishReason::Length,
        "tool_use" => FinishReason::ToolCalls,
        "refusal" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::protocol::decode_frames;
    use crate::decode::StreamEvent;
    use crate::error::ErrorCode;
    use crate::outcome::Usage;

    fn run(events: &[&str]) -> Vec<StreamEvent> {
        decode_frames(Anthropic, "", events)
    }

    #[test]
    fn thinking_text_tool_use_and_stop() {
        let ev = run(&[
            r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude","stop_reason":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQ"}}"#,
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#,
            r#"{"type":"message_stop"}"#,
        ]);
        assert!(ev.contains(&StreamEvent::Thinking { text: "hmm".into() }));
        assert!(ev.contains(&StreamEvent::ToolCall {
            index: 1,
            id: Some("toolu_1".into()),
            name: Some("get_weather".into()),
            arguments: String::new()
        }));
        assert!(ev.contains(&StreamEvent::Usage(Usage {
            input_tokens: Some(25),
            output_tokens: Some(1)
        })));
        assert!(ev.contains(&StreamEvent::Usage(Usage {
            input_tokens: None,
            output_tokens: Some(89)
        })));
        assert!(!ev.iter().any(|e| matches!(e, StreamEvent::Text { .. })));
        let tail: Vec<_> = ev.iter().rev().take(2).cloned().collect();
        assert_eq!(
            tail,
            vec![
                StreamEvent::End(None),
                StreamEvent::Finish {
                    reason: FinishReason::ToolCalls,
                    raw: Some("tool_use".into())
                }
            ]
        );
    }

    #[test]
    fn overloaded_error_is_retryable() {
        let ev = run(&[
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ]);
        let Some(StreamEvent::End(Some(e))) = ev.first() else {
            panic!("expected End(Some): {ev:?}");
        };
        assert_eq!(e.code, ErrorCode::ProviderError);
        assert_eq!(e.provider.as_deref(), Some("anthropic"));
        assert_eq!(e.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(e.message, "Overloaded");
        assert_eq!(e.retryable, Some(true));
        let ev =
            run(&[r#"{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}"#]);
        assert!(
            matches!(ev.first(), Some(StreamEvent::End(Some(e))) if e.retryable == Some(false))
        );
    }

    #[test]
    fn stop_reason_mapping() {
        assert_eq!(map_stop_reason("end_turn"), FinishReason::Stop);
        assert_eq!(map_stop_reason("stop_sequence"), FinishReason::Stop);
        assert_eq!(map_stop_reason("max_tokens"), FinishReason::Length);
        assert_eq!(map_stop_reason("tool_use"), FinishReason::ToolCalls);
        assert_eq!(map_stop_reason("refusal"), FinishReason::ContentFilter);
        assert_eq!(map_stop_reason("pause_turn"), FinishReason::Other);
    }
}
