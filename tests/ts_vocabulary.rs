//! The hand-written TypeScript declarations (`src/web/api.d.ts`, the npm package's
//! `index.d.ts`) against the Rust vocabulary: every protocol name, outcome, error code, stall
//! phase, finish reason and event type the Rust side can produce is declared, and nothing the
//! Rust side never produces is; the field lists of the result, the error, the stats, the tool
//! calls, the usage and the events are exactly the serialised ones; and the errors a session
//! produces for every code carry exactly the fields the `.d.ts` declares for that code (the
//! required ones present, nothing undeclared, no `null` where the type has none).
//!
//! The declarations are written by hand: types generated from the Rust structs (tsify, ts-rs)
//! would mirror the flat `StreamResult` and `StreamError` (every field optional), with no union
//! on `outcome` or `code` to narrow. So this test is what keeps them true. The lists of Rust variants below end in an exhaustive `match`: a new variant
//! does not compile until it is listed, and then the `.d.ts` must follow.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use streamguard::{
    Config, ErrorCode, FinishReason, Millis, NetworkError, NetworkErrorKind, Outcome, Output,
    Protocol, Session, StallPhase, Stats, StreamError, StreamEvent, StreamResult, ToolCall, Usage,
};

const DTS: &str = include_str!("../src/web/api.d.ts");

// ---- a small reader for the declaration file ------------------------------------------------

#[derive(Debug, Clone)]
struct Field {
    ty: String,
    optional: bool,
}

/// `export type NAME = ...;`: the text after `=`, up to the `;` outside braces.
fn type_body(name: &str) -> &'static str {
    let head = format!("export type {name} =");
    let start = DTS
        .find(&head)
        .unwrap_or_else(|| panic!("api.d.ts declares no type {name}"))
        + head.len();
    let rest = &DTS[start..];
    let mut depth = 0i32;
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ';' if depth == 0 => return &rest[..i],
            _ => {}
        }
    }
    panic!("type {name} does not end with ';'")
}

/// `s` split at `sep` outside braces (`{ id: string | null }` is one union member).
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut from) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            c if c == sep && depth == 0 => {
                out.push(&s[from..i]);
                from = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[from..]);
    out
}

/// The string literals of a union type, named unions expanded.
fn literals(name: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for part in split_top(type_body(name), '|') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if let Some(s) = part.strip_prefix('"') {
            out.insert(s.trim_end_matches('"').to_owned());
        } else if part.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.extend(literals(part));
        } else {
            panic!("{name}: `{part}` is neither a string literal nor a union's name");
        }
    }
    out
}

/// The member names of a union of interfaces.
fn members(name: &str) -> Vec<String> {
    split_top(type_body(name), '|')
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

/// One `name?: type;` line, or `None` for comments, methods and computed keys.
fn property(line: &str) -> Option<(String, Field)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with("/*") || line.starts_with('*') || line.starts_with("//")
    {
        return None;
    }
    let line = line.strip_prefix("readonly ").unwrap_or(line);
    let colon = line.find(':')?;
    let (key, ty) = (&line[..colon], &line[colon + 1..]);
    if key.contains('(') || key.contains('[') {
        return None;
    }
    let (key, optional) = match key.strip_suffix('?') {
        Some(k) => (k, true),
        None => (key, false),
    };
    assert!(
        key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "unexpected property line `{line}`"
    );
    let ty = ty.trim().trim_end_matches(';').trim().to_owned();
    Some((key.to_owned(), Field { ty, optional }))
}

/// The fields of `export interface NAME`, those of the interface it extends included (its
/// own declarations win).
fn fields(name: &str) -> BTreeMap<String, Field> {
    let head = format!("export interface {name} ");
    let start = DTS
        .find(&head)
        .unwrap_or_else(|| panic!("api.d.ts declares no interface {name}"));
    let rest = &DTS[start..];
    let (first, body) = rest.split_once('\n').expect("an interface spans lines");
    let mut out = BTreeMap::new();
    if let Some(base) = first.split(" extends ").nth(1) {
        let base = base.trim_end_matches('{').trim();
        out = fields(base);
    }
    if first.trim_end().ends_with('}') {
        return out; // `{}` on the first line
    }
    for line in body.lines() {
        if line == "}" {
            break;
        }
        if let Some((k, f)) = property(line) {
            out.insert(k, f);
        }
    }
    out
}

/// The string literal(s) a field is declared as (`code: "stalled"`, `code: ProtocolErrorCode`).
fn field_literals(interface: &str, field: &str) -> BTreeSet<String> {
    let f = fields(interface)
        .remove(field)
        .unwrap_or_else(|| panic!("{interface} has no {field}"));
    if let Some(s) = f.ty.strip_prefix('"') {
        BTreeSet::from([s.trim_end_matches('"').to_owned()])
    } else {
        literals(&f.ty)
    }
}

/// The object members of `StreamEvent`, by their `type`: field name -> type.
fn event_members() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for part in split_top(type_body("StreamEvent"), '|') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let inner = part
            .strip_prefix('{')
            .and_then(|p| p.strip_suffix('}'))
            .unwrap_or_else(|| panic!("StreamEvent member `{part}` is not an object type"));
        let mut members = BTreeMap::new();
        for decl in inner.split(';') {
            if let Some((k, f)) = property(decl) {
                members.insert(k, f.ty);
            }
        }
        let tag = members
            .get("type")
            .expect("every StreamEvent member has a type")
            .trim_matches('"')
            .to_owned();
        out.insert(tag, members);
    }
    out
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

fn set<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> BTreeSet<String> {
    items.into_iter().map(Into::into).collect()
}

// ---- the Rust vocabulary --------------------------------------------------------------------

fn outcomes() -> Vec<Outcome> {
    use Outcome::*;
    let all = vec![
        Complete,
        Truncated,
        Stalled,
        Aborted,
        HttpError,
        ProviderError,
        ProtocolError,
        NetworkError,
    ];
    for o in &all {
        match o {
            Complete | Truncated | Stalled | Aborted | HttpError | ProviderError
            | ProtocolError | NetworkError => {}
        }
    }
    all
}

fn error_codes() -> Vec<ErrorCode> {
    use ErrorCode::*;
    let all = vec![
        Truncated,
        Stalled,
        Aborted,
        HttpError,
        ProviderError,
        UnexpectedContentType,
        InvalidJson,
        InvalidEvent,
        EventTooLarge,
        TextTooLarge,
        NetworkError,
    ];
    for c in &all {
        match c {
            Truncated
            | Stalled
            | Aborted
            | HttpError
            | ProviderError
            | UnexpectedContentType
            | InvalidJson
            | InvalidEvent
            | EventTooLarge
            | TextTooLarge
            | NetworkError => {}
        }
    }
    all
}

fn phases() -> Vec<StallPhase> {
    use StallPhase::*;
    let all = vec![FirstByte, Idle, Content, Total];
    for p in &all {
        match p {
            FirstByte | Idle | Content | Total => {}
        }
    }
    all
}

fn finish_reasons() -> Vec<FinishReason> {
    use FinishReason::*;
    let all = vec![Stop, Length, ToolCalls, ContentFilter, Other];
    for r in &all {
        match r {
            Stop | Length | ToolCalls | ContentFilter | Other => {}
        }
    }
    all
}

/// Every event variant with every field set, and whether `onEvent` receives it: text goes to
/// `onText` and `End` finishes the stream, so neither reaches `onEvent`.
fn events() -> Vec<(StreamEvent, bool)> {
    let all = vec![
        (StreamEvent::Text { text: "t".into() }, false),
        (StreamEvent::Thinking { text: "t".into() }, true),
        (
            StreamEvent::ToolCall {
                index: 0,
                id: Some("call_1".into()),
                name: Some("f".into()),
                arguments: "{}".into(),
            },
            true,
        ),
        (
            StreamEvent::Usage(Usage {
                input_tokens: Some(1),
                output_tokens: Some(2),
            }),
            true,
        ),
        (
            StreamEvent::Finish {
                reason: FinishReason::Stop,
                raw: Some("stop".into()),
            },
            true,
        ),
        (StreamEvent::KeepAlive, true),
        (StreamEvent::Meta { name: "m".into() }, true),
        (StreamEvent::End(None), false),
    ];
    for (e, _) in &all {
        match e {
            StreamEvent::Text { .. }
            | StreamEvent::Thinking { .. }
            | StreamEvent::ToolCall { .. }
            | StreamEvent::Usage(_)
            | StreamEvent::Finish { .. }
            | StreamEvent::KeepAlive
            | StreamEvent::Meta { .. }
            | StreamEvent::End(_) => {}
        }
    }
    all
}

fn full_error() -> StreamError {
    let mut e = StreamError::new(ErrorCode::HttpError, "m");
    e.phase = Some(StallPhase::Idle);
    e.status = Some(500);
    e.retry_after_ms = Some(1);
    e.provider = Some("openai".into());
    e.error_type = Some("t".into());
    e.provider_code = Some("c".into());
    e.retryable = Some(true);
    e.event_index = Some(0);
    e.elapsed_ms = Some(1);
    e
}

// ---- the checks -----------------------------------------------------------------------------

#[test]
fn string_unions_are_the_rust_vocabulary() {
    assert_eq!(
        literals("Protocol"),
        set(Protocol::ALL.map(Protocol::name)),
        "Protocol"
    );
    assert_eq!(
        literals("Outcome"),
        set(outcomes().into_iter().map(Outcome::code)),
        "Outcome"
    );
    assert_eq!(
        literals("ErrorCode"),
        set(error_codes().into_iter().map(ErrorCode::code)),
        "ErrorCode"
    );
    assert_eq!(
        literals("StallPhase"),
        set(phases().into_iter().map(StallPhase::code)),
        "StallPhase"
    );
    assert_eq!(
        literals("FinishReason"),
        set(finish_reasons().into_iter().map(FinishReason::code)),
        "FinishReason"
    );
    assert_eq!(
        literals("ProtocolErrorCode"),
        set(error_codes()
            .into_iter()
            .filter(|c| c.outcome() == Outcome::ProtocolError)
            .map(ErrorCode::code)),
        "ProtocolErrorCode: the codes of the protocol_error outcome"
    );
}

#[test]
fn every_outcome_has_one_result_type_with_its_error_codes() {
    let mut by_outcome: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for member in members("StreamResult") {
        let outcome = field_literals(&member, "outcome");
        assert_eq!(outcome.len(), 1, "{member}: one outcome");
        let outcome = outcome.into_iter().next().unwrap_or_default();
        let error = fields(&member).remove("error").expect("error").ty;
        let codes = if error == "null" {
            BTreeSet::new()
        } else {
            field_literals(&error, "code")
        };
        assert!(
            by_outcome.insert(outcome.clone(), codes).is_none(),
            "{outcome} has two result types"
        );
    }
    let mut expected: BTreeMap<String, BTreeSet<String>> = outcomes()
        .into_iter()
        .map(|o| (o.code().to_owned(), BTreeSet::new()))
        .collect();
    for c in error_codes() {
        expected
            .entry(c.outcome().code().to_owned())
            .or_default()
            .insert(c.code().to_owned());
    }
    assert_eq!(
        by_outcome, expected,
        "StreamResult: outcome -> error codes (ErrorCode::outcome)"
    );

    // StreamError is the union of those error types, each code in exactly one.
    let mut codes = BTreeSet::new();
    for member in members("StreamError") {
        for c in field_literals(&member, "code") {
            assert!(
                codes.insert(c.clone()),
                "code {c} in two StreamError members"
            );
        }
    }
    assert_eq!(codes, set(error_codes().into_iter().map(ErrorCode::code)));
}

#[test]
fn field_lists_are_the_serialised_ones() {
    let result = StreamResult::new(Default::default(), Some(full_error()), Stats::default());
    let json: Value = serde_json::from_str(&result.to_json()).expect("JSON");
    let declared: BTreeSet<String> = fields("ResultBase").into_keys().collect();
    assert_eq!(declared, keys(&json), "ResultBase");
    for member in members("StreamResult") {
        let own: BTreeSet<String> = fields(&member).into_keys().collect();
        assert_eq!(own, declared, "{member} adds or lacks a field");
    }

    let stats = serde_json::to_value(Stats::default()).expect("JSON");
    let declared: BTreeSet<String> = fields("Stats").into_keys().collect();
    assert_eq!(declared, keys(&stats), "Stats");
    let call = serde_json::to_value(ToolCall::default()).expect("JSON");
    assert_eq!(
        fields("ToolCall").into_keys().collect::<BTreeSet<_>>(),
        keys(&call),
        "ToolCall"
    );
    let usage = serde_json::to_value(Usage::default()).expect("JSON");
    assert_eq!(
        fields("Usage").into_keys().collect::<BTreeSet<_>>(),
        keys(&usage),
        "Usage"
    );

    // The error: every field Rust can set is declared on some member, and the always-present
    // ones (a bare error) are exactly ErrorBase's required fields.
    let full = serde_json::to_value(full_error()).expect("JSON");
    let mut declared = BTreeSet::new();
    for member in members("StreamError") {
        declared.extend(fields(&member).into_keys());
    }
    assert_eq!(declared, keys(&full), "the StreamError members' fields");
    let bare = serde_json::to_value(StreamError::new(ErrorCode::Aborted, "m")).expect("JSON");
    let required: BTreeSet<String> = fields("ErrorBase")
        .into_iter()
        .filter(|(_, f)| !f.optional)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(required, keys(&bare), "ErrorBase's required fields");
}

#[test]
fn event_types_and_fields_are_what_on_event_receives() {
    let declared = event_members();
    let mut produced = BTreeMap::new();
    for (event, to_on_event) in events() {
        let json = serde_json::to_value(&event).expect("JSON");
        let tag = json["type"].as_str().expect("a type tag").to_owned();
        let names: BTreeSet<String> = keys(&json);
        if to_on_event {
            produced.insert(tag, names);
        } else {
            assert!(
                !declared.contains_key(&tag),
                "StreamEvent declares `{tag}`, which onEvent never receives"
            );
        }
    }
    let declared: BTreeMap<String, BTreeSet<String>> = declared
        .into_iter()
        .map(|(tag, fields)| (tag, fields.into_keys().collect()))
        .collect();
    assert_eq!(declared, produced, "StreamEvent: type -> fields");
}

/// `options.js` sends the Guard the protocol as its index in its `PROTOCOLS` list, which
/// `Guard::new` (src/web/guard.rs) reads as an index in `Protocol::ALL`: the two lists must be
/// the same names in the same order.
#[test]
fn options_js_protocols_are_protocol_all_in_order() {
    let js = include_str!("../src/web/options.js");
    let head = "const PROTOCOLS = [";
    let start = js.find(head).expect("options.js declares PROTOCOLS") + head.len();
    let list = &js[start..start + js[start..].find(']').expect("PROTOCOLS ends with ]")];
    let names: Vec<&str> = list
        .split(',')
        .map(|n| n.trim().trim_matches('"'))
        .collect();
    assert_eq!(
        names,
        Protocol::ALL.map(Protocol::name),
        "options.js PROTOCOLS against Protocol::ALL"
    );
}

// ---- the errors a session really produces, against their declared member ---------------------

const CHUNK: &[u8] = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n";

fn session(config: Config) -> Session {
    Session::new(config, Millis(0))
}

fn openai() -> Config {
    Config {
        protocol: Protocol::OpenAi,
        ..Config::default()
    }
}

fn sse_head(s: &mut Session) {
    s.handle_response_head(Millis(1), 200, &[("content-type", "text/event-stream")]);
}

fn finished(mut s: Session) -> StreamResult {
    while let Some(out) = s.poll_output() {
        if let Output::Finished(r) = out {
            return r;
        }
    }
    panic!("the session did not finish");
}

/// One session per error code (and a complete one), each ended the way that code arises.
fn produced_results() -> Vec<StreamResult> {
    let mut out = Vec::new();

    let mut s = session(openai());
    sse_head(&mut s);
    s.handle_bytes(
        Millis(2),
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
    );
    s.handle_eof(Millis(3));
    out.push(finished(s));

    let mut s = session(openai());
    sse_head(&mut s);
    s.handle_bytes(Millis(2), CHUNK);
    s.handle_eof(Millis(3));
    out.push(finished(s));

    let mut s = session(Config {
        idle_timeout_ms: 500,
        ..openai()
    });
    sse_head(&mut s);
    s.handle_bytes(Millis(2), CHUNK);
    let deadline = s.poll_deadline().expect("the idle timer");
    s.handle_timeout(deadline);
    out.push(finished(s));

    let mut s = session(openai());
    sse_head(&mut s);
    s.handle_abort(Millis(2));
    out.push(finished(s));

    for (status, headers, body) in [
        (
            429,
            vec![("content-type", "application/json"), ("retry-after", "7")],
            &br#"{"error":{"message":"slow down","type":"rate_limit_exceeded","code":"rate_limit"}}"#[..],
        ),
        (500, vec![("content-type", "text/plain")], &b"oops"[..]),
    ] {
        let mut s = session(openai());
        s.handle_response_head(Millis(1), status, &headers);
        s.handle_bytes(Millis(2), body);
        s.handle_eof(Millis(3));
        out.push(finished(s));
    }

    let mut s = session(openai());
    sse_head(&mut s);
    s.handle_bytes(
        Millis(2),
        b"data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"code\":\"x\"}}\n\n",
    );
    out.push(finished(s));

    let mut s = session(openai());
    s.handle_response_head(Millis(1), 200, &[("content-type", "application/json")]);
    s.handle_bytes(
        Millis(2),
        br#"{"error":{"message":"overloaded","type":"overloaded_error"}}"#,
    );
    s.handle_eof(Millis(3));
    out.push(finished(s));

    let mut s = session(openai());
    s.handle_response_head(Millis(1), 200, &[("content-type", "text/html")]);
    s.handle_bytes(Millis(2), b"<html>portal</html>");
    s.handle_eof(Millis(3));
    out.push(finished(s));

    let mut s = session(openai());
    sse_head(&mut s);
    s.handle_bytes(Millis(2), b"data: {nope\n\n");
    out.push(finished(s));

    let mut s = session(Config {
        protocol: Protocol::AiSdk,
        ..Config::default()
    });
    s.handle_response_head(
        Millis(1),
        200,
        &[
            ("content-type", "text/event-stream"),
            ("x-vercel-ai-ui-message-stream", "v1"),
        ],
    );
    s.handle_bytes(Millis(2), b"data: [1,2]\n\n");
    out.push(finished(s));

    let mut s = session(Config {
        max_event_bytes: 16,
        ..openai()
    });
    sse_head(&mut s);
    s.handle_bytes(Millis(2), CHUNK);
    out.push(finished(s));

    let mut s = session(Config {
        max_text_bytes: 2,
        ..openai()
    });
    sse_head(&mut s);
    s.handle_bytes(Millis(2), CHUNK);
    out.push(finished(s));

    let mut s = session(openai());
    sse_head(&mut s);
    s.handle_error(
        Millis(2),
        NetworkError {
            kind: NetworkErrorKind::Reset,
            message: "reset".into(),
        },
    );
    out.push(finished(s));

    out
}

#[test]
fn produced_errors_have_exactly_their_declared_fields() {
    let results = produced_results();
    let seen: BTreeSet<&str> = results
        .iter()
        .map(|r| r.error.as_ref().map_or("(none)", |e| e.code.code()))
        .collect();
    let mut wanted: BTreeSet<&str> = error_codes().into_iter().map(ErrorCode::code).collect();
    wanted.insert("(none)");
    assert_eq!(
        seen, wanted,
        "one session per error code (and a complete one)"
    );

    // code -> the StreamError member declaring it
    let mut member_of = BTreeMap::new();
    for member in members("StreamError") {
        for c in field_literals(&member, "code") {
            member_of.insert(c, member.clone());
        }
    }
    for r in &results {
        let json: Value = serde_json::from_str(&r.to_json()).expect("JSON");
        let Some(error) = json.get("error").filter(|e| !e.is_null()) else {
            assert_eq!(json["outcome"], "complete");
            continue;
        };
        let code = error["code"].as_str().expect("a code");
        let member = &member_of[code];
        let declared = fields(member);
        for (k, v) in error.as_object().expect("an object") {
            let f = declared
                .get(k)
                .unwrap_or_else(|| panic!("{code}: `{k}` is not declared on {member}"));
            assert!(
                !v.is_null() || f.ty.contains("null"),
                "{code}: `{k}` is null but {member} declares `{}`",
                f.ty
            );
        }
        for (k, f) in &declared {
            assert!(
                f.optional || error.get(k).is_some(),
                "{code}: {member} requires `{k}`, the error has none: {error}"
            );
        }
    }
}
