//! Provider decoders: framed events in, [`StreamEvent`]s out, and the verdict at the end.
//!
//! CONTRACT (issue 3; the session, the CLI and the browser layer rely on these signatures):
//! - [`Protocol`] with `from_name`/`name` using the stable names
//!   `openai | openai-responses | anthropic | ollama | sse | auto`.
//! - [`StreamDecoder`]: framing (SSE or NDJSON, chosen by protocol) + the provider decoder +
//!   the [`Reply`] accumulator (text appended, tool calls merged by index, usage merged,
//!   finish reason). Pure, incremental, never panics.
//!   - `new(protocol, max_event_bytes)`
//!   - `set_content_type(&str)`: the response Content-Type, before the first `feed` (for `auto`).
//!   - `feed(&[u8])`, then drain `next_event()` until `None`.
//!   - `next_event() -> Option<StreamEvent>`: content events are already applied to `reply()`
//!     when returned. After `StreamEvent::End(..)` it returns `None` forever and ignores input.
//!   - `finish() -> Option<Error>`: at EOF, after draining. `None` = complete (an end signal was
//!     seen), `Some(truncated error)` otherwise; if `End(e)` was already emitted, returns `e`.
//!     May first emit remaining events (e.g. an unterminated final NDJSON line that is valid):
//!     call `next_event()` again after `finish()`.
//!   - `reply()`, `frames()` (SSE events dispatched + NDJSON lines), `keep_alives()` (comments +
//!     provider pings), `protocol()` (the resolved one, `Auto` until decided), `last_event_id()`,
//!     `retry_ms()` (last `retry:` value seen).

use serde::Serialize;

use crate::error::Error;
use crate::outcome::{FinishReason, Reply, Usage};

/// The wire protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// OpenAI Chat Completions (and every OpenAI-compatible server).
    OpenAi,
    /// OpenAI Responses API.
    OpenAiResponses,
    /// Anthropic Messages API.
    Anthropic,
    /// Ollama `/api/chat` and `/api/generate` NDJSON.
    Ollama,
    /// Raw SSE: every event's data is text; no terminator.
    Sse,
    /// Decide from the Content-Type and the first event.
    #[default]
    Auto,
}

impl Protocol {
    /// Parses a stable name.
    pub fn from_name(name: &str) -> Option<Protocol> {
        Some(match name {
            "openai" => Protocol::OpenAi,
            "openai-responses" => Protocol::OpenAiResponses,
            "anthropic" => Protocol::Anthropic,
            "ollama" => Protocol::Ollama,
            "sse" => Protocol::Sse,
            "auto" => Protocol::Auto,
            _ => return None,
        })
    }

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Protocol::OpenAi => "openai",
            Protocol::OpenAiResponses => "openai-responses",
            Protocol::Anthropic => "anthropic",
            Protocol::Ollama => "ollama",
            Protocol::Sse => "sse",
            Protocol::Auto => "auto",
        }
    }
}

/// What a decoder produces, in stream order. Serialises as `{"type": "...", ...}` (the CLI's
/// per-event lines and the JS `onEvent` argument).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// Answer text.
    Text {
        /// The delta.
        text: String,
    },
    /// Thinking / reasoning text.
    Thinking {
        /// The delta.
        text: String,
    },
    /// A tool-call fragment (merged into `reply().tool_calls` by index).
    #[serde(rename_all = "camelCase")]
    ToolCall {
        /// The provider's index.
        index: u32,
        /// The id, on the fragment that carries it.
        id: Option<String>,
        /// The name, on the fragment that carries it.
        name: Option<String>,
        /// An argument fragment.
        arguments: String,
    },
    /// Usage as sent (also merged into `reply().usage`).
    Usage(Usage),
    /// The provider gave a finish reason (the stream may still carry usage or a terminator).
    Finish {
        /// The reason.
        reason: FinishReason,
    },
    /// A comment or a provider ping.
    KeepAlive,
    /// A non-content event, by its provider name (`message_start`, `content_block_stop`, ...).
    #[serde(rename_all = "camelCase")]
    Meta {
        /// The provider's event name.
        name: String,
    },
    /// The stream is over. `None`: complete (terminator seen). `Some`: a provider or protocol
    /// error. Nothing follows.
    End(Option<Error>),
}

impl StreamEvent {
    /// Whether this event is a content delta (resets the content timer, counts as a delta).
    pub fn is_content(&self) -> bool {
        matches!(
            self,
            StreamEvent::Text { .. } | StreamEvent::Thinking { .. } | StreamEvent::ToolCall { .. }
        )
    }
}

/// Framing + provider decoder + reply accumulator. (Stub until issue 3 lands.)
#[derive(Debug, Default)]
pub struct StreamDecoder {
    protocol: Protocol,
    reply: Reply,
}

impl StreamDecoder {
    /// A decoder for `protocol`, with a cap on event size.
    pub fn new(protocol: Protocol, _max_event_bytes: usize) -> Self {
        StreamDecoder {
            protocol,
            reply: Reply::default(),
        }
    }
    /// The response Content-Type (for `auto`).
    pub fn set_content_type(&mut self, _content_type: &str) {}
    /// Hands in the next chunk.
    pub fn feed(&mut self, _bytes: &[u8]) {}
    /// The next decoded event.
    pub fn next_event(&mut self) -> Option<StreamEvent> {
        None
    }
    /// End of body: the verdict.
    pub fn finish(&mut self) -> Option<Error> {
        None
    }
    /// Everything received so far.
    pub fn reply(&self) -> &Reply {
        &self.reply
    }
    /// Takes the reply out (at the end).
    pub fn take_reply(&mut self) -> Reply {
        core::mem::take(&mut self.reply)
    }
    /// Frames decoded (SSE events + NDJSON lines).
    pub fn frames(&self) -> u64 {
        0
    }
    /// Comments and provider pings.
    pub fn keep_alives(&self) -> u64 {
        0
    }
    /// The resolved protocol (`Auto` until decided).
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }
    /// The SSE last event ID.
    pub fn last_event_id(&self) -> &str {
        ""
    }
    /// The last valid `retry:` value.
    pub fn retry_ms(&self) -> Option<u64> {
        None
    }
}
