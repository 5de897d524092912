// streamguard for Node (and Bun): the wasm is read from the package folder on first use.
import { readFileSync } from "node:fs";
import { entry } from "./entry.js";

export const { init, stream, open, guard } = entry(() => readFileSync(new URL("./streamguard_bg.wasm", import.meta.url)));
export default init;
