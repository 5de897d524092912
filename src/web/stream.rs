//! The Rust API for web frontends (Yew, Leptos, Dioxus, ...): the same host loop as the JS API
//! (`host.js` around a [`Guard`](super::guard::Guard)), as a [`futures::Stream`] of text batches,
//! a [`futures::Stream`] of the decoded events ([`StreamHandle::events`]) and the final
//! [`StreamResult`], for a request it sends or a `web_sys::Response` the caller already has.
//! The Guard hands text, events and the result straight to the handle's [`Shared`] state: no
//! Rust closure is given to JS, so nothing can call back into a dropped handle.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures::Stream;
use wasm_bindgen::prelude::*;
use web_sys::{AbortSignal, RequestCredentials, Response};

use super::guard::Guard;
use super::options::{InvalidOption, Options};
use crate::decode::StreamEvent;
use crate::outcome::StreamResult;

#[wasm_bindgen(module = "/src/web/rust.js")]
extern "C" {
    /// The host's per-stream object.
    type Call;
    #[wasm_bindgen(catch)]
    fn prepare(
        url: &str,
        method: Option<&str>,
        headers: Vec<String>,
        body: Option<&str>,
        credentials: Option<&str>,
        signal: Option<&AbortSignal>,
        response: Option<&Response>,
    ) -> Result<Call, JsValue>;
}

#[wasm_bindgen(module = "/src/web/options.js")]
extern "C" {
    fn seed() -> f64;
}

#[wasm_bindgen(module = "/src/web/host.js")]
extern "C" {
    /// The JS `StreamHandle`.
    type JsHandle;
    #[wasm_bindgen(js_name = open)]
    fn open_js(call: &Call, guard: Guard) -> JsHandle;
    #[wasm_bindgen(method)]
    fn abort(this: &JsHandle);
    fn now() -> f64;
}

/// What the Guard hands a Rust handle.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Flushed text not yet taken by the stream (coalesced).
    pending: RefCell<String>,
    /// Decoded events not yet taken by [`StreamHandle::events`] (with `emit_events`).
    events: RefCell<VecDeque<StreamEvent>>,
    /// The final outcome, once there.
    outcome: RefCell<Option<StreamResult>>,
    /// Consumers waiting for text or the outcome.
    waiters: RefCell<Vec<Waker>>,
}

impl Shared {
    fn wake(&self) {
        let waiters = core::mem::take(&mut *self.waiters.borrow_mut());
        for w in waiters {
            w.wake();
        }
    }

    pub(crate) fn push_text(&self, text: &str) {
        self.pending.borrow_mut().push_str(text);
        self.wake();
    }

    pub(crate) fn push_event(&self, event: StreamEvent) {
        self.events.borrow_mut().push_back(event);
        self.wake();
    }

    pub(crate) fn finish(&self, outcome: StreamResult) {
        *self.outcome.borrow_mut() = Some(outcome);
        self.wake();
    }

    fn poll_text(&self, cx: &mut Context<'_>) -> Poll<Option<String>> {
        let mut pending = self.pending.borrow_mut();
        if !pending.is_empty() {
            return Poll::Ready(Some(core::mem::take(&mut *pending)));
        }
        if self.outcome.borrow().is_some() {
            return Poll::Ready(None);
        }
        self.waiters.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }

    fn poll_event(&self, cx: &mut Context<'_>) -> Poll<Option<StreamEvent>> {
        if let Some(e) = self.events.borrow_mut().pop_front() {
            return Poll::Ready(Some(e));
        }
        if self.outcome.borrow().is_some() {
            return Poll::Ready(None);
        }
        self.waiters.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }

    fn poll_outcome(&self, cx: &mut Context<'_>) -> Poll<StreamResult> {
        if let Some(o) = &*self.outcome.borrow() {
            return Poll::Ready(o.clone());
        }
        self.waiters.borrow_mut().push(cx.waker().clone());
        Poll::Pending
    }
}

/// The shared state and the JS handle that aborts the request.
struct Link {
    shared: Rc<Shared>,
    js: JsHandle,
}

impl Link {
    fn abort(&self) {
        if self.shared.outcome.borrow().is_none() {
            self.js.abort();
        }
    }
}

/// Starts a streaming request now (on the page's or Worker's event loop).
///
/// The handle is a [`Stream`] of text batches (the batches of the flush mode; text not taken
/// yet is coalesced into the next item); it ends after the final flush. Its
/// [`result`](StreamHandle::result) is the [`StreamResult`], whatever it is (complete, stalled,
/// aborted, ...). Dropping the handle (or the result future) before the end aborts the
/// request: the fetch is aborted, the reader cancelled, the timer cleared.
///
/// Fails only when the options cannot make a request (bad URL, method or header), or
/// `response` cannot be read (its body used or locked) or comes with request options.
///
/// ```no_run
/// # async fn demo() -> Result<(), streamguard::web::InvalidOption> {
/// use futures::StreamExt;
/// use streamguard::web::{open, Options};
///
/// let mut options = Options::new("/v1/chat/completions");
/// options.body = Some(r#"{"model":"m","stream":true,"messages":[]}"#.into());
/// options.headers.push(("content-type".into(), "application/json".into()));
/// let mut handle = open(options)?;
/// let mut shown = String::new();
/// while let Some(batch) = handle.next().await {
///     shown.push_str(&batch); // render
/// }
/// let outcome = handle.result().await;
/// assert_eq!(outcome.text, shown);
/// # Ok(()) }
/// ```
pub fn open(options: Options) -> Result<StreamHandle, InvalidOption> {
    options.check_response()?;
    let headers = options
        .headers
        .iter()
        .flat_map(|(n, v)| [n.clone(), v.clone()])
        .collect();
    let credentials = options.credentials.map(|c| match c {
        RequestCredentials::Omit => "omit",
        RequestCredentials::Include => "include",
        _ => "same-origin",
    });
    let call = prepare(
        &options.url,
        options.method.as_deref(),
        headers,
        options.body.as_deref(),
        credentials,
        options.signal.as_ref(),
        options.response.as_ref(),
    )
    .map_err(|e| InvalidOption::from_js(&e))?;
    let shared = Rc::new(Shared::default());
    let get = options.effective_method().eq_ignore_ascii_case("GET");
    let policy = options.response.is_none().then_some(options.retry);
    let guard = Guard::rust(
        options.config,
        policy,
        get,
        seed() as u64,
        now(),
        shared.clone(),
    );
    let js = open_js(&call, guard);
    Ok(StreamHandle {
        link: Some(Link { shared, js }),
    })
}

/// A running request: a [`Stream`] of text batches. See [`open`].
pub struct StreamHandle {
    /// `None` once moved into the result future.
    link: Option<Link>,
}

impl StreamHandle {
    /// Aborts the request (the outcome becomes `aborted` unless it already ended).
    pub fn abort(&self) {
        if let Some(l) = &self.link {
            l.abort();
        }
    }

    /// The decoded events other than text (thinking, tool-call fragments, usage, the finish
    /// reason, keep-alives, meta), in order, as they arrive (not paced by the flush mode). Only
    /// with `options.config.emit_events` (otherwise it just ends with the stream). Ends once
    /// the outcome is known and every event was taken; the text stays on the handle itself.
    ///
    /// ```no_run
    /// # async fn demo(options: streamguard::web::Options) {
    /// use futures::StreamExt;
    /// use streamguard::StreamEvent;
    /// let mut handle = streamguard::web::open(options).unwrap();
    /// let mut events = handle.events();
    /// while let Some(event) = events.next().await {
    ///     if let StreamEvent::ToolCall { name, arguments, .. } = event {
    ///         let _ = (name, arguments); // show the call as it streams
    ///     }
    /// }
    /// let result = handle.result().await;
    /// # let _ = result; }
    /// ```
    pub fn events(&mut self) -> Events<'_> {
        Events { handle: self }
    }

    /// Whether the outcome is known.
    pub fn is_finished(&self) -> bool {
        self.link
            .as_ref()
            .is_some_and(|l| l.shared.outcome.borrow().is_some())
    }

    /// The final outcome. Text not taken from the stream is in `outcome.text` anyway.
    /// Dropping the returned future before it completes aborts the request.
    pub fn result(mut self) -> ResultFuture {
        ResultFuture {
            link: self.link.take(),
        }
    }
}

impl Stream for StreamHandle {
    type Item = String;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<String>> {
        match &self.link {
            Some(l) => l.shared.poll_text(cx),
            None => Poll::Ready(None),
        }
    }
}

impl Drop for StreamHandle {
    fn drop(&mut self) {
        self.abort();
    }
}

impl core::fmt::Debug for StreamHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// The decoded events of a [`StreamHandle`]: see [`StreamHandle::events`].
pub struct Events<'a> {
    handle: &'a mut StreamHandle,
}

impl Stream for Events<'_> {
    type Item = StreamEvent;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamEvent>> {
        match &self.handle.link {
            Some(l) => l.shared.poll_event(cx),
            None => Poll::Ready(None),
        }
    }
}

impl core::fmt::Debug for Events<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

/// The future of [`StreamHandle::result`].
pub struct ResultFuture {
    link: Option<Link>,
}

impl Future for ResultFuture {
    type Output = StreamResult;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<StreamResult> {
        match &self.link {
            Some(l) => l.shared.poll_outcome(cx),
            // Unreachable through the API: `result` always sets it.
            None => Poll::Pending,
        }
    }
}

impl Drop for ResultFuture {
    fn drop(&mut self) {
        if let Some(l) = &self.link {
            l.abort();
        }
    }
}

impl core::fmt::Debug for ResultFuture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ResultFuture").finish_non_exhaustive()
    }
}
