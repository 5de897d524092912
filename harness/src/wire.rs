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
}

impl Wire {
    /// From a protocol name (`openai`, `openai-responses`, `anthropic`, `ollama`, `sse`).
    pub(crate) fn from_name(name: &str) -> Option<Wire> {
        Some(match name {
            "openai" => Wire::OpenAi,
            "openai-responses" => Wire::Responses,
            "anthropic" => Wire::Anthropic,
            "ollama" => Wire::Ollama,
            "sse" => Wire::Sse,
            _ => return None,
        })
    }

    /// The default Content-Type of a successful stream.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Wire::Ollama => "application/x-ndjson",
            _ => "text/event-stream; charset=utf-8",
        }
    }

    /// Whether frames are NDJSON lines rather than SSE events.
    pub(crate) fn is_ndjson(self) -> bool {
        self == Wire::Ollama
    }
}

const CREATED: u64 = 1_700_000_000;
const OPENAI_MODEL: &str = "gpt-4o-mini-mock";
const ANTHROPIC_MODEL: &str = "claude-mock";
const OLLAMA_MODEL: &str = "llama3.2-mock";
const OLLAMA_CREATED_AT: &str = "2024-11-21T10:00:00.000000Z";

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
}

impl Generator {
    pub(crate) fn new(wire: Wire) -> Self {
        Generator {
            wire,
            seq: 0,
            text: String::new(),
            tokens: 0,
            finish: None,
        }
    }

    fn next_seq(&mut self) -> u64 {
        let s = self.seq;
        self.seq += 1;
        s
    }

    /// A JSON payload as one frame (SSE `data:` event, or an NDJSON line).
    pub(crate) fn frame(&self, event: Option<&str>, value: &Value) -> String {
        if self.wire.is_ndjson() {
            format!("{value}\n")
        } else {
            sse(event, &value.to_string())
        }
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
            Wire::Ollama | Wire::Sse => Vec::new(),
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
            Wire::Ollama | Wire::Sse => Vec::new(),
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
            Wire::Sse => None,
        }
    }

    /// The provider's keep-alive: Anthropic's `ping` event, a `: ping` comment for SSE, a
    /// blank line for NDJSON.
    pub(crate) fn ping(&self) -> String {
        match self.wire {
            Wire::Anthropic => sse(Some("ping"), "{\"type\": \"ping\"}"),
            Wire::Ollama => "\n".to_owned(),
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
