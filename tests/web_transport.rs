//! Browser tests: bringing your own transport. `stream({ response })` guards a Response the page
//! already has; the `fetch` option replaces the global fetch; every RequestInit field and any
//! BodyInit body reach that fetch; `guard()` is a TransformStream for
//! `response.body.pipeThrough(guard(...))`; the Rust API reads a `web_sys::Response` and streams
//! the decoded events. Scenarios are checked against the harness's listed expectations, the
//! harness confirming the close of every stalled or aborted connection. Bad input (a used or
//! locked body, a fetch that throws or returns no Response, chunks that are not bytes, bodies
//! fetch cannot send) ends in a TypeError or a clear outcome, with nothing left running.
#![cfg(target_arch = "wasm32")]

use futures::StreamExt;
use js_sys::{Array, Object, Promise, Reflect};
use streamguard::web::{InvalidOption, Options};
use streamguard::{Outcome, Protocol, StreamEvent};
use streamguard_expect::FireWindow;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

#[path = "web_support/mod.rs"]
mod support;
use support::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen(module = "/tests/web_support/helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = fetchResponse)]
    fn fetch_response(url: &str) -> Promise;
    #[wasm_bindgen(js_name = pipeThrough)]
    fn pipe_through(url: &str, g: &JsValue, stop_after: f64, how: &str) -> Promise;
    fn feed(g: &JsValue, chunks: &Array) -> Promise;
    fn drain(g: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = writableErrored)]
    fn writable_errored(g: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = recordingFetch)]
    fn recording_fetch(answer: &JsValue) -> JsValue;
    #[wasm_bindgen(thread_local_v2, js_name = fetchers)]
    static FETCHERS: JsValue;
    fn bodies() -> Array;
    #[wasm_bindgen(js_name = readableStream)]
    fn readable_stream() -> JsValue;
    #[wasm_bindgen(js_name = sseResponse)]
    fn sse_response(text: &str) -> JsValue;
    fn bytes(s: &str) -> JsValue;
    #[wasm_bindgen(js_name = lockBody)]
    fn lock_body(res: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = useBody)]
    fn use_body(res: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = isFirefox)]
    fn is_firefox() -> bool;
}

/// Whether cancelling a fetch body closes a connection that went silent. Firefox (153) keeps
/// it open until more bytes arrive: a probe that cancelled the body of stall_mid 700 ms into
/// its silence saw no close within 20 s, with or without a pending read or `releaseLock()`,
/// while a cancel while the server still wrote closed it within 30 ms, and aborting the
/// fetch's own AbortController closes it at once (the `url` path). A guarded Response or pipe
/// can only cancel the body, so in Firefox the harness is not asked about a silent stall's
/// close there.
fn cancel_closes_a_silent_connection() -> bool {
    !is_firefox()
}

/// The scenario's listing entry, without the close check where the browser cannot close a
/// silent connection by cancelling its body (see above).
async fn body_scenario(name: &str) -> JsValue {
    let entry = scenario(name).await;
    let silent = get(&entry, "expect.phase").as_string().as_deref() == Some("idle");
    if silent && !cancel_closes_a_silent_connection() {
        set(&get(&entry, "expect"), "serverSeesClose", false);
    }
    entry
}

fn fetcher(name: &str) -> JsValue {
    FETCHERS.with(|f| get(f, name))
}

async fn fetch(url: &str) -> JsValue {
    JsFuture::from(fetch_response(url))
        .await
        .unwrap_or_else(|e| panic!("fetch {url}: {e:?}"))
}

async fn wait(p: Promise) -> JsValue {
    JsFuture::from(p).await.expect("the helper failed")
}

fn guard(options: &JsValue) -> JsValue {
    streamguard::web::api::guard_js(options.clone())
        .unwrap_or_else(|e| panic!("guard() threw: {e:?}"))
}

/// A scenario's options (Setup) without its `url`, and the url.
fn without_url(name: &str, entry: &JsValue) -> (Setup, String) {
    let setup = Setup::new(name, entry, "");
    let url = get_str(&setup.options, "url").expect("url");
    Reflect::delete_property(&setup.options, &"url".into()).unwrap();
    (setup, url)
}

/// Scenario `name` through `stream({ response })`: the page fetches, then hands the Response
/// in. Its timers count from the call, after the head arrived, so a timer may fire that much
/// earlier than the scenario's `fireMs` (counted from the request).
async fn via_response(name: &str) -> JsValue {
    let entry = body_scenario(name).await;
    let (setup, url) = without_url(name, &entry);
    let asked = js_sys::Date::now();
    let res = fetch(&url).await;
    let head_after = js_sys::Date::now() - asked;
    set(&setup.options, "response", res);
    let result = stream(&setup.options).await;
    let ctx = format!("{name} via response: result {}", json(&result));
    let window = FireWindow {
        early_ms: head_after.ceil() as u64 + 1,
        late_ms: ON_TIME_SLACK_MS as u64,
    };
    check_expect_within(&entry, &result, &setup, &ctx, window).await;
    setup.check_invariants(&result, true).await;
    result
}

/// Scenario `name` through `fetch(url).body.pipeThrough(guard(options))`: the readable side
/// yields exactly the result's text, as strings.
async fn via_guard(name: &str) -> JsValue {
    let entry = body_scenario(name).await;
    let (setup, url) = without_url(name, &entry);
    let g = guard(&setup.options);
    let out = wait(pipe_through(&url, &g, 0.0, "")).await;
    let result = await_promise(get(&g, "result")).await.expect("result");
    let ctx = format!(
        "{name} via guard(): result {}; read {}",
        json(&result),
        json(&out)
    );
    assert_eq!(get(&out, "strings").as_bool(), Some(true), "{ctx}");
    assert_eq!(
        get_str(&out, "text"),
        get_str(&result, "text"),
        "the readable side's text is not the result's: {ctx}"
    );
    check_expect(&entry, &result, &setup, &ctx).await;
    setup.check_invariants(&result, true).await;
    result
}

/// One browser test per scenario for a host, in a module named after it.
macro_rules! each {
    ($host:ident: $($name:ident),* $(,)?) => {
        mod $host {
            use super::*;
            $(
                #[wasm_bindgen_test]
                async fn $name() {
                    super::$host(stringify!($name)).await;
                }
            )*
        }
    };
}

each!(via_response: openai_ok, anthropic_ok, ollama_ok, split_utf8, stall_mid, pings_forever,
    no_done, reset_mid, user_abort, status_429, huge_event, html_not_sse);
// A pipe sees no status line (status_429 is the caller's `response.ok` check) and no_response
// has no body to pipe (guard()'s own first-byte timer: `guard_timers_run_without_writes`).
each!(via_guard: openai_ok, anthropic_ok, ollama_ok, split_utf8, stall_mid, pings_forever,
    no_done, reset_mid, user_abort, huge_event);

/// The TypeError of `stream()` (rejected) and `open()` (thrown), with its exact message.
async fn assert_type_error(options: &JsValue, want: &str) {
    let check = |what: &str, err: &JsValue| {
        assert!(
            err.is_instance_of::<js_sys::TypeError>(),
            "{what}: not a TypeError: {err:?}"
        );
        let msg = get_str(err, "message").unwrap_or_default();
        if want.ends_with(": ") {
            assert!(msg.starts_with(want), "{what}: {msg:?} (want {want:?}...)");
        } else {
            assert_eq!(msg, want, "{what}");
        }
    };
    match streamguard::web::api::stream(options.clone()).await {
        Ok(v) => panic!("stream() resolved: {}", json(&v)),
        Err(e) => check("stream()", &e),
    }
    let thrown = streamguard::web::api::open(options.clone()).expect_err("open() accepted it");
    check("open()", &thrown);
}

fn invalid(option: &str, reason: &str) -> String {
    format!("streamguard: invalid option `{option}`: {reason}")
}

/// `response` and `url` together, neither, a response with request options or a retry policy,
/// a used or locked body, something that is not a Response: each a TypeError naming the option.
#[wasm_bindgen_test]
async fn response_option_errors() {
    let url = scenario_url("openai_ok", &request_id("resp-bad"), "");
    let needs_url = "needs `url` (a `response` cannot be requested again)";
    let with = |key: &str, value: JsValue| {
        let o = options(&url, "openai");
        Reflect::delete_property(&o, &"url".into()).unwrap();
        set(&o, "response", sse_response("data: [DONE]\n\n"));
        set(&o, key, value);
        JsValue::from(o)
    };
    assert_type_error(
        &with("url", url.clone().into()),
        &invalid("response", "`response` and `url` are mutually exclusive"),
    )
    .await;
    let retry = Object::new();
    set(&retry, "maxAttempts", 2.0);
    assert_type_error(&with("retry", retry.into()), &invalid("retry", needs_url)).await;
    for (key, value) in [
        ("method", JsValue::from_str("POST")),
        ("body", "{}".into()),
        ("headers", Object::new().into()),
        ("credentials", "omit".into()),
        ("fetch", fetcher("global")),
        ("mode", "cors".into()),
        ("keepalive", true.into()),
    ] {
        assert_type_error(&with(key, value), &invalid(key, needs_url)).await;
    }
    // `retry: false` is no retry: allowed.
    let ok = stream(&with("retry", false.into())).await;
    assert_outcome(&ok, "complete");

    let o = options(&url, "openai");
    Reflect::delete_property(&o, &"url".into()).unwrap();
    assert_type_error(&o, &invalid("url", "required (or `response`)")).await;
    for bad in [
        JsValue::from_str("data: x\n\n"),
        Object::new().into(),
        JsValue::from(42.0),
    ] {
        set(&o, "response", bad);
        assert_type_error(&o, &invalid("response", "expected a Response")).await;
    }
    // A used body, a locked body (a fresh Response each: a failed call leaves it untouched).
    let used = wait(use_body(&sse_response("data: [DONE]\n\n"))).await;
    set(&o, "response", used);
    assert_type_error(&o, &invalid("response", "its body was already used")).await;
    let locked = lock_body(&sse_response("data: [DONE]\n\n"));
    set(&o, "response", locked);
    assert_type_error(&o, &invalid("response", "its body is locked")).await;
}

/// A Response built in the page (what an SDK or a test double hands over) streams like a
/// fetched one, and its body is locked by the call.
#[wasm_bindgen_test]
async fn constructed_response() {
    let chunk =
        r#"data: {"choices":[{"index":0,"delta":{"content":"Hi there"},"finish_reason":"stop"}]}"#;
    let res = sse_response(&format!("{chunk}\n\ndata: [DONE]\n\n"));
    let o = Object::new();
    set(&o, "response", res.clone());
    set(&o, "protocol", "openai");
    let handle = streamguard::web::api::open(o.into()).expect("open");
    assert_eq!(
        get(&get(&res, "body"), "locked").as_bool(),
        Some(true),
        "the body is not locked by the call"
    );
    let result = await_promise(get(&handle, "result")).await.unwrap();
    assert_outcome(&result, "complete");
    assert_eq!(get_str(&result, "text").as_deref(), Some("Hi there"));
    assert_eq!(get_str(&result, "finishReason").as_deref(), Some("stop"));
}

/// Aborting a guarded Response (the signal, already aborted or mid-stream, or `handle.abort()`)
/// cancels its body: the harness sees the connection closed.
#[wasm_bindgen_test]
async fn response_abort_cancels_its_body() {
    for how in ["already aborted", "signal", "handle"] {
        let entry = scenario("slow_healthy").await;
        let (setup, url) = without_url("slow_healthy", &entry);
        set(&setup.options, "response", fetch(&url).await);
        if how == "already aborted" {
            setup.controller.abort();
        }
        let tracked = track_resources();
        let handle = streamguard::web::api::open(setup.options.clone().into()).expect("open");
        if how != "already aborted" {
            let first = await_promise(call_method(&handle, "next")).await.unwrap();
            assert_eq!(get(&first, "done").as_bool(), Some(false), "{how}");
            if how == "signal" {
                setup.controller.abort();
            } else {
                call_method(&handle, "abort");
            }
        }
        let result = await_promise(get(&handle, "result")).await.unwrap();
        let live = call_method(&tracked, "live");
        call_method(&tracked, "restore");
        assert_outcome(&result, "aborted");
        assert_closed(&setup.id, how).await;
        assert_nothing_live(&live, how);
        setup.check_invariants(&result, true).await;
    }
}

fn assert_nothing_live(live: &JsValue, what: &str) {
    let ctx = format!("{what}: {}", json(live));
    assert_eq!(get_f64(live, "timers"), Some(0.0), "a timer left: {ctx}");
    assert_eq!(get_f64(live, "frames"), Some(0.0), "a frame left: {ctx}");
    assert_eq!(
        Array::from(&get(live, "listeners")).length(),
        0,
        "a listener left: {ctx}"
    );
    assert_eq!(get_f64(live, "readers"), Some(0.0), "a reader left: {ctx}");
}

/// The `fetch` option is called instead of the global fetch, once per attempt (retries stay the
/// core's decision), with every RequestInit field as given and the stream's own signal.
#[wasm_bindgen_test]
async fn custom_fetch_gets_every_request_init_field() {
    let entry = scenario("openai_ok").await;
    let setup = Setup::new("openai_ok", &entry, "");
    let rec = recording_fetch(&fetcher("failOnce"));
    set(&setup.options, "fetch", get(&rec, "fetch"));
    let retry = Object::new();
    set(&retry, "maxAttempts", 2.0);
    set(&retry, "baseDelayMs", 10.0);
    set(&retry, "maxDelayMs", 10.0);
    set(&setup.options, "retry", retry);
    let fields: [(&str, JsValue); 9] = [
        ("mode", "cors".into()),
        ("cache", "no-store".into()),
        ("redirect", "follow".into()),
        ("referrer", "".into()),
        ("referrerPolicy", "no-referrer".into()),
        ("integrity", "".into()),
        ("keepalive", false.into()),
        ("priority", "high".into()),
        ("credentials", "omit".into()),
    ];
    for (k, v) in &fields {
        set(&setup.options, k, v.clone());
    }
    let url = get_str(&setup.options, "url").unwrap();
    let result = stream(&setup.options).await;
    assert_outcome_and_text(&result, "complete", &entry);
    let calls = Array::from(&get(&rec, "calls"));
    assert_eq!(calls.length(), 2, "one call per attempt");
    for call in calls.iter() {
        assert_eq!(get_str(&call, "url").as_deref(), Some(url.as_str()));
        let init = get(&call, "init");
        for (k, v) in &fields {
            assert_eq!(&get(&init, k), v, "init.{k}: {}", json(&init));
        }
        assert_eq!(get_str(&init, "method").as_deref(), Some("GET"));
        assert!(get(&init, "signal").is_instance_of::<web_sys::AbortSignal>());
    }
    setup.check_invariants(&result, true).await;
}

/// A fetch that throws, rejects, or resolves to something that is not a Response: a
/// `network_error` saying so, nothing left running. A `fetch` that is not a function is a
/// TypeError.
#[wasm_bindgen_test]
async fn bad_fetches_end_in_network_error() {
    for (name, message) in [
        ("throwing", "no network here"),
        ("rejecting", "refused by the wrapper"),
        ("notAResponse", "`fetch` returned object, not a Response"),
        ("aString", "`fetch` returned string, not a Response"),
    ] {
        let o = options(&scenario_url("openai_ok", &request_id(name), ""), "openai");
        set(&o, "fetch", fetcher(name));
        let tracked = track_resources();
        let result = stream(&o).await;
        let live = call_method(&tracked, "live");
        call_method(&tracked, "restore");
        assert_outcome(&result, "network_error");
        let msg = get_str(&result, "error.message").unwrap_or_default();
        assert!(msg.contains(message), "{name}: {msg:?} lacks {message:?}");
        assert_nothing_live(&live, name);
    }
    let o = options(&scenario_url("openai_ok", &request_id("f"), ""), "openai");
    set(&o, "fetch", "fetch");
    assert_type_error(&o, &invalid("fetch", r#"expected a function, got "fetch""#)).await;
}

/// Every BodyInit the issue names reaches fetch as given; anything else is a TypeError naming
/// `body` (a ReadableStream too: it cannot be sent twice, and fetch needs `duplex` for it).
/// A RequestInit value the browser's Request refuses is a TypeError naming that field.
#[wasm_bindgen_test]
async fn bodies_and_request_init_values() {
    for pair in bodies().iter() {
        let pair = Array::from(&pair);
        let kind = pair.get(0).as_string().unwrap();
        let body = pair.get(1);
        let o = options(
            &scenario_url("openai_ok", &request_id("body"), ""),
            "openai",
        );
        set(&o, "body", body.clone());
        let rec = recording_fetch(&fetcher("global"));
        set(&o, "fetch", get(&rec, "fetch"));
        let result = stream(&o).await;
        assert_outcome(&result, "complete");
        let init = get(&Array::from(&get(&rec, "calls")).get(0), "init");
        assert!(
            Object::is(&get(&init, "body"), &body),
            "{kind}: not passed as given"
        );
        assert_eq!(get_str(&init, "method").as_deref(), Some("POST"), "{kind}");
    }
    let url = scenario_url("openai_ok", &request_id("init"), "");
    let body_types =
        "expected a string, Blob, ArrayBuffer, typed array, DataView, FormData or URLSearchParams";
    for bad in [JsValue::from(12.0), Object::new().into(), readable_stream()] {
        let o = options(&url, "openai");
        set(&o, "body", bad);
        assert_type_error(&o, &invalid("body", body_types)).await;
    }
    for (key, value) in [
        ("mode", "bogus"),
        ("mode", "navigate"),
        ("cache", "bogus"),
        ("redirect", "bogus"),
        ("referrerPolicy", "bogus"),
    ] {
        let o = options(&url, "openai");
        set(&o, key, value);
        // The browser's own message follows.
        assert_type_error(
            &o,
            &format!("streamguard: invalid option `{key}`: TypeError: "),
        )
        .await;
    }
}

/// Cancelling guard()'s readable side is an abort: `aborted` with the text so far, and the pipe
/// cancels the fetch body (the harness sees the close). `guard.abort()` likewise.
#[wasm_bindgen_test]
async fn guard_cancel_and_abort() {
    for how in ["cancel", "abort"] {
        let entry = scenario("slow_healthy").await;
        let (setup, url) = without_url("slow_healthy", &entry);
        let g = guard(&setup.options);
        let out = wait(pipe_through(&url, &g, 1.0, how)).await;
        let result = await_promise(get(&g, "result")).await.unwrap();
        let ctx = format!("{how}: {} {}", json(&result), json(&out));
        assert_outcome(&result, "aborted");
        let text = get_str(&result, "text").unwrap();
        let read = get_str(&out, "text").unwrap();
        assert!(!read.is_empty() && text.starts_with(&read), "{ctx}");
        if how == "abort" {
            assert_eq!(
                read, text,
                "abort: the readable side ends with all the text: {ctx}"
            );
            assert!(get(&out, "error").is_null(), "{ctx}");
        }
        assert_closed(&setup.id, how).await;
        setup.check_invariants(&result, true).await;
    }
}

/// guard()'s timers run without any write: the first-byte timer ends it, its readable side
/// closes and its writable side is errored.
#[wasm_bindgen_test]
async fn guard_timers_run_without_writes() {
    let o = Object::new();
    set(&o, "firstByteTimeoutMs", 100.0);
    let g = guard(&o.into());
    let out = wait(drain(&g)).await;
    let result = await_promise(get(&g, "result")).await.unwrap();
    assert_outcome(&result, "stalled");
    assert_eq!(
        get_str(&result, "error.phase").as_deref(),
        Some("first_byte")
    );
    assert!(get(&out, "readError").is_null(), "{}", json(&out));
    assert_eq!(wait(writable_errored(&g)).await.as_bool(), Some(true));
}

/// guard() takes the stream options only: none at all is fine (protocol auto); a request
/// option or an unknown one is a TypeError naming it.
#[wasm_bindgen_test]
async fn guard_options() {
    let g = streamguard::web::api::guard_js(JsValue::UNDEFINED).expect("guard()");
    let sse = r#"data: {"choices":[{"index":0,"delta":{"content":"auto"},"finish_reason":"stop"}]}

data: [DONE]

"#;
    let out = wait(feed(&g, &Array::of1(&bytes(sse)))).await;
    let result = await_promise(get(&g, "result")).await.unwrap();
    assert_outcome(&result, "complete");
    assert_eq!(get_str(&out, "text").as_deref(), Some("auto"));
    for (key, reason) in [
        ("url", "not an option of guard()"),
        ("response", "not an option of guard()"),
        ("retry", "not an option of guard()"),
        ("method", "not an option of guard()"),
        ("idleTimout", "unknown option"),
    ] {
        let o = Object::new();
        set(&o, key, "x");
        let err = streamguard::web::api::guard_js(o.into()).expect_err(key);
        assert!(err.is_instance_of::<js_sys::TypeError>(), "{key}");
        assert_eq!(get_str(&err, "message"), Some(invalid(key, reason)));
    }
    let err = streamguard::web::api::guard_js("openai".into()).expect_err("a string");
    assert_eq!(
        get_str(&err, "message"),
        Some(invalid("options", "expected an options object"))
    );
}

/// Chunks: any ArrayBuffer view or ArrayBuffer is bytes; a string is a TypeError that errors
/// the stream (the write rejects) and rejects `result`, leaving nothing running.
#[wasm_bindgen_test]
async fn guard_chunk_types() {
    let sse = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    let b = bytes(sse);
    let half = sse.len() as u32 / 2;
    let u8 = js_sys::Uint8Array::new(&b);
    let dv = js_sys::DataView::new(&u8.buffer(), 0, half as usize);
    let rest = u8.slice(half, sse.len() as u32).buffer();
    let o = Object::new();
    set(&o, "protocol", "openai");
    let g = guard(&o.clone().into());
    let out = wait(feed(&g, &Array::of2(&dv.into(), &rest.into()))).await;
    let result = await_promise(get(&g, "result")).await.unwrap();
    assert_outcome(&result, "complete");
    assert_eq!(get_str(&out, "text").as_deref(), Some("ok"));

    let tracked = track_resources();
    let g = guard(&o.into());
    let out = wait(feed(&g, &Array::of2(&bytes("data: {"), &"a string".into()))).await;
    let err = await_promise(get(&g, "result"))
        .await
        .expect_err("result resolved after a string chunk");
    let live = call_method(&tracked, "live");
    call_method(&tracked, "restore");
    assert!(err.is_instance_of::<js_sys::TypeError>(), "{err:?}");
    let msg = "streamguard: guard() takes Uint8Array chunks, got string";
    assert_eq!(get_str(&err, "message").as_deref(), Some(msg));
    assert_eq!(
        get_str(&get(&out, "writeError"), "message").as_deref(),
        Some(msg)
    );
    assert_nothing_live(&live, "a string chunk");
}

/// `onEvent` works in guard() as in stream(): Anthropic's meta, keep-alive, usage and finish.
#[wasm_bindgen_test]
async fn guard_on_event() {
    let entry = scenario("anthropic_ok").await;
    let (setup, url) = without_url("anthropic_ok", &entry);
    let setup = setup.with_events();
    let g = guard(&setup.options);
    wait(pipe_through(&url, &g, 0.0, "")).await;
    let result = await_promise(get(&g, "result")).await.unwrap();
    assert_outcome_and_text(&result, "complete", &entry);
    let types: Vec<String> = Array::from(&get(&setup.recorder, "events"))
        .iter()
        .filter_map(|e| get_str(&e, "type"))
        .collect();
    for want in ["meta", "keep_alive", "usage", "finish"] {
        assert!(
            types.iter().any(|t| t == want),
            "no {want} event: {types:?}"
        );
    }
    setup.check_invariants(&result, true).await;
}

/// After guard()'s result nothing is left: no timer, frame, listener or reader.
#[wasm_bindgen_test]
async fn guard_leaves_nothing_running() {
    for name in ["openai_ok", "stall_mid", "user_abort"] {
        let entry = scenario(name).await;
        let (setup, url) = without_url(name, &entry);
        let tracked = track_resources();
        let g = guard(&setup.options);
        wait(pipe_through(&url, &g, 0.0, "")).await;
        let result = await_promise(get(&g, "result")).await.unwrap();
        // The pipe's own reader of the fetch body is released once it settles.
        for _ in 0..3 {
            next_frame().await;
        }
        let live = call_method(&tracked, "live");
        call_method(&tracked, "restore");
        assert_nothing_live(&live, &format!("{name}: {}", json(&result)));
        setup.check_invariants(&result, true).await;
    }
}

/// The Rust API reads a `web_sys::Response`: text batches, the decoded events as a Stream, and
/// the result.
#[wasm_bindgen_test]
async fn rust_open_response_with_events() {
    let entry = scenario("anthropic_ok").await;
    let url = scenario_url("anthropic_ok", &request_id("rust-resp"), "");
    let res: web_sys::Response = fetch(&url).await.unchecked_into();
    let mut options = Options::from_response(res);
    options.config.protocol = Protocol::Anthropic;
    options.config.emit_events = true;
    let mut handle = streamguard::web::open(options).expect("open");
    let mut events = Vec::new();
    {
        let mut stream = handle.events();
        while let Some(e) = stream.next().await {
            events.push(e);
        }
    }
    let mut text = String::new();
    while let Some(batch) = handle.next().await {
        text.push_str(&batch);
    }
    let result = handle.result().await;
    assert_eq!(result.outcome, Outcome::Complete, "{}", result.to_json());
    assert_eq!(Some(text), get_str(&entry, "expect.text"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StreamEvent::Finish { .. })),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| matches!(e, StreamEvent::Usage(_))),
        "{events:?}"
    );
    assert!(
        !events.iter().any(|e| matches!(e, StreamEvent::Text { .. })),
        "{events:?}"
    );
}

/// The Rust API with a Response: a stall cancels its body (the harness sees the close);
/// without `emit_events` the event stream just ends.
#[wasm_bindgen_test]
async fn rust_response_stall_cancels_the_body() {
    let id = request_id("rust-stall");
    let res: web_sys::Response = fetch(&scenario_url("stall_mid", &id, ""))
        .await
        .unchecked_into();
    let mut options = Options::from_response(res);
    options.config.protocol = Protocol::OpenAi;
    options.config.idle_timeout_ms = IDLE_MS as u64;
    let mut handle = streamguard::web::open(options).expect("open");
    assert!(handle.events().next().await.is_none());
    let result = handle.result().await;
    assert_eq!(result.outcome, Outcome::Stalled, "{}", result.to_json());
    assert_eq!(result.text, "Hello, stalled world");
    if cancel_closes_a_silent_connection() {
        assert_closed(&id, "Rust API, response stalled").await;
    }
}

/// The Rust API's invalid Response options, each an `InvalidOption` naming it.
#[wasm_bindgen_test]
async fn rust_response_invalid_options() {
    let fresh = || -> web_sys::Response { sse_response("data: [DONE]\n\n").unchecked_into() };
    let check = |options: Options, option: &str| {
        let err: InvalidOption = streamguard::web::open(options).expect_err(option);
        assert_eq!(err.option, option, "{err}");
    };
    let mut o = Options::from_response(fresh());
    o.url = "http://example.com/".into();
    check(o, "response");
    let mut o = Options::from_response(fresh());
    o.retry.max_attempts = 2;
    check(o, "retry");
    let mut o = Options::from_response(fresh());
    o.method = Some("POST".into());
    check(o, "method");
    let mut o = Options::from_response(fresh());
    o.headers.push(("a".into(), "b".into()));
    check(o, "headers");
    let used: web_sys::Response = wait(use_body(&JsValue::from(fresh())))
        .await
        .unchecked_into();
    check(Options::from_response(used), "response");
    let locked: web_sys::Response = lock_body(&JsValue::from(fresh())).unchecked_into();
    check(Options::from_response(locked), "response");
}
