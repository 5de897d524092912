// streamguard's JS host: options, the fetch/reader/timer/frame loop, StreamHandle. Glue only:
// the wasm Guard (src/web/guard.rs, its docs describe this ABI) decides retries, resume, pacing
// and outcomes. No `window` or `document` assumed. `guard`: a Guard, a promise of one, or a
// function of the Call returning either (a package entry may load the wasm lazily).
// Flags returned by every Guard call (as in guard.rs):
const ABORT = 1; // close the connection
const CONNECT = 2; // send the next request (Last-Event-ID: guard.lastEventId())
const FINISHED = 4; // guard.result() (JSON without the text) + guard.text()
const FRAME = 8; // text waits for an animation frame
const REARM = 16; // re-arm the timer at guard.deadline()
// guard.error kinds
const OTHER = 0;
const RESET = 1;

const g = globalThis;
const noop = () => {};
export const now = () => g.performance.now();
export const seed = () => Math.random() * 9007199254740992;

const KNOWN = ["url", "method", "headers", "body", "credentials", "protocol", "firstByteTimeoutMs",
  "idleTimeoutMs", "contentTimeoutMs", "totalTimeoutMs", "maxEventBytes", "maxTextBytes", "signal",
  "flush", "retry", "onText", "onEvent"];
const PROTOCOLS = ["openai", "openai-responses", "anthropic", "ollama", "sse", "auto"];
const RETRY = ["maxAttempts", "baseDelayMs", "maxDelayMs", "maxRetryAfterMs", "resume"];
const HEADERS = "expected a Headers, an array of [name, value] pairs or an object of strings";
const FLUSH = 'expected "frame", "immediate", { intervalMs } or { smooth: "word" | "grapheme" }';

function fail(option, reason) {
  throw new TypeError("streamguard: invalid option `" + option + "`: " + reason);
}
const isObj = (v) => typeof v === "object" && v !== null;
const get = (o, k) => (o[k] == null ? undefined : o[k]);
const describe = (v) => (typeof v === "string" ? JSON.stringify(v) : typeof v === "number" ? String(v) : typeof v);
const isGet = (m) => /^get$/i.test(m);

// A string as Rust's `{:?}` shows it.
function quoted(s) {
  let out = '"';
  for (const c of s) {
    const n = c.codePointAt(0);
    out += c === '"' ? '\\"' : c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\r" ? "\\r" : c === "\n" ? "\\n"
      : c === "\0" ? "\\0" : n < 32 || (n > 126 && n < 160) ? "\\u{" + n.toString(16) + "}" : c;
  }
  return out + '"';
}

export function errorMessage(e) {
  return isObj(e) && "message" in e ? (e.name ? e.name + ": " : "") + String(e.message) : String(e);
}

// A finite number >= min, rounded up; else undefined.
const num = (v, min) => (typeof v === "number" && Number.isFinite(v) && v >= min ? Math.ceil(v) : undefined);

function count(o, key, min, option, prefix) {
  const v = get(o, key);
  if (v === undefined) return -1;
  const n = num(v, min);
  if (n === undefined) fail(option || key, (prefix || "") + "expected a finite number >= " + min + ", got " + describe(v));
  return n;
}

function str(o, key) {
  const v = get(o, key);
  if (v !== undefined && typeof v !== "string") fail(key, "expected a string");
  return v;
}

function fn(o, key) {
  const v = get(o, key);
  if (v !== undefined && typeof v !== "function") fail(key, "expected a function, got " + describe(v));
  return v;
}

function headerPairs(v) {
  const out = [];
  if (typeof Headers === "function" && v instanceof Headers) {
    v.forEach((value, name) => out.push([name, value]));
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = v[i];
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== "string" || typeof p[1] !== "string") fail("headers", HEADERS);
      out.push(p);
    }
  } else {
    if (!isObj(v)) fail("headers", HEADERS);
    for (const p of Object.entries(v)) {
      if (typeof p[1] !== "string") fail("headers", HEADERS);
      out.push(p);
    }
  }
  return out;
}

// [kind, intervalMs]: kind 0 frame, 1 immediate, 2 interval, 3 smooth word, 4 smooth grapheme.
function flush(v) {
  if (typeof v === "string") {
    if (v === "frame") return [0, 0];
    if (v === "immediate") return [1, 0];
    fail("flush", FLUSH + ", got " + quoted(v));
  }
  if (!isObj(v)) fail("flush", FLUSH);
  const ms = get(v, "intervalMs");
  if (ms !== undefined) {
    const n = num(ms, 1);
    if (n === undefined) fail("flush", FLUSH + " (intervalMs must be a finite number >= 1)");
    return [2, n];
  }
  const s = get(v, "smooth");
  if (s === "word") return [3, 0];
  if (s === "grapheme") return [4, 0];
  fail("flush", FLUSH);
}

// One stream's validated options, and the Guard's sink (`t`: the text of a call, `e`: its
// events as a JSON array); the host delivers them after the call returned.
class Call {
  constructor(url, init, signal, protocol, cfg, onText, onEvent) {
    this.url = url;
    this.init = init;
    this.signal = signal;
    this.protocol = protocol;
    this.cfg = cfg;
    this.onText = onText;
    this.onEvent = onEvent;
    this.rust = false; // the Rust API: text and result go to Rust directly
    this.o = "";
    this.v = null;
  }
  t(text) {
    this.o += text;
  }
  e(json) {
    (this.v || (this.v = [])).push(json);
  }
}

// Builds the request once: a bad URL, method or header is a TypeError now.
function request(url, method, pairs, body, credentials) {
  const headers = new Headers();
  try {
    for (const [n, v] of pairs) headers.append(n, v);
  } catch (e) {
    fail("headers", errorMessage(e));
  }
  const m = method === undefined ? (body === undefined ? "GET" : "POST") : method;
  if (body !== undefined && (isGet(m) || /^head$/i.test(m))) fail("body", "a " + m + " request cannot have a body");
  const init = { method: m, headers };
  if (body !== undefined) init.body = body;
  if (credentials !== undefined) init.credentials = credentials;
  try {
    new Request(url, init);
  } catch (e) {
    let bad = "url";
    try {
      new Request(url);
      bad = "method";
    } catch (_) { /* the URL itself */ }
    fail(bad, errorMessage(e));
  }
  return init;
}

// The JS options object -> a Call, or a TypeError naming the option.
export function validate(o) {
  if (!isObj(o)) fail("options", "expected an options object");
  for (const k of Object.keys(o)) if (!KNOWN.includes(k)) fail(k, "unknown option");
  let url = get(o, "url");
  if (url === undefined) fail("url", "required");
  if (typeof url !== "string") {
    url = get(url, "href"); // a URL
    if (typeof url !== "string") fail("url", "expected a string or a URL");
  }
  const method = str(o, "method");
  const h = get(o, "headers");
  const pairs = h === undefined ? [] : headerPairs(h);
  const body = str(o, "body");
  const credentials = str(o, "credentials");
  if (credentials !== undefined && credentials !== "omit" && credentials !== "same-origin" && credentials !== "include") {
    fail("credentials", 'expected "omit", "same-origin" or "include", got ' + quoted(credentials));
  }
  const protocol = str(o, "protocol") ?? "auto";
  if (!PROTOCOLS.includes(protocol)) {
    fail("protocol", 'expected "openai", "openai-responses", "anthropic", "ollama", "sse" or "auto", got ' + quoted(protocol));
  }
  // -1: the core's default.
  const cfg = [count(o, "firstByteTimeoutMs", 0), count(o, "idleTimeoutMs", 0), count(o, "contentTimeoutMs", 0),
    count(o, "totalTimeoutMs", 0), count(o, "maxEventBytes", 1), count(o, "maxTextBytes", 1),
    -1, 0, 0, -1, -1, -1, -1, 0, 0, seed()];
  const f = get(o, "flush");
  if (f !== undefined) [cfg[6], cfg[7]] = flush(f);
  const signal = get(o, "signal");
  if (signal !== undefined && !(typeof AbortSignal === "function" && signal instanceof AbortSignal)) {
    fail("signal", "expected an AbortSignal");
  }
  const r = get(o, "retry");
  if (r !== undefined && r !== false) {
    if (!isObj(r)) fail("retry", "expected an object { maxAttempts, baseDelayMs, maxDelayMs, maxRetryAfterMs, resume }");
    for (const k of Object.keys(r)) if (!RETRY.includes(k)) fail("retry", "unknown field `" + k + "`");
    RETRY.slice(0, 4).forEach((k, i) => {
      cfg[9 + i] = count(r, k, i ? 0 : 1, "retry", "`" + k + "`: ");
    });
    // A policy object: 3 attempts unless it says otherwise.
    if (cfg[9] < 0) cfg[9] = 3;
    const resume = get(r, "resume");
    if (resume !== undefined && typeof resume !== "boolean") fail("retry", "`resume`: expected a boolean");
    cfg[13] = resume ? 1 : 0;
  }
  const onText = fn(o, "onText");
  const onEvent = fn(o, "onEvent");
  cfg[8] = onEvent ? 1 : 0;
  const init = request(url, method, pairs, body, credentials);
  cfg[14] = isGet(init.method) ? 1 : 0;
  if (cfg[13] && (protocol !== "sse" || !cfg[14])) fail("retry", '`resume` needs protocol "sse" and a GET request');
  return new Call(url, init, signal, protocol, cfg, onText, onEvent);
}

// The Rust API's options: the request part of `validate`.
export function prepare(url, method, flat, body, credentials, signal) {
  const pairs = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  const init = request(url, method, pairs, body, credentials);
  const call = new Call(url, init, signal, "auto", [], undefined, undefined);
  call.rust = true;
  return call;
}

export const reason = (e) => (isObj(e) && typeof e.message === "string" ? e.message : String(e));

export const reject = (e) => Promise.reject(e);

function report(e) {
  if (typeof g.reportError === "function") g.reportError(e);
  else g.setTimeout(() => { throw e; }, 0);
}

const opt = (x) => (x < 0 ? null : x);
const statsOf = (a) => ({
  headersMs: opt(a[0]), ttfbMs: opt(a[1]), ttftMs: opt(a[2]), durationMs: a[3], bytes: a[4], events: a[5],
  keepAlives: a[6], deltas: a[7], flushes: a[8], maxByteGapMs: a[9], maxContentGapMs: a[10], buffered: a[11] === 1,
});

class Loop {
  constructor(call, guard, iterable) {
    this.c = call;
    this.g = null;
    this.done = false;
    this.final = undefined;
    this.busy = false; // in a user callback
    this.stop = false; // abort asked while busy or before the Guard
    this.conn = 0; // callbacks of an older connection are dropped
    this.ctl = null;
    this.reader = null;
    this.tid = 0; // the ONE timer
    this.fid = 0; // the frame (or its timer fallback)
    this.raf = false;
    this.vis = null;
    this.pending = iterable ? "" : null; // text not yet taken by next()
    this.waiters = [];
    this.info = call.onText ? info(this) : undefined;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.onTimer = () => {
      this.tid = 0;
      if (!this.done) this.step(this.g.timeout(now()));
    };
    this.onFrame = () => {
      this.fid = 0;
      if (!this.done) this.step(this.g.frame(now()));
    };
    this.onAbort = () => this.abort();
    // Hidden pages have no frames and late timers: re-check, re-pick frame or timer.
    this.onVis = () => {
      if (this.done || !this.g) return;
      this.cancelFrame();
      this.step(this.g.timeout(now()));
    };
    const s = call.signal;
    if (s) {
      if (s.aborted) this.stop = true;
      else s.addEventListener("abort", this.onAbort);
    }
    if (typeof guard === "function") guard = guard(call);
    if (guard && typeof guard.then === "function") guard.then((x) => this.start(x), (e) => this.fail(e));
    else this.start(guard);
  }

  start(guard) {
    if (this.done) return;
    this.g = guard;
    const d = g.document;
    if (d && typeof d.addEventListener === "function") {
      this.vis = d;
      d.addEventListener("visibilitychange", this.onVis);
    }
    // A first poll yields CONNECT (or, already aborted, the result).
    if (this.stop) this.abort();
    else this.step(guard.timeout(now()));
  }

  fail(e) {
    if (this.done) return;
    this.done = true;
    this.cleanup();
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
    this.step(this.g.abort(now()));
  }

  step(f) {
    const c = this.c;
    for (;;) {
      if (c.o || c.v) this.deliver();
      if (f & FINISHED) return this.finish();
      if (this.stop) {
        this.stop = false;
        this.close();
        f = (f & REARM) | this.g.abort(now());
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
      if (this.pending !== null) {
        const w = this.waiters.shift();
        if (w) {
          w({ value: this.pending + text, done: false });
          this.pending = "";
        } else this.pending += text;
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

  finish() {
    const guard = this.g;
    this.done = true;
    this.cleanup();
    let r;
    if (!this.c.rust) {
      r = JSON.parse(guard.result());
      r.text = guard.text();
    }
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
    const id = this.g.lastEventId();
    if (id) {
      init.headers = new Headers(init.headers);
      init.headers.set("last-event-id", id);
    }
    let p;
    try {
      p = g.fetch(c.url, init);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then((res) => this.head(conn, res), (e) => this.net(conn, OTHER, e));
  }

  net(conn, kind, e) {
    if (conn === this.conn) this.step(this.g.error(now(), kind, errorMessage(e)));
  }

  head(conn, res) {
    if (conn !== this.conn) return;
    const h = [];
    res.headers.forEach((value, name) => h.push(name, value));
    this.step(this.g.head(now(), res.status, h.join("\n")));
    if (conn !== this.conn) return;
    const body = res.body;
    if (!body) return this.step(this.g.eof(now()));
    const reader = body.getReader();
    this.reader = reader;
    const onErr = (e) => this.net(conn, RESET, e);
    const onRead = (r) => {
      if (conn !== this.conn) return;
      if (r.done) return this.step(this.g.eof(now()));
      this.step(this.g.feed(now(), r.value));
      if (conn === this.conn) reader.read().then(onRead, onErr);
    };
    reader.read().then(onRead, onErr);
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
  Object.defineProperty(i, "text", { enumerable: true, get: () => (l.final ? l.final.text : l.g ? l.g.text() : "") });
  Object.defineProperty(i, "stats", {
    enumerable: true,
    get: () => (l.final ? l.final.stats : l.g ? statsOf(l.g.stats(now())) : undefined),
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
