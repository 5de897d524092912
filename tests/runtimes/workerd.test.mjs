// The package in workerd (Cloudflare Workers semantics) through Miniflare: worker.mjs and the
// installed package bundled by esbuild with the "workerd" condition (as wrangler does), the
// wasm as a CompiledWasm module. Every scenario runs INSIDE the Worker (its fetch, timers and
// streams); this Node process checks each run against the listing and asks the harness about
// the close. Then the transport cases inside the Worker, and a Worker that guards an upstream
// and streams it on. STREAMGUARD_RUNTIME_APP: the folder where the tarball is installed and
// the test files copied (scripts/runtime-test.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { NAMES, VIAS, applies, check, expectFor, idleFromLastWrite, listing, requestId, waitClosed, transportCases } from "./scenarios.mjs";

const app = resolve(process.env.STREAMGUARD_RUNTIME_APP || ".");
const harness = process.env.STREAMGUARD_HARNESS_URL;
if (!harness) throw new Error("STREAMGUARD_HARNESS_URL is not set");
const out = join(app, "worker-dist");
let mf;

before(async () => {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(app, "worker.mjs")],
    outfile: join(out, "worker.mjs"),
    bundle: true,
    format: "esm",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    absWorkingDir: app,
    logLevel: "warning",
    // The wasm stays a module of its own (a CompiledWasm module in workerd).
    plugins: [{
      name: "wasm-module",
      setup(b) {
        b.onResolve({ filter: /\.wasm$/ }, (a) => {
          copyFileSync(join(a.resolveDir, a.path), join(out, "streamguard_bg.wasm"));
          return { path: "./streamguard_bg.wasm", external: true };
        });
      },
    }],
  });
  mf = new Miniflare({
    modules: true,
    scriptPath: join(out, "worker.mjs"),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-07-30",
    bindings: { HARNESS: harness },
  });
  await mf.ready;
});
after(() => mf && mf.dispose());

const call = async (path, body) => {
  const r = await mf.dispatchFetch("http://worker" + path, { method: "POST", body: JSON.stringify(body) });
  return r.json();
};

const all = await listing(harness);
for (const name of NAMES) {
  for (const via of VIAS) {
    if (!applies(all[name], via)) continue;
    test(name + " via " + via + " (in workerd)", async () => {
      const entry = all[name];
      let expect = expectFor(entry, "workerd", via);
      const run = await call("/run", { entry, via });
      const closed = expect.serverSeesClose ? await waitClosed(harness, run.id) : null;
      expect = idleFromLastWrite(entry, expect, closed);
      const fails = check(expect, run, via === "response" ? run.headMs + 1 : 0);
      if (closed && closed.clientClosed !== true) fails.push("the harness did not see the connection closed");
      assert.deepEqual(fails, [], JSON.stringify(run.result || run.error).slice(0, 600));
    });
  }
}

const names = transportCases({}, harness).map(([name]) => name);
for (let index = 0; index < names.length; index++) {
  test(names[index] + " (in workerd)", async () => {
    const r = await call("/case", { index });
    assert.ok(r.ok, r.name + ": " + r.error);
  });
}

test("a Worker guards an upstream and streams it on", async () => {
  const proxied = async (name, protocol) => {
    const id = requestId("worker-proxy-" + name);
    const r = await mf.dispatchFetch(`http://worker/proxy?name=${name}&id=${id}&protocol=${protocol}`);
    return { id, text: await r.text() };
  };
  const ok = await proxied("openai_ok", "openai");
  assert.equal(ok.text, all.openai_ok.expect.text + "\n[complete]");
  const stall = await proxied("stall_mid", "openai");
  assert.equal(stall.text, all.stall_mid.expect.text + "\n[stalled]");
  assert.equal((await waitClosed(harness, stall.id)).clientClosed, true, "the upstream was not closed");
});
