// The runtime suites' shared part (Node, Deno, workerd, WebKit): run a harness scenario through
// the installed package in one of three ways, and check the result against the scenario's
// listed expectations (the rules of streamguard-expect, expect/src/lib.rs). It imports nothing:
// each runtime passes the package's exports (`lib`: stream, open, guard) and the harness URL.
//
// Ways (`via`): "url" (stream({ url })), "response" (the runtime's fetch, then
// stream({ response })) and "guard" (fetch(url).body.pipeThrough(guard(options))).

/** The scenarios every runtime runs (issue 13), each through every way that applies. */
export const NAMES = ["openai_ok", "anthropic_ok", "ollama_ok", "split_utf8", "stall_mid", "pings_forever",
  "no_done", "reset_mid", "user_abort", "status_429", "huge_event"];
export const VIAS = ["url", "response", "guard"];
/** FAULTS.md test values. */
export const TIMERS = { firstByteTimeoutMs: 1000, idleTimeoutMs: 500, contentTimeoutMs: 1500, totalTimeoutMs: 5000 };
/** "A timer counts as on time when it fires within [T, T+50 ms]." */
export const SLACK_MS = 50;

/** Whether `via` applies to scenario `entry`: a pipe sees no status line. */
export function applies(entry, via) {
  return !(via === "guard" && entry.status !== 200);
}

/**
 * What a runtime reports differently from the listing, with why (the runtime's fetch, not the
 * library: the library reports what the runtime hands it). Keys are `name` or `name/via`.
 */
export const RUNTIME_EXPECT = {
  node: {
    // undici (Node's fetch) ends the body cleanly when a `Connection: close` response's socket
    // is reset ("We treat all incoming data so far as a valid response", client-h1.js
    // onHttpSocketError), chunked or not: the reset is invisible, so the text so far is
    // reported `truncated` (it ended before the end signal), never `complete`.
    reset_mid: { outcome: ["truncated"], errorCode: "truncated" },
  },
};

/** The expectation of `name` through `via` in `runtime`: the listing's, overridden. */
export function expectFor(entry, runtime, via) {
  const o = RUNTIME_EXPECT[runtime] || {};
  return Object.assign({}, entry.expect, o[entry.name] || {}, o[entry.name + "/" + via] || {});
}

export async function listing(harness) {
  const r = await fetch(harness + "/_harness/scenarios");
  if (!r.ok) throw new Error("GET /_harness/scenarios: HTTP " + r.status);
  const all = await r.json();
  const byName = {};
  for (const s of all) byName[s.name] = s;
  return byName;
}

/** Asks the harness (long poll) whether the client closed request `id`'s connection. */
export async function waitClosed(harness, id, timeoutMs = 3000) {
  const r = await fetch(harness + "/_harness/requests/" + encodeURIComponent(id) + "/wait-closed?timeout_ms=" + timeoutMs);
  return r.json();
}

let seq = 0;
export function requestId(tag) {
  return "rt-" + tag + "-" + Date.now() + "-" + seq++ + "-" + Math.floor(Math.random() * 1e9);
}

/**
 * Runs scenario `entry` through `via`. Returns what the host saw: the result (or `error` if it
 * threw), the onText flushes, callbacks after the result, the text read from guard()'s
 * readable side, how long the response head took (timers start after it with `response`), and
 * the request id.
 */
export async function runScenario(lib, harness, entry, via, tag = "") {
  const id = requestId(entry.name + (tag ? "-" + tag : "") + "-" + via);
  const url = harness + "/scenarios/" + entry.name + "?request_id=" + id;
  const c = entry.client || {};
  const options = { protocol: entry.protocol };
  for (const k of Object.keys(TIMERS)) options[k] = c[k] ?? TIMERS[k];
  // A scenario that cannot stall gets the first byte up to the total timeout: the harness
  // (a debug build, on a loaded 2-core machine) takes ~0.6 s to write huge_event's 4 MiB line.
  const outcomes = [].concat(entry.expect.outcome);
  if (!outcomes.includes("stalled") && c.firstByteTimeoutMs == null) options.firstByteTimeoutMs = options.totalTimeoutMs;
  const run = { id, flushes: [], late: 0, headMs: 0, read: null, result: null, error: null };
  let done = false;
  const controller = new AbortController();
  options.signal = controller.signal;
  const abortAfter = c.abortAfterDeltas || 0;
  if (abortAfter) options.flush = "immediate"; // one flush per delta: the abort lands after the Nth
  options.onText = (delta, info) => {
    if (done) {
      run.late++;
      return;
    }
    run.flushes.push(delta);
    if (abortAfter && info.stats.deltas >= abortAfter && !controller.signal.aborted) controller.abort();
  };
  try {
    if (via === "url") {
      run.result = await lib.stream(Object.assign(options, { url }));
    } else if (via === "response") {
      const asked = Date.now();
      const response = await fetch(url);
      run.headMs = Date.now() - asked;
      run.result = await lib.stream(Object.assign(options, { response }));
    } else {
      const g = lib.guard(options);
      const res = await fetch(url);
      const reader = res.body.pipeThrough(g).getReader();
      const chunks = [];
      try {
        for (;;) {
          const r = await reader.read();
          if (r.done) break;
          chunks.push(r.value);
        }
      } catch (e) {
        run.readError = String(e);
      }
      run.read = chunks.join("");
      run.readTypes = [...new Set(chunks.map((x) => typeof x))];
      run.result = await g.result;
    }
  } catch (e) {
    run.error = String(e && e.stack ? e.stack : e);
  }
  done = true;
  // A misbehaving host would call back late: give it a few ticks.
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 16));
  return run;
}

const short = (s, n = 40) => JSON.stringify(s.length > n ? s.slice(0, n) + "…" : s);
const same = (a, b) => (a ?? null) === (b ?? null);

/**
 * Every mismatch between `run` and the expectation, one sentence each (empty: as expected).
 * `earlyMs`: how much earlier than `fireMs` a timer may fire (timers that start after the
 * request: `response`).
 */
export function check(expect, run, earlyMs = 0) {
  const f = [];
  if (run.error) return ["threw: " + run.error];
  const r = run.result;
  if (!r || typeof r !== "object") return ["no result"];
  const err = r.error;
  const outcomes = Array.isArray(expect.outcome) ? expect.outcome : [expect.outcome];
  if (!outcomes.includes(r.outcome)) f.push(`outcome ${r.outcome} (want ${outcomes.join(" or ")})`);
  if ((err == null) !== (r.outcome === "complete")) f.push("error is " + (err == null ? "null" : "set") + " for " + r.outcome);
  if (expect.errorCode != null && !same(err && err.code, expect.errorCode)) f.push(`error.code ${err && err.code} (want ${expect.errorCode})`);
  if (expect.phase != null && !same(err && err.phase, expect.phase)) f.push(`phase ${err && err.phase} (want ${expect.phase})`);
  if (!same(r.finishReason, expect.finishReason)) f.push(`finishReason ${r.finishReason} (want ${expect.finishReason})`);
  if (expect.rawFinishReason != null && !same(r.rawFinishReason, expect.rawFinishReason)) f.push(`rawFinishReason ${r.rawFinishReason}`);
  const text = r.text;
  if (typeof text !== "string") f.push("no text");
  else {
    if (expect.text != null) {
      if (text !== expect.text) {
        let i = 0;
        while (i < text.length && text[i] === expect.text[i]) i++;
        f.push(`text differs at ${i} (want ${expect.text.length} chars, got ${text.length}): want ${short(expect.text.slice(i))} got ${short(text.slice(i))}`);
      }
    } else {
      const bytes = new TextEncoder().encode(text).length;
      if (expect.textLength != null && bytes !== expect.textLength) f.push(`text length ${bytes} (want ${expect.textLength})`);
      const unit = expect.textPattern && expect.textPattern.unit;
      if (unit && text !== unit.repeat(Math.ceil(text.length / unit.length)).slice(0, text.length)) f.push("text is not " + short(unit) + " repeated");
    }
    if (text.includes("\uFFFD") && !(expect.text || "").includes("\uFFFD")) f.push("U+FFFD in the text");
    if (run.flushes.join("") !== text) f.push(`the flushes concatenate to ${run.flushes.join("").length} chars, the text has ${text.length}`);
    if (run.read !== null && run.read !== text) f.push(`guard()'s readable side gave ${run.read.length} chars, the text has ${text.length}`);
    if (run.readTypes && run.readTypes.some((t) => t !== "string")) f.push("guard()'s readable side gave " + run.readTypes.join(", "));
  }
  for (const k of ["status", "retryAfterMs", "retryable", "provider", "type", "eventIndex"]) {
    if (expect[k] != null && !same(err && err[k], expect[k])) f.push(`error.${k} ${err && err[k]} (want ${expect[k]})`);
  }
  if (expect.messageContains != null && !((err && err.message) || "").includes(expect.messageContains)) {
    f.push(`error.message lacks ${short(expect.messageContains)}`);
  }
  if (expect.fireMs != null) {
    const at = (err && err.elapsedMs) ?? (r.stats && r.stats.durationMs);
    if (!(at + earlyMs >= expect.fireMs && at <= expect.fireMs + SLACK_MS)) f.push(`fired at ${at} ms (want ${expect.fireMs}, -${earlyMs}/+${SLACK_MS})`);
  }
  if (expect.maxDurationMs != null && !(r.stats.durationMs <= expect.maxDurationMs)) f.push(`took ${r.stats.durationMs} ms`);
  if (expect.maxFlushes != null && run.flushes.length > expect.maxFlushes) f.push(`${run.flushes.length} flushes (want <= ${expect.maxFlushes})`);
  for (const k of ["deltas", "events", "buffered"]) {
    if (expect[k] != null && !same(r.stats && r.stats[k], expect[k])) f.push(`stats.${k} ${r.stats && r.stats[k]} (want ${expect[k]})`);
  }
  if (run.late) f.push(`${run.late} callbacks after the result`);
  return f;
}

/**
 * An idle stall fires `idleTimeoutMs` after the last byte: when the harness wrote its last
 * byte later than planned (a loaded machine), the listing's `fireMs` moves by as much. `closed`
 * is the harness's record of the request (its transcript's `tMs`: when each write happened).
 */
export function idleFromLastWrite(entry, expect, closed) {
  const writes = closed && closed.transcript;
  if (expect.phase !== "idle" || expect.fireMs == null || !writes || !writes.length) return expect;
  const idle = (entry.client && entry.client.idleTimeoutMs) ?? TIMERS.idleTimeoutMs;
  const due = writes[writes.length - 1].tMs + idle;
  return due > expect.fireMs ? Object.assign({}, expect, { fireMs: due }) : expect;
}

/**
 * Runs, checks and (for every stall and abort) asks the harness whether it saw the close.
 * Throws an Error listing every mismatch. Returns the run.
 */
export async function scenarioCase(lib, harness, runtime, entry, via) {
  let expect = expectFor(entry, runtime, via);
  const run = await runScenario(lib, harness, entry, via);
  const closed = expect.serverSeesClose ? await waitClosed(harness, run.id) : null;
  expect = idleFromLastWrite(entry, expect, closed);
  const fails = check(expect, run, via === "response" ? run.headMs + 1 : 0);
  if (closed && closed.clientClosed !== true) fails.push(`the harness did not see the connection closed (server end ${closed.serverEnd})`);
  if (fails.length) {
    throw new Error(`${entry.name} via ${via} in ${runtime}: ${fails.join("; ")}; result ${JSON.stringify(run.result || run.error).slice(0, 600)}`);
  }
  return run;
}

function assert(ok, message) {
  if (!ok) throw new Error(message);
}

async function typeError(f, option) {
  let e;
  try {
    await f();
  } catch (x) {
    e = x;
  }
  assert(e instanceof TypeError, `${option}: not a TypeError: ${e}`);
  assert(e.message.startsWith("streamguard: invalid option `" + option + "`"), `${option}: message ${e.message}`);
  return e;
}

const SSE = 'data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
const sseResponse = () => new Response(SSE, { headers: { "content-type": "text/event-stream" } });

async function readAll(readable) {
  const reader = readable.getReader();
  let text = "";
  for (;;) {
    const r = await reader.read();
    if (r.done) return text;
    text += r.value;
  }
}

/**
 * The bad-input and transport cases, each `[name, async fn]` that throws on failure. `lib` is
 * the package; `live()` (optional) counts the runtime's pending timers.
 */
export function transportCases(lib, harness, live) {
  const url = (name, tag) => harness + "/scenarios/" + name + "?request_id=" + requestId(tag);
  const idle = async (what) => {
    if (!live) return;
    const n = live();
    assert(n === 0, `${what}: ${n} timers left running`);
  };
  return [
    ["response: used or locked body, not a Response, with url: TypeErrors", async () => {
      const used = sseResponse();
      await used.text();
      await typeError(() => lib.stream({ response: used }), "response");
      const locked = sseResponse();
      locked.body.getReader();
      await typeError(() => lib.stream({ response: locked }), "response");
      await typeError(() => lib.stream({ response: "data: x" }), "response");
      const both = sseResponse();
      const e = await typeError(() => lib.stream({ response: both, url: harness }), "response");
      assert(e.message.includes("`url`"), "names both: " + e.message);
      const retried = sseResponse();
      await typeError(() => lib.stream({ response: retried, retry: { maxAttempts: 2 } }), "retry");
      // A rejected Response is left as it was: no reader lock, body unread.
      for (const r of [both, retried]) assert(!r.bodyUsed && !r.body.locked, "the rejected Response's body was touched");
      assert((await both.text()) === SSE, "the rejected Response still reads whole");
      await idle("response errors");
    }],
    ["response: a Response built in this runtime", async () => {
      const r = await lib.stream({ response: sseResponse(), protocol: "openai" });
      assert(r.outcome === "complete" && r.text === "Hi", JSON.stringify(r));
      await idle("constructed response");
    }],
    ["fetch option: used per attempt; throwing, rejecting or non-Response fetches end in network_error", async () => {
      const calls = [];
      const f = (u, init) => {
        calls.push(init);
        return calls.length === 1 ? Promise.reject(new TypeError("first try fails")) : fetch(u, init);
      };
      const ok = await lib.stream({ url: url("ollama_ok", "fetch"), protocol: "ollama", fetch: f,
        retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 }, cache: "no-store", redirect: "follow", keepalive: false });
      assert(ok.outcome === "complete", "custom fetch: " + JSON.stringify(ok));
      assert(calls.length === 2, "one call per attempt: " + calls.length);
      assert(calls[0].cache === "no-store" && calls[0].redirect === "follow" && calls[0].keepalive === false, "init fields");
      for (const [name, bad, msg] of [
        ["throws", () => { throw new Error("no network here"); }, "no network here"],
        ["rejects", () => Promise.reject(new TypeError("refused by the wrapper")), "refused by the wrapper"],
        ["non-Response", () => Promise.resolve({ ok: true }), "not a Response"],
        ["string", () => "data: x\n\n", "not a Response"],
      ]) {
        const r = await lib.stream({ url: url("openai_ok", "badfetch"), protocol: "openai", fetch: bad });
        assert(r.outcome === "network_error" && r.error.message.includes(msg), name + ": " + JSON.stringify(r));
      }
      await typeError(() => lib.stream({ url: harness, fetch: "fetch" }), "fetch");
      await idle("fetch option");
    }],
    ["body: every BodyInit is sent; others are TypeErrors", async () => {
      const bodies = ["{}", new Blob(["{}"]), new ArrayBuffer(2), new Uint8Array([123, 125]), new URLSearchParams("a=1")];
      if (typeof FormData === "function") {
        const fd = new FormData();
        fd.append("a", "1");
        bodies.push(fd);
      }
      for (const body of bodies) {
        let seen;
        const r = await lib.stream({ url: url("ollama_ok", "body"), protocol: "ollama", body,
          fetch: (u, init) => ((seen = init.body), fetch(u, init)) });
        assert(r.outcome === "complete" && seen === body, `body ${Object.prototype.toString.call(body)}: ${r.outcome}`);
      }
      await typeError(() => lib.stream({ url: harness, body: { a: 1 } }), "body");
      await typeError(() => lib.stream({ url: harness, body: new ReadableStream() }), "body");
      await typeError(() => lib.stream({ url: harness, idleTimout: 5 }), "idleTimout");
      await idle("bodies");
    }],
    ["guard(): chunk types, options, timers without writes", async () => {
      const g = lib.guard();
      const w = g.writable.getWriter();
      const reading = readAll(g.readable);
      const bytes = new TextEncoder().encode(SSE);
      await w.write(new DataView(bytes.buffer, 0, 10));
      await w.write(bytes.slice(10).buffer);
      // The outcome is known at [DONE]: the writable side is errored from then on (a pipe
      // cancels its source), so closing it rejects.
      await w.close().then(() => assert(false, "close() after the outcome resolved"), () => {});
      assert((await reading) === "Hi", "ArrayBuffer views and ArrayBuffers are bytes");
      assert((await g.result).outcome === "complete", "guard() with no options");
      const bad = lib.guard({ protocol: "openai" });
      const bw = bad.writable.getWriter();
      let werr;
      try {
        await bw.write("a string");
      } catch (e) {
        werr = e;
      }
      assert(werr instanceof TypeError && werr.message === "streamguard: guard() takes Uint8Array chunks, got string", "write: " + werr);
      let rerr;
      try {
        await bad.result;
      } catch (e) {
        rerr = e;
      }
      assert(rerr === werr, "result rejects with the same TypeError");
      await typeError(() => lib.guard({ url: harness }), "url");
      const t0 = Date.now();
      const silent = lib.guard({ firstByteTimeoutMs: 100 });
      const text = await readAll(silent.readable);
      const r = await silent.result;
      assert(r.outcome === "stalled" && r.error.phase === "first_byte" && text === "", "silent pipe: " + JSON.stringify(r));
      assert(Date.now() - t0 < 1000, "the first-byte timer ran without writes");
      await idle("guard");
    }],
    ["guard(): cancelling the readable side aborts and closes the upstream", async () => {
      for (const how of ["cancel", "abort"]) {
        const id = requestId("guard-" + how);
        const g = lib.guard({ protocol: "openai", ...TIMERS });
        const res = await fetch(harness + "/scenarios/slow_healthy?request_id=" + id);
        const reader = res.body.pipeThrough(g).getReader();
        const first = await reader.read();
        assert(!first.done && typeof first.value === "string", how + ": a first chunk");
        if (how === "cancel") await reader.cancel("enough");
        else {
          g.abort();
          while (!(await reader.read()).done);
        }
        const r = await g.result;
        assert(r.outcome === "aborted" && r.text.startsWith(first.value), how + ": " + JSON.stringify(r));
        const closed = await waitClosed(harness, id);
        assert(closed.clientClosed === true, how + ": the harness did not see the close");
      }
      await idle("guard cancel");
    }],
    ["frame flushes without requestAnimationFrame fall back to a timer", async () => {
      let flushes = 0;
      const r = await lib.stream({ url: url("ollama_ok", "frame"), protocol: "ollama", flush: "frame", onText: () => flushes++ });
      assert(r.outcome === "complete" && flushes >= 1 && r.stats.flushes === flushes, JSON.stringify(r.stats));
      await idle("frame fallback");
    }],
  ];
}

/** Every scenario case, `[name, fn]`, for the runtime's test runner. */
export async function scenarioCases(lib, harness, runtime, live) {
  const all = await listing(harness);
  const cases = [];
  for (const name of NAMES) {
    const entry = all[name];
    if (!entry) throw new Error("the harness does not list " + name);
    for (const via of VIAS) {
      if (!applies(entry, via)) continue;
      cases.push([name + " via " + via, async () => {
        await scenarioCase(lib, harness, runtime, entry, via);
        if (live) {
          const n = live();
          if (n !== 0) throw new Error(`${name} via ${via}: ${n} timers left running`);
        }
      }]);
    }
  }
  return cases;
}
