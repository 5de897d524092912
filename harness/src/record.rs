//! `record`: forwards one request to a real endpoint and saves its response, with its timing,
//! as a scenario file that `serve --scenarios DIR` replays byte-exact with the same gaps (and
//! onto which any fault can be applied, like any scenario).
//!
//! The file: `status`, the end-to-end `headers`, then `steps`: `wait` (the time to the response
//! head), `head`, and for every body read a `wait` (the gap before it, in whole milliseconds)
//! and a `send` of its exact bytes (`data` when the read is valid UTF-8, `hex` otherwise), then
//! `close` (clean end), `hangup` (the upstream broke off) or `stall` (`--timeout-ms` passed).
//! `[expect]` is what the streamguard session reports for exactly these bytes and gaps, and
//! `[client]` holds timers generous enough for the recorded gaps, so `run` can check it too.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{json, Map, Value};
use streamguard::{Config, Millis, NetworkError, NetworkErrorKind, Output, Session};
use tokio::runtime::Builder;
use tokio::time::Instant;

use crate::net::{Tls, UpstreamArgs, Url};
use crate::plan::Tag;
use crate::proxy::split::{Mode, Splitter};
use crate::proxy::upstream;
use crate::scenario::Scenario;
use crate::server::http::find_header;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub upstream: UpstreamArgs,
    /// The method (default: POST with a body, GET without).
    #[arg(long)]
    pub method: Option<String>,
    /// A request header, `Name: value`. Repeatable.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// The request body.
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    /// The request body, from a file.
    #[arg(long)]
    pub body_file: Option<PathBuf>,
    /// Where to write the scenario (`.toml`, or `.json`).
    #[arg(long)]
    pub out: PathBuf,
    /// The scenario's name (default: the file's stem).
    #[arg(long)]
    pub name: Option<String>,
    /// The client protocol (default: from the Content-Type and the path).
    #[arg(long)]
    pub protocol: Option<String>,
    /// Stop recording after this long (the scenario then ends with a stall).
    #[arg(long, default_value_t = 300_000)]
    pub timeout_ms: u64,
}

/// One recorded response.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recording {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Request start to the response head.
    pub head_ms: u64,
    /// Each body read: (ms since the previous read, or since the head for the first), bytes.
    pub chunks: Vec<(u64, Bytes)>,
    /// `close`, `hangup` or `stall`.
    pub end: &'static str,
}

pub fn main(args: Args) -> ExitCode {
    let Some(rt) = crate::runtime("record", &mut Builder::new_current_thread()) else {
        return ExitCode::FAILURE;
    };
    match rt.block_on(run(&args)) {
        Ok(summary) => {
            eprintln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("record: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args) -> Result<String, String> {
    let (url, tls) = args.upstream.open()?;
    let body = match (&args.body, &args.body_file) {
        (Some(b), _) => Some(Bytes::from(b.clone())),
        (None, Some(p)) => Some(Bytes::from(
            std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?,
        )),
        (None, None) => None,
    };
    let method = args
        .method
        .clone()
        .unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.to_owned());
    let mut headers = Vec::new();
    for h in &args.headers {
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| format!("--header {h:?}: expected `Name: value`"))?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    if body.is_some()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
    }
    let rec = capture(
        &url,
        &tls,
        &method,
        &headers,
        body.unwrap_or_default(),
        args.timeout_ms,
    )
    .await?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
            .out
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("recorded")
            .to_owned(),
    };
    let protocol = args
        .protocol
        .clone()
        .unwrap_or_else(|| guess_protocol(&rec, &url.target).to_owned());
    let value = scenario_value(&rec, &name, &protocol, &args.upstream.url)?;
    let json_out = args.out.extension().and_then(|e| e.to_str()) == Some("json");
    let text = if json_out {
        serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
    } else {
        toml::to_string(&value).map_err(|e| format!("toml: {e}"))?
    };
    // The file must load as a scenario, exactly as `serve --scenarios` will load it.
    Scenario::parse(&text, json_out).map_err(|e| format!("the recorded scenario: {e}"))?;
    std::fs::write(&args.out, text).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let bytes: usize = rec.chunks.iter().map(|(_, b)| b.len()).sum();
    Ok(format!(
        "record: {} -> {} ({} {}, {bytes} body bytes in {} reads, ended with {}; expect {})",
        args.upstream.url,
        args.out.display(),
        rec.status,
        protocol,
        rec.chunks.len(),
        rec.end,
        value["expect"]["outcome"]
    ))
}

/// Sends the request and records the response with its timing.
pub(crate) async fn capture(
    url: &Url,
    tls: &Tls,
    method: &str,
    headers: &[(String, String)],
    body: Bytes,
    timeout_ms: u64,
) -> Result<Recording, String> {
    let start = Instant::now();
    let deadline = start + Duration::from_millis(timeout_ms);
    let mut resp =
        tokio::time::timeout_at(deadline, upstream::send(url, tls, method, headers, body))
            .await
            .map_err(|_| format!("no response head within {timeout_ms} ms"))??;
    let head_at = Instant::now();
    let mut rec = Recording {
        status: resp.status,
        headers: resp.headers.clone(),
        head_ms: ms(head_at - start),
        ..Recording::default()
    };
    let mut prev = head_at;
    loop {
        match tokio::time::timeout_at(deadline, resp.body.frame()).await {
            Err(_) => {
                rec.end = "stall";
                break;
            }
            Ok(None) => {
                rec.end = "close";
                break;
            }
            Ok(Some(Err(_))) => {
                rec.end = "hangup";
                break;
            }
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if data.is_empty() {
                        continue;
                    }
                    let now = Instant::now();
                    rec.chunks.push((ms(now - prev), data));
                    prev = now;
                }
            }
        }
    }
    Ok(rec)
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

fn guess_protocol(rec: &Recording, path: &str) -> &'static str {
    let ct = find_header(&rec.headers, "content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.contains("ndjson") || path.starts_with("/api/") {
        "ollama"
    } else if path.contains("/messages") {
        "anthropic"
    } else if path.contains("/responses") {
        "openai-responses"
    } else {
        "openai"
    }
}

/// Headers the replay recomputes or that describe the recording connection, not the stream.
fn keep_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    !(upstream::is_hop_by_hop(&n)
        || n == "date"
        || n.starts_with("access-control-")
        || n.starts_with("x-streamguard-"))
}

/// The scenario file's content.
pub(crate) fn scenario_value(
    rec: &Recording,
    name: &str,
    protocol: &str,
    source: &str,
) -> Result<Value, String> {
    let mut steps = Vec::new();
    if rec.head_ms > 0 {
        steps.push(json!({"do": "wait", "ms": rec.head_ms}));
    }
    steps.push(json!({"do": "head"}));
    // A read made of whole events becomes one tagged send per event (so SSE-aware faults such
    // as drop_terminator and stall_after work on the replay); any other read stays one raw send.
    // Either way the bytes and the gaps are the recorded ones.
    let mode = match Mode::from_content_type(find_header(&rec.headers, "content-type")) {
        Mode::Raw if protocol == "ollama" => Mode::Ndjson,
        Mode::Raw => Mode::Raw,
        m => m,
    };
    let mut splitter = Splitter::new(mode);
    for (gap, bytes) in &rec.chunks {
        if *gap > 0 {
            steps.push(json!({"do": "wait", "ms": gap}));
        }
        let aligned = splitter.pending() == 0;
        let events = splitter.push(bytes);
        if mode != Mode::Raw && aligned && splitter.pending() == 0 && !events.is_empty() {
            for (b, tag) in events {
                steps.push(send(&b, tag));
            }
        } else {
            steps.push(send(bytes, Tag::Raw));
        }
    }
    steps.push(json!({"do": rec.end}));

    let mut headers = Map::new();
    for (k, v) in &rec.headers {
        if keep_header(k) && !headers.contains_key(k) {
            headers.insert(k.clone(), Value::String(v.clone()));
        }
    }
    // Timers generous enough for the recorded gaps: a healthy recording replays healthy.
    let max_gap = rec.chunks.iter().map(|(g, _)| *g).max().unwrap_or(0);
    let total: u64 = rec.head_ms + rec.chunks.iter().map(|(g, _)| *g).sum::<u64>();
    let first = rec.head_ms + rec.chunks.first().map(|(g, _)| *g).unwrap_or(0);
    let client = json!({
        "first_byte_timeout_ms": (2 * first + 1000).max(1000),
        "idle_timeout_ms": (2 * max_gap + 500).max(500),
        "content_timeout_ms": (2 * total + 1500).max(1500),
        "total_timeout_ms": (2 * total + 5000).max(5000),
    });
    let expect = expected(rec, protocol, &client)?;
    let bytes: usize = rec.chunks.iter().map(|(_, b)| b.len()).sum();
    Ok(json!({
        "name": name,
        "description": format!(
            "Recorded from {source}: {} {bytes} body bytes in {} reads over {total} ms, then {}.",
            rec.status,
            rec.chunks.len(),
            rec.end
        ),
        "protocol": protocol,
        "status": rec.status,
        "headers": headers,
        "steps": steps,
        "client": client,
        "run": {"chunkings": ["none"], "why": "a recording replays its own reads and gaps"},
        "expect": expect,
    }))
}

fn send(bytes: &[u8], tag: Tag) -> Value {
    let tag = match tag {
        Tag::Event => "event",
        Tag::Terminator => "terminator",
        Tag::Comment => "comment",
        Tag::Raw | Tag::Wire => "raw",
    };
    match std::str::from_utf8(bytes) {
        Ok(s) => json!({"do": "send", "data": s, "tag": tag}),
        Err(_) => json!({"do": "send", "hex": hex::encode(bytes), "tag": tag}),
    }
}

/// What the session reports for exactly the recorded reads at the recorded times.
fn expected(rec: &Recording, protocol: &str, client: &Value) -> Result<Value, String> {
    let timer = |k: &str| client[k].as_u64().unwrap_or(0);
    let config = Config {
        protocol: streamguard::Protocol::from_name(protocol)
            .ok_or_else(|| format!("unknown protocol {protocol}"))?,
        first_byte_timeout_ms: timer("first_byte_timeout_ms"),
        idle_timeout_ms: timer("idle_timeout_ms"),
        content_timeout_ms: timer("content_timeout_ms"),
        total_timeout_ms: timer("total_timeout_ms"),
        ..Config::default()
    };
    let mut session = Session::new(config, Millis(0));
    let mut now = rec.head_ms;
    let headers: Vec<(&str, &str)> = rec
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    session.handle_response_head(Millis(now), rec.status, &headers);
    for (gap, bytes) in &rec.chunks {
        if session.is_finished() {
            break;
        }
        now += gap;
        session.handle_bytes(Millis(now), bytes);
    }
    if !session.is_finished() {
        match rec.end {
            "close" => session.handle_eof(Millis(now)),
            "hangup" => session.handle_error(
                Millis(now),
                NetworkError {
                    kind: NetworkErrorKind::Reset,
                    message: "the upstream broke off".to_owned(),
                },
            ),
            _ => {
                // A stall: let the timers fire.
                while !session.is_finished() {
                    match session.poll_deadline() {
                        Some(d) => session.handle_timeout(d),
                        None => break,
                    }
                }
            }
        }
    }
    let mut outcome = None;
    while let Some(o) = session.poll_output() {
        if let Output::Finished(o) = o {
            outcome = Some(o);
        }
    }
    let o = outcome.ok_or("the session did not finish on the recorded bytes")?;
    let mut expect = Map::new();
    expect.insert("outcome".into(), json!(o.outcome.code()));
    expect.insert("text".into(), json!(o.text));
    if let Some(r) = o.finish_reason {
        expect.insert("finish_reason".into(), json!(r.code()));
    }
    if let Some(e) = &o.error {
        if let Some(p) = e.phase {
            expect.insert("phase".into(), json!(p.code()));
        }
        expect.insert("error_code".into(), json!(e.code.code()));
    }
    Ok(Value::Object(expect))
}
