//! Shared helpers of the browser tests (`tests/web_*.rs`): the harness URL, its scenario
//! listing and request registry, option objects with the FAULTS.md timer values, a JS-side
//! recorder of `onText` / `onEvent` calls with an animation-frame counter, and the generic
//! check of a result against a scenario's expectations.
//!
//! The harness URL is baked in at build time (`STREAMGUARD_HARNESS_URL`, default the fixed port
//! that `scripts/web-harness.sh` serves); with the harness down every test fails: no test
//! passes without it.
#![allow(dead_code)]

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// FAULTS.md test values (defined in `streamguard-expect`), as JS numbers.
pub const FIRST_BYTE_MS: f64 = streamguard_expect::FIRST_BYTE_MS as f64;
pub const IDLE_MS: f64 = streamguard_expect::IDLE_MS as f64;
pub const CONTENT_MS: f64 = streamguard_expect::CONTENT_MS as f64;
pub const TOTAL_MS: f64 = streamguard_expect::TOTAL_MS as f64;
/// "A timer counts as on time when it fires within [T, T+50 ms] in a visible page."
pub const ON_TIME_SLACK_MS: f64 = streamguard_expect::ON_TIME_SLACK_MS as f64;

#[wasm_bindgen(module = "/tests/web_support/helpers.js")]
extern "C" {
    #[wasm_bindgen(js_name = startFrames)]
    pub fn start_frames() -> bool;
    #[wasm_bindgen(js_name = frameNow)]
    pub fn frame_now() -> u32;
    #[wasm_bindgen(js_name = getJson)]
    fn get_json_promise(url: &str) -> Promise;
    #[wasm_bindgen(js_name = getStatus)]
    fn get_status_promise(url: &str) -> Promise;
    #[wasm_bindgen(js_name = recorder)]
    fn make_recorder(abort_after_deltas: f64, controller: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = joined)]
    fn joined(rec: &JsValue) -> String;
    #[wasm_bindgen(js_name = setHidden)]
    pub fn set_hidden(hidden: bool) -> bool;
    #[wasm_bindgen(js_name = nextFrameOrTick)]
    fn next_frame_promise() -> Promise;
    #[wasm_bindgen(js_name = delay)]
    fn delay_promise(ms: f64) -> Promise;
    #[wasm_bindgen(js_name = isWorker)]
    pub fn is_worker() -> bool;
    #[wasm_bindgen(js_name = trackResources)]
    pub fn track_resources() -> JsValue;
    #[wasm_bindgen(js_name = countReads)]
    pub fn count_reads() -> JsValue;
    #[wasm_bindgen(js_name = disposeSymbol)]
    pub fn dispose_symbol(async_too: bool) -> JsValue;
}

/// The harness base URL (no trailing slash): `STREAMGUARD_HARNESS_URL` when the tests were
/// built, else the fixed port on which the browser wrappers of `webdriver.json` start it
/// (`scripts/web-harness.sh`).
pub fn harness() -> String {
    option_env!("STREAMGUARD_HARNESS_URL")
        .unwrap_or("http://127.0.0.1:47331")
        .trim_end_matches('/')
        .to_string()
}

/// A request id unique to this test run.
pub fn request_id(tag: &str) -> String {
    let r = (js_sys::Math::random() * 1e9) as u64;
    format!("web-{tag}-{}-{r}", js_sys::Date::now() as u64)
}

/// GET a harness JSON document. Panics on any failure (harness down = test failure).
pub async fn get_json(url: &str) -> JsValue {
    match JsFuture::from(get_json_promise(url)).await {
        Ok(v) => v,
        Err(e) => panic!("harness request {url} failed: {e:?} (is the harness running? the browser wrappers of webdriver.json start it)"),
    }
}

/// The HTTP status of a GET to the harness (panics when the harness cannot be reached).
pub async fn get_status(url: &str) -> u16 {
    match JsFuture::from(get_status_promise(url)).await {
        Ok(v) => v.as_f64().unwrap_or(0.0) as u16,
        Err(e) => panic!("harness request {url} failed: {e:?} (is the harness running? the browser wrappers of webdriver.json start it)"),
    }
}

/// The harness's record of request `id` (panics when there is none).
pub async fn request_record(id: &str) -> JsValue {
    get_json(&format!("{}/_harness/requests/{id}", harness())).await
}

pub async fn next_frame() {
    JsFuture::from(next_frame_promise()).await.unwrap();
}

/// Waits `ms` (only to give a misbehaving client the chance to call back late; never to
/// paper over a race).
pub async fn delay(ms: f64) {
    JsFuture::from(delay_promise(ms)).await.unwrap();
}

/// `a.b.c` of a JS value (undefined when missing).
pub fn get(v: &JsValue, path: &str) -> JsValue {
    let mut cur = v.clone();
    for key in path.split('.') {
        if cur.is_undefined() || cur.is_null() {
            return JsValue::UNDEFINED;
        }
        cur = Reflect::get(&cur, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    }
    cur
}

pub fn get_str(v: &JsValue, path: &str) -> Option<String> {
    get(v, path).as_string()
}

pub fn get_f64(v: &JsValue, path: &str) -> Option<f64> {
    get(v, path).as_f64()
}

pub fn set(o: &JsValue, key: &str, value: impl Into<JsValue>) {
    Reflect::set(o, &JsValue::from_str(key), &value.into()).unwrap();
}

pub fn json(v: &JsValue) -> String {
    js_sys::JSON::stringify(v)
        .map(String::from)
        .unwrap_or_else(|_| format!("{v:?}"))
}

/// The listing entry of a scenario (`GET /_harness/scenarios`).
pub async fn scenario(name: &str) -> JsValue {
    let listing = get_json(&format!("{}/_harness/scenarios", harness())).await;
    let list = if Array::is_array(&listing) {
        Array::from(&listing)
    } else {
        Array::from(&get(&listing, "scenarios"))
    };
    list.iter()
        .find(|s| get_str(s, "name").as_deref() == Some(name))
        .unwrap_or_else(|| panic!("scenario {name} is not in the harness listing"))
}

/// Every scenario name the harness lists.
pub async fn scenario_names() -> Vec<String> {
    let listing = get_json(&format!("{}/_harness/scenarios", harness())).await;
    let list = if Array::is_array(&listing) {
        Array::from(&listing)
    } else {
        Array::from(&get(&listing, "scenarios"))
    };
    list.iter().filter_map(|s| get_str(&s, "name")).collect()
}

/// Asks the harness (long poll) whether the client closed request `id`'s connection.
pub async fn wait_closed(id: &str) -> JsValue {
    get_json(&format!(
        "{}/_harness/requests/{id}/wait-closed?timeout_ms=3000",
        harness()
    ))
    .await
}

pub async fn assert_closed(id: &str, what: &str) {
    let r = wait_closed(id).await;
    assert_eq!(
        get(&r, "clientClosed").as_bool(),
        Some(true),
        "{what}: the harness did not see the client close request {id} (server end {:?}, {} bytes written)",
        get_str(&r, "serverEnd"),
        get_f64(&r, "bytesWritten").unwrap_or(0.0)
    );
}

/// The URL of a scenario for request `id`, with an optional extra query (`fault=rechunk:1`).
pub fn scenario_url(name: &str, id: &str, query: &str) -> String {
    let mut url = format!("{}/scenarios/{name}?request_id={id}", harness());
    if !query.is_empty() {
        url.push('&');
        url.push_str(query);
    }
    url
}

/// A test run's options, recorder and abort controller.
pub struct Setup {
    pub id: String,
    pub options: Object,
    pub recorder: JsValue,
    pub controller: web_sys::AbortController,
}

impl Setup {
    /// Options for scenario `name` with the FAULTS.md timer values (or the scenario's own
    /// client settings), the protocol from the listing, and a recorder.
    pub fn new(name: &str, entry: &JsValue, query: &str) -> Setup {
        // The frame counter runs before the stream starts, so flushes are attributed to frames.
        start_frames();
        let id = request_id(name);
        let options = Object::new();
        set(&options, "url", scenario_url(name, &id, query));
        if let Some(p) = get_str(entry, "protocol") {
            set(&options, "protocol", p);
        }
        let timer =
            |key: &str, default: f64| get_f64(entry, &format!("client.{key}")).unwrap_or(default);
        set(
            &options,
            "firstByteTimeoutMs",
            timer("firstByteTimeoutMs", FIRST_BYTE_MS),
        );
        set(&options, "idleTimeoutMs", timer("idleTimeoutMs", IDLE_MS));
        set(
            &options,
            "contentTimeoutMs",
            timer("contentTimeoutMs", CONTENT_MS),
        );
        set(
            &options,
            "totalTimeoutMs",
            timer("totalTimeoutMs", TOTAL_MS),
        );
        let controller = web_sys::AbortController::new().unwrap();
        let abort_after = get_f64(entry, "client.abortAfterDeltas").unwrap_or(0.0);
        let recorder = make_recorder(abort_after, controller.as_ref());
        set(&options, "onText", get(&recorder, "onText"));
        set(&options, "signal", controller.signal());
        if abort_after > 0.0 {
            // One flush per delta, so the abort lands right after the Nth.
            set(&options, "flush", "immediate");
        }
        Setup {
            id,
            options,
            recorder,
            controller,
        }
    }

    pub fn with_events(self) -> Self {
        set(&self.options, "onEvent", get(&self.recorder, "onEvent"));
        self
    }

    pub fn deltas(&self) -> Vec<String> {
        Array::from(&get(&self.recorder, "deltas"))
            .iter()
            .filter_map(|d| d.as_string())
            .collect()
    }

    pub fn joined(&self) -> String {
        joined(&self.recorder)
    }

    pub fn frames(&self) -> Vec<u32> {
        Array::from(&get(&self.recorder, "frames"))
            .iter()
            .filter_map(|d| d.as_f64().map(|f| f as u32))
            .collect()
    }

    /// Marks the result as delivered: any later callback counts as late.
    pub fn mark_done(&self) {
        set(&self.recorder, "done", true);
    }

    pub fn late_calls(&self) -> f64 {
        get_f64(&self.recorder, "late").unwrap_or(0.0)
    }

    /// Checks the invariants every run must satisfy: the deltas concatenate to the result's
    /// text (the final flush happened), `info` was live and consistent, at most one flush per
    /// animation frame (frame mode), and no callback after the result.
    pub async fn check_invariants(&self, result: &JsValue, frame_mode: bool) {
        self.mark_done();
        let text = get_str(result, "text").expect("result.text");
        assert!(
            self.joined() == text,
            "the onText deltas ({} bytes) do not concatenate to result.text ({} bytes): final flush missing?",
            self.joined().len(),
            text.len()
        );
        assert!(
            get(&self.recorder, "infoOk").as_bool().unwrap_or(false),
            "info check failed: {}",
            get_str(&self.recorder, "infoWhy").unwrap_or_default()
        );
        // The live stats are the result's stats object, field for field.
        let live = get_str(&self.recorder, "statsKeys").unwrap_or_default();
        if !live.is_empty() {
            let keys: Vec<String> = Object::keys(&Object::from(get(result, "stats")))
                .iter()
                .filter_map(|k| k.as_string())
                .collect();
            assert_eq!(
                live,
                keys.join(","),
                "info.stats and result.stats name different fields"
            );
        }
        if frame_mode && start_frames() {
            let frames = self.frames();
            for w in frames.windows(2) {
                assert!(
                    w[0] != w[1],
                    "two flushes in animation frame {} (flush frames: {frames:?})",
                    w[0]
                );
            }
        }
        // Give a misbehaving client a few frames to call back late.
        for _ in 0..3 {
            next_frame().await;
        }
        assert_eq!(
            self.late_calls(),
            0.0,
            "a callback ran after the final result"
        );
    }
}

/// Calls the exported `stream(options)` and awaits its result (panics on rejection).
pub async fn stream(options: &JsValue) -> JsValue {
    match streamguard::web::api::stream(options.clone()).await {
        Ok(v) => v,
        Err(e) => panic!("stream() rejected: {e:?}"),
    }
}

/// Runs scenario `name` (with an extra query) through `stream()` and asserts every
/// expectation the harness lists for it, plus the invariants. Returns the result.
///
/// A timer that fired later than FAULTS.md's window, with nothing else wrong, runs the
/// scenario once more, as `streamguard-harness chaos` re-runs a seed alone: a loaded machine
/// delivers a page's (or a worker's) timer late now and then, and that is the browser's
/// scheduling, not the library's deadline. The note is printed; a second late fire fails.
pub async fn check_scenario(name: &str, query: &str) -> JsValue {
    let (result, fails) = run_scenario_checked(name, query).await;
    if !fails.is_empty() && fails.iter().all(|f| f.starts_with("fired at ")) {
        wasm_bindgen_test::console_log!(
            "note: {name}{query}: {} (re-run once: a late timer)",
            fails.join("; ")
        );
        let (result, fails) = run_scenario_checked(name, query).await;
        assert!(
            fails.is_empty(),
            "{} (the second run); {name}{query}: result {}",
            fails.join("; "),
            json(&result)
        );
        return result;
    }
    assert!(
        fails.is_empty(),
        "{}; {name}{query}: result {}",
        fails.join("; "),
        json(&result)
    );
    result
}

/// One run of [`check_scenario`]: the invariants and the close asserted, the listing's
/// expectations returned.
async fn run_scenario_checked(name: &str, query: &str) -> (JsValue, Vec<String>) {
    start_frames();
    let entry = scenario(name).await;
    let setup = Setup::new(name, &entry, query);
    let hidden = get(&entry, "client.frames").as_bool() == Some(false);
    if hidden {
        set_hidden(true);
    }
    let result = stream(&setup.options).await;
    if hidden {
        set_hidden(false);
    }
    let ctx = format!(
        "{name}{}{query}: result {}",
        if query.is_empty() { "" } else { "?" },
        json(&result)
    );
    let fails = expect_fails(
        &entry,
        &result,
        &setup,
        &ctx,
        streamguard_expect::FireWindow::ON_TIME,
    )
    .await;
    if get(&entry, "expect.serverSeesClose").as_bool() == Some(true) {
        assert_closed(&setup.id, &ctx).await;
    }
    // A hidden page paces flushes by the ~16 ms timer fallback, not by animation frames (the
    // page is hidden only to the library; its frames go on): two ticks can fall in one frame.
    setup.check_invariants(&result, !hidden).await;
    (result, fails)
}

/// Asserts the result's `outcome`, printing the whole result when it differs.
pub fn assert_outcome(result: &JsValue, want: &str) {
    assert_eq!(
        get_str(result, "outcome").as_deref(),
        Some(want),
        "{}",
        json(result)
    );
}

/// Asserts the result's `outcome` and that its text is exactly the scenario's expected text.
pub fn assert_outcome_and_text(result: &JsValue, want: &str, entry: &JsValue) {
    assert_outcome(result, want);
    assert_eq!(get_str(result, "text"), get_str(entry, "expect.text"));
}

/// Asserts the listing's `expect` against a result with the checker `run` uses
/// (`streamguard-expect`, FAULTS.md's on-time window), then asks the harness whether it saw
/// the client close the connection when the scenario expects that.
pub async fn check_expect(entry: &JsValue, result: &JsValue, setup: &Setup, ctx: &str) {
    check_expect_within(
        entry,
        result,
        setup,
        ctx,
        streamguard_expect::FireWindow::ON_TIME,
    )
    .await;
}

/// Whether the page runs in WebKit (Safari's engine; WebKitGTK's MiniBrowser under
/// `scripts/runtime-test.sh webkit`): its user agent names AppleWebKit and no Chrome.
pub fn is_webkit() -> bool {
    let ua = Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|n| Reflect::get(&n, &"userAgent".into()))
        .ok()
        .and_then(|u| u.as_string())
        .unwrap_or_default();
    ua.contains("AppleWebKit") && !ua.contains("Chrome")
}

/// An idle stall fires the idle timeout after the last byte: when the harness wrote its last
/// byte later than planned (a loaded machine), the listing's `fireMs` moves by as much.
/// `closed` is the harness's record of the request (its transcript's `tMs`: when each write
/// happened). The same rule as `idleFromLastWrite` in tests/runtimes/scenarios.mjs.
fn idle_from_last_write(entry: &mut serde_json::Value, closed: &JsValue) {
    let expect = &entry["expect"];
    let (Some(fire), true) = (expect["fireMs"].as_f64(), expect["phase"] == "idle") else {
        return;
    };
    let transcript = get(closed, "transcript");
    if !js_sys::Array::is_array(&transcript) {
        return;
    }
    let writes = js_sys::Array::from(&transcript);
    let Some(last) = writes.iter().last().and_then(|w| get_f64(&w, "tMs")) else {
        return;
    };
    let idle = entry["client"]["idleTimeoutMs"].as_f64().unwrap_or(IDLE_MS);
    if last + idle > fire {
        entry["expect"]["fireMs"] = serde_json::json!(last + idle);
    }
}

/// What an engine's fetch reports differently from the listing, with why: the library reports
/// what the engine hands it (tests/runtimes/scenarios.mjs keeps the same list for Node).
fn engine_expect(entry: &mut serde_json::Value) {
    if is_webkit() && entry["name"] == "content_length_lie" {
        // WebKit ends the body cleanly when the connection closes before Content-Length bytes
        // arrived (Chromium and Firefox error the read): the text so far is reported
        // `truncated` (it ended before the end signal), never `complete`.
        entry["expect"]["outcome"] = serde_json::json!(["truncated"]);
        entry["expect"]["errorCode"] = serde_json::json!("truncated");
    }
}

/// [`check_expect`] with another timer window (a host whose timers start after the request:
/// an existing Response is guarded from the call, after its head arrived).
pub async fn check_expect_within(
    entry: &JsValue,
    result: &JsValue,
    setup: &Setup,
    ctx: &str,
    fire_window: streamguard_expect::FireWindow,
) {
    let fails = expect_fails(entry, result, setup, ctx, fire_window).await;
    assert!(fails.is_empty(), "{}; {ctx}", fails.join("; "));
    let closes = get(entry, "expect.serverSeesClose").as_bool() == Some(true);
    if closes {
        assert_closed(&setup.id, ctx).await;
    }
}

/// What [`check_expect_within`] would report: the listing's expectations that `result` and
/// the recorded flushes do not meet (empty when every one holds).
async fn expect_fails(
    entry: &JsValue,
    result: &JsValue,
    setup: &Setup,
    ctx: &str,
    fire_window: streamguard_expect::FireWindow,
) -> Vec<String> {
    let parse = |what: &str, v: &JsValue| -> serde_json::Value {
        serde_json::from_str(&json(v)).unwrap_or_else(|e| panic!("{what} is not JSON: {e}; {ctx}"))
    };
    let mut entry = parse("the listing entry", entry);
    engine_expect(&mut entry);
    if entry["expect"]["serverSeesClose"] == true {
        idle_from_last_write(&mut entry, &wait_closed(&setup.id).await);
    }
    let result = parse("the result", result);
    let flushes = setup.deltas();
    let observed = streamguard_expect::Observed {
        flushes: &flushes,
        after_result: setup.late_calls() as u64,
        fire_window,
    };
    streamguard_expect::check(&entry["expect"], &result, &observed)
}

/// An options object for `url` with the FAULTS.md timers.
pub fn options(url: &str, protocol: &str) -> Object {
    let o = Object::new();
    set(&o, "url", url);
    set(&o, "protocol", protocol);
    set(&o, "firstByteTimeoutMs", FIRST_BYTE_MS);
    set(&o, "idleTimeoutMs", IDLE_MS);
    set(&o, "contentTimeoutMs", CONTENT_MS);
    set(&o, "totalTimeoutMs", TOTAL_MS);
    o
}

/// Calls `f.call0()`; for the JS handle's methods.
pub fn call_method(obj: &JsValue, name: &str) -> JsValue {
    let f: Function = get(obj, name)
        .dyn_into()
        .unwrap_or_else(|_| panic!("{name} is not a function"));
    f.call0(obj)
        .unwrap_or_else(|e| panic!("{name}() threw: {e:?}"))
}

pub async fn await_promise(p: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::from(p)).await
}

/// One browser test per named scenario, each checked by [`check_scenario`] against the
/// harness's listed expectations, plus `COVERED`: the names, for the every-scenario check.
/// (Textually scoped: the binaries declare this module with `#[macro_use]`.)
#[allow(unused_macros)]
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $name() {
                check_scenario(stringify!($name), "").await;
            }
        )*
        /// The scenarios this binary covers.
        #[allow(dead_code)]
        const COVERED: &[&str] = &[$(stringify!($name)),*];
    };
}
