//! Browser tests: endings the caller causes. The caller's AbortSignal (mid-stream and already
//! aborted), `handle.abort()`, leaving a `for await` early, freeing the JS handle, dropping
//! the Rust handle: each ends `aborted` with the text so far, runs no callback afterwards,
//! and closes the connection (asked of the harness). Invalid options reject with a TypeError
//! naming the option. Retries happen before content only.
#![cfg(target_arch = "wasm32")]

use futures::StreamExt;
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

#[path = "web_support/mod.rs"]
mod support;
use support::*;

wasm_bindgen_test_configure!(run_in_browser);

/// FAULTS.md user_abort: the caller aborts after 3 events.
#[wasm_bindgen_test]
async fn user_abort() {
    let result = check_scenario("user_abort", "").await;
    assert_eq!(get_str(&result, "error.code").as_deref(), Some("aborted"));
}

/// An already-aborted signal ends the stream at once: `aborted`, no request sent.
#[wasm_bindgen_test]
async fn already_aborted_signal() {
    let entry = scenario("openai_ok").await;
    let setup = Setup::new("openai_ok", &entry, "");
    setup.controller.abort();
    let result = stream(&setup.options).await;
    assert_outcome(&result, "aborted");
    assert_eq!(get_str(&result, "text").as_deref(), Some(""));
    assert_eq!(get_str(&result, "error.code").as_deref(), Some("aborted"));
    assert!(
        get_f64(&result, "stats.durationMs").unwrap() < 100.0,
        "{}",
        json(&result)
    );
    assert_eq!(get_f64(&result, "stats.bytes"), Some(0.0));
    setup.check_invariants(&result, true).await;
    // The harness never saw the request.
    let status = get_status(&format!("{}/_harness/requests/{}", harness(), setup.id)).await;
    assert_eq!(
        status, 404,
        "an already-aborted signal still sent a request"
    );
}

/// `handle.abort()` mid-stream: aborted, the text so far kept, the connection closed.
#[wasm_bindgen_test]
async fn handle_abort_mid_stream() {
    let entry = scenario("slow_healthy").await;
    let setup = Setup::new("slow_healthy", &entry, "");
    let handle = streamguard::web::api::open(setup.options.clone().into()).expect("open");
    // The first batch of text, through the async iterator protocol.
    let first = await_promise(call_method(&handle, "next")).await.unwrap();
    assert_eq!(get(&first, "done").as_bool(), Some(false));
    let first = get_str(&first, "value").unwrap();
    assert!(!first.is_empty());
    call_method(&handle, "abort");
    let result = await_promise(get(&handle, "result")).await.unwrap();
    assert_outcome(&result, "aborted");
    let text = get_str(&result, "text").unwrap();
    assert!(
        text.starts_with(&first),
        "{text:?} does not start with {first:?}"
    );
    // The iterator ends after the final flush.
    let mut rest = first.clone();
    loop {
        let next = await_promise(call_method(&handle, "next")).await.unwrap();
        if get(&next, "done").as_bool() == Some(true) {
            break;
        }
        rest.push_str(&get_str(&next, "value").unwrap());
    }
    assert_eq!(rest, text);
    assert_closed(&setup.id, "handle.abort()").await;
    setup.check_invariants(&result, true).await;
    call_method(&handle, "free");
}

/// `handle[Symbol.asyncIterator]()` is the handle, and `return()` (what `for await` calls on
/// `break`) aborts.
#[wasm_bindgen_test]
async fn async_iterator_return_aborts() {
    let entry = scenario("slow_healthy").await;
    let setup = Setup::new("slow_healthy", &entry, "");
    let handle = streamguard::web::api::open(setup.options.clone().into()).expect("open");
    let iter_fn: js_sys::Function = Reflect::get(&handle, &js_sys::Symbol::async_iterator())
        .unwrap()
        .dyn_into()
        .expect("StreamHandle has no [Symbol.asyncIterator]");
    let iter = iter_fn.call0(&handle).unwrap();
    assert!(js_sys::Object::is(&iter, &handle));
    let first = await_promise(call_method(&iter, "next")).await.unwrap();
    assert_eq!(get(&first, "done").as_bool(), Some(false));
    let ret = await_promise(call_method(&iter, "return")).await.unwrap();
    assert_eq!(get(&ret, "done").as_bool(), Some(true));
    let result = await_promise(get(&handle, "result")).await.unwrap();
    assert_outcome(&result, "aborted");
    assert_closed(&setup.id, "for-await break").await;
    setup.check_invariants(&result, true).await;
}

/// Freeing the JS handle (`handle.free()`) mid-stream aborts the request; the result
/// promise still resolves (aborted) and no callback runs afterwards.
#[wasm_bindgen_test]
async fn freed_js_handle_aborts() {
    let entry = scenario("slow_healthy").await;
    let setup = Setup::new("slow_healthy", &entry, "");
    let handle = streamguard::web::api::open(setup.options.clone().into()).expect("open");
    let result = get(&handle, "result");
    let first = await_promise(call_method(&handle, "next")).await.unwrap();
    assert_eq!(get(&first, "done").as_bool(), Some(false));
    call_method(&handle, "free");
    let result = await_promise(result).await.unwrap();
    assert_outcome(&result, "aborted");
    assert_closed(&setup.id, "handle.free()").await;
    setup.check_invariants(&result, true).await;
}

/// Dropping the Rust handle mid-stream aborts the request (the harness sees the close).
#[wasm_bindgen_test]
async fn dropped_rust_handle_aborts() {
    let entry = scenario("slow_healthy").await;
    let id = request_id("rust-drop");
    let mut options = streamguard::web::Options::new(scenario_url("slow_healthy", &id, ""));
    options.config.protocol = streamguard::Protocol::OpenAi;
    let _ = entry;
    let mut handle = streamguard::web::open(options).expect("open");
    let first = handle.next().await.expect("a first batch");
    assert!(!first.is_empty());
    drop(handle);
    assert_closed(&id, "dropped Rust handle").await;
}

/// The Rust API end to end: the batches concatenate to the outcome's text.
#[wasm_bindgen_test]
async fn rust_stream_api_complete() {
    let entry = scenario("openai_ok").await;
    let id = request_id("rust-ok");
    let mut options = streamguard::web::Options::new(scenario_url("openai_ok", &id, ""));
    options.config.protocol = streamguard::Protocol::OpenAi;
    options.config.idle_timeout_ms = IDLE_MS as u64;
    let mut handle = streamguard::web::open(options).expect("open");
    let mut shown = String::new();
    while let Some(batch) = handle.next().await {
        shown.push_str(&batch);
    }
    let outcome = handle.result().await;
    assert_eq!(
        outcome.outcome,
        streamguard::Outcome::Complete,
        "{}",
        outcome.to_json()
    );
    assert_eq!(outcome.text, shown);
    assert_eq!(Some(outcome.text), get_str(&entry, "expect.text"));
}

/// An invalid URL is an `InvalidOption` for the Rust API.
#[wasm_bindgen_test]
fn rust_invalid_url() {
    let err = streamguard::web::open(streamguard::web::Options::new("http://[::1")).unwrap_err();
    assert_eq!(err.option, "url");
}

/// Invalid options: `stream()` rejects and `open()` throws a TypeError naming the option.
#[wasm_bindgen_test]
async fn invalid_options_reject_with_type_error() {
    let url = scenario_url("openai_ok", &request_id("invalid"), "");
    type Mutate = Box<dyn Fn(&Object)>;
    let cases: Vec<(&str, Mutate)> = vec![
        (
            "url",
            Box::new(|o: &Object| {
                Reflect::delete_property(o, &"url".into()).unwrap();
            }),
        ),
        (
            "protocol",
            Box::new(|o: &Object| set(o, "protocol", "gopher")),
        ),
        (
            "onText",
            Box::new(|o: &Object| set(o, "onText", "not a function")),
        ),
        ("onEvent", Box::new(|o: &Object| set(o, "onEvent", 42.0))),
        (
            "idleTimeoutMs",
            Box::new(|o: &Object| set(o, "idleTimeoutMs", -1.0)),
        ),
        (
            "firstByteTimeoutMs",
            Box::new(|o: &Object| set(o, "firstByteTimeoutMs", f64::NAN)),
        ),
        (
            "totalTimeoutMs",
            Box::new(|o: &Object| set(o, "totalTimeoutMs", "5000")),
        ),
        ("flush", Box::new(|o: &Object| set(o, "flush", "sometimes"))),
        (
            "flush",
            Box::new(|o: &Object| {
                let f = Object::new();
                set(&f, "smooth", "sentence");
                set(o, "flush", f);
            }),
        ),
        ("signal", Box::new(|o: &Object| set(o, "signal", "abort"))),
        (
            "retry",
            Box::new(|o: &Object| {
                let r = Object::new();
                set(&r, "maxAttempts", 0.0);
                set(o, "retry", r);
            }),
        ),
        ("body", Box::new(|o: &Object| set(o, "body", 12.0))),
        (
            "credentials",
            Box::new(|o: &Object| set(o, "credentials", "always")),
        ),
        ("headers", Box::new(|o: &Object| set(o, "headers", "x: y"))),
        (
            "method",
            Box::new(|o: &Object| set(o, "method", "NOT A METHOD")),
        ),
        (
            "idleTimout",
            Box::new(|o: &Object| set(o, "idleTimout", 5.0)),
        ),
    ];
    for (option, mutate) in cases {
        let o = options(&url, "openai");
        mutate(&o);
        let err = match streamguard::web::api::stream(o.clone().into()).await {
            Ok(v) => panic!("stream() resolved for a bad `{option}`: {}", json(&v)),
            Err(e) => e,
        };
        assert!(
            err.is_instance_of::<js_sys::TypeError>(),
            "`{option}`: not a TypeError: {err:?}"
        );
        let msg = get_str(&err, "message").unwrap();
        assert!(
            msg.starts_with("streamguard: invalid option `")
                && msg.contains(&format!("`{option}`")),
            "`{option}`: message {msg:?}"
        );
        let thrown =
            streamguard::web::api::open(o.into()).expect_err("open() accepted bad options");
        assert!(thrown.is_instance_of::<js_sys::TypeError>());
        assert_eq!(get_str(&thrown, "message").unwrap(), msg);
    }
    // Not an object at all.
    let err = streamguard::web::api::stream(JsValue::from_str("http://x"))
        .await
        .unwrap_err();
    assert!(err.is_instance_of::<js_sys::TypeError>());
}

/// Retries: a network error before any byte is retried per the policy, after a backoff; the
/// result is the last attempt's (its duration is short, the call's wall time is not).
#[wasm_bindgen_test]
async fn retry_before_content() {
    let entry = scenario("refused").await;
    let setup = Setup::new("refused", &entry, "");
    let retry = Object::new();
    set(&retry, "maxAttempts", 3.0);
    set(&retry, "baseDelayMs", 200.0);
    set(&retry, "maxDelayMs", 200.0);
    set(&setup.options, "retry", retry);
    let start = js_sys::Date::now();
    let result = stream(&setup.options).await;
    let wall = js_sys::Date::now() - start;
    assert_outcome(&result, "network_error");
    let last = get_f64(&result, "stats.durationMs").unwrap();
    // Two backoffs of 100..=200 ms (equal jitter) between three attempts.
    assert!(
        wall >= last + 200.0,
        "wall {wall} ms, last attempt {last} ms: no retries?"
    );
    // The harness saw a request with this id (the last attempt's record replaced the others).
    let record = request_record(&setup.id).await;
    assert_eq!(
        get_str(&record, "scenario").as_deref(),
        Some("refused"),
        "{}",
        json(&record)
    );
    setup.check_invariants(&result, true).await;
}

/// Retries honour the server's Retry-After only up to `maxRetryAfterMs`: status_429 says 7 s,
/// the policy allows 1 s, so there is no retry and the result comes at once.
#[wasm_bindgen_test]
async fn retry_after_longer_than_allowed_is_not_retried() {
    let entry = scenario("status_429").await;
    let setup = Setup::new("status_429", &entry, "");
    let retry = Object::new();
    set(&retry, "maxAttempts", 3.0);
    set(&retry, "maxRetryAfterMs", 1000.0);
    set(&setup.options, "retry", retry);
    let start = js_sys::Date::now();
    let result = stream(&setup.options).await;
    let wall = js_sys::Date::now() - start;
    check_expect(&entry, &result, &setup, &json(&result)).await;
    assert!(
        wall < 1000.0,
        "waited {wall} ms for a Retry-After it must not honour"
    );
    setup.check_invariants(&result, true).await;
}

/// Never a retry after content: reset_mid (5 deltas, then a reset) is not retried.
#[wasm_bindgen_test]
async fn no_retry_after_content() {
    let entry = scenario("reset_mid").await;
    let setup = Setup::new("reset_mid", &entry, "");
    let retry = Object::new();
    set(&retry, "maxAttempts", 3.0);
    set(&retry, "baseDelayMs", 300.0);
    set(&retry, "maxDelayMs", 300.0);
    set(&setup.options, "retry", retry);
    let start = js_sys::Date::now();
    let result = stream(&setup.options).await;
    let wall = js_sys::Date::now() - start;
    check_expect(&entry, &result, &setup, &json(&result)).await;
    let last = get_f64(&result, "stats.durationMs").unwrap();
    assert!(
        wall < last + 150.0,
        "wall {wall} ms vs {last} ms: retried after content"
    );
    setup.check_invariants(&result, true).await;
}

/// `[Symbol.dispose]()` (what `using` calls) and `[Symbol.asyncDispose]()` (`await using`) on a
/// running handle abort it: `aborted` with the text so far, the connection closed; the async
/// one resolves once the stream ended.
#[wasm_bindgen_test]
async fn dispose_aborts_a_running_handle() {
    for asynchronous in [false, true] {
        let what = if asynchronous {
            "[Symbol.asyncDispose]"
        } else {
            "[Symbol.dispose]"
        };
        let entry = scenario("slow_healthy").await;
        let setup = Setup::new("slow_healthy", &entry, "");
        let handle = streamguard::web::api::open(setup.options.clone().into()).expect("open");
        let first = await_promise(call_method(&handle, "next")).await.unwrap();
        assert_eq!(get(&first, "done").as_bool(), Some(false), "{what}");
        let dispose: js_sys::Function = Reflect::get(&handle, &dispose_symbol(asynchronous))
            .unwrap()
            .dyn_into()
            .unwrap_or_else(|_| panic!("StreamHandle has no {what}"));
        let ret = dispose.call0(&handle).unwrap();
        if asynchronous {
            await_promise(ret).await.unwrap();
            // Resolved after the end: the iterator is done at once.
            let next = await_promise(call_method(&handle, "next")).await.unwrap();
            assert_eq!(get(&next, "done").as_bool(), Some(true), "{what}");
        } else {
            assert!(ret.is_undefined(), "{what}");
        }
        let result = await_promise(get(&handle, "result")).await.unwrap();
        assert_outcome(&result, "aborted");
        let text = get_str(&result, "text").unwrap();
        assert!(
            text.starts_with(&get_str(&first, "value").unwrap()),
            "{what}"
        );
        assert_closed(&setup.id, what).await;
        setup.check_invariants(&result, true).await;
    }
}

/// Every invalid option's TypeError, with its exact message, from `stream()` (rejects) and
/// `open()` (throws). Messages that quote the browser's own error are checked up to it.
#[wasm_bindgen_test]
async fn invalid_option_messages() {
    let url = scenario_url("openai_ok", &request_id("messages"), "");
    let obj = |pairs: &[(&str, JsValue)]| {
        let o = Object::new();
        for (k, v) in pairs {
            set(&o, k, v.clone());
        }
        JsValue::from(o)
    };
    let pair = |a: &str, b: &str| JsValue::from(js_sys::Array::of2(&a.into(), &b.into()));
    let flush =
        r#"expected "frame", "immediate", { intervalMs } or { smooth: "word" | "grapheme" }"#;
    let number = |min: u32, got: &str| format!("expected a finite number >= {min}, got {got}");
    let headers = "expected a Headers, an array of [name, value] pairs or an object of strings";
    type Case = (&'static str, JsValue, String);
    let cases: Vec<Case> = vec![
        ("idleTimout", 5.0.into(), "unknown option".into()),
        ("url", JsValue::NULL, "required (or `response`)".into()),
        ("url", 42.0.into(), "expected a string or a URL".into()),
        ("method", 5.0.into(), "expected a string".into()),
        ("headers", "x: y".into(), headers.into()),
        ("headers", js_sys::Array::of2(&pair("a", "b"), &"c".into()).into(), headers.into()),
        ("headers", obj(&[("a", 1.0.into())]), headers.into()),
        (
            "body",
            12.0.into(),
            "expected a string, Blob, ArrayBuffer, typed array, DataView, FormData or URLSearchParams".into(),
        ),
        ("credentials", 1.0.into(), "expected a string".into()),
        (
            "credentials",
            "always".into(),
            r#"expected "omit", "same-origin" or "include", got "always""#.into(),
        ),
        (
            "protocol",
            "gopher\u{1}\n".into(),
            r#"expected "openai", "openai-responses", "anthropic", "ollama", "gemini", "ai-sdk", "sse", "text" or "auto", got "gopher\u{1}\n""#.into(),
        ),
        ("protocol", true.into(), "expected a string".into()),
        ("firstByteTimeoutMs", f64::NAN.into(), number(0, "NaN")),
        ("idleTimeoutMs", (-1.0).into(), number(0, "-1")),
        ("contentTimeoutMs", true.into(), number(0, "boolean")),
        ("totalTimeoutMs", "5000".into(), number(0, r#""5000""#)),
        ("maxEventBytes", 0.0.into(), number(1, "0")),
        ("maxTextBytes", f64::INFINITY.into(), number(1, "Infinity")),
        ("flush", "sometimes".into(), format!(r#"{flush}, got "sometimes""#)),
        ("flush", 5.0.into(), flush.into()),
        ("flush", obj(&[("smooth", "sentence".into())]), flush.into()),
        (
            "flush",
            obj(&[("intervalMs", 0.0.into())]),
            format!("{flush} (intervalMs must be a finite number >= 1)"),
        ),
        ("signal", "abort".into(), "expected an AbortSignal".into()),
        (
            "retry",
            true.into(),
            "expected an object { maxAttempts, baseDelayMs, maxDelayMs, maxRetryAfterMs, resume }"
                .into(),
        ),
        ("retry", obj(&[("tries", 3.0.into())]), "unknown field `tries`".into()),
        (
            "retry",
            obj(&[("maxAttempts", 0.0.into())]),
            format!("`maxAttempts`: {}", number(1, "0")),
        ),
        (
            "retry",
            obj(&[("baseDelayMs", (-5.0).into())]),
            format!("`baseDelayMs`: {}", number(0, "-5")),
        ),
        (
            "retry",
            obj(&[("resume", "yes".into())]),
            "`resume`: expected a boolean".into(),
        ),
        (
            "retry",
            obj(&[("resume", true.into())]),
            r#"`resume` needs protocol "sse" and a GET request"#.into(),
        ),
        (
            "onText",
            "not a function".into(),
            r#"expected a function, got "not a function""#.into(),
        ),
        ("onEvent", 42.0.into(), "expected a function, got 42".into()),
        // The browser's own message follows these.
        ("url", "http://[::1".into(), "TypeError: ".into()),
        ("method", "NOT A METHOD".into(), "TypeError: ".into()),
        ("headers", obj(&[("bad name", "v".into())]), "TypeError: ".into()),
    ];
    let check = |what: &str, err: &JsValue, want: &str| {
        assert!(
            err.is_instance_of::<js_sys::TypeError>(),
            "{what}: not a TypeError: {err:?}"
        );
        let msg = get_str(err, "message").unwrap_or_default();
        if want.ends_with(": ") {
            assert!(
                msg.starts_with(want),
                "{what}: {msg:?} does not start with {want:?}"
            );
        } else {
            assert_eq!(msg, want, "{what}");
        }
    };
    for (option, value, reason) in cases {
        let o = options(&url, "openai");
        if option == "url" && value.is_null() {
            Reflect::delete_property(&o, &"url".into()).unwrap();
        } else {
            set(&o, option, value.clone());
        }
        let want = format!("streamguard: invalid option `{option}`: {reason}");
        let what = format!("`{option}` = {}", json(&value));
        match streamguard::web::api::stream(o.clone().into()).await {
            Ok(v) => panic!("stream() resolved for {what}: {}", json(&v)),
            Err(e) => check(&what, &e, &want),
        }
        let thrown = streamguard::web::api::open(o.into()).expect_err("open() accepted it");
        check(&what, &thrown, &want);
    }
    // Bodies that GET and HEAD cannot carry.
    for method in ["GET", "head"] {
        let o = options(&url, "openai");
        set(&o, "method", method);
        set(&o, "body", "{}");
        let err = streamguard::web::api::stream(o.into()).await.unwrap_err();
        check(
            method,
            &err,
            &format!("streamguard: invalid option `body`: a {method} request cannot have a body"),
        );
    }
    // Not an object at all.
    for value in [
        JsValue::from_str("http://x"),
        JsValue::NULL,
        JsValue::UNDEFINED,
    ] {
        let err = streamguard::web::api::stream(value).await.unwrap_err();
        check(
            "options",
            &err,
            "streamguard: invalid option `options`: expected an options object",
        );
    }
}

/// After the result nothing is left pending: no timer, no animation frame, no event listener,
/// no locked reader, whatever the ending (complete, stall, network and HTTP errors, the
/// caller's abort, a retry's backoff, an already-aborted signal, a freed handle). Counted by
/// wrapping the page's setTimeout/clearTimeout, requestAnimationFrame/cancelAnimationFrame,
/// addEventListener/removeEventListener and getReader/releaseLock before streaming.
#[wasm_bindgen_test]
async fn nothing_left_pending_after_the_result() {
    start_frames();
    for (name, how) in [
        ("openai_ok", "stream"),
        ("openai_ok", "immediate"),
        ("stall_mid", "stream"),
        ("reset_mid", "stream"),
        ("status_429", "stream"),
        ("user_abort", "stream"),
        ("refused", "retry"),
        ("openai_ok", "already aborted"),
        ("slow_healthy", "free"),
        ("slow_healthy", "hidden"),
    ] {
        let entry = scenario(name).await;
        let setup = Setup::new(name, &entry, "");
        match how {
            "immediate" => set(&setup.options, "flush", "immediate"),
            "retry" => {
                let retry = Object::new();
                set(&retry, "maxAttempts", 2.0);
                set(&retry, "baseDelayMs", 50.0);
                set(&retry, "maxDelayMs", 50.0);
                set(&setup.options, "retry", retry);
            }
            "already aborted" => setup.controller.abort(),
            _ => {}
        }
        let tracked = track_resources();
        let result = match how {
            "free" | "hidden" => {
                let handle = streamguard::web::api::open(setup.options.clone().into()).unwrap();
                if how == "hidden" {
                    set_hidden(true);
                }
                let first = await_promise(call_method(&handle, "next")).await.unwrap();
                assert_eq!(get(&first, "done").as_bool(), Some(false));
                call_method(&handle, "free");
                let result = await_promise(get(&handle, "result")).await.unwrap();
                if how == "hidden" {
                    set_hidden(false);
                }
                result
            }
            _ => stream(&setup.options).await,
        };
        let live = call_method(&tracked, "live");
        call_method(&tracked, "restore");
        let ctx = format!("{name} ({how}): {}; result {}", json(&live), json(&result));
        assert_eq!(
            get_f64(&live, "timers"),
            Some(0.0),
            "a timer left armed: {ctx}"
        );
        assert_eq!(
            get_f64(&live, "frames"),
            Some(0.0),
            "a frame left requested: {ctx}"
        );
        assert_eq!(
            js_sys::Array::from(&get(&live, "listeners")).length(),
            0,
            "a listener left: {ctx}"
        );
        assert_eq!(
            get_f64(&live, "readers"),
            Some(0.0),
            "a reader left locked: {ctx}"
        );
        if how != "already aborted" {
            // The stream did use them (else this test would prove nothing).
            assert!(
                get_f64(&live, "armed").unwrap() >= 1.0,
                "no timer armed: {ctx}"
            );
            assert!(
                get_f64(&live, "added").unwrap() >= 1.0,
                "no listener added: {ctx}"
            );
        }
        if ["openai_ok", "stall_mid", "slow_healthy"].contains(&name) && how != "already aborted" {
            assert!(get_f64(&live, "locked").unwrap() >= 1.0, "no reader: {ctx}");
        }
        if name == "openai_ok" && how == "stream" {
            assert!(
                get_f64(&live, "framesAsked").unwrap() >= 1.0,
                "no frame asked: {ctx}"
            );
        }
        // Frame pacing is checked where it applies: not on a hidden page (timer ticks), not in
        // immediate mode (one flush per read: two reads in one frame are two flushes).
        setup
            .check_invariants(&result, !matches!(how, "hidden" | "immediate"))
            .await;
    }
}
