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
//!   - `finish() -> Option<StreamError>`: at EOF, after draining. `None` = complete (an end signal was
//!     seen), `Some(truncated error)` otherwise; if `End(e)` was already emitted, returns `e`.
//!     May first emit remaining events (e.g. an unterminated final NDJSON line that is valid):
//!     call `next_event()` again after `finish()`.
//!   - `reply()`, `frames()` (SSE events dispatched + NDJSON lines), `keep_alives()` (comments +
//!     provider pings), `protocol()` (the resolved one, `Auto` until decided), `last_event_id()`,
//!     `retry_ms()` (last `retry:` value seen).
//!   - Additions: `resumed(protocol, max, reply, last_event_id, retry_ms)` continues a stream
//!     in a new connection (SSE resume), `resume_id()` is the ID to reconnect with;
//!     `feed_item(sse::Item)` and `feed_line(&str)` hand in input that is already
//!     framed (an `EventSource`, a test), bypassing the byte framer.
//!
//! # End signals and verdicts
//!
//! | protocol | terminator (`End(None)` at once) | finish signal (`Finish`) |
//! |---|---|---|
//! | `openai` | `data: [DONE]` (with or without the space) | a non-null `finish_reason` |
//! | `openai-responses` | `response.completed`, `response.incomplete` | (the terminator carries it) |
//! | `anthropic` | `message_stop` | `message_delta.delta.stop_reason` |
//! | `ollama` | a line with `"done": true` | (the terminator carries it) |
//! | `sse` (raw) | none: a clean close after a whole event is complete, `finishReason` null | none |
//!
//! A terminator that arrives without any finish reason before it implies `stop` (a `Finish
//! {reason: Stop}` event is emitted just before `End(None)`), so a complete outcome always
//! carries a finish reason except for raw SSE. At EOF without a terminator,
//! [`StreamDecoder::finish`] returns `None` (complete) when a finish reason was seen (the text
//! is whole), and a `truncated` error otherwise, saying whether the body ended inside an event.
//!
//! Provider errors (`{"error": ...}` in a chunk, Anthropic `event: error`, Responses `error` and
//! `response.failed`, an Ollama `{"error": "..."}` line) end the stream at once with
//! `End(Some(provider_error))`: the host reports them without waiting for the close.
//!
//! Keep-alives (SSE comments, Anthropic `ping`, an OpenAI-compatible `event: ping`), `retry:`
//! fields and events whose data is empty or only whitespace never reach JSON decoding. A data
//! line (or NDJSON line) that is not JSON ends the stream with `invalid_json`, carrying the
//! frame's 0-based index; the text before it stays in the reply. An unterminated final NDJSON
//! fragment that is not JSON is a truncation, not `invalid_json` (the body was cut mid-line).
//!
//! # `auto`
//!
//! - Content-Type `application/x-ndjson` / `application/ndjson`: NDJSON, `ollama`.
//! - `text/event-stream`: SSE; the provider is chosen on the first dispatched event.
//! - Anything else (`application/json`, unknown, none): the first byte that is not whitespace
//!   or a BOM decides: `{` is NDJSON (`ollama`), anything else SSE.
//! - The first SSE event: event type `message_start`, `ping`, `content_block_*`,
//!   `message_delta`/`message_stop`, or JSON `"type"` among those, or JSON
//!   `{"type":"error","error":{..}}` → `anthropic`; event or JSON type starting with
//!   `response.` (or `{"type":"error","message":..}`) → `openai-responses`; a JSON object with
//!   `choices`, `object: "chat.completion.chunk"` or `error`, or `[DONE]` → `openai`;
//!   otherwise raw `sse`. Events whose data is only whitespace do not decide.
//!
//! JSON goes through serde_json once per frame (the frame must be one valid JSON value) and is
//! then read lazily (`json`): only the members a decoder reads are looked at, strings are
//! borrowed unless escaped, counts are read from their digits. No `serde_json::Value`, no map
//! and no float code, which keeps the wasm small; a frame costs O(size × depth read), depth ≤ 5.

mod anthropic;
mod auto;

mod ollama;
mod openai;
mod openai_responses;
mod raw;

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::json::Json;

use crate::error::{quoted, ErrorCode, FrameError, StreamError};
use crate::ndjson::NdjsonSplitter;
use crate::outcome::{FinishReason, Reply, ToolCall, Usage};
use crate::sse::{Item, SseParser, DEFAULT_MAX_EVENT_BYTES};

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
    /// error. Nothing follows. Serialises as `{"type": "end", "error": null | {..}}`.
    #[serde(serialize_with = "serialize_end")]
    End(Option<StreamError>),
}

/// `End`'s payload as an object (an internally tagged variant must serialise as a map).
fn serialize_end<S: serde::Serializer>(
    error: &Option<StreamError>,
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct EndPayload<'a> {
        error: Option<&'a StreamError>,
    }
    EndPayload {
        error: error.as_ref(),
    }
    .serialize(s)
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

// ---------------------------------------------------------------------------------------------
// The event sink shared by the provider decoders.
// ---------------------------------------------------------------------------------------------

/// Where provider decoders put their events. Nothing is accepted after `End`.
#[derive(Debug, Default)]
pub(crate) struct Out {
    queue: VecDeque<StreamEvent>,
    /// A `Finish` was produced: at EOF the text is whole even without the terminator.
    finish_seen: bool,
    /// `Some` once `End` was produced (the inner value is its error).
    end: Option<Option<StreamError>>,
    keep_alives: u64,
}

impl Out {
    fn push(&mut self, event: StreamEvent) {
        if self.end.is_some() {
            return;
        }
        match &event {
            StreamEvent::Finish { .. } => self.finish_seen = true,
            StreamEvent::End(e) => self.end = Some(e.clone()),
            _ => {}
        }
        self.queue.push_back(event);
    }

    /// Answer text; empty deltas are dropped.
    pub(crate) fn text(&mut self, text: Option<&str>) {
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            self.push(StreamEvent::Text { text: t.to_owned() });
        }
    }

    /// Thinking text; empty deltas are dropped.
    pub(crate) fn thinking(&mut self, text: Option<&str>) {
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            self.push(StreamEvent::Thinking { text: t.to_owned() });
        }
    }

    /// A tool-call fragment.
    pub(crate) fn tool(
        &mut self,
        index: u32,
        id: Option<&str>,
        name: Option<&str>,
        arguments: &str,
    ) {
        let id = id.filter(|s| !s.is_empty()).map(str::to_owned);
        let name = name.filter(|s| !s.is_empty()).map(str::to_owned);
        if id.is_none() && name.is_none() && arguments.is_empty() {
            return;
        }
        self.push(StreamEvent::ToolCall {
            index,
            id,
            name,
            arguments: arguments.to_owned(),
        });
    }

    /// Usage, when at least one count is present.
    pub(crate) fn usage(&mut self, input_tokens: Option<u64>, output_tokens: Option<u64>) {
        if input_tokens.is_some() || output_tokens.is_some() {
            self.push(StreamEvent::Usage(Usage {
                input_tokens,
                output_tokens,
            }));
        }
    }

    /// A finish reason.
    pub(crate) fn finish(&mut self, reason: FinishReason) {
        self.push(StreamEvent::Finish { reason });
    }

    /// A non-content event.
    pub(crate) fn meta(&mut self, name: &str) {
        self.push(StreamEvent::Meta {
            name: name.to_owned(),
        });
    }

    /// A comment or a provider ping.
    pub(crate) fn keep_alive(&mut self) {
        if self.end.is_none() {
            self.keep_alives += 1;
            self.push(StreamEvent::KeepAlive);
        }
    }

    /// The provider's terminator: `Finish{Stop}` first when no finish reason came before it.
    pub(crate) fn complete(&mut self) {
        if !self.finish_seen {
            self.finish(FinishReason::Stop);
        }
        self.push(StreamEvent::End(None));
    }

    /// Ends the stream with an error.
    pub(crate) fn fail(&mut self, error: StreamError) {
        self.push(StreamEvent::End(Some(error)));
    }

    pub(crate) fn has_finish(&self) -> bool {
        self.finish_seen
    }
}

// ---------------------------------------------------------------------------------------------
// Small JSON and error helpers shared by the provider decoders.
// ---------------------------------------------------------------------------------------------

/// A provider's error code, which may be a string or a number.
pub(crate) fn code_of(v: Option<Json<'_>>) -> Option<String> {
    v?.as_text()
}

/// At most `max` chars of `s`, with an ellipsis when cut.
pub(crate) fn prefix(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Whether retrying the same request may succeed: overloaded, rate limited, server errors.
pub(crate) fn is_retryable(error_type: Option<&str>, code: Option<&str>, message: &str) -> bool {
    const RETRYABLE: [&str; 9] = [
        "overloaded",
        "rate_limit",
        "too_many_requests",
        "server_error",
        "api_error",
        "internal",
        "timeout",
        "unavailable",
        "service_error",
    ];
    let mut labelled = false;
    for label in [error_type, code].into_iter().flatten() {
        labelled = true;
        let label = label.to_ascii_lowercase();
        if RETRYABLE.iter().any(|r| label.contains(r)) {
            return true;
        }
        if let Ok(status) = label.parse::<u16>() {
            if status == 429 || status >= 500 {
                return true;
            }
        }
    }
    if labelled {
        return false;
    }
    // No type and no code (Ollama): look at the words.
    let m = message.to_ascii_lowercase();
    ["overloaded", "busy", "rate limit", "too many requests"]
        .iter()
        .any(|w| m.contains(w))
}

/// A `provider_error` with the provider's type, code and message.
pub(crate) fn provider_error(
    protocol: Protocol,
    error_type: Option<&str>,
    code: Option<String>,
    message: Option<&str>,
    index: u64,
) -> StreamError {
    let message = match message.filter(|m| !m.is_empty()) {
        Some(m) => m.to_owned(),
        None => format!("{} sent an error without a message", protocol.name()),
    };
    let mut e = StreamError::new(ErrorCode::ProviderError, message);
    e.retryable = Some(is_retryable(error_type, code.as_deref(), &e.message));
    e.provider = Some(protocol.name().to_owned());
    e.error_type = error_type.filter(|t| !t.is_empty()).map(str::to_owned);
    e.provider_code = code;
    e.event_index = Some(index);
    e
}

/// The `invalid_json` error for frame `index`, quoting a bounded prefix of its data.
pub(crate) fn invalid_json(data: &str, index: u64, err: &serde_json::Error) -> StreamError {
    let mut e = StreamError::new(
        ErrorCode::InvalidJson,
        format!(
            "event {index} is not valid JSON ({err}): {}",
            quoted(&prefix(data.trim(), 80))
        ),
    );
    e.event_index = Some(index);
    e
}

// ---------------------------------------------------------------------------------------------
// The decoder.
// ---------------------------------------------------------------------------------------------

/// How bytes become frames.
#[derive(Debug)]
enum Framer {
    /// `auto` without a decisive Content-Type: waiting for the first byte that is not
    /// whitespace or a BOM. Holds the skipped bytes (capped) to replay them to the framer.
    Sniff(Vec<u8>),
    Sse(SseParser),
    Ndjson(NdjsonSplitter),
}

/// The provider decoder, once known.
#[derive(Debug)]
enum Dec {
    Undecided,
    OpenAi(openai::OpenAi),
    Responses(openai_responses::Responses),
    Anthropic(anthropic::Anthropic),
    Ollama(ollama::Ollama),
    Raw,
}

/// What one pull from the framer gave.
enum Pulled {
    Nothing,
    Item(Item),
    Line(String),
    Error(FrameError),
}

/// Whitespace sniffed before the first decisive byte is replayed up to this many bytes; the
/// rest is dropped (it carries no content in either framing).
const SNIFF_CAP: usize = 64 * 1024;

/// Framing + provider decoder + reply accumulator.
#[derive(Debug)]
pub struct StreamDecoder {
    requested: Protocol,
    resolved: Protocol,
    max_event_bytes: usize,
    framer: Framer,
    dec: Dec,
    out: Out,
    reply: Reply,
    /// Position in `reply.tool_calls` of each tool-call index (merging stays linear).
    tool_pos: BTreeMap<u32, usize>,
    frames: u64,
    retry_ms: Option<u64>,
    /// The last event ID a resumed stream starts from (seeds every SSE parser created).
    seed_id: String,
    /// The verdict, once `finish()` ran (later calls repeat it, later input is ignored).
    verdict: Option<Option<StreamError>>,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        StreamDecoder::new(Protocol::Auto, DEFAULT_MAX_EVENT_BYTES)
    }
}

impl StreamDecoder {
    /// A decoder for `protocol`, with a cap on event size.
    pub fn new(protocol: Protocol, max_event_bytes: usize) -> Self {
        let mut d = StreamDecoder {
            requested: protocol,
            resolved: Protocol::Auto,
            max_event_bytes,
            framer: Framer::Sniff(Vec::new()),
            dec: Dec::Undecided,
            out: Out::default(),
            reply: Reply::default(),
            tool_pos: BTreeMap::new(),
            frames: 0,
            retry_ms: None,
            seed_id: String::new(),
            verdict: None,
        };
        match protocol {
            Protocol::Auto => {}
            Protocol::Ollama => d.use_ndjson(),
            p => {
                d.framer = Framer::Sse(d.sse_parser());
                d.decide(p);
            }
        }
        d
    }

    /// A decoder that continues a stream in a new connection (SSE resume): the reply so far
    /// is kept (new deltas append to it), the SSE last event ID starts as `last_event_id` and
    /// the `retry:` value as `retry_ms` (both persist across reconnections, as in
    /// `EventSource`). Frame counts and event indexes start again at 0.
    pub fn resumed(
        protocol: Protocol,
        max_event_bytes: usize,
        reply: Reply,
        last_event_id: &str,
        retry_ms: Option<u64>,
    ) -> Self {
        let mut d = StreamDecoder::new(protocol, max_event_bytes);
        d.seed_id = last_event_id.to_owned();
        if let Framer::Sse(_) = d.framer {
            d.framer = Framer::Sse(d.sse_parser());
        }
        d.retry_ms = retry_ms;
        d.out.finish_seen = reply.finish_reason.is_some();
        for (pos, call) in reply.tool_calls.iter().enumerate() {
            d.tool_pos.entry(call.index).or_insert(pos);
        }
        d.reply = reply;
        d
    }

    fn sse_parser(&self) -> SseParser {
        if self.seed_id.is_empty() {
            SseParser::with_max_event_bytes(self.max_event_bytes)
        } else {
            SseParser::with_last_event_id(self.max_event_bytes, &self.seed_id)
        }
    }

    /// The response Content-Type (for `auto`; ignored once the framing is decided).
    pub fn set_content_type(&mut self, content_type: &str) {
        if self.requested != Protocol::Auto {
            return;
        }
        if !matches!(&self.framer, Framer::Sniff(b) if b.is_empty()) {
            return;
        }
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/x-ndjson" | "application/ndjson" => self.use_ndjson(),
            "text/event-stream" => self.framer = Framer::Sse(self.sse_parser()),
            _ => {}
        }
    }

    fn use_ndjson(&mut self) {
        self.framer = Framer::Ndjson(NdjsonSplitter::with_max_line_bytes(self.max_event_bytes));
        self.decide(Protocol::Ollama);
    }

    fn decide(&mut self, protocol: Protocol) {
        self.resolved = protocol;
        self.dec = match protocol {
            Protocol::OpenAi => Dec::OpenAi(openai::OpenAi),
            Protocol::OpenAiResponses => Dec::Responses(openai_responses::Responses::default()),
            Protocol::Anthropic => Dec::Anthropic(anthropic::Anthropic),
            Protocol::Ollama => Dec::Ollama(ollama::Ollama::default()),
            Protocol::Sse => Dec::Raw,
            Protocol::Auto => Dec::Undecided,
        };
    }

    fn closed(&self) -> bool {
        self.out.end.is_some() || self.verdict.is_some()
    }

    /// Hands in the next chunk.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.closed() {
            return;
        }
        match &mut self.framer {
            Framer::Sse(p) => p.feed(bytes),
            Framer::Ndjson(s) => s.feed(bytes),
            Framer::Sniff(skipped) => {
                let decisive = bytes
                    .iter()
                    .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0xEF | 0xBB | 0xBF));
                let Some(at) = decisive else {
                    let room = SNIFF_CAP.saturating_sub(skipped.len());
                    skipped.extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or(&[]));
                    return;
                };
                let skipped = core::mem::take(skipped);
                if bytes.get(at) == Some(&b'{') {
                    self.use_ndjson();
                } else {
                    self.framer = Framer::Sse(self.sse_parser());
                }
                self.feed(&skipped);
                self.feed(bytes);
            }
        }
    }

    /// Hands in an item that is already framed (bypassing the byte framer).
    pub fn feed_item(&mut self, item: Item) {
        if !self.closed() {
            self.on_item(item);
        }
    }

    /// Hands in one NDJSON line that is already framed (bypassing the byte framer).
    pub fn feed_line(&mut self, line: &str) {
        if !self.closed() {
            if matches!(self.dec, Dec::Undecided) {
                self.decide(Protocol::Ollama);
            }
            self.on_line(line, false);
        }
    }

    /// The next decoded event.
    pub fn next_event(&mut self) -> Option<StreamEvent> {
        loop {
            if let Some(event) = self.out.queue.pop_front() {
                self.apply(&event);
                return Some(event);
            }
            if self.closed() || !self.pull_one() {
                return None;
            }
        }
    }

    /// Takes one item from the framer and decodes it; `false` when the framer needs bytes.
    fn pull_one(&mut self) -> bool {
        let pulled = match &mut self.framer {
            Framer::Sniff(_) => Pulled::Nothing,
            Framer::Sse(p) => match p.next_event() {
                None => Pulled::Nothing,
                Some(Ok(item)) => Pulled::Item(item),
                Some(Err(e)) => Pulled::Error(e),
            },
            Framer::Ndjson(s) => match s.next_line() {
                None => Pulled::Nothing,
                Some(Ok(line)) => Pulled::Line(line),
                Some(Err(e)) => Pulled::Error(e),
            },
        };
        match pulled {
            Pulled::Nothing => return false,
            Pulled::Item(item) => self.on_item(item),
            Pulled::Line(line) => {
                self.on_line(&line, false);
            }
            Pulled::Error(e) => {
                let mut err = StreamError::new(ErrorCode::EventTooLarge, e.to_string());
                err.event_index = Some(self.frames);
                self.out.fail(err);
            }
        }
        true
    }

    fn on_item(&mut self, item: Item) {
        match item {
            Item::Comment => self.out.keep_alive(),
            Item::Retry(ms) => self.retry_ms = Some(ms),
            Item::Event(ev) => self.on_event(&ev.event_type, &ev.data),
        }
    }

    fn on_event(&mut self, event_type: &str, data: &str) {
        let index = self.frames;
        self.frames += 1;
        if matches!(self.dec, Dec::Undecided) {
            match auto::detect(event_type, data) {
                Some(p) => self.decide(p),
                None => return,
            }
        }
        let out = &mut self.out;
        if let Dec::Raw = self.dec {
            raw::on_event(data, out);
            return;
        }
        let data = data.trim();
        if data.is_empty() || (event_type == "ping" && !matches!(self.dec, Dec::Anthropic(_))) {
            // Meta-only or a ping: never JSON-decoded.
            if event_type == "ping" {
                out.keep_alive();
            }
            return;
        }
        if let Dec::OpenAi(_) = self.dec {
            if data == "[DONE]" {
                out.complete();
                return;
            }
        }
        let value = match Json::parse(data) {
            Ok(v) => v,
            Err(e) => {
                out.fail(invalid_json(data, index, &e));
                return;
            }
        };
        match &mut self.dec {
            Dec::OpenAi(d) => d.on_json(event_type, value, index, out),
            Dec::Responses(d) => d.on_json(event_type, value, index, out),
            Dec::Anthropic(d) => d.on_json(event_type, value, index, out),
            Dec::Ollama(d) => d.on_json(value, index, out),
            Dec::Raw | Dec::Undecided => {}
        }
    }

    /// One NDJSON line. `at_eof`: the unterminated final fragment, where invalid JSON means the
    /// body was cut mid-line (returns `false`) rather than `invalid_json`.
    fn on_line(&mut self, line: &str, at_eof: bool) -> bool {
        let index = self.frames;
        self.frames += 1;
        let mut line = line.trim();
        if index == 0 {
            // A BOM before the first line (the splitter keeps it; the sniffer skipped it).
            line = line.trim_start_matches('\u{feff}');
        }
        if line.is_empty() {
            return true;
        }
        let value = match Json::parse(line) {
            Ok(v) => v,
            Err(_) if at_eof => return false,
            Err(e) => {
                self.out.fail(invalid_json(line, index, &e));
                return true;
            }
        };
        match &mut self.dec {
            Dec::Ollama(d) => d.on_json(value, index, &mut self.out),
            _ => {
                let mut d = ollama::Ollama::default();
                d.on_json(value, index, &mut self.out);
                self.dec = Dec::Ollama(d);
            }
        }
        true
    }

    /// Applies a returned event to the reply (the one place the reply changes).
    fn apply(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::Text { text } => self.reply.text.push_str(text),
            StreamEvent::Thinking { text } => self.reply.thinking.push_str(text),
            StreamEvent::ToolCall {
                index,
                id,
                name,
                arguments,
            } => {
                let pos = match self.tool_pos.get(index) {
                    Some(&p) => p,
                    None => {
                        self.reply.tool_calls.push(ToolCall {
                            index: *index,
                            ..ToolCall::default()
                        });
                        let p = self.reply.tool_calls.len().saturating_sub(1);
                        self.tool_pos.insert(*index, p);
                        p
                    }
                };
                if let Some(call) = self.reply.tool_calls.get_mut(pos) {
                    merge_fragment(&mut call.id, id.as_deref());
                    merge_fragment(&mut call.name, name.as_deref());
                    call.arguments.push_str(arguments);
                }
            }
            StreamEvent::Usage(u) => {
                let cur = self.reply.usage.get_or_insert_with(Usage::default);
                if u.input_tokens.is_some() {
                    cur.input_tokens = u.input_tokens;
                }
                if u.output_tokens.is_some() {
                    cur.output_tokens = u.output_tokens;
                }
            }
            StreamEvent::Finish { reason } => self.reply.finish_reason = Some(*reason),
            StreamEvent::KeepAlive | StreamEvent::Meta { .. } | StreamEvent::End(_) => {}
        }
    }

    /// End of body: the verdict.
    pub fn finish(&mut self) -> Option<StreamError> {
        if let Some(v) = &self.verdict {
            return v.clone();
        }
        let mut unterminated = false;
        if self.out.end.is_none() {
            // Whatever the framer still holds comes first (the caller may not have drained).
            while self.out.end.is_none() && self.pull_one() {}
        }
        if self.out.end.is_none() {
            let mut last_line = None;
            match &mut self.framer {
                Framer::Sse(p) => unterminated = p.finish().unterminated,
                Framer::Ndjson(s) => last_line = s.finish(),
                Framer::Sniff(_) => {}
            }
            if let Some(line) = last_line {
                unterminated = !self.on_line(&line, true);
            }
        }
        let verdict = match &self.out.end {
            Some(e) => e.clone(),
            None if self.out.has_finish() => None,
            None if matches!(self.dec, Dec::Raw) && !unterminated => None,
            None => Some(self.truncated(unterminated)),
        };
        self.verdict = Some(verdict.clone());
        verdict
    }

    fn truncated(&self, unterminated: bool) -> StreamError {
        let expected = match self.dec {
            Dec::OpenAi(_) => "before [DONE] and before any finish_reason",
            Dec::Responses(_) => "before response.completed",
            Dec::Anthropic(_) => "before message_stop and before any message_delta stop_reason",
            Dec::Ollama(_) => "before a line with \"done\": true",
            Dec::Raw => "inside an event",
            Dec::Undecided => "before any event",
        };
        let mut message = format!("the body ended {expected}");
        if unterminated && !matches!(self.dec, Dec::Raw) {
            message.push_str(match self.framer {
                Framer::Ndjson(_) => " (inside an unterminated line)",
                _ => " (inside an unterminated event)",
            });
        }
        StreamError::new(ErrorCode::Truncated, message)
    }

    /// Everything received so far.
    pub fn reply(&self) -> &Reply {
        &self.reply
    }

    /// Takes the reply out (at the end).
    pub fn take_reply(&mut self) -> Reply {
        self.tool_pos.clear();
        core::mem::take(&mut self.reply)
    }

    /// Frames decoded (SSE events + NDJSON lines).
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Comments and provider pings.
    pub fn keep_alives(&self) -> u64 {
        self.out.keep_alives
    }

    /// The resolved protocol (`Auto` until decided).
    pub fn protocol(&self) -> Protocol {
        self.resolved
    }

    /// The SSE last event ID buffer.
    pub fn last_event_id(&self) -> &str {
        match &self.framer {
            Framer::Sse(p) => p.last_event_id(),
            _ => "",
        }
    }

    /// The SSE last event ID as of the last blank line: what a reconnect sends as
    /// `Last-Event-ID` (see [`SseParser::resume_id`]). Before any SSE framing: the seed.
    pub fn resume_id(&self) -> &str {
        match &self.framer {
            Framer::Sse(p) => p.resume_id(),
            _ => &self.seed_id,
        }
    }

    /// The last valid `retry:` value.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }
}

/// Appends a name or id fragment. A fragment equal to everything accumulated so far is a
/// repeat (some OpenAI-compatible servers resend the id and name on every chunk), not a piece.
fn merge_fragment(acc: &mut Option<String>, fragment: Option<&str>) {
    let Some(f) = fragment.filter(|f| !f.is_empty()) else {
        return;
    };
    match acc {
        Some(a) if a == f => {}
        Some(a) => a.push_str(f),
        None => *acc = Some(f.to_owned()),
    }
}
