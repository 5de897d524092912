//! Google Gemini `models/{model}:streamGenerateContent`.
//!
//! Two forms of the same `GenerateContentResponse` chunks:
//! - `?alt=sse`: `data: {...}` events with CRLF line ends and no terminator (SSE framing);
//! - without it: one JSON array streamed element by element, `[{...}\n,\r\n{...}\n]`, served
//!   as `application/json` (JSON values framing: each element is decoded as soon as it is
//!   complete; the `]` ends the stream, complete when a `finishReason` came before it).
//!
//! A chunk: `{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},
//! "finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,
//! "candidatesTokenCount":5,"thoughtsTokenCount":185,"totalTokenCount":199},
//! "modelVersion":..,"responseId":..}`. Read here:
//! - candidate 0 (the one whose `index` is 0, or the first without one); other candidates are
//!   ignored. Its `content.parts[]`: `text` is answer text, or thinking when the part has
//!   `"thought": true`; a `functionCall` (`name`, `args` object, `id` on Vertex) is one whole
//!   tool call with a fresh index (arguments: `args` as compact JSON); other parts
//!   (`inlineData`, `executableCode`, `codeExecutionResult`, ...) are meta events. A
//!   `thoughtSignature` is opaque and ignored.
//! - `finishReason` is the end signal: `STOP` → stop (tool_calls when a function call came),
//!   `MAX_TOKENS` → length, `SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`
//!   and the `IMAGE_*` filters → content_filter, anything else (`OTHER`, `LANGUAGE`,
//!   `MALFORMED_FUNCTION_CALL`, ...) → other. A clean close without one is `truncated`.
//! - `usageMetadata` (in every chunk, cumulative): input `promptTokenCount`, output
//!   `candidatesTokenCount + thoughtsTokenCount` (thinking is billed as output, as OpenAI's
//!   `completion_tokens` and Anthropic's `output_tokens` count it).
//! - no candidates and `promptFeedback.blockReason` (the prompt was blocked, nothing will be
//!   generated): a provider error whose type is the block reason, not retryable.
//! - `{"error":{"code":429,"message":..,"status":"RESOURCE_EXHAUSTED","details":[..]}}`: a
//!   provider error with type `status` and code `code` (retryable for 429, 5xx, `UNAVAILABLE`,
//!   `RESOURCE_EXHAUSTED`, `INTERNAL`); a `google.rpc.RetryInfo` detail's `retryDelay`
//!   (`"34.4s"`) becomes `retryAfterMs`.
//! - `data: [DONE]`, which Gemini never sends but OpenAI-style proxies in front of it add, is
//!   taken as a terminator rather than as JSON that does not parse.

use super::errors::{provider_error, provider_error_of};
use super::protocol::{Protocol, ProviderDecoder};
use super::sink::EventSink;
use crate::http::split_once_byte;
use crate::json::{Json, Obj};
use crate::outcome::FinishReason;

/// The Gemini decoder.
#[derive(Debug, Default)]
pub(crate) struct Gemini {
    /// Gemini sends whole function calls; each gets the next index so none merge.
    next_tool: u32,
}

/// Part members that are content other than text and function calls (meta events).
const OTHER_PARTS: [&str; 6] = [
    "inlineData",
    "fileData",
    "executableCode",
    "codeExecutionResult",
    "functionResponse",
    "videoMetadata",
];

impl ProviderDecoder for Gemini {
    fn truncated_before(&self) -> &'static str {
        "before any finishReason"
    }

    fn on_signal(&mut self, data: &str, sink: &mut EventSink) -> bool {
        if data == "[DONE]" {
            sink.complete();
        }
        data == "[DONE]"
    }

    fn on_json(&mut self, _event_type: &str, v: Json<'_>, index: u64, sink: &mut EventSink) {
        let o = v.obj();
        // One pass over the chunk's members for the four read here.
        let [error, candidates, feedback, usage_metadata] =
            o.pick(["error", "candidates", "promptFeedback", "usageMetadata"]);
        if let Some(err) = error.filter(|e| e.is_object()) {
            let err = err.obj();
            let mut e = provider_error_of(
                Protocol::Gemini,
                err.get("status"),
                err.get("code"),
                err.get("message"),
                index,
            );
            e.retry_after_ms = retry_delay_ms(&err);
            sink.fail(e);
            return;
        }
        let mut first = None;
        if let Some(items) = candidates.and_then(Json::items) {
            let mut pos = 0;
            // Counted by hand: `enumerate` stays a call at opt-level "z" (wasm size).
            #[allow(clippy::explicit_counter_loop)]
            for c in items {
                let c = c.obj();
                if c.u64("index").unwrap_or(pos) == 0 {
                    first = Some(c);
                    break;
                }
                pos += 1;
            }
        }
        let Some(candidate) = first else {
            let feedback = feedback.map(Json::obj).unwrap_or_default();
            if let Some(reason) = feedback.str("blockReason") {
                sink.fail(blocked(&reason, &feedback, index));
                return;
            }
            usage(usage_metadata, sink);
            return;
        };
        let [content, finish_reason] = candidate.pick(["content", "finishReason"]);
        let parts = content.map(Json::obj).unwrap_or_default().get("parts");
        let mut parts = parts.and_then(Json::items);
        while let Some(part) = parts.as_mut().and_then(Iterator::next) {
            let part = part.obj();
            let [text, thought, function_call] = part.pick(["text", "thought", "functionCall"]);
            let thought = thought.and_then(Json::as_bool) == Some(true);
            // A `text` that reads is the part's content (an empty one too).
            if sink.string_of(text, thought) {
                continue;
            }
            if let Some(call) = function_call.filter(|c| c.is_object()) {
                let call = call.obj();
                let [args, id, name] = call.pick(["args", "id", "name"]);
                let arguments = args
                    .filter(|a| !a.is_null())
                    .map_or_else(String::new, Json::compact);
                let i = self.next_tool;
                self.next_tool = self.next_tool.saturating_add(1);
                sink.tool(
                    i,
                    id.and_then(Json::as_str).as_deref(),
                    name.and_then(Json::as_str).as_deref(),
                    &arguments,
                );
            } else if let Some(kind) = OTHER_PARTS.iter().find(|k| part.get(k).is_some()) {
                sink.meta(kind);
            }
        }
        usage(usage_metadata, sink);
        if let Some(raw) = finish_reason.and_then(Json::as_str) {
            sink.finish(map_finish(&raw, self.next_tool > 0), Some(&raw));
        }
    }
}

/// `usageMetadata`, when present.
fn usage(metadata: Option<Json<'_>>, sink: &mut EventSink) {
    let Some(u) = metadata else {
        return;
    };
    let [prompt, candidates, thoughts] = u.obj().pick([
        "promptTokenCount",
        "candidatesTokenCount",
        "thoughtsTokenCount",
    ]);
    let output = match (
        candidates.and_then(Json::as_u64),
        thoughts.and_then(Json::as_u64),
    ) {
        (None, None) => None,
        (c, t) => Some(c.unwrap_or(0).saturating_add(t.unwrap_or(0))),
    };
    sink.usage(prompt.and_then(Json::as_u64), output);
}

/// Gemini's `finishReason` values. `STOP` after a function call is `tool_calls` (Gemini says
/// `STOP` either way).
pub(crate) fn map_finish(reason: &str, called_tools: bool) -> FinishReason {
    match reason {
        "STOP" if called_tools => FinishReason::ToolCalls,
        "STOP" => FinishReason::Stop,
        "MAX_TOKENS" => FinishReason::Length,
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => FinishReason::ContentFilter,
        _ => FinishReason::Other,
    }
}

/// The prompt was blocked: `promptFeedback.blockReason` and no candidates. `feedback`: the
/// `promptFeedback` object.
fn blocked(reason: &str, feedback: &Obj<'_>, index: u64) -> crate::error::StreamError {
    let mut message = String::from("Gemini blocked the prompt (promptFeedback.blockReason ");
    message.push_str(reason);
    message.push(')');
    if let Some(detail) = feedback.str("blockReasonMessage") {
        message.push_str(": ");
        message.push_str(&detail);
    }
    provider_error(Protocol::Gemini, Some(reason), None, Some(&message), index)
}

/// A `google.rpc.RetryInfo` detail's `retryDelay` (a protobuf Duration: `"34.4s"`), in ms.
fn retry_delay_ms(err: &Obj<'_>) -> Option<u64> {
    let details = err.get("details").and_then(Json::items)?;
    for d in details {
        let d = d.obj();
        let retry_info = d
            .str("@type")
            .is_some_and(|t| t.ends_with("google.rpc.RetryInfo"));
        if let Some(delay) = d.str("retryDelay").filter(|_| retry_info) {
            return duration_ms(&delay);
        }
    }
    None
}

/// A protobuf Duration's JSON form (`"3s"`, `"34.4s"`, `"0.250s"`) in milliseconds.
fn duration_ms(s: &str) -> Option<u64> {
    let s = s.strip_suffix('s')?;
    let (secs, frac) = split_once_byte(s, b'.').unwrap_or((s, ""));
    if secs.is_empty() || !all_digits(secs) || !all_digits(frac) {
        return None;
    }
    // Plain loops: `u64::from_str` without core's generic integer parser.
    let (frac, mut ms) = (frac.as_bytes(), 0u64);
    for i in 0..3 {
        ms = ms * 10 + u64::from(frac.get(i).copied().unwrap_or(b'0') - b'0');
    }
    let mut whole: u64 = 0;
    for &b in secs.as_bytes() {
        whole = whole.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    whole.checked_mul(1000)?.checked_add(ms)
}

/// Whether every byte of `s` is an ASCII digit (true for "").
fn all_digits(s: &str) -> bool {
    s.as_bytes().iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::protocol::decode_frames;
    use crate::decode::StreamEvent;
    use crate::error::ErrorCode;
    use crate::outcome::Usage;

    fn run(chunks: &[&str]) -> Vec<StreamEvent> {
        decode_frames(Gemini::default(), "", chunks)
    }

    #[test]
    fn text_thoughts_usage_and_finish() {
        let ev = run(&[
            r#"{"candidates":[{"content":{"parts":[{"text":"Let me think","thought":true}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"totalTokenCount":20,"thoughtsTokenCount":11}}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":"There are **3**"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":5,"totalTokenCount":199,"thoughtsTokenCount":185}}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":"","thoughtSignature":"EqsF"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":23,"totalTokenCount":217,"thoughtsTokenCount":185}}"#,
        ]);
        assert_eq!(
            ev,
            vec![
                StreamEvent::Thinking {
                    text: "Let me think".into()
                },
                StreamEvent::Usage(Usage {
                    input_tokens: Some(9),
                    output_tokens: Some(11)
                }),
                StreamEvent::Text {
                    text: "There are **3**".into()
                },
                StreamEvent::Usage(Usage {
                    input_tokens: Some(9),
                    output_tokens: Some(190)
                }),
                StreamEvent::Usage(Usage {
                    input_tokens: Some(9),
                    output_tokens: Some(208)
                }),
                StreamEvent::Finish {
                    reason: FinishReason::Stop,
                    raw: Some("STOP".into())
                },
            ]
        );
    }

    #[test]
    fn function_calls_are_whole_calls_and_make_stop_tool_calls() {
        let ev = run(&[
            r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"weather","args":{"location":"San Francisco"}},"thoughtSignature":"EqUC"},{"functionCall":{"name":"time","args":{}}}],"role":"model"},"index":0}]}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}]}"#,
        ]);
        assert_eq!(
            ev,
            vec![
                StreamEvent::ToolCall {
                    index: 0,
                    id: None,
                    name: Some("weather".into()),
                    arguments: r#"{"location":"San Francisco"}"#.into()
                },
                StreamEvent::ToolCall {
                    index: 1,
                    id: None,
                    name: Some("time".into()),
                    arguments: "{}".into()
                },
                StreamEvent::Finish {
                    reason: FinishReason::ToolCalls,
                    raw: Some("STOP".into())
                },
            ]
        );
    }

    #[test]
    fn only_candidate_zero_is_read() {
        let ev = run(&[
            r#"{"candidates":[{"content":{"parts":[{"text":"B"}]},"index":1},{"content":{"parts":[{"text":"A"}]},"index":0}]}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":"C"}]}}]}"#,
        ]);
        assert_eq!(
            ev,
            vec![
                StreamEvent::Text { text: "A".into() },
                StreamEvent::Text { text: "C".into() }
            ]
        );
    }

    #[test]
    fn a_blocked_prompt_is_a_provider_error_that_says_why() {
        let ev = run(&[
            r#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-3.7-flash","responseId":"EXCP"}"#,
        ]);
        let Some(StreamEvent::End(Some(e))) = ev.first() else {
            panic!("{ev:?}");
        };
        assert_eq!(e.code, ErrorCode::ProviderError);
        assert_eq!(e.provider.as_deref(), Some("gemini"));
        assert_eq!(e.error_type.as_deref(), Some("PROHIBITED_CONTENT"));
        assert_eq!(e.retryable, Some(false));
        assert!(e.message.contains("blocked the prompt"), "{}", e.message);
        assert!(e.message.contains("PROHIBITED_CONTENT"), "{}", e.message);
    }

    #[test]
    fn errors_carry_status_code_and_retry_delay() {
        let ev = run(&[
            r#"{"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"34.4s"}]}}"#,
        ]);
        let Some(StreamEvent::End(Some(e))) = ev.first() else {
            panic!("{ev:?}");
        };
        assert_eq!(e.message, "You exceeded your current quota.");
        assert_eq!(e.error_type.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(e.provider_code.as_deref(), Some("429"));
        assert_eq!(e.retryable, Some(true));
        assert_eq!(e.retry_after_ms, Some(34_400));
        for (status, code, retryable) in [
            ("UNAVAILABLE", "503", true),
            ("INTERNAL", "500", true),
            ("INVALID_ARGUMENT", "400", false),
        ] {
            let chunk =
                format!(r#"{{"error":{{"code":{code},"message":"m","status":"{status}"}}}}"#);
            let ev = run(&[&chunk]);
            assert!(
                matches!(ev.first(), Some(StreamEvent::End(Some(e))) if e.retryable == Some(retryable)),
                "{status}: {ev:?}"
            );
        }
    }

    #[test]
    fn a_done_added_by_a_proxy_ends_the_stream() {
        let mut d = Gemini::default();
        let mut sink = EventSink::default();
        assert!(d.on_signal("[DONE]", &mut sink));
        assert!(!d.on_signal("{}", &mut sink));
        assert_eq!(
            sink.drain(),
            vec![
                StreamEvent::Finish {
                    reason: FinishReason::Stop,
                    raw: None
                },
                StreamEvent::End(None)
            ]
        );
    }

    #[test]
    fn finish_reasons_and_durations() {
        assert_eq!(map_finish("MAX_TOKENS", false), FinishReason::Length);
        assert_eq!(map_finish("SAFETY", false), FinishReason::ContentFilter);
        assert_eq!(map_finish("RECITATION", true), FinishReason::ContentFilter);
        assert_eq!(
            map_finish("MALFORMED_FUNCTION_CALL", true),
            FinishReason::Other
        );
        assert_eq!(
            map_finish("FINISH_REASON_UNSPECIFIED", false),
            FinishReason::Other
        );
        assert_eq!(duration_ms("3s"), Some(3000));
        assert_eq!(duration_ms("0.250s"), Some(250));
        assert_eq!(duration_ms("1.0005s"), Some(1000));
        for bad in ["", "s", "3", "-1s", "1.x s", ".5s"] {
            assert_eq!(duration_ms(bad), None, "{bad}");
        }
    }
}
