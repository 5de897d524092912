//! The decoder tests' helpers: the fixture loader, a runner that feeds chunks to a
//! [`StreamDecoder`], and the structural comparison with `*.expected.json`.
use std::path::{Path, PathBuf};

use serde_json::Value;
use streamguard::{Protocol, Stats, StreamDecoder, StreamError, StreamEvent, StreamResult};

/// One fixture: `tests/fixtures/decode/<dir>/<name>.(sse|ndjson)` and `<name>.expected.json`.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// `<dir>/<name>`, for messages.
    pub name: String,
    /// The body bytes exactly as sent.
    pub body: Vec<u8>,
    /// The expected outcome (a subset of the outcome JSON, plus `protocol`, `contentType`,
    /// `resolved`, `keepAlives`).
    pub expected: Value,
    /// The protocol to decode with (`expected.protocol`).
    pub protocol: Protocol,
    /// The Content-Type handed in first, when the fixture names one.
    pub content_type: Option<String>,
    /// The body is NDJSON.
    pub ndjson: bool,
}

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
            let (body_path, ndjson) = if dir.join(format!("{stem}.sse")).exists() {
                (dir.join(format!("{stem}.sse")), false)
            } else {
                (dir.join(format!("{stem}.ndjson")), true)
            };
            let body = std::fs::read(&body_path).expect("read body");
            let protocol = expected["protocol"]
                .as_str()
                .and_then(Protocol::from_name)
                .expect("expected.protocol");
            let content_type = expected["contentType"].as_str().map(str::to_owned);
            let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
            out.push(Fixture {
                name: format!("{dir_name}/{stem}"),
                body,
                expected,
                protocol,
                content_type,
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
    let mut d = StreamDecoder::new(protocol, max_event_bytes);
    if let Some(ct) = content_type {
        d.set_content_type(ct);
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
    run_decoder(fx.protocol, fx.content_type.as_deref(), 1 << 20, chunks)
}

/// Checks every key of `fx.expected` against the run; `label` names the chunking.
pub fn check_expected(fx: &Fixture, run: &DecodeRun, label: &str) {
    let actual = serde_json::to_value(&run.outcome).expect("outcome json");
    let Value::Object(expected) = &fx.expected else {
        panic!("{}: expected.json is not an object", fx.name);
    };
    for (key, want) in expected {
        match key.as_str() {
            "protocol" | "contentType" => {}
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
/// chunk (that is its point), so adjacent text events are merged for `text`; every other
/// protocol's events are compared as they are.
pub fn comparable_events(run: &DecodeRun) -> Vec<StreamEvent> {
    if run.resolved != Protocol::Text {
        return run.events.clone();
    }
    let mut out: Vec<StreamEvent> = Vec::new();
    for e in &run.events {
        match (out.last_mut(), e) {
            (Some(StreamEvent::Text { text: acc }), StreamEvent::Text { text }) => {
                acc.push_str(text)
            }
            _ => out.push(e.clone()),
        }
    }
    out
}
