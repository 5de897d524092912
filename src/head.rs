//! Response head checks: status, Content-Type, `Retry-After`, and error bodies.
//!
//! Pure functions; the session calls them when the head arrives and when a non-stream body
//! (an HTTP error body, a JSON body where SSE was expected, an HTML page) is complete or has
//! reached its bounded prefix.
//!
//! - Non-2xx: `http_error` with the status, `Retry-After` in milliseconds (`retry-after-ms`
//!   wins; then `Retry-After` as seconds, or as an HTTP date relative to the response's `Date`
//!   header; with no `Date` header an HTTP date cannot be resolved without a clock and gives
//!   `None`), and the provider's message from a JSON body (at most [`ERROR_BODY_PREFIX`] bytes
//!   are read). Retryable: 408, 409, 429, 5xx and 529.
//! - 2xx: see [`classify`].

use crate::decode::Protocol;
use crate::error::{quoted, ErrorCode, StreamError};
use crate::json::Json;

/// The most bytes of a non-stream body the session keeps (error bodies, JSON bodies).
pub const ERROR_BODY_PREFIX: usize = 64 * 1024;

/// The bytes of an unexpected body shown in the `unexpected_content_type` message.
pub const BODY_PREVIEW_BYTES: usize = 200;

/// A header value by case-insensitive name (the first one).
pub fn header<'h>(headers: &[(&'h str, &'h str)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// Whether a retry of the same request may succeed after this status.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500..=599)
}

/// Whether a provider error type says "try again" (overloaded, rate limited, server side).
pub fn is_retryable_type(error_type: &str) -> bool {
    let t = error_type.to_ascii_lowercase();
    [
        "overloaded",
        "rate_limit",
        "server_error",
        "api_error",
        "timeout",
        "unavailable",
        "internal",
    ]
    .iter()
    .any(|k| t.contains(k))
}

/// Parses a non-negative decimal number (`7`, `1.5`, `.5`, `2.`) and returns it times
/// `10^scale`, rounded up to a whole number and saturating at `u64::MAX`. Exact integer
/// arithmetic: no float parsing in the wasm.
fn parse_decimal(s: &str, scale: u32) -> Option<u64> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !digits(int) || !digits(frac) {
        return None;
    }
    let mut v: u64 = 0;
    let mut push = |d: u8| v = v.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    int.bytes().for_each(&mut push);
    let mut frac = frac.bytes();
    for _ in 0..scale {
        push(frac.next().unwrap_or(b'0'));
    }
    if frac.any(|d| d != b'0') {
        v = v.saturating_add(1);
    }
    Some(v)
}

/// The delay the server asks for, in milliseconds: `retry-after-ms` (OpenAI), else
/// `Retry-After` as delta-seconds, else `Retry-After` as an HTTP date minus the `Date` header.
pub fn retry_after_ms(headers: &[(&str, &str)]) -> Option<u64> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(|v| parse_decimal(v, 0)) {
        return Some(ms);
    }
    let value = header(headers, "retry-after")?;
    if let Some(ms) = parse_decimal(value, 3) {
        return Some(ms);
    }
    let at = parse_http_date(value)?;
    let date = parse_http_date(header(headers, "date")?)?;
    Some(at.saturating_sub(date).saturating_mul(1000))
}

/// Parses an HTTP date (RFC 9110 §5.6.7: IMF-fixdate, obsolete RFC 850 and asctime forms) into
/// seconds since the Unix epoch.
pub fn parse_http_date(s: &str) -> Option<u64> {
    let s = s.trim();
    let parts: Vec<&str> = s.split_whitespace().collect();
    let (day, month, year, time) = match parts.as_slice() {
        // Sun, 06 Nov 1994 08:49:37 GMT
        [_wd, d, m, y, t, "GMT"] => (d.parse().ok()?, *m, y.parse::<i64>().ok()?, *t),
        // Sunday, 06-Nov-94 08:49:37 GMT
        [_wd, dmy, t, "GMT"] => {
            let mut it = dmy.split('-');
            let d = it.next()?.parse().ok()?;
            let m = it.next()?;
            let y: i64 = it.next()?.parse().ok()?;
            // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
            let y = if y < 100 {
                if y < 70 {
                    2000 + y
                } else {
                    1900 + y
                }
            } else {
                y
            };
            (d, m, y, *t)
        }
        // Sun Nov  6 08:49:37 1994
        [_wd, m, d, t, y] => (d.parse().ok()?, *m, y.parse::<i64>().ok()?, *t),
        _ => return None,
    };
    let month = match month.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let day: i64 = day;
    if !(1..=31).contains(&day) || !(1970..=9999).contains(&year) {
        return None;
    }
    let mut hms = time.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let mi: i64 = hms.next()?.parse().ok()?;
    let se: i64 = hms.next()?.parse().ok()?;
    if hms.next().is_some() || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    u64::try_from(secs).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The media type of a Content-Type value, lowercased, without parameters.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// What to do with a 2xx body, by Content-Type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyKind {
    /// Decode it as the stream.
    Stream,
    /// A JSON document where an SSE stream was expected: buffer it (bounded) and look for an
    /// error object in it at the end.
    JsonBody,
    /// Cannot be the stream (`text/html`, images, ...): report the first bytes.
    Unexpected {
        /// The media type received.
        media_type: String,
    },
}

/// Classifies a 2xx response by Content-Type:
/// - missing or empty: decode and see;
/// - `text/event-stream`: the stream;
/// - `application/x-ndjson`, `application/ndjson`, `application/jsonl`: the stream for
///   `ollama` and `auto`, unexpected for the SSE protocols;
/// - `application/json`: the stream for `ollama` and `auto` (Ollama's non-streamed answer,
///   and `auto` lets the decoder decide), a [`BodyKind::JsonBody`] for the SSE protocols;
/// - `text/plain` and `application/octet-stream`: decoded (servers and proxies that do not
///   label their streams use them; if the bytes are not a stream the decoder says so);
/// - anything else (`text/html`, ...): [`BodyKind::Unexpected`].
pub fn classify(content_type: Option<&str>, protocol: Protocol) -> BodyKind {
    let Some(ct) = content_type else {
        return BodyKind::Stream;
    };
    let mt = media_type(ct);
    let ndjson_ok = matches!(protocol, Protocol::Ollama | Protocol::Auto);
    match mt.as_str() {
        "" | "text/event-stream" | "text/plain" | "application/octet-stream" => BodyKind::Stream,
        "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "application/jsonlines"
            if ndjson_ok =>
        {
            BodyKind::Stream
        }
        "application/json" if ndjson_ok => BodyKind::Stream,
        "application/json" => BodyKind::JsonBody,
        _ => BodyKind::Unexpected { media_type: mt },
    }
}

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
    let v = Json::parse(core::str::from_utf8(body).ok()?).ok()?;
    let v = match v.array() {
        Some(items) => items.first().copied().unwrap_or(v),
        None => v,
    };
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
    let cut = &body[..body.len().min(max)];
    let s = String::from_utf8_lossy(cut);
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    s.trim().to_string()
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
    let head = if reason.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status} {reason}")
    };
    let detail = match info.as_ref().and_then(|i| i.message.clone()) {
        Some(m) => m,
        None => body_preview(body, BODY_PREVIEW_BYTES),
    };
    let message = if detail.is_empty() {
        head
    } else {
        format!("{head}: {detail}")
    };
    let mut e = StreamError::new(ErrorCode::HttpError, message);
    e.status = Some(status);
    e.retry_after_ms = retry_after_ms;
    e.retryable = Some(is_retryable_status(status));
    if let Some(info) = info {
        e.provider = provider_name(protocol);
        e.error_type = info.error_type;
        e.provider_code = info.code;
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
                .clone()
                .unwrap_or_else(|| "the provider returned an error".to_string());
            let mut e = StreamError::new(ErrorCode::ProviderError, message);
            e.provider = provider_name(protocol);
            e.retryable = Some(info.error_type.as_deref().is_some_and(is_retryable_type));
            e.error_type = info.error_type;
            e.provider_code = info.code;
            e.retry_after_ms = retry_after_ms;
            e
        }
        None => StreamError::new(
            ErrorCode::UnexpectedContentType,
            format!(
                "expected text/event-stream, got application/json: {}",
                body_preview(body, BODY_PREVIEW_BYTES)
            ),
        ),
    }
}

/// The `unexpected_content_type` error for a 2xx body of the wrong type.
pub fn unexpected_type_error(media_type: &str, protocol: Protocol, body: &[u8]) -> StreamError {
    let expected = match protocol {
        Protocol::Ollama => "application/x-ndjson",
        Protocol::Auto => "a stream",
        _ => "text/event-stream",
    };
    StreamError::new(
        ErrorCode::UnexpectedContentType,
        format!(
            "expected {expected}, got {media_type}; the body starts with: {}",
            quoted(&body_preview(body, BODY_PREVIEW_BYTES))
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after_ms(&[("Retry-After", "7")]), Some(7000));
        assert_eq!(retry_after_ms(&[("retry-after", " 1.5 ")]), Some(1500));
        assert_eq!(
            retry_after_ms(&[("Retry-After", "3"), ("retry-after-ms", "250")]),
            Some(250)
        );
        assert_eq!(
            retry_after_ms(&[
                ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT"),
            ]),
            Some(30_000)
        );
        // A date in the past: retry now.
        assert_eq!(
            retry_after_ms(&[
                ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("Retry-After", "Sun, 06 Nov 1994 08:00:00 GMT"),
            ]),
            Some(0)
        );
        // No Date header: cannot resolve without a clock.
        assert_eq!(
            retry_after_ms(&[("Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT")]),
            None
        );
        assert_eq!(retry_after_ms(&[("Retry-After", "-1")]), None);
        assert_eq!(retry_after_ms(&[("Retry-After", ".5")]), Some(500));
        assert_eq!(retry_after_ms(&[("Retry-After", "2.")]), Some(2000));
        assert_eq!(retry_after_ms(&[("Retry-After", "0.0001")]), Some(1));
        assert_eq!(retry_after_ms(&[("retry-after-ms", "250.01")]), Some(251));
        assert_eq!(retry_after_ms(&[("Retry-After", "1e9")]), None);
        assert_eq!(retry_after_ms(&[("Retry-After", "1.2.3")]), None);
        assert_eq!(retry_after_ms(&[("Retry-After", ".")]), None);
        assert_eq!(
            retry_after_ms(&[("Retry-After", "99999999999999999999999")]),
            Some(u64::MAX)
        );
        assert_eq!(retry_after_ms(&[("Retry-After", "soon")]), None);
        assert_eq!(retry_after_ms(&[]), None);
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400)
        );
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
        assert_eq!(parse_http_date(""), None);
    }

    #[test]
    fn content_types() {
        use Protocol::*;
        assert_eq!(classify(None, OpenAi), BodyKind::Stream);
        assert_eq!(
            classify(Some("text/event-stream; charset=utf-8"), Anthropic),
            BodyKind::Stream
        );
        assert_eq!(
            classify(Some("application/x-ndjson"), Ollama),
            BodyKind::Stream
        );
        assert_eq!(classify(Some("Application/JSON"), Ollama), BodyKind::Stream);
        assert_eq!(
            classify(Some("application/json"), OpenAi),
            BodyKind::JsonBody
        );
        assert_eq!(
            classify(Some("text/html; charset=utf-8"), OpenAi),
            BodyKind::Unexpected {
                media_type: "text/html".into()
            }
        );
        assert_eq!(
            classify(Some("application/x-ndjson"), Sse),
            BodyKind::Unexpected {
                media_type: "application/x-ndjson".into()
            }
        );
    }

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
