//! Browser tests: the four timers (first byte, idle, content, total) with the FAULTS.md test
//! values, each firing on time, keeping the text received, and closing the connection (asked
//! of the harness); a healthy slow stream and Anthropic pings trip nothing; a hidden page
//! still reports the stall (timer fallback instead of frames).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

#[macro_use]
#[path = "web_support/mod.rs"]
mod support;
use support::*;

wasm_bindgen_test_configure!(run_in_browser);

scenarios!(
    no_response,
    headers_then_silence,
    stall_mid,
    pings_forever,
    slow_healthy,
    byte_drip,
    thinking_pings,
    hidden_tab,
);

/// Stalls keep the deltas received before them: stall_mid's three tokens.
#[wasm_bindgen_test]
async fn stall_keeps_three_deltas() {
    let result = check_scenario("stall_mid", "").await;
    assert_eq!(
        get_str(&result, "text").as_deref(),
        Some("Hello, stalled world")
    );
    assert_eq!(
        get_f64(&result, "stats.deltas"),
        Some(3.0),
        "{}",
        json(&result)
    );
}

/// A timer set to 0 is off: pings_forever with the content timer off runs into the total
/// timer (2000 ms here) instead.
#[wasm_bindgen_test]
async fn zero_turns_a_timer_off() {
    let entry = scenario("pings_forever").await;
    let setup = Setup::new("pings_forever", &entry, "");
    set(&setup.options, "contentTimeoutMs", 0.0);
    set(&setup.options, "totalTimeoutMs", 2000.0);
    let result = stream(&setup.options).await;
    assert_outcome(&result, "stalled");
    assert_eq!(
        get_str(&result, "error.phase").as_deref(),
        Some("total"),
        "{}",
        json(&result)
    );
    let elapsed = get_f64(&result, "error.elapsedMs").unwrap_or(0.0);
    assert!(
        (2000.0..=2000.0 + ON_TIME_SLACK_MS).contains(&elapsed),
        "{}",
        json(&result)
    );
    assert_closed(&setup.id, "total timer").await;
    setup.check_invariants(&result, true).await;
}

/// The stall is reported from the timer even when the page turns hidden mid-stream
/// (visibilitychange re-checks the deadlines and switches frames to the timer fallback).
#[wasm_bindgen_test]
async fn page_hidden_mid_stream() {
    start_frames();
    let entry = scenario("stall_mid").await;
    let setup = Setup::new("stall_mid", &entry, "");
    let handle = streamguard::web::api::open(setup.options.clone().into()).expect("open");
    // Hide the page right away; the tokens arrive while hidden.
    set_hidden(true);
    let result = await_promise(get(&handle, "result")).await.unwrap();
    set_hidden(false);
    assert_outcome(&result, "stalled");
    assert_eq!(get_str(&result, "error.phase").as_deref(), Some("idle"));
    assert_eq!(
        get_str(&result, "text").as_deref(),
        Some("Hello, stalled world")
    );
    assert_closed(&setup.id, "hidden page stall").await;
    setup.check_invariants(&result, false).await;
}
