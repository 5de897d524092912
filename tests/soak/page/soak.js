// The soak page: many streams through the npm package's browser entry (served at /pkg/, loaded
// as a user loads it: the wasm on first use), in sequence and in waves of concurrent streams,
// mixing every outcome and every way of leaving a stream. tests/soak/soak.mjs drives it over
// WebDriver: `soak.phase(label, count)` runs streams and checks each one, `soak.measure()`
// returns what is still pending (instrument.js) and the wasm memory, `soak.collected()` how
// many streams' callbacks the GC has reclaimed (after the driver forced a GC).
//
// The page's own timers, listeners and fetches go through instrument.js's originals, so the
// instruments count only the product.
const I = globalThis.__soakInstrument;
const O = I.orig;
const sleep = (ms) => new Promise((resolve) => O.setTimeout(resolve, ms));
const params = new URLSearchParams(location.search);
// Streams go to 127.0.0.1 .. 127.0.0.HOSTS (one origin each, the harness listening on all), so
// a wave is not held to the browser's 6 connections per host; 1: the page's own host only.
const HOSTS = Math.max(1, Number(params.get("hosts") || 1));
const TAG = params.get("tag") || "soak";
// The chaos kinds' seed: stream i draws its scenario and faults from SEED and i alone.
const SEED = Number(params.get("seed") || 1) >>> 0;
const WAVE = Math.max(1, Number(params.get("wave") || 50));
const dispose = Symbol.dispose || Symbol.for("Symbol.dispose");
const asyncDispose = Symbol.asyncDispose || Symbol.for("Symbol.asyncDispose");

// Every way a stream is used and left, with the outcome it must have. `scenario` is a file of
// tests/soak/scenarios/ (timers from its [client] section); `api`:
//   stream        await stream(options)
//   iterate       for await over open(options) to the end
//   abort-signal  stream() with a signal, aborted after the first text (inside onText on even
//                 streams, from a later task on odd ones)
//   aborted-early stream() with a signal already aborted (no request is made)
//   break         for await over open(), left with `break` after the first text
//   free, dispose handle.free() / handle[Symbol.dispose]() after the first text, a next()
//                 pending at that moment
//   async-dispose await handle[Symbol.asyncDispose]() after the first text
//   drop          the handle dropped after the first text (only its result promise kept); the
//                 stream ends by itself (its idle timer)
// `closes`: the client must close the connection (the server holds it open), checked with the
// harness's wait-closed.
const KINDS = [
  { name: "complete", scenario: "soak_ok", api: "stream", outcome: "complete" },
  { name: "complete-iterated", scenario: "soak_anthropic_ok", api: "iterate", outcome: "complete" },
  { name: "complete-text-events", scenario: "soak_text_ok", api: "stream", events: true, outcome: "complete" },
  { name: "stalled-idle", scenario: "soak_stall", api: "stream", outcome: "stalled", phase: "idle", closes: true },
  { name: "stalled-content", scenario: "soak_pings", api: "stream", events: true, outcome: "stalled", phase: "content", closes: true },
  { name: "stalled-first-byte", scenario: "soak_silent", api: "stream", outcome: "stalled", phase: "first_byte", closes: true },
  { name: "aborted-signal", scenario: "soak_slow", api: "abort-signal", outcome: "aborted", closes: true },
  { name: "aborted-early", scenario: "soak_slow", api: "aborted-early", outcome: "aborted", noRequest: true },
  { name: "reset", scenario: "soak_reset", api: "stream", outcome: "network_error" },
  { name: "http-error", scenario: "soak_http_error", api: "stream", outcome: "http_error" },
  { name: "provider-error", scenario: "soak_provider_error", api: "stream", outcome: "provider_error", closes: true },
  { name: "truncated", scenario: "soak_truncated", api: "stream", outcome: "truncated" },
  { name: "protocol-error", scenario: "soak_invalid_json", api: "stream", outcome: "protocol_error", closes: true },
  { name: "open-break", scenario: "soak_slow", api: "break", outcome: "aborted", closes: true },
  { name: "freed", scenario: "soak_slow", api: "free", outcome: "aborted", closes: true },
  { name: "disposed", scenario: "soak_slow", api: "dispose", outcome: "aborted", closes: true },
  { name: "async-disposed", scenario: "soak_slow", api: "async-dispose", outcome: "aborted", closes: true },
  { name: "dropped", scenario: "soak_stall", api: "drop", outcome: "stalled", phase: "idle", closes: true },
  // Seeded chaos: an SSE scenario with random request faults. "clean" faults change only how
  // the bytes arrive (the stream must complete with the exact text); "cut" adds one that ends
  // it early (any of these outcomes, the text a prefix, complete only with the whole text, and
  // a stall's connection closed by the client).
  { name: "chaos-clean", chaos: "clean", api: "stream", outcome: "complete" },
  { name: "chaos-cut", chaos: "cut", api: "stream", outcomes: ["complete", "stalled", "network_error", "truncated"] },
];
const CHAOS_SCENARIOS = ["soak_ok", "soak_anthropic_ok"];
const CHAOS_IDLE_MS = 600;

// mulberry32: a small seeded PRNG (uniform in [0, 1)).
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chaos(mode, i) {
  const r = rng(SEED ^ Math.imul(i + 1, 0x9e3779b9));
  const int = (n) => Math.floor(r() * n);
  const pick = (a) => a[int(a.length)];
  const clean = [
    () => "rechunk:" + (1 + int(64)),
    () => "rechunk:random:1-300",
    () => "split_utf8",
    () => "line_endings:" + pick(["crlf", "cr", "lf", "mixed"]),
    () => "inject_pings:" + (5 + int(30)),
    () => "buffer_all",
    () => "delay_first_byte:" + int(50),
  ];
  const cut = [
    () => "stall_after:" + (1 + int(8)),
    () => "reset_after:" + (1 + int(600)),
    () => "drop_terminator",
  ];
  const faults = [];
  for (let n = int(4); n > 0; n--) faults.push(pick(clean)());
  if (mode === "cut") faults.splice(int(faults.length + 1), 0, pick(cut)());
  return { scenario: pick(CHAOS_SCENARIOS), faults };
}
const FLUSH = ["frame", "immediate", { intervalMs: 8 }, { smooth: "word" }];
const MAX_PROBLEMS = 40;

let api = null;
let scenarios = null;
let index = 0; // streams started in the page's life: picks the kind, flush mode and host
const T = {
  started: 0, settled: 0, settledTwice: 0, rejected: 0, lateCallbacks: 0,
  nexts: 0, nextsSettled: 0, disposes: 0, disposesSettled: 0,
  registered: 0, collected: 0,
};
const registry = new FinalizationRegistry(() => {
  T.collected++;
});
let problems = [];
let toClose = []; // request ids the client must have closed
let outcomes = {};
let byKind = {}; // kind -> {n, expected, ok, got: {outcome: count}}

function problem(msg) {
  if (problems.length < MAX_PROBLEMS) problems.push(msg);
  else if (problems.length === MAX_PROBLEMS) problems.push("...");
}

function optionsFor(kind, i, st) {
  const sc = scenarios.get(st.scenario);
  if (!sc) throw new Error("scenario " + st.scenario + " not served (serve --scenarios tests/soak/scenarios)");
  const c = sc.client || {};
  const host = HOSTS > 1 ? "127.0.0." + (1 + (i % HOSTS)) : location.hostname;
  st.id = TAG + "-" + i;
  const o = {
    url: "http://" + host + ":" + location.port + "/scenarios/" + st.scenario + "?request_id=" + st.id +
      st.faults.map((f) => "&fault=" + encodeURIComponent(f)).join(""),
    flush: FLUSH[i % FLUSH.length],
    // Generous unless the scenario sets one: a wave's requests may wait for a connection.
    firstByteTimeoutMs: c.firstByteTimeoutMs ?? 10000,
    idleTimeoutMs: c.idleTimeoutMs ?? (kind.chaos === "cut" ? CHAOS_IDLE_MS : 10000),
    contentTimeoutMs: c.contentTimeoutMs ?? 0,
    totalTimeoutMs: c.totalTimeoutMs ?? 30000,
    onText: (delta) => {
      if (st.done) T.lateCallbacks++;
      st.text += delta;
      if (kind.api === "abort-signal" && !st.abortAsked) {
        st.abortAsked = true;
        if (i % 2 === 0) st.ctl.abort();
        else O.setTimeout(() => st.ctl.abort(), 0);
      }
    },
  };
  // Simple requests only (no preflight): a POST of text, or a GET.
  if (i % 2 === 0) o.body = '{"model":"soak","messages":[{"role":"user","content":"hi"}]}';
  if (kind.events) {
    o.onEvent = () => {
      if (st.done) T.lateCallbacks++;
      st.events++;
    };
  }
  // The GC check: this closure lives as long as the product holds the stream.
  registry.register(o.onText, 0);
  T.registered++;
  return o;
}

// The result promise: settled once, never rejected.
function watch(p, st) {
  return p.then(
    (r) => {
      if (st.settles++) T.settledTwice++;
      else T.settled++;
      st.done = true;
      return r;
    },
    (e) => {
      if (st.settles++) T.settledTwice++;
      else T.settled++;
      st.done = true;
      T.rejected++;
      problem(st.kind + " " + st.id + ": rejected: " + e);
      return null;
    },
  );
}

const next = (h) => {
  T.nexts++;
  return h.next().then((v) => {
    T.nextsSettled++;
    return v;
  });
};

async function one() {
  const i = index++;
  const kind = KINDS[i % KINDS.length];
  const ch = kind.chaos ? chaos(kind.chaos, i) : { scenario: kind.scenario, faults: [] };
  const st = { kind: kind.name, scenario: ch.scenario, faults: ch.faults, id: "", text: "", iterated: "", events: 0, settles: 0, done: false, abortAsked: false, ctl: null };
  T.started++;
  let r = null;
  try {
    const o = optionsFor(kind, i, st);
    switch (kind.api) {
      case "stream":
        r = await watch(api.stream(o), st);
        break;
      case "abort-signal":
      case "aborted-early":
        st.ctl = new AbortController();
        if (kind.api === "aborted-early") st.ctl.abort();
        o.signal = st.ctl.signal;
        r = await watch(api.stream(o), st);
        break;
      case "iterate": {
        const h = api.open(o);
        const result = watch(h.result, st);
        for await (const t of h) st.iterated += t;
        r = await result;
        if (r && st.iterated !== r.text) problem(kind.name + " " + st.id + ": the iterator gave " + JSON.stringify(st.iterated) + ", the result " + JSON.stringify(r.text));
        break;
      }
      case "break": {
        const h = api.open(o);
        const result = watch(h.result, st);
        for await (const t of h) {
          st.iterated += t;
          break;
        }
        r = await result;
        break;
      }
      case "free":
      case "dispose":
      case "async-dispose": {
        const h = api.open(o);
        const result = watch(h.result, st);
        await next(h);
        if (kind.api === "async-dispose") {
          T.disposes++;
          await h[asyncDispose]();
          T.disposesSettled++;
          if (!st.done) problem(kind.name + " " + st.id + ": [Symbol.asyncDispose]() resolved before the result");
        } else {
          const waiting = next(h);
          if (kind.api === "free") h.free();
          else h[dispose]();
          await waiting;
        }
        r = await result;
        break;
      }
      case "drop": {
        let h = api.open(o);
        const result = watch(h.result, st);
        await next(h);
        h = null; // dropped: nothing refers to the handle any more
        r = await result;
        break;
      }
      default:
        throw new Error("unknown api " + kind.api);
    }
  } catch (e) {
    problem(kind.name + " " + st.id + ": threw " + (e && e.stack ? e.stack : e));
    return;
  }
  const k = byKind[kind.name] || (byKind[kind.name] = { n: 0, expected: kind.outcomes ? kind.outcomes.join("|") : kind.outcome + (kind.phase ? "/" + kind.phase : ""), ok: 0, got: {} });
  k.n++;
  if (!r) return;
  outcomes[r.outcome] = (outcomes[r.outcome] || 0) + 1;
  const got = r.outcome + (kind.phase && r.error ? "/" + r.error.phase : "");
  k.got[got] = (k.got[got] || 0) + 1;
  if (check(kind, st, r)) k.ok++;
  // A timer may fire before a busy browser sent the request: then no response head came.
  // Only a stall with no response head can have ended before its request went out (the
  // first-byte and content timers start at fetch(), and a busy browser may hold a request in a
  // wave longer than their 250 ms); every other kind had its head or its first text.
  if (kind.closes || (kind.chaos && r.outcome === "stalled")) toClose.push([st.id, kind.name, r.stats.headersMs !== null || r.outcome !== "stalled"]);
}

function check(kind, st, r) {
  let good = true;
  const bad = (msg) => {
    good = false;
    const chaosCase = st.faults.length ? " [" + st.scenario + " " + st.faults.join(" ") + "; seed " + SEED + "]" : "";
    problem(kind.name + " " + st.id + chaosCase + ": " + msg + " (outcome " + r.outcome + ", error " + JSON.stringify(r.error) + ")");
  };
  if (!(kind.outcomes || [kind.outcome]).includes(r.outcome)) {
    bad("expected " + (kind.outcomes || [kind.outcome]).join(" or "));
    return false;
  }
  if (kind.phase && (!r.error || r.error.phase !== kind.phase)) bad("expected phase " + kind.phase);
  if ((r.error === null) !== (r.outcome === "complete")) bad("error must be null exactly when complete");
  if (st.text !== r.text) bad("onText gave " + JSON.stringify(st.text) + ", the result has " + JSON.stringify(r.text));
  const want = scenarios.get(st.scenario).expect.text;
  if (typeof want === "string") {
    if (r.outcome === "complete" ? r.text !== want : !want.startsWith(r.text)) {
      bad("text " + JSON.stringify(r.text) + " is not " + (r.outcome === "complete" ? "" : "a prefix of ") + JSON.stringify(want));
    }
  }
  return good;
}

// The harness saw each connection the client had to close closed (it waits up to 5 s for the
// record and for the close).
async function checkClosed() {
  const ids = toClose;
  toClose = [];
  let seen = 0;
  let unsent = 0; // no record, no response head: the stream ended before its request went out
  const unsentKinds = {};
  let k = 0;
  const worker = async () => {
    while (k < ids.length) {
      const [id, kind, answered] = ids[k++];
      try {
        const res = await O.fetch("/_harness/requests/" + encodeURIComponent(id) + "/wait-closed?timeout_ms=5000");
        const rec = await res.json();
        if (rec.clientClosed) seen++;
        else if (res.status === 404 && !answered) {
          unsent++;
          unsentKinds[kind] = (unsentKinds[kind] || 0) + 1;
        }
        else problem("harness: the client never closed " + kind + " " + id + " (" + res.status + ", serverEnd " + rec.serverEnd + ")");
      } catch (e) {
        problem("harness: wait-closed " + id + ": " + e);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker(), worker(), worker()]);
  return { expected: ids.length, seen, unsent, unsentKinds };
}

// Connections the harness has open, apart from the one asking (polled: the last closes may
// still be on their way).
async function openConnections() {
  let open = -1;
  for (let t = 0; t < 40; t++) {
    const s = await (await O.fetch("/_harness/stats")).json();
    open = s.connections.open - 1;
    if (open <= 0) break;
    await sleep(50);
  }
  return open;
}

async function phase(label, count) {
  problems = [];
  outcomes = {};
  byKind = {};
  const before = { ...T };
  const t0 = performance.now();
  const sequential = Math.ceil(count / 2);
  for (let n = 0; n < sequential; n++) await one();
  const seqMs = performance.now() - t0;
  let waves = 0;
  for (let left = count - sequential; left > 0; left -= WAVE) {
    const wave = [];
    for (let n = 0; n < Math.min(WAVE, left); n++) wave.push(one());
    await Promise.all(wave);
    waves++;
  }
  const ms = performance.now() - t0;
  const closed = await checkClosed();
  const delta = {};
  for (const k of Object.keys(T)) delta[k] = T[k] - before[k];
  return { label, count, sequential, waves, wave: WAVE, ms, seqMs, outcomes, byKind, closed, totals: delta, problems };
}

// No wait: every result has settled, and checkClosed() waited on the harness since.
async function measure() {
  return {
    counts: I.counts(),
    wasmBytes: I.wasmBytes(),
    openConnections: await openConnections(),
    totals: { ...T },
  };
}

// After the driver forced a GC: FinalizationRegistry callbacks run in later tasks; returns as
// soon as every stream's callback was reclaimed, or after 2 s with what was.
async function collected() {
  for (let t = 0; t < 100 && T.collected < T.registered; t++) await sleep(20);
  return { registered: T.registered, collected: T.collected };
}

const ready = (async () => {
  const list = await (await O.fetch("/_harness/scenarios")).json();
  scenarios = new Map(list.map((s) => [s.name, s]));
  api = await import("/pkg/index.js");
  document.getElementById("status").textContent = "ready";
  return { kinds: KINDS.map((k) => k.name), hosts: HOSTS, wave: WAVE };
})();

globalThis.soak = { ready, phase, measure, collected };
