//! How a stream ended, and everything received before it.
//!
//! Every [`StreamResult`] carries the [`Reply`] accumulated so far (text, thinking, tool calls,
//! usage, finish reason) and the [`Stats`], whatever the kind: a stall or a reset never loses
//! the text already received. Serialises with the JS API's field names (camelCase), so the CLI,
//! the native client and the browser layer print the same JSON.

use serde::Serialize;

use crate::error::{ErrorCode, StreamError};
use crate::text::JsonObject;

/// The stable outcome vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The provider signalled the end; see [`Reply::finish_reason`].
    Complete,
    /// The body ended before the provider's end signal.
    Truncated,
    /// A timer fired.
    Stalled,
    /// The caller aborted.
    Aborted,
    /// A non-2xx response.
    HttpError,
    /// An error inside a 2xx stream.
    ProviderError,
    /// The bytes were not the expected protocol.
    ProtocolError,
    /// The connection failed.
    NetworkError,
}

impl Outcome {
    /// The stable string.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Complete => "complete",
            Outcome::Truncated => "truncated",
            Outcome::Stalled => "stalled",
            Outcome::Aborted => "aborted",
            Outcome::HttpError => "http_error",
            Outcome::ProviderError => "provider_error",
            Outcome::ProtocolError => "protocol_error",
            Outcome::NetworkError => "network_error",
        }
    }
}

// The code -> outcome mapping lives here, with the outcomes, so `error` needs nothing from
// this module.
impl ErrorCode {
    /// The outcome this error ends a stream with.
    pub fn outcome(self) -> Outcome {
        match self {
            ErrorCode::Truncated => Outcome::Truncated,
            ErrorCode::Stalled => Outcome::Stalled,
            ErrorCode::Aborted => Outcome::Aborted,
            ErrorCode::HttpError => Outcome::HttpError,
            ErrorCode::ProviderError => Outcome::ProviderError,
            ErrorCode::UnexpectedContentType
            | ErrorCode::InvalidJson
            | ErrorCode::InvalidEvent
            | ErrorCode::EventTooLarge
            | ErrorCode::TextTooLarge => Outcome::ProtocolError,
            ErrorCode::NetworkError => Outcome::NetworkError,
        }
    }
}

/// Why the model stopped, normalised across providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// Natural end (OpenAI `stop`, Anthropic `end_turn`/`stop_sequence`, Ollama `stop`).
    Stop,
    /// Token limit (`length`, `max_tokens`, `max_output_tokens`).
    Length,
    /// The model wants tools called (`tool_calls`, `function_call`, `tool_use`).
    ToolCalls,
    /// Filtered (`content_filter`, `refusal`).
    ContentFilter,
    /// Any other reason the provider gave.
    Other,
}

impl FinishReason {
    /// The stable string.
    pub fn code(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::Other => "other",
        }
    }
}

/// One tool call, merged from its fragments.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCall {
    /// The provider's index of the call in this response.
    pub index: u32,
    /// The call id (`call_...`, `toolu_...`) when sent.
    pub id: Option<String>,
    /// The function or tool name.
    pub name: Option<String>,
    /// The argument fragments concatenated (JSON text, possibly incomplete on truncation).
    pub arguments: String,
}

/// Token usage, when the provider sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Prompt / input tokens.
    pub input_tokens: Option<u64>,
    /// Completion / output tokens.
    pub output_tokens: Option<u64>,
}

/// What has been received so far. Append-only.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// The answer text: every text delta concatenated, in order.
    pub text: String,
    /// Reasoning / thinking text, kept apart from the answer.
    pub thinking: String,
    /// Tool calls merged by index, in order of first appearance.
    pub tool_calls: Vec<ToolCall>,
    /// Usage, merged field by field as it arrives.
    pub usage: Option<Usage>,
    /// The finish reason, once the provider sent one.
    pub finish_reason: Option<FinishReason>,
    /// The provider's own finish reason, exactly as sent (`end_turn`, `STOP`, `length`, ...);
    /// `None` when it sent none (a bare `[DONE]`, Ollama's `done: true` without a reason).
    #[serde(rename = "rawFinishReason")]
    pub raw_finish_reason: Option<String>,
}

/// Measurements of one request. Times are milliseconds from the request start; `None` when
/// the moment never came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Until the response head.
    pub headers_ms: Option<u64>,
    /// Until the first body byte.
    pub ttfb_ms: Option<u64>,
    /// Until the first content delta.
    pub ttft_ms: Option<u64>,
    /// Until the outcome.
    pub duration_ms: u64,
    /// Body bytes received.
    pub bytes: u64,
    /// Events (SSE events or NDJSON lines) decoded, keep-alives included.
    pub events: u64,
    /// Comments and provider pings.
    pub keep_alives: u64,
    /// Content deltas (text, thinking, tool-call fragments).
    pub deltas: u64,
    /// Text flushes delivered to the host.
    pub flushes: u64,
    /// The largest gap between two body chunks (the first byte counts from the request).
    pub max_byte_gap_ms: u64,
    /// The largest gap between content deltas (the first counts from the request).
    pub max_content_gap_ms: u64,
    /// The whole body arrived in one burst after a long wait: a buffering proxy or compression.
    pub buffered: bool,
}

/// How a stream ended, with everything received before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamResult {
    /// The stable kind.
    pub outcome: Outcome,
    /// The answer text so far (same as `reply.text`, repeated at top level for the JS API).
    pub text: String,
    /// Thinking text so far.
    pub thinking: String,
    /// The finish reason, `None` unless the provider sent one.
    pub finish_reason: Option<FinishReason>,
    /// The provider's own finish reason, exactly as sent; `None` when it sent none.
    #[serde(rename = "rawFinishReason")]
    pub raw_finish_reason: Option<String>,
    /// Tool calls so far.
    pub tool_calls: Vec<ToolCall>,
    /// Usage, when sent.
    pub usage: Option<Usage>,
    /// `None` exactly when `outcome` is `complete`.
    pub error: Option<StreamError>,
    /// Measurements.
    pub stats: Stats,
}

impl StreamResult {
    /// Builds an outcome from the reply so far. `error` decides the kind; `None` is complete.
    pub fn new(reply: Reply, error: Option<StreamError>, stats: Stats) -> Self {
        let outcome = match &error {
            None => Outcome::Complete,
            Some(e) => e.code.outcome(),
        };
        StreamResult {
            outcome,
            text: reply.text,
            thinking: reply.thinking,
            finish_reason: reply.finish_reason,
            raw_finish_reason: reply.raw_finish_reason,
            tool_calls: reply.tool_calls,
            usage: reply.usage,
            error,
            stats,
        }
    }

    /// The outcome as one JSON object (the CLI's and the JS API's shape): byte for byte what
    /// `serde_json::to_string` makes of it (the `Serialize` derive is the tests' oracle),
    /// written by hand so the wasm carries no serde_json.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + self.thinking.len() + 400);
        self.write_json(&mut out, true);
        out
    }

    /// [`StreamResult::to_json`] without the `text` member, for a host that hands the text
    /// over on its own (no second copy of a long text inside the JSON).
    pub fn to_json_without_text(&self) -> String {
        let mut out = String::with_capacity(self.thinking.len() + 400);
        self.write_json(&mut out, false);
        out
    }

    fn write_json(&self, out: &mut String, with_text: bool) {
        let mut o = JsonObject::new(out);
        o.str("outcome", self.outcome.code());
        if with_text {
            o.str("text", &self.text);
        }
        o.str("thinking", &self.thinking);
        o.opt_str("finishReason", self.finish_reason.map(FinishReason::code));
        o.opt_str("rawFinishReason", self.raw_finish_reason.as_deref());
        let calls = o.key("toolCalls");
        calls.push('[');
        let mut first = true;
        for call in &self.tool_calls {
            if !first {
                calls.push(',');
            }
            first = false;
            call.write_json(calls);
        }
        calls.push(']');
        match &self.usage {
            Some(u) => u.write_json(o.key("usage")),
            None => o.raw("usage", "null"),
        }
        match &self.error {
            Some(e) => e.write_json(o.key("error")),
            None => o.raw("error", "null"),
        }
        self.stats.write_json(o.key("stats"));
        o.end();
    }
}

impl ToolCall {
    /// `{"index","id","name","arguments"}`, as serde_json writes it.
    pub(crate) fn write_json(&self, out: &mut String) {
        let mut o = JsonObject::new(out);
        o.u64("index", u64::from(self.index));
        o.opt_str("id", self.id.as_deref());
        o.opt_str("name", self.name.as_deref());
        o.str("arguments", &self.arguments);
        o.end();
    }
}

impl Usage {
    /// `{"inputTokens","outputTokens"}`, as serde_json writes it.
    pub(crate) fn write_json(&self, out: &mut String) {
        let mut o = JsonObject::new(out);
        self.write_members(&mut o);
        o.end();
    }

    /// The members only (also inside an event object).
    pub(crate) fn write_members(&self, o: &mut JsonObject<'_>) {
        o.opt_u64("inputTokens", self.input_tokens);
        o.opt_u64("outputTokens", self.output_tokens);
    }
}

impl Stats {
    /// The stats object, as serde_json writes it.
    pub(crate) fn write_json(&self, out: &mut String) {
        let mut o = JsonObject::new(out);
        o.opt_u64("headersMs", self.headers_ms);
        o.opt_u64("ttfbMs", self.ttfb_ms);
        o.opt_u64("ttftMs", self.ttft_ms);
        o.u64("durationMs", self.duration_ms);
        o.u64("bytes", self.bytes);
        o.u64("events", self.events);
        o.u64("keepAlives", self.keep_alives);
        o.u64("deltas", self.deltas);
        o.u64("flushes", self.flushes);
        o.u64("maxByteGapMs", self.max_byte_gap_ms);
        o.u64("maxContentGapMs", self.max_content_gap_ms);
        o.bool("buffered", self.buffered);
        o.end();
    }
}
