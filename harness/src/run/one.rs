//! One run: a scenario at one chunking through the native client, checked against the
//! scenario's expectations (`streamguard-expect`), and on the server's side through its
//! registry (the close it saw, the reconnect).

use std::time::Duration;

use serde_json::Value;
use streamguard_expect::{FireWindow, Observed};

use super::report::{format_transcript, short, summary};
use super::setup::{client_config, request_body, retry_policy, Variant};
use crate::client::{self, Options, Report, RequestSpec};
use crate::net;
use crate::scenario::Scenario;

/// A timer fires on time within [fire_ms - 40, fire_ms + 200] natively: fire_ms is computed
/// from the scenario's schedule, so it carries the server's own scheduling jitter, and runs
/// go 8 at a time.
const FIRE_WINDOW: FireWindow = FireWindow {
    early_ms: 40,
    late_ms: 200,
};
/// The server must see the client's close within T + this.
const CLOSE_SLACK_MS: u64 = 250;

/// The result of one run.
#[derive(Debug)]
pub(crate) struct RunResult {
    pub label: String,
    pub passed: bool,
    /// The `ok`/`FAIL` line, plus reasons and transcript for failures.
    pub text: String,
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

/// Checks a report against the scenario's expectations (the checker the browser tests use
/// too), with the native window for timers.
pub(crate) fn check(sc: &Scenario, r: &Report) -> Vec<String> {
    // The whole expected text, also when the listing leaves it out for its size.
    let expect = sc.expect_json(usize::MAX);
    let result = match serde_json::to_value(&r.outcome) {
        Ok(v) => v,
        Err(e) => return vec![format!("the result does not serialise: {e}")],
    };
    let observed = Observed {
        flushes: &r.flushes,
        after_result: r.after_finish,
        fire_window: FIRE_WINDOW,
    };
    streamguard_expect::check(&expect, &result, &observed)
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
