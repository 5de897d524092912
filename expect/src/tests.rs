use serde_json::{json, Value};

use super::*;

fn ok_result() -> Value {
    json!({
        "outcome": "complete", "text": "Hello world", "finishReason": "stop",
        "rawFinishReason": "end_turn", "error": null,
        "stats": {"durationMs": 120, "deltas": 2, "events": 4, "buffered": false}
    })
}

fn stalled_result(elapsed: f64) -> Value {
    json!({
        "outcome": "stalled", "text": "Hello", "finishReason": null,
        "error": {"code": "stalled", "phase": "idle", "message": "no bytes for 500 ms",
                  "elapsedMs": elapsed, "retryable": true},
        "stats": {"durationMs": elapsed, "deltas": 1, "events": 1, "buffered": false}
    })
}

fn flushes(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// The mismatches of `result` against `expect` with `parts` flushed.
fn fails(expect: Value, result: &Value, parts: &[&str]) -> Vec<String> {
    check(&expect, result, &Observed::new(&flushes(parts)))
}

#[test]
fn a_matching_result_passes_every_check() {
    let expect = json!({
        "outcome": ["complete"], "phase": null, "finishReason": "stop", "text": "Hello world",
        "textLength": 11, "textPattern": null, "errorCode": null, "status": null,
        "maxDurationMs": 1000, "maxFlushes": 2, "deltas": 2, "events": 4, "buffered": false,
        "serverSeesClose": false
    });
    assert_eq!(
        fails(expect, &ok_result(), &["Hello ", "world"]),
        Vec::<String>::new()
    );
}

#[test]
fn each_expectation_reports_its_mismatch() {
    let r = ok_result();
    let one = |expect: Value| fails(expect, &r, &["Hello ", "world"]);
    let base = json!({"outcome": ["complete"], "finishReason": "stop", "text": "Hello world"});
    let with = |k: &str, v: Value| {
        let mut e = base.clone();
        e[k] = v;
        e
    };
    assert_eq!(
        one(with("outcome", json!(["stalled", "aborted"]))),
        ["outcome complete (want stalled or aborted)"]
    );
    assert_eq!(
        one(with("finishReason", Value::Null)),
        ["finishReason stop (want none)"]
    );
    assert_eq!(
        one(with("rawFinishReason", json!("STOP"))),
        ["rawFinishReason end_turn (want STOP)"]
    );
    assert!(one(with("rawFinishReason", json!("end_turn"))).is_empty());
    assert!(
        one(with("rawFinishReason", Value::Null)).is_empty(),
        "null asserts nothing"
    );
    assert_eq!(
        one(with("text", json!("Hello there"))),
        [r#"text differs at byte 6 (want 11 bytes, got 11): want "there" got "world""#]
    );
    assert_eq!(
        one(with("maxFlushes", json!(1))),
        ["2 flushes (want at most 1)"]
    );
    assert_eq!(
        one(with("maxDurationMs", json!(100))),
        ["took 120 ms (want at most 100)"]
    );
    assert_eq!(one(with("deltas", json!(3))), ["stats.deltas 2 (want 3)"]);
    assert_eq!(one(with("events", json!(5))), ["stats.events 4 (want 5)"]);
    assert_eq!(
        one(with("buffered", json!(true))),
        ["stats.buffered false (want true)"]
    );
    assert_eq!(
        one(with("errorCode", json!("stalled"))),
        ["error.code none (want stalled)"]
    );
    assert_eq!(
        one(with("status", json!(429))),
        ["error.status none (want 429)"]
    );
    // Null and missing expectations assert nothing (but finishReason's null means none).
    assert!(one(with("status", Value::Null)).is_empty());
}

#[test]
fn errors_are_checked_field_by_field() {
    let r = json!({
        "outcome": "http_error", "text": "", "finishReason": null,
        "error": {"code": "http_error", "status": 429, "retryAfterMs": 7000.0, "retryable": true,
                  "provider": "openai", "type": "rate_limit", "message": "Rate limit reached",
                  "eventIndex": 2},
        "stats": {"durationMs": 5}
    });
    let expect = json!({
        "outcome": ["http_error"], "errorCode": "http_error", "status": 429,
        "retryAfterMs": 7000, "retryable": true, "provider": "openai", "type": "rate_limit",
        "messageContains": "Rate limit", "eventIndex": 2, "text": ""
    });
    assert!(fails(expect.clone(), &r, &[]).is_empty());
    let mut wrong = expect;
    wrong["status"] = json!(500);
    wrong["retryable"] = json!(false);
    wrong["provider"] = json!("anthropic");
    wrong["messageContains"] = json!("Overloaded");
    wrong["eventIndex"] = json!(3);
    assert_eq!(
        fails(wrong, &r, &[]),
        [
            "error.status 429 (want 500)",
            "error.retryable true (want false)",
            "error.provider openai (want anthropic)",
            "error.eventIndex 2 (want 3)",
            r#"error.message "Rate limit reached" lacks "Overloaded""#,
        ]
    );
}

#[test]
fn the_error_is_null_exactly_when_complete() {
    let mut r = ok_result();
    r["error"] = json!({"code": "aborted"});
    let f = fails(
        json!({"outcome": ["complete"], "finishReason": "stop", "text": "Hello world"}),
        &r,
        &["Hello world"],
    );
    assert_eq!(
        f,
        ["error is set for outcome complete (null exactly when complete)"]
    );
    let mut r = stalled_result(540.0);
    r["error"] = Value::Null;
    let f = fails(
        json!({"outcome": ["stalled"], "text": "Hello"}),
        &r,
        &["Hello"],
    );
    assert_eq!(
        f,
        ["error is null for outcome stalled (null exactly when complete)"]
    );
}

#[test]
fn timers_fire_within_the_hosts_window() {
    let expect = json!({"outcome": ["stalled"], "phase": "idle", "fireMs": 540, "text": "Hello"});
    let at = |ms: f64, window: FireWindow| {
        let parts = flushes(&["Hello"]);
        let observed = Observed {
            fire_window: window,
            ..Observed::new(&parts)
        };
        check(&expect, &stalled_result(ms), &observed)
    };
    assert!(at(540.0, FireWindow::ON_TIME).is_empty());
    assert!(at(590.0, FireWindow::ON_TIME).is_empty());
    assert_eq!(
        at(591.0, FireWindow::ON_TIME),
        ["fired at 591 ms (want 540 ms, within -0/+50)"]
    );
    assert_eq!(at(539.0, FireWindow::ON_TIME).len(), 1, "never early");
    let native = FireWindow {
        early_ms: 40,
        late_ms: 200,
    };
    assert!(at(500.0, native).is_empty());
    assert!(at(740.0, native).is_empty());
    assert_eq!(at(499.0, native).len(), 1);
    let mut wrong_phase = expect.clone();
    wrong_phase["phase"] = json!("total");
    let parts = flushes(&["Hello"]);
    assert_eq!(
        check(&wrong_phase, &stalled_result(540.0), &Observed::new(&parts)),
        ["phase idle (want total)"]
    );
}

#[test]
fn big_texts_are_checked_by_length_and_pattern() {
    let unit = "0123456789abcdef";
    let text = unit.repeat(5000);
    let expect = json!({
        "outcome": ["complete"], "finishReason": "stop", "text": null,
        "textLength": text.len(), "textPattern": {"unit": unit, "bytes": text.len()}
    });
    let result = |t: &str| {
        let mut r = ok_result();
        r["text"] = json!(t);
        r
    };
    let check_text = |t: &str| fails(expect.clone(), &result(t), &[t]);
    assert!(check_text(&text).is_empty());
    let mut broken = text.clone();
    broken.replace_range(70_000..70_001, "x");
    assert_eq!(
        check_text(&broken),
        [r#"text is not "0123456789abcdef" repeated: differs at byte 70000"#]
    );
    assert_eq!(
        check_text(&text[..text.len() - 1]),
        ["text length 79999 (want 80000)"]
    );
}

#[test]
fn host_observations_are_checked() {
    let expect = json!({"outcome": ["complete"], "finishReason": "stop", "text": "Hello world"});
    assert_eq!(
        fails(expect.clone(), &ok_result(), &["Hello "]),
        ["the flushes concatenate to 6 bytes, the result's text has 11"]
    );
    let parts = flushes(&["Hello world"]);
    let late = Observed {
        after_result: 2,
        ..Observed::new(&parts)
    };
    assert_eq!(
        check(&expect, &ok_result(), &late),
        ["2 outputs after the result"]
    );
    let mut r = ok_result();
    r["text"] = json!("Hello \u{FFFD}orld");
    let any = json!({"outcome": ["complete"], "finishReason": "stop", "textLength": 13});
    assert_eq!(
        fails(any, &r, &["Hello \u{FFFD}orld"]),
        ["U+FFFD in the text (a code point was split or replaced)"]
    );
}

#[test]
fn malformed_documents_are_mismatches_not_panics() {
    for result in [
        json!(null),
        json!([]),
        json!({"outcome": 3, "text": 4, "error": "x"}),
    ] {
        let f = fails(
            json!({"outcome": ["complete"], "fireMs": 5, "maxDurationMs": 1}),
            &result,
            &[],
        );
        assert!(!f.is_empty(), "{result}");
    }
    let f = fails(json!("not an object"), &ok_result(), &["Hello world"]);
    assert_eq!(
        f,
        ["outcome complete (want )", "finishReason stop (want none)"]
    );
}
