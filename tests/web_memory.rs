//! Browser test: the wasm memory a 4 MiB event costs. One 4 MiB data line (the `huge_event`
//! scenario) streamed through `stream()` whole and re-chunked into 1 KiB writes grows the
//! instance's memory by at most 3x the event plus 1 MiB. Wasm memory never shrinks, so its size
//! after the streams is their peak. The core's own bound (a counting allocator, no allocator
//! slack) is `tests/memory.rs`; this one counts what the page keeps: the allocator's slack, the
//! reads copied in, the flushes copied out.
//!
//! Its own test binary, so the instance's memory is not grown by other tests first.
#![cfg(target_arch = "wasm32")]

use js_sys::{ArrayBuffer, WebAssembly};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

#[macro_use]
#[path = "web_support/mod.rs"]
mod support;
use support::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The event of `harness/scenarios/huge_event.toml`: 4 MiB of text on one data line.
const EVENT: f64 = 4.0 * 1024.0 * 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// The instance's memory in bytes.
fn memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<ArrayBuffer>()
        .byte_length() as f64
}

// Not met yet: the wasm memory grows by about 21 MB for this 4 MiB event (1.3 -> 22.4 MB),
// while the native count of live heap bytes (tests/memory.rs) stays within the bound; where
// the difference goes in the wasm memory is not known yet. Run it with
// `wasm-pack test --headless --chrome -- --test web_memory -- --include-ignored`.
#[wasm_bindgen_test]
#[ignore = "not met yet: about 21 MB of wasm memory growth for the 4 MiB event"]
async fn huge_event_peak_memory() {
    let event = EVENT;
    let before = memory_bytes();
    for query in ["", "fault=rechunk:1024"] {
        check_scenario("huge_event", query).await;
        let grown = memory_bytes() - before;
        assert!(
            grown <= 3.0 * event + MIB,
            "huge_event{}{query}: wasm memory grew by {grown} B ({before} -> {} B), over 3x the {event} B event + 1 MiB",
            if query.is_empty() { "" } else { "?" },
            memory_bytes()
        );
    }
}
