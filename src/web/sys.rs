//! Raw bindings that web-sys lacks, and the RAII waits the host loop selects over.
//!
//! Everything here works on the main thread and in a dedicated Worker: the global scope is
//! reached through the bare names (`setTimeout`, `performance`, `fetch`), never `window`, and
//! `document` is looked up with `typeof` (absent in Workers).
//!
//! A wait ([`Wait`]) is a JS promise plus a `cancel` function. The JS side settles the promise
//! itself when cancelled, so the `JsFuture` callbacks always run once and free themselves: a
//! cleared timer or a removed listener leaks nothing. Dropping a [`Wait`] cancels it (clears
//! the timer, cancels the frame, removes the listener). No Rust closure is handed to JS here.

use js_sys::{Function, Promise};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::time::Millis;

#[wasm_bindgen(inline_js = r#"
const g = globalThis;
function wait(arm) {
  let resolve, disarm;
  const p = new Promise((r) => { resolve = r; });
  disarm = arm(() => resolve(true));
  return { p, cancel() { if (disarm) { disarm(); disarm = null; } resolve(false); } };
}
export function timeoutWait(ms) {
  return wait((fire) => { const id = g.setTimeout(fire, ms); return () => g.clearTimeout(id); });
}
// An animation frame while the page is visible; a ~16 ms timer in a hidden page (no frames
// there) and in Workers (no document).
export function frameWait() {
  const d = g.document;
  if (d && d.visibilityState === "visible" && typeof g.requestAnimationFrame === "function") {
    return wait((fire) => { const id = g.requestAnimationFrame(fire); return () => g.cancelAnimationFrame(id); });
  }
  return timeoutWait(16);
}
export function eventWait(target, type) {
  return wait((fire) => { target.addEventListener(type, fire); return () => target.removeEventListener(type, fire); });
}
export function visibilityWait() {
  const d = g.document;
  return d && typeof d.addEventListener === "function" ? eventWait(d, "visibilitychange") : null;
}
export function now() { return g.performance.now(); }
export function report(e) {
  if (typeof g.reportError === "function") g.reportError(e); else g.setTimeout(() => { throw e; }, 0);
}
export function fetchRequest(request) { return g.fetch(request); }
export function cancelReader(reader) {
  try { reader.cancel().catch(() => {}); } catch (_) {}
  try { reader.releaseLock(); } catch (_) {}
}
export function errorMessage(e) {
  if (e && typeof e === "object" && "message" in e) return (e.name ? e.name + ": " : "") + String(e.message);
  return String(e);
}
export function describe(v) {
  return typeof v === "string" ? JSON.stringify(v) : typeof v === "number" ? String(v) : typeof v;
}
export function headerPairs(headers) {
  const out = [];
  headers.forEach((value, name) => { out.push(name, value); });
  return out;
}
const opt = (x) => (x < 0 ? null : x);
export function makeStats(h, tb, tt, d, bytes, events, keepAlives, deltas, flushes, gap, cgap, buffered) {
  return { headersMs: opt(h), ttfbMs: opt(tb), ttftMs: opt(tt), durationMs: d, bytes, events, keepAlives,
           deltas, flushes, maxByteGapMs: gap, maxContentGapMs: cgap, buffered };
}
// The `info` passed to onText: one object per stream whose getters read the live session until
// `settleInfo` replaces them with the final values (the Rust closures are then released).
export function makeInfo(text, stats) {
  const cell = { text, stats, settled: false };
  const info = {};
  Object.defineProperty(info, "text", { enumerable: true, get: () => (cell.settled ? cell.text : cell.text()) });
  Object.defineProperty(info, "stats", { enumerable: true, get: () => (cell.settled ? cell.stats : cell.stats()) });
  return [info, cell];
}
export function settleInfo(cell, result) {
  cell.text = result.text; cell.stats = result.stats; cell.settled = true;
}
export function iterResult(value, done) { return { value, done }; }
export function installAsyncIterator(obj) {
  const proto = Object.getPrototypeOf(obj);
  if (proto && !Object.prototype.hasOwnProperty.call(proto, Symbol.asyncIterator)) {
    Object.defineProperty(proto, Symbol.asyncIterator, { value() { return this; }, configurable: true, writable: true });
  }
}
"#)]
extern "C" {
    /// A promise plus its `cancel`.
    pub type Waiter;
    #[wasm_bindgen(method, getter)]
    fn p(this: &Waiter) -> Promise;
    #[wasm_bindgen(method)]
    fn cancel(this: &Waiter);

    #[wasm_bindgen(js_name = timeoutWait)]
    fn timeout_wait(ms: f64) -> Waiter;
    #[wasm_bindgen(js_name = frameWait)]
    fn frame_wait() -> Waiter;
    #[wasm_bindgen(js_name = eventWait)]
    fn event_wait(target: &JsValue, kind: &str) -> Waiter;
    #[wasm_bindgen(js_name = visibilityWait)]
    fn visibility_wait() -> Option<Waiter>;

    /// `performance.now()`.
    #[wasm_bindgen(js_name = now)]
    pub fn now_f64() -> f64;
    /// `reportError(e)`: reports an exception thrown by a user callback without stopping us.
    #[wasm_bindgen(js_name = report)]
    pub fn report_error(e: &JsValue);
    /// The global `fetch` (Window or WorkerGlobalScope).
    #[wasm_bindgen(js_name = fetchRequest)]
    pub fn fetch(request: &web_sys::Request) -> Promise;
    /// `reader.cancel()` (rejection swallowed) and `reader.releaseLock()`.
    #[wasm_bindgen(js_name = cancelReader)]
    pub fn cancel_reader(reader: &web_sys::ReadableStreamDefaultReader);
    /// `name: message` of a thrown value.
    #[wasm_bindgen(js_name = errorMessage)]
    pub fn error_message(e: &JsValue) -> String;
    /// A bad option value for an error message.
    #[wasm_bindgen(js_name = describe)]
    pub fn describe(v: &JsValue) -> String;
    /// The headers as a flat `[name, value, name, value, ...]` list.
    #[wasm_bindgen(js_name = headerPairs)]
    pub fn header_pairs(headers: &web_sys::Headers) -> Vec<String>;
    /// A stats object built from numbers (no string crosses); -1 is `null`.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = makeStats)]
    pub fn make_stats(
        headers_ms: f64,
        ttfb_ms: f64,
        ttft_ms: f64,
        duration_ms: f64,
        bytes: f64,
        events: f64,
        keep_alives: f64,
        deltas: f64,
        flushes: f64,
        max_byte_gap_ms: f64,
        max_content_gap_ms: f64,
        buffered: bool,
    ) -> JsValue;
    /// `[info, cell]`, see `settleInfo`.
    #[wasm_bindgen(js_name = makeInfo)]
    pub fn make_info(text: &Function, stats: &Function) -> js_sys::Array;
    /// Freezes `info` at the final result.
    #[wasm_bindgen(js_name = settleInfo)]
    pub fn settle_info(cell: &JsValue, result: &JsValue);
    /// `{ value, done }`.
    #[wasm_bindgen(js_name = iterResult)]
    pub fn iter_result(value: &JsValue, done: bool) -> JsValue;
    /// Sets `[Symbol.asyncIterator]() { return this }` on the prototype of `obj` (once).
    #[wasm_bindgen(js_name = installAsyncIterator)]
    pub fn install_async_iterator(obj: &JsValue);
}

/// The host clock: `performance.now()` in whole milliseconds.
pub fn now() -> Millis {
    Millis(now_f64().max(0.0) as u64)
}

/// A cancellable JS wait. Resolves to `true` when it fired; dropping it cancels it.
pub struct Wait {
    fut: JsFuture,
    waiter: Waiter,
}

impl Wait {
    fn new(waiter: Waiter) -> Self {
        Wait {
            fut: JsFuture::from(waiter.p()),
            waiter,
        }
    }

    /// Fires once `deadline` has passed on the [`now`] clock (rounded up so that it never
    /// fires before the deadline by a fraction of a millisecond).
    pub fn until(deadline: Millis) -> Self {
        let ms = (deadline.0 as f64 - now_f64()).ceil().max(0.0);
        Wait::new(timeout_wait(ms))
    }

    /// The next animation frame, or a ~16 ms timer where frames do not run.
    pub fn frame() -> Self {
        Wait::new(frame_wait())
    }

    /// The next `kind` event on `target` (an `EventTarget`).
    pub fn event(target: &JsValue, kind: &str) -> Self {
        Wait::new(event_wait(target, kind))
    }

    /// The next `visibilitychange`, or `None` without a document (Workers).
    pub fn visibility() -> Option<Self> {
        visibility_wait().map(Wait::new)
    }
}

impl Future for Wait {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.fut).poll(cx).map(|_| ())
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        self.waiter.cancel();
    }
}
