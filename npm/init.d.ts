
/**
 * Where `init()` loads the wasm from: a URL (a CDN, your own static path), a `Response`, a
 * compiled `WebAssembly.Module` (Cloudflare Workers), or the bytes.
 */
export type InitInput = string | URL | Request | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the wasm now. Optional: `stream()` and `open()` load it on first use, from the package
 * (browsers and bundlers: `new URL("./streamguard_bg.wasm", import.meta.url)`; Node: the file
 * system; Workers: the imported module). Call it to host the wasm elsewhere (a CDN, a
 * `WebAssembly.Module`, bytes) or to load it before the first request. Idempotent: the first
 * call loads, every later call returns the same promise; after a failed load the next call tries
 * again.
 */
export function init(input?: InitInput | Promise<InitInput>): Promise<void>;
export default init;
