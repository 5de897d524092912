//! The browser layer (wasm32 only): `fetch` + `ReadableStream` + `AbortController` driving a
//! [`Session`](crate::Session), as a typed JS API and as a Rust [`futures::Stream`].
//!
//! This is the only module that touches wasm-bindgen, web-sys and js-sys. It works on the
//! main thread and in a dedicated Worker (no `window` or `document` assumed).
//!
//! - [`api`]: `stream(options)`, `open(options)` and the `StreamHandle` class for JS.
//! - [`open`] / [`StreamHandle`]: the same for Rust web frontends.
//! - `host`: the loop. One `fetch` per attempt with its own `AbortController`, linked to the
//!   caller's `AbortSignal`; the body read with a `ReadableStreamDefaultReader`, each chunk
//!   handed to the session in ONE `handle_bytes` call (one copy out of JS); ONE `setTimeout`
//!   armed for `poll_deadline()`; animation frames for `frame` flushes, with a timer
//!   fallback where there are no frames (hidden page, Worker) and a re-check of the
//!   deadlines on `visibilitychange` and on every wake-up. At most one `onText` per frame.
//! - On every ending (complete, stall, abort, error, the handle dropped) the fetch is aborted
//!   if still open, the reader cancelled and released, the timer cleared, the listeners
//!   removed: every resource is an RAII value, and no callback runs after the final result.
//! - Retries follow the [`RetryPolicy`](crate::RetryPolicy), never after content.
//!
//! Boundary cost: per network read one `handle_bytes` (one copy of the chunk into wasm
//! memory; the promise machinery of `wasm-bindgen-futures` adds its resolve callback and
//! one executor tick); per flush one string crosses to JS (`onText(delta, info)`; `info`
//! is one object per stream whose `text` and `stats` are computed only when read). The
//! result is one JSON string parsed by `JSON.parse`.

pub mod api;
mod host;
mod options;
mod stream;
mod sys;

pub use options::{InvalidOption, Options};
pub use stream::{open, ResultFuture, StreamHandle};
