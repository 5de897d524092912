// The benchmark page: runs one arm of one row at a time for bench.mjs (which drives it through
// playwright-core and CDP) and keeps the arm's text for the exact comparison.
//
// Arms, on the same bytes:
//   product  streamguard's stream(): every timer off, flush "immediate" (or "frame" for the
//            frame row), onText appending to a string.
//   js       the pipeline chat frontends write instead: fetch, getReader(), TextDecoder in
//            stream mode, eventsource-parser, JSON.parse of every data payload, string
//            concatenation of the text deltas.
//   floor    neither: the same body read to its end and dropped (getReader(), await read()).
//            What both arms pay for the stream itself, whatever they do with the bytes.
//   base     with a baseline (bench.mjs --baseline DIR, served at /pkg-base): another build of
//            the product, run exactly as `product` (A/B in the same rounds).
// Modes:
//   inpage   a Response built here whose body is a pull-based ReadableStream handing out
//            exactly `chunk` bytes per read (optionally one read per task: `paced`).
//   net      the fixture file fetched from the harness over loopback.
import { createParser } from "/esp/index.js";
import { exactReads } from "./reads.mjs";

const SSE_HEADERS = { "content-type": "text/event-stream" };

// ---------------------------------------------------------------------------------------------
// The two places that know how the product is reached: change these when its packaging does.

/// Loads the product: the npm package's browser entry (`index.js`, which scripts/build-wasm.sh
/// writes next to the wasm) with its `init()`, or, for a baseline built before it was there,
/// the wasm-pack `--target web` glue and its `stream` export. `variant` is the directory it is
/// served from (`pkg`, or `pkg-profiling` with names kept, or `pkg-base` for a baseline build):
/// each is its own module instance with its own wasm memory, taken from the instance the load
/// creates (the package does not hand out its exports).
async function loadProduct(variant) {
  let memory = null;
  const { instantiate, instantiateStreaming } = WebAssembly;
  const keep = (r) => {
    const exports = (r.instance || r).exports;
    memory = Object.values(exports).find((v) => v instanceof WebAssembly.Memory) || memory;
    return r;
  };
  WebAssembly.instantiate = (...a) => instantiate.apply(WebAssembly, a).then(keep);
  if (instantiateStreaming) WebAssembly.instantiateStreaming = (...a) => instantiateStreaming.apply(WebAssembly, a).then(keep);
  let stream;
  try {
    // Decided by the file being there, so an error inside the entry fails the load.
    if ((await fetch(`/${variant}/index.js`)).ok) {
      const mod = await import(`/${variant}/index.js`);
      await mod.init();
      stream = mod.stream;
    } else {
      const mod = await import(`/${variant}/streamguard.js`);
      await mod.default();
      stream = mod.stream;
    }
  } finally {
    WebAssembly.instantiate = instantiate;
    if (instantiateStreaming) WebAssembly.instantiateStreaming = instantiateStreaming;
  }
  if (!memory) throw new Error(`${variant}: no wasm memory seen while loading`);
  return {
    stream,
    wasmMemoryBytes: () => memory.buffer.byteLength,
  };
}

/// Runs the product's `stream(options)` on an in-page Response. Today the product calls the
/// global `fetch`, so it is replaced for the duration of the run.
async function productOnResponse(product, makeResponse, options) {
  const saved = globalThis.fetch;
  globalThis.fetch = () => Promise.resolve(makeResponse());
  try {
    return await product.stream(options);
  } finally {
    globalThis.fetch = saved;
  }
}

// ---------------------------------------------------------------------------------------------

/// Counts the reads that carried bytes, for the network mode (the reads are Chromium's own).
function countReads(counter) {
  const proto = ReadableStreamDefaultReader.prototype;
  const read = proto.read;
  proto.read = function () {
    return read.call(this).then((r) => {
      if (!r.done) counter.reads++;
      return r;
    });
  };
  return () => {
    proto.read = read;
  };
}

/// The floor arm: every read of the body, nothing done with the bytes but counting them.
async function readOnly(response) {
  const reader = response.body.getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
  }
  return bytes;
}

/// The JavaScript arm.
async function jsPipeline(response, protocol) {
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  let text = "";
  let appends = 0;
  const onEvent =
    protocol === "anthropic"
      ? (event) => {
          const json = JSON.parse(event.data);
          if (json.type === "content_block_delta" && json.delta.type === "text_delta") {
            text += json.delta.text;
            appends++;
          }
        }
      : (event) => {
          if (event.data === "[DONE]") return;
          const json = JSON.parse(event.data);
          const content = json.choices[0]?.delta?.content;
          if (typeof content === "string" && content !== "") {
            text += content;
            appends++;
          }
        };
  const parser = createParser({ onEvent });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
  }
  parser.feed(decoder.decode());
  return { text, appends, outcome: "complete" };
}

const longTasks = [];
const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries()));
observer.observe({ type: "longtask", buffered: true });

const state = { product: null, base: null, fixtures: new Map(), lastText: "" };

async function fetchOk(url, as) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res[as]();
}

const bench = {
  /// Loads the product (`pkg` or `pkg-profiling`), and the baseline for the `base` arm when
  /// given (`pkg-base`); returns the product's wasm memory in bytes.
  async load(variant, baseline = null) {
    state.product = await loadProduct(variant);
    state.base = baseline ? await loadProduct(baseline) : null;
    return state.product.wasmMemoryBytes();
  },

  /// Fetches a fixture's bytes and expected text from the harness.
  async prepare(name, protocol) {
    if (state.fixtures.has(name)) return;
    const [buffer, text] = await Promise.all([
      fetchOk(`/fixtures/${name}.sse`, "arrayBuffer"),
      fetchOk(`/fixtures/${name}.txt`, "text"),
    ]);
    state.fixtures.set(name, { bytes: new Uint8Array(buffer), text, protocol });
  },

  gc() {
    if (typeof globalThis.gc === "function") globalThis.gc();
  },

  /// One arm of one row: { arm, fixture, mode, chunk, flush, paced }.
  async run(spec) {
    const fx = state.fixtures.get(spec.fixture);
    const product = spec.arm === "base" ? state.base : state.product;
    if (!product) throw new Error(`arm ${spec.arm}: no product loaded`);
    const counter = { reads: 0 };
    const url = spec.mode === "net" ? `/fixtures/${spec.fixture}.sse` : `/bench/${spec.fixture}.sse`;
    const makeResponse = () =>
      new Response(exactReads(fx.bytes, spec.chunk, counter, spec.paced), { headers: SSE_HEADERS });
    const memBefore = product.wasmMemoryBytes();
    let frames = 0;
    let counting = spec.flush === "frame";
    if (counting) {
      const tick = () => {
        if (!counting) return;
        frames++;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    }
    const restore = spec.mode === "net" ? countReads(counter) : () => {};
    let out;
    const t0 = performance.now();
    try {
      if (spec.arm === "floor") {
        const bytes = await readOnly(spec.mode === "net" ? await fetch(url) : makeResponse());
        // No text to check: the arm is checked by its byte count.
        out = { text: null, outcome: bytes === fx.bytes.length ? "complete" : `read ${bytes} of ${fx.bytes.length} bytes` };
      } else if (spec.arm === "js") {
        out = await jsPipeline(spec.mode === "net" ? await fetch(url) : makeResponse(), fx.protocol);
      } else {
        let text = "";
        let calls = 0;
        const options = {
          url,
          protocol: fx.protocol,
          firstByteTimeoutMs: 0,
          idleTimeoutMs: 0,
          contentTimeoutMs: 0,
          totalTimeoutMs: 0,
          flush: spec.flush,
          onText: (delta) => {
            text += delta;
            calls++;
          },
        };
        const result =
          spec.mode === "net"
            ? await product.stream(options)
            : await productOnResponse(product, makeResponse, options);
        out = { text, calls, outcome: result.outcome, error: result.error ?? null };
      }
    } finally {
      restore();
    }
    const t1 = performance.now();
    counting = false;
    if (out.text !== null) state.lastText = out.text;
    const memAfter = product.wasmMemoryBytes();
    // A long task is reported when it ends: let the run's task end, then collect.
    await new Promise((resolve) => setTimeout(resolve, 0));
    longTasks.push(...observer.takeRecords());
    const long = longTasks.filter((e) => e.startTime < t1 && e.startTime + e.duration > t0).length;
    return {
      ms: t1 - t0,
      reads: counter.reads,
      calls: out.calls ?? null,
      appends: out.appends ?? null,
      outcome: out.outcome,
      error: out.error ? JSON.stringify(out.error) : null,
      frames,
      memBefore,
      memAfter,
      longTasks: long,
    };
  },

  /// The last arm's text against the fixture's: null, or where they differ.
  check(fixture) {
    const expected = state.fixtures.get(fixture).text;
    const got = state.lastText;
    if (got === expected) return null;
    let i = 0;
    while (i < got.length && i < expected.length && got[i] === expected[i]) i++;
    return {
      index: i,
      gotLength: got.length,
      expectedLength: expected.length,
      got: got.slice(Math.max(0, i - 20), i + 40),
      expected: expected.slice(Math.max(0, i - 20), i + 40),
    };
  },
};

globalThis.bench = bench;
bench.ready = Promise.resolve(true);
