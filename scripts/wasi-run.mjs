#!/usr/bin/env node
// cargo's runner for wasm32-wasip1 (.cargo/config.toml): runs a test binary in Node's WASI, so
// the core's unit tests run compiled for wasm32 (`cargo test -p streamguard --lib --target
// wasm32-wasip1`). The browser layer's wasm-bindgen imports are linked but never called by
// those tests: they get stubs that throw.
import { readFile } from "node:fs/promises";
import { argv, env, exit } from "node:process";
import { WASI } from "node:wasi";

const [file, ...args] = argv.slice(2);
const wasi = new WASI({ version: "preview1", args: [file, ...args], env, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const imports = { wasi_snapshot_preview1: wasi.wasiImport };
for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
  if (from === "wasi_snapshot_preview1" || kind !== "function") continue;
  (imports[from] ??= {})[name] = () => {
    throw new Error(`${from}.${name} called outside a browser`);
  };
}
exit(wasi.start(await WebAssembly.instantiate(module, imports)));
