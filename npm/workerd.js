// streamguard for Cloudflare Workers (workerd): the wasm is imported as a precompiled
// WebAssembly.Module (Workers compile no wasm at run time) and instantiated on first use.
import wasm from "./streamguard_bg.wasm";
import { entry } from "./entry.js";

export const { init, stream, open, guard } = entry(() => wasm);
export default init;
