//! What `run` sends for a scenario: its chunkings (variants), the client configuration (the
//! FAULTS.md test timer values, then the scenario's `[client]` overrides), the retry policy
//! and the request body.

use bytes::Bytes;
use streamguard::{Config, FlushMode, Protocol, RetryPolicy};
use streamguard_expect::{CONTENT_MS, FIRST_BYTE_MS, IDLE_MS, TOTAL_MS};

use crate::scenario::Scenario;

/// One chunking of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variant {
    /// `none`, `rechunk=7`, `rechunk=random#2`.
    pub label: String,
    /// `?fault=` shorthands.
    pub faults: Vec<String>,
    pub seed: u64,
}

/// Expands a scenario's chunking names.
pub(crate) fn variants(sc: &Scenario, seed: u64, base_only: bool) -> Vec<Variant> {
    let mut out = Vec::new();
    let none = |seed| Variant {
        label: "none".into(),
        faults: vec![],
        seed,
    };
    if base_only {
        return vec![none(seed)];
    }
    let sized = |n: usize, seed| Variant {
        label: format!("rechunk={n}"),
        faults: vec![format!("rechunk:{n}")],
        seed,
    };
    let random = |i: u64, seed: u64| Variant {
        label: if i == 0 {
            "rechunk=random".into()
        } else {
            format!("rechunk=random#{i}")
        },
        faults: vec!["rechunk:random".into()],
        seed: seed.wrapping_add(i),
    };
    for c in sc.chunkings() {
        match c.as_str() {
            "none" => out.push(none(seed)),
            "random" => out.push(random(0, seed)),
            "sweep" => {
                out.push(none(seed));
                for n in (1..=64).chain([128, 256, 512, 1024]) {
                    out.push(sized(n, seed));
                }
                for i in 0..3 {
                    out.push(random(i, seed));
                }
            }
            n => match n.parse::<usize>() {
                Ok(n) => out.push(sized(n, seed)),
                Err(_) => out.push(Variant {
                    label: format!("bad chunking {n}"),
                    faults: vec![format!("bad chunking {n}")],
                    seed,
                }),
            },
        }
    }
    out
}

/// The client configuration for a scenario: FAULTS.md test values, then its overrides.
pub(crate) fn client_config(sc: &Scenario) -> Config {
    let c = &sc.client;
    Config {
        protocol: Protocol::from_name(sc.client_protocol()).unwrap_or(Protocol::Auto),
        first_byte_timeout_ms: c.first_byte_timeout_ms.unwrap_or(FIRST_BYTE_MS),
        idle_timeout_ms: c.idle_timeout_ms.unwrap_or(IDLE_MS),
        content_timeout_ms: c.content_timeout_ms.unwrap_or(CONTENT_MS),
        total_timeout_ms: c.total_timeout_ms.unwrap_or(TOTAL_MS),
        flush: FlushMode::Frame,
        ..Config::default()
    }
}

/// A request body in the provider's shape.
pub(crate) fn request_body(protocol: &str) -> Bytes {
    let v = match protocol {
        "anthropic" => {
            serde_json::json!({"model": "claude-mock", "max_tokens": 256, "stream": true,
            "messages": [{"role": "user", "content": "Say something."}]})
        }
        "openai-responses" => serde_json::json!({"model": "gpt-4o-mini-mock", "stream": true,
            "input": "Say something."}),
        "ollama" => serde_json::json!({"model": "llama3.2-mock", "stream": true,
            "messages": [{"role": "user", "content": "Say something."}]}),
        "gemini" => serde_json::json!({"contents": [{"role": "user",
            "parts": [{"text": "Say something."}]}]}),
        "ai-sdk" => serde_json::json!({"id": "chat-1", "messages": [{"id": "m1", "role": "user",
            "parts": [{"type": "text", "text": "Say something."}]}]}),
        "text" => serde_json::json!({"prompt": "Say something."}),
        _ => serde_json::json!({"model": "gpt-4o-mini-mock", "stream": true,
            "messages": [{"role": "user", "content": "Say something."}]}),
    };
    Bytes::from(v.to_string())
}

/// The retry policy of a scenario's `[client]` (off unless it sets `max_attempts`).
pub(crate) fn retry_policy(sc: &Scenario) -> RetryPolicy {
    RetryPolicy {
        max_attempts: sc.client.max_attempts.unwrap_or(1).max(1),
        resume: sc.client.resume,
        ..RetryPolicy::default()
    }
}
