//! `auto`: every rule that chooses a protocol the caller did not name, in one place, and the
//! rule that chooses between `gemini`'s two forms.
//!
//! 1. The response head ([`from_headers`]):
//!    - the header `x-vercel-ai-ui-message-stream` (any value; the AI SDK sends `v1`) is the
//!      AI SDK UI message stream (`ai-sdk`, SSE);
//!    - Content-Type `text/event-stream` is SSE (the provider chosen on the first event);
//!    - an NDJSON media type (`application/x-ndjson`, `application/jsonl`, ...; the table is
//!      [`crate::http::MEDIA_TYPES`]) is NDJSON, `ollama`;
//!    - anything else leaves it to the body. What the body may then be depends on the label:
//!      a body that is unlabelled (no head, no Content-Type, `text/plain`,
//!      `application/octet-stream`) may be plain text; `application/json` or another type may
//!      not.
//! 2. Otherwise the body's first bytes after whitespace and a BOM ([`from_body`]):
//!    - `{` is NDJSON (`ollama`);
//!    - `[` is one JSON array streamed element by element (`gemini`'s form without
//!      `alt=sse`);
//!    - an unlabelled body is SSE when it starts like SSE (`:`, or a field name `data`,
//!      `event`, `id` or `retry` followed by `:` or a line end), else plain text (`text`); a
//!      body that ends while it could still be SSE (`dat`) is SSE, cut short;
//!    - any other body is SSE.
//! 3. An SSE body waits for its first event with data, whose type and JSON choose the provider
//!    ([`detect`]).
//!
//! `gemini` named by the caller: `text/event-stream` is SSE; otherwise a body that starts
//! with `[` or `{` is JSON values (the array, or a bare JSON object such as an error), anything
//! else SSE.

use super::framing::Framing;
use super::protocol::Protocol;
use crate::http::{header, media_kind, MediaKind};
use crate::json::{Json, Tape};

/// The protocol of a body framed as NDJSON (the only NDJSON protocol).
pub(crate) const NDJSON_PROTOCOL: Protocol = Protocol::Ollama;

/// The header that only an AI SDK UI message stream response carries.
pub(crate) const AI_SDK_HEADER: &str = "x-vercel-ai-ui-message-stream";

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
            Framing::Json => Some(Protocol::Gemini),
            Framing::Text => Some(Protocol::Text),
            Framing::Sse => None,
        };
        Decision { framing, protocol }
    }

    fn of(framing: Framing, protocol: Protocol) -> Decision {
        Decision {
            framing,
            protocol: Some(protocol),
        }
    }
}

/// What the head says about a body it leaves undecided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hint {
    /// The body may be plain text (it is unlabelled).
    pub(crate) text_possible: bool,
}

impl Default for Hint {
    /// No head at all: unlabelled.
    fn default() -> Self {
        Hint {
            text_possible: true,
        }
    }
}

/// What the response head decides for `requested` (`auto` or `gemini`): a decision, or the
/// hint the body rules use.
pub(crate) fn from_headers(
    requested: Protocol,
    headers: &[(&str, &str)],
) -> Result<Decision, Hint> {
    if requested == Protocol::Auto && header(headers, AI_SDK_HEADER).is_some() {
        return Ok(Decision::of(Framing::Sse, Protocol::AiSdk));
    }
    let kind = header(headers, "content-type").map_or(MediaKind::Unlabelled, media_kind);
    match (requested, kind) {
        (Protocol::Auto, MediaKind::EventStream) => Ok(Decision::framing(Framing::Sse)),
        (Protocol::Auto, MediaKind::Ndjson) => Ok(Decision::framing(Framing::Ndjson)),
        (_, MediaKind::EventStream) => Ok(Decision::of(Framing::Sse, requested)),
        (_, MediaKind::Unlabelled) => Err(Hint {
            text_possible: true,
        }),
        _ => Err(Hint {
            text_possible: false,
        }),
    }
}

/// SSE's field names: a body that starts with one (then `:` or a line end) is SSE.
const SSE_FIELDS: [&[u8]; 4] = [b"data", b"event", b"id", b"retry"];

/// Whether `prefix` starts like SSE: `Some(true)` / `Some(false)`, or `None` when it is too
/// short to tell.
fn starts_like_sse(prefix: &[u8]) -> Option<bool> {
    if prefix.first() == Some(&b':') {
        return Some(true);
    }
    let mut undecided = false;
    for field in &SSE_FIELDS {
        let n = prefix.len().min(field.len());
        if prefix.get(..n) != field.get(..n) {
            continue;
        }
        match prefix.get(field.len()) {
            Some(b':' | b'\r' | b'\n') => return Some(true),
            Some(_) => {}
            None => undecided = true,
        }
    }
    if undecided {
        None
    } else {
        Some(false)
    }
}

/// What the body decides for `requested` (`auto` or `gemini`): `decisive` is the body from its
/// first byte that is not whitespace or a BOM byte (never empty). `None`: more bytes are
/// needed (only before `at_eof`).
pub(crate) fn from_body(
    requested: Protocol,
    hint: Hint,
    decisive: &[u8],
    at_eof: bool,
) -> Option<Decision> {
    let first = *decisive.first()?;
    if requested == Protocol::Gemini {
        let framing = if matches!(first, b'[' | b'{') {
            Framing::Json
        } else {
            Framing::Sse
        };
        return Some(Decision::of(framing, Protocol::Gemini));
    }
    Some(Decision::framing(match first {
        b'{' => Framing::Ndjson,
        b'[' => Framing::Json,
        _ if !hint.text_possible => Framing::Sse,
        _ => match starts_like_sse(decisive) {
            Some(true) => Framing::Sse,
            Some(false) => Framing::Text,
            None if at_eof => Framing::Sse,
            None => return None,
        },
    }))
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

/// The AI SDK UI message stream's part types that have no family prefix.
const AI_SDK_TYPES: [&str; 7] = [
    "start",
    "finish",
    "start-step",
    "finish-step",
    "abort",
    "file",
    "message-metadata",
];

/// The AI SDK part type families (`text-delta`, `tool-input-start`, `data-weather`, ...).
const AI_SDK_FAMILIES: [&str; 5] = ["text-", "reasoning-", "tool-", "source-", "data-"];

/// Whether a JSON `type` is an AI SDK UI message stream part.
fn is_ai_sdk_type(ty: &str) -> bool {
    AI_SDK_TYPES.contains(&ty) || AI_SDK_FAMILIES.iter().any(|f| ty.starts_with(f))
}

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
        // Anthropic nests the error object; the AI SDK's has `errorText`; the Responses
        // `error` event is flat.
        return Some(if v.get("error").is_some_and(Json::is_object) {
            Protocol::Anthropic
        } else if v.get("errorText").is_some() {
            Protocol::AiSdk
        } else {
            Protocol::OpenAiResponses
        });
    }
    if is_ai_sdk_type(ty) {
        return Some(Protocol::AiSdk);
    }
    // Gemini's chunks (`candidates`, a prompt blocked with `promptFeedback`, usage only), and
    // Google's error object, whose `status` is a string (`UNAVAILABLE`).
    let google_error = v
        .get("error")
        .is_some_and(|e| e.obj().get("status").is_some_and(Json::is_string));
    if v.get("candidates").is_some()
        || v.get("promptFeedback").is_some()
        || v.get("usageMetadata").is_some()
        || google_error
    {
        return Some(Protocol::Gemini);
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
    fn head_rules() {
        let auto = |headers: &[(&str, &str)]| from_headers(Protocol::Auto, headers);
        let ct = |v| auto(&[("Content-Type", v)]);
        assert_eq!(
            ct("text/event-stream; charset=utf-8"),
            Ok(Decision::framing(Framing::Sse))
        );
        for ndjson in [
            "application/x-ndjson",
            "application/ndjson",
            "application/jsonl",
            "application/x-jsonlines",
            "application/jsonlines",
        ] {
            assert_eq!(
                ct(ndjson),
                Ok(Decision::of(Framing::Ndjson, Protocol::Ollama)),
                "{ndjson}"
            );
        }
        let text = Hint {
            text_possible: true,
        };
        let no_text = Hint {
            text_possible: false,
        };
        for unlabelled in ["text/plain; charset=utf-8", "", "application/octet-stream"] {
            assert_eq!(ct(unlabelled), Err(text), "{unlabelled}");
        }
        for other in ["application/json", "text/html"] {
            assert_eq!(ct(other), Err(no_text), "{other}");
        }
        assert_eq!(auto(&[]), Err(text));
        let ai_sdk = Ok(Decision::of(Framing::Sse, Protocol::AiSdk));
        assert_eq!(
            auto(&[
                ("content-type", "text/event-stream"),
                ("X-Vercel-AI-UI-Message-Stream", "v1")
            ]),
            ai_sdk
        );
        assert_eq!(auto(&[(AI_SDK_HEADER, "v2")]), ai_sdk, "any version");
        // A named protocol ignores the AI SDK header; gemini reads only the Content-Type.
        let gemini = |v| {
            from_headers(
                Protocol::Gemini,
                &[("content-type", v), (AI_SDK_HEADER, "v1")],
            )
        };
        assert_eq!(
            gemini("text/event-stream"),
            Ok(Decision::of(Framing::Sse, Protocol::Gemini))
        );
        assert_eq!(gemini("application/json; charset=UTF-8"), Err(no_text));
    }

    #[test]
    fn body_rules() {
        let text = Hint::default();
        let no_text = Hint {
            text_possible: false,
        };
        let auto =
            |hint, body: &[u8], eof| from_body(Protocol::Auto, hint, body, eof).map(|d| d.framing);
        assert_eq!(auto(text, b"{\"a\"", false), Some(Framing::Ndjson));
        assert_eq!(auto(no_text, b"[{", false), Some(Framing::Json));
        assert_eq!(
            from_body(Protocol::Auto, text, b"[", false),
            Some(Decision::of(Framing::Json, Protocol::Gemini))
        );
        for sse in [
            &b"data:"[..],
            b"data\n",
            b"event: x",
            b"id:1",
            b"retry:5",
            b":ok",
            b"data\r",
        ] {
            assert_eq!(auto(text, sse, false), Some(Framing::Sse), "{sse:?}");
        }
        for plain in [
            &b"Hello"[..],
            b"dat a",
            b"database",
            b"idea",
            b"x",
            b"\xe6\x97\xa5",
        ] {
            assert_eq!(auto(text, plain, false), Some(Framing::Text), "{plain:?}");
            assert_eq!(auto(no_text, plain, false), Some(Framing::Sse), "{plain:?}");
        }
        for short in [&b"d"[..], b"dat", b"data", b"i", b"id", b"retr", b"ev"] {
            assert_eq!(auto(text, short, false), None, "{short:?} needs more");
            assert_eq!(
                auto(text, short, true),
                Some(Framing::Sse),
                "{short:?} at the end"
            );
        }
        assert_eq!(
            from_body(Protocol::Auto, text, b"Hi", false),
            Some(Decision::of(Framing::Text, Protocol::Text))
        );
        let gemini = |body: &[u8]| from_body(Protocol::Gemini, no_text, body, false);
        assert_eq!(
            gemini(b"["),
            Some(Decision::of(Framing::Json, Protocol::Gemini))
        );
        assert_eq!(
            gemini(b"{"),
            Some(Decision::of(Framing::Json, Protocol::Gemini))
        );
        assert_eq!(
            gemini(b"d"),
            Some(Decision::of(Framing::Sse, Protocol::Gemini))
        );
        assert_eq!(from_body(Protocol::Auto, text, b"", true), None);
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
            ("message", r#"{"type":"start"}"#, Some(Protocol::AiSdk)),
            (
                "message",
                r#"{"type":"text-delta","id":"0","delta":"x"}"#,
                Some(Protocol::AiSdk),
            ),
            (
                "message",
                r#"{"type":"data-weather","data":{}}"#,
                Some(Protocol::AiSdk),
            ),
            (
                "message",
                r#"{"type":"error","errorText":"boom"}"#,
                Some(Protocol::AiSdk),
            ),
            (
                "message",
                r#"{"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}"#,
                Some(Protocol::Gemini),
            ),
            (
                "message",
                r#"{"promptFeedback":{"blockReason":"SAFETY"}}"#,
                Some(Protocol::Gemini),
            ),
            (
                "message",
                r#"{"error":{"code":503,"message":"m","status":"UNAVAILABLE"}}"#,
                Some(Protocol::Gemini),
            ),
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
