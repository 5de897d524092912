//! The request options: the Rust [`Options`] and the parsing of the JS options object, which
//! fails with a `TypeError` naming the bad option.

use core::fmt;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortSignal, Headers, Request, RequestCredentials, RequestInit};

use crate::decode::Protocol;
use crate::error::quoted;
use crate::retry::RetryPolicy;
use crate::session::{Config, FlushMode, SmoothUnit};

/// One streaming request: what to fetch and how to watch it.
///
/// ```no_run
/// # use streamguard::web::Options;
/// let mut options = Options::new("https://api.example.com/v1/chat/completions");
/// options.body = Some(r#"{"model":"m","stream":true,"messages":[]}"#.into());
/// options.headers.push(("content-type".into(), "application/json".into()));
/// options.config.idle_timeout_ms = 10_000;
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    /// The URL (absolute, or relative to the page or Worker).
    pub url: String,
    /// The method; `None` is `POST` when a body is set, `GET` otherwise.
    pub method: Option<String>,
    /// Request headers, in order.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Option<String>,
    /// The fetch credentials mode; `None` is the browser's default (`same-origin`).
    pub credentials: Option<RequestCredentials>,
    /// Protocol, timers, flush mode and caps (the session's defaults unless set).
    pub config: Config,
    /// When to retry (off by default). Never after content, except the SSE resume of a raw
    /// `sse` GET stream (`retry.resume`), which reconnects with `Last-Event-ID`.
    pub retry: RetryPolicy,
    /// The caller's signal: aborting it ends the stream with `aborted` (already aborted:
    /// at once, without a request).
    pub signal: Option<AbortSignal>,
}

impl Options {
    /// Options for `url` with every default.
    pub fn new(url: impl Into<String>) -> Self {
        Options {
            url: url.into(),
            method: None,
            headers: Vec::new(),
            body: None,
            credentials: None,
            config: Config::default(),
            retry: RetryPolicy::default(),
            signal: None,
        }
    }

    /// The method actually sent.
    pub fn effective_method(&self) -> &str {
        match &self.method {
            Some(m) => m,
            None if self.body.is_some() => "POST",
            None => "GET",
        }
    }

    /// Whether SSE resume applies: `retry.resume`, protocol `sse`, method GET.
    pub fn resumable(&self) -> bool {
        self.retry.resume
            && self.config.protocol == Protocol::Sse
            && self.effective_method().eq_ignore_ascii_case("GET")
    }

    /// Builds the `Request` for one attempt, tied to `signal` (the attempt's controller), with
    /// `Last-Event-ID: last_event_id` when resuming (replacing one given in `headers`).
    pub(crate) fn request(
        &self,
        signal: Option<&AbortSignal>,
        last_event_id: Option<&str>,
    ) -> Result<Request, InvalidOption> {
        let headers = Headers::new().map_err(|e| InvalidOption::js("headers", &e))?;
        for (name, value) in &self.headers {
            headers
                .append(name, value)
                .map_err(|e| InvalidOption::js("headers", &e))?;
        }
        if let Some(id) = last_event_id.filter(|id| !id.is_empty()) {
            headers
                .set("last-event-id", id)
                .map_err(|e| InvalidOption::js("headers", &e))?;
        }
        let method = self.effective_method();
        if self.body.is_some()
            && (method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD"))
        {
            return Err(InvalidOption::new(
                "body",
                format!("a {method} request cannot have a body"),
            ));
        }
        let init = RequestInit::new();
        init.set_method(method);
        init.set_headers(&headers);
        if let Some(body) = &self.body {
            init.set_body(&JsValue::from_str(body));
        }
        if let Some(credentials) = self.credentials {
            init.set_credentials(credentials);
        }
        init.set_signal(signal);
        Request::new_with_str_and_init(&self.url, &init).map_err(|e| {
            // Tell the URL apart from the method: a bare request to the URL builds or not.
            match Request::new_with_str(&self.url) {
                Err(_) => InvalidOption::js("url", &e),
                Ok(_) => InvalidOption::js("method", &e),
            }
        })
    }
}

/// An option that cannot be used. In JS it is a `TypeError` with this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidOption {
    /// The option's JS name (`url`, `protocol`, `idleTimeoutMs`, ...).
    pub option: String,
    /// Why.
    pub reason: String,
}

impl InvalidOption {
    fn new(option: &str, reason: impl Into<String>) -> Self {
        InvalidOption {
            option: option.into(),
            reason: reason.into(),
        }
    }

    fn js(option: &str, e: &JsValue) -> Self {
        InvalidOption::new(option, super::sys::error_message(e))
    }

    /// The `TypeError` thrown or rejected by the JS API.
    pub fn to_js(&self) -> JsValue {
        js_sys::TypeError::new(&self.to_string()).into()
    }
}

impl fmt::Display for InvalidOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "streamguard: invalid option `{}`: {}",
            self.option, self.reason
        )
    }
}

impl std::error::Error for InvalidOption {}

/// The JS callbacks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Callbacks {
    pub on_text: Option<Function>,
    pub on_event: Option<Function>,
}

const KNOWN: &[&str] = &[
    "url",
    "method",
    "headers",
    "body",
    "credentials",
    "protocol",
    "firstByteTimeoutMs",
    "idleTimeoutMs",
    "contentTimeoutMs",
    "totalTimeoutMs",
    "maxEventBytes",
    "maxTextBytes",
    "signal",
    "flush",
    "retry",
    "onText",
    "onEvent",
];

fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    let v = Reflect::get(obj, &JsValue::from_str(key)).ok()?;
    if v.is_undefined() || v.is_null() {
        None
    } else {
        Some(v)
    }
}

fn string(obj: &JsValue, key: &str) -> Result<Option<String>, InvalidOption> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| InvalidOption::new(key, "expected a string")),
    }
}

/// A non-negative finite number of milliseconds (or bytes), rounded up.
fn count(obj: &JsValue, key: &str, min: u32) -> Result<Option<u64>, InvalidOption> {
    let Some(v) = get(obj, key) else {
        return Ok(None);
    };
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= f64::from(min) => Ok(Some(n.ceil() as u64)),
        _ => Err(InvalidOption::new(
            key,
            format!("expected a finite number >= {min}, got {}", describe(&v)),
        )),
    }
}

/// `"text"` for strings, the number for numbers, else the type (formatted by JS: no float
/// formatting code in the wasm).
fn describe(v: &JsValue) -> String {
    super::sys::describe(v)
}

fn function(obj: &JsValue, key: &str) -> Result<Option<Function>, InvalidOption> {
    match get(obj, key) {
        None => Ok(None),
        Some(v) => v.dyn_into::<Function>().map(Some).map_err(|v| {
            InvalidOption::new(key, format!("expected a function, got {}", describe(&v)))
        }),
    }
}

fn headers(v: &JsValue) -> Result<Vec<(String, String)>, InvalidOption> {
    let bad = || {
        InvalidOption::new(
            "headers",
            "expected a Headers, an array of [name, value] pairs or an object of strings",
        )
    };
    if let Some(h) = v.dyn_ref::<Headers>() {
        let flat = super::sys::header_pairs(h);
        return Ok(flat
            .chunks(2)
            .filter_map(|p| Some((p.first()?.clone(), p.get(1)?.clone())))
            .collect());
    }
    if js_sys::Array::is_array(v) {
        let mut out = Vec::new();
        for pair in js_sys::Array::from(v).iter() {
            if !js_sys::Array::is_array(&pair) {
                return Err(bad());
            }
            let pair = js_sys::Array::from(&pair);
            match (
                pair.length(),
                pair.get(0).as_string(),
                pair.get(1).as_string(),
            ) {
                (2, Some(n), Some(v)) => out.push((n, v)),
                _ => return Err(bad()),
            }
        }
        return Ok(out);
    }
    if !v.is_object() {
        return Err(bad());
    }
    let mut out = Vec::new();
    for entry in Object::entries(v.unchecked_ref()).iter() {
        let entry = js_sys::Array::from(&entry);
        match (entry.get(0).as_string(), entry.get(1).as_string()) {
            (Some(n), Some(v)) => out.push((n, v)),
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

fn flush(v: &JsValue) -> Result<FlushMode, InvalidOption> {
    let bad = |why: &str| {
        InvalidOption::new(
            "flush",
            format!("expected \"frame\", \"immediate\", {{ intervalMs }} or {{ smooth: \"word\" | \"grapheme\" }}{why}"),
        )
    };
    if let Some(s) = v.as_string() {
        return match s.as_str() {
            "frame" => Ok(FlushMode::Frame),
            "immediate" => Ok(FlushMode::Immediate),
            _ => Err(bad(&format!(", got {}", quoted(&s)))),
        };
    }
    if !v.is_object() {
        return Err(bad(""));
    }
    if let Some(interval) = get(v, "intervalMs") {
        return match interval.as_f64() {
            Some(ms) if ms.is_finite() && ms >= 1.0 => Ok(FlushMode::Interval {
                ms: ms.ceil() as u64,
            }),
            _ => Err(bad(" (intervalMs must be a finite number >= 1)")),
        };
    }
    match get(v, "smooth").and_then(|s| s.as_string()).as_deref() {
        Some("word") => Ok(FlushMode::Smooth {
            unit: SmoothUnit::Word,
        }),
        Some("grapheme") => Ok(FlushMode::Smooth {
            unit: SmoothUnit::Grapheme,
        }),
        _ => Err(bad("")),
    }
}

fn retry(v: &JsValue) -> Result<RetryPolicy, InvalidOption> {
    if v.as_bool() == Some(false) {
        return Ok(RetryPolicy::default());
    }
    if !v.is_object() {
        return Err(InvalidOption::new(
            "retry",
            "expected an object { maxAttempts, baseDelayMs, maxDelayMs, maxRetryAfterMs, resume }",
        ));
    }
    for key in Object::keys::<JsValue>(v.unchecked_ref()).iter() {
        let key = key.as_string().unwrap_or_default();
        if ![
            "maxAttempts",
            "baseDelayMs",
            "maxDelayMs",
            "maxRetryAfterMs",
            "resume",
        ]
        .contains(&key.as_str())
        {
            return Err(InvalidOption::new(
                "retry",
                format!("unknown field `{key}`"),
            ));
        }
    }
    // Passing a policy object means "retry": without `maxAttempts` it is 3 attempts in all.
    let mut policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let field = |key: &str, min: u32| {
        count(v, key, min)
            .map_err(|e| InvalidOption::new("retry", format!("`{key}`: {}", e.reason)))
    };
    if let Some(n) = field("maxAttempts", 1)? {
        policy.max_attempts = u32::try_from(n).unwrap_or(u32::MAX);
    }
    if let Some(n) = field("baseDelayMs", 0)? {
        policy.base_delay_ms = n;
    }
    if let Some(n) = field("maxDelayMs", 0)? {
        policy.max_delay_ms = n;
    }
    if let Some(n) = field("maxRetryAfterMs", 0)? {
        policy.max_retry_after_ms = n;
    }
    if let Some(r) = get(v, "resume") {
        policy.resume = r
            .as_bool()
            .ok_or_else(|| InvalidOption::new("retry", "`resume`: expected a boolean"))?;
    }
    Ok(policy)
}

/// Parses the JS options object.
pub(crate) fn parse(js: &JsValue) -> Result<(Options, Callbacks), InvalidOption> {
    if !js.is_object() || js.is_function() {
        return Err(InvalidOption::new("options", "expected an options object"));
    }
    for key in Object::keys::<JsValue>(js.unchecked_ref()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !KNOWN.contains(&key.as_str()) {
            return Err(InvalidOption::new(&key, "unknown option"));
        }
    }
    let url = match get(js, "url") {
        None => return Err(InvalidOption::new("url", "required")),
        Some(v) => match v.as_string() {
            Some(s) => s,
            // A `URL` object.
            None => match get(&v, "href").and_then(|h| h.as_string()) {
                Some(href) => href,
                None => return Err(InvalidOption::new("url", "expected a string or a URL")),
            },
        },
    };
    let mut options = Options::new(url);
    options.method = string(js, "method")?;
    if let Some(h) = get(js, "headers") {
        options.headers = headers(&h)?;
    }
    options.body = string(js, "body")?;
    if let Some(c) = string(js, "credentials")? {
        options.credentials = Some(match c.as_str() {
            "omit" => RequestCredentials::Omit,
            "same-origin" => RequestCredentials::SameOrigin,
            "include" => RequestCredentials::Include,
            _ => {
                return Err(InvalidOption::new(
                    "credentials",
                    format!(
                        "expected \"omit\", \"same-origin\" or \"include\", got {}",
                        quoted(&c)
                    ),
                ))
            }
        });
    }
    let config = &mut options.config;
    if let Some(p) = string(js, "protocol")? {
        config.protocol = Protocol::from_name(&p).ok_or_else(|| {
            InvalidOption::new(
                "protocol",
                format!("expected \"openai\", \"openai-responses\", \"anthropic\", \"ollama\", \"sse\" or \"auto\", got {}", quoted(&p)),
            )
        })?;
    }
    if let Some(ms) = count(js, "firstByteTimeoutMs", 0)? {
        config.first_byte_timeout_ms = ms;
    }
    if let Some(ms) = count(js, "idleTimeoutMs", 0)? {
        config.idle_timeout_ms = ms;
    }
    if let Some(ms) = count(js, "contentTimeoutMs", 0)? {
        config.content_timeout_ms = ms;
    }
    if let Some(ms) = count(js, "totalTimeoutMs", 0)? {
        config.total_timeout_ms = ms;
    }
    if let Some(n) = count(js, "maxEventBytes", 1)? {
        config.max_event_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(n) = count(js, "maxTextBytes", 1)? {
        config.max_text_bytes = usize::try_from(n).unwrap_or(usize::MAX);
    }
    if let Some(f) = get(js, "flush") {
        config.flush = flush(&f)?;
    }
    if let Some(s) = get(js, "signal") {
        options.signal = Some(
            s.dyn_into::<AbortSignal>()
                .map_err(|_| InvalidOption::new("signal", "expected an AbortSignal"))?,
        );
    }
    if let Some(r) = get(js, "retry") {
        options.retry = retry(&r)?;
    }
    let callbacks = Callbacks {
        on_text: function(js, "onText")?,
        on_event: function(js, "onEvent")?,
    };
    options.config.emit_events = callbacks.on_event.is_some();
    // Build the request once now, so a bad URL, method or header is a TypeError here rather
    // than a network error later.
    options.request(None, None)?;
    if options.retry.resume
        && (options.config.protocol != Protocol::Sse
            || !options.effective_method().eq_ignore_ascii_case("GET"))
    {
        return Err(InvalidOption::new(
            "retry",
            "`resume` needs protocol \"sse\" and a GET request",
        ));
    }
    Ok((options, callbacks))
}
