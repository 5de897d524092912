//! Browser test: the wasm memory a 4 MiB event costs. One 4 MiB data line (the `huge_event`
//! scenario) streamed through `stream()` as the harness writes it (one write: the browser
//! cuts it into reads of its own, up to a megabyte or more), re-chunked into 1 KiB writes and
//! into 100,000-byte writes, grows the instance's memory by at most 3x the event plus 1 MiB.
//! Wasm memory never shrinks, so its size after the streams is their peak. The core's own
//! bound (a counting allocator, no allocator slack) is `tests/memory.rs`; this one counts what
//! the page keeps: the allocator's slack, the reads copied in, the flushes copied out.
//!
//! Its own test binary, so the instance's memory is not grown by other tests first.
#![cfg(target_arch = "wasm32")]

use js_sys::{ArrayBuffer, WebAssembly};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

#[macro_use]
#[path = "web_support/mod.rs"]
mod support;
use support::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The event of `harness/scenarios/huge_event.toml`: 4 MiB of text on one data line.
const EVENT: f64 = 4.0 * 1024.0 * 1024.0;
const MIB: f64 = 1024.0 * 1024.0;
/// The bound, in events (plus 1 MiB): the 3x (13 MiB for this event).
const BOUND_EVENTS: f64 = 3.0;

/// The instance's memory in bytes.
fn memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<ArrayBuffer>()
        .byte_length() as f64
}

/// Streams `huge_event` (with `query`) through `stream()` and returns the result. Nothing of
/// the text crosses into Rust before the caller measured the memory: the recorder keeps the
/// deltas in JS, and the result stays a JS object (the test support's checks parse the result
/// as JSON in this same wasm memory, which would count the test's copies, not the library's).
async fn huge_event(query: &str) -> JsValue {
    let entry = scenario("huge_event").await;
    let setup = Setup::new("huge_event", &entry, query);
    stream(&setup.options).await
}

#[wasm_bindgen_test]
async fn huge_event_peak_memory() {
    let event = EVENT;
    let before = memory_bytes();
    for query in ["", "fault=rechunk:1024", "fault=rechunk:100000"] {
        let result = huge_event(query).await;
        let grown = memory_bytes() - before;
        let label = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        console_log!("huge_event{label}: wasm memory grew by {grown} B");
        // Measured first, then checked: the stream did carry the event.
        let text = get(&result, "text")
            .unchecked_into::<js_sys::JsString>()
            .length() as f64;
        assert_outcome(&result, "complete");
        assert!(
            text >= event - 1024.0,
            "huge_event{label}: text of {text} UTF-16 units, want the 4 MiB event"
        );
        assert!(
            grown <= BOUND_EVENTS * event + MIB,
            "huge_event{label}: wasm memory grew by {grown} B ({before} -> {} B), over {BOUND_EVENTS}x the {event} B event + 1 MiB",
            memory_bytes()
        );
    }
}
