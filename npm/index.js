// streamguard for browsers and bundlers (Vite, webpack, Next.js, Rollup, esbuild): the wasm is
// fetched from `new URL("./streamguard_bg.wasm", import.meta.url)` on first use, which every
// bundler rewrites to the emitted asset. init(input) loads it from elsewhere first.
import { entry } from "./entry.js";

export const { init, stream, open } = entry();
export default init;
