//! Browser tests: SSE resume. `sse_resume` (raw SSE over GET, `id:` on every event, `retry:
//! 100`; the first connection is reset after event 3, a request with `Last-Event-ID: 3` gets
//! events 4..6) through `stream()` with `retry: { resume: true }`: one result at the very end
//! with all six events, `onText` deltas that concatenate to it (nothing lost or repeated), and,
//! asked of the harness registry, a second request that carried `Last-Event-ID: 3` no earlier
//! than the `retry:` value after the first connection was reset. Without `resume` the same
//! scenario ends `network_error` with the first three events' text.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

#[path = "web_support/mod.rs"]
mod support;
use support::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The `retry` option of the scenario's `[client]` block (`resume`, `maxAttempts`).
fn retry_of(entry: &wasm_bindgen::JsValue) -> Object {
    let retry = Object::new();
    set(
        &retry,
        "resume",
        get(entry, "client.resume").as_bool().unwrap_or(false),
    );
    set(
        &retry,
        "maxAttempts",
        get_f64(entry, "client.maxAttempts").unwrap_or(1.0),
    );
    retry
}

#[wasm_bindgen_test]
async fn sse_resume_reconnects_with_last_event_id_and_keeps_every_event_once() {
    let entry = scenario("sse_resume").await;
    assert_eq!(get(&entry, "client.resume").as_bool(), Some(true));
    let setup = Setup::new("sse_resume", &entry, "");
    set(&setup.options, "retry", retry_of(&entry));
    let result = stream(&setup.options).await;
    let ctx = format!("sse_resume: result {}", json(&result));
    check_expect(&entry, &result, &setup, &ctx).await;
    assert_eq!(
        get_str(&result, "outcome").as_deref(),
        Some("complete"),
        "{ctx}"
    );
    assert!(get(&result, "finishReason").is_null(), "{ctx}");
    assert_eq!(
        get_str(&result, "text").as_deref(),
        Some("Resumed from the last event ID"),
        "{ctx}"
    );
    assert_eq!(
        get_f64(&result, "stats.deltas"),
        get_f64(&entry, "expect.deltas"),
        "{ctx}"
    );
    assert_eq!(
        get_f64(&result, "stats.events"),
        get_f64(&entry, "expect.events"),
        "{ctx}"
    );
    // Every delta once: the onText deltas concatenate to result.text (and nothing after it).
    setup.check_invariants(&result, true).await;

    // The harness saw two requests with this id: the first reset, the second with the ID.
    let record = request_record(&setup.id).await;
    let want_id = get_str(&entry, "expect.reconnectLastEventId").unwrap();
    assert_eq!(
        get_str(&record, "lastEventId"),
        Some(want_id),
        "{}",
        json(&record)
    );
    let earlier = Array::from(&get(&record, "earlier"));
    assert_eq!(earlier.length(), 1, "{}", json(&record));
    assert_eq!(
        get_str(&earlier.get(0), "serverEnd").as_deref(),
        Some("reset"),
        "{}",
        json(&record)
    );
    assert!(get(&earlier.get(0), "lastEventId").is_null());
    let gap = get_f64(&record, "gapAfterPreviousMs").expect("a gap");
    let min = get_f64(&entry, "expect.reconnectMinGapMs").unwrap();
    assert!(
        gap >= min,
        "reconnected {gap} ms after the reset, before the retry: value {min} ms"
    );
}

#[wasm_bindgen_test]
async fn sse_resume_without_resume_ends_network_error_with_the_first_events() {
    let entry = scenario("sse_resume").await;
    let setup = Setup::new("sse_resume", &entry, "");
    let result = stream(&setup.options).await;
    let ctx = json(&result);
    assert_eq!(
        get_str(&result, "outcome").as_deref(),
        Some("network_error"),
        "{ctx}"
    );
    assert_eq!(
        get_str(&result, "text").as_deref(),
        Some("Resumed from the"),
        "{ctx}"
    );
    setup.check_invariants(&result, true).await;
    let record = request_record(&setup.id).await;
    assert!(get(&record, "lastEventId").is_null(), "{}", json(&record));
    assert_eq!(Array::from(&get(&record, "earlier")).length(), 0);
}

/// `resume` is for raw SSE over GET: with another protocol or a body it is a TypeError naming
/// `retry`; a non-boolean `resume` too.
#[wasm_bindgen_test]
async fn resume_needs_raw_sse_over_get() {
    let url = scenario_url("sse_resume", &request_id("resume-invalid"), "");
    let cases: [(&str, Option<&str>, wasm_bindgen::JsValue); 3] = [
        ("openai", None, true.into()),
        ("sse", Some("{}"), true.into()),
        ("sse", None, "yes".into()),
    ];
    for (protocol, body, resume) in cases {
        let o = options(&url, protocol);
        if let Some(b) = body {
            set(&o, "body", b);
        }
        let retry = Object::new();
        set(&retry, "resume", resume);
        set(&o, "retry", retry);
        let err = streamguard::web::api::stream(o.into())
            .await
            .expect_err("resume accepted where it cannot work");
        assert!(err.is_instance_of::<js_sys::TypeError>());
        let msg = get_str(&err, "message").unwrap();
        assert!(msg.contains("`retry`"), "{msg}");
    }
}
