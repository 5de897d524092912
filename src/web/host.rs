//! The host loop: fetch + reader + one timer + frames + abort, driving the core's
//! [`Driver`]. Glue only: the driver decides when to connect (retries, SSE resume with
//! `Last-Event-ID`), when to close the connection, how text is paced across frames, and the
//! one result.
//!
//! ```text
//!  Connect{last_event_id} ──> fetch(request, controller.signal) ──> handle_response_head
//!        ▲                                       reader.read() ──> handle_bytes | handle_eof
//!        │                                                                    │
//!  select { read | the ONE timer at poll_deadline() | frame | caller abort | visibilitychange }
//!        │
//!        └─ drain poll_output(): Text → onText / handle queue, Event → onEvent,
//!           AbortRequest → controller.abort() + reader.cancel(), Finished → clean up, return
//! ```
//!
//! Every resource of the loop is a local RAII value ([`Wait`], [`ReaderGuard`],
//! [`ControllerGuard`]): returning or being dropped mid-await (the caller dropped the Rust
//! handle) aborts the fetch, cancels and releases the reader, clears the timer, cancels the
//! frame and removes the listeners. Nothing is called back after the final result.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, ReadableStreamReadResult, Response};

use super::options::{Callbacks, Options};
use super::sys::{self, Wait};
use crate::driver::Driver;
use crate::outcome::{Stats, StreamResult};
use crate::session::{NetworkError, NetworkErrorKind, Output};
use crate::time::Millis;

/// State shared between the loop and a handle (JS `StreamHandle` or the Rust one).
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Flushed text not yet taken by the iterator (coalesced).
    pending: RefCell<String>,
    /// The final outcome, once there.
    outcome: RefCell<Option<StreamResult>>,
    /// The handle asked for an abort (abort(), free(), drop).
    abort: Cell<bool>,
    /// The loop's waker, for `abort`.
    loop_waker: RefCell<Option<Waker>>,
    /// Consumers waiting for text or the outcome.
    waiters: RefCell<Vec<Waker>>,
}

impl Shared {
    /// Asks the loop to abort (no-op after the outcome).
    pub(crate) fn abort(&self) {
        if self.outcome.borrow().is_none() && !self.abort.replace(true) {
            if let Some(w) = self.loop_waker.borrow_mut().take() {
                w.wake();
            }
        }
    }

    fn wake_waiters(&self) {
        let waiters = core::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters {
            w.wake();
        }
    }

    fn push_text(&self, text: &str) {
        self.pending.borrow_mut().push_str(text);
        self.wake_waiters();
    }

    fn finish(&self, outcome: StreamResult) {
        *self.outcome.borrow_mut() = Some(outcome);
        self.loop_waker.borrow_mut().take();
        self.wake_waiters();
    }

    /// The next batch of text: `Ready(Some)` with the text flushed since the last call,
    /// `Ready(None)` once the stream is over and everything was taken.
    pub(crate) fn poll_text(&self, cx: &mut std::task::Context<'_>) -> Poll<Option<String>> {
        let mut pending = self.pending.borrow_mut();
        if !pending.is_empty() {
            return Poll::Ready(Some(core::mem::take(&mut *pending)));
        }
        if self.outcome.borrow().is_some() {
            return Poll::Ready(None);
        }
        self.waiters.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }

    /// The outcome, once there.
    pub(crate) fn poll_outcome(&self, cx: &mut std::task::Context<'_>) -> Poll<StreamResult> {
        if let Some(o) = &*self.outcome.borrow() {
            return Poll::Ready(o.clone());
        }
        self.waiters.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }

    /// Whether the outcome is there.
    pub(crate) fn is_finished(&self) -> bool {
        self.outcome.borrow().is_some()
    }
}

/// Where the loop's outputs go.
pub(crate) struct Sink {
    pub callbacks: Callbacks,
    /// The handle's queue (`open`), or none (`stream`).
    pub shared: Option<Rc<Shared>>,
}

/// The live driver, readable by the lazy `info.text` / `info.stats` getters.
pub(crate) type Live = Rc<RefCell<Driver>>;

/// `info` for onText: the object, its settle cell and the getter closures (dropped after the
/// cell is settled with the final values).
struct Info {
    info: JsValue,
    cell: JsValue,
    _text: Closure<dyn Fn() -> JsValue>,
    _stats: Closure<dyn Fn() -> JsValue>,
}

impl Info {
    fn new(live: &Live) -> Self {
        let l = live.clone();
        let text = Closure::<dyn Fn() -> JsValue>::new(move || match l.try_borrow() {
            Ok(s) => JsValue::from_str(s.text()),
            Err(_) => JsValue::UNDEFINED,
        });
        let l = live.clone();
        let stats = Closure::<dyn Fn() -> JsValue>::new(move || match l.try_borrow() {
            Ok(s) => stats_to_js(&s.stats(sys::now())),
            Err(_) => JsValue::UNDEFINED,
        });
        let pair = sys::make_info(
            text.as_ref().unchecked_ref(),
            stats.as_ref().unchecked_ref(),
        );
        Info {
            info: pair.get(0),
            cell: pair.get(1),
            _text: text,
            _stats: stats,
        }
    }
}

fn opt(v: Option<u64>) -> f64 {
    v.map_or(-1.0, |v| v as f64)
}

/// Stats as a JS object, built from numbers (no string crosses).
pub(crate) fn stats_to_js(s: &Stats) -> JsValue {
    sys::make_stats(
        opt(s.headers_ms),
        opt(s.ttfb_ms),
        opt(s.ttft_ms),
        s.duration_ms as f64,
        s.bytes as f64,
        s.events as f64,
        s.keep_alives as f64,
        s.deltas as f64,
        s.flushes as f64,
        s.max_byte_gap_ms as f64,
        s.max_content_gap_ms as f64,
        s.buffered,
    )
}

/// The outcome as the plain JS result object: one string crosses (JSON.parse of `to_json`).
pub(crate) fn outcome_to_js(outcome: &StreamResult) -> JsValue {
    js_sys::JSON::parse(&outcome.to_json()).unwrap_or(JsValue::NULL)
}

/// Runs one request through the core's [`Driver`] (every attempt: retries and SSE resume are
/// the driver's decisions) and returns the result. Completes the handle's [`Shared`] (if any)
/// with it. The second value is the JS result object when one was already built (for `info`).
pub(crate) async fn run(options: Options, sink: Sink) -> (StreamResult, Option<JsValue>) {
    let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64;
    let get = options.effective_method().eq_ignore_ascii_case("GET");
    let live: Live = Rc::new(RefCell::new(Driver::new(
        options.config.clone(),
        options.retry,
        get,
        seed,
        sys::now(),
    )));
    let info = sink.callbacks.on_text.as_ref().map(|_| Info::new(&live));
    let mut host = Host {
        options: &options,
        sink: &sink,
        info: info.as_ref().map(|i| i.info.clone()),
    };
    let outcome = host.drive(&live).await;
    // `info` keeps answering after the end, with the final values; the getter closures are
    // released here.
    let js = info.map(|info| {
        let js = outcome_to_js(&outcome);
        sys::settle_info(&info.cell, &js);
        js
    });
    if let Some(shared) = &sink.shared {
        shared.finish(outcome.clone());
    }
    (outcome, js)
}

/// Aborts the attempt's fetch when dropped (a no-op once the response is complete).
struct ControllerGuard(AbortController);

impl Drop for ControllerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Cancels and releases the reader when dropped.
struct ReaderGuard(ReadableStreamDefaultReader);

impl Drop for ReaderGuard {
    fn drop(&mut self) {
        sys::cancel_reader(&self.0);
    }
}

/// The pending network operation.
enum Net {
    Fetch(JsFuture),
    Read(JsFuture),
    Idle,
}

/// What woke the loop.
enum Wake {
    Abort,
    Fetched(Result<JsValue, JsValue>),
    Read(Result<JsValue, JsValue>),
    Timer,
    Frame,
    Visibility,
}

struct Host<'a> {
    options: &'a Options,
    sink: &'a Sink,
    info: Option<JsValue>,
}

impl Host<'_> {
    /// Whether the caller's signal or the handle asked for an abort; registers the waker for
    /// the handle (the signal is watched by its own listener).
    fn abort_requested(&self, cx: &mut std::task::Context<'_>) -> bool {
        if self.options.signal.as_ref().is_some_and(|s| s.aborted()) {
            return true;
        }
        match &self.sink.shared {
            Some(shared) if shared.abort.get() => true,
            Some(shared) => {
                *shared.loop_waker.borrow_mut() = Some(cx.waker().clone());
                // The signal's listener is only armed inside an attempt; in a backoff, poll it
                // through the same waker.
                false
            }
            None => false,
        }
    }

    fn deliver_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(shared) = &self.sink.shared {
            shared.push_text(text);
        }
        if let Some(f) = &self.sink.callbacks.on_text {
            let info = self.info.clone().unwrap_or(JsValue::UNDEFINED);
            if let Err(e) = f.call2(&JsValue::UNDEFINED, &JsValue::from_str(text), &info) {
                sys::report_error(&e);
            }
        }
    }

    fn deliver_event(&mut self, event: &crate::decode::StreamEvent) {
        let Some(f) = &self.sink.callbacks.on_event else {
            return;
        };
        let Ok(json) = serde_json::to_string(event) else {
            return;
        };
        let value = js_sys::JSON::parse(&json).unwrap_or(JsValue::NULL);
        if let Err(e) = f.call1(&JsValue::UNDEFINED, &value) {
            sys::report_error(&e);
        }
    }

    /// Drives the driver in `live` until its result: connects when it says so (a new fetch
    /// with its own `AbortController`, `Last-Event-ID` when resuming), hands in what the
    /// network does, arms the ONE timer, asks for frames, and closes the connection on
    /// `AbortRequest`. Every resource is local and released on return or drop.
    async fn drive(&mut self, live: &Live) -> StreamResult {
        // The attempt's fetch controller: replacing or dropping it aborts that fetch.
        let mut _controller: Option<ControllerGuard> = None;
        let mut net = Net::Idle;
        let mut reader: Option<ReaderGuard> = None;
        let mut timer: Option<(Millis, Wait)> = None;
        let mut frame: Option<Wait> = None;
        let mut signal_wait = self
            .options
            .signal
            .as_ref()
            .map(|s| Wait::event(s.as_ref(), "abort"));
        let mut visibility = Wait::visibility();
        let mut buf: Vec<u8> = Vec::new();
        if self.options.signal.as_ref().is_some_and(|s| s.aborted())
            || self.sink.shared.as_ref().is_some_and(|s| s.abort.get())
        {
            // Already aborted: no request at all.
            let mut d = live.borrow_mut();
            while let Some(Output::Connect { .. }) = d.poll_output() {}
            d.handle_abort(sys::now());
        }

        loop {
            // Drain the driver. The borrow is released before any callback runs, so the
            // callbacks may read `info.text` / `info.stats`.
            loop {
                let out = live.borrow_mut().poll_output();
                let Some(out) = out else { break };
                match out {
                    Output::Text(t) => self.deliver_text(&t),
                    Output::Event(e) => self.deliver_event(&e),
                    Output::AbortRequest => {
                        net = Net::Idle;
                        reader = None;
                        _controller = None;
                    }
                    Output::Connect { last_event_id } => {
                        net = Net::Idle;
                        reader = None;
                        let now = sys::now();
                        match AbortController::new() {
                            Ok(c) => {
                                match self
                                    .options
                                    .request(Some(&c.signal()), last_event_id.as_deref())
                                {
                                    Ok(request) => {
                                        net = Net::Fetch(JsFuture::from(sys::fetch(&request)))
                                    }
                                    Err(e) => live.borrow_mut().handle_error(
                                        now,
                                        NetworkError {
                                            kind: NetworkErrorKind::Other,
                                            message: e.to_string(),
                                        },
                                    ),
                                }
                                _controller = Some(ControllerGuard(c));
                            }
                            Err(e) => live.borrow_mut().handle_error(
                                now,
                                NetworkError {
                                    kind: NetworkErrorKind::Other,
                                    message: sys::error_message(&e),
                                },
                            ),
                        }
                    }
                    Output::Finished(o) => return o,
                }
            }
            if live.borrow().is_waiting() {
                // Between attempts no connection stays open.
                net = Net::Idle;
                reader = None;
                _controller = None;
            }

            // The ONE timer, at the driver's next deadline. A later deadline keeps the armed
            // timer: it fires early, `handle_timeout` is a no-op, and it is re-armed then.
            let deadline = live.borrow().poll_deadline();
            match deadline {
                None => timer = None,
                Some(d) => {
                    if timer.as_ref().is_none_or(|(armed, _)| *armed > d) {
                        timer = Some((d, Wait::until(d)));
                    }
                }
            }
            if frame.is_none() && live.borrow().wants_frame() {
                frame = Some(Wait::frame());
            }

            let wake = poll_fn(|cx| {
                if self.abort_requested(cx) {
                    return Poll::Ready(Wake::Abort);
                }
                if let Some(w) = &mut signal_wait {
                    if Pin::new(w).poll(cx).is_ready() {
                        return Poll::Ready(Wake::Abort);
                    }
                }
                match &mut net {
                    Net::Fetch(f) => {
                        if let Poll::Ready(r) = Pin::new(f).poll(cx) {
                            return Poll::Ready(Wake::Fetched(r));
                        }
                    }
                    Net::Read(f) => {
                        if let Poll::Ready(r) = Pin::new(f).poll(cx) {
                            return Poll::Ready(Wake::Read(r));
                        }
                    }
                    Net::Idle => {}
                }
                if let Some((_, t)) = &mut timer {
                    if Pin::new(t).poll(cx).is_ready() {
                        return Poll::Ready(Wake::Timer);
                    }
                }
                if let Some(f) = &mut frame {
                    if Pin::new(f).poll(cx).is_ready() {
                        return Poll::Ready(Wake::Frame);
                    }
                }
                if let Some(v) = &mut visibility {
                    if Pin::new(v).poll(cx).is_ready() {
                        return Poll::Ready(Wake::Visibility);
                    }
                }
                Poll::Pending
            })
            .await;

            let now = sys::now();
            let mut driver = live.borrow_mut();
            // Deadlines are timestamps: re-check them on every wake-up, since timers are
            // throttled in hidden pages and may fire late.
            if driver.poll_deadline().is_some_and(|d| now >= d) {
                driver.handle_timeout(now);
            }
            match wake {
                Wake::Abort => {
                    signal_wait = None;
                    driver.handle_abort(now);
                }
                Wake::Fetched(Ok(response)) => {
                    let response: Response = response.unchecked_into();
                    let flat = sys::header_pairs(&response.headers());
                    let pairs: Vec<(&str, &str)> = flat
                        .chunks(2)
                        .filter_map(|p| Some((p.first()?.as_str(), p.get(1)?.as_str())))
                        .collect();
                    driver.handle_response_head(now, response.status(), &pairs);
                    net = Net::Idle;
                    match response.body() {
                        Some(body) => {
                            let r: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
                            net = Net::Read(JsFuture::from(r.read()));
                            reader = Some(ReaderGuard(r));
                        }
                        None => driver.handle_eof(now),
                    }
                }
                Wake::Fetched(Err(e)) => {
                    net = Net::Idle;
                    driver.handle_error(
                        now,
                        NetworkError {
                            kind: NetworkErrorKind::Other,
                            message: sys::error_message(&e),
                        },
                    );
                }
                Wake::Read(Ok(result)) => {
                    net = Net::Idle;
                    let result: ReadableStreamReadResult = result.unchecked_into();
                    if result.get_done().unwrap_or(false) {
                        driver.handle_eof(now);
                    } else {
                        let chunk: Uint8Array = result.get_value().unchecked_into();
                        buf.resize(chunk.length() as usize, 0);
                        chunk.copy_to(&mut buf);
                        driver.handle_bytes(now, &buf);
                        if let Some(r) = &reader {
                            net = Net::Read(JsFuture::from(r.0.read()));
                        }
                    }
                }
                Wake::Read(Err(e)) => {
                    net = Net::Idle;
                    driver.handle_error(
                        now,
                        NetworkError {
                            kind: NetworkErrorKind::Reset,
                            message: sys::error_message(&e),
                        },
                    );
                }
                Wake::Timer => {
                    timer = None;
                    driver.handle_timeout(now);
                }
                Wake::Frame => {
                    frame = None;
                    driver.handle_frame(now);
                }
                Wake::Visibility => {
                    visibility = Wait::visibility();
                    // Frames stop in a hidden page: re-pick rAF or the timer fallback.
                    frame = None;
                    driver.handle_timeout(now);
                }
            }
        }
    }
}
