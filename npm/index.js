// streamguard for browsers and bundlers: the wasm is fetched on first use from
// new URL("./streamguard_bg.wasm", import.meta.url), which bundlers emit as an asset.
import { entry } from "./entry.js";

export const { init, stream, open, guard } = entry();
export default init;
