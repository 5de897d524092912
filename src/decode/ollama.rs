//! Ollama `/api/chat` and `/api/generate` NDJSON.
//!
//! One JSON object per line: `{"model":..,"message":{"role":"assistant","content":"Hi"},
//! "done":false}` (chat) or `{"model":..,"response":"Hi","done":false}` (generate). Read here:
//! `message.content` / `response` → text, `message.thinking` / `thinking` → thinking,
//! `message.tool_calls[]` (complete calls, arguments an object) → one tool call each with a
//! fresh index, and the last line `"done": true` with `done_reason` (`stop` → stop, `length` →
//! length, other → other, absent → stop), `prompt_eval_count` and `eval_count` → usage; it is
//! the terminator. A line `{"error": "..."}` (the documented mid-stream error) is a provider
//! error, retryable only when its message says overloaded or busy.

use super::errors::provider_error_of;
use super::protocol::{Protocol, ProviderDecoder};
use super::sink::EventSink;
use crate::json::Json;
use crate::outcome::FinishReason;

/// The Ollama decoder.
#[derive(Debug, Default)]
pub(crate) struct Ollama {
    /// Ollama sends whole tool calls; each gets the next index so none merge by accident.
    next_tool: u32,
}

impl ProviderDecoder for Ollama {
    fn truncated_before(&self) -> &'static str {
        "before a line with \"done\": true"
    }

    /// One line (`_event_type` is empty).
    fn on_json(&mut self, _event_type: &str, v: Json<'_>, index: u64, sink: &mut EventSink) {
        let o = v.obj();
        if let Some(err) = o.get("error").filter(|e| e.is_object() || e.is_string()) {
            let fields = err.obj();
            let message = if err.is_string() {
                Some(err)
            } else {
                fields.get("message")
            };
            sink.fail(provider_error_of(
                Protocol::Ollama,
                fields.get("type"),
                None,
                message,
                index,
            ));
            return;
        }
        if let Some(m) = o.get("message") {
            let m = m.obj();
            sink.thinking_of(m.get("thinking"));
            sink.text_of(m.get("content"));
            let mut calls = m.get("tool_calls").and_then(Json::items);
            while let Some(call) = calls.as_mut().and_then(Iterator::next) {
                let call = call.obj();
                let f = call.obj("function");
                // A string is the arguments' text; an object (Ollama's usual form) or any
                // other value is its JSON text, compact.
                let arguments = match f.get("arguments") {
                    Some(a) if a.is_string() => a.as_str().unwrap_or_default().into_owned(),
                    Some(a) if !a.is_null() => a.compact(),
                    _ => String::new(),
                };
                let i = self.next_tool;
                self.next_tool = self.next_tool.saturating_add(1);
                sink.tool(
                    i,
                    call.str("id").as_deref(),
                    f.str("name").as_deref(),
                    &arguments,
                );
            }
        }
        sink.thinking_of(o.get("thinking"));
        sink.text_of(o.get("response"));
        if o.get("done").and_then(Json::as_bool) == Some(true) {
            sink.usage(o.u64("prompt_eval_count"), o.u64("eval_count"));
            let raw = o.str("done_reason");
            let reason = match raw.as_deref() {
                None | Some("stop") => FinishReason::Stop,
                Some("length") => FinishReason::Length,
                Some(_) => FinishReason::Other,
            };
            sink.finish(reason, raw.as_deref());
            sink.complete();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::protocol::decode_frames;
    use crate::decode::StreamEvent;
    use crate::outcome::Usage;

    fn run(lines: &[&str]) -> Vec<StreamEvent> {
        decode_frames(Ollama::default(), "", lines)
    }

    #[test]
    fn chat_and_generate_lines() {
        let ev = run(&[
            r#"{"model":"m","created_at":"t","message":{"role":"assistant","content":"Hel"},"done":false}"#,
            r#"{"model":"m","created_at":"t","response":"lo","done":false}"#,
            r#"{"model":"m","created_at":"t","message":{"role":"assistant","content":""},"done_reason":"length","done":true,"prompt_eval_count":10,"eval_count":17}"#,
        ]);
        assert_eq!(
            ev,
            vec![
                StreamEvent::Text { text: "Hel".into() },
                StreamEvent::Text { text: "lo".into() },
                StreamEvent::Usage(Usage {
                    input_tokens: Some(10),
                    output_tokens: Some(17)
                }),
                StreamEvent::Finish {
                    reason: FinishReason::Length,
                    raw: Some("length".into())
                },
                StreamEvent::End(None),
            ]
        );
    }

    #[test]
    fn tool_calls_get_fresh_indices() {
        let ev = run(&[
            r#"{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"a","arguments":{"x":1}}},{"function":{"name":"b","arguments":{}}}]},"done":false}"#,
        ]);
        assert_eq!(
            ev,
            vec![
                StreamEvent::ToolCall {
                    index: 0,
                    id: None,
                    name: Some("a".into()),
                    arguments: r#"{"x":1}"#.into()
                },
                StreamEvent::ToolCall {
                    index: 1,
                    id: None,
                    name: Some("b".into()),
                    arguments: "{}".into()
                },
            ]
        );
    }

    #[test]
    fn error_line() {
        let ev = run(&[r#"{"error":"an error was encountered while running the model"}"#]);
        assert!(matches!(ev.first(), Some(StreamEvent::End(Some(e)))
            if e.provider.as_deref() == Some("ollama") && e.retryable == Some(false)));
        let ev = run(&[
            r#"{"error":"server busy, please try again.  maximum pending requests exceeded"}"#,
        ]);
        assert!(matches!(ev.first(), Some(StreamEvent::End(Some(e))) if e.retryable == Some(true)));
    }
}
