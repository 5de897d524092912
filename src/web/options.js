// streamguard's options: the JS options object checked and normalised (a TypeError naming the
// option, "streamguard: invalid option `name`: reason"), with no wasm needed. `validate` returns
// the stream's Call: what host.js sends and the numbers the Guard is built from
// (src/web/guard.rs `Guard::new`); the Call is also the Guard's sink.
const g = globalThis;
export const seed = () => Math.random() * 9007199254740992;

// guard() takes the stream options; stream() and open() the request ones too.
const STREAM = ["protocol", "firstByteTimeoutMs", "idleTimeoutMs", "contentTimeoutMs", "totalTimeoutMs",
  "maxEventBytes", "maxTextBytes", "signal", "flush", "onText", "onEvent"];
// Passed through to fetch as they are (the runtime's Request checks them).
const INIT = ["mode", "cache", "redirect", "referrer", "referrerPolicy", "integrity", "keepalive", "priority"];
const REQUEST = ["url", "response", "fetch", "method", "headers", "body", "credentials", "retry"].concat(INIT);
// In the order of Rust's `Protocol::ALL`: the Guard takes the index (tests/ts_vocabulary.rs checks).
const PROTOCOLS = ["openai", "openai-responses", "anthropic", "ollama", "gemini", "ai-sdk", "sse", "text", "auto"];
const RETRY = ["maxAttempts", "baseDelayMs", "maxDelayMs", "maxRetryAfterMs", "resume"];
const HEADERS = "expected a Headers, an array of [name, value] pairs or an object of strings";
const FLUSH = 'expected "frame", "immediate", { intervalMs } or { smooth: "word" | "grapheme" }';

export function fail(option, reason) {
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
// events as a JSON array; `n(i)`: `cfg[i]`, which the Guard reads when it is built); the host
// delivers the text and events after the call returned. `response`: the
// Response to read instead of fetching; `fetch`: the fetch to call (else the global one).
export class Call {
  constructor(url, init, signal, cfg, onText, onEvent, response, fetch) {
    this.url = url;
    this.init = init;
    this.signal = signal;
    this.cfg = cfg;
    this.onText = onText;
    this.onEvent = onEvent;
    this.response = response;
    this.fetch = fetch;
    this.rust = false; // the Rust API (rust.js): text and result go to Rust directly
    this.o = "";
    this.v = null;
  }
  t(text) {
    this.o += text;
  }
  n(i) {
    return this.cfg[i];
  }
  e(json) {
    (this.v || (this.v = [])).push(json);
  }
}

const BODY = "expected a string, Blob, ArrayBuffer, typed array, DataView, FormData or URLSearchParams";
function bodyInit(v) {
  if (v === undefined || typeof v === "string" || v instanceof ArrayBuffer || ArrayBuffer.isView(v) ||
    [g.Blob, g.FormData, g.URLSearchParams].some((c) => typeof c === "function" && v instanceof c)) return v;
  fail("body", BODY);
}

// Builds the request once: a bad URL, method, header or RequestInit field is a TypeError now,
// naming the first field the runtime's Request refuses. With the caller's own `fetch`, a URL
// that Request cannot parse (a relative one in a server runtime) is that fetch's business.
export function request(url, method, pairs, body, credentials, extra, custom) {
  const headers = new Headers();
  try {
    for (const [n, v] of pairs) headers.append(n, v);
  } catch (e) {
    fail("headers", errorMessage(e));
  }
  const m = method === undefined ? (body === undefined ? "GET" : "POST") : method;
  if (body !== undefined && (isGet(m) || /^head$/i.test(m))) fail("body", "a " + m + " request cannot have a body");
  const init = Object.assign({ method: m, headers }, extra);
  if (body !== undefined) init.body = body;
  if (credentials !== undefined) init.credentials = credentials;
  const R = g.Request;
  if (typeof R === "function") {
    let u = url;
    if (custom) {
      try {
        new R(url);
      } catch (_) {
        u = "http://localhost/";
      }
    }
    try {
      new R(u, init);
    } catch (e) {
      let bad = "url";
      try {
        new R(u);
        const t = {};
        for (const k in init) {
          bad = k;
          t[k] = init[k];
          new R(u, t);
        }
      } catch (_) { /* found */ }
      fail(bad, errorMessage(e));
    }
  }
  return init;
}

// The JS options object -> a Call, or a TypeError naming the option. `pipe`: guard()'s
// options (no request).
export function validate(o, pipe) {
  if (pipe && o === undefined) o = {};
  if (!isObj(o)) fail("options", "expected an options object");
  for (const k of Object.keys(o)) {
    if (!STREAM.includes(k) && (pipe || !REQUEST.includes(k))) fail(k, pipe && REQUEST.includes(k) ? "not an option of guard()" : "unknown option");
  }
  const protocol = str(o, "protocol") ?? "auto";
  if (!PROTOCOLS.includes(protocol)) {
    fail("protocol", "expected " + PROTOCOLS.slice(0, -1).map((p) => '"' + p + '"').join(", ") + ' or "auto", got ' + quoted(protocol));
  }
  // -1: the core's default.
  const cfg = [count(o, "firstByteTimeoutMs", 0), count(o, "idleTimeoutMs", 0), count(o, "contentTimeoutMs", 0),
    count(o, "totalTimeoutMs", 0), count(o, "maxEventBytes", 1), count(o, "maxTextBytes", 1),
    -1, 0, 0, -1, -1, -1, -1, 0, 0, seed(), pipe ? 1 : 0, PROTOCOLS.indexOf(protocol)];
  const f = get(o, "flush");
  if (f !== undefined) [cfg[6], cfg[7]] = flush(f);
  const signal = get(o, "signal");
  if (signal !== undefined && !(typeof AbortSignal === "function" && signal instanceof AbortSignal)) {
    fail("signal", "expected an AbortSignal");
  }
  const onText = fn(o, "onText");
  const onEvent = fn(o, "onEvent");
  cfg[8] = onEvent ? 1 : 0;
  const call = new Call(undefined, undefined, signal, cfg, onText, onEvent);
  if (pipe) return call;
  const res = get(o, "response");
  if (res !== undefined) {
    if (get(o, "url") !== undefined) fail("response", "`response` and `url` are mutually exclusive");
    if (!isObj(res) || typeof res.status !== "number" || !isObj(res.headers) || typeof res.headers.forEach !== "function") {
      fail("response", "expected a Response");
    }
    if (res.bodyUsed) fail("response", "its body was already used");
    if (res.body && res.body.locked) fail("response", "its body is locked");
    // Nothing to request: retries and resume need `url`.
    for (const k of REQUEST) if (k !== "response" && get(o, k) !== undefined && o[k] !== false) fail(k, "needs `url` (a `response` cannot be requested again)");
    call.response = res;
    cfg[16] = 1;
    return call;
  }
  let url = get(o, "url");
  if (url === undefined) fail("url", "required (or `response`)");
  if (typeof url !== "string") {
    url = get(url, "href"); // a URL
    if (typeof url !== "string") fail("url", "expected a string or a URL");
  }
  const method = str(o, "method");
  const h = get(o, "headers");
  const pairs = h === undefined ? [] : headerPairs(h);
  const body = bodyInit(get(o, "body"));
  const credentials = str(o, "credentials");
  if (credentials !== undefined && credentials !== "omit" && credentials !== "same-origin" && credentials !== "include") {
    fail("credentials", 'expected "omit", "same-origin" or "include", got ' + quoted(credentials));
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
  const fetch = fn(o, "fetch");
  if (!fetch && typeof g.fetch !== "function") fail("fetch", "required where there is no global fetch");
  const extra = {};
  for (const k of INIT) if (get(o, k) !== undefined) extra[k] = o[k];
  const init = request(url, method, pairs, body, credentials, extra, !!fetch);
  cfg[14] = isGet(init.method) ? 1 : 0;
  if (cfg[13] && (protocol !== "sse" || !cfg[14])) fail("retry", '`resume` needs protocol "sse" and a GET request');
  call.url = url;
  call.init = init;
  call.fetch = fetch;
  return call;
}

export const reject = (e) => Promise.reject(e);
