// The leak soak in real browsers: one page (tests/soak/page/) runs a 100-stream warm-up, then
// N streams (half in sequence, half in waves of 50 concurrent) through the npm package, mixing
// every outcome, every way of leaving a stream and seeded request faults (chaos), in headless
// Chromium and Firefox (W3C WebDriver: webdriver.mjs). Then it checks and prints, per browser:
//
// - every result promise settled exactly once and never rejected; every next() and
//   [Symbol.asyncDispose]() promise settled; no onText/onEvent after its result; each outcome
//   the one its kind must have, its text that of the scenario;
// - nothing of the product still pending: timers, intervals, animation frames, event listeners,
//   reader locks, reads, fetches (instrument.js wraps them before the package loads);
// - the harness saw every connection the client had to close (aborted, stalled, left, freed,
//   dropped, provider and protocol errors on an open socket) closed, and none is left open;
// - the wasm memory after the run within 1 MiB of its size after the warm-up;
// - the JS heap after a forced GC within 10 % of its size after the warm-up (Chromium: V8's
//   used heap; Firefox: the page's JS memory from its memory reporters, without the wasm
//   memory), and the streams' callbacks reclaimed by the GC;
// - each phase (warm-up, run) finished within 60 s + 0.2 s per stream.
//
//   node tests/soak/soak.mjs --pkg DIR [--streams 1000] [--warmup 100] [--browsers chromium,firefox]
//                            [--hosts 9] [--wave 50] [--seed S] [--harness PATH]
//
// scripts/soak.sh builds the package (scripts/package.sh) and the harness, unpacks the tarball
// and runs this. The exit status is 0 when every check passed in every browser.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { WebDriver } from "./webdriver.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..");
const MIB = 1024 * 1024;
const WASM_LIMIT = MIB; // bytes of growth
const HEAP_LIMIT = 0.1; // fraction of the warm-up figure

function parseArgs(argv) {
  const o = {
    streams: 1000,
    warmup: 100,
    browsers: ["chromium", "firefox"],
    hosts: 9,
    wave: 50,
    pkg: null,
    seed: Math.floor(Math.random() * 2 ** 32),
    harness: process.env.STREAMGUARD_HARNESS ||
      join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "debug", "streamguard-harness"),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const int = (min) => {
      const n = Number(v());
      if (!Number.isInteger(n) || n < min) usage(`${a} takes an integer >= ${min}`);
      return n;
    };
    if (a === "--streams") o.streams = int(1);
    else if (a === "--warmup") o.warmup = int(1);
    else if (a === "--browsers") o.browsers = v().split(",").filter(Boolean);
    else if (a === "--hosts") o.hosts = int(1);
    else if (a === "--wave") o.wave = int(1);
    else if (a === "--pkg") o.pkg = resolve(v());
    else if (a === "--seed") o.seed = int(0) >>> 0;
    else if (a === "--harness") o.harness = resolve(v());
    else usage(`unknown argument ${a}`);
  }
  for (const b of o.browsers) if (b !== "chromium" && b !== "firefox") usage(`unknown browser ${b}`);
  if (o.hosts > 254) usage("--hosts is at most 254");
  if (!o.pkg) usage("--pkg DIR (the unpacked npm package) is required");
  return o;
}

function usage(msg) {
  console.error(`soak: ${msg}\nusage: node tests/soak/soak.mjs --pkg DIR [--streams N] [--warmup N] [--browsers chromium,firefox] [--hosts N] [--wave N] [--seed S] [--harness PATH]`);
  process.exit(2);
}

const say = (s) => console.error(`soak: ${s}`);
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const kib = (b) => `${(b / 1024).toLocaleString("en-US", { maximumFractionDigits: 1 })} KiB`;
const signed = (s) => (Number(s) >= 0 ? "+" : "") + s;
const skib = (b) => (b >= 0 ? "+" : "-") + kib(Math.abs(b));

// The harness: the soak scenarios, the page, the package. On every loopback address when the
// page spreads streams over several (127.0.0.1 .. 127.0.0.N).
async function startHarness(o) {
  const args = ["serve", "--host", o.hosts > 1 ? "0.0.0.0" : "127.0.0.1", "--port", "0", "--quiet",
    "--scenarios", join(HERE, "scenarios"), "--static", join(HERE, "page"), "--static", `${o.pkg}:/pkg`];
  const child = spawn(o.harness, args, { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  child.stderr.on("data", (d) => {
    err = (err + d).slice(-4000);
  });
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`harness exited (${code}): ${err}`)));
    child.once("error", reject);
  });
  const port = new URL(line.trim()).port;
  return { child, origin: `http://127.0.0.1:${port}`, stderr: () => err };
}

async function snapshot(wd, page) {
  const m = await wd.execute("return soak.measure()");
  await wd.gc();
  const gc = await wd.execute("return soak.collected()");
  // What the finalizers let go; then the smaller of two GC'd measurements: a collection can
  // leave a few tens of KiB (JIT data, caches) that the next one frees.
  await wd.gc();
  let heap = await wd.heap(page);
  await wd.gc();
  const again = await wd.heap(page);
  if (again.js < heap.js) heap = again;
  return { ...m, gc, heap };
}

async function soakIn(browser, o, harness) {
  const started = Date.now();
  const wd = await WebDriver.start(browser, { log: say });
  try {
    await wd.timeouts({ script: 120 * 1000, pageLoad: 60 * 1000 });
    const page = `${harness.origin}/index.html`;
    const query = `?hosts=${o.hosts}&wave=${o.wave}&seed=${o.seed}&tag=${browser}-${started}`;
    await wd.navigate(page + query);
    const ready = await wd.execute("return soak.ready");
    // A phase that does not finish in its budget fails the browser (a stream that never ends,
    // connections never closed that starve the browser's pool) instead of hanging the run.
    const phase = async (label, count) => {
      const budgetS = 60 + Math.ceil(count / 5);
      say(`${browser}: ${label}, ${count} streams (budget ${budgetS} s)`);
      await wd.timeouts({ script: budgetS * 1000 });
      try {
        return await wd.execute("return soak.phase(arguments[0], arguments[1])", [label, count]);
      } catch (e) {
        if (/timeout/i.test(String(e.message))) throw new Error(`the ${label} (${count} streams) did not finish within ${budgetS} s`);
        throw e;
      } finally {
        await wd.timeouts({ script: 120 * 1000 }).catch(() => {});
      }
    };
    const warm = await phase("warm-up", o.warmup);
    const before = await snapshot(wd, page + query);
    const run = await phase("run", o.streams);
    const after = await snapshot(wd, page + query);
    return { browser, version: wd.version, kinds: ready.kinds, warm, run, before, after, seconds: (Date.now() - started) / 1000 };
  } finally {
    await wd.quit();
  }
}

const sumCounts = (...maps) => {
  const out = {};
  for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] || 0) + v;
  return out;
};

// The checks and the figures of one browser; returns the failed checks.
function report(r, o) {
  const { warm, run, before, after } = r;
  const failed = [];
  const check = (ok, what) => {
    if (!ok) failed.push(what);
    return ok ? "ok" : "FAIL";
  };
  const per1k = (x) => (x * 1000) / run.count;
  const out = [];
  const line = (s) => out.push("  " + s);
  out.push(`${r.browser} ${r.version}: ${fmt(run.count)} streams (${fmt(run.sequential)} in sequence, ${fmt(run.count - run.sequential)} in ${run.waves} waves of up to ${run.wave}) after a ${fmt(warm.count)}-stream warm-up; ${o.hosts} loopback host(s)`);
  const t = run.totals;
  line(`outcomes: ${Object.entries(run.outcomes).sort().map(([k, v]) => `${k} ${v}`).join(", ")}`);
  // Per kind, warm-up and run together: streams, the outcome (and phase) expected, as expected.
  const kinds = {};
  for (const ph of [warm, run]) {
    for (const [k, v] of Object.entries(ph.byKind)) {
      const a = kinds[k] || (kinds[k] = { n: 0, ok: 0, expected: v.expected, got: {} });
      a.n += v.n;
      a.ok += v.ok;
      for (const [g, c] of Object.entries(v.got)) a.got[g] = (a.got[g] || 0) + c;
    }
  }
  const missing = r.kinds.filter((k) => !kinds[k]);
  const wrong = Object.entries(kinds).filter(([, a]) => a.ok !== a.n);
  line(`${check(!missing.length && !wrong.length, "outcomes by kind")} outcomes by kind (warm-up and run; as expected / streams, expected outcome[/phase]${wrong.length ? ", got" : ""}):`);
  const cells = r.kinds.filter((k) => kinds[k]).map((k) => {
    const a = kinds[k];
    const dist = Object.entries(a.got).sort().map(([g, c]) => `${g} ${c}`).join(", ");
    const got = a.ok !== a.n ? ` got ${dist}` : a.expected.includes("|") ? ` (${dist})` : "";
    return `${k} ${a.ok}/${a.n} ${a.expected}${got}`;
  });
  for (let i = 0; i < cells.length; i += 3) line(`    ${cells.slice(i, i + 3).join("; ")}`);
  if (missing.length) line(`    kinds that never ran: ${missing.join(", ")}`);
  line(`time: ${(run.ms / 1000).toFixed(1)} s (the sequential half ${(run.seqMs / 1000).toFixed(1)} s), ${(per1k(run.ms) / 1000).toFixed(1)} s per 1,000 streams`);
  const allProblems = [...warm.problems, ...run.problems];
  line(`${check(allProblems.length === 0, "stream checks")} stream checks (outcome, phase, text, onText = result text): ${allProblems.length ? allProblems.length + " problem(s)" : "all passed"}`);
  for (const p of allProblems.slice(0, 20)) line(`    ${p}`);
  const T = after.totals;
  const pendingResults = T.started - T.settled;
  line(`${check(pendingResults === 0 && T.settledTwice === 0 && T.rejected === 0, "promises")} promises: ${fmt(T.settled)} of ${fmt(T.started)} results settled (${T.settledTwice} twice, ${T.rejected} rejected); next() ${fmt(T.nextsSettled)} of ${fmt(T.nexts)}; [Symbol.asyncDispose]() ${fmt(T.disposesSettled)} of ${fmt(T.disposes)}`);
  const nextOk = T.nexts === T.nextsSettled && T.disposes === T.disposesSettled;
  if (!nextOk) failed.push("next()/asyncDispose promises");
  line(`${check(T.lateCallbacks === 0, "late callbacks")} callbacks after their result: ${T.lateCallbacks}`);
  const p = after.counts.pending;
  const pendingTotal = p.timers + p.frames + p.listeners + p.readerLocks + p.reads + p.fetches;
  const c = after.counts;
  line(`${check(pendingTotal === 0, "pending resources")} pending after the run: timers ${p.timers}, frames ${p.frames}, listeners ${p.listeners}, reader locks ${p.readerLocks}, reads ${p.reads}, fetches ${p.fetches}`);
  if (p.listeners) line(`    listeners still added: ${JSON.stringify(c.listenersByTarget)}`);
  const d = (k) => c[k] - before.counts[k];
  line(`    made by the product during the run (per 1,000 streams): timers ${fmt(per1k(d("timersSet")))} (fired ${fmt(per1k(d("timersFired")))}, cleared ${fmt(per1k(d("timersCleared")))}), frames ${fmt(per1k(d("framesAsked")))} (run ${fmt(per1k(d("framesRun")))}, cancelled ${fmt(per1k(d("framesCancelled")))}), listeners ${fmt(per1k(d("listenersAdded")))} (removed ${fmt(per1k(d("listenersRemoved")))}), readers ${fmt(per1k(d("readers")))} (released ${fmt(per1k(d("readersReleased")))}), reads ${fmt(per1k(d("reads")))}, fetches ${fmt(per1k(d("fetches")))}`);
  const closedExpected = warm.closed.expected + run.closed.expected;
  const closedSeen = warm.closed.seen + run.closed.seen;
  const unsent = warm.closed.unsent + run.closed.unsent;
  line(`${check(closedSeen + unsent === closedExpected && after.openConnections <= 0, "harness closes")} harness: ${fmt(closedSeen)} of ${fmt(closedExpected)} connections the client had to close seen closed (${fmt(per1k(run.closed.expected))} per 1,000 streams), ${unsent} never sent (${unsent ? JSON.stringify(sumCounts(warm.closed.unsentKinds, run.closed.unsentKinds)) + ": " : ""}stalls whose timer fired before the busy browser sent the request: no record, no response); ${Math.max(0, after.openConnections)} connection(s) still open`);
  const w0 = before.wasmBytes;
  const w1 = after.wasmBytes;
  const wasmOk = typeof w0 === "number" && typeof w1 === "number" && w1 - w0 <= WASM_LIMIT;
  line(`${check(wasmOk, "wasm memory")} wasm memory: ${kib(w0)} after the warm-up, ${kib(w1)} after the run: ${signed(w1 - w0)} B (${signed(Math.round(per1k(w1 - w0)))} B per 1,000 streams; limit +1 MiB)`);
  const h0 = before.heap.js;
  const h1 = after.heap.js;
  const growth = (h1 - h0) / h0;
  line(`${check(growth <= HEAP_LIMIT, "JS heap")} JS heap after a forced GC: ${kib(h0)} after the warm-up, ${kib(h1)} after the run: ${signed((growth * 100).toFixed(1))} % (${skib((per1k(h1 - h0)))} per 1,000 streams; limit +10 %) [${after.heap.what}]`);
  if (growth > HEAP_LIMIT && after.heap.paths) {
    // Firefox: where the JS memory grew (memory reporter paths under the page's window).
    const d = Object.keys({ ...before.heap.paths, ...after.heap.paths })
      .map((k) => [k, (after.heap.paths[k] || 0) - (before.heap.paths[k] || 0)])
      .sort((a, b) => b[1] - a[1]).slice(0, 8);
    for (const [k, v] of d) line(`    ${skib(v)} ${k}`);
  }
  if (after.heap.embedder !== undefined) {
    line(`    Blink (embedder) heap: ${kib(before.heap.embedder)} -> ${kib(after.heap.embedder)} (${skib((per1k(after.heap.embedder - before.heap.embedder)))} per 1,000 streams)`);
  }
  if (after.heap.window !== undefined) {
    line(`    the whole window (DOM, layout, JS): ${kib(before.heap.window)} -> ${kib(after.heap.window)} (${skib((per1k(after.heap.window - before.heap.window)))} per 1,000 streams)`);
  }
  const alive = after.gc.registered - after.gc.collected;
  line(`${check(alive === 0, "GC reclaims streams")} streams whose callbacks the GC could not reclaim: ${alive} of ${fmt(after.gc.registered)}`);
  line(`${failed.length ? "FAILED: " + failed.join(", ") : "passed"} (${r.seconds.toFixed(0)} s in ${r.browser})`);
  console.log(out.join("\n"));
  return failed;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const harness = await startHarness(o);
  say(`harness ${harness.origin}`);
  const results = [];
  try {
    for (const b of o.browsers) {
      try {
        const r = await soakIn(b, o, harness);
        results.push([b, report(r, o)]);
      } catch (e) {
        console.log(`${b}: FAILED: ${e.message || e}`);
        results.push([b, ["did not run"]]);
      }
    }
  } finally {
    harness.child.kill();
  }
  console.log(`soak: chaos seed ${o.seed} (replay the same faults: --seed ${o.seed})`);
  const bad = results.filter(([, f]) => f.length);
  console.log(`soak: ${results.map(([b, f]) => `${b} ${f.length ? "FAILED" : "passed"}`).join(", ")}`);
  process.exit(bad.length ? 1 : 0);
}

await main();
