//! Provider decoders: body bytes (or frames that are already framed) in, [`StreamEvent`]s
//! out, and the verdict at the end.
//!
//! # Using it
//!
//! [`StreamDecoder`] is framing (SSE, NDJSON, JSON values or plain text, chosen by the
//! protocol or by `auto`) + the provider decoder + the [`Reply`](crate::outcome::Reply)
//! accumulator (text appended, tool calls merged by index, usage merged, finish reason and the
//! provider's own `raw_finish_reason`). Pure, incremental, never panics.
//! - `new(protocol, max_event_bytes)`, or `resumed(protocol, max, reply, resume_id,
//!   retry_ms)` to continue a stream in a new connection (SSE resume).
//! - `set_headers(&[(name, value)])` (or `set_content_type`): the response head, before the
//!   first `feed` (for `auto`, and `gemini`'s two forms).
//! - `feed(&[u8])`, then drain `next_event()` until `None`. `feed_item(sse::Item)` and
//!   `feed_line(&str)` hand in input that is already framed (an `EventSource`, a test).
//! - `next_event() -> Option<StreamEvent>`: content events are already applied to `reply()`
//!   (text and thinking as their frame is decoded, the rest when returned; `take_reply()`
//!   holds what the events returned so far applied). After `StreamEvent::End(..)` it returns `None` forever and ignores input.
//! - `finish() -> Option<StreamError>`: at EOF, after draining. `None` = complete (an end
//!   signal was seen), `Some(truncated error)` otherwise; if `End(e)` was already emitted,
//!   returns `e`. May first emit remaining events (e.g. an unterminated final NDJSON line that
//!   is valid): call `next_event()` again after `finish()`.
//! - `reply()`, `frames()` (SSE events dispatched + NDJSON lines + JSON values; plain text has
//!   none), `keep_alives()` (comments +
//!   provider pings), `protocol()` (the resolved one, `Auto` until decided), `resume_id()`
//!   (the ID to reconnect with), `last_event_id_buffer()`, `retry_ms()` (last `retry:` value).
//!
//! # End signals and verdicts
//!
//! | protocol | terminator (`End(None)` at once) | finish signal (`Finish`) |
//! |---|---|---|
//! | `openai` | `data: [DONE]` (with or without the space) | a non-null `finish_reason` |
//! | `openai-responses` | `response.completed`, `response.incomplete` | (the terminator carries it) |
//! | `anthropic` | `message_stop` | `message_delta.delta.stop_reason` |
//! | `ollama` | a line with `"done": true` | (the terminator carries it) |
//! | `gemini` (SSE) | none | a candidate's `finishReason` |
//! | `gemini` (JSON array) | the array's `]` (`truncated` when no `finishReason` came before it) | a candidate's `finishReason` |
//! | `ai-sdk` | `data: [DONE]` | the `finish` part (with or without `finishReason`) |
//! | `sse` (raw) | none: a clean close after a whole event is complete, `finishReason` null | none |
//! | `text` | none: a clean close is complete, `finishReason` null | none |
//!
//! A terminator that arrives without any finish reason before it implies `stop` (a `Finish
//! {reason: Stop, raw: None}` event is emitted just before `End(None)`), so a complete outcome
//! always carries a finish reason except for raw SSE and plain text. `raw` (the reply's
//! `raw_finish_reason`) is the provider's own string exactly as sent (`end_turn`, `STOP`,
//! `tool-calls`, `length`; the Responses `status` or `incomplete_details.reason`), `None`
//! when the provider sent none. A finish reason is the stream's end signal: the session
//! reports a later stall or network failure as `complete` (see [`crate::session`]). At EOF without a terminator,
//! [`StreamDecoder::finish`] returns `None` (complete) when a finish reason was seen (the text
//! is whole), and a `truncated` error otherwise, saying whether the body ended inside an event.
//!
//! Provider errors (`{"error": ...}` in a chunk, Anthropic `event: error`, Responses `error` and
//! `response.failed`, an Ollama `{"error": "..."}` line, Gemini's `{"error": {code, message,
//! status}}` and a prompt blocked by `promptFeedback`, the AI SDK's `error` and `abort` parts)
//! end the stream at once with
//! `End(Some(provider_error))`: the host reports them without waiting for the close. Whether
//! one is retryable comes from the one table in [`crate::retryable`].
//!
//! Keep-alives (SSE comments, Anthropic `ping`, an OpenAI-compatible `event: ping`), `retry:`
//! fields and events whose data is empty or only whitespace never reach JSON decoding. A data
//! line (or NDJSON line) that is not JSON ends the stream with `invalid_json`, carrying the
//! frame's 0-based index; the text before it stays in the reply. An unterminated final NDJSON
//! fragment that is not JSON is a truncation, not `invalid_json` (the body was cut mid-line).
//! Bytes that cannot continue a JSON array (`x` where a `,` or `]` belongs) are `invalid_json`
//! too; a JSON value that is not the protocol's shape where one is required (an AI SDK part
//! without a string `type`) is `invalid_event`. Parts and events of a type a decoder does not
//! know are `meta` events named by their type, never text. A plain-text body's bytes that are
//! not UTF-8 become U+FFFD (as `TextDecoder` does) and are reported once with a `meta` event
//! named `invalid_utf8`; the outcome is still decided by how the body ended.
//!
//! # Adding a protocol
//!
//! The places a new protocol touches, and nothing else:
//! 1. its own file here (`src/decode/<name>.rs`): a `ProviderDecoder` (in `protocol.rs`) reading
//!    each frame's JSON through `json.rs` and pushing into the `EventSink` (`sink.rs`);
//! 2. the registry, `protocol.rs`: a `Protocol` variant with its stable name, its framing, and
//!    its decoder in `JsonDecoder` (the compiler lists every `match` that must name it);
//! 3. if it can be recognised without being named, one rule in `auto.rs`;
//! 4. the JS vocabulary: the name in `src/web/options.js` and `src/web/api.d.ts`
//!    (`tests/ts_vocabulary.rs` fails until the `.d.ts` says it);
//! 5. the harness: its wire format in `harness/src/wire.rs` and its scenarios.
//!
//! # `auto`
//!
//! What decides, in order (all of it in `auto.rs`):
//! 1. The head: the header `x-vercel-ai-ui-message-stream` → `ai-sdk` (SSE);
//!    `text/event-stream` → SSE, provider from the first event; an NDJSON media type
//!    (`application/x-ndjson`, `application/ndjson`, `application/jsonl`, ...; the table is
//!    [`crate::http::MEDIA_TYPES`]) → NDJSON, `ollama`.
//! 2. Otherwise the body's first bytes after whitespace and a BOM: `{` → NDJSON (`ollama`);
//!    `[` → one JSON array streamed element by element (`gemini`). Then, when the body is
//!    unlabelled (no head, no Content-Type, `text/plain`, `application/octet-stream`): a body
//!    that starts like SSE (`:`, or `data`, `event`, `id`, `retry` followed by `:` or a line
//!    end) → SSE, anything else → plain text (`text`); with any other label
//!    (`application/json`, ...) → SSE.
//! 3. The first SSE event with data: event type `message_start`, `ping`, `content_block_*`,
//!    `message_delta`/`message_stop`, or JSON `"type"` among those, or JSON
//!    `{"type":"error","error":{..}}` → `anthropic`; event or JSON type starting with
//!    `response.` (or `{"type":"error","message":..}`) → `openai-responses`; a JSON `"type"`
//!    that is an AI SDK part (`start`, `finish`, `text-*`, `reasoning-*`, `tool-*`, `source-*`,
//!    `data-*`, ..., or `error` with `errorText`) → `ai-sdk`; a JSON object with `candidates`,
//!    `promptFeedback` or `usageMetadata`, or an `error` object whose `status` is a string →
//!    `gemini`; a JSON object with `choices`, `object: "chat.completion.chunk"` or `error`, or
//!    `[DONE]` → `openai`; otherwise raw `sse`. Events whose data is only whitespace do not
//!    decide.
//!
//! `gemini` named by the caller chooses its form the same way: `text/event-stream` → SSE;
//! otherwise a body starting with `[` or `{` → JSON values, anything else → SSE.
//!
//! JSON is scanned once per frame (`crate::json`: one linear pass that checks the frame is one
//! valid JSON value, exactly as serde_json would, with its messages, and records a token
//! tape); the decoders then read the members they need from the tape, strings borrowed unless
//! escaped, counts read from their digits. No `serde_json::Value`, no map and no float code,
//! which keeps the wasm small. Text and thinking deltas go from the frame straight into the
//! reply (`EventSink::text_of` unescapes in place): no `String` per delta unless someone takes
//! a [`StreamEvent`].
//!
//! # Layout
//!
//! | file | what it is |
//! |---|---|
//! | `protocol.rs` | the registry: [`Protocol`], its names, framing and decoder; the `ProviderDecoder` trait |
//! | `decoder.rs` | [`StreamDecoder`]: frames to the provider decoder, events to the reply, the verdict |
//! | `framing.rs` | the framer: sniffing, SSE, NDJSON, JSON values ([`crate::json_values`]), plain text ([`crate::utf8`]) |
//! | `auto.rs` | every `auto` rule: framing from the head or the first byte, provider from the first event |
//! | `event.rs`, `sink.rs` | [`StreamEvent`], and the `EventSink` the provider decoders write to |
//! | `reply.rs` | the reply accumulator |
//! | `errors.rs` | `provider_error` and `invalid_json` |
//! | `openai.rs`, `openai_responses.rs`, `anthropic.rs`, `ollama.rs`, `gemini.rs`, `ai_sdk.rs`, `raw.rs` (raw SSE and plain text) | one per protocol |
//!
//! # Adding a protocol
//!
//! 1. Its own file here: a decoder implementing `ProviderDecoder` (`on_json` and
//!    `truncated_before`; `on_signal` and `decodes_pings` when it needs them), its wire format
//!    in the module docs, unit tests feeding an `EventSink`. Text goes in with
//!    `sink.text_of(obj.get("key"))` (unescaped straight into the reply); `Obj::pick` reads
//!    several members in one pass.
//! 2. `protocol.rs`: a [`Protocol`] variant, its stable name (`name`, `ALL`), its framing
//!    (`framing`) and its constructor (`decoder`); for a JSON protocol, a `JsonDecoder`
//!    variant and its arm in `with_decoder!`.
//! 3. If `auto` can recognise it: `auto.rs`, the only place `auto` decides anything (a
//!    header, since [`StreamDecoder::set_headers`] gets them all, or its first event).
//! 4. Only for a framing that does not exist yet: a `Framing` and a `Framer` variant in
//!    `framing.rs`, and its media type in [`crate::http::MEDIA_TYPES`]; the compiler then
//!    points at every `match` on `Framing` (which media types [`crate::head::classify`]
//!    accepts for it, what `auto` decides).
//!
//! Outside the core, the stable name is published in the JS API's TypeScript `Protocol` union
//! (`web/api.rs`) and accepted by the harness CLI; the mock server generates the wire formats
//! it tests (`harness/src/wire.rs`).

mod ai_sdk;
mod anthropic;
mod auto;
mod decoder;
mod errors;
mod event;
mod framing;
mod gemini;
mod ollama;
mod openai;
mod openai_responses;
mod protocol;
mod raw;
mod read;
mod reply;
mod sink;

pub use decoder::StreamDecoder;
pub use event::StreamEvent;
pub(crate) use framing::Framing;
pub use protocol::Protocol;
pub(crate) use sink::Decoded;
