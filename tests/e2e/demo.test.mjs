// The demo page in headless Chromium: runs scenarios from the page's own controls and checks
// the rendered text, the outcome badge and the stats against the harness's expectations.
//
//   node tests/e2e/demo.test.mjs http://127.0.0.1:PORT/
//
// playwright-core drives the system Chromium (/usr/bin/chromium, or $CHROMIUM); it never
// downloads a browser. Screenshots go to build/screenshots/ (demo.png is the stall).
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SHOTS = join(ROOT, "build", "screenshots");
const BASE = process.argv[2] || process.env.DEMO_URL;
if (!BASE) {
  console.error("usage: node demo.test.mjs http://127.0.0.1:PORT/");
  process.exit(2);
}
const base = new URL(BASE);

// The timer values the scenarios are designed around (FAULTS.md); the page prefills them.
const TIMERS = { "#t-first-byte": "1000", "#t-idle": "500", "#t-content": "1500", "#t-total": "5000" };
const RUN_TIMEOUT_MS = 15000;

let passed = 0;
let failed = 0;

class Failure extends Error {}
function check(cond, what) {
  if (!cond) throw new Failure(what);
}
function eq(actual, expected, what) {
  check(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

async function test(name, fn) {
  const start = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - start} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e instanceof Failure ? e.message : e && e.stack ? e.stack : e}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The harness's scenario list: the expected text and outcome come from there, not from here.

async function scenarioList() {
  const res = await fetch(new URL("/_harness/scenarios", base));
  if (!res.ok) throw new Error(`GET /_harness/scenarios: HTTP ${res.status}`);
  const body = await res.json();
  const list = Array.isArray(body) ? body : body.scenarios;
  return new Map(list.map((s) => [s.name, s]));
}

function expectation(s) {
  const e = s.expect || s.expectations || {};
  return {
    client: s.client || {},
    outcome: [].concat(e.outcome ?? []),
    phase: e.phase ?? e.stall_phase ?? null,
    finishReason: e.finishReason ?? e.finish_reason ?? null,
    text: e.text ?? e.expected_text ?? null,
    deltas: e.deltas ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Page helpers

async function stats(page) {
  return page.$$eval("#stats dd[data-stat]", (dds) =>
    Object.fromEntries(dds.map((dd) => [dd.dataset.stat, { text: dd.textContent, value: dd.dataset.value }])),
  );
}

async function state(page) {
  return page.evaluate(() => {
    const out = document.getElementById("output");
    const badge = document.getElementById("badge");
    const svg = document.getElementById("timeline");
    return {
      text: out.textContent,
      deltas: Number(out.dataset.deltas),
      flushes: Number(out.dataset.flushes),
      resynced: out.dataset.resynced === "true",
      lateCallbacks: Number(out.dataset.lateCallbacks || 0),
      eventsAfterStop: Number(out.dataset.eventsAfterStop || 0),
      outcome: badge.dataset.outcome,
      phase: badge.dataset.phase,
      code: badge.dataset.code,
      finishReason: badge.dataset.finishReason || null,
      rawFinishReason: badge.dataset.rawFinishReason || null,
      badge: badge.textContent,
      message: document.getElementById("badge-message").textContent,
      timeline: {
        bytes: svg.querySelectorAll(".tl-bytes").length,
        deltas: svg.querySelectorAll(".tl-delta").length,
        flushes: svg.querySelectorAll(".tl-flush").length,
        end: [...svg.querySelectorAll("line.tl-end")].map((l) => l.getAttribute("class")),
        endLabel: svg.querySelector("text.tl-end-label")?.textContent ?? null,
        gap: svg.querySelectorAll(".tl-gap").length,
      },
    };
  });
}

/** Picks the scenario in the page's backend picker, checks the prefilled timers, clicks Send. */
async function start(page, name, client = {}) {
  await page.selectOption("#backend", `scenario:${name}`);
  const own = {
    "#t-first-byte": client.firstByteTimeoutMs,
    "#t-idle": client.idleTimeoutMs,
    "#t-content": client.contentTimeoutMs,
    "#t-total": client.totalTimeoutMs,
  };
  for (const [sel, value] of Object.entries(TIMERS)) {
    const want = own[sel] != null ? String(own[sel]) : value;
    eq(await page.inputValue(sel), want, `${name}: ${sel} prefilled`);
  }
  eq(await page.inputValue("#flush"), "frame", `${name}: default flush mode`);
  await page.click("#send");
  await page.waitForSelector('body[data-state="streaming"], body[data-state="done"]', { timeout: 2000 });
}

async function waitDone(page) {
  await page.waitForSelector('body[data-state="done"]', { timeout: RUN_TIMEOUT_MS });
  // Let a (buggy) late callback land before reading, so it would be seen.
  await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
  return state(page);
}

function commonChecks(name, st, s) {
  eq(st.resynced, false, `${name}: streamed text (onText) equals result.text`);
  eq(st.lateCallbacks, 0, `${name}: callbacks after stream() resolved`);
  check(Number(s.bytes.value) > 0, `${name}: bytes stat > 0 (${s.bytes.text})`);
  check(Number(s.events.value) >= Number(s.deltas.value), `${name}: events >= deltas`);
  check(s.ttfb.value !== undefined && Number(s.ttfb.value) >= 0, `${name}: TTFB shown (${s.ttfb.text})`);
  check(/ms$/.test(s.ttfb.text), `${name}: TTFB rendered in ms (${s.ttfb.text})`);
  check(Number(s.flushes.value) >= 1, `${name}: flushes stat >= 1`);
  eq(st.timeline.deltas, Number(s.deltas.value), `${name}: timeline delta marks`);
  check(st.timeline.flushes >= 1, `${name}: timeline shows flushes`);
  check(st.timeline.bytes >= 1, `${name}: timeline shows arrivals`);
}

// ---------------------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const foreign = [];
const pageErrors = [];
page.on("request", (r) => {
  const u = new URL(r.url());
  if (u.protocol !== "data:" && u.host !== base.host) foreign.push(r.url());
});
page.on("pageerror", (e) => pageErrors.push(String(e)));
page.on("console", (m) => {
  if (m.type() === "error") pageErrors.push(m.text());
});
mkdirSync(SHOTS, { recursive: true });

let scenarios = new Map();
try {
  scenarios = await scenarioList();
  await page.goto(base.href);
  await page.waitForSelector('body[data-state="idle"]', { timeout: 15000 });
} catch (e) {
  console.log(`FAIL page load: ${e && e.message ? e.message : e}`);
  const load = await page.textContent("#load-status").catch(() => "");
  if (load) console.log(`     page says: ${load}`);
  await page.screenshot({ path: join(SHOTS, "demo-load-failed.png"), fullPage: true }).catch(() => {});
  await browser.close();
  console.log(`demo: 0 passed, 1 failed`);
  process.exit(1);
}

await test("page: every harness scenario is in the backend picker, openai_ok by default", async () => {
  eq(await page.inputValue("#backend"), "scenario:openai_ok", "default backend");
  const options = await page.$$eval("#backend option", (os) => os.map((o) => [o.value, o.textContent]));
  for (const [name, s] of scenarios) {
    const opt = options.find(([v]) => v === `scenario:${name}`);
    check(opt, `scenario ${name} missing from the picker`);
    if (s.description) check(opt[1].includes(s.description), `${name}: description shown in the option`);
  }
  for (const custom of ["custom:openai", "custom:anthropic", "custom:ollama", "custom:gemini", "custom:ai-sdk"]) {
    check(options.some(([v]) => v === custom), `${custom} missing`);
  }
});

await test("openai_ok: complete/stop, exact text, stats", async () => {
  const exp = expectation(scenarios.get("openai_ok"));
  await start(page, "openai_ok", exp.client);
  const st = await waitDone(page);
  const s = await stats(page);
  check(exp.outcome.includes("complete"), `openai_ok expects ${exp.outcome}`);
  eq(st.outcome, "complete", "badge outcome");
  eq(st.finishReason, "stop", "finish reason");
  if (exp.text !== null) eq(st.text, exp.text, "rendered text");
  else check(st.text.length > 0, "rendered text non-empty");
  eq(Number(s.deltas.value), exp.deltas ?? 50, "deltas stat");
  check(Number(s.ttft.value) >= Number(s.ttfb.value), "TTFT >= TTFB");
  check(Number(s.rate.value) > 0, `tokens/s shown (${s.rate.text})`);
  commonChecks("openai_ok", st, s);
  check(st.timeline.end.some((c) => c.includes("tl-end-complete")), "timeline end marker");
  await page.screenshot({ path: join(SHOTS, "demo-openai_ok.png"), fullPage: true });
});

await test("no_done: truncated, 5 deltas kept, badge says no [DONE]", async () => {
  const exp = expectation(scenarios.get("no_done"));
  await start(page, "no_done", exp.client);
  const st = await waitDone(page);
  const s = await stats(page);
  eq(st.outcome, "truncated", "badge outcome");
  check(st.message.includes("no [DONE]"), `badge message mentions [DONE]: ${st.message}`);
  if (exp.text !== null) eq(st.text, exp.text, "rendered text");
  eq(Number(s.deltas.value), exp.deltas ?? 5, "deltas stat");
  check(st.text.length > 0, "partial text visible");
  commonChecks("no_done", st, s);
  await page.screenshot({ path: join(SHOTS, "demo-no_done.png"), fullPage: true });
});

await test("user_abort: Stop after 3 deltas -> aborted, text kept, nothing after", async () => {
  const exp = expectation(scenarios.get("user_abort"));
  await start(page, "user_abort", exp.client);
  const after = exp.client.abortAfterDeltas ?? 3;
  await page.waitForFunction((n) => Number(document.getElementById("output").dataset.deltas) >= n, after, {
    timeout: RUN_TIMEOUT_MS,
  });
  const atClick = await page.evaluate(() => Number(document.getElementById("output").dataset.deltas));
  await page.click("#stop");
  const st = await waitDone(page);
  const s = await stats(page);
  eq(st.outcome, "aborted", "badge outcome");
  eq(st.code, "aborted", "error code");
  eq(atClick, after, "deltas seen when Stop was clicked (the scenario's chunks are 200 ms apart)");
  eq(Number(s.deltas.value), atClick, "deltas stat equals the deltas seen when Stop was clicked");
  eq(st.eventsAfterStop, 0, "events delivered after Stop");
  check(st.text.length > 0, "partial text visible");
  if (exp.text !== null) eq(st.text, exp.text, "rendered text (the deltas before Stop)");
  commonChecks("user_abort", st, s);
  check(st.timeline.end.some((c) => c.includes("tl-end-aborted")), "abort marked on the timeline");
  await page.screenshot({ path: join(SHOTS, "demo-user_abort.png"), fullPage: true });
});

await test("stall_mid: stalled/idle at 500 ms, 3 deltas kept, stall marked", async () => {
  const exp = expectation(scenarios.get("stall_mid"));
  await start(page, "stall_mid", exp.client);
  const st = await waitDone(page);
  const s = await stats(page);
  eq(st.outcome, "stalled", "badge outcome");
  eq(st.phase, "idle", "badge phase");
  check(st.message.includes("stalled at idle after 500 ms"), `badge message: ${st.message}`);
  if (exp.text !== null) eq(st.text, exp.text, "rendered text");
  eq(Number(s.deltas.value), exp.deltas ?? 3, "deltas stat");
  check(Number(s.duration.value) >= 500, `duration >= the 500 ms idle timer (${s.duration.text})`);
  commonChecks("stall_mid", st, s);
  check(st.timeline.end.some((c) => c.includes("tl-end-stalled")), "stall marked on the timeline");
  eq(st.timeline.gap, 1, "the silence before the stall is shaded");
  check((st.timeline.endLabel || "").includes("idle"), `timeline label: ${st.timeline.endLabel}`);
  await page.screenshot({ path: join(SHOTS, "demo.png"), fullPage: true });
});

await test("gemini_stall_after_finish: a stall after finishReason is complete, STOP shown", async () => {
  const exp = expectation(scenarios.get("gemini_stall_after_finish"));
  await start(page, "gemini_stall_after_finish", exp.client);
  const st = await waitDone(page);
  const s = await stats(page);
  eq(st.outcome, "complete", "badge outcome");
  eq(st.finishReason, "stop", "finish reason");
  eq(st.rawFinishReason, "STOP", "the provider's own finish reason");
  check(st.message.includes("finish: stop (STOP)"), `badge message: ${st.message}`);
  if (exp.text !== null) eq(st.text, exp.text, "rendered text");
  check(Number(s.duration.value) >= 500, `complete at the idle deadline (${s.duration.text})`);
  commonChecks("gemini_stall_after_finish", st, s);
});

await test("ai_sdk_ok: the AI SDK UI message stream under auto renders only the text", async () => {
  const exp = expectation(scenarios.get("ai_sdk_ok"));
  await start(page, "ai_sdk_ok", exp.client);
  const st = await waitDone(page);
  const s = await stats(page);
  eq(st.outcome, "complete", "badge outcome");
  eq(st.finishReason, "stop", "finish reason");
  if (exp.text !== null) eq(st.text, exp.text, "rendered text (no JSON parts)");
  check(!st.text.includes('"type"'), "no part JSON rendered as text");
  commonChecks("ai_sdk_ok", st, s);
});

await test("page: nothing fetched from outside the harness origin, no page errors", async () => {
  eq(foreign.length, 0, `foreign requests ${JSON.stringify(foreign)}`);
  eq(pageErrors.length, 0, `page errors ${JSON.stringify(pageErrors)}`);
});

await browser.close();
console.log(`demo: ${passed} passed, ${failed} failed (screenshots in ${SHOTS})`);
process.exit(failed === 0 ? 0 : 1);
