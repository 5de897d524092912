// The browser tests' JavaScript helpers: ONE module for every test file, imported by the
// `extern "C"` blocks of tests/web_support/mod.rs and tests/web_transport.rs. One file and not
// an `inline_js` per block: each snippet is one more module the test page loads from
// wasm-bindgen-test-runner's own server at start-up, and that server (tiny_http 0.12) now and
// then leaves one of the page's module requests unanswered, so the page never runs. With a
// snippet of its own, web_transport's page never loaded in 8 of 18 loads (Chromium and
// Firefox alike); with this one module, in none of 16 (same machine, same loop). Why one more
// module makes it likely is not established (a lost wake-up in tiny_http's thread pool when
// more connections arrive at once than it has idle threads would explain it). Keep the test
// pages' JavaScript here.

// The page's own timers and frames, taken before a test wraps the globals (trackResources), so
// the helpers' ticks are not counted as the library's.
const g = globalThis;
const pageRaf = typeof g.requestAnimationFrame === "function" ? g.requestAnimationFrame.bind(g) : null;
const setTimer = g.setTimeout.bind(g);
// A frame is one run of the page's animation frame callbacks: every callback of one run gets
// the same timestamp. The frame number counts the distinct timestamps seen by any callback
// (the counter's and, once `startFrames` wrapped requestAnimationFrame, the library's), so a
// callback of the library that runs before the counter's in a frame is still that frame's.
let frame = 0;
let frameTs = -1;
function seen(ts) { if (ts !== frameTs) { frameTs = ts; frame++; } }
const raf = pageRaf ? (f) => pageRaf((ts) => { seen(ts); f(ts); }) : null;
let ticking = false;
function tick() { raf(tick); }
export function startFrames() {
  if (!ticking && g.document && raf) {
    ticking = true;
    g.requestAnimationFrame = raf;
    raf(tick);
  }
  return ticking;
}
export function frameNow() { return frame; }
export async function getJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error("GET " + url + ": HTTP " + r.status + " " + (await r.text()));
  return r.json();
}
export async function getStatus(url) {
  const r = await fetch(url);
  return r.status;
}
export function recorder(abortAfterDeltas, controller) {
  const rec = { deltas: [], frames: [], infoOk: true, infoWhy: "", statsKeys: "", late: 0, done: false, events: [], textLen: 0, syncAbortAt: -1 };
  rec.onText = (delta, info) => {
    if (rec.done) { rec.late++; return; }
    rec.deltas.push(delta);
    rec.frames.push(frame);
    rec.textLen += delta.length;
    const t = info.text;
    const s = info.stats;
    if (typeof t !== "string" || t.length < rec.textLen) { rec.infoOk = false; rec.infoWhy = "info.text shorter than the deltas"; }
    else if (rec.textLen < 65536 && !t.startsWith(rec.deltas.join(""))) { rec.infoOk = false; rec.infoWhy = "info.text does not start with the deltas"; }
    if (!s || typeof s.bytes !== "number" || typeof s.durationMs !== "number") { rec.infoOk = false; rec.infoWhy = "info.stats"; }
    else rec.statsKeys = Object.keys(s).join(",");
    if (controller && abortAfterDeltas > 0 && s.deltas >= abortAfterDeltas && !controller.signal.aborted) {
      rec.syncAbortAt = rec.deltas.length;
      controller.abort();
    }
  };
  rec.onEvent = (e) => { if (rec.done) rec.late++; else rec.events.push(e); };
  return rec;
}
export function joined(rec) { return rec.deltas.join(""); }
// The test page pretends to be hidden: `document.visibilityState` reads "hidden" and a
// visibilitychange fires (headless browsers cannot hide a tab). `restore` undoes it.
export function setHidden(hidden) {
  const d = globalThis.document;
  if (!d) return false;
  if (hidden) Object.defineProperty(d, "visibilityState", { configurable: true, get: () => "hidden" });
  else delete d.visibilityState;
  d.dispatchEvent(new Event("visibilitychange"));
  return true;
}
export function nextFrameOrTick() {
  return new Promise((r) => (g.document && raf ? raf(() => r()) : setTimer(r, 16)));
}
export function delay(ms) { return new Promise((r) => setTimer(r, ms)); }
// Wraps setTimeout/clearTimeout, requestAnimationFrame/cancelAnimationFrame,
// addEventListener/removeEventListener and the reader's getReader/releaseLock, and records what
// is armed, pending, listened to or locked from now on. `live()` counts what is left.
export function trackResources() {
  const t = { timers: new Set(), frames: new Set(), listeners: [], readers: new Set(), armed: 0, framesAsked: 0, added: 0, locked: 0 };
  const ET = g.EventTarget.prototype;
  const RS = g.ReadableStream.prototype;
  const RD = g.ReadableStreamDefaultReader.prototype;
  const orig = { st: g.setTimeout, ct: g.clearTimeout, raf: g.requestAnimationFrame, caf: g.cancelAnimationFrame,
    add: ET.addEventListener, rem: ET.removeEventListener, getReader: RS.getReader, release: RD.releaseLock };
  g.setTimeout = function (f, ms, ...rest) {
    t.armed++;
    const id = orig.st.call(g, function () { t.timers.delete(id); return typeof f === "function" ? f.apply(this, arguments) : undefined; }, ms, ...rest);
    t.timers.add(id);
    return id;
  };
  g.clearTimeout = function (id) { t.timers.delete(id); return orig.ct.call(g, id); };
  if (orig.raf) {
    g.requestAnimationFrame = function (f) {
      t.framesAsked++;
      const id = orig.raf.call(g, (ts) => { t.frames.delete(id); f(ts); });
      t.frames.add(id);
      return id;
    };
    g.cancelAnimationFrame = function (id) { t.frames.delete(id); return orig.caf.call(g, id); };
  }
  ET.addEventListener = function (type, fn, opts) {
    if (!t.listeners.some((l) => l.on === this && l.type === type && l.fn === fn)) { t.listeners.push({ on: this, type, fn }); t.added++; }
    return orig.add.call(this, type, fn, opts);
  };
  ET.removeEventListener = function (type, fn, opts) {
    t.listeners = t.listeners.filter((l) => !(l.on === this && l.type === type && l.fn === fn));
    return orig.rem.call(this, type, fn, opts);
  };
  RS.getReader = function (...a) { const r = orig.getReader.apply(this, a); t.readers.add(r); t.locked++; return r; };
  RD.releaseLock = function () { t.readers.delete(this); return orig.release.call(this); };
  t.live = () => ({ timers: t.timers.size, frames: t.frames.size, listeners: t.listeners.map((l) => l.type), readers: t.readers.size,
    armed: t.armed, framesAsked: t.framesAsked, added: t.added, locked: t.locked });
  t.restore = () => {
    g.setTimeout = orig.st; g.clearTimeout = orig.ct;
    if (orig.raf) { g.requestAnimationFrame = orig.raf; g.cancelAnimationFrame = orig.caf; }
    ET.addEventListener = orig.add; ET.removeEventListener = orig.rem;
    RS.getReader = orig.getReader; RD.releaseLock = orig.release;
  };
  return t;
}
// Counts the body reads that carried bytes (wraps ReadableStreamDefaultReader.prototype.read).
export function countReads() {
  const RD = g.ReadableStreamDefaultReader.prototype;
  const read = RD.read;
  const c = { reads: 0 };
  RD.read = function () { return read.call(this).then((r) => { if (!r.done && r.value && r.value.length) c.reads++; return r; }); };
  c.restore = () => { RD.read = read; };
  return c;
}
// `Symbol.dispose` / `Symbol.asyncDispose` (or the registry symbols where the engine lacks them).
export function disposeSymbol(asyncToo) {
  return asyncToo ? (Symbol.asyncDispose || Symbol.for("Symbol.asyncDispose")) : (Symbol.dispose || Symbol.for("Symbol.dispose"));
}
export function isWorker() { return typeof globalThis.document === "undefined"; }

// ---- tests/web_transport.rs
export function fetchResponse(url) { return fetch(url); }
// Pipes a fetch of `url` through `g` and reads its readable side to the end; after
// `stopAfter` chunks (> 0) it cancels that side (`how` "cancel") or calls g.abort() ("abort").
export async function pipeThrough(url, g, stopAfter, how) {
  const res = await fetch(url);
  const reader = res.body.pipeThrough(g).getReader();
  const out = { chunks: [], error: null, strings: true };
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      if (typeof r.value !== "string") out.strings = false;
      out.chunks.push(r.value);
      if (stopAfter > 0 && out.chunks.length === stopAfter) {
        if (how === "cancel") { await reader.cancel("enough"); break; }
        g.abort();
      }
    }
  } catch (e) { out.error = String(e); }
  reader.releaseLock();
  out.text = out.chunks.join("");
  return out;
}
// Writes `chunks` into g's writable side, reading its readable side to the end meanwhile.
export async function feed(g, chunks) {
  const w = g.writable.getWriter();
  const reader = g.readable.getReader();
  const out = { chunks: [], writeError: null, readError: null };
  const reading = (async () => {
    try { for (;;) { const r = await reader.read(); if (r.done) break; out.chunks.push(r.value); } }
    catch (e) { out.readError = e; }
    reader.releaseLock();
  })();
  try { for (const c of chunks) await w.write(c); await w.close(); } catch (e) { out.writeError = e; }
  await reading;
  out.text = out.chunks.join("");
  return out;
}
// Reads g's readable side to the end without writing anything.
export async function drain(g) {
  const reader = g.readable.getReader();
  const out = { chunks: [], readError: null };
  try { for (;;) { const r = await reader.read(); if (r.done) break; out.chunks.push(r.value); } }
  catch (e) { out.readError = e; }
  reader.releaseLock();
  return out;
}
export function writableErrored(g) {
  return g.writable.getWriter().ready.then(() => false, () => true);
}
// A fetch that records each call and answers with `answer(url, init, n)` (n: 0-based call).
export function recordingFetch(answer) {
  const r = { calls: [] };
  r.fetch = (url, init) => { r.calls.push({ url, init }); return answer(url, init, r.calls.length - 1); };
  return r;
}
export const fetchers = {
  global: (url, init) => fetch(url, init),
  throwing: () => { throw new Error("no network here"); },
  rejecting: () => Promise.reject(new TypeError("refused by the wrapper")),
  notAResponse: () => Promise.resolve({ ok: true }),
  aString: () => "data: hi\n\n",
  failOnce: (url, init, n) => (n === 0 ? Promise.reject(new TypeError("first try fails")) : fetch(url, init)),
};
export function bodies() {
  const fd = new FormData();
  fd.append("a", "1");
  return [["string", "{}"], ["Blob", new Blob(["{}"])], ["ArrayBuffer", new ArrayBuffer(2)],
    ["Uint8Array", new Uint8Array([123, 125])], ["DataView", new DataView(new ArrayBuffer(2))],
    ["FormData", fd], ["URLSearchParams", new URLSearchParams("a=1")]];
}
export function readableStream() { return new ReadableStream(); }
export function sseResponse(text) {
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}
export function bytes(s) { return new TextEncoder().encode(s); }
export function lockBody(res) { res.body.getReader(); return res; }
export async function useBody(res) { await res.text(); return res; }
export function isFirefox() { return / Firefox\//.test(navigator.userAgent); }
