// The package's loading rules in Node, from the installed tarball (the `node` condition): no
// init needed, init(input) for custom hosting, idempotent, and retried after a failure. Each
// case runs in a fresh process (a loaded wasm cannot be unloaded).
//
//   node node.test.mjs HARNESS_URL
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const CASES = {
  // The one-line use: the first stream loads the wasm from the package folder.
  async lazy(base, sg) {
    const r = await sg.stream({ url: `${base}/scenarios/openai_ok`, protocol: "openai" });
    if (r.outcome !== "complete" || r.text.length === 0) throw new Error(`outcome ${r.outcome}`);
    await sg.init(); // after a lazy load: resolves at once
  },
  // Custom hosting with a compiled module; later calls, whatever their input, share it.
  async module(base, sg) {
    const { readFileSync } = await import("node:fs");
    const bytes = readFileSync(new URL("./node_modules/streamguard/streamguard_bg.wasm", import.meta.url));
    const first = sg.init(new WebAssembly.Module(bytes));
    const second = sg.init(new Uint8Array([0, 1, 2])); // ignored: the first call loads
    if (first !== second) throw new Error("init() is not idempotent: two promises");
    await first;
    await sg.init("https://unused.invalid/streamguard_bg.wasm");
    const r = await sg.stream({ url: `${base}/scenarios/stall_mid`, protocol: "openai", idleTimeoutMs: 300 });
    if (r.outcome !== "stalled" || r.error.phase !== "idle") throw new Error(`outcome ${r.outcome}`);
  },
  // A failed load rejects, and the next call tries again.
  async retry(base, sg) {
    let failed = false;
    try {
      await sg.init(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9]));
    } catch (e) {
      failed = e instanceof WebAssembly.CompileError;
    }
    if (!failed) throw new Error("a bad module did not reject with a CompileError");
    await sg.init();
    const h = sg.open({ url: `${base}/scenarios/openai_ok`, protocol: "openai" });
    let text = "";
    for await (const t of h) text += t;
    const r = await h.result;
    if (r.outcome !== "complete" || r.text !== text) throw new Error(`outcome ${r.outcome}`);
  },
  // Invalid options are a TypeError, before any wasm is needed.
  async options(_base, sg) {
    const e = await sg.stream({ url: "x", protocol: "gopher" }).then(() => null, (x) => x);
    if (!(e instanceof TypeError) || !/protocol/.test(e.message)) throw new Error(`got ${e}`);
    let thrown = null;
    try {
      sg.open({ url: "x", idleTimeoutMs: -1 });
    } catch (x) {
      thrown = x;
    }
    if (!(thrown instanceof TypeError)) throw new Error(`open: got ${thrown}`);
  },
};

const [mode, base] = process.argv.slice(2);
if (mode in CASES) {
  const sg = await import("streamguard");
  await CASES[mode](base, sg);
  process.exit(0);
}
const harness = mode;
if (!harness) {
  console.error("usage: node node.test.mjs HARNESS_URL");
  process.exit(2);
}
let failed = 0;
for (const name of Object.keys(CASES)) {
  const start = Date.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), name, harness], { encoding: "utf8", timeout: 20000 });
  if (r.status === 0) console.log(`ok   node: ${name} (${Date.now() - start} ms)`);
  else {
    failed++;
    console.log(`FAIL node: ${name}: ${(r.stderr || r.error || "").toString().trim().split("\n").slice(0, 6).join("\n     ")}`);
  }
}
console.log(`node: ${Object.keys(CASES).length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
