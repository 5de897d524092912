//! The Rust API for web frontends (Yew, Leptos, Dioxus, ...): the same loop as the JS API, as
//! a [`futures::Stream`] of text batches plus the final [`StreamResult`].

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::Stream;

use super::host::{self, Shared, Sink};
use super::options::{Callbacks, InvalidOption, Options};
use crate::outcome::StreamResult;

/// Starts a streaming request now (spawned on the page's or Worker's event loop).
///
/// The handle is a [`Stream`] of text batches (the batches of the flush mode; text not taken
/// yet is coalesced into the next item); it ends after the final flush. Its
/// [`result`](StreamHandle::result) is the [`StreamResult`], whatever it is (complete, stalled,
/// aborted, ...). Dropping the handle (or the result future) before the end aborts the
/// request: the fetch is aborted, the reader cancelled, the timer cleared.
///
/// Fails only when the options cannot make a request (bad URL, method or header).
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
    options.request(None, None)?;
    let shared = Rc::new(Shared::default());
    let sink = Sink {
        callbacks: Callbacks::default(),
        shared: Some(shared.clone()),
    };
    wasm_bindgen_futures::spawn_local(async move {
        host::run(options, sink).await;
    });
    Ok(StreamHandle {
        shared: Some(shared),
    })
}

/// A running request: a [`Stream`] of text batches. See [`open`].
pub struct StreamHandle {
    /// `None` once moved into the result future.
    shared: Option<Rc<Shared>>,
}

impl StreamHandle {
    /// Aborts the request (the outcome becomes `aborted` unless it already ended).
    pub fn abort(&self) {
        if let Some(s) = &self.shared {
            s.abort();
        }
    }

    /// Whether the outcome is known.
    pub fn is_finished(&self) -> bool {
        self.shared.as_ref().is_some_and(|s| s.is_finished())
    }

    /// The final outcome. Text not taken from the stream is in `outcome.text` anyway.
    /// Dropping the returned future before it completes aborts the request.
    pub fn result(mut self) -> ResultFuture {
        ResultFuture {
            shared: self.shared.take(),
        }
    }
}

impl Stream for StreamHandle {
    type Item = String;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<String>> {
        match &self.shared {
            Some(s) => s.poll_text(cx),
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

/// The future of [`StreamHandle::result`].
#[derive(Debug)]
pub struct ResultFuture {
    shared: Option<Rc<Shared>>,
}

impl Future for ResultFuture {
    type Output = StreamResult;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<StreamResult> {
        match &self.shared {
            Some(s) => s.poll_outcome(cx),
            // Unreachable through the API: `result` always sets it.
            None => Poll::Pending,
        }
    }
}

impl Drop for ResultFuture {
    fn drop(&mut self) {
        if let Some(s) = &self.shared {
            s.abort();
        }
    }
}
