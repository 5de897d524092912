// The core in wasm behind a thin glue (benches/wasm-size's Guard: one call per read, the text
// out once per read) against the JavaScript pipeline (TextDecoder in stream mode,
// eventsource-parser, JSON.parse of every payload, string concatenation), in Node (V8, as
// Chromium), on the browser benchmark's fixtures, fed as exact N-byte reads by synchronous
// loops on both sides (no fetch, no promises: what is left is the parsing). Paired rounds,
// alternating order, the text of both arms checked against the fixture's on every round.
// It shows what the core costs once the browser layer is glue; the product's own figure is
// scripts/bench-browser.sh's.
//
//   scripts/wasm-size.sh                 # builds build/wasm-size/ (the Guard, wasm-opt -Oz)
//   scripts/bench-browser.sh --list      # once: generates build/bench-fixtures/
//   node benches/wasm-size/bench.mjs [ROUNDS]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(import.meta.url);
const { createParser } = require(join(root, "benches/browser/node_modules/eventsource-parser"));
const glue = await import(join(root, "build/wasm-size/node/streamguard_wasm_size.js"));
const { Guard } = glue.default ?? glue;

const rounds = Number(process.argv[2] ?? 9);
const fixtures = ["openai", "anthropic", "line", "tiny"];
const sizes = [["16B", 16], ["1KiB", 1024], ["16KiB", 16 * 1024], ["64KiB", 64 * 1024]];

function wasmArm(bytes, size, protocol) {
  const g = new Guard(protocol, 0, false, 0);
  g.head(200, "text/event-stream", 0);
  let text = "";
  let calls = 0;
  for (let i = 0; i < bytes.length; i += size) {
    if (g.read(bytes.subarray(i, i + size), 0)) {
      text += g.text();
      calls++;
    }
  }
  text += g.eof(0);
  const result = JSON.parse(g.result());
  g.free();
  if (result.outcome !== "complete") throw new Error(`outcome ${result.outcome}`);
  return { text, calls };
}

function jsArm(bytes, size, protocol) {
  let text = "";
  const onEvent =
    protocol === "anthropic"
      ? (event) => {
          const json = JSON.parse(event.data);
          if (json.type === "content_block_delta" && json.delta.type === "text_delta") {
            text += json.delta.text;
          }
        }
      : (event) => {
          if (event.data === "[DONE]") return;
          const json = JSON.parse(event.data);
          const content = json.choices[0]?.delta?.content;
          if (typeof content === "string" && content !== "") text += content;
        };
  const parser = createParser({ onEvent });
  const decoder = new TextDecoder();
  for (let i = 0; i < bytes.length; i += size) {
    parser.feed(decoder.decode(bytes.subarray(i, i + size), { stream: true }));
  }
  parser.feed(decoder.decode());
  return { text };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`rounds ${rounds}; ms are medians; ratio = JS / wasm per round (> 1: wasm faster)`);
console.log("row              wasm ms     JS ms   ratio (min-max)   MB/s wasm / JS");
for (const name of fixtures) {
  const bytes = new Uint8Array(readFileSync(join(root, "build/bench-fixtures", `${name}.sse`)));
  const want = readFileSync(join(root, "build/bench-fixtures", `${name}.txt`), "utf8");
  const protocol = name === "anthropic" ? "anthropic" : "openai";
  for (const [label, size] of sizes) {
    if (size === 16 && bytes.length > 6e6) continue; // tiny at 16 B: too slow to be useful
    const w = [];
    const j = [];
    const r = [];
    for (let k = -1; k < rounds; k++) {
      const order = k % 2 === 0 ? ["w", "j"] : ["j", "w"];
      const t = {};
      for (const arm of order) {
        const t0 = performance.now();
        const out = arm === "w" ? wasmArm(bytes, size, protocol) : jsArm(bytes, size, protocol);
        t[arm] = performance.now() - t0;
        if (out.text !== want) throw new Error(`${name} ${label} ${arm}: text differs`);
      }
      if (k < 0) continue; // warm-up
      w.push(t.w);
      j.push(t.j);
      r.push(t.j / t.w);
    }
    const mb = bytes.length / 1e6;
    console.log(
      `${(name + " " + label).padEnd(16)} ${median(w).toFixed(1).padStart(7)} ${median(j).toFixed(1).padStart(9)}` +
        `   ${median(r).toFixed(2)} (${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)})` +
        `   ${(mb / (median(w) / 1e3)).toFixed(0)} / ${(mb / (median(j) / 1e3)).toFixed(0)}`,
    );
  }
}
