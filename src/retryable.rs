//! What says "retrying the same request may succeed": HTTP statuses, and provider error
//! labels. One table each; every error the core builds reads its `retryable` flag from here,
//! whether the error came inside a stream or in a JSON body.

/// Whether a retry of the same request may succeed after this status: 408, 409, 429 and 5xx
/// (529, Anthropic's "overloaded", included).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500..=599)
}

/// Substrings of a provider's error type or code (lowercased) that say "try again":
/// overloaded, rate limited, or a failure on the server side.
pub const RETRYABLE_LABELS: [&str; 10] = [
    "overloaded",
    "resource_exhausted",
    "rate_limit",
    "too_many_requests",
    "server_error",
    "api_error",
    "internal",
    "timeout",
    "unavailable",
    "service_error",
];

/// Words (lowercased) that say the same in the message of an error with neither a type nor a
/// code (Ollama's `{"error": "..."}`).
pub const RETRYABLE_WORDS: [&str; 4] = ["overloaded", "busy", "rate limit", "too many requests"];

/// Whether a provider error is worth retrying. The type and the code are labels (an empty one
/// is no label): one that contains a [`RETRYABLE_LABELS`] entry, or a numeric code that is 429
/// or 5xx, says yes; when there is a label and none says yes, the answer is no. With no label
/// at all, the message is searched for [`RETRYABLE_WORDS`].
pub fn is_retryable_provider_error(
    error_type: Option<&str>,
    code: Option<&str>,
    message: &str,
) -> bool {
    let mut labelled = false;
    for label in &[error_type, code] {
        let Some(label) = label.filter(|l| !l.is_empty()) else {
            continue;
        };
        labelled = true;
        let label = label.to_ascii_lowercase();
        for r in &RETRYABLE_LABELS {
            if contains(&label, r) {
                return true;
            }
        }
        if let Some(status) = parse_u16(&label) {
            if status == 429 || status >= 500 {
                return true;
            }
        }
    }
    if labelled {
        return false;
    }
    let m = message.to_ascii_lowercase();
    for w in &RETRYABLE_WORDS {
        if contains(&m, w) {
            return true;
        }
    }
    false
}

/// `hay.contains(needle)` for the short needles here, without core's two-way searcher (about
/// 2 KB of wasm).
fn contains(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let mut at = 0;
    while at + n.len() <= h.len() {
        if h.get(at..at + n.len()) == Some(n) {
            return true;
        }
        at += 1;
    }
    false
}

/// `s.parse::<u16>().ok()` (an optional `+`, then ASCII digits, no overflow) without the
/// generic integer parser.
fn parse_u16(s: &str) -> Option<u16> {
    u16::try_from(crate::text::digits(s.strip_prefix('+').unwrap_or(s))?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_and_parse_agree_with_core() {
        for (hay, needle) in [
            ("abc", "b"),
            ("abc", "abcd"),
            ("", ""),
            ("rate_limit", "limit"),
            ("x", ""),
        ] {
            assert_eq!(
                contains(hay, needle),
                hay.contains(needle),
                "{hay:?} {needle:?}"
            );
        }
        for s in [
            "503", "+429", "", "+", "-1", "65535", "65536", "0x1", "12a", "007",
        ] {
            assert_eq!(parse_u16(s), s.parse::<u16>().ok(), "{s:?}");
        }
    }

    #[test]
    fn statuses() {
        for s in [408, 409, 429, 500, 503, 529, 599] {
            assert!(is_retryable_status(s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 413, 422, 600] {
            assert!(!is_retryable_status(s), "{s}");
        }
    }

    #[test]
    fn provider_labels_codes_and_words() {
        let yes = [
            (Some("overloaded_error"), None, ""),
            (Some("Rate_Limit_Exceeded"), None, ""),
            (None, Some("too_many_requests"), ""),
            (Some("requests"), Some("503"), ""),
            (None, Some("429"), ""),
            (None, None, "server busy, try later"),
            (None, None, "Model is OVERLOADED"),
            (Some(""), Some(""), "overloaded"),
        ];
        for (t, c, m) in yes {
            assert!(is_retryable_provider_error(t, c, m), "{t:?} {c:?} {m:?}");
        }
        let no = [
            (Some("invalid_request_error"), None, "overloaded"),
            (None, Some("invalid_api_key"), ""),
            (None, Some("404"), ""),
            (None, None, "model not found"),
        ];
        for (t, c, m) in no {
            assert!(!is_retryable_provider_error(t, c, m), "{t:?} {c:?} {m:?}");
        }
    }
}
