//! The Vercel AI SDK UI message stream (`toUIMessageStreamResponse()`,
//! `createUIMessageStreamResponse()`), versions 5 and 6 of the `ai` package.
//!
//! SSE with the header `x-vercel-ai-ui-message-stream: v1`; every event is `data: {part}` with
//! a `"type"`, the stream ends with `data: [DONE]`; comments (`: stream-open`,
//! `: keep-alive` when `keepAliveMs` is set) are keep-alives. The part types, as the SDK's own
//! `uiMessageChunkSchema` lists them (v5 and v6; v6 adds the tool approval parts and
//! `abort.reason`):
//! - `text-start` / `text-delta` (`delta`) / `text-end` (`id`): answer text; the deltas of
//!   every text part concatenate, in order.
//! - `reasoning-start` / `reasoning-delta` (`delta`) / `reasoning-end`: thinking.
//! - `tool-input-start` (`toolCallId`, `toolName`), `tool-input-delta` (`inputTextDelta`),
//!   `tool-input-available` (`input`, the whole input): one tool call per `toolCallId`, indexed
//!   in order of appearance; its arguments are the deltas, or `input` as compact JSON when no
//!   delta came. `tool-output-available`, `tool-output-error`, `tool-input-error`,
//!   `tool-approval-request`, `tool-output-denied` are meta events (results, not the call).
//! - `error` (`errorText`): a provider error (the SDK still sends `finish-step`, `finish` and
//!   `[DONE]` after it; the error ends the stream at once).
//! - `abort` (`reason` in v6): the server aborted the generation: a provider error of type
//!   `abort`.
//! - `finish` (`finishReason` when the SDK sends it: `stop`, `length`, `content-filter`,
//!   `tool-calls`, `other`, `unknown` (v5), `error`): the end signal. Normalised to stop,
//!   length, content_filter, tool_calls, other; without a reason, stop. `finish` with
//!   `error` is a provider error (the generation failed).
//! - `data: [DONE]`: the terminator (complete; a finish reason of stop is implied when no
//!   `finish` came).
//! - `start`, `start-step`, `finish-step`, `message-metadata`, `source-url`,
//!   `source-document`, `file`, `data-*` and any part type this decoder does not know: meta
//!   events named by their type, never text.
//! - A part that is not a JSON object with a string `type`: `invalid_event`.

use super::errors::provider_error;
use super::protocol::{Protocol, ProviderDecoder};
use super::read;
use super::sink::EventSink;
use crate::error::{ErrorCode, StreamError};
use crate::json::{Json, Obj};
use crate::outcome::FinishReason;
use crate::text::push_u64;

/// The UI message stream decoder.
#[derive(Debug, Default)]
pub(crate) struct AiSdk {
    /// The tool calls seen: their `toolCallId` (the index is the position) and whether any
    /// argument text came for them.
    tools: Vec<(String, bool)>,
}

/// The terminator's data.
const DONE: &str = "[DONE]";

impl ProviderDecoder for AiSdk {
    fn truncated_before(&self) -> &'static str {
        "before a finish part and before [DONE]"
    }

    fn on_signal(&mut self, data: &str, sink: &mut EventSink) -> bool {
        if data == DONE {
            sink.complete();
        }
        data == DONE
    }

    fn on_json(&mut self, _event_type: &str, v: Json<'_>, index: u64, sink: &mut EventSink) {
        let o = v.obj();
        let ty = match o.str("type") {
            Some(ty) if v.is_object() => ty,
            _ => {
                sink.fail(not_a_part(index));
                return;
            }
        };
        match ty.as_ref() {
            "text-delta" => sink.text_of(o.get("delta")),
            "reasoning-delta" => sink.thinking_of(o.get("delta")),
            "tool-input-start" => {
                let i = self.tool_index(&o, false);
                read::tool(sink, i, o.get("toolCallId"), o.get("toolName"), None);
            }
            "tool-input-delta" => {
                let i = self.tool_index(&o, true);
                read::tool(sink, i, None, None, o.get("inputTextDelta"));
            }
            "tool-input-available" => {
                let had_arguments = self.has_arguments(&o);
                let i = self.tool_index(&o, true);
                let arguments = match o.get("input") {
                    Some(input) if !had_arguments => input.compact(),
                    _ => String::new(),
                };
                sink.tool(
                    i,
                    o.str("toolCallId").as_deref(),
                    o.str("toolName").as_deref(),
                    &arguments,
                );
            }
            "error" => {
                let text = o.str("errorText");
                sink.fail(provider_error(
                    Protocol::AiSdk,
                    None,
                    None,
                    text.as_deref(),
                    index,
                ));
            }
            "abort" => {
                let mut message = String::from("the server aborted the stream");
                if let Some(reason) = o.str("reason").filter(|r| !r.is_empty()) {
                    message.push_str(": ");
                    message.push_str(&reason);
                }
                sink.fail(provider_error(
                    Protocol::AiSdk,
                    Some("abort"),
                    None,
                    Some(&message),
                    index,
                ));
            }
            "finish" => match o.str("finishReason") {
                Some(raw) if raw == "error" => sink.fail(provider_error(
                    Protocol::AiSdk,
                    Some("error"),
                    None,
                    Some("the stream finished with finishReason \"error\""),
                    index,
                )),
                Some(raw) => sink.finish(map_finish(&raw), Some(&raw)),
                None => sink.finish(FinishReason::Stop, None),
            },
            other => sink.meta(other),
        }
    }
}

impl AiSdk {
    /// The index of the call `toolCallId` names (a new one in order of appearance).
    /// `arguments`: this part carries argument text.
    fn tool_index(&mut self, o: &Obj<'_>, arguments: bool) -> u32 {
        let id = o.str("toolCallId").unwrap_or_default();
        let pos = match self.tools.iter().position(|(t, _)| *t == *id) {
            Some(p) => p,
            None => {
                self.tools.push((id.into_owned(), false));
                self.tools.len() - 1
            }
        };
        if let Some(entry) = self.tools.get_mut(pos) {
            entry.1 |= arguments;
        }
        u32::try_from(pos).unwrap_or(u32::MAX)
    }

    /// Whether argument text already came for the call this part names.
    fn has_arguments(&self, o: &Obj<'_>) -> bool {
        let id = o.str("toolCallId").unwrap_or_default();
        self.tools.iter().any(|(t, args)| *t == *id && *args)
    }
}

/// The AI SDK's unified finish reasons.
pub(crate) fn map_finish(reason: &str) -> FinishReason {
    match reason {
        "stop" => FinishReason::Stop,
        "length" => FinishReason::Length,
        "content-filter" => FinishReason::ContentFilter,
        "tool-calls" => FinishReason::ToolCalls,
        _ => FinishReason::Other,
    }
}

/// `invalid_event` for a frame that is JSON but not a part.
fn not_a_part(index: u64) -> StreamError {
    let mut message = String::from("event ");
    push_u64(&mut message, index);
    message.push_str(" is not an AI SDK stream part (a JSON object with a string \"type\")");
    let mut e = StreamError::new(ErrorCode::InvalidEvent, message);
    e.event_index = Some(index);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::protocol::decode_frames;
    use crate::decode::StreamEvent;

    fn run(parts: &[&str]) -> Vec<StreamEvent> {
        decode_frames(AiSdk::default(), "message", parts)
    }

    fn meta(name: &str) -> StreamEvent {
        StreamEvent::Meta { name: name.into() }
    }

    #[test]
    fn text_reasoning_and_finish() {
        let ev = run(&[
            r#"{"type":"start","messageId":"m1"}"#,
            r#"{"type":"start-step"}"#,
            r#"{"type":"reasoning-start","id":"r"}"#,
            r#"{"type":"reasoning-delta","id":"r","delta":"hmm"}"#,
            r#"{"type":"reasoning-end","id":"r"}"#,
            r#"{"type":"text-start","id":"t0"}"#,
            r#"{"type":"text-delta","id":"t0","delta":"Hel"}"#,
            r#"{"type":"text-end","id":"t0"}"#,
            r#"{"type":"text-start","id":"t1"}"#,
            r#"{"type":"text-delta","id":"t1","delta":"lo"}"#,
            r#"{"type":"data-weather","data":{"t":"Hello?"}}"#,
            r#"{"type":"source-url","sourceId":"s","url":"https://x"}"#,
            r#"{"type":"finish-step"}"#,
            r#"{"type":"finish","finishReason":"length"}"#,
            "[DONE]",
        ]);
        let text: String = ev
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "Hello");
        assert!(ev.contains(&StreamEvent::Thinking { text: "hmm".into() }));
        for m in ["start", "data-weather", "source-url", "finish-step"] {
            assert!(ev.contains(&meta(m)), "{m}");
        }
        assert_eq!(
            ev.iter().rev().take(2).cloned().collect::<Vec<_>>(),
            vec![
                StreamEvent::End(None),
                StreamEvent::Finish {
                    reason: FinishReason::Length,
                    raw: Some("length".into())
                },
            ]
        );
    }

    #[test]
    fn tool_calls_from_deltas_or_from_the_whole_input() {
        let ev = run(&[
            r#"{"type":"tool-input-start","toolCallId":"call-1","toolName":"weather"}"#,
            r#"{"type":"tool-input-delta","toolCallId":"call-1","inputTextDelta":"{\"city\":"}"#,
            r#"{"type":"tool-input-delta","toolCallId":"call-1","inputTextDelta":"\"Paris\"}"}"#,
            r#"{"type":"tool-input-available","toolCallId":"call-1","toolName":"weather","input":{"city":"Paris"}}"#,
            r#"{"type":"tool-input-available","toolCallId":"call-2","toolName":"time","input":{ "tz" : "UTC" }}"#,
            r#"{"type":"tool-output-available","toolCallId":"call-1","output":{"c":21}}"#,
            r#"{"type":"finish","finishReason":"tool-calls"}"#,
        ]);
        let calls: Vec<&StreamEvent> = ev
            .iter()
            .filter(|e| matches!(e, StreamEvent::ToolCall { .. }))
            .collect();
        assert_eq!(
            calls.last(),
            Some(&&StreamEvent::ToolCall {
                index: 1,
                id: Some("call-2".into()),
                name: Some("time".into()),
                arguments: r#"{"tz":"UTC"}"#.into()
            })
        );
        let call_1_args: String = ev
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall {
                    index: 0,
                    arguments,
                    ..
                } => Some(arguments.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            call_1_args, r#"{"city":"Paris"}"#,
            "deltas, not the input twice"
        );
        assert!(ev.contains(&meta("tool-output-available")));
        assert!(ev.contains(&StreamEvent::Finish {
            reason: FinishReason::ToolCalls,
            raw: Some("tool-calls".into())
        }));
    }

    #[test]
    fn error_abort_and_finish_error_end_the_stream() {
        let ev = run(&[
            r#"{"type":"text-delta","id":"0","delta":"Par"}"#,
            r#"{"type":"error","errorText":"Overloaded"}"#,
        ]);
        let Some(StreamEvent::End(Some(e))) = ev.last() else {
            panic!("{ev:?}");
        };
        assert_eq!(e.code, ErrorCode::ProviderError);
        assert_eq!(e.provider.as_deref(), Some("ai-sdk"));
        assert_eq!(e.message, "Overloaded");
        assert_eq!(e.retryable, Some(true), "the message says overloaded");
        let ev = run(&[r#"{"type":"abort","reason":"user stop"}"#]);
        assert!(matches!(ev.last(), Some(StreamEvent::End(Some(e)))
            if e.error_type.as_deref() == Some("abort") && e.message.contains("user stop")));
        let ev = run(&[r#"{"type":"finish","finishReason":"error"}"#]);
        assert!(matches!(ev.last(), Some(StreamEvent::End(Some(e)))
            if e.code == ErrorCode::ProviderError));
    }

    #[test]
    fn a_v5_finish_without_a_reason_is_stop_with_no_raw_reason() {
        let ev = run(&[r#"{"type":"finish"}"#, "[DONE]"]);
        assert_eq!(
            ev,
            vec![
                StreamEvent::Finish {
                    reason: FinishReason::Stop,
                    raw: None
                },
                StreamEvent::End(None)
            ]
        );
        assert_eq!(map_finish("content-filter"), FinishReason::ContentFilter);
        assert_eq!(map_finish("unknown"), FinishReason::Other);
    }

    #[test]
    fn a_frame_that_is_not_a_part_is_invalid_event() {
        for bad in [
            "42",
            r#""text""#,
            r#"{"delta":"x"}"#,
            r#"{"type":7}"#,
            "[1]",
        ] {
            let ev = run(&[bad]);
            assert!(
                matches!(ev.last(), Some(StreamEvent::End(Some(e)))
                    if e.code == ErrorCode::InvalidEvent && e.event_index == Some(0)),
                "{bad}: {ev:?}"
            );
        }
    }
}
