//! What a correct client reports for a scenario, as the harness publishes it: the expected
//! text and the listing entry of `GET /_harness/scenarios` (whose `expect` object is what
//! `streamguard-expect` checks results against).

use serde_json::{json, Value};

use super::compile::big_text;
use super::schema::{Scenario, Step};

/// The listing gives the expected text up to this many bytes (then `null`, with `textLength`
/// and `textPattern`).
const LISTING_TEXT_LIMIT: usize = 64 * 1024;

impl Scenario {
    /// The expected text: `expect.text`, or every token of the steps concatenated.
    pub(crate) fn expected_text(&self) -> String {
        if let Some(t) = &self.expect.text {
            return t.clone();
        }
        let mut out = String::new();
        for step in &self.steps {
            match step {
                Step::Tokens { tokens, text, .. } => {
                    for t in tokens {
                        out.push_str(t);
                    }
                    if let Some(t) = text {
                        out.push_str(t);
                    }
                }
                Step::BigToken { unit, bytes } => out.push_str(&big_text(unit, *bytes)),
                _ => {}
            }
        }
        out
    }

    /// The listing entry of `GET /_harness/scenarios` (everything a test needs to assert).
    pub(crate) fn listing(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "protocol": self.client_protocol(),
            "wire": self.protocol,
            "status": self.status,
            "server": self.server,
            "path": format!("/scenarios/{}", self.name),
            "client": {
                "firstByteTimeoutMs": self.client.first_byte_timeout_ms,
                "idleTimeoutMs": self.client.idle_timeout_ms,
                "contentTimeoutMs": self.client.content_timeout_ms,
                "totalTimeoutMs": self.client.total_timeout_ms,
                "abortAfterDeltas": self.client.abort_after_deltas,
                "frames": self.client.frames.unwrap_or(true),
                "resume": self.client.resume,
                "maxAttempts": self.client.max_attempts,
            },
            "expect": self.expect_json(LISTING_TEXT_LIMIT),
        })
    }

    /// The listing's `expect` object, with the expected `text` given when it has at most
    /// `text_limit` bytes (`null` otherwise; `textLength` and `textPattern` always).
    pub(crate) fn expect_json(&self, text_limit: usize) -> Value {
        let text = self.expected_text();
        let e = &self.expect;
        let text_value = if text.len() <= text_limit {
            json!(text)
        } else {
            Value::Null
        };
        let pattern = self.steps.iter().find_map(|s| match s {
            Step::BigToken { unit, bytes } => Some(json!({"unit": unit, "bytes": bytes})),
            _ => None,
        });
        json!({
            "outcome": e.outcome.as_ref().map(|o| o.list()),
            "phase": e.phase,
            "finishReason": e.finish_reason,
            "rawFinishReason": e.raw_finish_reason,
            "text": text_value,
            "textLength": text.len(),
            "textPattern": pattern,
            "errorCode": e.error_code,
            "status": e.status,
            "retryAfterMs": e.retry_after_ms,
            "retryable": e.retryable,
            "provider": e.provider,
            "type": e.error_type,
            "messageContains": e.message_contains,
            "eventIndex": e.event_index,
            "fireMs": e.fire_ms,
            "maxDurationMs": e.max_duration_ms,
            "serverSeesClose": self.expects_close(),
            "maxFlushes": e.max_flushes,
            "buffered": e.buffered,
            "deltas": e.deltas,
            "events": e.events,
            "reconnectLastEventId": e.reconnect_last_event_id,
            "reconnectMinGapMs": e.reconnect_min_gap_ms,
        })
    }
}
