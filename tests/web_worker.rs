//! Browser tests in a dedicated Web Worker (no `window`, no `document`, no animation frames):
//! the whole binary runs inside the worker. Streams complete with the timer fallback for
//! frame flushes, timers fire and close the connection, the caller's abort works.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

#[path = "web_support/mod.rs"]
mod support;
use support::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
fn runs_in_a_worker() {
    assert!(is_worker(), "this binary must run in a dedicated worker");
    assert!(!start_frames(), "no animation frames without a document");
}

/// A complete stream, frame flushes driven by the timer fallback; the final flush happens.
#[wasm_bindgen_test]
async fn worker_openai_ok() {
    let result = check_scenario("openai_ok", "").await;
    let flushes = get_f64(&result, "stats.flushes").unwrap();
    assert!(flushes >= 1.0, "{}", json(&result));
}

/// The idle timer fires in a worker and the connection is closed.
#[wasm_bindgen_test]
async fn worker_stall_mid() {
    check_scenario("stall_mid", "").await;
}

/// First-byte stall in a worker.
#[wasm_bindgen_test]
async fn worker_no_response() {
    check_scenario("no_response", "").await;
}

/// The caller's abort in a worker.
#[wasm_bindgen_test]
async fn worker_user_abort() {
    check_scenario("user_abort", "").await;
}

/// A network error in a worker.
#[wasm_bindgen_test]
async fn worker_refused() {
    check_scenario("refused", "").await;
}

/// The handle API in a worker.
#[wasm_bindgen_test]
async fn worker_open_handle() {
    let entry = scenario("openai_ok").await;
    let setup = Setup::new("openai_ok", &entry, "");
    let handle = streamguard::web::api::open(setup.options.clone().into()).expect("open");
    let mut text = String::new();
    loop {
        let next = await_promise(call_method(&handle, "next")).await.unwrap();
        if get(&next, "done").as_bool() == Some(true) {
            break;
        }
        text.push_str(&get_str(&next, "value").unwrap());
    }
    let result = await_promise(get(&handle, "result")).await.unwrap();
    assert_outcome(&result, "complete");
    assert_eq!(Some(text), get_str(&entry, "expect.text"));
    setup.check_invariants(&result, false).await;
    call_method(&handle, "free");
}
