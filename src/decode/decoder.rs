//! [`StreamDecoder`]: the framer, the provider decoder and the reply accumulator, fed bytes
//! (or frames that are already framed) and drained one event at a time.

use super::auto;
use super::errors::invalid_json;
use super::event::StreamEvent;
use super::framing::{FrameRef, Framer, Framing};
use super::protocol::{Decoder, Protocol, ProviderDecoder};
use super::raw;
use super::sink::{Decoded, EventSink};
use crate::error::{ErrorCode, FrameError, StreamError};
use crate::json::Tape;
use crate::outcome::Reply;
use crate::sse::{Item, ItemRef, DEFAULT_MAX_EVENT_BYTES};
use crate::text::trim;

/// Framing + provider decoder + reply accumulator. See the [module docs](super) for the
/// calling sequence and the verdicts.
#[derive(Debug)]
pub struct StreamDecoder {
    requested: Protocol,
    max_event_bytes: usize,
    framer: Framer,
    /// What the response head said about a body it left undecided (`auto`'s body rules).
    hint: auto::Hint,
    /// Everything a frame changes (apart from the framer, which lends the frame).
    st: State,
    /// The ID a resumed stream reconnected with (seeds every SSE parser created); empty for
    /// a new stream.
    resume_seed: String,
    /// The verdict, once `finish()` ran (later calls repeat it, later input is ignored).
    verdict: Option<Option<StreamError>>,
}

/// The decoding state: what frames are decoded with and into.
#[derive(Debug)]
struct State {
    resolved: Protocol,
    decoder: Decoder,
    /// The decoded events and the reply they build.
    sink: EventSink,
    frames: u64,
    retry_ms: Option<u64>,
    /// The JSON tape, reused from frame to frame.
    tape: Tape,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        StreamDecoder::new(Protocol::Auto, DEFAULT_MAX_EVENT_BYTES)
    }
}

impl StreamDecoder {
    /// A decoder for `protocol`, with a cap on event size.
    pub fn new(protocol: Protocol, max_event_bytes: usize) -> Self {
        StreamDecoder::seeded(protocol, max_event_bytes, String::new())
    }

    /// A decoder that continues a stream in a new connection (SSE resume): the reply so far
    /// is kept (new deltas append to it), the SSE last event ID starts as `resume_id` (the ID
    /// the reconnect sent as `Last-Event-ID`) and the `retry:` value as `retry_ms` (both
    /// persist across reconnections, as in `EventSource`). Frame counts and event indexes
    /// start again at 0.
    pub fn resumed(
        protocol: Protocol,
        max_event_bytes: usize,
        reply: Reply,
        resume_id: &str,
        retry_ms: Option<u64>,
    ) -> Self {
        let mut d = StreamDecoder::seeded(protocol, max_event_bytes, resume_id.to_owned());
        d.st.retry_ms = retry_ms;
        d.st.sink = EventSink::resumed(reply);
        d
    }

    fn seeded(protocol: Protocol, max_event_bytes: usize, resume_seed: String) -> Self {
        let mut d = StreamDecoder {
            requested: protocol,
            max_event_bytes,
            framer: Framer::sniffer(),
            hint: auto::Hint::default(),
            st: State {
                resolved: Protocol::Auto,
                decoder: Decoder::Undecided,
                sink: EventSink::default(),
                frames: 0,
                retry_ms: None,
                tape: Tape::default(),
            },
            resume_seed,
            verdict: None,
        };
        if let Some(framing) = protocol.framing() {
            d.framer = Framer::new(framing, max_event_bytes, &d.resume_seed);
            d.st.decide(protocol);
        } else if protocol != Protocol::Auto {
            // A protocol with two framings (gemini): the response chooses one.
            d.st.decide(protocol);
        }
        d
    }

    /// The response headers, before the first `feed`. `auto` reads its framing (and for the
    /// AI SDK, the protocol) from them, and `gemini` which of its forms (see the `auto`
    /// rules); a protocol with one framing ignores them, and so does every protocol once
    /// bytes were fed.
    pub fn set_headers(&mut self, headers: &[(&str, &str)]) {
        if !self.framer.is_fresh_sniffer() {
            return;
        }
        match auto::from_headers(self.requested, headers) {
            Ok(decision) => self.apply_decision(decision),
            Err(hint) => self.hint = hint,
        }
    }

    /// [`StreamDecoder::set_headers`] with the Content-Type as the only header.
    pub fn set_content_type(&mut self, content_type: &str) {
        self.set_headers(&[("content-type", content_type)]);
    }

    /// Applies an `auto` decision: starts the framing (replaying what the sniffer held) and
    /// decides the protocol when the decision names one.
    fn apply_decision(&mut self, decision: auto::Decision) {
        self.framer
            .start(decision.framing, self.max_event_bytes, &self.resume_seed);
        if let Some(protocol) = decision.protocol {
            self.st.decide(protocol);
        }
    }

    fn closed(&self) -> bool {
        self.st.sink.end().is_some() || self.verdict.is_some()
    }

    /// Hands in the next chunk.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.closed() {
            return;
        }
        self.framer.feed(bytes);
        self.sniff(false);
    }

    /// While the framing is not known: applies the body rules to what the sniffer holds.
    fn sniff(&mut self, at_eof: bool) {
        let decision = self.framer.sniffing().and_then(|s| {
            let decisive = s.decisive()?;
            auto::from_body(self.requested, self.hint, decisive, at_eof)
        });
        if let Some(decision) = decision {
            self.apply_decision(decision);
        }
    }

    /// Hands in an item that is already framed (bypassing the byte framer).
    pub fn feed_item(&mut self, item: Item) {
        if !self.closed() {
            self.st.on_item(match &item {
                Item::Event(ev) => ItemRef::Event {
                    event_type: &ev.event_type,
                    data: &ev.data,
                },
                Item::Retry(ms) => ItemRef::Retry(*ms),
                Item::Comment => ItemRef::Comment,
            });
        }
    }

    /// Hands in one NDJSON line that is already framed (bypassing the byte framer).
    pub fn feed_line(&mut self, line: &str) {
        if !self.closed() {
            if matches!(self.st.decoder, Decoder::Undecided) {
                self.st.decide(auto::NDJSON_PROTOCOL);
            }
            self.st.on_line(line, false);
        }
    }

    /// The next decoded event.
    pub fn next_event(&mut self) -> Option<StreamEvent> {
        loop {
            if let Some(event) = self.st.sink.pop() {
                return Some(event);
            }
            if self.closed() || !self.pull_one() {
                return None;
            }
        }
    }

    /// The next decoded event, text and thinking by their place in the reply (the session's
    /// path: no `String` per delta).
    pub(crate) fn next_decoded(&mut self) -> Option<Decoded> {
        loop {
            if let Some(event) = self.st.sink.pop_decoded() {
                return Some(event);
            }
            if self.closed() || !self.pull_one() {
                return None;
            }
        }
    }

    /// No `Meta` or `KeepAlive` events from now on (the session when nobody takes events:
    /// they change nothing else; keep-alives are still counted).
    pub(crate) fn quiet(mut self) -> Self {
        self.st.sink.set_quiet();
        self
    }

    /// `reply().text[range]` (or the thinking's), for a [`Decoded`] delta.
    pub(crate) fn slice(&self, range: core::ops::Range<usize>, thinking: bool) -> &str {
        self.st.sink.slice(range, thinking)
    }

    /// Takes one frame from the framer and decodes it; `false` when the framer needs bytes.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn pull_one(&mut self) -> bool {
        let Some(frame) = self.framer.next_frame_ref() else {
            return false;
        };
        let st = &mut self.st;
        match frame {
            FrameRef::Item(item) => st.on_item(item),
            FrameRef::Line(line) => {
                st.on_line(line, false);
            }
            FrameRef::Value(value) => st.on_value(&value),
            FrameRef::Closed => {
                if st.sink.has_finish() {
                    st.sink.complete();
                } else {
                    let mut message = String::from("the JSON array closed ");
                    message.push_str(st.expected());
                    st.sink
                        .fail(StreamError::new(ErrorCode::Truncated, message));
                }
            }
            FrameRef::Invalid(what) => {
                let mut message = String::from("the body is not a JSON array: ");
                message.push_str(&what);
                let mut err = StreamError::new(ErrorCode::InvalidJson, message);
                err.event_index = Some(st.frames);
                st.sink.fail(err);
            }
            FrameRef::Text(text) => raw::on_text(text, &mut st.sink),
            FrameRef::InvalidUtf8 => st.sink.meta(raw::INVALID_UTF8),
            FrameRef::Error(e) => st.on_too_large(e),
        }
        self.framer.recycle();
        true
    }

    /// End of body: the verdict.
    pub fn finish(&mut self) -> Option<StreamError> {
        if let Some(v) = &self.verdict {
            return v.clone();
        }
        let mut unterminated = false;
        let mut open_array = false;
        // A body too short for the sniffer to decide is decided now.
        self.sniff(true);
        if self.st.sink.end().is_none() {
            // Whatever the framer still holds comes first (the caller may not have drained).
            while self.st.sink.end().is_none() && self.pull_one() {}
        }
        if self.st.sink.end().is_none() {
            let end = self.framer.finish();
            unterminated = end.unterminated;
            open_array = end.open_array;
            if let Some(line) = end.last_line {
                unterminated = !self.st.on_line(&line, true);
            }
            // The framer may release a last frame (plain text's held code point).
            while self.st.sink.end().is_none() && self.pull_one() {}
        }
        let verdict = match self.st.sink.end() {
            Some(e) => e.clone(),
            None if self.st.sink.has_finish() => None,
            None if matches!(self.st.decoder, Decoder::Text) && !unterminated => None,
            None => Some(self.truncated(unterminated, open_array)),
        };
        self.verdict.insert(verdict).clone()
    }

    fn truncated(&self, unterminated: bool, open_array: bool) -> StreamError {
        let mut message = String::from("the body ended ");
        message.push_str(self.st.expected());
        if unterminated && !matches!(self.st.decoder, Decoder::Text) {
            message.push_str(" (inside an unterminated ");
            message.push_str(self.framer.frame_name());
            message.push(')');
        } else if open_array {
            message.push_str(" (inside a JSON array that was never closed)");
        }
        StreamError::new(ErrorCode::Truncated, message)
    }

    /// Everything received so far. Text and thinking are appended as their frame is decoded:
    /// while the events of one frame are being taken, the reply already holds all of that
    /// frame's text.
    pub fn reply(&self) -> &Reply {
        self.st.sink.reply()
    }

    /// Takes the reply out (at the end): what the events returned so far applied. The text
    /// of events not returned yet stays for the next reply.
    pub fn take_reply(&mut self) -> Reply {
        self.st.sink.take_reply()
    }

    /// Frames decoded (SSE events + NDJSON lines).
    pub fn frames(&self) -> u64 {
        self.st.frames
    }

    /// Comments and provider pings.
    pub fn keep_alives(&self) -> u64 {
        self.st.sink.keep_alives()
    }

    /// The resolved protocol (`Auto` until decided).
    pub fn protocol(&self) -> Protocol {
        self.st.resolved
    }

    /// The SSE parser's last event ID *buffer*: set by every `id` line as it is parsed (see
    /// [`crate::sse::SseParser::last_event_id_buffer`]). Empty before any SSE framing.
    pub fn last_event_id_buffer(&self) -> &str {
        self.framer.sse().map_or("", |p| p.last_event_id_buffer())
    }

    /// The ID a reconnect sends as `Last-Event-ID`: the SSE last event ID as of the last
    /// blank line (see [`crate::sse::SseParser::resume_id`]). Before any SSE framing: the ID
    /// this decoder was resumed with.
    pub fn resume_id(&self) -> &str {
        match self.framer.sse() {
            Some(p) => p.resume_id(),
            None => &self.resume_seed,
        }
    }

    /// The last valid `retry:` value.
    pub fn retry_ms(&self) -> Option<u64> {
        self.st.retry_ms
    }
}

impl State {
    fn decide(&mut self, protocol: Protocol) {
        self.resolved = protocol;
        self.decoder = protocol.decoder();
    }

    /// What was still expected when the body ended: "before [DONE] and ...".
    fn expected(&self) -> &'static str {
        match &self.decoder {
            Decoder::Json(_, d) => d.truncated_before(),
            Decoder::Text => raw::TRUNCATED,
            Decoder::Undecided => "before any event",
        }
    }

    /// One JSON value of a JSON values body (a Gemini array element).
    fn on_value(&mut self, text: &str) {
        let index = self.frames;
        self.frames += 1;
        let text = trim(text);
        match self.tape.parse(text) {
            Ok(value) => {
                if let Decoder::Json(_, d) = &mut self.decoder {
                    d.on_json("", value, index, &mut self.sink);
                }
            }
            Err(e) => self.sink.fail(invalid_json(text, index, &e)),
        }
    }

    /// A line or event over the cap: the stream ends with `event_too_large`.
    fn on_too_large(&mut self, e: FrameError) {
        let mut err = StreamError::new(ErrorCode::EventTooLarge, e.message());
        err.event_index = Some(self.frames);
        self.sink.fail(err);
    }

    fn on_item(&mut self, item: ItemRef<'_>) {
        match item {
            ItemRef::Comment => self.sink.keep_alive(),
            ItemRef::Retry(ms) => self.retry_ms = Some(ms),
            ItemRef::Event { event_type, data } => self.on_event(event_type, data),
            ItemRef::TooLarge(limit) => self.on_too_large(FrameError::EventTooLarge { limit }),
        }
    }

    fn on_event(&mut self, event_type: &str, data: &str) {
        let index = self.frames;
        self.frames += 1;
        if matches!(self.decoder, Decoder::Undecided) {
            match auto::detect(event_type, data, &mut self.tape) {
                Some(p) => self.decide(p),
                None => return,
            }
        }
        let sink = &mut self.sink;
        let decoder = match &mut self.decoder {
            Decoder::Json(_, d) => d,
            Decoder::Text => {
                raw::on_text(data, sink);
                return;
            }
            Decoder::Undecided => return,
        };
        let data = trim(data);
        if data.is_empty() || (event_type == "ping" && !decoder.decodes_pings()) {
            // Meta-only or a ping: never JSON-decoded.
            if event_type == "ping" {
                sink.keep_alive();
            }
            return;
        }
        if decoder.on_signal(data, sink) {
            return;
        }
        match self.tape.parse(data) {
            Ok(value) => decoder.on_json(event_type, value, index, sink),
            Err(e) => sink.fail(invalid_json(data, index, &e)),
        }
    }

    /// One NDJSON line. `at_eof`: the unterminated final fragment, where invalid JSON means the
    /// body was cut mid-line (returns `false`) rather than `invalid_json`.
    fn on_line(&mut self, line: &str, at_eof: bool) -> bool {
        let index = self.frames;
        self.frames += 1;
        let mut line = trim(line);
        if index == 0 {
            // A BOM before the first line (the splitter keeps it; the sniffer skipped it).
            while let Some(rest) = line.strip_prefix("\u{feff}") {
                line = rest;
            }
        }
        if line.is_empty() {
            return true;
        }
        let value = match self.tape.parse(line) {
            Ok(v) => v,
            Err(_) if at_eof => return false,
            Err(e) => {
                self.sink.fail(invalid_json(line, index, &e));
                return true;
            }
        };
        if !self.decoder.reads(Framing::Ndjson) {
            // A line handed in to a decoder of another framing: lines are NDJSON's.
            self.decoder = auto::NDJSON_PROTOCOL.decoder();
        }
        if let Decoder::Json(_, d) = &mut self.decoder {
            d.on_json("", value, index, &mut self.sink);
        }
        true
    }
}
