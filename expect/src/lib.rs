//! The FAULTS.md test timer values and the check of a stream's result against a harness
//! scenario's expectations, written once for every host that runs the scenarios: the
//! harness's `run` (native client) and the browser tests (`tests/web_support`).
//!
//! [`check`] compares two JSON documents, so it needs neither the harness nor the core:
//!
//! - the scenario's `expect` object, as `GET /_harness/scenarios` lists it (`outcome` is an
//!   array of accepted outcomes; a missing or `null` key asserts nothing, except
//!   `finishReason`, whose `null` means "none was sent"; `rawFinishReason` is checked only
//!   when given);
//! - the result, in the JS API's shape (`StreamResult::to_json`, `JSON.stringify(result)`):
//!   `outcome`, `text`, `finishReason`, `error` (`code`, `phase`, `status`, ...), `stats`;
//!
//! plus what only the host saw ([`Observed`]: the text flushes, callbacks after the result,
//! how much timer lateness it tolerates). It returns every mismatch as a sentence; empty means
//! the result is correct. Checks that need the harness itself (the server saw the close, the
//! reconnect's `Last-Event-ID`) stay with the hosts, which can ask it.
//!
//! ```
//! use serde_json::json;
//! use streamguard_expect::{check, Observed};
//!
//! let expect = json!({"outcome": ["complete"], "finishReason": "stop", "text": "Hi"});
//! let result = json!({"outcome": "complete", "text": "Hi", "finishReason": "stop",
//!                     "error": null, "stats": {"durationMs": 12}});
//! let flushes = ["H".to_owned(), "i".to_owned()];
//! assert!(check(&expect, &result, &Observed::new(&flushes)).is_empty());
//!
//! let cut = json!({"outcome": "truncated", "text": "H", "finishReason": null,
//!                  "error": {"code": "truncated"}, "stats": {"durationMs": 12}});
//! let fails = check(&expect, &cut, &Observed::new(&flushes[..1]));
//! assert_eq!(fails[0], "outcome truncated (want complete)");
//! ```
#![forbid(unsafe_code)]

use serde_json::Value;

/// The FAULTS.md test value of the first-byte timer, ms.
pub const FIRST_BYTE_MS: u64 = 1000;
/// The FAULTS.md test value of the idle timer, ms.
pub const IDLE_MS: u64 = 500;
/// The FAULTS.md test value of the content timer, ms.
pub const CONTENT_MS: u64 = 1500;
/// The FAULTS.md test value of the total timer, ms.
pub const TOTAL_MS: u64 = 5000;
/// "A timer counts as on time when it fires within [T, T+50 ms] in a visible page."
pub const ON_TIME_SLACK_MS: u64 = 50;

/// How far from the expected `fireMs` a timer may fire: within
/// `[fireMs - early_ms, fireMs + late_ms]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FireWindow {
    pub early_ms: u64,
    pub late_ms: u64,
}

impl FireWindow {
    /// FAULTS.md's "on time": `[T, T + ON_TIME_SLACK_MS]`.
    pub const ON_TIME: FireWindow = FireWindow {
        early_ms: 0,
        late_ms: ON_TIME_SLACK_MS,
    };
}

/// What the host saw besides the result.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// The text flushes (`onText` deltas, `Output::Text`), in order: they must concatenate to
    /// the result's text, and `maxFlushes` bounds their number.
    pub flushes: &'a [String],
    /// Callbacks or outputs after the result (must be 0).
    pub after_result: u64,
    /// The timer lateness tolerated around `fireMs`.
    pub fire_window: FireWindow,
}

impl<'a> Observed<'a> {
    /// `flushes`, nothing after the result, and FAULTS.md's on-time window.
    pub fn new(flushes: &'a [String]) -> Observed<'a> {
        Observed {
            flushes,
            after_result: 0,
            fire_window: FireWindow::ON_TIME,
        }
    }
}

/// `s` quoted, cut to `n` characters (with `…`).
fn short(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    format!("{out:?}")
}

/// Where two texts first differ.
fn text_diff(want: &str, got: &str) -> String {
    let at = want
        .char_indices()
        .zip(got.chars())
        .find(|((_, a), b)| a != b)
        .map(|((i, _), _)| i)
        .unwrap_or(want.len().min(got.len()));
    let at = (0..=at)
        .rev()
        .find(|i| want.is_char_boundary(*i) && got.is_char_boundary(*i))
        .unwrap_or(0);
    format!(
        "text differs at byte {at} (want {} bytes, got {}): want {} got {}",
        want.len(),
        got.len(),
        short(want.get(at..).unwrap_or(""), 40),
        short(got.get(at..).unwrap_or(""), 40)
    )
}

/// A JSON value for messages: strings unquoted, absent as `none`.
fn show(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "none".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The expectation `key`, if given (not missing, not `null`).
fn given<'v>(expect: &'v Value, key: &str) -> Option<&'v Value> {
    expect.get(key).filter(|v| !v.is_null())
}

/// Whether two JSON values are equal, numbers compared by value (`7` and `7.0` agree: a
/// browser's result went through JS numbers).
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        (None | Some(Value::Null), None | Some(Value::Null)) => true,
        (a, b) => a == b,
    }
}

/// Checks `result` (and what the host `observed`) against a scenario's `expect` object.
/// Returns every mismatch, one sentence each; empty when the result is what the scenario
/// expects.
pub fn check(expect: &Value, result: &Value, observed: &Observed) -> Vec<String> {
    let mut fails = Vec::new();
    let outcome = result
        .get("outcome")
        .and_then(Value::as_str)
        .unwrap_or("none");
    let error = result.get("error").filter(|e| !e.is_null());
    let err = |key: &str| error.and_then(|e| e.get(key));
    let stat = |key: &str| result.get("stats").and_then(|s| s.get(key));

    let accepted: Vec<&str> = match expect.get("outcome") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(one)) => vec![one.as_str()],
        _ => Vec::new(),
    };
    if !accepted.contains(&outcome) {
        fails.push(format!(
            "outcome {outcome} (want {})",
            accepted.join(" or ")
        ));
    }
    if error.is_none() != (outcome == "complete") {
        fails.push(format!(
            "error is {} for outcome {outcome} (null exactly when complete)",
            if error.is_none() { "null" } else { "set" }
        ));
    }

    // error.code and error.phase: the code of the error, or `none`.
    for (key, path) in [("errorCode", "code"), ("phase", "phase")] {
        if let Some(want) = given(expect, key) {
            let got = err(path);
            if !same(got, Some(want)) {
                let name = if path == "code" {
                    "error.code"
                } else {
                    "phase"
                };
                fails.push(format!("{name} {} (want {})", show(got), show(Some(want))));
            }
        }
    }
    // Absent in the listing means the provider sent none.
    let finish = result.get("finishReason");
    let want_finish = expect.get("finishReason");
    if !same(finish, want_finish) {
        fails.push(format!(
            "finishReason {} (want {})",
            show(finish),
            show(want_finish)
        ));
    }

    // The provider's own finish reason, when the scenario names one.
    if let Some(want) = given(expect, "rawFinishReason") {
        let got = result.get("rawFinishReason");
        if !same(got, Some(want)) {
            fails.push(format!(
                "rawFinishReason {} (want {})",
                show(got),
                show(Some(want))
            ));
        }
    }

    check_text(expect, result, observed, &mut fails);

    for (key, path) in [
        ("status", "status"),
        ("retryAfterMs", "retryAfterMs"),
        ("retryable", "retryable"),
        ("provider", "provider"),
        ("type", "type"),
        ("eventIndex", "eventIndex"),
    ] {
        if let Some(want) = given(expect, key) {
            let got = err(path);
            if !same(got, Some(want)) {
                fails.push(format!(
                    "error.{path} {} (want {})",
                    show(got),
                    show(Some(want))
                ));
            }
        }
    }
    if let Some(part) = given(expect, "messageContains").and_then(Value::as_str) {
        let got = err("message").and_then(Value::as_str).unwrap_or("");
        if !got.contains(part) {
            fails.push(format!(
                "error.message {} lacks {}",
                short(got, 80),
                short(part, 40)
            ));
        }
    }

    let duration = stat("durationMs").and_then(Value::as_f64);
    if let Some(t) = given(expect, "fireMs").and_then(Value::as_f64) {
        let w = observed.fire_window;
        match err("elapsedMs").and_then(Value::as_f64).or(duration) {
            Some(at) if at + w.early_ms as f64 >= t && at <= t + w.late_ms as f64 => {}
            Some(at) => fails.push(format!(
                "fired at {at} ms (want {t} ms, within -{}/+{})",
                w.early_ms, w.late_ms
            )),
            None => fails.push("no error.elapsedMs or stats.durationMs".to_owned()),
        }
    }
    if let Some(max) = given(expect, "maxDurationMs").and_then(Value::as_f64) {
        match duration {
            Some(d) if d <= max => {}
            d => fails.push(format!("took {} ms (want at most {max})", show_f64(d))),
        }
    }
    if let Some(max) = given(expect, "maxFlushes").and_then(Value::as_u64) {
        let n = observed.flushes.len() as u64;
        if n > max {
            fails.push(format!("{n} flushes (want at most {max})"));
        }
    }
    for key in ["deltas", "events", "buffered"] {
        if let Some(want) = given(expect, key) {
            let got = stat(key);
            if !same(got, Some(want)) {
                fails.push(format!(
                    "stats.{key} {} (want {})",
                    show(got),
                    show(Some(want))
                ));
            }
        }
    }
    if observed.after_result > 0 {
        fails.push(format!(
            "{} outputs after the result",
            observed.after_result
        ));
    }
    fails
}

fn show_f64(v: Option<f64>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

/// The text: exact when `text` is given; else its length and its `textPattern` (a unit
/// repeated, for texts too big to list); never a U+FFFD the scenario did not send; and the
/// flushes concatenate to it.
fn check_text(expect: &Value, result: &Value, observed: &Observed, fails: &mut Vec<String>) {
    let Some(text) = result.get("text").and_then(Value::as_str) else {
        fails.push("the result has no text".to_owned());
        return;
    };
    let want = given(expect, "text").and_then(Value::as_str);
    match want {
        Some(want) if text != want => fails.push(text_diff(want, text)),
        Some(_) => {}
        None => {
            if let Some(len) = given(expect, "textLength").and_then(Value::as_u64) {
                if text.len() as u64 != len {
                    fails.push(format!("text length {} (want {len})", text.len()));
                }
            }
            let unit = expect
                .get("textPattern")
                .and_then(|p| p.get("unit"))
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty());
            if let Some(unit) = unit {
                let bad = text
                    .as_bytes()
                    .chunks(unit.len())
                    .position(|c| !unit.as_bytes().starts_with(c));
                if let Some(i) = bad {
                    fails.push(format!(
                        "text is not {} repeated: differs at byte {}",
                        short(unit, 40),
                        i * unit.len()
                    ));
                }
            }
        }
    }
    if text.contains('\u{FFFD}') && !want.is_some_and(|w| w.contains('\u{FFFD}')) {
        fails.push("U+FFFD in the text (a code point was split or replaced)".to_owned());
    }
    let flushed = observed.flushes.concat();
    if flushed != text {
        fails.push(format!(
            "the flushes concatenate to {} bytes, the result's text has {}",
            flushed.len(),
            text.len()
        ));
    }
}

#[cfg(test)]
mod tests;
