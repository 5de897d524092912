//! Scenarios: data (TOML or JSON files), compiled to a wire plan per request.
//!
//! Each file holds the scenario's name (the one used in `FAULTS.md`), what the server does
//! (`status`, `headers`, `steps`, `faults`), and what a correct client reports (`[expect]`),
//! plus the client settings and chunkings `run` uses. The built-in scenarios are the files in
//! `harness/scenarios/`, embedded at build time; `--scenarios DIR` adds (or overrides)
//! scenarios from user files at start.
//!
//! - `schema`: the file format (serde types and defaults, unknown fields rejected).
//! - `load`: bytes to a validated scenario, errors naming the file and field; the set a
//!   server knows.
//! - `builtin`: the embedded files.
//! - `compile`: steps to a wire plan, then the scenario's and the request's faults.
//! - `listing`: the expected text and the `GET /_harness/scenarios` entry.

mod builtin;
mod compile;
mod listing;
mod load;
mod schema;

pub(crate) use load::ScenarioSet;
pub(crate) use schema::{Framing, Scenario};

#[cfg(test)]
mod tests;
