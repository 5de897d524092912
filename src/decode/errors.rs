//! The errors a decoder builds: a provider's error (`provider_error`, with its type, code and
//! whether a retry may help) and a frame that is not JSON (`invalid_json`).

use super::protocol::Protocol;
use crate::error::{quoted, ErrorCode, StreamError};
use crate::json::{Json, JsonError};
use crate::retryable::is_retryable_provider_error;
use crate::text::push_u64;

/// A provider's error code, which may be a string or a number.
pub(crate) fn code_of(v: Option<Json<'_>>) -> Option<String> {
    v?.as_text()
}

/// At most `max` chars of `s`, with an ellipsis when cut.
fn prefix(s: &str, max: usize) -> String {
    // The byte offset of char `max`: a char starts at every byte that is not a continuation
    // byte (0b10xx_xxxx). A loop, not `chars().take(max).collect()` (smaller wasm).
    let b = s.as_bytes();
    let (mut end, mut chars) = (0, 0);
    while end < b.len() {
        if b.get(end).is_some_and(|&c| (c as i8) >= -0x40) {
            if chars == max {
                break;
            }
            chars += 1;
        }
        end += 1;
    }
    let mut out = s.get(..end).unwrap_or(s).to_owned();
    if end < s.len() {
        out.push('…');
    }
    out
}

/// A `provider_error` with the provider's type, code and message.
pub(crate) fn provider_error(
    protocol: Protocol,
    error_type: Option<&str>,
    code: Option<String>,
    message: Option<&str>,
    index: u64,
) -> StreamError {
    let message = match message.filter(|m| !m.is_empty()) {
        Some(m) => m.to_owned(),
        None => {
            let mut m = String::from(protocol.name());
            m.push_str(" sent an error without a message");
            m
        }
    };
    let mut e = StreamError::new(ErrorCode::ProviderError, message);
    e.retryable = Some(is_retryable_provider_error(
        error_type,
        code.as_deref(),
        &e.message,
    ));
    e.provider = Some(protocol.name().to_owned());
    e.error_type = error_type.filter(|t| !t.is_empty()).map(str::to_owned);
    e.provider_code = code;
    e.event_index = Some(index);
    e
}

/// [`provider_error`] from JSON members: the type and the message read as strings, the code
/// as a string or a number's text ([`code_of`]). One copy of those reads for every decoder.
#[inline(never)]
pub(crate) fn provider_error_of(
    protocol: Protocol,
    error_type: Option<Json<'_>>,
    code: Option<Json<'_>>,
    message: Option<Json<'_>>,
    index: u64,
) -> StreamError {
    let error_type = error_type.and_then(Json::as_str);
    let message = message.and_then(Json::as_str);
    provider_error(
        protocol,
        error_type.as_deref(),
        code_of(code),
        message.as_deref(),
        index,
    )
}

/// The `invalid_json` error for frame `index`, quoting a bounded prefix of its data.
pub(crate) fn invalid_json(data: &str, index: u64, err: &JsonError) -> StreamError {
    let mut message = String::from("event ");
    push_u64(&mut message, index);
    message.push_str(" is not valid JSON (");
    err.write_message(&mut message);
    message.push_str("): ");
    message.push_str(&quoted(&prefix(data.trim(), 80)));
    let mut e = StreamError::new(ErrorCode::InvalidJson, message);
    e.event_index = Some(index);
    e
}

#[cfg(test)]
mod tests {
    use super::prefix;

    #[test]
    fn prefix_is_chars_take() {
        for s in ["", "abc", "Ünïcødé 漢字🎉 and more", "🎉🎉🎉🎉", "ab漢"] {
            for max in 0..8 {
                let mut want: String = s.chars().take(max).collect();
                if want.len() < s.len() {
                    want.push('…');
                }
                assert_eq!(prefix(s, max), want, "{s:?} {max}");
            }
        }
    }
}
