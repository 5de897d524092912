//! Scenarios: data (TOML or JSON files), compiled to a wire plan per request.
//!
//! The built-in scenarios are the files in `harness/scenarios/`, embedded at build time (so the
//! binary works from any directory); `--scenarios DIR` adds (or overrides) scenarios from user
//! files at start. Each file holds the scenario's name (the one used in `FAULTS.md`), what the
//! server does (`status`, `headers`, `steps`, `faults`), and what a correct client reports
//! (`[expect]`), plus the client settings and chunkings `run` uses.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::faults::{FaultConfig, Style};
use crate::plan::{self, Action, Plan, Tag};
use crate::wire::{sse, Generator, Wire};

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
    /// Generator and client protocol: openai, openai-responses, anthropic, ollama, sse.
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

fn eol_convert(s: String, eol: Eol, rng: &mut SmallRng) -> Bytes {
    let style = match eol {
        Eol::Lf => return Bytes::from(s),
        Eol::Crlf => Style::Crlf,
        Eol::Cr => Style::Cr,
        Eol::Mixed => Style::Mixed,
    };
    Bytes::from(crate::faults::line_endings::convert(
        s.as_bytes(),
        style,
        rng,
    ))
}

fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() % 2 != 0 {
        return Err("odd hex length".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

/// Splits text into tokens after each space (`"a b"` -> `["a ", "b"]`).
fn split_words(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_owned).collect()
}

impl Scenario {
    /// Parses a TOML or JSON scenario (by extension) and validates it.
    pub(crate) fn parse(text: &str, json: bool) -> Result<Scenario, String> {
        let sc: Scenario = if json {
            serde_json::from_str(text).map_err(|e| e.to_string())?
        } else {
            toml::from_str(text).map_err(|e| e.to_string())?
        };
        sc.validate()?;
        Ok(sc)
    }

    fn validate(&self) -> Result<(), String> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!("bad scenario name {:?}", self.name));
        }
        if self.wire().is_none() {
            return Err(format!("{}: unknown protocol {}", self.name, self.protocol));
        }
        if let Some(p) = &self.client.protocol {
            if streamguard::Protocol::from_name(p).is_none() {
                return Err(format!("{}: unknown client protocol {p}", self.name));
            }
        }
        if self.expect.outcome.is_none() {
            return Err(format!("{}: [expect] needs an outcome", self.name));
        }
        for step in &self.steps {
            match step {
                Step::Send { data, hex, .. } => {
                    if data.is_some() == hex.is_some() {
                        return Err(format!(
                            "{}: send needs exactly one of data, hex",
                            self.name
                        ));
                    }
                    if let Some(h) = hex {
                        decode_hex(h).map_err(|e| format!("{}: hex: {e}", self.name))?;
                    }
                }
                Step::Fill {
                    byte, write_size, ..
                } if byte.len() != 1 || *write_size == 0 => {
                    return Err(format!(
                        "{}: fill needs one ASCII byte and write_size > 0",
                        self.name
                    ));
                }
                Step::Keepalive { every_ms, .. } if *every_ms == 0 => {
                    return Err(format!("{}: keepalive every_ms must be > 0", self.name));
                }
                Step::Tokens {
                    first_id: Some(_), ..
                } if self.wire() == Some(Wire::Ollama) => {
                    return Err(format!("{}: first_id needs an SSE protocol", self.name));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The generator's wire format.
    pub(crate) fn wire(&self) -> Option<Wire> {
        Wire::from_name(&self.protocol)
    }

    /// The protocol the client is configured with.
    pub(crate) fn client_protocol(&self) -> &str {
        self.client.protocol.as_deref().unwrap_or(&self.protocol)
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

    /// Compiles the steps to a wire plan (scenario faults not applied yet).
    pub(crate) fn compile(&self, rng: &mut SmallRng) -> Plan {
        self.compile_after(rng, None)
    }

    /// Compiles the steps, leaving out the tokens whose `id` is at most `after` (resume).
    fn compile_after(&self, rng: &mut SmallRng, after: Option<u64>) -> Plan {
        let wire = self.wire().unwrap_or(Wire::OpenAi);
        let mut gen = Generator::new(wire);
        let mut plan = Vec::new();
        if self.head && !self.steps.contains(&Step::Head) {
            plan.push(Action::Head);
        }
        let write = |plan: &mut Plan, bytes: Bytes, tag: Tag| {
            if !bytes.is_empty() {
                plan.push(Action::Write { bytes, tag });
            }
        };
        for step in &self.steps {
            match step {
                Step::Head => plan.push(Action::Head),
                Step::Start { eol } => {
                    for (s, tag) in gen.start() {
                        write(&mut plan, eol_convert(s, *eol, rng), tag);
                    }
                }
                Step::Tokens {
                    tokens,
                    text,
                    gap_ms,
                    per_write,
                    eol,
                    first_id,
                } => {
                    let mut list = tokens.clone();
                    if let Some(t) = text {
                        list.extend(split_words(t));
                    }
                    let ids = (0..list.len() as u64).map(|i| first_id.map(|f| f + i));
                    let list: Vec<(Option<u64>, String)> = ids
                        .zip(list)
                        .filter(|(id, _)| match (id, after) {
                            (Some(id), Some(after)) => *id > after,
                            _ => true,
                        })
                        .collect();
                    let per = (*per_write).max(1);
                    for (i, group) in list.chunks(per).enumerate() {
                        if i > 0 && *gap_ms > 0 {
                            plan.push(Action::Wait(*gap_ms));
                        }
                        let mut s = String::new();
                        for (id, t) in group {
                            if let Some(id) = id {
                                s.push_str(&format!("id: {id}\n"));
                            }
                            s.push_str(&gen.token(t));
                        }
                        write(&mut plan, eol_convert(s, *eol, rng), Tag::Event);
                    }
                }
                Step::BigToken { unit, bytes } => {
                    let text = big_text(unit, *bytes);
                    write(&mut plan, Bytes::from(gen.token(&text)), Tag::Event);
                }
                Step::Finish { reason, eol } => {
                    for (s, tag) in gen.finish(reason) {
                        write(&mut plan, eol_convert(s, *eol, rng), tag);
                    }
                }
                Step::Done { eol } => {
                    if let Some(s) = gen.done() {
                        write(&mut plan, eol_convert(s, *eol, rng), Tag::Terminator);
                    }
                }
                Step::Ping => write(&mut plan, Bytes::from(gen.ping()), Tag::Comment),
                Step::Comment { text } => {
                    write(&mut plan, Bytes::from(format!(":{text}\n\n")), Tag::Comment)
                }
                Step::Keepalive {
                    every_ms,
                    for_ms,
                    text,
                } => {
                    let payload = match text {
                        Some(t) => format!(":{t}\n\n"),
                        None => gen.ping(),
                    };
                    let payload = Bytes::from(payload);
                    for _ in 0..(for_ms / every_ms.max(&1)) {
                        plan.push(Action::Wait(*every_ms));
                        write(&mut plan, payload.clone(), Tag::Comment);
                    }
                }
                Step::ProviderError {
                    error_type,
                    message,
                    code,
                } => {
                    let s = gen.error(error_type, message, code.as_deref());
                    write(&mut plan, Bytes::from(s), Tag::Event);
                }
                Step::Event { event, data } => write(
                    &mut plan,
                    Bytes::from(sse(event.as_deref(), data)),
                    Tag::Event,
                ),
                Step::Json { value, event } => write(
                    &mut plan,
                    Bytes::from(gen.frame(event.as_deref(), value)),
                    Tag::Event,
                ),
                Step::Send {
                    data,
                    hex,
                    tag,
                    repeat,
                } => {
                    let bytes = match (data, hex) {
                        (Some(d), _) => Bytes::from(d.clone()),
                        (None, Some(h)) => Bytes::from(decode_hex(h).unwrap_or_default()),
                        (None, None) => Bytes::new(),
                    };
                    for _ in 0..(*repeat).max(1) {
                        write(&mut plan, bytes.clone(), *tag);
                    }
                }
                Step::Fill {
                    byte,
                    bytes,
                    write_size,
                } => {
                    let b = byte.as_bytes().first().copied().unwrap_or(b'a');
                    let size = (*write_size).max(1);
                    let block = Bytes::from(vec![b; size]);
                    let mut left = *bytes;
                    while left > 0 {
                        let n = left.min(size as u64) as usize;
                        write(&mut plan, block.slice(..n), Tag::Raw);
                        left -= n as u64;
                    }
                }
                Step::CutChunk { declared, data } => {
                    let s = format!("{declared:x}\r\n{data}");
                    write(&mut plan, Bytes::from(s), Tag::Wire);
                }
                Step::Wait { ms } => plan.push(Action::Wait(*ms)),
                Step::Stall => plan.push(Action::Stall),
                Step::Close => plan.push(Action::Close),
                Step::Hangup => plan.push(Action::Hangup),
                Step::Reset => plan.push(Action::Reset),
            }
        }
        plan::normalize(plan)
    }

    /// The plan with the scenario's own faults applied, then `extra` (request faults).
    #[cfg(test)]
    pub(crate) fn plan(&self, extra: &[FaultConfig], rng: &mut SmallRng) -> Plan {
        self.plan_for(extra, rng, None)
    }

    /// The plan for a request that carried `Last-Event-ID: last_event_id` (`None` or empty:
    /// it did not). Only a `resume` scenario looks at it: it leaves out the tokens whose id is
    /// at most the (numeric) ID and its own faults (the mid-stream failure), keeping `extra`.
    pub(crate) fn plan_for(
        &self,
        extra: &[FaultConfig],
        rng: &mut SmallRng,
        last_event_id: Option<&str>,
    ) -> Plan {
        let resumed = self.resume && last_event_id.is_some_and(|id| !id.is_empty());
        if !resumed {
            let plan = self.compile(rng);
            let plan = crate::faults::apply_all(plan, &self.faults, rng);
            return crate::faults::apply_all(plan, extra, rng);
        }
        let after = last_event_id.and_then(|id| id.trim().parse::<u64>().ok());
        let plan = self.compile_after(rng, after);
        crate::faults::apply_all(plan, extra, rng)
    }

    /// The expected text: `expect.text`, or every token of the steps concatenated.
    pub(crate) fn expected_text(&self) -> String {
        if let Some(t) = &self.expect.text {
            return t.clone();
        }
        let mut out = String::new();
        for step in &self.steps {
            match step {
                Step::Tokens { tokens, text, .. } => {
                    for t in tokens {
                        out.push_str(t);
                    }
                    if let Some(t) = text {
                        out.push_str(t);
                    }
                }
                Step::BigToken { unit, bytes } => out.push_str(&big_text(unit, *bytes)),
                _ => {}
            }
        }
        out
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

    /// The listing entry of `GET /_harness/scenarios` (everything a test needs to assert).
    pub(crate) fn listing(&self) -> Value {
        let text = self.expected_text();
        let e = &self.expect;
        let text_value = if text.len() <= 64 * 1024 {
            json!(text)
        } else {
            Value::Null
        };
        let pattern = self.steps.iter().find_map(|s| match s {
            Step::BigToken { unit, bytes } => Some(json!({"unit": unit, "bytes": bytes})),
            _ => None,
        });
        json!({
            "name": self.name,
            "description": self.description,
            "protocol": self.client_protocol(),
            "status": self.status,
            "server": self.server,
            "path": format!("/scenarios/{}", self.name),
            "client": {
                "firstByteTimeoutMs": self.client.first_byte_timeout_ms,
                "idleTimeoutMs": self.client.idle_timeout_ms,
                "contentTimeoutMs": self.client.content_timeout_ms,
                "totalTimeoutMs": self.client.total_timeout_ms,
                "abortAfterDeltas": self.client.abort_after_deltas,
                "frames": self.client.frames.unwrap_or(true),
                "resume": self.client.resume,
                "maxAttempts": self.client.max_attempts,
            },
            "expect": {
                "outcome": e.outcome.as_ref().map(|o| o.list()),
                "phase": e.phase,
                "finishReason": e.finish_reason,
                "text": text_value,
                "textLength": text.len(),
                "textPattern": pattern,
                "errorCode": e.error_code,
                "status": e.status,
                "retryAfterMs": e.retry_after_ms,
                "retryable": e.retryable,
                "provider": e.provider,
                "type": e.error_type,
                "messageContains": e.message_contains,
                "eventIndex": e.event_index,
                "fireMs": e.fire_ms,
                "maxDurationMs": e.max_duration_ms,
                "serverSeesClose": self.expects_close(),
                "maxFlushes": e.max_flushes,
                "buffered": e.buffered,
                "deltas": e.deltas,
                "events": e.events,
                "reconnectLastEventId": e.reconnect_last_event_id,
                "reconnectMinGapMs": e.reconnect_min_gap_ms,
            },
        })
    }
}

fn big_text(unit: &str, bytes: usize) -> String {
    if unit.is_empty() {
        return String::new();
    }
    let mut s = unit.repeat(bytes / unit.len() + 1);
    let mut n = bytes.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    s.truncate(n);
    s
}

/// The built-in scenario files, embedded (the self-test checks this list against the
/// directory).
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    ("openai_ok", include_str!("../scenarios/openai_ok.toml")),
    ("refused", include_str!("../scenarios/refused.toml")),
    ("no_response", include_str!("../scenarios/no_response.toml")),
    (
        "headers_then_silence",
        include_str!("../scenarios/headers_then_silence.toml"),
    ),
    ("stall_mid", include_str!("../scenarios/stall_mid.toml")),
    (
        "pings_forever",
        include_str!("../scenarios/pings_forever.toml"),
    ),
    (
        "slow_healthy",
        include_str!("../scenarios/slow_healthy.toml"),
    ),
    ("byte_drip", include_str!("../scenarios/byte_drip.toml")),
    (
        "thinking_pings",
        include_str!("../scenarios/thinking_pings.toml"),
    ),
    ("no_done", include_str!("../scenarios/no_done.toml")),
    (
        "finish_no_done",
        include_str!("../scenarios/finish_no_done.toml"),
    ),
    ("reset_mid", include_str!("../scenarios/reset_mid.toml")),
    (
        "any_chunking",
        include_str!("../scenarios/any_chunking.toml"),
    ),
    ("split_utf8", include_str!("../scenarios/split_utf8.toml")),
    (
        "line_endings",
        include_str!("../scenarios/line_endings.toml"),
    ),
    ("bom", include_str!("../scenarios/bom.toml")),
    ("comments", include_str!("../scenarios/comments.toml")),
    ("meta_only", include_str!("../scenarios/meta_only.toml")),
    (
        "anthropic_error_mid",
        include_str!("../scenarios/anthropic_error_mid.toml"),
    ),
    (
        "anthropic_error_first",
        include_str!("../scenarios/anthropic_error_first.toml"),
    ),
    (
        "openai_error_mid",
        include_str!("../scenarios/openai_error_mid.toml"),
    ),
    ("ollama_ok", include_str!("../scenarios/ollama_ok.toml")),
    (
        "ollama_error",
        include_str!("../scenarios/ollama_error.toml"),
    ),
    (
        "ollama_no_done",
        include_str!("../scenarios/ollama_no_done.toml"),
    ),
    ("status_429", include_str!("../scenarios/status_429.toml")),
    (
        "json_not_sse",
        include_str!("../scenarios/json_not_sse.toml"),
    ),
    (
        "html_not_sse",
        include_str!("../scenarios/html_not_sse.toml"),
    ),
    (
        "buffered_burst",
        include_str!("../scenarios/buffered_burst.toml"),
    ),
    ("huge_event", include_str!("../scenarios/huge_event.toml")),
    (
        "unbounded_line",
        include_str!("../scenarios/unbounded_line.toml"),
    ),
    (
        "invalid_json",
        include_str!("../scenarios/invalid_json.toml"),
    ),
    ("user_abort", include_str!("../scenarios/user_abort.toml")),
    ("hidden_tab", include_str!("../scenarios/hidden_tab.toml")),
    // Beyond FAULTS.md: defaults of the API-like routes and the framing faults.
    (
        "anthropic_ok",
        include_str!("../scenarios/anthropic_ok.toml"),
    ),
    (
        "responses_ok",
        include_str!("../scenarios/responses_ok.toml"),
    ),
    ("chunked_cut", include_str!("../scenarios/chunked_cut.toml")),
    ("sse_resume", include_str!("../scenarios/sse_resume.toml")),
    (
        "content_length_lie",
        include_str!("../scenarios/content_length_lie.toml"),
    ),
];

/// The scenarios known to a server, by name (sorted).
#[derive(Debug, Clone, Default)]
pub(crate) struct ScenarioSet {
    pub by_name: BTreeMap<String, Scenario>,
}

impl ScenarioSet {
    /// The built-ins.
    pub(crate) fn builtin() -> Result<ScenarioSet, String> {
        let mut set = ScenarioSet::default();
        for (file, text) in BUILTIN {
            let sc = Scenario::parse(text, false).map_err(|e| format!("{file}.toml: {e}"))?;
            if sc.name != *file {
                return Err(format!("{file}.toml names itself {}", sc.name));
            }
            set.by_name.insert(sc.name.clone(), sc);
        }
        Ok(set)
    }

    /// Adds every `*.toml` and `*.json` file of `dir` (a file may override a built-in).
    pub(crate) fn load_dir(&mut self, dir: &Path) -> Result<usize, String> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        let mut n = 0;
        for path in entries {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if ext != "toml" && ext != "json" {
                continue;
            }
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let sc = Scenario::parse(&text, ext == "json")
                .map_err(|e| format!("{}: {e}", path.display()))?;
            self.by_name.insert(sc.name.clone(), sc);
            n += 1;
        }
        Ok(n)
    }

    /// The built-ins, plus the files of `dir` when given; also returns how many files it added.
    pub(crate) fn load(dir: Option<&Path>) -> Result<(ScenarioSet, usize), String> {
        let mut set = ScenarioSet::builtin().map_err(|e| format!("built-in scenarios: {e}"))?;
        let files = match dir {
            Some(dir) => set.load_dir(dir)?,
            None => 0,
        };
        Ok((set, files))
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Scenario> {
        self.by_name.get(name)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    /// The scenario names of FAULTS.md's table, in its order.
    pub(crate) const FAULTS_MD: &[&str] = &[
        "openai_ok",
        "refused",
        "no_response",
        "headers_then_silence",
        "stall_mid",
        "pings_forever",
        "slow_healthy",
        "byte_drip",
        "thinking_pings",
        "no_done",
        "finish_no_done",
        "reset_mid",
        "any_chunking",
        "split_utf8",
        "line_endings",
        "bom",
        "comments",
        "meta_only",
        "anthropic_error_mid",
        "anthropic_error_first",
        "openai_error_mid",
        "ollama_ok",
        "ollama_error",
        "ollama_no_done",
        "status_429",
        "json_not_sse",
        "html_not_sse",
        "buffered_burst",
        "huge_event",
        "unbounded_line",
        "invalid_json",
        "user_abort",
        "hidden_tab",
    ];

    #[test]
    fn every_builtin_parses_and_has_expectations() {
        let set = ScenarioSet::builtin().unwrap();
        for sc in set.by_name.values() {
            assert!(!sc.description.is_empty(), "{}", sc.name);
            assert!(sc.expect.outcome.is_some(), "{}", sc.name);
            let mut rng = SmallRng::seed_from_u64(1);
            let plan = sc.plan(&[], &mut rng);
            assert!(plan.last().unwrap().is_terminal(), "{}", sc.name);
            if sc
                .expect
                .outcome
                .as_ref()
                .unwrap()
                .list()
                .contains(&"stalled")
            {
                assert!(sc.expect.phase.is_some(), "{} needs a phase", sc.name);
                assert!(sc.expect.fire_ms.is_some(), "{} needs fire_ms", sc.name);
            }
        }
    }

    #[test]
    fn every_faults_md_row_has_a_scenario_by_name() {
        let set = ScenarioSet::builtin().unwrap();
        for name in FAULTS_MD {
            assert!(set.get(name).is_some(), "missing scenario {name}");
        }
        // And the table still lists exactly these names, when the shared file is reachable.
        let faults_md = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/FAULTS.md");
        if let Ok(text) = std::fs::read_to_string(faults_md) {
            let mut names = Vec::new();
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("| ") {
                    let first = rest.split(" | ").next().unwrap_or("");
                    if first == "name" || first.starts_with("---") {
                        continue;
                    }
                    names.extend(first.split(" / ").map(str::trim));
                }
            }
            assert_eq!(names, FAULTS_MD, "FAULTS.md rows changed");
        }
    }

    #[test]
    fn readme_documents_every_scenario_and_fault() {
        let readme =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
                .unwrap();
        for (name, _) in BUILTIN {
            assert!(
                readme.contains(&format!("\n### {name}\n")),
                "README lacks ### {name}"
            );
        }
        for (name, _) in crate::faults::REGISTRY {
            assert!(
                readme.contains(&format!("\n#### {name}\n")),
                "README lacks #### {name}"
            );
        }
    }

    #[test]
    fn builtin_list_matches_the_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter_map(|e| {
                let p = e.path();
                (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(str::to_owned))?
            })
            .collect();
        files.sort();
        let mut listed: Vec<String> = BUILTIN.iter().map(|b| b.0.to_owned()).collect();
        listed.sort();
        assert_eq!(files, listed);
    }

    #[test]
    fn load_dir_accepts_user_files_and_rejects_bad_ones() {
        let dir = std::env::temp_dir().join(format!("sg-scn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("mine.json"),
            r#"{"name":"mine","description":"d","steps":[{"do":"tokens","tokens":["a"]},{"do":"done"}],
               "expect":{"outcome":"complete"}}"#,
        )
        .unwrap();
        let mut set = ScenarioSet::default();
        assert_eq!(set.load_dir(&dir).unwrap(), 1);
        assert_eq!(set.get("mine").unwrap().expected_text(), "a");
        std::fs::write(
            dir.join("bad.toml"),
            "name = \"bad\"\ndescription = \"d\"\nwat = 1\n[expect]\noutcome = \"complete\"\n",
        )
        .unwrap();
        assert!(set.load_dir(&dir).is_err(), "unknown fields are rejected");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn text_defaults_to_the_tokens() {
        let sc = Scenario::parse(
            "name = \"t\"\ndescription = \"d\"\n[[steps]]\ndo = \"tokens\"\ntext = \"a b c\"\n[expect]\noutcome = \"complete\"\n",
            false,
        )
        .unwrap();
        assert_eq!(sc.expected_text(), "a b c");
        let mut rng = SmallRng::seed_from_u64(1);
        let plan = sc.compile(&mut rng);
        // head, 3 events, close
        assert_eq!(plan.len(), 5);
    }
}
