// The proxy of server.mjs with the harness (STREAMGUARD_HARNESS_URL) as its upstream, run by
// scripts/runtime-test.sh with the packed package installed: (a) an upstream stall ends the
// client's stream with the partial text and a `stalled` end event within the timeout, and the
// harness sees the upstream connection closed; (b) a client that disconnects mid-stream gets
// the upstream connection closed within 250 ms; (c) 200 concurrent proxied streams complete
// exactly. The client chooses the harness scenario with ?scenario= (a test hook: a real
// deployment has one upstream URL).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { proxy } from "./server.mjs";

const harness = process.env.STREAMGUARD_HARNESS_URL;
if (!harness) throw new Error("STREAMGUARD_HARNESS_URL is not set");
// FAULTS.md test values.
const timeouts = { firstByteTimeoutMs: 1000, idleTimeoutMs: 500, contentTimeoutMs: 1500, totalTimeoutMs: 5000 };
// (c) measures concurrency, not stall detection: its proxy keeps production-like timeouts, so
// 200 streams sharing two cores are not cut by a 500 ms idle timer.
const bulkTimeouts = { firstByteTimeoutMs: 15000, idleTimeoutMs: 15000, contentTimeoutMs: 15000, totalTimeoutMs: 60000 };
let server;
let bulkServer;
let base;
let bulkBase;
let all;

const upstream = (req) => {
  const q = new URL(req.url, "http://proxy").searchParams;
  return `${harness}/scenarios/${q.get("scenario")}?request_id=${encodeURIComponent(q.get("id"))}`;
};
async function listen(timeouts) {
  const s = createServer(proxy({ upstream, protocol: "openai", timeouts }));
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  return [s, `http://127.0.0.1:${s.address().port}`];
}

before(async () => {
  [server, base] = await listen(timeouts);
  [bulkServer, bulkBase] = await listen(bulkTimeouts);
  const r = await fetch(harness + "/_harness/scenarios");
  all = Object.fromEntries((await r.json()).map((s) => [s.name, s]));
});
after(() => Promise.all([server, bulkServer].map((s) => new Promise((r) => s.close(r)))));

let seq = 0;
const newId = (tag) => `proxy-${tag}-${process.pid}-${Date.now()}-${seq++}`;
const waitClosed = async (id, timeoutMs = 3000) =>
  (await fetch(`${harness}/_harness/requests/${encodeURIComponent(id)}/wait-closed?timeout_ms=${timeoutMs}`)).json();

/**
 * POSTs a chat request to the proxy and parses its SSE. `onText(text, req)` sees each text
 * event (it may destroy the request). Resolves with { text, end, ms, closed }.
 */
function chat(scenario, id, onText, via = base) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const out = { text: "", end: null, ms: 0, closed: false };
    const req = request(`${via}/chat?scenario=${scenario}&id=${encodeURIComponent(id)}`, { method: "POST",
      headers: { "content-type": "application/json" } }, (res) => {
      assert.equal(res.headers["content-type"], "text/event-stream; charset=utf-8");
      res.setEncoding("utf8");
      let buf = "";
      res.on("data", (s) => {
        buf += s;
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
          const data = JSON.parse(/^data: (.*)$/m.exec(block)[1]);
          if (event === "end") {
            out.end = data;
            out.ms = performance.now() - t0;
          } else {
            out.text += data.text;
            onText?.(data.text, req);
          }
        }
      });
      res.on("end", () => resolve(out));
      res.on("close", () => resolve(out));
    });
    req.on("error", (e) => (req.destroyed && out.closed ? resolve(out) : reject(e)));
    req.end(JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "hi" }] }));
  });
}

test("a complete upstream: the text and a complete end event", async () => {
  const r = await chat("openai_ok", newId("ok"));
  assert.equal(r.text.length, all.openai_ok.expect.textLength);
  assert.equal(r.text, all.openai_ok.expect.text ?? r.text);
  assert.deepEqual(r.end, { outcome: "complete", finishReason: "stop", usage: r.end.usage, error: null });
  assert.ok("usage" in r.end);
});

test("an upstream error status: an http_error end event with the status, no text", async () => {
  const r = await chat("status_429", newId("429"));
  assert.equal(r.text, "");
  assert.equal(r.end.outcome, "http_error");
  assert.equal(r.end.error.status, 429);
});

test("(a) upstream stall: the partial text, a stalled end event within the timeout, the upstream closed", async () => {
  const id = newId("stall");
  const r = await chat("stall_mid", id);
  const expect = all.stall_mid.expect;
  assert.equal(new TextEncoder().encode(r.text).length, expect.textLength);
  assert.equal(r.end.outcome, "stalled");
  assert.equal(r.end.error.code, "stalled");
  assert.ok(r.ms >= timeouts.idleTimeoutMs && r.ms < expect.fireMs + 250, `the end event after ${r.ms} ms`);
  const closed = await waitClosed(id);
  assert.equal(closed.clientClosed, true, "the harness did not see the upstream closed");
});

test("(b) client disconnects mid-stream: the upstream closed within 250 ms", async () => {
  const id = newId("gone");
  let gone = 0;
  const scenario = "slow_healthy"; // a chunk every 400 ms for ~2.8 s
  await chat(scenario, id, (text, req) => {
    if (gone) return;
    gone = performance.now();
    req.destroy();
  });
  assert.ok(gone > 0, "no text before the disconnect");
  const closed = await waitClosed(id);
  const after = performance.now() - gone;
  assert.equal(closed.clientClosed, true, "the harness did not see the upstream closed");
  assert.ok(after < 250, `the upstream closed ${after.toFixed(0)} ms after the client left`);
  assert.ok(closed.closedAfterStartMs < 2000, `closed at ${closed.closedAfterStartMs} ms: the stream ran to its end`);
});

test("(c) 200 concurrent proxied streams complete exactly", async () => {
  const want = all.openai_ok;
  const runs = await Promise.all(Array.from({ length: 200 }, (_, i) => chat("openai_ok", newId("many-" + i), undefined, bulkBase)));
  const bad = runs.map((r, i) => [i, r]).filter(([, r]) =>
    r.end?.outcome !== "complete" || r.end.finishReason !== "stop" ||
    new TextEncoder().encode(r.text).length !== want.expect.textLength || r.text !== runs[0].text);
  assert.deepEqual(bad.map(([i, r]) => [i, r.end, r.text.length]), []);
});
