//! `run`: every scenario (or a `--filter`) through the native client, at every chunking,
//! against an in-process server (or `--server URL`), with the FAULTS.md test timer values.
//!
//! One line per scenario and chunking (`ok   stall_mid [rechunk=7] stalled/idle 541ms`, or
//! `FAIL ...` with the reasons and the wire transcript), then exactly `N passed, M failed`.
//! Exit 1 on any failure.
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;
use streamguard::{Config, FlushMode, Protocol, RetryPolicy, StreamResult};
use tokio::runtime::Builder;

use crate::client::{self, Options, Report, RequestSpec};
use crate::net;
use crate::scenario::{Scenario, ScenarioSet};
use crate::server::{Server, ServerConfig};

/// FAULTS.md test timer values.
pub(crate) const FIRST_BYTE_MS: u64 = 1000;
pub(crate) const IDLE_MS: u64 = 500;
pub(crate) const CONTENT_MS: u64 = 1500;
pub(crate) const TOTAL_MS: u64 = 5000;
/// A timer fires on time within [fire_ms - EARLY, fire_ms + LATE] (fire_ms is computed from
/// the scenario's schedule, so it carries the server's own scheduling jitter).
const EARLY_MS: u64 = 40;
const LATE_MS: u64 = 200;
/// The server must see the client's close within T + this.
const CLOSE_SLACK_MS: u64 = 250;

#[derive(clap::Args)]
pub struct Args {
    /// Only runs whose `name [chunking]` label contains this substring.
    #[arg(long)]
    pub filter: Option<String>,
    /// The seed of the random chunkings (default: random, printed first).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Use this server instead of an in-process one (e.g. `http://127.0.0.1:8080`).
    #[arg(long)]
    pub server: Option<String>,
    /// Extra scenario files (as `serve --scenarios`; the server must have them too).
    #[arg(long)]
    pub scenarios: Option<PathBuf>,
    /// Runs in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Only the unchunked run of each scenario.
    #[arg(long)]
    pub no_chunkings: bool,
}

/// One chunking of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variant {
    /// `none`, `rechunk=7`, `rechunk=random#2`.
    pub label: String,
    /// `?fault=` shorthands.
    pub faults: Vec<String>,
    pub seed: u64,
}

/// Expands a scenario's chunking names.
pub(crate) fn variants(sc: &Scenario, seed: u64, base_only: bool) -> Vec<Variant> {
    let mut out = Vec::new();
    let none = |seed| Variant {
        label: "none".into(),
        faults: vec![],
        seed,
    };
    if base_only {
        return vec![none(seed)];
    }
    let sized = |n: usize, seed| Variant {
        label: format!("rechunk={n}"),
        faults: vec![format!("rechunk:{n}")],
        seed,
    };
    let random = |i: u64, seed: u64| Variant {
        label: if i == 0 {
            "rechunk=random".into()
        } else {
            format!("rechunk=random#{i}")
        },
        faults: vec!["rechunk:random".into()],
        seed: seed.wrapping_add(i),
    };
    for c in sc.chunkings() {
        match c.as_str() {
            "none" => out.push(none(seed)),
            "random" => out.push(random(0, seed)),
            "sweep" => {
                out.push(none(seed));
                for n in (1..=64).chain([128, 256, 512, 1024]) {
                    out.push(sized(n, seed));
                }
                for i in 0..3 {
                    out.push(random(i, seed));
                }
            }
            n => match n.parse::<usize>() {
                Ok(n) => out.push(sized(n, seed)),
                Err(_) => out.push(Variant {
                    label: format!("bad chunking {n}"),
                    faults: vec![format!("bad chunking {n}")],
                    seed,
                }),
            },
        }
    }
    out
}

/// The client configuration for a scenario: FAULTS.md test values, then its overrides.
pub(crate) fn client_config(sc: &Scenario) -> Config {
    let c = &sc.client;
    Config {
        protocol: Protocol::from_name(sc.client_protocol()).unwrap_or(Protocol::Auto),
        first_byte_timeout_ms: c.first_byte_timeout_ms.unwrap_or(FIRST_BYTE_MS),
        idle_timeout_ms: c.idle_timeout_ms.unwrap_or(IDLE_MS),
        content_timeout_ms: c.content_timeout_ms.unwrap_or(CONTENT_MS),
        total_timeout_ms: c.total_timeout_ms.unwrap_or(TOTAL_MS),
        flush: FlushMode::Frame,
        ..Config::default()
    }
}

/// A request body in the provider's shape.
pub(crate) fn request_body(protocol: &str) -> Bytes {
    let v = match protocol {
        "anthropic" => {
            serde_json::json!({"model": "claude-mock", "max_tokens": 256, "stream": true,
            "messages": [{"role": "user", "content": "Say something."}]})
        }
        "openai-responses" => serde_json::json!({"model": "gpt-4o-mini-mock", "stream": true,
            "input": "Say something."}),
        "ollama" => serde_json::json!({"model": "llama3.2-mock", "stream": true,
            "messages": [{"role": "user", "content": "Say something."}]}),
        _ => serde_json::json!({"model": "gpt-4o-mini-mock", "stream": true,
            "messages": [{"role": "user", "content": "Say something."}]}),
    };
    Bytes::from(v.to_string())
}

/// The result of one run.
#[derive(Debug)]
pub(crate) struct RunResult {
    pub label: String,
    pub passed: bool,
    /// The `ok`/`FAIL` line, plus reasons and transcript for failures.
    pub text: String,
}

fn short(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().count() > n {
        out.push('…');
    }
    format!("{out:?}")
}

/// Describes where two texts first differ.
fn text_diff(want: &str, got: &str) -> String {
    let at = want
        .char_indices()
        .zip(got.chars())
        .find(|((_, a), b)| a != b)
        .map(|((i, _), _)| i)
        .unwrap_or(want.len().min(got.len()));
    let at = (0..=at)
        .rev()
        .find(|i| want.is_char_boundary(*i) && got.is_char_boundary(*i))
        .unwrap_or(0);
    format!(
        "text differs at byte {at} (want {} bytes, got {}): want {} got {}",
        want.len(),
        got.len(),
        short(&want[at..], 40),
        short(&got[at..], 40)
    )
}

fn summary(o: &StreamResult) -> String {
    let detail = match &o.error {
        Some(e) => match e.phase {
            Some(p) => p.code().to_owned(),
            None => e.code.code().to_owned(),
        },
        None => o
            .finish_reason
            .map(|f| f.code().to_owned())
            .unwrap_or_else(|| "-".into()),
    };
    format!("{}/{}", o.outcome.code(), detail)
}

/// The retry policy of a scenario's `[client]` (off unless it sets `max_attempts`).
pub(crate) fn retry_policy(sc: &Scenario) -> RetryPolicy {
    RetryPolicy {
        max_attempts: sc.client.max_attempts.unwrap_or(1).max(1),
        resume: sc.client.resume,
        ..RetryPolicy::default()
    }
}

/// Checks the reconnect of a resume scenario, on both sides: the client's attempts and the
/// server's records of them (the same request id).
pub(crate) fn check_reconnect(sc: &Scenario, r: &Report, rec: &Value) -> Vec<String> {
    let e = &sc.expect;
    let mut fails = Vec::new();
    if r.attempts.len() < 2 {
        fails.push(format!("{} attempt(s): no reconnect", r.attempts.len()));
    }
    if rec["earlier"].as_array().is_none_or(|a| a.is_empty()) {
        fails.push("the server saw no earlier request with this id".into());
    }
    if let Some(want) = &e.reconnect_last_event_id {
        let sent = r.attempts.last().and_then(|a| a.last_event_id.as_deref());
        if sent != Some(want.as_str()) {
            fails.push(format!(
                "the client sent Last-Event-ID {sent:?} (want {want})"
            ));
        }
        let seen = rec["lastEventId"].as_str();
        if seen != Some(want.as_str()) {
            fails.push(format!(
                "the server saw Last-Event-ID {seen:?} on the last request (want {want})"
            ));
        }
    }
    if let Some(min) = e.reconnect_min_gap_ms {
        match rec["gapAfterPreviousMs"].as_u64() {
            Some(gap) if gap >= min => {}
            Some(gap) => fails.push(format!(
                "the reconnect came {gap} ms after the server ended the previous connection (want >= {min})"
            )),
            None => fails.push("the server has no gap to the previous request".into()),
        }
        if let [.., prev, last] = r.attempts.as_slice() {
            let gap = last.started_ms.saturating_sub(prev.finished_ms);
            if gap < min {
                fails.push(format!(
                    "the client reconnected {gap} ms after the previous attempt ended (want >= {min})"
                ));
            }
        }
    }
    fails
}

/// Checks a report against the scenario's expectations.
pub(crate) fn check(sc: &Scenario, r: &Report) -> Vec<String> {
    let e = &sc.expect;
    let o = &r.outcome;
    let mut fails = Vec::new();
    let outcomes = e.outcome.as_ref().map(|x| x.list()).unwrap_or_default();
    if !outcomes.contains(&o.outcome.code()) {
        fails.push(format!(
            "outcome {} (want {})",
            o.outcome.code(),
            outcomes.join(" or ")
        ));
    }
    let err = o.error.as_ref();
    if let Some(code) = &e.error_code {
        let got = err.map(|e| e.code.code()).unwrap_or("none");
        if got != code {
            fails.push(format!("error.code {got} (want {code})"));
        }
    }
    if let Some(phase) = &e.phase {
        let got = err
            .and_then(|e| e.phase)
            .map(|p| p.code())
            .unwrap_or("none");
        if got != phase {
            fails.push(format!("phase {got} (want {phase})"));
        }
    }
    let fr = o.finish_reason.map(|f| f.code());
    if fr != e.finish_reason.as_deref() {
        fails.push(format!(
            "finishReason {} (want {})",
            fr.unwrap_or("none"),
            e.finish_reason.as_deref().unwrap_or("none")
        ));
    }
    let want = sc.expected_text();
    if o.text != want {
        fails.push(text_diff(&want, &o.text));
    }
    let flushed: String = r.flushes.concat();
    if flushed != o.text {
        fails.push(format!(
            "the flushes concatenate to {} bytes, the outcome text has {}",
            flushed.len(),
            o.text.len()
        ));
    }
    if r.after_finish > 0 {
        fails.push(format!("{} outputs after Finished", r.after_finish));
    }
    if let Some(s) = e.status {
        let got = err.and_then(|e| e.status);
        if got != Some(s) {
            fails.push(format!("error.status {got:?} (want {s})"));
        }
    }
    if let Some(ms) = e.retry_after_ms {
        let got = err.and_then(|e| e.retry_after_ms);
        if got != Some(ms) {
            fails.push(format!("error.retryAfterMs {got:?} (want {ms})"));
        }
    }
    if let Some(b) = e.retryable {
        let got = err.and_then(|e| e.retryable);
        if got != Some(b) {
            fails.push(format!("error.retryable {got:?} (want {b})"));
        }
    }
    if let Some(p) = &e.provider {
        let got = err.and_then(|e| e.provider.as_deref());
        if got != Some(p.as_str()) {
            fails.push(format!("error.provider {got:?} (want {p})"));
        }
    }
    if let Some(t) = &e.error_type {
        let got = err.and_then(|e| e.error_type.as_deref());
        if got != Some(t.as_str()) {
            fails.push(format!("error.type {got:?} (want {t})"));
        }
    }
    if let Some(m) = &e.message_contains {
        let got = err.map(|e| e.message.as_str()).unwrap_or("");
        if !got.contains(m.as_str()) {
            fails.push(format!(
                "error.message {} lacks {}",
                short(got, 80),
                short(m, 40)
            ));
        }
    }
    if let Some(i) = e.event_index {
        let got = err.and_then(|e| e.event_index);
        if got != Some(i) {
            fails.push(format!("error.eventIndex {got:?} (want {i})"));
        }
    }
    let elapsed = err
        .and_then(|e| e.elapsed_ms)
        .unwrap_or(o.stats.duration_ms);
    if let Some(t) = e.fire_ms {
        if elapsed + EARLY_MS < t || elapsed > t + LATE_MS {
            fails.push(format!(
                "fired at {elapsed} ms (want {t} ms, within -{EARLY_MS}/+{LATE_MS})"
            ));
        }
    }
    if let Some(max) = e.max_duration_ms {
        if o.stats.duration_ms > max {
            fails.push(format!(
                "took {} ms (want at most {max})",
                o.stats.duration_ms
            ));
        }
    }
    if let Some(max) = e.max_flushes {
        if r.flushes.len() as u64 > max {
            fails.push(format!("{} flushes (want at most {max})", r.flushes.len()));
        }
    }
    if let Some(n) = e.deltas {
        if o.stats.deltas != n {
            fails.push(format!("stats.deltas {} (want {n})", o.stats.deltas));
        }
    }
    if let Some(n) = e.events {
        if o.stats.events != n {
            fails.push(format!("stats.events {} (want {n})", o.stats.events));
        }
    }
    if let Some(b) = e.buffered {
        if o.stats.buffered != b {
            fails.push(format!("stats.buffered {} (want {b})", o.stats.buffered));
        }
    }
    fails
}

fn escape_bytes(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if out.len() >= max {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The wire transcript of a request, for a failure report.
pub(crate) fn format_transcript(rec: &Value) -> String {
    let mut s = format!(
        "     wire: {} bytes written, server end {} at {} ms, client closed {} at {} ms\n",
        rec["bytesWritten"],
        rec["serverEnd"].as_str().unwrap_or("-"),
        rec["serverEndAfterStartMs"],
        rec["clientClosed"],
        rec["closedAfterStartMs"]
    );
    let entries = rec["transcript"].as_array().cloned().unwrap_or_default();
    for (i, t) in entries.iter().enumerate() {
        if i == 40 {
            s.push_str(&format!("     ... {} more writes\n", entries.len() - 40));
            break;
        }
        s.push_str(&format!(
            "     {:>6} ms {:>6} B  {}\n",
            t["tMs"],
            t["len"],
            escape_bytes(t["bytes"].as_str().unwrap_or(""), 160)
        ));
    }
    s
}

/// Runs one scenario at one chunking.
pub(crate) async fn run_one(base: &str, sc: &Scenario, v: &Variant, nonce: u64) -> RunResult {
    let label = format!("{} [{}]", sc.name, v.label);
    let id = format!(
        "run-{}-{}-{}-{nonce}",
        sc.name,
        v.label.replace(['=', '#'], ""),
        v.seed
    );
    let url = if sc.server {
        let mut u = format!(
            "{base}/scenarios/{}?request_id={id}&seed={}",
            sc.name, v.seed
        );
        for f in &v.faults {
            u.push_str("&fault=");
            u.push_str(f);
        }
        u
    } else {
        // Nothing listens: bind a port, then close it.
        match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
            Ok(addr) => format!("http://{addr}/v1/chat/completions"),
            Err(e) => {
                return RunResult {
                    label: label.clone(),
                    passed: false,
                    text: format!("FAIL {label}: cannot find a closed port: {e}"),
                }
            }
        }
    };
    let config = client_config(sc);
    let limit = if config.total_timeout_ms > 0 {
        config.total_timeout_ms + 5000
    } else {
        15_000
    };
    let mut opts = Options::new(config);
    opts.frames = sc.client.frames.unwrap_or(true);
    opts.abort_after_deltas = sc.client.abort_after_deltas;
    opts.retry = retry_policy(sc);
    // Resume is for GET streams (a reconnect must be idempotent).
    let spec = if sc.client.resume {
        RequestSpec {
            url,
            method: "GET".into(),
            ..RequestSpec::default()
        }
    } else {
        RequestSpec {
            url,
            method: "POST".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some(request_body(sc.client_protocol())),
            ..RequestSpec::default()
        }
    };
    let limit = limit * u64::from(opts.retry.max_attempts.max(1));
    let report = tokio::time::timeout(
        Duration::from_millis(limit),
        client::stream(spec, opts, |_| {}),
    )
    .await;
    let mut fails = Vec::new();
    let (line, report) = match report {
        Ok(r) => {
            fails.extend(check(sc, &r));
            let ms = r.outcome.stats.duration_ms;
            (format!("{} {}ms", summary(&r.outcome), ms), Some(r))
        }
        Err(_) => {
            fails.push(format!(
                "no outcome within {limit} ms (the session never finished)"
            ));
            ("none".to_owned(), None)
        }
    };
    let mut record = None;
    let reconnect =
        sc.expect.reconnect_last_event_id.is_some() || sc.expect.reconnect_min_gap_ms.is_some();
    if sc.server && reconnect {
        match net::get_json(&format!("{base}/_harness/requests/{id}")).await {
            Ok(rec) => {
                if let Some(r) = &report {
                    fails.extend(check_reconnect(sc, r, &rec));
                }
                record = Some(rec);
            }
            Err(e) => fails.push(format!("registry: {e}")),
        }
    }
    if sc.server && sc.expects_close() {
        let t = report
            .as_ref()
            .map(|r| {
                r.outcome
                    .error
                    .as_ref()
                    .and_then(|e| e.elapsed_ms)
                    .unwrap_or(r.outcome.stats.duration_ms)
                    .max(r.outcome.stats.duration_ms)
            })
            .unwrap_or(limit);
        match net::get_json(&format!(
            "{base}/_harness/requests/{id}/wait-closed?timeout_ms=1000"
        ))
        .await
        {
            Ok(rec) => {
                let closed = rec["clientClosed"].as_bool().unwrap_or(false);
                let at = rec["closedAfterStartMs"].as_u64();
                match (closed, at) {
                    (true, Some(at)) if at <= t + CLOSE_SLACK_MS => {}
                    (true, Some(at)) => fails.push(format!(
                        "the server saw the close at {at} ms (want by {} ms)",
                        t + CLOSE_SLACK_MS
                    )),
                    _ => fails.push("the server never saw the client close the connection".into()),
                }
                record = Some(rec);
            }
            Err(e) => fails.push(format!("registry: {e}")),
        }
    }
    if fails.is_empty() {
        return RunResult {
            label: label.clone(),
            passed: true,
            text: format!("ok   {label} {line}"),
        };
    }
    let mut text = format!("FAIL {label} {line}\n");
    for f in &fails {
        text.push_str(&format!("     - {f}\n"));
    }
    if let Some(r) = &report {
        text.push_str(&format!(
            "     outcome: {}\n",
            short(&r.outcome.to_json(), 600)
        ));
    }
    if sc.server {
        if record.is_none() {
            record = net::get_json(&format!("{base}/_harness/requests/{id}"))
                .await
                .ok();
        }
        match record {
            Some(rec) => text.push_str(&format_transcript(&rec)),
            None => text.push_str("     (no wire transcript)\n"),
        }
    }
    RunResult {
        label,
        passed: false,
        text: text.trim_end().to_owned(),
    }
}

/// Runs everything; returns the number passed and the labels that failed.
pub(crate) async fn run_all(
    base: &str,
    set: &ScenarioSet,
    filter: Option<&str>,
    seed: u64,
    concurrency: usize,
    base_only: bool,
    mut print: impl FnMut(&RunResult),
) -> (usize, Vec<String>) {
    let mut shared = Vec::new();
    let mut exclusive = Vec::new();
    for sc in set.by_name.values() {
        for v in variants(sc, seed, base_only) {
            let label = format!("{} [{}]", sc.name, v.label);
            if filter.is_none_or(|f| label.contains(f)) {
                if sc.run.exclusive {
                    exclusive.push((sc, v));
                } else {
                    shared.push((sc, v));
                }
            }
        }
    }
    let nonce = u64::from(std::process::id());
    let (mut passed, mut failed) = (0, Vec::new());
    // Timing-sensitive runs share the machine; CPU-heavy ones then run one at a time.
    for (jobs, n) in [(shared, concurrency.max(1)), (exclusive, 1)] {
        let mut results = futures::stream::iter(jobs)
            .map(|(sc, v)| async move { run_one(base, sc, &v, nonce).await })
            .buffer_unordered(n);
        while let Some(r) = results.next().await {
            if r.passed {
                passed += 1;
            } else {
                failed.push(r.label.clone());
            }
            print(&r);
        }
    }
    (passed, failed)
}

pub fn main(args: Args) -> ExitCode {
    let set = match ScenarioSet::load(args.scenarios.as_deref()) {
        Ok((set, _)) => set,
        Err(e) => {
            eprintln!("run: {e}");
            return ExitCode::FAILURE;
        }
    };
    let seed = args.seed.unwrap_or_else(rand::random);
    let Some(rt) = crate::runtime("run", Builder::new_multi_thread().worker_threads(2)) else {
        return ExitCode::FAILURE;
    };
    // The in-process server gets its own runtime (its own worker thread), so the clients'
    // parsing work cannot delay the server's timed writes.
    let (base, server) = match &args.server {
        Some(url) => (url.trim_end_matches('/').to_owned(), None),
        None => {
            let mut config = match ServerConfig::local(seed) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("run: {e}");
                    return ExitCode::FAILURE;
                }
            };
            config.scenarios = set.clone();
            let mut server = Builder::new_multi_thread();
            server.worker_threads(1).thread_name("harness-server");
            let Some(server_rt) = crate::runtime("run", &mut server) else {
                return ExitCode::FAILURE;
            };
            match server_rt.block_on(Server::start(config)) {
                Ok(s) => (s.url(), Some((s, server_rt))),
                Err(e) => {
                    eprintln!("run: cannot start the server: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    let code = rt.block_on(async move {
        println!("run: seed {seed} (replay with --seed {seed}), server {base}");
        let base = base.as_str();
        let start = std::time::Instant::now();
        let (passed, failed) = run_all(
            base,
            &set,
            args.filter.as_deref(),
            seed,
            args.concurrency,
            args.no_chunkings,
            |r| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", r.text);
                let _ = out.flush();
            },
        )
        .await;
        eprintln!("run: {:.1} s", start.elapsed().as_secs_f64());
        if !failed.is_empty() {
            println!("failed: {}", failed.join(", "));
        }
        println!("{passed} passed, {} failed", failed.len());
        if !failed.is_empty() || passed == 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    });
    if let Some((s, server_rt)) = server {
        server_rt.block_on(s.shutdown());
    }
    code
}
