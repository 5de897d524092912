// A/B of wasm builds in Node (the same V8 engine family as Chromium, without a page): each
// build's `stream()` over one of the browser benchmark's fixtures in exact N-byte reads, the
// builds interleaved round by round (order alternating), exact text checked every run; prints
// each build's best and median ms. The best of N is what a shared, noisy machine leaves least
// disturbed; scripts/bench-browser.sh --baseline stays the measure in a browser.
//
//   scripts/bench-browser.sh --rows openai-1k --rounds 1   # once: writes build/bench-fixtures/
//   scripts/build-wasm.sh /tmp/pkg-a                # a build (at any commit)
//   node benches/ab-node.mjs openai 1024 9 /tmp/pkg-a /tmp/pkg-b [...]
//
// Fixtures: openai, anthropic, line, tiny (build/bench-fixtures/NAME.sse and NAME.txt).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { exactReads } from "./browser/page/reads.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const [fixture, chunkArg, roundsArg, ...pkgs] = process.argv.slice(2);
const chunk = Number(chunkArg);
const rounds = Number(roundsArg);
if (!fixture || !(chunk > 0) || !(rounds > 0) || pkgs.length === 0) {
  console.error("usage: node benches/ab-node.mjs FIXTURE READ_BYTES ROUNDS PKG_DIR [PKG_DIR...]");
  process.exit(2);
}
const dir = join(ROOT, "build", "bench-fixtures");
const bytes = new Uint8Array(readFileSync(join(dir, `${fixture}.sse`)));
const expected = readFileSync(join(dir, `${fixture}.txt`), "utf8");
const protocol = fixture === "anthropic" ? "anthropic" : "openai";

const builds = [];
for (const p of pkgs) {
  const abs = resolve(p);
  // A query string per build: each is its own module instance with its own wasm memory.
  const wasm = readFileSync(join(abs, "streamguard_bg.wasm"));
  if (existsSync(join(abs, "entry.js"))) {
    // The package's entry (scripts/build-wasm.sh writes it next to the wasm), as npm/node.js uses it.
    const { entry } = await import(`${pathToFileURL(join(abs, "entry.js"))}?${builds.length}`);
    const api = entry(() => wasm);
    await api.init();
    builds.push(api);
  } else {
    // A build from before that: the wasm-pack glue's own `stream` export.
    const mod = await import(`${pathToFileURL(join(abs, "streamguard.js"))}?${builds.length}`);
    await mod.default({ module_or_path: wasm });
    builds.push(mod);
  }
}
// The browser benchmark's in-page body: `chunk` bytes per read, answered at once.
globalThis.fetch = () =>
  Promise.resolve(new Response(exactReads(bytes, chunk, { reads: 0 }, false), { headers: { "content-type": "text/event-stream" } }));

async function run(mod) {
  let text = "";
  const t0 = performance.now();
  const r = await mod.stream({
    url: "http://127.0.0.1/",
    protocol,
    firstByteTimeoutMs: 0,
    idleTimeoutMs: 0,
    contentTimeoutMs: 0,
    totalTimeoutMs: 0,
    flush: "immediate",
    onText: (d) => {
      text += d;
    },
  });
  const ms = performance.now() - t0;
  if (r.outcome !== "complete" || text !== expected) throw new Error(`text or outcome differs: ${r.outcome}`);
  return ms;
}

const times = builds.map(() => []);
for (let r = -3; r < rounds; r++) {
  const order = builds.map((_, i) => (r % 2 ? i : builds.length - 1 - i));
  for (const i of order) {
    const ms = await run(builds[i]);
    if (r >= 0) times[i].push(ms);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`${fixture}, ${chunk} B reads, ${rounds} rounds (3 warm-up)`);
pkgs.forEach((p, i) =>
  console.log(`${p.padEnd(24)} best ${Math.min(...times[i]).toFixed(2)} ms  median ${median(times[i]).toFixed(2)} ms`),
);
