//! The Rust API's options ([`Options`]: what to fetch, or the Response to read, and how to
//! watch it) and their error ([`InvalidOption`], the JS API's TypeError as a value).

use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, RequestCredentials, Response};

use crate::retry::RetryPolicy;
use crate::session::Config;

#[wasm_bindgen(module = "/src/web/rust.js")]
extern "C" {
    fn reason(e: &JsValue) -> String;
}

/// One streaming request: what to fetch (or the [`Response`] to read) and how to watch it.
///
/// ```no_run
/// # use streamguard::web::Options;
/// let mut options = Options::new("https://api.example.com/v1/chat/completions");
/// options.body = Some(r#"{"model":"m","stream":true,"messages":[]}"#.into());
/// options.headers.push(("content-type".into(), "application/json".into()));
/// options.config.idle_timeout_ms = 10_000;
/// options.config.emit_events = true; // tool calls, usage, ... on `handle.events()`
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    /// The URL (absolute, or relative to the page or Worker); empty with `response`.
    pub url: String,
    /// A Response the caller already has (from its own fetch wrapper or SDK), read instead of
    /// sending a request: its status and Content-Type are checked, its body decoded, every
    /// timer counts from [`open`](super::open), and an abort or a timer cancels its body (a fetched
    /// response's server sees the disconnect). Exclusive with `url`; no retry or resume (they
    /// need a request to send again), no method, headers, body or credentials.
    pub response: Option<Response>,
    /// The method; `None` is `POST` when a body is set, `GET` otherwise.
    pub method: Option<String>,
    /// Request headers, in order.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Option<String>,
    /// The fetch credentials mode; `None` is the browser's default (`same-origin`).
    pub credentials: Option<RequestCredentials>,
    /// Protocol, timers, flush mode and caps (the session's defaults unless set). With
    /// `config.emit_events`, the decoded events other than text go to
    /// [`StreamHandle::events`](super::StreamHandle::events).
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
            response: None,
            method: None,
            headers: Vec::new(),
            body: None,
            credentials: None,
            config: Config::default(),
            retry: RetryPolicy::default(),
            signal: None,
        }
    }

    /// Options that read `response` instead of sending a request (every other default).
    pub fn from_response(response: Response) -> Self {
        Options {
            response: Some(response),
            ..Options::new("")
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

    /// With `response`: nothing that needs a request (`url`, a retry or resume, the method,
    /// headers, body or credentials).
    pub(crate) fn check_response(&self) -> Result<(), InvalidOption> {
        if self.response.is_none() {
            return Ok(());
        }
        let invalid = |option: &str, reason: &str| {
            Err(InvalidOption {
                option: option.into(),
                reason: reason.into(),
            })
        };
        if !self.url.is_empty() {
            return invalid("response", "`response` and `url` are mutually exclusive");
        }
        let needs_url = "needs `url` (a `response` cannot be requested again)";
        if self.retry.max_attempts > 1 || self.retry.resume {
            return invalid("retry", needs_url);
        }
        for (option, set) in [
            ("method", self.method.is_some()),
            ("headers", !self.headers.is_empty()),
            ("body", self.body.is_some()),
            ("credentials", self.credentials.is_some()),
        ] {
            if set {
                return invalid(option, needs_url);
            }
        }
        Ok(())
    }

    /// Whether SSE resume applies: `retry.resume`, protocol `sse`, method GET.
    pub fn resumable(&self) -> bool {
        self.retry.resume
            && self.config.protocol == crate::Protocol::Sse
            && self.effective_method().eq_ignore_ascii_case("GET")
    }
}

/// An option that cannot be used. In JS it is a `TypeError` with this message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidOption {
    /// The option's JS name (`url`, `method`, `headers`, `body`).
    pub option: String,
    /// Why.
    pub reason: String,
}

impl InvalidOption {
    /// From the host's TypeError message `streamguard: invalid option `NAME`: REASON`.
    pub(crate) fn from_js(e: &JsValue) -> Self {
        let message = reason(e);
        match message
            .strip_prefix("streamguard: invalid option `")
            .and_then(|rest| rest.split_once("`: "))
        {
            Some((option, why)) => InvalidOption {
                option: option.into(),
                reason: why.into(),
            },
            None => InvalidOption {
                option: "options".into(),
                reason: message,
            },
        }
    }
}

impl core::fmt::Display for InvalidOption {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "streamguard: invalid option `{}`: {}",
            self.option, self.reason
        )
    }
}

impl std::error::Error for InvalidOption {}
