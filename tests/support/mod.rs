//! The support module of the native tests: every `tests/*.rs` binary that needs a helper
//! includes it with `mod support;` and uses the submodule it needs (the browser tests have
//! their own, `web_support`). Not every binary uses every helper, hence the `dead_code`
//! allowance.
//!
//! - [`chunking`]: ways of cutting a byte stream into chunks, and a seeded RNG.
//! - [`framing`]: runners for the SSE parser and the NDJSON splitter.
//! - [`decode`]: the decoder fixtures, a decoder runner, the comparison with `*.expected.json`.
//! - [`session`]: a virtual-clock driver for `Session`, and provider wire builders.
#![allow(dead_code)]

pub mod chunking;
pub mod decode;
pub mod framing;
pub mod session;
