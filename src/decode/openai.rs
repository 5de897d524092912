//! OpenAI Chat Completions streaming (and OpenAI-compatible servers).
//!
//! Each `data:` line is a `chat.completion.chunk`:
//! `{"id":..,"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},
//! "finish_reason":null}]}`; the stream ends with `data: [DONE]` (a signal, not JSON). Read
//! here:
//! - text from the choice with `index` 0 (`delta.content`; null or missing is fine); other
//!   choices (`n > 1`) are ignored. `delta.reasoning_content` / `delta.reasoning` (DeepSeek,
//!   OpenRouter and other compatible servers) is thinking text.
//! - `delta.tool_calls[]` fragments keyed by their `index` (position in the array when a
//!   compatible server omits it); the legacy `delta.function_call` is tool call 0.
//! - a non-null `finish_reason`: `stop`, `length`, `tool_calls` (`function_call` too),
//!   `content_filter`, anything else `other`.
//! - `usage` (the `stream_options.include_usage` chunk has `choices: []`): `prompt_tokens`,
//!   `completion_tokens`. A first chunk with `choices: []` and `prompt_filter_results` (Azure)
//!   produces nothing.
//! - `{"error": {"message", "type", "code"}}` (or `"error": "text"`): a provider error.

use super::errors::provider_error_of;
use super::protocol::{Protocol, ProviderDecoder};
use super::read;
use super::sink::EventSink;
use crate::error::StreamError;
use crate::json::{Json, Obj};
use crate::outcome::FinishReason;

/// The Chat Completions decoder (stateless: merging happens in the accumulator).
#[derive(Debug, Default)]
pub(crate) struct OpenAi;

/// The terminator's data.
const DONE: &str = "[DONE]";

impl ProviderDecoder for OpenAi {
    fn truncated_before(&self) -> &'static str {
        "before [DONE] and before any finish_reason"
    }

    /// `data: [DONE]` (with or without the space: the data is trimmed) ends the stream.
    fn on_signal(&mut self, data: &str, sink: &mut EventSink) -> bool {
        if data == DONE {
            sink.complete();
        }
        data == DONE
    }

    /// One chunk.
    fn on_json(&mut self, event_type: &str, v: Json<'_>, index: u64, sink: &mut EventSink) {
        let o = v.obj();
        // One pass over the chunk's members for the three read here.
        let [error, choices, usage] = o.pick(["error", "choices", "usage"]);
        if let Some(err) = error.filter(|e| e.is_object() || e.is_string()) {
            sink.fail(error_from(err, index));
            return;
        }
        if event_type == "error" {
            sink.fail(error_from(v, index));
            return;
        }
        let Some(choices) = choices.and_then(Json::items) else {
            return self.usage(usage, sink);
        };
        // Positions counted by hand: opt-level "z" keeps `enumerate` as calls.
        let mut next_pos: u64 = 0;
        #[allow(clippy::explicit_counter_loop)]
        for choice in choices {
            let pos = next_pos;
            next_pos += 1;
            let [choice_index, delta, finish_reason] =
                choice.obj().pick(["index", "delta", "finish_reason"]);
            let choice_index = choice_index.and_then(Json::as_u64).unwrap_or(pos);
            if choice_index != 0 {
                continue;
            }
            if let Some(delta) = delta {
                let [reasoning_content, reasoning, content, tool_calls, function_call] =
                    delta.obj().pick([
                        "reasoning_content",
                        "reasoning",
                        "content",
                        "tool_calls",
                        "function_call",
                    ]);
                sink.thinking(
                    reasoning_content
                        .and_then(Json::as_str)
                        .or(reasoning.and_then(Json::as_str))
                        .as_deref(),
                );
                sink.text_of(content);
                if let Some(calls) = tool_calls.and_then(Json::items) {
                    let mut p: u32 = 0;
                    for call in calls {
                        let call = call.obj();
                        let i = call.index("index").unwrap_or(p);
                        p = p.saturating_add(1);
                        let function = call.obj("function");
                        read::tool(
                            sink,
                            i,
                            call.get("id"),
                            function.get("name"),
                            function.get("arguments"),
                        );
                    }
                }
                if let Some(f) = function_call.filter(|f| f.is_object()) {
                    let f = f.obj();
                    read::tool(sink, 0, None, f.get("name"), f.get("arguments"));
                }
            }
            if let Some(reason) = finish_reason.and_then(Json::as_str) {
                sink.finish(map_finish(&reason), Some(&reason));
            }
        }
        self.usage(usage, sink);
    }
}

impl OpenAi {
    /// The `usage` member, when it is an object.
    fn usage(&self, usage: Option<Json<'_>>, sink: &mut EventSink) {
        if let Some(usage) = usage.filter(|u| u.is_object()) {
            let usage = usage.obj();
            sink.usage(usage.u64("prompt_tokens"), usage.u64("completion_tokens"));
        }
    }
}

/// OpenAI's `finish_reason` strings.
pub(crate) fn map_finish(reason: &str) -> FinishReason {
    match reason {
        "stop" => FinishReason::Stop,
        "length" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

/// `{"message", "type", "code"}` or a bare string.
fn error_from(err: Json<'_>, index: u64) -> StreamError {
    if err.is_string() {
        return provider_error_of(Protocol::OpenAi, None, None, Some(err), index);
    }
    let err: Obj<'_> = err.obj();
    provider_error_of(
        Protocol::OpenAi,
        err.get("type"),
        err.get("code"),
        err.get("message"),
        index,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::protocol::decode_frames;
    use crate::decode::StreamEvent;
    use crate::error::ErrorCode;

    fn run(chunks: &[&str]) -> Vec<StreamEvent> {
        decode_frames(OpenAi, "message", chunks)
    }

    #[test]
    fn text_tool_calls_finish_and_usage() {
        let ev = run(&[
            r#"{"id":"c","object":"chat.completion.chunk","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}},{"index":0,"function":{"arguments":"{\"a\""}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":null}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#,
        ]);
        assert_eq!(
            ev,
            vec![
                StreamEvent::Text { text: "Hi".into() },
                StreamEvent::ToolCall {
                    index: 0,
                    id: Some("call_1".into()),
                    name: Some("f".into()),
                    arguments: String::new()
                },
                StreamEvent::ToolCall {
                    index: 0,
                    id: None,
                    name: None,
                    arguments: "{\"a\"".into()
                },
                StreamEvent::Finish {
                    reason: FinishReason::ToolCalls,
                    raw: Some("tool_calls".into())
                },
                StreamEvent::Usage(crate::outcome::Usage {
                    input_tokens: Some(5),
                    output_tokens: Some(7)
                }),
            ]
        );
    }

    #[test]
    fn error_object_is_a_provider_error_with_type_and_code() {
        let ev = run(&[
            r#"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"#,
        ]);
        let Some(StreamEvent::End(Some(e))) = ev.first() else {
            panic!("expected End(Some): {ev:?}");
        };
        assert_eq!(e.code, ErrorCode::ProviderError);
        assert_eq!(e.message, "The server had an error");
        assert_eq!(e.provider.as_deref(), Some("openai"));
        assert_eq!(e.error_type.as_deref(), Some("server_error"));
        assert_eq!(e.retryable, Some(true));
        let ev = run(&[
            r#"{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
        ]);
        let Some(StreamEvent::End(Some(e))) = ev.first() else {
            panic!("expected End(Some): {ev:?}");
        };
        assert_eq!(e.provider_code.as_deref(), Some("invalid_api_key"));
        assert_eq!(e.retryable, Some(false));
    }

    #[test]
    fn a_null_or_false_error_field_is_not_an_error() {
        let ev = run(&[
            r#"{"error":null,"choices":[{"index":0,"delta":{"content":"a"}}]}"#,
            r#"{"error":false,"choices":[{"index":0,"delta":{"content":"b"}}]}"#,
            r#"{"error":"upstream went away"}"#,
        ]);
        assert_eq!(ev.len(), 3, "{ev:?}");
        assert!(
            matches!(ev.get(2), Some(StreamEvent::End(Some(e))) if e.message == "upstream went away")
        );
    }

    #[test]
    fn only_choice_zero_is_read() {
        let ev = run(&[
            r#"{"choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]}"#,
        ]);
        assert_eq!(ev, vec![StreamEvent::Text { text: "A".into() }]);
    }

    #[test]
    fn finish_reason_mapping() {
        assert_eq!(map_finish("stop"), FinishReason::Stop);
        assert_eq!(map_finish("length"), FinishReason::Length);
        assert_eq!(map_finish("function_call"), FinishReason::ToolCalls);
        assert_eq!(map_finish("content_filter"), FinishReason::ContentFilter);
        assert_eq!(map_finish("eos"), FinishReason::Other);
    }
}
