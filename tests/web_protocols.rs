//! Browser tests: the Gemini (SSE and the JSON array form), AI SDK UI message stream and
//! plain-text scenarios, and a stall after the end signal for every protocol that has one,
//! through the public JS API (`stream(options)`), against the harness's listed expectations
//! (`rawFinishReason` included where the scenario names it).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

#[macro_use]
#[path = "web_support/mod.rs"]
mod support;
use support::*;

wasm_bindgen_test_configure!(run_in_browser);

scenarios!(
    gemini_ok,
    gemini_array,
    gemini_no_finish,
    gemini_error_mid,
    gemini_stall_mid,
    gemini_stall_after_finish,
    ai_sdk_ok,
    ai_sdk_no_finish,
    ai_sdk_error_mid,
    ai_sdk_stall_mid,
    ai_sdk_stall_after_finish,
    text_ok,
    text_reset_mid,
    text_stall_mid,
    openai_stall_after_finish,
    anthropic_stall_after_stop,
);

/// The JS result carries `rawFinishReason` (the provider's own string, or null), and the
/// `finish` event passed to `onEvent` its `raw` value.
#[wasm_bindgen_test]
async fn raw_finish_reason_reaches_the_result_and_the_finish_event() {
    start_frames();
    let entry = scenario("gemini_ok").await;
    let setup = Setup::new("gemini_ok", &entry, "").with_events();
    let result = stream(&setup.options).await;
    assert_outcome(&result, "complete");
    assert_eq!(get_str(&result, "rawFinishReason").as_deref(), Some("STOP"));
    let events = get(&setup.recorder, "events");
    let events: Vec<serde_json::Value> =
        serde_json::from_str(&json(&events)).expect("events are JSON");
    let finish = events
        .iter()
        .find(|e| e["type"] == "finish")
        .unwrap_or_else(|| panic!("no finish event: {events:?}"));
    assert_eq!(finish["reason"], "stop");
    assert_eq!(finish["raw"], "STOP");
    // Plain text has no finish reason: both are null.
    let entry = scenario("text_ok").await;
    let setup = Setup::new("text_ok", &entry, "");
    let result = stream(&setup.options).await;
    assert_outcome(&result, "complete");
    assert!(
        get(&result, "rawFinishReason").is_null(),
        "{}",
        json(&result)
    );
    assert!(get(&result, "finishReason").is_null(), "{}", json(&result));
}
