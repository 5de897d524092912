//! The scenario file format: the serde types of a TOML or JSON scenario file, their defaults,
//! and the accessors derived from them. Unknown fields are rejected everywhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::faults::FaultConfig;
use crate::plan::Tag;
use crate::wire::Wire;

/// How the response body is delimited on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Framing {
    /// `Connection: close`, no length: the body ends when the server closes.
    #[default]
    Close,
    /// `Transfer-Encoding: chunked`: one chunk per body write, `0\r\n\r\n` on close.
    Chunked,
    /// `Content-Length` (the plan's body length, or the scenario's `content_length` to lie).
    ContentLength,
}

/// Line endings of a generated step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Eol {
    /// `\n` (as generated).
    #[default]
    Lf,
    /// `\r\n`.
    Crlf,
    /// `\r`.
    Cr,
    /// Seeded mix of the three.
    Mixed,
}

/// One step of a scenario, tagged by `do`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Step {
    /// The status line and headers (implicit at the start unless the scenario has `head = false`
    /// or places it explicitly).
    Head,
    /// The provider's preamble (OpenAI role chunk, Anthropic `message_start` +
    /// `content_block_start`, Responses `response.created`...).
    Start {
        #[serde(default)]
        eol: Eol,
    },
    /// Text tokens, one provider event each (`tokens`, or `text` split after each space).
    Tokens {
        #[serde(default)]
        tokens: Vec<String>,
        #[serde(default)]
        text: Option<String>,
        /// Wait before every token but the first.
        #[serde(default)]
        gap_ms: u64,
        /// Events packed into one write.
        #[serde(default = "one")]
        per_write: usize,
        #[serde(default)]
        eol: Eol,
        /// Each event carries `id: N`, counting from this (SSE wires). Under `resume`, a
        /// request with `Last-Event-ID: M` skips the tokens whose id is <= M.
        #[serde(default)]
        first_id: Option<u64>,
    },
    /// One event whose text is `unit` repeated to `bytes` bytes.
    BigToken { unit: String, bytes: usize },
    /// The provider's finish signal (`stop`, `length`, `tool_calls`, `content_filter`, or raw).
    Finish {
        #[serde(default = "stop")]
        reason: String,
        #[serde(default)]
        eol: Eol,
    },
    /// The provider's terminator (`[DONE]`, `message_stop`, `response.completed`, done line).
    Done {
        #[serde(default)]
        eol: Eol,
    },
    /// One provider keep-alive (Anthropic `ping` event, `: ping` comment, NDJSON blank line).
    Ping,
    /// A comment line `:<text>` and a blank line.
    Comment {
        #[serde(default)]
        text: String,
    },
    /// A keep-alive every `every_ms` for `for_ms` (a provider ping, or a comment with `text`).
    Keepalive {
        every_ms: u64,
        for_ms: u64,
        #[serde(default)]
        text: Option<String>,
    },
    /// An error inside the stream, in the provider's shape.
    ProviderError {
        error_type: String,
        message: String,
        #[serde(default)]
        code: Option<String>,
    },
    /// An arbitrary SSE event.
    Event {
        #[serde(default)]
        event: Option<String>,
        data: String,
    },
    /// An arbitrary JSON payload as one frame (SSE `data:` event or NDJSON line).
    Json {
        value: Value,
        #[serde(default)]
        event: Option<String>,
    },
    /// Raw body bytes: `data` (a string) or `hex`.
    Send {
        #[serde(default)]
        data: Option<String>,
        #[serde(default)]
        hex: Option<String>,
        #[serde(default)]
        tag: Tag,
        #[serde(default = "one")]
        repeat: usize,
    },
    /// `bytes` bytes of the character `byte`, in writes of `write_size` (shared buffer).
    Fill {
        byte: String,
        bytes: u64,
        #[serde(default = "default_write_size")]
        write_size: usize,
    },
    /// A chunk header declaring `declared` bytes followed by only `data` (written on the wire,
    /// bypassing the framing): an incomplete chunked body once the connection closes.
    CutChunk { declared: usize, data: String },
    /// Wait.
    Wait { ms: u64 },
    /// Hold the socket open, send nothing more.
    Stall,
    /// End cleanly.
    Close,
    /// FIN without completing the framing.
    Hangup,
    /// TCP reset.
    Reset,
}

fn one() -> usize {
    1
}
fn stop() -> String {
    "stop".to_owned()
}
fn default_write_size() -> usize {
    64 * 1024
}
fn yes() -> bool {
    true
}
fn default_status() -> u16 {
    200
}
fn default_protocol() -> String {
    "openai".to_owned()
}

/// A string or a list of strings (accepted alternatives).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(crate) fn list(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// What a correct client reports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expect {
    /// The outcome (or accepted alternatives).
    pub outcome: Option<OneOrMany>,
    /// For `stalled`: the timer.
    #[serde(default)]
    pub phase: Option<String>,
    /// The finish reason; absent means none was sent.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// The provider's own finish reason (`rawFinishReason`), when the scenario checks it.
    #[serde(default)]
    pub raw_finish_reason: Option<String>,
    /// The exact text; absent means every token of the steps, concatenated.
    #[serde(default)]
    pub text: Option<String>,
    /// `error.code`.
    #[serde(default)]
    pub error_code: Option<String>,
    /// `error.status`.
    #[serde(default)]
    pub status: Option<u16>,
    /// `error.retryAfterMs`.
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
    /// `error.retryable`.
    #[serde(default)]
    pub retryable: Option<bool>,
    /// `error.provider`.
    #[serde(default)]
    pub provider: Option<String>,
    /// `error.type`.
    #[serde(default)]
    pub error_type: Option<String>,
    /// A substring of `error.message`.
    #[serde(default)]
    pub message_contains: Option<String>,
    /// `error.eventIndex`.
    #[serde(default)]
    pub event_index: Option<u64>,
    /// When the timer should fire, in ms from the request (timer scenarios, test values).
    #[serde(default)]
    pub fire_ms: Option<u64>,
    /// The outcome must come before this many ms (e.g. an error reported before the close).
    #[serde(default)]
    pub max_duration_ms: Option<u64>,
    /// The server must see the client close the connection (default: stalled and aborted).
    #[serde(default)]
    pub server_sees_close: Option<bool>,
    /// At most this many text flushes.
    #[serde(default)]
    pub max_flushes: Option<u64>,
    /// `stats.buffered`.
    #[serde(default)]
    pub buffered: Option<bool>,
    /// `stats.deltas`: content deltas decoded (the "N deltas kept" of FAULTS.md).
    #[serde(default)]
    pub deltas: Option<u64>,
    /// `stats.events`: SSE events / NDJSON lines decoded (identical at every chunking).
    #[serde(default)]
    pub events: Option<u64>,
    /// Resume: the client's last request carried this `Last-Event-ID` (asked of the registry).
    #[serde(default)]
    pub reconnect_last_event_id: Option<String>,
    /// Resume: the reconnect came at least this many ms after the server ended the previous
    /// connection (the stream's `retry:` value).
    #[serde(default)]
    pub reconnect_min_gap_ms: Option<u64>,
}

/// How `run` drives the client for this scenario.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientSpec {
    /// The client protocol (default: the scenario's).
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub first_byte_timeout_ms: Option<u64>,
    #[serde(default)]
    pub idle_timeout_ms: Option<u64>,
    #[serde(default)]
    pub content_timeout_ms: Option<u64>,
    #[serde(default)]
    pub total_timeout_ms: Option<u64>,
    /// The caller aborts once this many content deltas arrived.
    #[serde(default)]
    pub abort_after_deltas: Option<u64>,
    /// Emulate animation frames (default true; false models a hidden page: no frames at all).
    #[serde(default)]
    pub frames: Option<bool>,
    /// SSE resume on (the JS `retry: { resume: true }`); the request is a GET.
    #[serde(default)]
    pub resume: bool,
    /// Attempts in all (the JS `retry.maxAttempts`); default 1 (no retry).
    #[serde(default)]
    pub max_attempts: Option<u32>,
}

/// Which chunkings `run` applies.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RunSpec {
    /// `none`, a size (`"7"`), `random`, or `sweep` (every size 1..=64, 128..1024, 3 seeds).
    /// Default: none, 1, 7, 64, 1024, random.
    #[serde(default)]
    pub chunkings: Option<Vec<String>>,
    /// Why the default chunkings are not used (documentation).
    #[serde(default)]
    pub why: Option<String>,
    /// CPU-heavy (megabytes through the parser): `run` runs it alone, after the others, so it
    /// cannot delay the timers of concurrent runs.
    #[serde(default)]
    pub exclusive: bool,
}

/// A scenario file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scenario {
    pub name: String,
    pub description: String,
    /// The wire generated (and the client protocol unless `[client]` names one): openai,
    /// openai-responses, anthropic, ollama, sse, gemini, gemini-array (Gemini without
    /// `alt=sse`, decoded as `gemini`), ai-sdk, text.
    #[serde(default = "default_protocol")]
    pub protocol: String,
    #[serde(default = "default_status")]
    pub status: u16,
    /// Response headers (Content-Type defaults to the protocol's).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub framing: Framing,
    /// A lying Content-Length (with `framing = "content_length"`).
    #[serde(default)]
    pub content_length: Option<u64>,
    /// Whether the head is sent at all (implicitly first).
    #[serde(default = "yes")]
    pub head: bool,
    /// `false`: nothing listens (`refused`); `run` targets a closed port.
    #[serde(default = "yes")]
    pub server: bool,
    /// The scenario's seed (overridden by `?seed=`).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Honour `Last-Event-ID`: a request that carries it gets only the tokens whose `id` is
    /// greater (see `first_id`), and the scenario's own `faults` (the mid-stream failure)
    /// apply only to a request without it. Request faults (`?fault=`) apply to both.
    #[serde(default)]
    pub resume: bool,
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Faults applied to this scenario's plan, in order, before any request fault.
    #[serde(default)]
    pub faults: Vec<FaultConfig>,
    #[serde(default)]
    pub client: ClientSpec,
    #[serde(default)]
    pub run: RunSpec,
    pub expect: Expect,
}

impl Scenario {
    /// The generator's wire format.
    pub(crate) fn wire(&self) -> Option<Wire> {
        Wire::from_name(&self.protocol)
    }

    /// The protocol the client is configured with: `[client] protocol`, else the one that
    /// decodes the scenario's wire.
    pub(crate) fn client_protocol(&self) -> &str {
        match (&self.client.protocol, self.wire()) {
            (Some(p), _) => p,
            (None, Some(w)) => w.protocol_name(),
            (None, None) => &self.protocol,
        }
    }

    /// The response Content-Type.
    pub(crate) fn content_type(&self) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| {
                self.wire()
                    .unwrap_or(Wire::OpenAi)
                    .content_type()
                    .to_owned()
            })
    }

    /// Whether `run` must see the server observe the client's close.
    pub(crate) fn expects_close(&self) -> bool {
        self.expect.server_sees_close.unwrap_or_else(|| {
            self.expect
                .outcome
                .as_ref()
                .is_some_and(|o| o.list().iter().all(|k| *k == "stalled" || *k == "aborted"))
        })
    }

    /// The chunkings `run` applies.
    pub(crate) fn chunkings(&self) -> Vec<String> {
        self.run.chunkings.clone().unwrap_or_else(|| {
            ["none", "1", "7", "64", "1024", "random"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        })
    }
}
