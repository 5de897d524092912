// The npm package's JS API, shared by its entries: options.js validates without the wasm,
// host.js runs the loop, and the wasm Guard is built once the wasm is loaded (on first use, or
// by init()). `wasm`: a function returning the wasm at once (a WebAssembly.Module or bytes), or
// undefined: the glue fetches new URL("./streamguard_bg.wasm", import.meta.url).
// scripts/package.sh fills in @SNIPPETS@, wasm-bindgen's snippet folder.
import initWasm, { Guard, initSync } from "./streamguard.js";
import { validate } from "./snippets/@SNIPPETS@/src/web/options.js";
import { now, open as start, pipe, run } from "./snippets/@SNIPPETS@/src/web/host.js";

export function entry(wasm) {
  let ready = false;
  let loading; // the load in progress
  // Idempotent: later calls, whatever their input, share the first load; a failed one is retried.
  const init = (input) => {
    if (ready) return Promise.resolve();
    if (!loading) {
      let p;
      try {
        p = initWasm(input !== undefined ? { module_or_path: input } : wasm && { module_or_path: wasm() });
      } catch (e) {
        p = Promise.reject(e);
      }
      loading = p.then(
        () => {
          ready = true;
        },
        (e) => {
          loading = undefined;
          throw e;
        },
      );
    }
    return loading;
  };
  const make = (call) => new Guard(call, now());
  // host.js takes a Guard or a promise of one: synchronous when the wasm is at hand.
  const guard = (call) => {
    if (!ready && !loading && wasm) {
      initSync({ module: wasm() });
      ready = true;
    }
    return ready ? make(call) : init().then(() => make(call));
  };
  return {
    init,
    stream(options) {
      try {
        return run(validate(options), guard);
      } catch (e) {
        return Promise.reject(e);
      }
    },
    open: (options) => start(validate(options), guard),
    guard: (options) => pipe(validate(options, true), guard),
  };
}
