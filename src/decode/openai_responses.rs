//! OpenAI Responses API streaming.
//!
//! Typed events (`event: response.output_text.delta` with the same `"type"` in the data; the
//! JSON type wins) with a `sequence_number`; there is no `[DONE]`. Read here:
//! - `response.output_text.delta` (`delta`) → text; `response.reasoning_summary_text.delta` and
//!   `response.reasoning_text.delta` → thinking.
//! - `response.output_item.added` with a `function_call` item (`call_id`, `name`) starts tool
//!   call `output_index`; `response.function_call_arguments.delta` appends to it.
//! - `response.completed` → usage (`response.usage.input_tokens`/`output_tokens`), finish
//!   `tool_calls` when a function call was produced, else `stop`; terminator.
//! - `response.incomplete` → finish from `response.incomplete_details.reason`
//!   (`max_output_tokens` → length, `content_filter` → content_filter, else other); terminator.
//! - `response.failed` (`response.error.code`/`message`) and `error` (`code`, `message`; also
//!   accepted nested under `error`) → provider error.
//! - everything else (`response.created`, `response.in_progress`, `*.done`, ...) → meta.

use super::errors::{code_of, provider_error};
use super::protocol::{Protocol, ProviderDecoder};
use super::read;
use super::sink::EventSink;
use crate::json::{Json, Obj};
use crate::outcome::FinishReason;

/// The Responses decoder.
#[derive(Debug, Default)]
pub(crate) struct Responses {
    /// A function call item was produced: `response.completed` then means `tool_calls`.
    saw_function_call: bool,
}

impl ProviderDecoder for Responses {
    fn truncated_before(&self) -> &'static str {
        "before response.completed"
    }

    /// One event.
    fn on_json(&mut self, event_type: &str, v: Json<'_>, index: u64, sink: &mut EventSink) {
        let o = v.obj();
        let json_type = o.str("type");
        let ty = json_type.as_deref().unwrap_or(event_type);
        match ty {
            "response.output_text.delta" => sink.text_of(o.get("delta")),
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                sink.thinking_of(o.get("delta"))
            }
            "response.output_item.added" => {
                let item = o.obj("item");
                if item.str("type").as_deref() == Some("function_call") {
                    self.saw_function_call = true;
                    sink.tool(
                        o.index("output_index").unwrap_or(0),
                        item.str("call_id").or(item.str("id")).as_deref(),
                        item.str("name").as_deref(),
                        item.str("arguments").as_deref().unwrap_or(""),
                    );
                } else {
                    sink.meta(ty);
                }
            }
            "response.function_call_arguments.delta" => {
                self.saw_function_call = true;
                read::tool(
                    sink,
                    o.index("output_index").unwrap_or(0),
                    None,
                    None,
                    o.get("delta"),
                );
            }
            "response.completed" => {
                let response = o.obj("response");
                usage(&response, sink);
                let mut produced_call = false;
                let mut items = response.get("output").and_then(Json::items);
                while let Some(item) = items.as_mut().and_then(Iterator::next) {
                    produced_call |= item.obj().str("type").as_deref() == Some("function_call");
                }
                let reason = if self.saw_function_call || produced_call {
                    FinishReason::ToolCalls
                } else {
                    FinishReason::Stop
                };
                sink.finish(reason, response.str("status").as_deref());
                sink.complete();
            }
            "response.incomplete" => {
                let response = o.obj("response");
                usage(&response, sink);
                let reason = response.obj("incomplete_details").str("reason");
                let normalised = match reason.as_deref() {
                    Some("max_output_tokens") => FinishReason::Length,
                    Some("content_filter") => FinishReason::ContentFilter,
                    _ => FinishReason::Other,
                };
                // The reason when there is one, else the status (`incomplete`).
                let raw = reason.or(response.str("status"));
                sink.finish(normalised, raw.as_deref());
                sink.complete();
            }
            "response.failed" => {
                let err = o.obj("response").obj("error");
                let code = code_of(err.get("code"));
                sink.fail(provider_error(
                    Protocol::OpenAiResponses,
                    err.str("type").as_deref().or(code.as_deref()),
                    code.clone(),
                    err.str("message").as_deref(),
                    index,
                ));
            }
            "error" => {
                // The nested error object when there is one, else the event itself.
                let nested = o.get("error").filter(|e| e.is_object()).map(Json::obj);
                let err = nested.as_ref().unwrap_or(&o);
                let code = code_of(err.get("code"));
                let error_type = err.str("type").filter(|t| *t != "error");
                sink.fail(provider_error(
                    Protocol::OpenAiResponses,
                    error_type.as_deref().or(code.as_deref()),
                    code.clone(),
                    err.str("message").as_deref(),
                    index,
                ));
            }
            other => sink.meta(other),
        }
    }
}

fn usage(response: &Obj<'_>, sink: &mut EventSink) {
    let u = response.obj("usage");
    sink.usage(u.u64("input_tokens"), u.u64("output_tokens"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::protocol::decode_frames;
    use crate::decode::StreamEvent;
    use crate::error::ErrorCode;

    fn run(events: &[&str]) -> Vec<StreamEvent> {
        decode_frames(Responses::default(), "", events)
    }

    #[test]
    fn text_then_completed() {
        let ev = run(&[
            r#"{"type":"response.created","response":{"id":"resp_1","status":"in_progress"},"sequence_number":0}"#,
            r#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi","sequence_number":1}"#,
            r#"{"type":"response.completed","response":{"id":"resp_1","status":"completed","output":[{"type":"message"}],"usage":{"input_tokens":3,"output_tokens":1,"total_tokens":4}},"sequence_number":2}"#,
        ]);
        assert_eq!(ev.get(1), Some(&StreamEvent::Text { text: "Hi".into() }));
        assert!(ev.contains(&StreamEvent::Finish {
            reason: FinishReason::Stop,
            raw: Some("completed".into())
        }));
        assert_eq!(ev.last(), Some(&StreamEvent::End(None)));
    }

    #[test]
    fn function_call_completes_as_tool_calls() {
        let ev = run(&[
            r#"{"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":""},"sequence_number":1}"#,
            r#"{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{}","sequence_number":2}"#,
            r#"{"type":"response.completed","response":{"status":"completed"},"sequence_number":3}"#,
        ]);
        assert!(ev.contains(&StreamEvent::Finish {
            reason: FinishReason::ToolCalls,
            raw: Some("completed".into())
        }));
    }

    #[test]
    fn incomplete_maps_the_reason() {
        let ev = run(&[
            r#"{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}},"sequence_number":3}"#,
        ]);
        assert_eq!(
            ev,
            vec![
                StreamEvent::Finish {
                    reason: FinishReason::Length,
                    raw: Some("max_output_tokens".into())
                },
                StreamEvent::End(None)
            ]
        );
    }

    #[test]
    fn failed_and_error_events() {
        let ev = run(&[
            r#"{"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"boom"}},"sequence_number":3}"#,
        ]);
        let Some(StreamEvent::End(Some(e))) = ev.first() else {
            panic!("{ev:?}");
        };
        assert_eq!(e.code, ErrorCode::ProviderError);
        assert_eq!(e.message, "boom");
        assert_eq!(e.retryable, Some(true));
        let ev = run(&[
            r#"{"type":"error","code":"ERR_SOMETHING","message":"Something went wrong","param":null,"sequence_number":1}"#,
        ]);
        let Some(StreamEvent::End(Some(e))) = ev.first() else {
            panic!("{ev:?}");
        };
        assert_eq!(e.provider_code.as_deref(), Some("ERR_SOMETHING"));
        assert_eq!(e.message, "Something went wrong");
        assert_eq!(e.retryable, Some(false));
    }
}
