//! Error bodies: the provider's error object in a non-2xx body or in a JSON body where a
//! stream was expected, and the errors built from them.

use crate::decode::Protocol;
use crate::error::{ErrorCode, StreamError};
use crate::json::{Json, Tape};
use crate::retryable::{is_retryable_provider_error, is_retryable_status};
use crate::text::{cat, decimal, lossy};

/// The most bytes of a non-stream body the session keeps (error bodies, JSON bodies).
pub const ERROR_BODY_PREFIX: usize = 64 * 1024;

/// The bytes of an unexpected body shown in the `unexpected_content_type` message.
pub const BODY_PREVIEW_BYTES: usize = 200;

/// An error found in a JSON body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorInfo {
    /// The provider's message.
    pub message: Option<String>,
    /// The provider's error type (`error.type`).
    pub error_type: Option<String>,
    /// The provider's error code (`error.code`, string or number).
    pub code: Option<String>,
}

fn as_text(v: Option<Json<'_>>) -> Option<String> {
    v?.as_text()
}

/// Looks for an error in a JSON body: `{"error":{"message","type","code"}}` (OpenAI,
/// Anthropic), `{"error":"..."}` (Ollama), `{"message": ...}`, or the same inside a one-element
/// array. `None` when the body is not JSON or holds no error.
pub fn parse_error_body(body: &[u8]) -> Option<ErrorInfo> {
    let mut tape = Tape::default();
    let v = tape.parse(core::str::from_utf8(body).ok()?).ok()?;
    // An array: its first element (an empty one stays the array, and is no error).
    let v = v.items().and_then(|mut items| items.next()).unwrap_or(v);
    if !v.is_object() {
        return None;
    }
    let obj = v.obj();
    match obj.get("error") {
        Some(e) if e.is_object() => {
            let e = e.obj();
            Some(ErrorInfo {
                message: as_text(e.get("message")),
                error_type: as_text(e.get("type")),
                code: as_text(e.get("code")),
            })
        }
        Some(e) if e.is_string() => Some(ErrorInfo {
            message: as_text(Some(e)),
            ..ErrorInfo::default()
        }),
        _ => {
            let message = as_text(obj.get("message"))?;
            Some(ErrorInfo {
                message: Some(message),
                error_type: as_text(obj.get("type")),
                code: as_text(obj.get("code")),
            })
        }
    }
}

/// The first bytes of a body, lossily decoded, control characters folded to spaces.
pub fn body_preview(body: &[u8], max: usize) -> String {
    let cut = body.get(..max).unwrap_or(body);
    let s = lossy(cut);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push(if c.is_control() { ' ' } else { c });
    }
    out.trim().to_owned()
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "",
    }
}

fn provider_name(protocol: Protocol) -> Option<String> {
    (protocol != Protocol::Auto).then(|| protocol.name().to_string())
}

/// The `http_error` for a non-2xx response and (a bounded prefix of) its body.
pub fn http_error(
    status: u16,
    retry_after_ms: Option<u64>,
    body: &[u8],
    protocol: Protocol,
) -> StreamError {
    let info = parse_error_body(body);
    let reason = reason_phrase(status);
    let status_text = decimal(u64::from(status));
    let head = if reason.is_empty() {
        cat(&["HTTP ", &status_text])
    } else {
        cat(&["HTTP ", &status_text, " ", reason])
    };
    // The fields moved out (no copy of the message).
    let (message, labels) = match info {
        Some(i) => (i.message, Some((i.error_type, i.code))),
        None => (None, None),
    };
    let detail = match message {
        Some(m) => m,
        None => body_preview(body, BODY_PREVIEW_BYTES),
    };
    let message = if detail.is_empty() {
        head
    } else {
        cat(&[&head, ": ", &detail])
    };
    let mut e = StreamError::new(ErrorCode::HttpError, message);
    e.status = Some(status);
    e.retry_after_ms = retry_after_ms;
    e.retryable = Some(is_retryable_status(status));
    if let Some((error_type, code)) = labels {
        e.provider = provider_name(protocol);
        e.error_type = error_type;
        e.provider_code = code;
    }
    e
}

/// The verdict on a JSON body received where an SSE stream was expected: `provider_error`
/// when it holds an error object, else `protocol_error` `unexpected_content_type`.
pub fn json_body_error(
    body: &[u8],
    protocol: Protocol,
    retry_after_ms: Option<u64>,
) -> StreamError {
    match parse_error_body(body) {
        Some(info) => {
            let message = info
                .message
                .unwrap_or_else(|| "the provider returned an error".to_string());
            let mut e = StreamError::new(ErrorCode::ProviderError, message);
            e.provider = provider_name(protocol);
            e.retryable = Some(is_retryable_provider_error(
                info.error_type.as_deref(),
                info.code.as_deref(),
                &e.message,
            ));
            e.error_type = info.error_type;
            e.provider_code = info.code;
            e.retry_after_ms = retry_after_ms;
            e
        }
        None => StreamError::new(
            ErrorCode::UnexpectedContentType,
            cat(&[
                "expected text/event-stream, got application/json: ",
                &body_preview(body, BODY_PREVIEW_BYTES),
            ]),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::head::unexpected_type_error;

    #[test]
    fn error_bodies() {
        let openai = br#"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#;
        let i = parse_error_body(openai).unwrap();
        assert_eq!(i.message.as_deref(), Some("Rate limit reached"));
        assert_eq!(i.code.as_deref(), Some("rate_limit_exceeded"));
        let anthropic =
            br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let i = parse_error_body(anthropic).unwrap();
        assert_eq!(i.error_type.as_deref(), Some("overloaded_error"));
        assert_eq!(
            parse_error_body(br#"{"error":"model not found"}"#)
                .unwrap()
                .message
                .as_deref(),
            Some("model not found")
        );
        assert_eq!(
            parse_error_body(br#"[{"error":{"code":503,"message":"down"}}]"#)
                .unwrap()
                .code
                .as_deref(),
            Some("503")
        );
        assert_eq!(parse_error_body(br#"{"id":"x","choices":[]}"#), None);
        assert_eq!(parse_error_body(b"<html>"), None);
        assert_eq!(parse_error_body(br#"{"error":{"mess"#), None);
    }

    #[test]
    fn http_error_shape() {
        let e = http_error(
            429,
            Some(2000),
            br#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#,
            Protocol::Anthropic,
        );
        assert_eq!(e.code, ErrorCode::HttpError);
        assert_eq!(e.status, Some(429));
        assert_eq!(e.retry_after_ms, Some(2000));
        assert_eq!(e.retryable, Some(true));
        assert_eq!(e.error_type.as_deref(), Some("rate_limit_error"));
        assert_eq!(e.provider.as_deref(), Some("anthropic"));
        assert!(e.message.contains("slow down"), "{}", e.message);
        let e = http_error(404, None, b"<html>\n<p>nope</p>", Protocol::OpenAi);
        assert_eq!(e.retryable, Some(false));
        assert!(e.message.contains("<p>nope</p>"), "{}", e.message);
        assert!(is_retryable_status(529) && is_retryable_status(500) && !is_retryable_status(400));
    }

    #[test]
    fn json_and_html_verdicts() {
        let e = json_body_error(
            br#"{"error":{"message":"Overloaded","type":"overloaded_error"}}"#,
            Protocol::Anthropic,
            None,
        );
        assert_eq!(e.code, ErrorCode::ProviderError);
        assert_eq!(e.retryable, Some(true));
        let e = json_body_error(br#"{"ok":true}"#, Protocol::OpenAi, None);
        assert_eq!(e.code, ErrorCode::UnexpectedContentType);
        let e = unexpected_type_error(
            "text/html",
            Protocol::OpenAi,
            b"<!doctype html><title>Login</title>",
        );
        assert!(
            e.message.contains("<!doctype html><title>Login</title>"),
            "{}",
            e.message
        );
        assert_eq!(body_preview("é".as_bytes(), 1), "\u{FFFD}");
    }
}
