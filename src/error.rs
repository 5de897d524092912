//! The error vocabulary. Small `Copy` enums near the parser ([`FrameError`]), one top-level
//! [`StreamError`] whose [`ErrorCode::code`] is a stable string: once published it never changes
//! (the CLI, the JS API's TypeScript union and the tests all match on it).

use core::fmt;

use serde::Serialize;

use crate::text::{push_usize, JsonObject};

/// Errors from the framing layer (SSE parser, NDJSON splitter). `Copy`, no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// A line or an event's accumulated data exceeded the configured cap.
    EventTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
}

impl FrameError {
    /// The message (what `Display` writes), built without `core::fmt`.
    pub fn message(&self) -> String {
        match self {
            FrameError::EventTooLarge { limit } => {
                let mut s = String::from("a line or event exceeded the ");
                push_usize(&mut s, *limit);
                s.push_str("-byte cap");
                s
            }
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// Which of the four timers fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StallPhase {
    /// Request start until the first body byte (headers do not count).
    FirstByte,
    /// The longest silence between body bytes after the first one.
    Idle,
    /// The longest time without a content delta, counted from the request.
    Content,
    /// The whole request.
    Total,
}

impl StallPhase {
    /// The stable string (`first_byte`, `idle`, `content`, `total`).
    pub fn code(self) -> &'static str {
        match self {
            StallPhase::FirstByte => "first_byte",
            StallPhase::Idle => "idle",
            StallPhase::Content => "content",
            StallPhase::Total => "total",
        }
    }
}

/// The stable error codes. Each one belongs to exactly one [`Outcome`] (see
/// [`ErrorCode::outcome`], defined next to the outcomes).
///
/// [`Outcome`]: crate::outcome::Outcome
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body ended before the provider's end signal.
    Truncated,
    /// A timer fired; see [`StreamError::phase`].
    Stalled,
    /// The caller aborted.
    Aborted,
    /// A non-2xx response.
    HttpError,
    /// An error object or event inside a 2xx stream.
    ProviderError,
    /// A 2xx response whose Content-Type cannot be the expected stream.
    UnexpectedContentType,
    /// A data line that is not valid JSON.
    InvalidJson,
    /// Valid JSON that is not the provider's shape where a shape is required.
    InvalidEvent,
    /// A line or event over the cap.
    EventTooLarge,
    /// The accumulated text over the cap.
    TextTooLarge,
    /// The connection failed: refused, reset, incomplete chunked body, DNS, CORS.
    NetworkError,
}

impl ErrorCode {
    /// The stable string.
    pub fn code(self) -> &'static str {
        match self {
            ErrorCode::Truncated => "truncated",
            ErrorCode::Stalled => "stalled",
            ErrorCode::Aborted => "aborted",
            ErrorCode::HttpError => "http_error",
            ErrorCode::ProviderError => "provider_error",
            ErrorCode::UnexpectedContentType => "unexpected_content_type",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidEvent => "invalid_event",
            ErrorCode::EventTooLarge => "event_too_large",
            ErrorCode::TextTooLarge => "text_too_large",
            ErrorCode::NetworkError => "network_error",
        }
    }
}

/// The error carried by every outcome other than `complete`. Serialises with the JS API's
/// field names: `{code, message, provider, type, retryable, phase?, status?, retryAfterMs?,
/// providerCode?, eventIndex?, elapsedMs?}`: `provider`, `type` and `retryable` are always
/// present (`null` when absent, so every error has one shape); other absent fields are omitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamError {
    /// The stable code.
    pub code: ErrorCode,
    /// A human-readable sentence; not stable, do not match on it.
    pub message: String,
    /// For `stalled`: which timer fired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<StallPhase>,
    /// For `http_error`: the HTTP status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// For `http_error` (and provider errors that say so): how long to wait before retrying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
    /// For provider errors: `openai`, `anthropic`, `ollama`, `openai-responses`. Always
    /// serialised (`null` when absent), like `type` and `retryable`.
    pub provider: Option<String>,
    /// The provider's error type (`overloaded_error`, `rate_limit_exceeded`, ...).
    #[serde(rename = "type")]
    pub error_type: Option<String>,
    /// The provider's error code when it sends one.
    #[serde(rename = "providerCode", skip_serializing_if = "Option::is_none")]
    pub provider_code: Option<String>,
    /// Whether retrying the same request may succeed (overloaded, rate limited, 5xx).
    pub retryable: Option<bool>,
    /// For framing and decoding errors: the 0-based index of the offending event or line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_index: Option<u64>,
    /// For `stalled`: milliseconds from the request start to the moment the timer fired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<u64>,
}

impl StreamError {
    /// An error with only a code and a message; set the other fields directly.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        StreamError::of(code, message.into())
    }

    /// [`StreamError::new`] without a copy per message type (smaller wasm).
    fn of(code: ErrorCode, message: String) -> Self {
        StreamError {
            code,
            message,
            phase: None,
            status: None,
            retry_after_ms: None,
            provider: None,
            error_type: None,
            provider_code: None,
            retryable: None,
            event_index: None,
            elapsed_ms: None,
        }
    }
}

impl StreamError {
    /// The error object, as serde_json writes it (absent optional fields omitted; `provider`,
    /// `type` and `retryable` always present).
    pub(crate) fn write_json(&self, out: &mut String) {
        let mut o = JsonObject::new(out);
        o.str("code", self.code.code());
        o.str("message", &self.message);
        if let Some(phase) = self.phase {
            o.str("phase", phase.code());
        }
        if let Some(status) = self.status {
            o.u64("status", u64::from(status));
        }
        if let Some(ms) = self.retry_after_ms {
            o.u64("retryAfterMs", ms);
        }
        o.opt_str("provider", self.provider.as_deref());
        o.opt_str("type", self.error_type.as_deref());
        if let Some(code) = &self.provider_code {
            o.str("providerCode", code);
        }
        match self.retryable {
            Some(r) => o.bool("retryable", r),
            None => o.raw("retryable", "null"),
        }
        if let Some(i) = self.event_index {
            o.u64("eventIndex", i);
        }
        if let Some(ms) = self.elapsed_ms {
            o.u64("elapsedMs", ms);
        }
        o.end();
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.code())?;
        f.write_str(": ")?;
        f.write_str(&self.message)
    }
}

impl std::error::Error for StreamError {}

/// `s` in double quotes for a message, escaped like `{:?}` does for text: `"`, `\\`, `\t`,
/// `\r`, `\n`, `\0` and other control characters (`\u{1b}`). Unlike `{:?}`, other chars are
/// kept as they are: this avoids core's Unicode printability tables in the wasm.
pub(crate) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                out.push_str("\\u{");
                // A control char is at most 0x9F: one or two hex digits, lowercase.
                let code = u32::from(c);
                let hex = |d: u32| char::from_digit(d & 0xF, 16).unwrap_or('0');
                if code > 0xF {
                    out.push(hex(code >> 4));
                }
                out.push(hex(code));
                out.push('}');
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn quoted_matches_debug_for_text_and_controls() {
        for s in [
            "plain",
            "a \"q\" \\ b",
            "tab\tcr\rlf\n nul\0",
            "\u{1}\u{1f}\u{7f}\u{80}\u{9f}",
            "Ünïcødé 漢字🎉",
            "",
        ] {
            assert_eq!(quoted(s), format!("{s:?}"));
        }
    }
}
