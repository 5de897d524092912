//! `auto`: every rule that chooses a protocol the caller did not name, in one place.
//!
//! 1. The response head ([`from_headers`]): a Content-Type that names a framing chooses it
//!    (an NDJSON media type is NDJSON, `text/event-stream` is SSE). Anything else
//!    (`application/json`, `text/plain`, none) leaves it to the body. A header that only one
//!    provider sends would name the protocol here too.
//! 2. Otherwise the first byte that is not whitespace or a BOM ([`from_first_byte`]): `{` is
//!    NDJSON, anything else SSE.
//! 3. An NDJSON body is [`NDJSON_PROTOCOL`] at once. An SSE body waits for its first event
//!    with data, whose type and JSON choose the provider ([`detect`]).

use super::framing::Framing;
use super::protocol::Protocol;
use crate::http::{header, media_kind, MediaKind};
use crate::json::{Json, Tape};

/// The protocol of a body framed as NDJSON (the only NDJSON protocol).
pub(crate) const NDJSON_PROTOCOL: Protocol = Protocol::Ollama;

/// What a rule decided: the framing, and the protocol when the framing (or the head) already
/// says it; `None` waits for the first event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) framing: Framing,
    pub(crate) protocol: Option<Protocol>,
}

impl Decision {
    fn framing(framing: Framing) -> Decision {
        let protocol = match framing {
            Framing::Ndjson => Some(NDJSON_PROTOCOL),
            Framing::Sse => None,
        };
        Decision { framing, protocol }
    }
}

/// What the response head decides, or `None` when the body must.
pub(crate) fn from_headers(headers: &[(&str, &str)]) -> Option<Decision> {
    match media_kind(header(headers, "content-type")?) {
        MediaKind::EventStream => Some(Decision::framing(Framing::Sse)),
        MediaKind::Ndjson => Some(Decision::framing(Framing::Ndjson)),
        MediaKind::Json | MediaKind::Unlabelled | MediaKind::Other => None,
    }
}

/// What the first byte that is not whitespace or a BOM decides.
pub(crate) fn from_first_byte(first: u8) -> Decision {
    Decision::framing(if first == b'{' {
        Framing::Ndjson
    } else {
        Framing::Sse
    })
}

/// Anthropic's event names.
const ANTHROPIC_EVENTS: [&str; 7] = [
    "message_start",
    "ping",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
];

/// The provider for a first event, or `None` when the event cannot tell (its data is only
/// whitespace and its type says nothing): the next event decides.
pub(crate) fn detect(event_type: &str, data: &str, tape: &mut Tape) -> Option<Protocol> {
    // An event without data says nothing, whatever its name: `event: ping` with an empty
    // `data:` line is a generic keep-alive, not Anthropic's ping (which carries JSON).
    let data = data.trim();
    if data.is_empty() {
        return None;
    }
    if ANTHROPIC_EVENTS.contains(&event_type) {
        return Some(Protocol::Anthropic);
    }
    if event_type.starts_with("response.") {
        return Some(Protocol::OpenAiResponses);
    }
    if data == "[DONE]" {
        return Some(Protocol::OpenAi);
    }
    let Ok(v) = tape.parse(data) else {
        return Some(Protocol::Sse);
    };
    if !v.is_object() {
        return Some(Protocol::Sse);
    }
    let v = v.obj();
    let json_type = v.str("type");
    let ty = json_type.as_deref().unwrap_or("");
    if ANTHROPIC_EVENTS.contains(&ty) {
        return Some(Protocol::Anthropic);
    }
    if ty.starts_with("response.") {
        return Some(Protocol::OpenAiResponses);
    }
    if ty == "error" {
        // Anthropic nests the error object; the Responses `error` event is flat.
        return Some(if v.get("error").is_some_and(Json::is_object) {
            Protocol::Anthropic
        } else {
            Protocol::OpenAiResponses
        });
    }
    if v.get("choices").is_some()
        || v.str("object").as_deref() == Some("chat.completion.chunk")
        || v.get("error").is_some()
    {
        return Some(Protocol::OpenAi);
    }
    Some(Protocol::Sse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_rules() {
        let ct = |v| from_headers(&[("Content-Type", v)]).map(|d| d.framing);
        assert_eq!(ct("text/event-stream; charset=utf-8"), Some(Framing::Sse));
        for ndjson in [
            "application/x-ndjson",
            "application/ndjson",
            "application/jsonl",
            "application/x-jsonlines",
            "application/jsonlines",
        ] {
            assert_eq!(ct(ndjson), Some(Framing::Ndjson), "{ndjson}");
        }
        for undecided in ["application/json", "text/plain", "", "text/html"] {
            assert_eq!(ct(undecided), None, "{undecided}");
        }
        assert_eq!(from_headers(&[]), None);
        let ndjson = Decision {
            framing: Framing::Ndjson,
            protocol: Some(Protocol::Ollama),
        };
        let sse = Decision {
            framing: Framing::Sse,
            protocol: None,
        };
        assert_eq!(from_first_byte(b'{'), ndjson);
        assert_eq!(from_first_byte(b'd'), sse);
        assert_eq!(from_first_byte(b':'), sse);
        assert_eq!(
            from_headers(&[("content-type", "application/jsonl")]),
            Some(ndjson)
        );
    }

    #[test]
    fn detection_table() {
        let cases = [
            ("message_start", "{}", Some(Protocol::Anthropic)),
            ("ping", "{\"type\": \"ping\"}", Some(Protocol::Anthropic)),
            (
                "message",
                r#"{"type":"message_start","message":{}}"#,
                Some(Protocol::Anthropic),
            ),
            (
                "error",
                r#"{"type":"error","error":{"type":"overloaded_error"}}"#,
                Some(Protocol::Anthropic),
            ),
            ("response.created", "{}", Some(Protocol::OpenAiResponses)),
            (
                "message",
                r#"{"type":"response.output_text.delta","delta":"x"}"#,
                Some(Protocol::OpenAiResponses),
            ),
            (
                "error",
                r#"{"type":"error","code":"x","message":"y"}"#,
                Some(Protocol::OpenAiResponses),
            ),
            ("message", r#"{"choices":[]}"#, Some(Protocol::OpenAi)),
            (
                "message",
                r#"{"object":"chat.completion.chunk"}"#,
                Some(Protocol::OpenAi),
            ),
            (
                "message",
                r#"{"error":{"message":"m"}}"#,
                Some(Protocol::OpenAi),
            ),
            ("message", "[DONE]", Some(Protocol::OpenAi)),
            ("message", "hello", Some(Protocol::Sse)),
            ("message", "42", Some(Protocol::Sse)),
            ("message", r#"{"a":1}"#, Some(Protocol::Sse)),
            ("message", "  ", None),
            ("ping", "", None),
            ("message_start", " ", None),
            ("response.created", "", None),
        ];
        for (ty, data, want) in cases {
            assert_eq!(detect(ty, data, &mut Tape::default()), want, "{ty} {data}");
        }
    }
}
