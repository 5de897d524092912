//! The browser layer (wasm32 only): `fetch` + `ReadableStream` + `AbortController` around the
//! core's [`Driver`](crate::Driver), as a typed JS API and as a Rust [`futures::Stream`].
//!
//! This is the only module that touches wasm-bindgen, web-sys and js-sys. It works on the
//! main thread, in a dedicated Worker and in server runtimes (Node, Deno, Workers): no
//! `window`, `document` or `requestAnimationFrame` assumed.
//!
//! ```text
//!  options ──options.js validate()──> Call ──> Guard::new (wasm: the Driver, all the policy)
//!                                               ▲  one call per event, returning flags
//!  host.js loop: fetch, reader.read() ──────────┤  on: read / eof / abort / timer / frame; withText: head / error
//!    ONE setTimeout at deadline()               │  ABORT · CONNECT · FINISHED · FRAME · REARM
//!    requestAnimationFrame (or a 16 ms timer)   │
//!    visibilitychange re-check                  └─ sink.t(text) once per call; onText/onEvent after it
//! ```
//!
//! - `options.js` (an ES module, a wasm-bindgen snippet): option validation (the TypeErrors)
//!   into the stream's `Call`, the Guard's sink.
//! - `host.js` (likewise): the loop, the `StreamHandle` class and the `info` object of
//!   `onText`. Glue only: it asks the Guard what to do and never decides a retry, a resume, a
//!   flush or an outcome.
//! - `guard`: the `Guard`, the wasm side of that loop (its module docs describe the ABI).
//! - `api` (feature `js-api`): `stream(options)`, `open(options)` and `guard(options)` as wasm
//!   exports, and the TypeScript declarations. The npm package (`npm/entry.js`) builds the
//!   same three in JS around the `Guard` and ships a wasm without them.
//! - [`open`] / [`StreamHandle`]: the same loop for Rust web frontends, with its
//!   [`Options`] and [`InvalidOption`] (`options.rs`).
//!
//! The bytes come from a `fetch` the host sends (the global one or the caller's `fetch`
//! option, once per attempt the Driver asks for), from a Response the caller already has
//! (`response`: one attempt, `Driver::for_response`), or from a pipe (`guard()`: a readable and
//! writable pair whose writes are the network reads). The same loop, the same Guard ABI.
//!
//! Boundary cost per network read: one JS->wasm call (`feed`, one copy of the chunk into wasm
//! memory), at most one string back (the flushed text), at most one `onText` (in immediate
//! mode every delta of one read is coalesced). `info` is one object per stream whose `text`
//! and `stats` are computed only when read. The result crosses once at the end: its JSON
//! without the text, plus the text as one string.

#[cfg(feature = "js-api")]
pub mod api;
mod guard;
#[cfg(feature = "rust-api")]
mod options;
#[cfg(feature = "rust-api")]
mod stream;

#[cfg(feature = "rust-api")]
pub use options::{InvalidOption, Options};
#[cfg(feature = "rust-api")]
pub use stream::{open, Events, ResultFuture, StreamHandle};

// Talc instead of the default dlmalloc (see Cargo.toml for the measurement).
#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
