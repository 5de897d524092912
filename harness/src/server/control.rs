//! The control API under `/_harness/`: the scenario listing, the fault registry, health, and
//! the request registry (a record, or a long poll until the client closed).

use std::time::Duration;

use serde_json::{json, Value};

use super::http::{self, Request};
use super::{not_found, State};
use crate::scenario::Scenario;

/// The longest `wait-closed` long-poll.
const MAX_WAIT_CLOSED: Duration = Duration::from_secs(60);

/// Answers `GET /_harness/{rest}`.
pub(super) async fn answer(rest: &str, req: &Request, state: &State) -> Vec<u8> {
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        ["health"] => http::json(200, &json!({"ok": true, "seed": state.config.seed})),
        ["scenarios"] => {
            let list: Vec<Value> = state
                .config
                .scenarios
                .by_name
                .values()
                .map(Scenario::listing)
                .collect();
            http::json(200, &Value::Array(list))
        }
        ["faults"] => {
            let list: Vec<Value> = crate::faults::REGISTRY
                .iter()
                .map(|(n, d)| json!({"name": n, "description": d}))
                .collect();
            http::json(200, &Value::Array(list))
        }
        ["requests", id] => match state.registry.get(id) {
            Some(rec) => http::json(200, &rec.to_json()),
            None => not_found(&format!("request {id}")),
        },
        ["requests", id, "wait-closed"] => {
            let ms = req
                .param("timeout_ms")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(5000);
            let timeout = Duration::from_millis(ms).min(MAX_WAIT_CLOSED);
            // The record may not exist yet (the client's request is still on its way).
            let deadline = tokio::time::Instant::now() + timeout;
            let rec = loop {
                if let Some(r) = state.registry.get(id) {
                    break Some(r);
                }
                if tokio::time::Instant::now() >= deadline {
                    break None;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            };
            match rec {
                Some(rec) => {
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    rec.wait_closed(left).await;
                    http::json(200, &rec.to_json())
                }
                None => not_found(&format!("request {id}")),
            }
        }
        _ => not_found(&format!("/_harness/{rest}")),
    }
}
