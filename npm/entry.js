// The JS API of the npm package, shared by every entry (index.js, node.js, deno.js,
// workerd.js): options.js validates without the wasm, host.js runs the loop, and the wasm
// Guard is built once the wasm is loaded: on first use, or by init(). Each entry only says
// where its runtime finds the wasm. @SNIPPETS@ is the wasm-bindgen snippet folder
// (scripts/package.sh fills it in).
import initWasm, { Guard, initSync } from "./streamguard.js";
import { validate } from "./snippets/@SNIPPETS@/src/web/options.js";
import { now, open as start, run } from "./snippets/@SNIPPETS@/src/web/host.js";

/**
 * `wasm`: a function returning the wasm at once (a WebAssembly.Module or its bytes), or
 * undefined: the glue fetches `new URL("./streamguard_bg.wasm", import.meta.url)`.
 */
export function entry(wasm) {
  let ready = false;
  let loading; // init()'s promise while the wasm loads asynchronously
  const loaded = () => {
    ready = true;
  };
  // Idempotent: the first call loads, later calls (whatever their input) share its promise.
  const init = (input) => {
    if (ready) return Promise.resolve();
    if (!loading) {
      let p;
      try {
        p = initWasm(input !== undefined ? { module_or_path: input } : wasm ? { module_or_path: wasm() } : undefined);
      } catch (e) {
        p = Promise.reject(e);
      }
      loading = p.then(loaded, (e) => {
        loading = undefined; // a failed load may be retried
        throw e;
      });
    }
    return loading;
  };
  const make = (call) => new Guard(call.protocol, call.cfg, call, now());
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
  };
}
