//! What a 2xx body is, by its Content-Type: the stream, a JSON document, or something that
//! cannot be a stream.

use super::error_body::{body_preview, BODY_PREVIEW_BYTES};
use crate::decode::{Framing, Protocol};
use crate::error::{quoted, ErrorCode, StreamError};
use crate::http::{media_kind, media_type, MediaKind};
use crate::text::cat;

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

/// Classifies a 2xx response by its Content-Type's kind in [`crate::http::MEDIA_TYPES`]:
/// - missing, empty, or a generic type (`text/plain`, `application/octet-stream`, which
///   servers and proxies that do not label their streams use): decode and see (if the bytes
///   are not a stream the decoder says so);
/// - `text/event-stream`: the stream, except for `text`;
/// - an NDJSON type (`application/x-ndjson`, `application/ndjson`, `application/jsonl`, ...):
///   the stream for `ollama`, `gemini` and `auto`, unexpected for the others;
/// - `application/json`: the stream for `ollama` (its non-streamed answer), `gemini` (its JSON
///   array form) and `auto` (the decoder decides); a [`BodyKind::JsonBody`] for the SSE
///   protocols and `text` (an error object where a stream was expected);
/// - for `text`, any other `text/*` type but `text/html` (`text/markdown`, ...) is the stream;
/// - anything else (`text/html`, ...): [`BodyKind::Unexpected`].
pub fn classify(content_type: Option<&str>, protocol: Protocol) -> BodyKind {
    let Some(ct) = content_type else {
        return BodyKind::Stream;
    };
    let unexpected = || BodyKind::Unexpected {
        media_type: media_type(ct),
    };
    let framing = protocol.framing();
    match media_kind(ct) {
        MediaKind::Unlabelled => BodyKind::Stream,
        MediaKind::EventStream if framing == Some(Framing::Text) => unexpected(),
        MediaKind::EventStream => BodyKind::Stream,
        MediaKind::Json | MediaKind::Ndjson
            if matches!(framing, None | Some(Framing::Ndjson | Framing::Json)) =>
        {
            BodyKind::Stream
        }
        MediaKind::Json => BodyKind::JsonBody,
        MediaKind::Other if framing == Some(Framing::Text) => {
            let mt = media_type(ct);
            if mt.starts_with("text/") && mt != "text/html" {
                BodyKind::Stream
            } else {
                unexpected()
            }
        }
        MediaKind::Ndjson | MediaKind::Other => unexpected(),
    }
}

/// The `unexpected_content_type` error for a 2xx body of the wrong type.
pub fn unexpected_type_error(media_type: &str, protocol: Protocol, body: &[u8]) -> StreamError {
    let expected = match protocol.framing() {
        Some(Framing::Sse) => MediaKind::EventStream.canonical(),
        Some(Framing::Ndjson) => MediaKind::Ndjson.canonical(),
        Some(Framing::Text) => Some("text/plain"),
        Some(Framing::Json) => MediaKind::Json.canonical(),
        None if protocol == Protocol::Gemini => Some("text/event-stream or application/json"),
        None => None,
    };
    StreamError::new(
        ErrorCode::UnexpectedContentType,
        cat(&[
            "expected ",
            expected.unwrap_or("a stream"),
            ", got ",
            media_type,
            "; the body starts with: ",
            &quoted(&body_preview(body, BODY_PREVIEW_BYTES)),
        ]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(classify(Some("text/plain"), OpenAi), BodyKind::Stream);
        assert_eq!(classify(Some(""), Anthropic), BodyKind::Stream);
        assert_eq!(classify(Some("application/jsonl"), Auto), BodyKind::Stream);
        // Gemini's array form is application/json; its SSE form text/event-stream.
        assert_eq!(
            classify(Some("application/json; charset=UTF-8"), Gemini),
            BodyKind::Stream
        );
        assert_eq!(
            classify(Some("text/event-stream"), Gemini),
            BodyKind::Stream
        );
        assert_eq!(
            classify(Some("text/html"), Gemini),
            BodyKind::Unexpected {
                media_type: "text/html".into()
            }
        );
        assert_eq!(
            classify(Some("application/json"), AiSdk),
            BodyKind::JsonBody
        );
        // Plain text: any text type but HTML; JSON is an error body; SSE is not text.
        assert_eq!(
            classify(Some("text/plain; charset=utf-8"), Text),
            BodyKind::Stream
        );
        assert_eq!(classify(Some("text/markdown"), Text), BodyKind::Stream);
        assert_eq!(classify(Some("application/json"), Text), BodyKind::JsonBody);
        for not_text in [
            "text/html",
            "text/event-stream",
            "image/png",
            "application/x-ndjson",
        ] {
            assert!(
                matches!(classify(Some(not_text), Text), BodyKind::Unexpected { .. }),
                "{not_text}"
            );
        }
    }

    #[test]
    fn unexpected_type_messages_name_the_expected_type() {
        let expected = |p| {
            let m = unexpected_type_error("text/html", p, b"<p>").message;
            m.split(", got").next().unwrap_or_default().to_owned()
        };
        assert_eq!(expected(Protocol::Ollama), "expected application/x-ndjson");
        assert_eq!(expected(Protocol::Auto), "expected a stream");
        assert_eq!(expected(Protocol::OpenAi), "expected text/event-stream");
        assert_eq!(expected(Protocol::Sse), "expected text/event-stream");
        assert_eq!(expected(Protocol::AiSdk), "expected text/event-stream");
        assert_eq!(expected(Protocol::Text), "expected text/plain");
        assert_eq!(
            expected(Protocol::Gemini),
            "expected text/event-stream or application/json"
        );
    }
}
