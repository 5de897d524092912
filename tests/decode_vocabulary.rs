//! The vocabularies the response head and the decoder share must give one answer: what a
//! media type is (`http::MEDIA_TYPES`), and which provider errors are retryable
//! (`retryable`), whether the error came inside a stream or as a JSON body.

use streamguard::head::{classify, json_body_error, BodyKind};
use streamguard::http::{media_kind, MediaKind, MEDIA_TYPES};
use streamguard::{Protocol, StreamDecoder, StreamError, StreamEvent};

/// Every media type the head knows, plus unknown ones and case/parameter variants.
fn content_types() -> Vec<String> {
    let mut all: Vec<String> = MEDIA_TYPES.iter().map(|(t, _)| t.to_string()).collect();
    all.extend(
        [
            "application/jsonl",
            "Application/X-NDJSON; charset=utf-8",
            "text/event-stream;charset=UTF-8",
            "text/html",
            "",
        ]
        .map(String::from),
    );
    all
}

/// An `auto` decoder that has seen the response head and no byte.
fn auto_decoder_after_head(content_type: &str) -> StreamDecoder {
    let mut d = StreamDecoder::new(Protocol::Auto, 1 << 20);
    d.set_headers(&[("Content-Type", content_type)]);
    d
}

#[test]
fn the_head_and_auto_agree_on_every_media_type() {
    for ct in content_types() {
        let ndjson_only = classify(Some(&ct), Protocol::Ollama) == BodyKind::Stream
            && matches!(
                classify(Some(&ct), Protocol::OpenAi),
                BodyKind::Unexpected { .. }
            );
        let d = auto_decoder_after_head(&ct);
        // A type the head accepts only for NDJSON protocols is NDJSON for `auto` too, at once.
        assert_eq!(
            d.protocol() == Protocol::Ollama,
            ndjson_only,
            "{ct:?}: head says NDJSON-only = {ndjson_only}, auto resolved {:?}",
            d.protocol()
        );
        assert_eq!(ndjson_only, media_kind(&ct) == MediaKind::Ndjson, "{ct:?}");
    }
}

#[test]
fn every_ndjson_name_frames_the_body_as_ndjson() {
    // `application/jsonl` was NDJSON for the head but not for `auto`, which then sniffed: an
    // empty body ended "before any event" with the protocol unresolved.
    for ct in [
        "application/x-ndjson",
        "application/ndjson",
        "application/jsonl",
        "application/x-jsonlines",
        "application/jsonlines",
    ] {
        let mut d = auto_decoder_after_head(ct);
        assert_eq!(d.protocol(), Protocol::Ollama, "{ct}");
        let verdict = d.finish().expect("truncated");
        assert!(
            verdict.message.contains("\"done\": true"),
            "{ct}: {}",
            verdict.message
        );
    }
}

#[test]
fn an_event_stream_head_frames_as_sse_whatever_the_first_byte() {
    // Sniffing would take `{` for NDJSON; the head said SSE, so the line is an unknown field.
    let mut d = auto_decoder_after_head("text/event-stream; charset=utf-8");
    d.feed(b"{\"response\":\"x\",\"done\":true}\n\n");
    while d.next_event().is_some() {}
    assert_eq!(d.protocol(), Protocol::Auto);
    assert_eq!(d.reply().text, "");
}

/// The error a stream ends with after `body`.
fn stream_error(protocol: Protocol, body: &str) -> StreamError {
    let mut d = StreamDecoder::new(protocol, 1 << 20);
    d.feed(body.as_bytes());
    while let Some(e) = d.next_event() {
        if let StreamEvent::End(Some(e)) = e {
            return e;
        }
    }
    panic!("no error from {body:?}");
}

#[test]
fn a_provider_error_is_retryable_in_a_stream_exactly_when_it_is_in_a_json_body() {
    let errors = [
        // Retryable by type, by code (string or number), by message alone.
        r#"{"message":"Overloaded","type":"overloaded_error"}"#,
        r#"{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}"#,
        r#"{"message":"down","code":503}"#,
        r#"{"message":"upstream is busy"}"#,
        r#"{"message":"x","type":"service_unavailable_error"}"#,
        r#"{"message":"x","code":"too_many_requests"}"#,
        // Not retryable.
        r#"{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}"#,
        r#"{"message":"no such model","code":404}"#,
        r#"{"message":"overloaded","type":"invalid_request_error"}"#,
    ];
    for err in errors {
        let in_stream = stream_error(Protocol::OpenAi, &format!("data: {{\"error\":{err}}}\n\n"));
        let as_body = json_body_error(
            format!("{{\"error\":{err}}}").as_bytes(),
            Protocol::OpenAi,
            None,
        );
        assert!(in_stream.retryable.is_some(), "{err}");
        assert_eq!(in_stream.retryable, as_body.retryable, "{err}");
        assert_eq!(in_stream.error_type, as_body.error_type, "{err}");
        assert_eq!(in_stream.provider_code, as_body.provider_code, "{err}");
    }
    // Ollama's bare string and Anthropic's nested error object.
    for (message, want) in [("server busy", true), ("model not found", false)] {
        let in_stream = stream_error(Protocol::Ollama, &format!("{{\"error\":\"{message}\"}}\n"));
        let as_body = json_body_error(
            format!("{{\"error\":\"{message}\"}}").as_bytes(),
            Protocol::Ollama,
            None,
        );
        assert_eq!(in_stream.retryable, Some(want), "{message}");
        assert_eq!(as_body.retryable, Some(want), "{message}");
    }
    for (error_type, want) in [
        ("overloaded_error", true),
        ("api_error", true),
        ("invalid_request_error", false),
    ] {
        let err = format!(r#"{{"type":"error","error":{{"type":"{error_type}","message":"m"}}}}"#);
        let in_stream = stream_error(
            Protocol::Anthropic,
            &format!("event: error\ndata: {err}\n\n"),
        );
        let as_body = json_body_error(err.as_bytes(), Protocol::Anthropic, None);
        assert_eq!(in_stream.retryable, Some(want), "{error_type}");
        assert_eq!(as_body.retryable, Some(want), "{error_type}");
    }
}
