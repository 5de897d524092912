//! The JS API: `stream(options)`, `open(options)` and `guard(options)`, with the TypeScript
//! surface declared by hand in `api.d.ts` (the generated declarations are skipped so that the
//! `.d.ts` is precise). The options are validated by `options.js` and the loop run by
//! `host.js`; this module builds the `Guard` in between. The npm package's entries (`npm/`)
//! skip these exports: they build the Guard themselves once the wasm is loaded (see
//! `guard.rs`).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::guard::{Guard, Sink};

// The declarations are in api.d.ts (also the npm package's index.d.ts, with `init`).
#[wasm_bindgen(typescript_custom_section)]
const TS_API: &'static str = include_str!("api.d.ts");

#[wasm_bindgen(module = "/src/web/options.js")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn validate(options: &JsValue, pipe: bool) -> Result<Sink, JsValue>;
    fn reject(e: &JsValue) -> JsValue;
}

#[wasm_bindgen(module = "/src/web/host.js")]
extern "C" {
    fn now() -> f64;
    fn run(call: &Sink, guard: Guard) -> JsValue;
    #[wasm_bindgen(js_name = open)]
    fn open_js(call: &Sink, guard: Guard) -> JsValue;
    fn pipe(call: &Sink, guard: Guard) -> JsValue;
}

/// Validates `options` (the TypeError of `options.js`), builds the stream's Guard and hands
/// both to the host's `run` (`how` 0: `stream()`), `open` (1) or `pipe` (2: `guard()`, whose
/// options have no request). One copy for the three exports.
#[inline(never)]
fn start(options: &JsValue, how: u8) -> Result<JsValue, JsValue> {
    let call = validate(options, how == 2)?;
    let sink: Sink = JsValue::clone(&call).unchecked_into();
    let guard = Guard::new(sink, now());
    Ok(match how {
        0 => run(&call, guard),
        1 => open_js(&call, guard),
        _ => pipe(&call, guard),
    })
}

/// `stream(options)` for JS: see the TypeScript declaration above.
#[wasm_bindgen(js_name = stream, skip_typescript)]
pub fn stream_js(options: &JsValue) -> JsValue {
    start(options, 0).unwrap_or_else(|e| reject(&e))
}

/// `stream(options)` from Rust: the result object, or the TypeError for invalid options.
#[cfg(feature = "rust-api")]
pub async fn stream(options: JsValue) -> Result<JsValue, JsValue> {
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(stream_js(&options))).await
}

/// `open(options)`: see the TypeScript declaration above. Throws the TypeError.
#[wasm_bindgen(skip_typescript)]
pub fn open(options: JsValue) -> Result<JsValue, JsValue> {
    start(&options, 1)
}

/// `guard(options)`: see the TypeScript declaration above. Throws the TypeError.
#[wasm_bindgen(js_name = guard, skip_typescript)]
pub fn guard_js(options: JsValue) -> Result<JsValue, JsValue> {
    start(&options, 2)
}
