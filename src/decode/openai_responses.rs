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

use serde_json::Value;

use super::{code_of, index_at, provider_error, str_at, u64_at, Out, Protocol};
use crate::outcome::FinishReason;

/// The Responses decoder.
#[derive(Debug, Default)]
pub(crate) struct Responses {
    /// A function call item was produced: `response.completed` then means `tool_calls`.
    saw_function_call: bool,
}

impl Responses {
    /// One decoded event.
    pub(crate) fn on_json(&mut self, event_type: &str, v: &Value, index: u64, out: &mut Out) {
        let ty = str_at(v, "type").unwrap_or(event_type);
        match ty {
            "response.output_text.delta" => out.text(str_at(v, "delta")),
            "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
                out.thinking(str_at(v, "delta"))
            }
            "response.output_item.added" => {
                let item = v.get("item").unwrap_or(&Value::Null);
                if str_at(item, "type") == Some("function_call") {
                    self.saw_function_call = true;
                    out.tool(
                        index_at(v, "output_index").unwrap_or(0),
                        str_at(item, "call_id").or(str_at(item, "id")),
                        str_at(item, "name"),
                        str_at(item, "arguments").unwrap_or(""),
                    );
                } else {
                    out.meta(ty);
                }
            }
            "response.function_call_arguments.delta" => {
                self.saw_function_call = true;
                out.tool(
                    index_at(v, "output_index").unwrap_or(0),
                    None,
                    None,
                    str_at(v, "delta").unwrap_or(""),
                );
            }
            "response.completed" => {
                let response = v.get("response").unwrap_or(&Value::Null);
                usage(response, out);
                let produced_call = response
                    .get("output")
                    .and_then(Value::as_array)
                    .is_some_and(|o| o.iter().any(|i| str_at(i, "type") == Some("function_call")));
                out.finish(if self.saw_function_call || produced_call {
                    FinishReason::ToolCalls
                } else {
                    FinishReason::Stop
                });
                out.complete();
            }
            "response.incomplete" => {
                let response = v.get("response").unwrap_or(&Value::Null);
                usage(response, out);
                let reason = response
                    .get("incomplete_details")
                    .and_then(|d| str_at(d, "reason"));
                out.finish(match reason {
                    Some("max_output_tokens") => FinishReason::Length,
                    Some("content_filter") => FinishReason::ContentFilter,
                    _ => FinishReason::Other,
                });
                out.complete();
            }
            "response.failed" => {
                let err = v
                    .get("response")
                    .and_then(|r| r.get("error"))
                    .unwrap_or(&Value::Null);
                let code = code_of(err.get("code"));
                out.fail(provider_error(
                    Protocol::OpenAiResponses,
                    str_at(err, "type").or(code.as_deref()),
                    code.clone(),
                    str_at(err, "message"),
                    index,
                ));
            }
            "error" => {
                let err = v.get("error").filter(|e| e.is_object()).unwrap_or(v);
                let code = code_of(err.get("code"));
                let error_type = str_at(err, "type").filter(|t| *t != "error");
                out.fail(provider_error(
                    Protocol::OpenAiResponses,
                    error_type.or(code.as_deref()),
                    code.clone(),
                    str_at(err, "message"),
                    index,
                ));
            }
            other => out.meta(other),
        }
    }
}

fn usage(response: &Value, out: &mut Out) {
    if let Some(u) = response.get("usage") {
        out.usage(u64_at(u, "input_tokens"), u64_at(u, "output_tokens"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::StreamEvent;
    use crate::error::ErrorCode;

    fn run(events: &[&str]) -> Vec<StreamEvent> {
        let mut d = Responses::default();
        let mut out = Out::default();
        for (i, e) in events.iter().enumerate() {
            let v: Value = serde_json::from_str(e).unwrap_or(Value::Null);
            d.on_json("", &v, i as u64, &mut out);
        }
        out.queue.into_iter().collect()
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
            reason: FinishReason::Stop
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
            reason: FinishReason::ToolCalls
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
                    reason: FinishReason::Length
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
