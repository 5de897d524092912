//! `auto`: choosing the provider from the first dispatched SSE event (the Content-Type and the
//! first byte choose the framing; see the module docs of [`super`]).

use super::Protocol;
use crate::json::Json;

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
pub(crate) fn detect(event_type: &str, data: &str) -> Option<Protocol> {
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
    let Ok(v) = Json::parse(data) else {
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
            assert_eq!(detect(ty, data), want, "{ty} {data}");
        }
    }
}
