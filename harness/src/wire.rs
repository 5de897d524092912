//! Provider payloads generated from text tokens, in the real wire formats.
//!
//! - OpenAI Chat Completions: `data: {"id","object":"chat.completion.chunk","created","model",
//!   "choices":[{"index","delta":{"content"},"finish_reason"}]}` events, then `data: [DONE]`.
//! - OpenAI Responses: `event: response.output_text.delta` etc. with `sequence_number`, ending
//!   with `response.completed` (or `response.incomplete`).
//! - Anthropic Messages: `message_start`, `content_block_start`, `content_block_delta`
//!   (`text_delta`), `content_block_stop`, `message_delta`, `message_stop`, each with its
//!   `event:` line; `ping` and `error` events.
//! - Ollama `/api/chat`: NDJSON lines `{"model","created_at","message":{"role","content"},
//!   "done":false}`, the last one `"done":true` with `done_reason` and the eval counters.
//! - `sse`: raw SSE, every token is `data: <token>`; no terminator.
//! - Gemini `streamGenerateContent?alt=sse` (`gemini`): `data: {"candidates":[{"content":
//!   {"parts":[{"text"}],"role":"model"},"index":0}],"usageMetadata":{..},"modelVersion",
//!   "responseId"}` events with CRLF line ends; the last chunk carries `finishReason`; no
//!   terminator; errors are `{"error":{"code","message","status"}}` chunks.
//! - Gemini without `alt=sse` (`gemini-array`): the same chunks as one JSON array streamed
//!   element by element, pretty-printed, `[{..}\n,\r\n{..}\n]`, as `application/json`.
//! - The AI SDK UI message stream (`ai-sdk`): `data: {"type":"start"}`, `start-step`,
//!   `text-start`, a `text-delta` per token, `text-end`, `finish-step`, `finish` with its
//!   `finishReason`, then `data: [DONE]`; the header `x-vercel-ai-ui-message-stream: v1`;
//!   errors are `{"type":"error","errorText"}` parts; `: keep-alive` comments.
//! - Plain text (`text`): every token as it is, `text/plain; charset=utf-8`; no end signal.

use serde_json::{json, Value};

use crate::plan::Tag;

/// The wire formats the generator speaks (the core's protocol names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    OpenAi,
    Responses,
    Anthropic,
    Ollama,
    Sse,
    Gemini,
    GeminiArray,
    AiSdk,
    Text,
}

impl Wire {
    /// Every wire's name, as scenario files name it.
    pub(crate) const NAMES: [&'static str; 9] = [
        "openai",
        "openai-responses",
        "anthropic",
        "ollama",
        "sse",
        "gemini",
        "gemini-array",
        "ai-sdk",
        "text",
    ];

    /// From a name: a protocol name (`openai`, `openai-responses`, `anthropic`, `ollama`,
    /// `sse`, `gemini`, `ai-sdk`, `text`), or `gemini-array` (Gemini without `alt=sse`).
    pub(crate) fn from_name(name: &str) -> Option<Wire> {
        Some(match name {
            "openai" => Wire::OpenAi,
            "openai-responses" => Wire::Responses,
            "anthropic" => Wire::Anthropic,
            "ollama" => Wire::Ollama,
            "sse" => Wire::Sse,
            "gemini" => Wire::Gemini,
            "gemini-array" => Wire::GeminiArray,
            "ai-sdk" => Wire::AiSdk,
            "text" => Wire::Text,
            _ => return None,
        })
    }

    /// The core protocol a client decodes this wire with.
    pub(crate) fn protocol_name(self) -> &'static str {
        match self {
            Wire::OpenAi => "openai",
            Wire::Responses => "openai-responses",
            Wire::Anthropic => "anthropic",
            Wire::Ollama => "ollama",
            Wire::Sse => "sse",
            Wire::Gemini | Wire::GeminiArray => "gemini",
            Wire::AiSdk => "ai-sdk",
            Wire::Text => "text",
        }
    }

    /// The default Content-Type of a successful stream.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Wire::Ollama => "application/x-ndjson",
            Wire::GeminiArray => "application/json; charset=UTF-8",
            Wire::Text => "text/plain; charset=utf-8",
            _ => "text/event-stream; charset=utf-8",
        }
    }

    /// Response headers the provider sends besides the Content-Type.
    pub(crate) fn headers(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Wire::AiSdk => &[("x-vercel-ai-ui-message-stream", "v1")],
            _ => &[],
        }
    }
}

const CREATED: u64 = 1_700_000_000;
const OPENAI_MODEL: &str = "gpt-4o-mini-mock";
const ANTHROPIC_MODEL: &str = "claude-mock";
const OLLAMA_MODEL: &str = "llama3.2-mock";
const OLLAMA_CREATED_AT: &str = "2024-11-21T10:00:00.000000Z";
const GEMINI_MODEL: &str = "gemini-2.5-flash";
const GEMINI_RESPONSE_ID: &str = "sgMockResponseId0";
const GEMINI_PROMPT_TOKENS: u64 = 9;

/// One SSE event: optional `event:` line, `data:` lines (one per line of `data`), blank line.
pub(crate) fn sse(event: Option<&str>, data: &str) -> String {
    let mut s = String::with_capacity(data.len() + 32);
    if let Some(e) = event {
        s.push_str("event: ");
        s.push_str(e);
        s.push('\n');
    }
    for line in data.split('\n') {
        s.push_str("data: ");
        s.push_str(line);
        s.push('\n');
    }
    s.push('\n');
    s
}

/// A stateful payload generator (sequence numbers, accumulated text, finish reason).
#[derive(Debug)]
pub(crate) struct Generator {
    wire: Wire,
    seq: u64,
    text: String,
    tokens: u64,
    finish: Option<String>,
    /// JSON array elements written so far (`gemini-array`: the first opens the array, the
    /// next ones are preceded by the separator).
    elements: u64,
}

impl Generator {
    pub(crate) fn new(wire: Wire) -> Self {
        Generator {
            wire,
            seq: 0,
            text: String::new(),
            tokens: 0,
            finish: None,
            elements: 0,
        }
    }

    fn next_seq(&mut self) -> u64 {
        let s = self.seq;
        self.seq += 1;
        s
    }

    /// A JSON payload as one frame (SSE `data:` event, an NDJSON line, a Gemini SSE event
    /// with CRLF line ends, or the next element of the Gemini JSON array).
    pub(crate) fn frame(&mut self, event: Option<&str>, value: &Value) -> String {
        match self.wire {
            Wire::Ollama => format!("{value}\n"),
            Wire::Gemini => format!("data: {value}\r\n\r\n"),
            Wire::GeminiArray => {
                let sep = if self.elements == 0 { "[" } else { "\n,\r\n" };
                self.elements += 1;
                let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
                format!("{sep}{pretty}")
            }
            _ => sse(event, &value.to_string()),
        }
    }

    /// A Gemini chunk: candidate 0 with `parts` and `finishReason` when given, and the usage
    /// so far.
    fn gemini_chunk(&self, parts: Value, finish: Option<&str>) -> Value {
        let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
        if let Some(f) = finish {
            candidate["finishReason"] = json!(f);
        }
        json!({"candidates": [candidate],
            "usageMetadata": {"promptTokenCount": GEMINI_PROMPT_TOKENS,
            "candidatesTokenCount": self.tokens,
            "totalTokenCount": GEMINI_PROMPT_TOKENS + self.tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": GEMINI_PROMPT_TOKENS}]},
            "modelVersion": GEMINI_MODEL, "responseId": GEMINI_RESPONSE_ID})
    }

    /// The provider's preamble (before any token).
    pub(crate) fn start(&mut self) -> Vec<(String, Tag)> {
        match self.wire {
            Wire::OpenAi => {
                let v = json!({"id": "chatcmpl-sg", "object": "chat.completion.chunk",
                    "created": CREATED, "model": OPENAI_MODEL, "system_fingerprint": "fp_mock",
                    "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                    "logprobs": null, "finish_reason": null}]});
                vec![(self.frame(None, &v), Tag::Event)]
            }
            Wire::Responses => {
                let s0 = self.next_seq();
                let created = json!({"type": "response.created", "sequence_number": s0,
                    "response": {"id": "resp_sg", "object": "response", "created_at": CREATED,
                    "status": "in_progress", "model": OPENAI_MODEL, "output": []}});
                let s1 = self.next_seq();
                let item = json!({"type": "response.output_item.added", "sequence_number": s1,
                    "output_index": 0, "item": {"id": "msg_sg", "type": "message",
                    "status": "in_progress", "role": "assistant", "content": []}});
                let s2 = self.next_seq();
                let part = json!({"type": "response.content_part.added", "sequence_number": s2,
                    "item_id": "msg_sg", "output_index": 0, "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": []}});
                vec![
                    (self.frame(Some("response.created"), &created), Tag::Event),
                    (
                        self.frame(Some("response.output_item.added"), &item),
                        Tag::Event,
                    ),
                    (
                        self.frame(Some("response.content_part.added"), &part),
                        Tag::Event,
                    ),
                ]
            }
            Wire::Anthropic => {
                let start = json!({"type": "message_start", "message": {"id": "msg_sg",
                    "type": "message", "role": "assistant", "content": [],
                    "model": ANTHROPIC_MODEL, "stop_reason": null, "stop_sequence": null,
                    "usage": {"input_tokens": 12, "output_tokens": 1}}});
                let block = json!({"type": "content_block_start", "index": 0,
                    "content_block": {"type": "text", "text": ""}});
                vec![
                    (self.frame(Some("message_start"), &start), Tag::Event),
                    (self.frame(Some("content_block_start"), &block), Tag::Event),
                ]
            }
            Wire::AiSdk => [
                json!({"type": "start"}),
                json!({"type": "start-step"}),
                json!({"type": "text-start", "id": "0"}),
            ]
            .iter()
            .map(|v| (self.frame(None, v), Tag::Event))
            .collect(),
            Wire::Ollama | Wire::Sse | Wire::Gemini | Wire::GeminiArray | Wire::Text => Vec::new(),
        }
    }

    /// One text token as one event.
    pub(crate) fn token(&mut self, token: &str) -> String {
        self.text.push_str(token);
        self.tokens += 1;
        match self.wire {
            Wire::OpenAi => {
                let v = json!({"id": "chatcmpl-sg", "object": "chat.completion.chunk",
                    "created": CREATED, "model": OPENAI_MODEL, "system_fingerprint": "fp_mock",
                    "choices": [{"index": 0, "delta": {"content": token}, "logprobs": null,
                    "finish_reason": null}]});
                self.frame(None, &v)
            }
            Wire::Responses => {
                let s = self.next_seq();
                let v = json!({"type": "response.output_text.delta", "sequence_number": s,
                    "item_id": "msg_sg", "output_index": 0, "content_index": 0,
                    "delta": token});
                self.frame(Some("response.output_text.delta"), &v)
            }
            Wire::Anthropic => {
                let v = json!({"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": token}});
                self.frame(Some("content_block_delta"), &v)
            }
            Wire::Ollama => {
                let v = json!({"model": OLLAMA_MODEL, "created_at": OLLAMA_CREATED_AT,
                    "message": {"role": "assistant", "content": token}, "done": false});
                self.frame(None, &v)
            }
            Wire::Sse => sse(None, token),
            Wire::Gemini | Wire::GeminiArray => {
                let v = self.gemini_chunk(json!([{ "text": token }]), None);
                self.frame(None, &v)
            }
            Wire::AiSdk => {
                let v = json!({"type": "text-delta", "id": "0", "delta": token});
                self.frame(None, &v)
            }
            Wire::Text => token.to_owned(),
        }
    }

    /// The provider's finish signal with a normalised reason (`stop`, `length`, `tool_calls`,
    /// `content_filter`) or a raw provider value.
    pub(crate) fn finish(&mut self, reason: &str) -> Vec<(String, Tag)> {
        self.finish = Some(reason.to_owned());
        match self.wire {
            Wire::OpenAi => {
                let v = json!({"id": "chatcmpl-sg", "object": "chat.completion.chunk",
                    "created": CREATED, "model": OPENAI_MODEL, "system_fingerprint": "fp_mock",
                    "choices": [{"index": 0, "delta": {}, "logprobs": null,
                    "finish_reason": reason}]});
                vec![(self.frame(None, &v), Tag::Event)]
            }
            Wire::Responses => {
                let s0 = self.next_seq();
                let done = json!({"type": "response.output_text.done", "sequence_number": s0,
                    "item_id": "msg_sg", "output_index": 0, "content_index": 0,
                    "text": self.text});
                let s1 = self.next_seq();
                let part = json!({"type": "response.content_part.done", "sequence_number": s1,
                    "item_id": "msg_sg", "output_index": 0, "content_index": 0,
                    "part": {"type": "output_text", "text": self.text, "annotations": []}});
                let s2 = self.next_seq();
                let item = json!({"type": "response.output_item.done", "sequence_number": s2,
                    "output_index": 0, "item": {"id": "msg_sg", "type": "message",
                    "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": self.text, "annotations": []}]}});
                vec![
                    (
                        self.frame(Some("response.output_text.done"), &done),
                        Tag::Event,
                    ),
                    (
                        self.frame(Some("response.content_part.done"), &part),
                        Tag::Event,
                    ),
                    (
                        self.frame(Some("response.output_item.done"), &item),
                        Tag::Event,
                    ),
                ]
            }
            Wire::Anthropic => {
                let stop = json!({"type": "content_block_stop", "index": 0});
                let reason = match reason {
                    "stop" => "end_turn",
                    "length" => "max_tokens",
                    "tool_calls" => "tool_use",
                    "content_filter" => "refusal",
                    other => other,
                };
                let delta = json!({"type": "message_delta",
                    "delta": {"stop_reason": reason, "stop_sequence": null},
                    "usage": {"output_tokens": self.tokens}});
                vec![
                    (self.frame(Some("content_block_stop"), &stop), Tag::Event),
                    (self.frame(Some("message_delta"), &delta), Tag::Event),
                ]
            }
            Wire::Gemini | Wire::GeminiArray => {
                let reason = match reason {
                    "stop" | "tool_calls" => "STOP",
                    "length" => "MAX_TOKENS",
                    "content_filter" => "SAFETY",
                    other => other,
                };
                let v = self.gemini_chunk(json!([{ "text": "" }]), Some(reason));
                vec![(self.frame(None, &v), Tag::Event)]
            }
            Wire::AiSdk => {
                let reason = match reason {
                    "tool_calls" => "tool-calls",
                    "content_filter" => "content-filter",
                    other => other,
                };
                [
                    json!({"type": "text-end", "id": "0"}),
                    json!({"type": "finish-step"}),
                    json!({"type": "finish", "finishReason": reason}),
                ]
                .iter()
                .map(|v| (self.frame(None, v), Tag::Event))
                .collect()
            }
            Wire::Ollama | Wire::Sse | Wire::Text => Vec::new(),
        }
    }

    /// The provider's terminator, if it has one.
    pub(crate) fn done(&mut self) -> Option<String> {
        match self.wire {
            Wire::OpenAi => Some(sse(None, "[DONE]")),
            Wire::Responses => {
                let s = self.next_seq();
                let (kind, status, details) = match self.finish.as_deref() {
                    Some("length") => (
                        "response.incomplete",
                        "incomplete",
                        json!({"reason": "max_output_tokens"}),
                    ),
                    _ => ("response.completed", "completed", Value::Null),
                };
                let v = json!({"type": kind, "sequence_number": s,
                    "response": {"id": "resp_sg", "object": "response", "created_at": CREATED,
                    "status": status, "incomplete_details": details, "model": OPENAI_MODEL,
                    "output": [{"id": "msg_sg", "type": "message", "status": "completed",
                    "role": "assistant", "content": [{"type": "output_text", "text": self.text,
                    "annotations": []}]}],
                    "usage": {"input_tokens": 12, "output_tokens": self.tokens,
                    "total_tokens": 12 + self.tokens}}});
                Some(self.frame(Some(kind), &v))
            }
            Wire::Anthropic => {
                Some(self.frame(Some("message_stop"), &json!({"type": "message_stop"})))
            }
            Wire::Ollama => {
                let reason = self.finish.clone().unwrap_or_else(|| "stop".to_owned());
                let v = json!({"model": OLLAMA_MODEL, "created_at": OLLAMA_CREATED_AT,
                    "message": {"role": "assistant", "content": ""}, "done_reason": reason,
                    "done": true, "total_duration": 4_883_583_458u64, "load_duration": 1_334_875,
                    "prompt_eval_count": 26, "prompt_eval_duration": 342_546_000,
                    "eval_count": self.tokens, "eval_duration": 4_535_599_000u64});
                Some(self.frame(None, &v))
            }
            Wire::AiSdk => Some(sse(None, "[DONE]")),
            // The array's close (the array is opened first when it has no element yet).
            Wire::GeminiArray if self.elements == 0 => Some("[]".to_owned()),
            Wire::GeminiArray => Some("\n]".to_owned()),
            Wire::Sse | Wire::Gemini | Wire::Text => None,
        }
    }

    /// The provider's keep-alive: Anthropic's `ping` event, a `: ping` comment for SSE
    /// (`: keep-alive` for the AI SDK, with CRLF for Gemini), whitespace between the elements
    /// of a JSON array, a blank line for NDJSON; plain text has none.
    pub(crate) fn ping(&self) -> String {
        match self.wire {
            Wire::Anthropic => sse(Some("ping"), "{\"type\": \"ping\"}"),
            Wire::Ollama | Wire::GeminiArray => "\n".to_owned(),
            Wire::Gemini => ": ping\r\n\r\n".to_owned(),
            Wire::AiSdk => ": keep-alive\n\n".to_owned(),
            Wire::Text => String::new(),
            _ => ": ping\n\n".to_owned(),
        }
    }

    /// An error sent inside a 200 stream, in the provider's shape.
    pub(crate) fn error(&mut self, error_type: &str, message: &str, code: Option<&str>) -> String {
        match self.wire {
            Wire::OpenAi | Wire::Sse => {
                let v = json!({"error": {"message": message, "type": error_type,
                    "param": null, "code": code}});
                self.frame(None, &v)
            }
            Wire::Responses => {
                let s = self.next_seq();
                let v = json!({"type": "error", "sequence_number": s,
                    "code": code.unwrap_or(error_type), "message": message, "param": null});
                self.frame(Some("error"), &v)
            }
            Wire::Anthropic => {
                let v = json!({"type": "error",
                    "error": {"type": error_type, "message": message}});
                self.frame(Some("error"), &v)
            }
            Wire::Ollama => self.frame(None, &json!({ "error": message })),
            Wire::Gemini | Wire::GeminiArray => {
                // Google's error object: `status` is the type, `code` the HTTP status.
                let code: Value = code
                    .and_then(|c| c.parse::<u64>().ok())
                    .map_or(Value::Null, Value::from);
                let v = json!({"error": {"code": code, "message": message,
                    "status": error_type}});
                self.frame(None, &v)
            }
            Wire::AiSdk => self.frame(None, &json!({"type": "error", "errorText": message})),
            // Plain text cannot carry an error: the message is text like any other.
            Wire::Text => message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_chunks_have_the_real_shape() {
        let mut g = Generator::new(Wire::OpenAi);
        let t = g.token("Hi");
        let data = t.strip_prefix("data: ").unwrap().trim_end();
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["object"], "chat.completion.chunk");
        assert_eq!(v["choices"][0]["delta"]["content"], "Hi");
        assert!(v["choices"][0]["finish_reason"].is_null());
        assert!(t.ends_with("\n\n"));
        assert_eq!(g.done().unwrap(), "data: [DONE]\n\n");
    }

    #[test]
    fn anthropic_events_carry_event_lines() {
        let mut g = Generator::new(Wire::Anthropic);
        let s = g.start();
        assert!(s[0].0.starts_with("event: message_start\ndata: {"));
        assert!(g
            .token("x")
            .starts_with("event: content_block_delta\ndata: {"));
        let f = g.finish("stop");
        assert!(f[1].0.contains("\"stop_reason\":\"end_turn\""));
        assert!(g.done().unwrap().starts_with("event: message_stop\n"));
    }

    #[test]
    fn gemini_chunks_use_crlf_and_finish_in_the_last_chunk() {
        let mut g = Generator::new(Wire::Gemini);
        assert!(g.start().is_empty());
        let t = g.token("Hi");
        assert!(t.starts_with("data: {\"candidates\":[") && t.ends_with("}\r\n\r\n"));
        let v: Value = serde_json::from_str(t["data: ".len()..].trim_end()).unwrap();
        assert_eq!(v["candidates"][0]["content"]["parts"][0]["text"], "Hi");
        assert_eq!(v["usageMetadata"]["candidatesTokenCount"], 1);
        let f = g.finish("length");
        assert!(f[0].0.contains("\"finishReason\":\"MAX_TOKENS\""));
        assert_eq!(g.done(), None);
        let e = g.error("UNAVAILABLE", "overloaded", Some("503"));
        assert!(e.contains(r#""error":{"code":503"#), "{e}");
    }

    #[test]
    fn the_gemini_array_is_one_json_array_element_by_element() {
        let mut g = Generator::new(Wire::GeminiArray);
        let mut body = g.token("a");
        body.push_str(&g.token("b"));
        for (s, _) in g.finish("stop") {
            body.push_str(&s);
        }
        body.push_str(&g.done().unwrap());
        assert!(body.starts_with("[{\n") && body.contains("}\n,\r\n{") && body.ends_with("}\n]"));
        let v: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[2]["candidates"][0]["finishReason"], "STOP");
        assert_eq!(Generator::new(Wire::GeminiArray).done().unwrap(), "[]");
    }

    #[test]
    fn ai_sdk_parts_end_with_finish_and_done() {
        let mut g = Generator::new(Wire::AiSdk);
        let s: String = g.start().into_iter().map(|(s, _)| s).collect();
        assert!(s.starts_with("data: {\"type\":\"start\"}\n\n"));
        assert_eq!(
            g.token("Hi"),
            "data: {\"delta\":\"Hi\",\"id\":\"0\",\"type\":\"text-delta\"}\n\n"
        );
        let f: String = g.finish("tool_calls").into_iter().map(|(s, _)| s).collect();
        assert!(
            f.ends_with("data: {\"finishReason\":\"tool-calls\",\"type\":\"finish\"}\n\n"),
            "{f}"
        );
        assert_eq!(g.done().unwrap(), "data: [DONE]\n\n");
        assert_eq!(
            Wire::AiSdk.headers(),
            &[("x-vercel-ai-ui-message-stream", "v1")]
        );
    }

    #[test]
    fn text_is_the_tokens_as_they_are() {
        let mut g = Generator::new(Wire::Text);
        assert_eq!(g.token("日本"), "日本");
        assert!(g.finish("stop").is_empty());
        assert_eq!(g.done(), None);
        assert_eq!(Wire::Text.content_type(), "text/plain; charset=utf-8");
    }

    #[test]
    fn ollama_lines_are_ndjson() {
        let mut g = Generator::new(Wire::Ollama);
        let t = g.token("a");
        assert!(t.ends_with("}\n") && !t.contains("\n\n"));
        let d = g.done().unwrap();
        let v: Value = serde_json::from_str(d.trim_end()).unwrap();
        assert_eq!(v["done"], true);
        assert_eq!(v["done_reason"], "stop");
    }
}
