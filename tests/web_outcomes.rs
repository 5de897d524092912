//! Browser tests: the outcome of every FAULTS.md scenario that ends on its own (complete,
//! truncated, provider, protocol, HTTP and network errors), through the public JS API
//! (`stream(options)`), against the harness's listed expectations.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

#[macro_use]
#[path = "web_support/mod.rs"]
mod support;
use support::*;

wasm_bindgen_test_configure!(run_in_browser);

scenarios!(
    openai_ok,
    refused,
    no_done,
    finish_no_done,
    reset_mid,
    anthropic_error_mid,
    anthropic_error_first,
    openai_error_mid,
    anthropic_ok,
    responses_ok,
    ollama_ok,
    ollama_error,
    ollama_no_done,
    status_429,
    json_not_sse,
    html_not_sse,
    invalid_json,
    chunked_cut,
    content_length_lie,
);

/// Scenarios covered by the other browser test binaries.
const COVERED_ELSEWHERE: &[&str] = &[
    // web_timers.rs
    "no_response",
    "headers_then_silence",
    "stall_mid",
    "pings_forever",
    "slow_healthy",
    "byte_drip",
    "thinking_pings",
    "hidden_tab",
    // web_framing.rs
    "any_chunking",
    "split_utf8",
    "line_endings",
    "bom",
    "comments",
    "meta_only",
    "buffered_burst",
    "huge_event",
    "unbounded_line",
    "web_1mb",
    // web_abort.rs
    "user_abort",
    // web_resume.rs
    "sse_resume",
    // web_protocols.rs
    "gemini_ok",
    "gemini_array",
    "gemini_no_finish",
    "gemini_error_mid",
    "gemini_stall_mid",
    "gemini_stall_after_finish",
    "ai_sdk_ok",
    "ai_sdk_no_finish",
    "ai_sdk_error_mid",
    "ai_sdk_stall_mid",
    "ai_sdk_stall_after_finish",
    "text_ok",
    "text_reset_mid",
    "text_stall_mid",
    "openai_stall_after_finish",
    "anthropic_stall_after_stop",
];

/// Every scenario the harness lists is covered by a browser test (a new scenario without one
/// fails here).
#[wasm_bindgen_test]
async fn every_listed_scenario_has_a_browser_test() {
    let names = scenario_names().await;
    assert!(!names.is_empty(), "the harness lists no scenarios");
    let missing: Vec<&String> = names
        .iter()
        .filter(|n| !COVERED.contains(&n.as_str()) && !COVERED_ELSEWHERE.contains(&n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "scenarios without a browser test: {missing:?}"
    );
}

/// The error of an HTTP error carries the status, the Retry-After (exposed by CORS) and the
/// provider's message, and `onEvent` receives nothing after the result.
#[wasm_bindgen_test]
async fn status_429_exposes_retry_after_and_message() {
    let result = check_scenario("status_429", "").await;
    assert_eq!(get_f64(&result, "error.status"), Some(429.0));
    assert!(
        get_f64(&result, "error.retryAfterMs").is_some(),
        "{}",
        json(&result)
    );
    assert!(!get_str(&result, "error.message")
        .unwrap_or_default()
        .is_empty());
}

/// A POST with a JSON body and custom headers (CORS preflight) streams like a GET.
#[wasm_bindgen_test]
async fn post_with_body_and_headers() {
    let entry = scenario("openai_ok").await;
    let setup = Setup::new("openai_ok", &entry, "");
    set(
        &setup.options,
        "body",
        r#"{"model":"m","stream":true,"messages":[]}"#,
    );
    let headers = js_sys::Object::new();
    set(&headers, "content-type", "application/json");
    set(&headers, "x-streamguard-test", "1");
    set(&setup.options, "headers", headers);
    let result = stream(&setup.options).await;
    assert_outcome_and_text(&result, "complete", &entry);
    setup.check_invariants(&result, true).await;
}

/// The result has exactly the documented shape.
#[wasm_bindgen_test]
async fn result_shape() {
    let result = check_scenario("openai_ok", "").await;
    for key in [
        "outcome",
        "text",
        "thinking",
        "finishReason",
        "toolCalls",
        "usage",
        "error",
        "stats",
    ] {
        assert!(
            js_sys::Reflect::has(&result, &key.into()).unwrap(),
            "result.{key} missing: {}",
            json(&result)
        );
    }
    for key in [
        "headersMs",
        "ttfbMs",
        "ttftMs",
        "durationMs",
        "bytes",
        "events",
        "keepAlives",
        "deltas",
        "flushes",
        "maxByteGapMs",
        "maxContentGapMs",
        "buffered",
    ] {
        assert!(
            js_sys::Reflect::has(&get(&result, "stats"), &key.into()).unwrap(),
            "stats.{key} missing: {}",
            json(&result)
        );
    }
    assert!(get_f64(&result, "stats.bytes").unwrap() > 0.0);
    assert!(get_f64(&result, "stats.deltas").unwrap() >= 50.0);
    assert!(js_sys::Array::is_array(&get(&result, "toolCalls")));
}

/// `onEvent` receives the decoded non-text events (batched per read, parsed once per batch):
/// Anthropic's meta events, its ping as a keep-alive, usage and the finish reason; never a text
/// event (text goes to `onText`), and nothing after the result.
#[wasm_bindgen_test]
async fn on_event_receives_decoded_events() {
    let entry = scenario("anthropic_ok").await;
    let setup = Setup::new("anthropic_ok", &entry, "").with_events();
    let result = stream(&setup.options).await;
    assert_outcome_and_text(&result, "complete", &entry);
    let events = js_sys::Array::from(&get(&setup.recorder, "events"));
    let types: Vec<String> = events.iter().filter_map(|e| get_str(&e, "type")).collect();
    let ctx = json(&events.into());
    for want in ["meta", "keep_alive", "usage", "finish"] {
        assert!(types.iter().any(|t| t == want), "no {want} event: {ctx}");
    }
    assert!(!types.iter().any(|t| t == "text"), "a text event: {ctx}");
    let finish = js_sys::Array::from(&get(&setup.recorder, "events"))
        .iter()
        .find(|e| get_str(e, "type").as_deref() == Some("finish"))
        .unwrap();
    assert_eq!(get_str(&finish, "reason").as_deref(), Some("stop"), "{ctx}");
    setup.check_invariants(&result, true).await;
}
