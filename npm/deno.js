// streamguard for Deno: the wasm is imported as a WebAssembly.Module (a source phase import,
// which needs no --allow-read) and instantiated on first use.
import source wasm from "./streamguard_bg.wasm";
import { entry } from "./entry.js";

export const { init, stream, open, guard } = entry(() => wasm);
export default init;
