//! The decoder tests' helpers: the fixture loader, a runner that feeds chunks to a
//! [`StreamDecoder`], and the structural comparison with `*.expected.json`.
use std::path::{Path, PathBuf};

use serde_json::Value;
use streamguard::{Protocol, Stats, StreamDecoder, StreamError, StreamEvent, StreamResult};

/// One fixture: `tests/fixtures/decode/<dir>/<name>.(sse|ndjson|json|txt)` and
/// `<name>.expected.json`.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// `<dir>/<name>`, for messages.
    pub name: String,
    /// The body bytes exactly as sent.
    pub body: Vec<u8>,
    /// The expected outcome (a subset of the outcome JSON, plus `protocol`, `contentType`,
    /// `headers`, `resolved`, `keepAlives`, `events`, `terminator`).
    pub expected: Value,
    /// The protocol to decode with (`expected.protocol`).
    pub protocol: Protocol,
    /// The Content-Type handed in first, when the fixture names one.
    pub content_type: Option<String>,
    /// The response head handed in first: `expected.headers` and the Content-Type.
    pub headers: Vec<(String, String)>,
    /// The body is NDJSON.
    pub ndjson: bool,
}

/// The body file extensions, in the order they are looked for.
const BODY_EXTENSIONS: [&str; 4] = ["sse", "ndjson", "json", "txt"];

/// The fixture root.
pub fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/decode")
}

/// Every fixture, sorted by name. Panics (test setup) when a fixture is malformed.
pub fn load_fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(fixture_root())
        .expect("fixture root")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("fixture dir")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for f in files {
            let file_name = f
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_owned();
            let Some(stem) = file_name.strip_suffix(".expected.json") else {
                continue;
            };
            let expected: Value =
                serde_json::from_slice(&std::fs::read(&f).expect("read expected")).expect("json");
            let ext = BODY_EXTENSIONS
                .into_iter()
                .find(|ext| dir.join(format!("{stem}.{ext}")).exists())
                .unwrap_or_else(|| panic!("{stem}: no body file"));
            let ndjson = ext == "ndjson";
            let body = std::fs::read(dir.join(format!("{stem}.{ext}"))).expect("read body");
            let protocol = expected["protocol"]
                .as_str()
                .and_then(Protocol::from_name)
                .expect("expected.protocol");
            let content_type = expected["contentType"].as_str().map(str::to_owned);
            let mut headers: Vec<(String, String)> = expected["headers"]
                .as_object()
                .map(|h| {
                    h.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(ct) = &content_type {
                headers.push(("content-type".into(), ct.clone()));
            }
            let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
            out.push(Fixture {
                name: format!("{dir_name}/{stem}"),
                body,
                expected,
                protocol,
                content_type,
                headers,
                ndjson,
            });
        }
    }
    assert!(!out.is_empty(), "no fixtures found");
    out
}

/// Everything one decoding produced.
#[derive(Debug, Clone)]
pub struct DecodeRun {
    /// Events in the order `next_event` returned them (including those after `finish`).
    pub events: Vec<StreamEvent>,
    /// For each event, how many body bytes had been fed when it was returned.
    pub fed_at: Vec<usize>,
    /// What `finish` returned.
    pub verdict: Option<StreamError>,
    /// The outcome built from the reply and the verdict.
    pub outcome: StreamResult,
    /// The resolved protocol.
    pub resolved: Protocol,
    /// `keep_alives()`.
    pub keep_alives: u64,
    /// `frames()`.
    pub frames: u64,
}

/// Feeds `chunks` (draining after each), then finishes and drains again.
pub fn run_decoder(
    protocol: Protocol,
    content_type: Option<&str>,
    max_event_bytes: usize,
    chunks: &[&[u8]],
) -> DecodeRun {
    let headers: Vec<(&str, &str)> = content_type
        .map(|ct| ("content-type", ct))
        .into_iter()
        .collect();
    run_decoder_with_head(protocol, &headers, max_event_bytes, chunks)
}

/// [`run_decoder`] with a whole response head (none when `headers` is empty).
pub fn run_decoder_with_head(
    protocol: Protocol,
    headers: &[(&str, &str)],
    max_event_bytes: usize,
    chunks: &[&[u8]],
) -> DecodeRun {
    let mut d = StreamDecoder::new(protocol, max_event_bytes);
    if !headers.is_empty() {
        d.set_headers(headers);
    }
    let mut events = Vec::new();
    let mut fed_at = Vec::new();
    let mut fed = 0;
    for c in chunks {
        d.feed(c);
        fed += c.len();
        while let Some(e) = d.next_event() {
            events.push(e);
            fed_at.push(fed);
        }
    }
    let verdict = d.finish();
    while let Some(e) = d.next_event() {
        events.push(e);
        fed_at.push(fed);
    }
    let stats = Stats {
        events: d.frames(),
        keep_alives: d.keep_alives(),
        ..Stats::default()
    };
    DecodeRun {
        outcome: StreamResult::new(d.reply().clone(), verdict.clone(), stats),
        events,
        fed_at,
        verdict,
        resolved: d.protocol(),
        keep_alives: d.keep_alives(),
        frames: d.frames(),
    }
}

/// Runs a fixture with the given chunking.
pub fn run_fixture(fx: &Fixture, chunks: &[&[u8]]) -> DecodeRun {
    let headers: Vec<(&str, &str)> = fx
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    run_decoder_with_head(fx.protocol, &headers, 1 << 20, chunks)
}

/// Checks every key of `fx.expected` against the run; `label` names the chunking.
pub fn check_expected(fx: &Fixture, run: &DecodeRun, label: &str) {
    let actual = serde_json::to_value(&run.outcome).expect("outcome json");
    let Value::Object(expected) = &fx.expected else {
        panic!("{}: expected.json is not an object", fx.name);
    };
    for (key, want) in expected {
        match key.as_str() {
            "protocol" | "contentType" | "headers" | "terminator" => {}
            "events" => {
                for name in want.as_array().into_iter().flatten() {
                    let name = name.as_str().unwrap_or("");
                    assert!(
                        run.events
                            .iter()
                            .any(|e| matches!(e, StreamEvent::Meta { name: n } if n == name)),
                        "{} [{label}]: no meta event {name}",
                        fx.name
                    );
                }
            }
            "resolved" => assert_eq!(
                Some(run.resolved.name()),
                want.as_str(),
                "{} [{label}]: resolved protocol",
                fx.name
            ),
            "keepAlives" => assert_eq!(
                Some(run.keep_alives),
                want.as_u64(),
                "{} [{label}]: keep-alives",
                fx.name
            ),
            "error" if !want.is_null() => {
                let Value::Object(want) = want else {
                    panic!("{}: expected.error is not an object", fx.name);
                };
                let got = &actual["error"];
                assert!(
                    got.is_object(),
                    "{} [{label}]: no error in {actual}",
                    fx.name
                );
                for (ek, ev) in want {
                    assert_eq!(&got[ek], ev, "{} [{label}]: error.{ek} in {got}", fx.name);
                }
            }
            _ => assert_eq!(
                &actual[key], want,
                "{} [{label}]: {key} in {actual}",
                fx.name
            ),
        }
    }
}

/// The events of a run as chunking cannot change them: a plain-text body's text comes out per
/// chunk (that is its point), so for `text` all text is one event, followed by the other
/// events in order (an `invalid_utf8` meta event follows the chunk that held the bytes); every
/// other protocol's events are compared as they are.
pub fn comparable_events(run: &DecodeRun) -> Vec<StreamEvent> {
    if run.resolved != Protocol::Text {
        return run.events.clone();
    }
    let mut text = String::new();
    let mut rest = Vec::new();
    for e in &run.events {
        match e {
            StreamEvent::Text { text: t } => text.push_str(t),
            other => rest.push(other.clone()),
        }
    }
    let mut out = vec![StreamEvent::Text { text }];
    out.extend(rest);
    out
}
