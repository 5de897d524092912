//! [`Guard`]: the core's [`Driver`] behind the small ABI that `host.js` drives.
//!
//! One JS->wasm call per host event (a response head, a network read, the end or failure of
//! the body, the timer, a frame, an abort), each returning flags for the host:
//!
//! | flag | the host |
//! |---|---|
//! | [`ABORT`] | closes the connection (cancels the reader, aborts the fetch) |
//! | [`CONNECT`] | sends the next request, with `Last-Event-ID: get(LAST_ID)` when set |
//! | [`FINISHED`] | takes `get(RESULT)` (JSON without the text) and `get(TEXT)`, frees the Guard |
//! | [`FRAME`] | asks for an animation frame (text waits for one) |
//! | [`REARM`] | re-arms its ONE timer at `deadline()` (which moved earlier; a later deadline keeps the armed timer, which then fires early and is a no-op) |
//! | [`SENT`] | with `FINISHED`: the result's text is the texts sent so far, concatenated (the host keeps them and takes no `get(TEXT)`) |
//!
//! A network read is copied once, by the host, into the Guard's input buffer in the wasm memory
//! (`on(0, INPUT, len)` gives its address, `get(MEMORY)` the memory), then `on(now, READ, len)`
//! takes it: one call and no allocation per read.
//!
//! The text of a call goes out in ONE imported call (`sink.t(text)`: one string crossing, and
//! the core coalesces every delta of one read in immediate mode); the decoded events, only when
//! `onEvent` was given, in one `sink.e(json)` per call. The sink only stores them: the host runs
//! the user's callbacks after the call returned, so nothing re-enters the wasm while it runs.
//! A Guard made for the Rust API (`streamguard::web::open`) sends nothing to JS: it hands text
//! and the result to the Rust handle directly.
//!
//! `options.js` needs no wasm to validate options, and `host.js`'s `run` / `open` take the
//! Guard, a promise of one, or a function of the validated `Call` returning either. So a JS
//! package entry can load the wasm lazily and still return a handle (or throw the TypeError)
//! synchronously (npm/entry.js, bundled by scripts/bundle-glue.sh, which puts `host.js` next to
//! the `options.js` snippet: the shipped wasm imports nothing from `host.js`):
//!
//! ```js
//! import init, { Guard } from "./streamguard.js";
//! import { validate } from "./snippets/.../src/web/options.js";
//! import { open as start, now } from "./snippets/.../src/web/host.js";
//! let ready;
//! const guard = (call) => (ready ??= init()).then(() => new Guard(call, now()));
//! export const open = (options) => start(validate(options), guard);
//! ```

#[cfg(feature = "rust-api")]
use std::rc::Rc;

use wasm_bindgen::prelude::*;

#[cfg(feature = "rust-api")]
use super::stream::Shared;
use crate::decode::Protocol;
use crate::driver::Driver;
use crate::http::split_once_byte;
use crate::outcome::StreamResult;
use crate::retry::RetryPolicy;
use crate::session::{Config, FlushMode, NetworkError, NetworkErrorKind, Output, SmoothUnit};
use crate::time::Millis;

/// Close the connection.
pub(crate) const ABORT: u32 = 1;
/// Send the next request.
pub(crate) const CONNECT: u32 = 2;
/// The result is ready.
pub(crate) const FINISHED: u32 = 4;
/// Text waits for an animation frame.
pub(crate) const FRAME: u32 = 8;
/// The deadline moved earlier than the last one reported.
pub(crate) const REARM: u32 = 16;
/// With `FINISHED`: the result's text is all the text sent to the sink, in order.
pub(crate) const SENT: u32 = 32;

// The host events of `on` (host.js has the same numbers).
/// A network read.
const READ: u32 = 0;
/// The body ended cleanly.
const EOF: u32 = 1;
/// The caller aborted.
const CANCEL: u32 = 2;
/// An animation frame.
const TICK: u32 = 3;
/// The timer fired.
const TIMER: u32 = 4;
// What `get` reads (the last: the wasm memory).
/// The result's JSON.
const RESULT: u32 = 0;
/// The text so far.
const TEXT: u32 = 1;
/// The `Last-Event-ID` to send.
const LAST_ID: u32 = 2;
/// The live stats' JSON.
const STATS: u32 = 3;
// The host events of `with_text`.
/// A response head.
const HEAD: u32 = 0;

#[wasm_bindgen(module = "/src/web/options.js")]
extern "C" {
    /// The host's per-stream object (`Call` in `options.js`).
    pub type Sink;
    #[wasm_bindgen(method)]
    fn t(this: &Sink, text: &str);
    #[wasm_bindgen(method)]
    fn e(this: &Sink, json: &str);
    /// The stream's configuration number `i` (`cfg[i]`; undefined, NaN in the wasm, past its
    /// end): read one by one, so that no array crosses into the wasm.
    #[wasm_bindgen(method)]
    fn n(this: &Sink, i: u32) -> f64;
}

/// A host event, for [`Guard::apply`].
enum Input<'a> {
    Head(u16, &'a str),
    /// The first `len` bytes of the `input` buffer.
    Read(usize),
    Eof,
    Error(NetworkError),
    Abort,
    Frame,
}

/// Where text and the result go.
enum To {
    Js(Sink),
    #[cfg(feature = "rust-api")]
    Rust(Rc<Shared>),
}

/// One request's policy for the JS host: see the module docs.
// Not in the `.d.ts` (an ABI for host.js, not for applications). Its methods are documented
// with `//`: wasm-bindgen copies doc comments into the shipped JS glue.
#[wasm_bindgen(skip_typescript)]
pub struct Guard {
    driver: Driver,
    to: To,
    emit_events: bool,
    /// Where the host writes each read (`input`), for `feed`: no allocation per read.
    input: Vec<u8>,
    /// The text of the current call.
    text: String,
    /// The bytes of text sent to the JS sink so far.
    sent: usize,
    /// The events of the current call, as a JSON array under construction.
    events: String,
    /// The deadline last reported with `REARM`, until the timer fires.
    armed: Option<Millis>,
    last_event_id: Option<String>,
    result: Option<StreamResult>,
}

/// The sink's `cfg[i]` as a whole number; negative, NaN or missing (unset) is `None`. Not
/// inlined: one copy of the call and the float conversion for the 18 fields of `Guard::new`.
#[inline(never)]
fn field(cfg: &Sink, i: u32) -> Option<u64> {
    Some(cfg.n(i)).filter(|v| *v >= 0.0).map(|v| v as u64)
}

fn millis(now: f64) -> Millis {
    Millis(now.max(0.0) as u64)
}

#[wasm_bindgen]
impl Guard {
    // A Guard whose first request is to be sent now. The sink's `cfg` (`Call.n(i)` reads it),
    // in this order (-1: the default):
    // first-byte, idle, content and total timeouts; max event and text bytes; flush kind (0
    // frame, 1 immediate, 2 interval, 3 smooth word, 4 smooth grapheme) and interval ms; emit
    // events (0/1); max attempts, base delay, max delay, max Retry-After; resume (0/1); GET
    // (0/1); the backoff seed; no request (0/1: the host reads a Response it already has, or
    // a pipe's chunks: one attempt, no CONNECT, no retry); the protocol, as its index in
    // `Protocol::ALL` (anything else: auto).
    #[wasm_bindgen(constructor)]
    pub fn new(sink: Sink, now: f64) -> Guard {
        let cfg = &sink;
        let protocol = field(cfg, 17).and_then(|i| Protocol::ALL.get(usize::try_from(i).ok()?));
        let mut c = Config {
            protocol: protocol.copied().unwrap_or(Protocol::Auto),
            ..Config::default()
        };
        let set = |v: &mut u64, i| {
            if let Some(n) = field(cfg, i) {
                *v = n;
            }
        };
        set(&mut c.first_byte_timeout_ms, 0);
        set(&mut c.idle_timeout_ms, 1);
        set(&mut c.content_timeout_ms, 2);
        set(&mut c.total_timeout_ms, 3);
        if let Some(n) = field(cfg, 4) {
            c.max_event_bytes = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = field(cfg, 5) {
            c.max_text_bytes = usize::try_from(n).unwrap_or(usize::MAX);
        }
        c.flush = match field(cfg, 6) {
            Some(1) => FlushMode::Immediate,
            Some(2) => FlushMode::Interval {
                ms: field(cfg, 7).unwrap_or(1).max(1),
            },
            Some(3) => FlushMode::Smooth {
                unit: SmoothUnit::Word,
            },
            Some(4) => FlushMode::Smooth {
                unit: SmoothUnit::Grapheme,
            },
            _ => FlushMode::Frame,
        };
        c.emit_events = field(cfg, 8) == Some(1);
        let mut p = RetryPolicy::default();
        if let Some(n) = field(cfg, 9) {
            p.max_attempts = u32::try_from(n).unwrap_or(u32::MAX);
        }
        set(&mut p.base_delay_ms, 10);
        set(&mut p.max_delay_ms, 11);
        set(&mut p.max_retry_after_ms, 12);
        p.resume = field(cfg, 13) == Some(1);
        let get = field(cfg, 14) == Some(1);
        let seed = field(cfg, 15).unwrap_or(1);
        let driver = if field(cfg, 16) == Some(1) {
            Driver::for_response(c, millis(now))
        } else {
            Driver::new(c, p, get, seed, millis(now))
        };
        Guard::with(driver, To::Js(sink))
    }

    // A host event with a text, `op`: [`HEAD`], the response head of the current attempt
    // (`n`: its status, the text: its headers as `name\nvalue\nname\nvalue...`), or any other
    // (host.js's `FAILED`): the request or the body failed (`n`: 1 for a reset mid-body,
    // anything else "other"; the text: the message). The text is the first `len` bytes of the
    // `input` buffer, UTF-8 (the host writes it there as it writes a read: no string crosses
    // into the wasm, so the glue needs no allocator calls). One export for the two (see `on`).
    #[wasm_bindgen(js_name = withText)]
    pub fn with_text(&mut self, now: f64, op: u32, n: u32, len: usize) -> u32 {
        let bytes = self.input.get(..len).unwrap_or_default();
        let text = String::from(core::str::from_utf8(bytes).unwrap_or_default());
        let input = if op == HEAD {
            Input::Head(u16::try_from(n).unwrap_or(0), &text)
        } else {
            let kind = match n {
                1 => NetworkErrorKind::Reset,
                _ => NetworkErrorKind::Other,
            };
            Input::Error(NetworkError {
                kind,
                message: text,
            })
        };
        self.apply(now, input)
    }

    // One host event, `op`: [`READ`] (the first `len` bytes of the `input` buffer: one call per
    // network read, the bytes copied once, by the host, into the buffer), [`EOF`] (the body
    // ended cleanly), [`CANCEL`] (the caller aborted), [`TICK`] (an animation frame, or the
    // host's timer tick where frames do not run) or [`TIMER`] (the timer fired, early or
    // spuriously: a no-op; also the host's first poll and its re-check on `visibilitychange`).
    // And `INPUT` (any other `op`), below. One export for them all: each export costs its own
    // borrow check and glue.
    pub fn on(&mut self, now: f64, op: u32, len: usize) -> u32 {
        match op {
            READ => self.apply(now, Input::Read(len)),
            EOF => self.apply(now, Input::Eof),
            CANCEL => self.apply(now, Input::Abort),
            TICK => self.apply(now, Input::Frame),
            TIMER => {
                self.armed = None;
                self.driver.handle_timeout(millis(now));
                self.flags()
            }
            // Not an event: the address of a buffer in the wasm memory (`get(MEMORY)`) for
            // reads of up to `len` bytes, where the host copies each read before `READ`; valid
            // until the next `INPUT`. (An address fits the u32 of the flags on wasm32.)
            _ => {
                if self.input.len() < len {
                    self.input.resize(len, 0);
                }
                self.input.as_ptr() as u32
            }
        }
    }

    // When the timer should fire (the `performance.now()` clock), or -1 for none. (`&mut self`
    // like every export: one borrow check for the Guard in the wasm, the exclusive one.)
    pub fn deadline(&mut self) -> f64 {
        self.driver.poll_deadline().map_or(-1.0, |d| d.0 as f64)
    }

    // What the host reads, `what` (one export for the five: see `on`):
    // - [`RESULT`]: after `FINISHED`, the result as JSON with an empty `text` (the host sets it
    //   from the texts it was sent or from [`TEXT`]: the text crosses once, as a string, never
    //   escaped); null before.
    // - [`TEXT`]: everything received so far (the result's text after `FINISHED`).
    // - [`LAST_ID`]: the `Last-Event-ID` of the request `CONNECT` asked for (null: none).
    // - [`STATS`]: the live stats at `now` (the result's after `FINISHED`) as the JSON of the
    //   result's `stats`: one string crossing, parsed by the host into the same object the
    //   result carries.
    // - anything else (host.js's `MEMORY`): the wasm memory, for the host's view of the `input`
    //   buffer.
    pub fn get(&mut self, what: u32, now: f64) -> JsValue {
        match what {
            RESULT => match &self.result {
                Some(r) => JsValue::from_str(&r.to_json()),
                None => JsValue::NULL,
            },
            TEXT => JsValue::from_str(self.driver.text()),
            LAST_ID => self
                .last_event_id
                .as_deref()
                .map_or(JsValue::NULL, JsValue::from_str),
            STATS => {
                let s = match &self.result {
                    Some(r) => r.stats,
                    None => self.driver.stats(millis(now)),
                };
                let mut json = String::new();
                s.write_json(&mut json);
                JsValue::from_str(&json)
            }
            _ => wasm_bindgen::memory(),
        }
    }
}

impl Guard {
    /// A Guard for the Rust API: text, events and the result go to `shared`. `policy` is
    /// `None` for a Response the host already has (one attempt, no request).
    #[cfg(feature = "rust-api")]
    pub(crate) fn rust(
        config: Config,
        policy: Option<RetryPolicy>,
        get: bool,
        seed: u64,
        now: f64,
        shared: Rc<Shared>,
    ) -> Guard {
        let driver = match policy {
            Some(p) => Driver::new(config, p, get, seed, millis(now)),
            None => Driver::for_response(config, millis(now)),
        };
        Guard::with(driver, To::Rust(shared))
    }

    fn with(driver: Driver, to: To) -> Self {
        Guard {
            emit_events: driver.config().emit_events,
            driver,
            to,
            input: Vec::new(),
            text: String::new(),
            sent: 0,
            events: String::new(),
            armed: None,
            last_event_id: None,
            result: None,
        }
    }

    /// One host event: a deadline that has passed first, then the event, then the flags.
    /// One copy of that sequence for every export (not inlined into each: smaller wasm).
    #[inline(never)]
    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn apply(&mut self, now: f64, input: Input<'_>) -> u32 {
        let now = self.due(now);
        let d = &mut self.driver;
        match input {
            Input::Head(status, headers) => {
                // `name\nvalue\n...`: a name without a value line is dropped.
                let mut pairs = Vec::new();
                let mut rest = headers;
                while let Some((n, more)) = split_once_byte(rest, b'\n') {
                    let (v, more) = split_once_byte(more, b'\n').unwrap_or((more, ""));
                    pairs.push((n, v));
                    rest = more;
                }
                d.handle_response_head(now, status, &pairs);
            }
            Input::Read(len) => d.handle_bytes(now, self.input.get(..len).unwrap_or(&self.input)),
            Input::Eof => d.handle_eof(now),
            Input::Error(e) => d.handle_error(now, e),
            Input::Abort => d.handle_abort(now),
            Input::Frame => d.handle_frame(now),
        }
        self.flags()
    }

    /// Deadlines are timestamps: a timer that a hidden page throttled fires late, so every
    /// input first applies a deadline that has passed.
    fn due(&mut self, now: f64) -> Millis {
        let now = millis(now);
        if self.driver.poll_deadline().is_some_and(|d| now >= d) {
            self.driver.handle_timeout(now);
        }
        now
    }

    /// Drains the driver: text and events to the sink, the rest as flags. A JS result gets no
    /// copy of the text: the host has it (`SENT`) or takes `get(TEXT)`, the driver's.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn flags(&mut self) -> u32 {
        let mut f = 0;
        let js = matches!(self.to, To::Js(_));
        while let Some(out) = if js {
            self.driver.poll_output_textless()
        } else {
            self.driver.poll_output()
        } {
            match out {
                Output::Text(t) if self.text.is_empty() => self.text = t,
                Output::Text(t) => self.text.push_str(&t),
                Output::Event(e) => {
                    #[cfg(feature = "rust-api")]
                    if let To::Rust(shared) = &self.to {
                        shared.push_event(e);
                        continue;
                    }
                    if self.emit_events {
                        self.events
                            .push(if self.events.is_empty() { '[' } else { ',' });
                        e.write_json(&mut self.events);
                    }
                }
                Output::AbortRequest => f |= ABORT,
                Output::Connect { last_event_id } => {
                    f |= CONNECT;
                    self.last_event_id = last_event_id;
                }
                Output::Finished(r) => {
                    f |= FINISHED;
                    self.result = Some(r);
                }
            }
        }
        if self.driver.is_waiting() {
            // Between attempts no connection stays open.
            f |= ABORT;
        }
        match &self.to {
            To::Js(sink) => {
                if !self.text.is_empty() {
                    sink.t(&self.text);
                    self.sent += self.text.len();
                }
                if !self.events.is_empty() {
                    self.events.push(']');
                    sink.e(&self.events);
                }
            }
            #[cfg(feature = "rust-api")]
            To::Rust(shared) => {
                if !self.text.is_empty() {
                    shared.push_text(&self.text);
                }
                if let Some(r) = self.result.take() {
                    shared.finish(r);
                }
            }
        }
        // Not `clear()`: a long flush's buffer is not kept for the rest of the stream.
        self.text = String::new();
        self.events.clear();
        if f & FINISHED != 0 {
            // Flushes are consecutive ranges of the text from its start: same length, same text.
            if js && self.driver.text().len() == self.sent {
                f |= SENT;
            }
            return f & !CONNECT;
        }
        if let Some(d) = self.driver.poll_deadline() {
            if self.armed.is_none_or(|a| d < a) {
                self.armed = Some(d);
                f |= REARM;
            }
        }
        if self.driver.wants_frame() {
            f |= FRAME;
        }
        f
    }
}
