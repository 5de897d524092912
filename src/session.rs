//! The session: decoder + four timers + batcher + metrics + head checks, driven by the host.
//!
//! One connection's session. Hosts normally run it through the [`crate::driver::Driver`],
//! which adds the attempts (retries, SSE resume); tests and simple hosts drive it directly:
//! ```text
//!  Session::new(config, now)               now = the moment the request is sent
//!  handle_response_head(now, status, &[(name, value)])
//!  handle_bytes(now, &[u8])   (one call per network read)
//!  handle_eof(now) | handle_error(now, NetworkError) | handle_abort(now)
//!  handle_timeout(now)        (early or spurious: no-op)
//!  handle_frame(now)          (an animation frame, or the host's hidden-page fallback tick)
//!  poll_output() -> Option<Output>           drain after every handle_* call
//!  poll_deadline() -> Option<Millis>         the ONE timer the host arms (timers + interval flush)
//!  wants_frame() -> bool                     request an animation frame (text is pending)
//!  is_finished() -> bool ; text() -> &str ; stats(now) -> Stats ; resume_id() ; retry_ms()
//!  resume_delay(&policy, attempt, &result, random) -> Option<u64> ; resume(now) -> Session
//! ```
//! After `Output::Finished` nothing else is ever returned and every `handle_*` is a no-op.
//!
//! # Resume (raw `sse` GET streams)
//! A raw SSE stream over GET can be continued in a new connection that sends
//! `Last-Event-ID: resume_id()`; a server that honours it sends only the events after
//! that ID. After `Finished`, [`Session::resume_delay`] says whether and when (the policy's
//! [`crate::RetryPolicy::resume_delay`], only for [`Protocol::Sse`], and only when the
//! stream has an event ID or nothing was delivered yet: without an ID the server would start
//! over and the text would repeat). [`Session::resume`] then builds the next attempt's
//! session at `now`:
//! - the reply so far (text, thinking, tool calls, usage) is kept and new deltas append to
//!   it, so the final outcome carries ALL the text, and the text already flushed is never
//!   flushed again: the `Output::Text` of all attempts concatenate to the final text;
//! - the SSE last event ID and the `retry:` value carry over (they persist across
//!   reconnections, as in `EventSource`);
//! - the stats are cumulative ([`crate::metrics`], "Resumed streams");
//! - the four timers start again at `now` (a stall's `elapsed_ms` is this attempt's).
//!
//! The host checks the method (GET only: a POST is not idempotent) and sends the header.
//! A server that ignores `Last-Event-ID` resends events already shown; the session cannot tell
//! (IDs are opaque), so only enable resume for servers that honour it.
//!
//! # How an input is processed
//! Every `handle_*` first clamps `now` to the latest time seen (a host clock that steps back
//! cannot move a deadline), then re-checks the four deadlines against it
//! ([`crate::watchdog`]): if any is at or before `now`, the request is `stalled` with the phase
//! of the deadline that expired **earliest** and `elapsed_ms = now - start` (a timer callback
//! that runs late in a hidden tab still names the right timer; the late input itself is
//! dropped). Interval text that is due is flushed. Only then is the input processed.
//!
//! # Outputs
//! - `Text`: see [`crate::batch`] for the modes. Never empty; all flushes concatenate to exactly
//!   the outcome's `text` (the batcher is fed from the decoder's reply, not from the events).
//! - `Event`: with `emit_events`, every decoded event except `Text` and `End` (so `Thinking`,
//!   `ToolCall`, `Usage`, `Finish`, `Meta` and `KeepAlive`), at once; text in frame, interval
//!   and smooth modes is batched, so an event can reach the host before text that preceded it.
//! - `AbortRequest`: the session finished while the connection is still open (a timer fired,
//!   a cap was exceeded, the provider's terminator or an error event arrived before EOF, a
//!   non-stream body's prefix is full): the host aborts the fetch / cancels the reader and
//!   closes the connection. Never after `handle_eof`, `handle_error` or `handle_abort` (the
//!   connection is already closed or being closed by the caller).
//! - `Finished(outcome)`: always last. Before it: the pending text in ONE flush (also in smooth
//!   mode: the reveal never delays the outcome), then `AbortRequest` if needed. Frame pacing:
//!   in frame and smooth modes there is never more than one flush per frame tick, the final
//!   one included, so when the current frame already had its flush the outcome is decided
//!   (inputs are ignored, `AbortRequest` goes out at once) but the last flush and `Finished`
//!   wait for the next `handle_frame` ([`Session::wants_frame`] says so).
//!
//! # The response head
//! Non-2xx: the body (at most [`crate::head::ERROR_BODY_PREFIX`] bytes) becomes `http_error` at
//! EOF, on a network error, or as soon as the prefix is full. 2xx: [`crate::head::classify`]
//! decides by Content-Type: decode the stream, collect a JSON body (SSE protocols) and report
//! the error inside it, or report `unexpected_content_type` with the first
//! [`crate::head::BODY_PREVIEW_BYTES`] bytes. Bytes before any head are a 200 of unknown type.
//! The timers run throughout.
//!
//! # Endings
//! | input | outcome |
//! |---|---|
//! | the provider's terminator, an error event | the decoder's verdict, at once (not at close) |
//! | `handle_eof` | the decoder's verdict: `complete` if an end signal or finish reason was seen, else `truncated` |
//! | `handle_error` | `network_error`, except after an end signal: `complete` (the text is whole; only the terminator was lost) |
//! | `handle_abort` | `aborted` ("aborted by the caller") |
//! | a deadline | `stalled` with the phase, except after an end signal: `complete` (with `AbortRequest`) |
//!
//! An end signal is a finish reason in any form (OpenAI `finish_reason`, Anthropic
//! `message_delta.stop_reason`, Gemini `finishReason`, an AI SDK `finish` part, ...): after it,
//! a stall or a network failure cannot make the text less whole, so the outcome is `complete`
//! with the finish reason and the usage that came. Protocols whose end signal is their
//! terminator (Ollama's `done: true`, Responses' `response.completed`) are complete at once;
//! raw `sse` and `text` have none, so a stall there is always `stalled`.
//! | text over `max_text_bytes` | `protocol_error` `text_too_large` (the delta that crossed the cap is kept) |
//! | a line/event over `max_event_bytes` | `protocol_error` `event_too_large` (from the framer) |

use crate::fifo::Fifo;
use core::ops::Range;

use crate::batch::Batcher;
pub use crate::batch::{FlushMode, SmoothUnit};
use crate::decode::{Decoded, Protocol, StreamDecoder, StreamEvent};
use crate::error::{ErrorCode, StreamError};
use crate::head::{self, BodyKind};
use crate::metrics::Metrics;
use crate::outcome::{Reply, Stats, StreamResult};
use crate::retry::{nothing_delivered, RetryPolicy};
use crate::text::{cat, push_usize};
use crate::time::Millis;
use crate::watchdog::{stall_message, Deadlines, Timeouts, Watchdog};

/// Session configuration. Every timeout of 0 is off; a cap of 0 is off too.
///
/// The defaults are for real models over real networks, where a false stall costs a
/// generation: first byte 60 s (queueing and long prompts; reasoning models that send nothing
/// until they answer), idle 30 s (providers that ping send one every 5-15 s; a silent proxy
/// holding a dead connection is caught in 30 s), content 120 s (a relay that pings while its
/// upstream is dead; long hidden reasoning stays under it), total 10 min. The event cap is the
/// framer's 8 MiB, the text cap 64 MiB. Chat UIs on fast models may tighten them; with
/// reasoning models that think silently for minutes, raise idle and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The wire protocol.
    pub protocol: Protocol,
    /// Request start until the first body byte.
    pub first_byte_timeout_ms: u64,
    /// The longest silence between body bytes.
    pub idle_timeout_ms: u64,
    /// The longest time without a content delta, counted from the request.
    pub content_timeout_ms: u64,
    /// The whole request.
    pub total_timeout_ms: u64,
    /// How text is batched.
    pub flush: FlushMode,
    /// Cap on one line / event (passed to the framer).
    pub max_event_bytes: usize,
    /// Cap on text + thinking + tool-call fragments together.
    pub max_text_bytes: usize,
    /// Emit `Output::Event` for non-text events (the JS `onEvent` is set).
    pub emit_events: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            protocol: Protocol::Auto,
            first_byte_timeout_ms: 60_000,
            idle_timeout_ms: 30_000,
            content_timeout_ms: 120_000,
            total_timeout_ms: 600_000,
            flush: FlushMode::Frame,
            max_event_bytes: crate::sse::DEFAULT_MAX_EVENT_BYTES,
            max_text_bytes: 64 * 1024 * 1024,
            emit_events: false,
        }
    }
}

/// Why the connection failed, as far as the host can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkErrorKind {
    /// Nothing listens (native hosts can tell; browsers cannot).
    Refused,
    /// Reset or closed mid-body / incomplete chunked body.
    Reset,
    /// Anything else (DNS, TLS, CORS, the browser's opaque `TypeError`).
    Other,
}

/// A network failure reported by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkError {
    /// The kind.
    pub kind: NetworkErrorKind,
    /// The host's message.
    pub message: String,
}

/// What the session asks of the host.
// `Finished` is large but comes once per request; boxing it would change the public contract
// the hosts already match on, for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Batched text to render. Never empty. All flushes concatenate to the final text.
    Text(String),
    /// A decoded non-text event (only with `Config::emit_events`).
    Event(StreamEvent),
    /// Abort the request now (a timer fired, a cap was exceeded). `Finished` follows.
    AbortRequest,
    /// The final outcome. Nothing follows.
    Finished(StreamResult),
    /// Send the request: the first one, or the next attempt after a retry or resume wait,
    /// with `Last-Event-ID: last_event_id` when set (SSE resume). Only the
    /// [`Driver`](crate::driver::Driver) produces it; a bare session watches one request the
    /// host already sent.
    Connect {
        /// The `Last-Event-ID` header to send, if any.
        last_event_id: Option<String>,
    },
}

/// How the body is being handled, decided by the response head.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    /// Decode it as the stream (also when no head was given).
    Stream,
    /// Non-2xx: keep a bounded prefix of the error body.
    HttpError {
        status: u16,
        retry_after_ms: Option<u64>,
    },
    /// 2xx `application/json` where SSE was expected: keep a bounded prefix.
    Json { retry_after_ms: Option<u64> },
    /// 2xx of a type that cannot be the stream: keep the first bytes for the message.
    Unexpected { media_type: String },
}

/// One request's state: the decoder, the four timers, the batcher and the metrics.
#[derive(Debug)]
pub struct Session {
    config: Config,
    start: Millis,
    decoder: StreamDecoder,
    watchdog: Watchdog,
    batcher: Batcher,
    metrics: Metrics,
    outputs: Fifo<Output>,
    body: Body,
    /// A response head was handled (or bytes came first: then it is too late for one).
    head_seen: bool,
    /// The bounded prefix of a non-stream body.
    body_buf: Vec<u8>,
    /// The latest `now` seen; a host clock that steps backwards is clamped to it.
    last_now: Millis,
    /// Bytes of text, thinking and tool-call fragments so far (the `max_text_bytes` cap).
    content_bytes: usize,
    /// The decoder reported a finish reason (an end signal): a reset or a stall after it still
    /// leaves the text whole.
    saw_finish: bool,
    /// The body is over (EOF or the provider's terminator), for `Stats::buffered`.
    body_over: bool,
    /// The reply, kept after the outcome so `text()` still answers.
    final_reply: Option<Reply>,
    /// The `Finished` result was built without its text (see `finish`), to be copied in when
    /// it is taken.
    text_owed: bool,
    /// The outcome, decided while a flush already happened in this frame: released with the
    /// last text at the next frame tick (frame pacing).
    held: Option<StreamResult>,
}

impl Session {
    /// A session whose request was sent at `now`.
    pub fn new(config: Config, now: Millis) -> Self {
        let decoder = StreamDecoder::new(config.protocol, config.max_event_bytes);
        let batcher = Batcher::new(config.flush);
        Session::with(config, now, decoder, Metrics::new(now), batcher, 0)
    }

    /// A session at `now` around its decoder, metrics, batcher and content bytes so far (a
    /// new one, or the next attempt of a resumed stream). Built once, not built and then
    /// partly replaced: smaller wasm.
    fn with(
        config: Config,
        now: Millis,
        decoder: StreamDecoder,
        metrics: Metrics,
        batcher: Batcher,
        content_bytes: usize,
    ) -> Self {
        let decoder = if config.emit_events {
            decoder
        } else {
            decoder.quiet()
        };
        let watchdog = Watchdog::new(
            Timeouts {
                first_byte_ms: config.first_byte_timeout_ms,
                idle_ms: config.idle_timeout_ms,
                content_ms: config.content_timeout_ms,
                total_ms: config.total_timeout_ms,
            },
            now,
        );
        // A resumed reply that already had its finish reason (an end signal) keeps it.
        let saw_finish = decoder.reply().finish_reason.is_some();
        Session {
            config,
            start: now,
            decoder,
            watchdog,
            batcher,
            metrics,
            outputs: Fifo::default(),
            body: Body::Stream,
            head_seen: false,
            body_buf: Vec::new(),
            last_now: now,
            content_bytes,
            saw_finish,
            body_over: false,
            final_reply: None,
            text_owed: false,
            held: None,
        }
    }

    /// The next attempt of this stream, its request sent at `now` (SSE resume; see the module
    /// docs). Meant for a finished session; on a running one it continues from the reply so
    /// far (the host must have closed the connection).
    pub fn resume(&self, now: Millis) -> Session {
        let reply = match &self.final_reply {
            Some(r) => r.clone(),
            None => self.decoder.reply().clone(),
        };
        let mut content_bytes = reply.text.len() + reply.thinking.len();
        for c in &reply.tool_calls {
            let call = c.arguments.len()
                + c.id.as_ref().map_or(0, String::len)
                + c.name.as_ref().map_or(0, String::len);
            content_bytes = content_bytes.saturating_add(call);
        }
        let batcher = Batcher::starting_at(self.config.flush, reply.text.len());
        let decoder = StreamDecoder::resumed(
            self.config.protocol,
            self.config.max_event_bytes,
            reply,
            self.resume_id(),
            self.retry_ms(),
        );
        let metrics = self.metrics.resume(
            now,
            self.decoder.frames(),
            self.decoder.keep_alives(),
            self.body_over,
        );
        Session::with(
            self.config.clone(),
            now,
            decoder,
            metrics,
            batcher,
            content_bytes,
        )
    }

    /// After `outcome` (this session's), the delay before resuming, or `None`: the policy's
    /// [`RetryPolicy::resume_delay`] with this stream's `retry:` value, for [`Protocol::Sse`]
    /// only, and only when [`Session::resume_id`] is set or nothing was delivered (without
    /// an ID the server starts over, which would repeat the text). `attempt` is 1-based and
    /// counts every attempt so far. The host also checks that the request is a GET.
    pub fn resume_delay(
        &self,
        policy: &RetryPolicy,
        attempt: u32,
        outcome: &StreamResult,
        random: f64,
    ) -> Option<u64> {
        if self.config.protocol != Protocol::Sse
            || (self.resume_id().is_empty() && !nothing_delivered(outcome))
        {
            return None;
        }
        policy.resume_delay(attempt, outcome, self.retry_ms(), random)
    }

    /// The response status and headers arrived. Ignored when called twice or after the
    /// first body byte.
    pub fn handle_response_head(&mut self, now: Millis, status: u16, headers: &[(&str, &str)]) {
        let Some(now) = self.begin(now, true) else {
            return;
        };
        if self.head_seen {
            return;
        }
        self.head_seen = true;
        self.metrics.on_head(now);
        let content_type = head::header(headers, "content-type");
        self.decoder.set_headers(headers);
        let retry_after_ms = head::retry_after_ms(headers);
        self.body = if !(200..300).contains(&status) {
            Body::HttpError {
                status,
                retry_after_ms,
            }
        } else {
            match head::classify(content_type, self.config.protocol) {
                BodyKind::Stream => Body::Stream,
                BodyKind::JsonBody => Body::Json { retry_after_ms },
                BodyKind::Unexpected { media_type } => Body::Unexpected { media_type },
            }
        };
    }

    /// A body chunk arrived. An empty chunk is not a byte (it stops no timer).
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub fn handle_bytes(&mut self, now: Millis, bytes: &[u8]) {
        let Some(now) = self.begin(now, true) else {
            return;
        };
        if bytes.is_empty() {
            return;
        }
        // Bytes without a head: a 200 of unknown type (tests, simple hosts).
        self.head_seen = true;
        self.metrics.on_bytes(now, bytes.len());
        self.watchdog.on_bytes(now);
        let cap = match self.body {
            Body::Stream => {
                self.decoder.feed(bytes);
                self.drain(now, true);
                if !self.decided() {
                    let flush = self.batcher.end_of_input(now);
                    self.emit_text(flush);
                }
                return;
            }
            Body::HttpError { .. } | Body::Json { .. } => head::ERROR_BODY_PREFIX,
            Body::Unexpected { .. } => head::BODY_PREVIEW_BYTES,
        };
        let room = cap.saturating_sub(self.body_buf.len());
        self.body_buf
            .extend_from_slice(bytes.get(..room).unwrap_or(bytes));
        if self.body_buf.len() >= cap {
            // Enough to decide: stop reading and close the connection.
            self.finish_body(now, true);
        }
    }

    /// The body ended cleanly: the decoder's verdict (complete, truncated, or an error).
    pub fn handle_eof(&mut self, now: Millis) {
        let Some(now) = self.begin(now, false) else {
            return;
        };
        self.body_over = true;
        self.finish_body(now, false);
    }

    /// The connection failed. Before the provider's finish reason this is `network_error`;
    /// after it (the provider said it was done, only the terminator or the clean close was
    /// lost) the text is whole and the outcome is `complete`. While reading a non-stream body
    /// (an HTTP error, a JSON or HTML body) the verdict on that body wins: its status or
    /// content type says more than the failure.
    pub fn handle_error(&mut self, now: Millis, error: NetworkError) {
        let Some(now) = self.begin(now, false) else {
            return;
        };
        if self.body != Body::Stream {
            self.finish_body(now, false);
            return;
        }
        if self.saw_finish {
            self.finish(now, None, false);
            return;
        }
        let kind = match error.kind {
            NetworkErrorKind::Refused => "connection refused",
            NetworkErrorKind::Reset => "connection reset",
            NetworkErrorKind::Other => "network error",
        };
        let message = if error.message.is_empty() {
            kind.to_owned()
        } else {
            cat(&[kind, ": ", &error.message])
        };
        self.finish(
            now,
            Some(StreamError::new(ErrorCode::NetworkError, message)),
            false,
        );
    }

    /// The caller aborted: `aborted`, with the text so far (flushed first). No
    /// `AbortRequest`: the caller already aborted the request.
    pub fn handle_abort(&mut self, now: Millis) {
        let Some(now) = self.begin(now, false) else {
            return;
        };
        self.finish(
            now,
            Some(StreamError::new(
                ErrorCode::Aborted,
                "aborted by the caller",
            )),
            false,
        );
    }

    /// The host's timer fired (maybe late, maybe early: early or spurious is a no-op).
    pub fn handle_timeout(&mut self, now: Millis) {
        // `begin` re-checks the deadlines and flushes interval text that is due.
        let _ = self.begin(now, true);
    }

    /// An animation frame (or the hidden-page fallback tick): deadlines are re-checked, then
    /// the batcher releases what the mode allows (at most one `Output::Text`).
    pub fn handle_frame(&mut self, now: Millis) {
        if self.release_held(now.max(self.last_now)) {
            return;
        }
        let Some(now) = self.begin(now, true) else {
            return;
        };
        let flush = self
            .batcher
            .on_frame(now, self.decoder.reply().text.as_str());
        self.emit_text(flush);
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        let mut out = self.poll_output_textless()?;
        if let Output::Finished(result) = &mut out {
            self.settle(result);
        }
        Some(out)
    }

    /// The next output; a `Finished` result may still lack its text (the driver hands it out
    /// later and calls [`Session::settle`] then).
    pub(crate) fn poll_output_textless(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// Gives this session's result its text, once (a copy of [`Session::text`]).
    pub(crate) fn settle(&mut self, result: &mut StreamResult) {
        if core::mem::take(&mut self.text_owed) {
            result.text = self.text().to_owned();
        }
    }

    /// When the host's one timer should fire next: the earliest armed timer deadline, and in
    /// interval mode the next flush. Never includes frames. `None` after the outcome.
    pub fn poll_deadline(&self) -> Option<Millis> {
        if self.decided() {
            return None;
        }
        Millis::earliest(self.watchdog.deadline(), self.batcher.deadline())
    }

    /// The four timer deadlines, each of which only moves later.
    pub fn timer_deadlines(&self) -> Deadlines {
        if self.decided() {
            return Deadlines::default();
        }
        self.watchdog.deadlines()
    }

    /// Whether the host should request an animation frame (text is pending and a frame would
    /// release some).
    pub fn wants_frame(&self) -> bool {
        self.held.is_some() || (!self.decided() && self.batcher.wants_frame(self.text()))
    }

    /// Whether the final outcome was produced (`Output::Finished` is queued or was polled):
    /// nothing else will be output. While the last flush waits for a frame tick (frame
    /// pacing) the outcome is decided but not produced: this is `false` and
    /// [`Session::wants_frame`] is `true`.
    pub fn is_finished(&self) -> bool {
        self.decided() && self.held.is_none()
    }

    /// Whether the outcome is decided: every further input is ignored (but a held final
    /// flush still waits for a frame tick).
    fn decided(&self) -> bool {
        self.final_reply.is_some()
    }

    /// The text so far (everything decoded, flushed or not).
    pub fn text(&self) -> &str {
        match &self.final_reply {
            Some(r) => &r.text,
            None => &self.decoder.reply().text,
        }
    }

    /// Live stats at `now`.
    pub fn stats(&self, now: Millis) -> Stats {
        self.metrics.stats(
            now.max(self.last_now),
            self.decoder.frames(),
            self.decoder.keep_alives(),
            self.body_over,
        )
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The SSE last event ID to resume from (the `Last-Event-ID` of the next attempt): the ID
    /// as of the last complete event (blank line), carried over from earlier attempts. An `id`
    /// of an event the connection lost before its blank line does not count.
    pub fn resume_id(&self) -> &str {
        self.decoder.resume_id()
    }

    /// The last `retry:` value (carried over from earlier attempts).
    pub fn retry_ms(&self) -> Option<u64> {
        self.decoder.retry_ms()
    }

    /// Common start of every `handle_*`: nothing after the outcome; clamp the clock; re-check
    /// the deadlines against `now` (a late timer callback is classified by the timer that
    /// expired first); flush interval text that is due. `open`: the connection is still open,
    /// so a stall asks for an abort.
    fn begin(&mut self, now: Millis, open: bool) -> Option<Millis> {
        if self.decided() {
            return None;
        }
        let now = now.max(self.last_now);
        self.last_now = now;
        if let Some((phase, _deadline)) = self.watchdog.expired(now) {
            if self.saw_finish {
                // After the provider's end signal the text is whole: only the terminator or
                // the close is late. Complete, and release the connection.
                self.finish(now, None, open);
                return None;
            }
            let mut e = StreamError::new(
                ErrorCode::Stalled,
                stall_message(phase, self.watchdog.timeout_of(phase)),
            );
            e.phase = Some(phase);
            e.elapsed_ms = Some(now.since(self.start));
            self.finish(now, Some(e), open);
            return None;
        }
        let flush = self.batcher.poll(now);
        self.emit_text(flush);
        Some(now)
    }

    /// Drains decoded events. `open`: the body is still open (an end asks for an abort).
    /// Text and thinking arrive as places in the reply: nothing is copied unless an event is
    /// emitted (thinking with `emit_events`) or text is flushed.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn drain(&mut self, now: Millis, open: bool) {
        while !self.decided() {
            let Some(decoded) = self.decoder.next_decoded() else {
                break;
            };
            let event = match decoded {
                Decoded::Text(range) => {
                    self.on_content(now, range.len());
                    self.sync_text(now, range.end);
                    None
                }
                Decoded::Thinking(range) => {
                    self.on_content(now, range.len());
                    self.config.emit_events.then(|| StreamEvent::Thinking {
                        text: self.decoder.slice(range, true).to_owned(),
                    })
                }
                Decoded::Event(StreamEvent::End(error)) => {
                    self.body_over = true;
                    self.finish(now, error, open);
                    break;
                }
                Decoded::Event(event) => {
                    let size = match &event {
                        StreamEvent::ToolCall {
                            id,
                            name,
                            arguments,
                            ..
                        } => {
                            arguments.len()
                                + id.as_ref().map_or(0, String::len)
                                + name.as_ref().map_or(0, String::len)
                        }
                        StreamEvent::Finish { .. } => {
                            self.saw_finish = true;
                            0
                        }
                        _ => 0,
                    };
                    if event.is_content() {
                        self.on_content(now, size);
                    }
                    self.config.emit_events.then_some(event)
                }
            };
            if let Some(event) = event {
                self.outputs.push_back(Output::Event(event));
            }
            let cap = self.config.max_text_bytes;
            if cap > 0 && self.content_bytes > cap {
                let mut message = String::from("the text exceeded the ");
                push_usize(&mut message, cap);
                message.push_str("-byte cap");
                let e = StreamError::new(ErrorCode::TextTooLarge, message);
                self.finish(now, Some(e), open);
            }
        }
    }

    /// A content delta of `size` bytes at `now`: the content timer, the stats, the cap.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn on_content(&mut self, now: Millis, size: usize) {
        self.watchdog.on_content(now);
        self.metrics.on_content(now);
        self.content_bytes = self.content_bytes.saturating_add(size);
    }

    /// Hands the batcher `reply().text` up to `end` (the end of a delta just taken), flushing
    /// if the mode says so. Taking it from the reply (not the event) makes "flushes
    /// concatenate to the final text" hold by construction.
    fn sync_text(&mut self, now: Millis, end: usize) {
        let text = self.decoder.reply().text.as_str();
        if end <= self.batcher.end() || !text.is_char_boundary(end) {
            return;
        }
        let flush = self.batcher.push(now, text, end);
        self.emit_text(flush);
    }

    /// Emits a flush, if any: the range of the text the batcher released.
    #[inline(always)]
    fn emit_text(&mut self, flush: Option<Range<usize>>) {
        if let Some(range) = flush {
            self.emit_range(range);
        }
    }

    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn emit_range(&mut self, range: Range<usize>) {
        let text = self.text().get(range).unwrap_or_default().to_owned();
        self.metrics.on_flush();
        self.outputs.push_back(Output::Text(text));
    }

    /// The body is over (EOF, a failure, or a full non-stream prefix): the verdict.
    fn finish_body(&mut self, now: Millis, open: bool) {
        let protocol = self.config.protocol;
        let error = match &self.body {
            Body::Stream => {
                let verdict = self.decoder.finish();
                // The decoder may release a last event (an unterminated NDJSON line).
                self.drain(now, open);
                if self.decided() {
                    return;
                }
                verdict
            }
            Body::HttpError {
                status,
                retry_after_ms,
            } => Some(head::http_error(
                *status,
                *retry_after_ms,
                &self.body_buf,
                protocol,
            )),
            Body::Json { retry_after_ms } => Some(head::json_body_error(
                &self.body_buf,
                protocol,
                *retry_after_ms,
            )),
            Body::Unexpected { media_type } => Some(head::unexpected_type_error(
                media_type,
                protocol,
                &self.body_buf,
            )),
        };
        self.finish(now, error, open);
    }

    /// Produces the outcome: pending text first (one flush), then `AbortRequest` if the
    /// connection is still open, then `Finished`.
    fn finish(&mut self, now: Millis, error: Option<StreamError>, open: bool) {
        if self.decided() {
            return;
        }
        // Frame pacing: never two flushes in one frame, the final one included. When this
        // frame already had its flush, the rest of the text and the outcome wait for the next
        // frame tick (the connection is released now).
        let hold = self.batcher.frame_paced()
            && self.batcher.flushed_this_frame()
            && self.batcher.has_pending();
        if !hold {
            let flush = self.batcher.drain_all(now);
            self.emit_text(flush);
        }
        if open {
            self.outputs.push_back(Output::AbortRequest);
        }
        if hold {
            // The held flush is counted now: the outcome's stats describe the whole stream.
            self.metrics.on_flush();
        }
        let stats = self.stats(now);
        let mut reply = self.decoder.take_reply();
        // The result gets its text when it is taken (`poll_output`): by then the host has taken
        // the last flush, so a long text is never held three times (reply, flush, result).
        let text = core::mem::take(&mut reply.text);
        let result = StreamResult::new(reply.clone(), error, stats);
        reply.text = text;
        self.text_owed = true;
        if hold {
            self.held = Some(result);
        } else {
            self.outputs.push_back(Output::Finished(result));
        }
        self.final_reply = Some(reply);
        self.body_buf = Vec::new();
    }

    /// A frame tick while the final flush is held (see `finish`): the text, then the outcome.
    fn release_held(&mut self, now: Millis) -> bool {
        let Some(result) = self.held.take() else {
            return false;
        };
        if let Some(range) = self.batcher.drain_all(now) {
            let text = self.text().get(range).unwrap_or_default().to_owned();
            self.outputs.push_back(Output::Text(text));
        }
        self.outputs.push_back(Output::Finished(result));
        true
    }
}
