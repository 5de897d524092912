// streamguard's JS host: the fetch/reader/timer/frame loop around a wasm Guard, the
// StreamHandle, and the TransformStream of guard(). Glue only: the Guard (src/web/guard.rs, its
// docs describe this ABI) decides retries, resume, pacing and outcomes. No `window` or
// `document` assumed. `run` / `open` / `pipe` take a Call from options.js and a Guard, a
// promise of one, or a function of the Call returning either (a package entry may load the
// wasm lazily). The bytes come from a fetch, from the caller's Response (`call.response`:
// no request, its body read from the call on) or from a pipe (`pipe`: the TransformStream's
// chunks).
import { errorMessage } from "./options.js";

// Flags returned by every Guard call (as in guard.rs):
const ABORT = 1; // close the connection
const CONNECT = 2; // send the next request (Last-Event-ID: guard.get(LAST_ID))
const FINISHED = 4; // guard.get(RESULT) (JSON without the text) + guard.get(TEXT)
const FRAME = 8; // text waits for an animation frame
const REARM = 16; // re-arm the timer at guard.deadline()
const SENT = 32; // with FINISHED: the result's text is all the text sent, in order
// The largest slice of a read handed to the Guard in one call (see Loop.feed).
const INPUT_MAX = 64 * 1024;
// guard.on(now, op, len): a read of len bytes, the body's end, an abort, a frame, the timer.
const READ = 0;
const EOF = 1;
const CANCEL = 2;
const TICK = 3;
const TIMER = 4;
const INPUT = 5; // not an event: the address of a buffer for reads of up to len bytes
// guard.withText(now, op, n, len): a response head (n: its status), a failure (n: its kind),
// with its text, UTF-8, in the first len bytes of the input buffer (Loop.put).
const HEAD = 0;
const FAILED = 1;
// guard.get(what, now): the result's JSON, the text so far, the Last-Event-ID to send, the live
// stats' JSON at now, the wasm memory.
const RESULT = 0;
const TEXT = 1;
const LAST_ID = 2;
const STATS = 3;
const MEMORY = 4;
// withText(now, FAILED, n, len): the kinds of failure (n)
const OTHER = 0;
const RESET = 1;

const g = globalThis;
const noop = () => {};
const enc = new TextEncoder();
// `performance` read once: in Chromium the global's getter costs more than `now()` itself.
const perf = g.performance;
export const now = () => perf.now();

function report(e) {
  if (typeof g.reportError === "function") g.reportError(e);
  else g.setTimeout(() => { throw e; }, 0);
}

// `out`: false (the result only), true (an async iterator of text) or the controller of
// guard()'s readable side (text is enqueued there; `wc`: its writable side's).
class Loop {
  constructor(call, guard, out, wc) {
    this.c = call;
    this.g = null;
    this.done = false;
    this.final = undefined;
    this.busy = false; // in a user callback
    this.stop = false; // abort asked while busy or before the Guard
    this.kick = false; // visibilitychange while busy
    this.conn = 0; // callbacks of an older connection are dropped
    this.ctl = null;
    this.reader = null;
    this.tid = 0; // the ONE timer
    this.fid = 0; // the frame (or its timer fallback)
    this.raf = false;
    this.vis = null;
    this.pending = out === true ? "" : null; // text not yet taken by next()
    this.all = ""; // every text delivered (the result's text, when the Guard says SENT)
    this.tc = wc ? out : null; // guard()'s readable side
    this.wc = wc;
    this.ended = false; // guard()'s writable side closed or failed: not errored again
    this.waiters = [];
    this.info = call.onText ? info(this) : undefined;
    this.view = null; // a Uint8Array over the wasm memory (replaced when the memory grows)
    this.at = 0; // the Guard's input buffer: its address and size
    this.cap = 0;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.onTimer = () => {
      this.tid = 0;
      if (!this.done) this.step(this.g.on(now(), TIMER, 0));
    };
    this.onFrame = () => {
      this.fid = 0;
      if (!this.done) this.step(this.g.on(now(), TICK, 0));
    };
    this.onAbort = () => this.abort();
    // Hidden pages have no frames and late timers: re-check, re-pick frame or timer.
    this.onVis = () => {
      if (this.done || !this.g) return;
      if (this.busy) this.kick = true;
      else this.step(this.recheck());
    };
    const s = call.signal;
    if (s) {
      if (s.aborted) this.stop = true;
      else s.addEventListener("abort", this.onAbort);
    }
    // The caller's Response is locked now; abort and every timer cancel this reader.
    const b = call.response && call.response.body;
    if (b) this.reader = b.getReader();
    if (typeof guard === "function") guard = guard(call);
    this.ready = guard && typeof guard.then === "function" ? guard.then((x) => this.start(x), (e) => this.fail(e)) : this.start(guard);
  }

  start(guard) {
    if (this.done) return;
    this.g = guard;
    const d = g.document;
    if (d && typeof d.addEventListener === "function") {
      this.vis = d;
      d.addEventListener("visibilitychange", this.onVis);
    }
    // A first poll yields CONNECT (or, already aborted, the result); with a Response or a
    // pipe it arms the timers.
    if (this.stop) this.abort();
    else {
      this.step(guard.on(now(), TIMER, 0));
      if (this.c.response && !this.done) this.head(this.conn, this.c.response);
    }
  }

  fail(e) {
    if (this.done) return;
    this.done = true;
    this.ended = true;
    if (this.tc) {
      this.tc.error(e);
      this.wc.error(e);
    }
    this.cleanup();
    if (this.g) this.g.free();
    this.g = null;
    this.wake();
    this.reject(e);
  }

  abort() {
    if (this.done) return;
    if (!this.g || this.busy) {
      this.stop = true;
      return;
    }
    this.stop = false;
    this.close();
    this.step(this.g.on(now(), CANCEL, 0));
  }

  recheck() {
    this.cancelFrame();
    return this.g.on(now(), TIMER, 0);
  }

  step(f) {
    const c = this.c;
    for (;;) {
      if (c.o || c.v) this.deliver();
      if (f & FINISHED) return this.finish(f);
      // What a callback asked for, now that it returned.
      if (this.stop) {
        this.stop = false;
        this.close();
        f = (f & REARM) | this.g.on(now(), CANCEL, 0);
        continue;
      }
      if (this.kick) {
        this.kick = false;
        f |= this.recheck();
        continue;
      }
      break;
    }
    if (f & ABORT) this.close();
    if (f & CONNECT) this.connect();
    if (this.done) return;
    if (f & REARM) this.arm();
    if (f & FRAME && !this.fid) this.askFrame();
  }

  deliver() {
    const c = this.c;
    const text = c.o;
    const events = c.v;
    c.o = "";
    c.v = null;
    this.busy = true;
    if (text) {
      this.all += text;
      if (this.pending !== null) {
        const w = this.waiters.shift();
        if (w) {
          w({ value: this.pending + text, done: false });
          this.pending = "";
        } else this.pending += text;
      } else if (this.tc) {
        try {
          this.tc.enqueue(text);
        } catch (_) { /* the readable side was cancelled */ }
      }
      if (c.onText) {
        try {
          c.onText(text, this.info);
        } catch (e) {
          report(e);
        }
      }
    }
    if (events && c.onEvent) {
      for (const json of events) {
        for (const e of JSON.parse(json)) {
          try {
            c.onEvent(e);
          } catch (x) {
            report(x);
          }
        }
      }
    }
    this.busy = false;
  }

  finish(f) {
    const guard = this.g;
    this.done = true;
    this.cleanup();
    let r;
    if (!this.c.rust) {
      r = JSON.parse(guard.get(RESULT, 0));
      // The text crosses once: the flushes already brought all of it.
      r.text = f & SENT ? this.all : guard.get(TEXT, 0);
    }
    this.all = "";
    this.final = r;
    this.g = null;
    guard.free();
    this.wake();
    this.resolve(r);
  }

  wake() {
    for (const w of this.waiters) w({ value: undefined, done: true });
    this.waiters = [];
  }

  cleanup() {
    this.close();
    // guard(): close the readable side (after the last text) and error the writable side, so
    // that the pipe cancels its source.
    if (this.tc) {
      try {
        this.tc.close();
      } catch (_) { /* cancelled or errored */ }
      if (!this.ended) this.wc.error(new TypeError("streamguard: the guarded stream ended"));
    }
    if (this.tid) g.clearTimeout(this.tid);
    this.tid = 0;
    this.cancelFrame();
    if (this.c.signal) this.c.signal.removeEventListener("abort", this.onAbort);
    if (this.vis) this.vis.removeEventListener("visibilitychange", this.onVis);
    this.vis = null;
  }

  close() {
    this.conn++;
    const r = this.reader;
    this.reader = null;
    if (r) {
      try {
        r.cancel().catch(noop);
      } catch (_) { /* released */ }
      try {
        r.releaseLock();
      } catch (_) { /* released */ }
    }
    const ctl = this.ctl;
    this.ctl = null;
    if (ctl) ctl.abort();
  }

  connect() {
    this.close();
    const c = this.c;
    const conn = this.conn;
    const ctl = new AbortController();
    this.ctl = ctl;
    const init = Object.assign({}, c.init, { signal: ctl.signal });
    const id = this.g.get(LAST_ID, 0);
    if (id) {
      init.headers = new Headers(init.headers);
      init.headers.set("last-event-id", id);
    }
    let p;
    try {
      p = Promise.resolve(c.fetch ? c.fetch(c.url, init) : g.fetch(c.url, init));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then((res) => this.head(conn, res), (e) => this.net(conn, OTHER, e));
  }

  net(conn, kind, e) {
    if (conn === this.conn) this.step(this.g.withText(now(), FAILED, kind, this.put(enc.encode(errorMessage(e)))));
  }

  head(conn, res) {
    if (conn !== this.conn) return;
    if (!res || typeof res.status !== "number" || !res.headers) {
      return this.net(conn, OTHER, new TypeError("streamguard: `fetch` returned " + (res === null ? "null" : typeof res) + ", not a Response"));
    }
    const h = [];
    res.headers.forEach((value, name) => h.push(name, value));
    this.step(this.g.withText(now(), HEAD, res.status, this.put(enc.encode(h.join("\n")))));
    if (conn !== this.conn) return;
    let reader = this.reader;
    if (!reader) {
      const body = res.body;
      if (!body) return this.step(this.g.on(now(), EOF, 0));
      reader = this.reader = body.getReader();
    }
    const onErr = (e) => this.net(conn, RESET, e);
    const onRead = (r) => {
      if (conn !== this.conn) return;
      if (r.done) return this.step(this.g.on(now(), EOF, 0));
      this.step(this.feed(r.value));
      if (conn === this.conn) reader.read().then(onRead, onErr);
    };
    reader.read().then(onRead, onErr);
  }

  // A read into the Guard: copied into its input buffer in the wasm memory, then one call. A
  // read over INPUT_MAX bytes (a network that coalesces reads hands out a megabyte or more)
  // goes in slices of INPUT_MAX, so the input buffer, which the wasm memory keeps for good,
  // never holds a large read next to the event it carries. The text of every slice reaches
  // the sink before the flags are acted on: still one onText per read.
  feed(bytes) {
    const total = bytes.length;
    let f = 0;
    for (let off = 0; off < total || off === 0; off += INPUT_MAX) {
      const part = total > INPUT_MAX ? bytes.subarray(off, off + INPUT_MAX) : bytes;
      f |= this.g.on(now(), READ, this.put(part));
      // The rest of the read is not for this attempt (or for no attempt at all).
      if (f & (ABORT | CONNECT | FINISHED)) break;
    }
    return f;
  }

  // Copies bytes into the Guard's input buffer (grown first when too small): a read, or the
  // UTF-8 of a text for withText. Returns their length.
  put(bytes) {
    const guard = this.g;
    const n = bytes.length;
    if (n > this.cap) {
      this.at = guard.on(0, INPUT, n);
      this.cap = n;
    }
    let v = this.view;
    // A grown memory detaches the old buffer (its views become empty).
    if (v === null || v.byteLength === 0) v = this.view = new Uint8Array(guard.get(MEMORY, 0).buffer);
    v.set(bytes, this.at);
    return n;
  }

  arm() {
    if (this.tid) g.clearTimeout(this.tid);
    const d = this.g.deadline();
    this.tid = d < 0 ? 0 : g.setTimeout(this.onTimer, Math.max(0, Math.ceil(d - now())));
  }

  // A frame while visible; a ~16 ms timer when hidden or without a document.
  askFrame() {
    const d = g.document;
    this.raf = !!d && d.visibilityState === "visible" && typeof g.requestAnimationFrame === "function";
    this.fid = this.raf ? g.requestAnimationFrame(this.onFrame) : g.setTimeout(this.onFrame, 16);
  }

  cancelFrame() {
    if (this.fid) {
      if (this.raf) g.cancelAnimationFrame(this.fid);
      else g.clearTimeout(this.fid);
    }
    this.fid = 0;
  }

  // guard(): a chunk from the pipe, its end, its source's failure (the pipe aborts the
  // writable side: a reset).
  chunk(c) {
    if (this.done) return;
    if (!(c instanceof Uint8Array)) {
      if (c instanceof ArrayBuffer) c = new Uint8Array(c);
      else if (ArrayBuffer.isView(c)) c = new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
      else {
        const e = new TypeError("streamguard: guard() takes Uint8Array chunks, got " + (c === null ? "null" : typeof c));
        this.fail(e);
        throw e;
      }
    }
    this.step(this.feed(c));
  }

  end() {
    this.ended = true;
    if (!this.done) this.step(this.g.on(now(), EOF, 0));
    return this.promise;
  }

  reset(r) {
    this.ended = true;
    if (!this.done) this.net(this.conn, RESET, r);
  }

  next() {
    const t = this.pending;
    if (t) {
      this.pending = "";
      return Promise.resolve({ value: t, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((w) => this.waiters.push(w));
  }
}

// onText's `info`: one per stream, computed when read; the result's after the end.
function info(l) {
  const i = {};
  Object.defineProperty(i, "text", { enumerable: true, get: () => (l.final ? l.final.text : l.g ? l.g.get(TEXT, 0) : "") });
  Object.defineProperty(i, "stats", {
    enumerable: true,
    get: () => (l.final ? l.final.stats : l.g ? JSON.parse(l.g.get(STATS, now())) : undefined),
  });
  return i;
}

const dispose = Symbol.dispose || Symbol.for("Symbol.dispose");
const asyncDispose = Symbol.asyncDispose || Symbol.for("Symbol.asyncDispose");

export class StreamHandle {
  #l;
  constructor(loop) {
    this.#l = loop;
  }
  get result() {
    return this.#l.promise;
  }
  abort() {
    this.#l.abort();
  }
  next() {
    return this.#l.next();
  }
  return() {
    this.#l.abort();
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator]() {
    return this;
  }
  free() {
    this.#l.abort();
  }
  [dispose]() {
    this.#l.abort();
  }
  [asyncDispose]() {
    this.#l.abort();
    return this.#l.promise.then(noop, noop);
  }
}

export const run = (call, guard) => new Loop(call, guard, false).promise;

export const open = (call, guard) => new StreamHandle(new Loop(call, guard, true));

// guard(): a TransformStream<Uint8Array, string> (its readable and writable sides, built
// from the hooks every engine has: a readable side cancelled is an abort, a writable side
// aborted a reset) with `result` and `abort()`. No backpressure on the text: the core holds
// all of it anyway, and the timers measure the source, not the reader.
export function pipe(call, guard) {
  let l, rc;
  const readable = new ReadableStream({ start: (c) => { rc = c; }, cancel: () => l.abort() });
  const writable = new WritableStream({
    start: (wc) => (l = new Loop(call, guard, rc, wc)).ready,
    write: (c) => l.chunk(c),
    close: () => l.end(),
    abort: (r) => l.reset(r),
  });
  l.promise.catch(noop); // a bad chunk rejects it; the stream's own errors report that
  return { readable, writable, result: l.promise, abort: () => l.abort() };
}
