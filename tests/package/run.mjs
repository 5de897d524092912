// The built apps in ONE headless Chromium session (playwright-core driving the system
// Chromium), against the harness. Every app imports the package installed from its packed
// tarball, exactly as a user does.
//
//   node run.mjs HARNESS_URL NEXT_URL
//
// HARNESS_URL serves the scenarios and the static builds: /vite/ (Vite 8), /webpack/
// (webpack 5), /react/ and /react-dev/ (the hook in a Vite React app, production and React's
// development build). NEXT_URL is `next start` (App Router, a client component). The expected
// text of a scenario comes from the harness (/_harness/scenarios). Last line: the summary.
import { chromium } from "playwright-core";

const [harnessArg, nextArg] = process.argv.slice(2);
if (!harnessArg || !nextArg) {
  console.error("usage: node run.mjs HARNESS_URL NEXT_URL");
  process.exit(2);
}
const harness = new URL(harnessArg);
const nextUrl = new URL(nextArg);
const TEST_TIMEOUT_MS = 20000;
const run = Date.now().toString(36); // request ids unique to this run

let passed = 0;
let failed = 0;
class Failure extends Error {}
const check = (cond, what) => {
  if (!cond) throw new Failure(what);
};
const eq = (actual, expected, what) =>
  check(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);

async function test(name, fn) {
  const start = Date.now();
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Failure(`timed out after ${TEST_TIMEOUT_MS} ms`)), TEST_TIMEOUT_MS);
      }),
    ]);
    passed++;
    console.log(`ok   ${name} (${Date.now() - start} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e instanceof Failure ? e.message : e && e.stack ? e.stack : e}`);
  } finally {
    clearTimeout(timer);
  }
}

async function harnessJson(path) {
  const res = await fetch(new URL(path, harness));
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.json();
}
const scenarios = new Map((await harnessJson("/_harness/scenarios")).map((s) => [s.name, s]));
const expected = (name) => {
  const s = scenarios.get(name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s.expect;
};
// The harness's own signal that the client closed the connection (no sleeping).
async function closedByClient(id) {
  const r = await harnessJson(`/_harness/requests/${encodeURIComponent(id)}/wait-closed?timeout_ms=5000`);
  return r.clientClosed === true;
}
// Whether a request reached the harness at all (its registry answers 404 for an unknown id).
async function requested(id) {
  const res = await fetch(new URL(`/_harness/requests/${encodeURIComponent(id)}`, harness));
  if (res.status === 404) return false;
  if (!res.ok) throw new Error(`GET /_harness/requests/${id}: HTTP ${res.status}`);
  return true;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic"],
});
const context = await browser.newContext();

// A page with its errors and its wasm responses recorded.
async function openPage(url) {
  const page = await context.newPage();
  const errors = [];
  const wasm = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    // The browser's own favicon request is no concern of the app's.
    if (/\/favicon\.ico$/.test(m.location().url || "")) return;
    if (m.type() === "error" || m.type() === "warning") errors.push(`${m.type()}: ${m.text()} (${m.location().url})`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`);
    if (new URL(r.url()).pathname.endsWith(".wasm")) wasm.push({ url: r.url(), status: r.status(), type: r.headers()["content-type"] });
  });
  await page.goto(url.href);
  return { page, errors, wasm };
}

// ---- the bundler apps: the same checks on each --------------------------------------------

const OK = "openai_ok";
const STALL = "stall_mid";
const apps = [
  { name: "vite 8", url: new URL("/vite/", harness) },
  { name: "webpack 5", url: new URL("/webpack/", harness) },
  { name: "next.js (next build + next start)", url: new URL(`/?harness=${encodeURIComponent(harness.origin)}`, nextUrl) },
];
for (const app of apps) {
  let p = null;
  await test(`${app.name}: the page loads (no error, no warning)`, async () => {
    p = await openPage(app.url);
    await p.page.waitForFunction(() => document.getElementById("outcome")?.textContent === "ready", null, { timeout: 15000 });
    check(p.errors.length === 0, `page errors: ${p.errors.join(" | ")}`);
  });
  if (!p) continue;
  const { page, errors, wasm } = p;
  await test(`${app.name}: ${OK} completes with the whole text; the wasm is the app's own asset`, async () => {
    const r = await page.evaluate(([path]) => window.sgRun(path, { protocol: "openai" }), [`/scenarios/${OK}`]);
    eq(r.outcome, "complete", "outcome");
    eq(r.text, expected(OK).text, "result.text");
    await page.waitForFunction((t) => document.getElementById("out")?.textContent === t, expected(OK).text, { timeout: 5000 });
    eq(wasm.length, 1, "wasm fetches");
    const w = wasm[0];
    eq(new URL(w.url).origin, app.url.origin, "wasm origin");
    eq(w.status, 200, "wasm status");
    check(/^application\/wasm/.test(w.type || ""), `wasm content-type: ${w.type}`);
    check(errors.length === 0, `page errors: ${errors.join(" | ")}`);
  });
  await test(`${app.name}: ${STALL} stalls (idle) and keeps the partial text`, async () => {
    const r = await page.evaluate(([path]) => window.sgRun(path, { protocol: "openai", idleTimeoutMs: 500 }), [`/scenarios/${STALL}`]);
    eq(r.outcome, "stalled", "outcome");
    eq(r.phase, expected(STALL).phase, "phase");
    eq(r.text, expected(STALL).text, "result.text");
    await page.waitForFunction((t) => document.getElementById("out")?.textContent === t, expected(STALL).text, { timeout: 5000 });
    check(errors.length === 0, `page errors: ${errors.join(" | ")}`);
  });
  await page.close();
}

// ---- the React hook ----------------------------------------------------------------------

async function show(page, chat) {
  await page.evaluate((c) => window.sgShow(c), chat);
  await page.waitForSelector("#status", { timeout: 5000 });
}
const statusIs = (page, status) =>
  page.waitForFunction((s) => document.getElementById("status")?.textContent === s, status, { timeout: 10000 });
const textOf = (page) => page.$eval("#text", (e) => e.textContent);

let react = null;
await test("react (production): the page loads", async () => {
  react = await openPage(new URL("/react/", harness));
  await react.page.waitForFunction(() => typeof window.sgShow === "function", null, { timeout: 15000 });
  check(react.errors.length === 0, `page errors: ${react.errors.join(" | ")}`);
});
if (react) {
  const { page, errors } = react;
  let key = 0;
  await test(`react: ${OK} completes; status and text shown`, async () => {
    await show(page, { key: ++key, path: `/scenarios/${OK}`, options: { protocol: "openai" } });
    eq(await page.$eval("#status", (e) => e.textContent), "idle", "status before start");
    await page.click("#start");
    await statusIs(page, "complete");
    eq(await textOf(page), expected(OK).text, "text");
    eq(await page.$eval("#outcome", (e) => e.textContent), "complete", "result.outcome");
    check(errors.length === 0, `page errors: ${errors.join(" | ")}`);
  });
  await test(`react: ${STALL} shows status "stalled" and the partial text`, async () => {
    await show(page, { key: ++key, path: `/scenarios/${STALL}`, options: { protocol: "openai", idleTimeoutMs: 500 } });
    await page.click("#start");
    await statusIs(page, "stalled");
    eq(await textOf(page), expected(STALL).text, "text");
  });
  await test("react: the abort button aborts (status aborted, text kept, the harness sees the close)", async () => {
    const id = `react-abort-${run}`;
    const full = expected("user_abort").text;
    await show(page, { key: ++key, path: `/scenarios/user_abort?request_id=${id}`, options: { protocol: "openai" } });
    await page.click("#start");
    await page.waitForFunction(() => (document.getElementById("text")?.textContent || "").length > 0, null, { timeout: 10000 });
    await page.click("#abort");
    await statusIs(page, "aborted");
    const text = await textOf(page);
    check(text.length > 0 && (full === null || full.startsWith(text)), `partial text ${JSON.stringify(text)}`);
    check(full === null || text.length < full.length, "the text is partial");
    check(await closedByClient(id), `the harness did not see ${id} closed`);
  });
  await test("react: unmounting mid-stream closes the connection", async () => {
    const id = `react-unmount-${run}`;
    await show(page, {
      key: ++key,
      path: `/scenarios/${STALL}?request_id=${id}`,
      options: { protocol: "openai", idleTimeoutMs: 0, contentTimeoutMs: 0 },
    });
    await page.click("#start");
    await page.waitForFunction((t) => document.getElementById("text")?.textContent === t, expected(STALL).text, { timeout: 10000 });
    eq(await page.$eval("#status", (e) => e.textContent), "streaming", "status before the unmount");
    await page.click("#unmount");
    await page.waitForSelector("#status", { state: "detached", timeout: 5000 });
    check(await closedByClient(id), `the harness did not see ${id} closed`);
    check(errors.length === 0, `page errors: ${errors.join(" | ")}`);
  });
  await test("react: at most one render per animation frame from the hook (many onText calls per frame)", async () => {
    // The whole body in one write, re-cut into 40-byte writes 1 ms apart: several events per
    // frame; flush "immediate" calls onText for each read.
    const path = "/scenarios/buffered_burst?fault=rechunk:40&fault=throttle:1";
    await show(page, { key: ++key, path, options: { protocol: "openai", flush: "immediate" } });
    await page.click("#start");
    await statusIs(page, "complete");
    eq(await textOf(page), expected("buffered_burst").text, "text");
    const { commits, texts } = await page.evaluate(() => ({ commits: window.sgCommits, texts: window.sgTexts }));
    const hook = commits.filter((c) => c.status !== "idle");
    const perFrame = new Map();
    for (const c of hook) perFrame.set(c.frame, (perFrame.get(c.frame) || 0) + 1);
    const most = Math.max(...perFrame.values());
    console.log(`     onText calls ${texts}, renders from the hook ${hook.length} in ${perFrame.size} frames, at most ${most} per frame`);
    check(most <= 1, `${most} renders in one frame`);
    check(texts > hook.length, `onText ${texts} times but ${hook.length} renders: no coalescing seen`);
  });
  await page.close();
}

let dev = null;
await test("react (development build, StrictMode): the page loads", async () => {
  dev = await openPage(new URL("/react-dev/", harness));
  await dev.page.waitForFunction(() => typeof window.sgShow === "function", null, { timeout: 15000 });
});
if (dev) {
  const { page } = dev;
  await test("react StrictMode: a stream started in an effect survives the double mount; the first is aborted and never shown", async () => {
    await show(page, { key: 1, path: `/scenarios/${OK}`, options: { protocol: "openai" }, auto: `strict-${run}` });
    await statusIs(page, "complete");
    eq(await textOf(page), expected(OK).text, "text");
    const { starts, commits } = await page.evaluate(() => ({ starts: window.sgStarts, commits: window.sgCommits }));
    eq(starts.length, 2, "effect runs (StrictMode runs it twice)");
    // The first stream is aborted by the simulated unmount: before its request left (the wasm
    // was still loading), or with its connection closed.
    check(!(await requested(starts[0])) || (await closedByClient(starts[0])), `the harness did not see ${starts[0]} closed`);
    const statuses = [...new Set(commits.map((c) => c.status))];
    check(!statuses.includes("aborted"), `the aborted first stream reached the state: ${statuses.join(", ")}`);
    const errs = dev.errors.filter((e) => !/Download the React DevTools/.test(e));
    check(errs.length === 0, `page errors: ${errs.join(" | ")}`);
  });
  await page.close();
}

await browser.close();
console.log(`package apps: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
