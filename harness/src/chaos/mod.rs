//! `chaos`: thousands of seeded random cases through the in-process server and the native
//! client (the core's `Driver`), each checked for the invariants every stream must keep:
//!
//! - exactly one outcome, nothing after it;
//! - the text is a prefix of the scenario's text, and equal to it when `complete`;
//! - never `complete` unless the provider's end signal was written;
//! - a stall is reported within [T, T + 250 ms] of the timer that was due first (T from the
//!   server's own record of what it wrote and when), the server sees the close by then, and
//!   no due timer is missed;
//! - the stats agree with what the server wrote (bytes, events, deltas).
//!
//! A case is a function of its seed ([`gen::case`]); every failure prints its seed, and
//! `--seed S` replays that one case with its scenario and transcript.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use streamguard::{Config, FlushMode, Protocol};
use tokio::runtime::Builder;

use crate::client::{self, Options, RequestSpec};
use crate::scenario::ScenarioSet;
use crate::server::registry::Registry;
use crate::server::{Server, ServerConfig};
use crate::wire::Wire;

mod check;
mod gen;
mod model;

use gen::Case;

#[derive(clap::Args)]
pub struct Args {
    /// How many seeds to run.
    #[arg(long, default_value_t = 2000)]
    pub seeds: u64,
    /// The first seed (default: random, printed); the run covers FIRST..FIRST+SEEDS.
    #[arg(long)]
    pub first: Option<u64>,
    /// Replay one seed (prints its scenario, the outcome and the wire transcript).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Cases in flight at once.
    #[arg(long, default_value_t = 24)]
    pub concurrency: usize,
}

/// The result of one case.
struct Ran {
    seed: u64,
    outcome: String,
    failures: Vec<String>,
    /// Real-time checks that failed (see `check::Verdict::timing`).
    timing: Vec<String>,
    detail: String,
}

pub fn main(args: Args) -> ExitCode {
    let (first, count, verbose) = match args.seed {
        Some(s) => (s, 1, true),
        None => (
            args.first.unwrap_or_else(|| rand::random::<u32>().into()),
            args.seeds,
            false,
        ),
    };
    let started = Instant::now();
    let mut cases = Vec::with_capacity(count as usize);
    for seed in first..first.saturating_add(count) {
        match gen::case(seed) {
            Ok(c) => cases.push(c),
            Err(e) => {
                eprintln!("chaos: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let mut set = match ScenarioSet::builtin() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("chaos: {e}");
            return ExitCode::FAILURE;
        }
    };
    for c in &cases {
        set.by_name
            .insert(c.scenario.name.clone(), c.scenario.clone());
    }
    let mut config = match ServerConfig::local(0) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("chaos: {e}");
            return ExitCode::FAILURE;
        }
    };
    config.scenarios = set;
    // The server on its own runtime thread, as in `run`.
    let mut server_rt = Builder::new_multi_thread();
    server_rt.worker_threads(1).thread_name("chaos-server");
    let (Some(server_rt), Some(rt)) = (
        crate::runtime("chaos", &mut server_rt),
        crate::runtime("chaos", Builder::new_multi_thread().worker_threads(2)),
    ) else {
        return ExitCode::FAILURE;
    };
    let server = match server_rt.block_on(Server::start(config)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("chaos: cannot start the server: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "chaos: seeds {first}..{} (replay one with --seed S), server {}",
        first.saturating_add(count),
        server.url()
    );
    let base = server.url();
    let state = server.state.clone();
    let nonce = u64::from(std::process::id());
    let by_seed: std::collections::HashMap<u64, Arc<Case>> =
        cases.into_iter().map(|c| (c.seed, Arc::new(c))).collect();
    let (passed, failed, tally) = rt.block_on(async {
        let mut order: Vec<u64> = by_seed.keys().copied().collect();
        order.sort_unstable();
        let mut results =
            futures::stream::iter(order.iter().filter_map(|s| by_seed.get(s).cloned()))
                .map(|c| {
                    let (base, state) = (base.clone(), state.clone());
                    async move { run_case(&base, &state.registry, c, nonce, verbose).await }
                })
                .buffer_unordered(args.concurrency.max(1));
        let (mut passed, mut failed, mut again) = (0u64, Vec::new(), Vec::new());
        let mut tally = std::collections::BTreeMap::<String, u64>::new();
        while let Some(r) = results.next().await {
            *tally.entry(r.outcome.clone()).or_default() += 1;
            if r.failures.is_empty() && r.timing.is_empty() {
                passed += 1;
                if verbose {
                    println!("ok   seed {}: {}\n{}", r.seed, r.outcome, r.detail);
                }
            } else if r.failures.is_empty() && !verbose {
                again.push(r);
            } else {
                report_failure(&r, None);
                failed.push(r.seed);
            }
        }
        drop(results);
        // A real-time check that failed is re-run alone: it fails only if it fails again
        // (a stall of the whole machine longer than the margin breaks any real-time bound).
        for first in again {
            let Some(case) = by_seed.get(&first.seed) else {
                continue;
            };
            let r = run_case(&base, &state.registry, case.clone(), nonce + 1, false).await;
            if r.failures.is_empty() && r.timing.is_empty() {
                passed += 1;
                println!(
                    "note: seed {}: {} (not again when re-run alone: the machine stalled)",
                    first.seed,
                    first.timing.join("; ")
                );
            } else {
                report_failure(&r, Some(&first));
                failed.push(r.seed);
            }
        }
        (passed, failed, tally)
    });
    server_rt.block_on(server.shutdown());
    let outcomes: Vec<String> = tally.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "chaos: {} seeds in {:.1} s; outcomes: {}",
        passed + failed.len() as u64,
        started.elapsed().as_secs_f64(),
        outcomes.join(", ")
    );
    if !failed.is_empty() {
        let list: Vec<String> = failed.iter().map(u64::to_string).collect();
        println!("failed seeds: {}", list.join(" "));
    }
    println!("{passed} passed, {} failed", failed.len());
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Prints a failed case (and the first run's failures when it was a re-run).
fn report_failure(r: &Ran, first: Option<&Ran>) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "FAIL seed {} ({}):", r.seed, r.outcome);
    if let Some(f) = first {
        let _ = writeln!(out, "     (the first run: {})", f.timing.join("; "));
    }
    for f in r.failures.iter().chain(&r.timing) {
        let _ = writeln!(out, "     - {f}");
    }
    let _ = writeln!(out, "{}", r.detail);
}

/// The client configuration of a case: its protocol and timers, frame flushing.
fn config(case: &Case) -> Config {
    let t = case.timers;
    Config {
        protocol: Protocol::from_name(case.scenario.client_protocol()).unwrap_or(Protocol::Auto),
        first_byte_timeout_ms: t.first_byte,
        idle_timeout_ms: t.idle,
        content_timeout_ms: t.content,
        total_timeout_ms: t.total,
        flush: FlushMode::Frame,
        ..Config::default()
    }
}

async fn run_case(
    base: &str,
    registry: &Registry,
    case: Arc<Case>,
    nonce: u64,
    verbose: bool,
) -> Ran {
    let id = format!("chaos-{}-{nonce}", case.seed);
    let url = format!(
        "{base}/scenarios/{}?request_id={id}&seed={}",
        case.scenario.name, case.seed
    );
    let spec = RequestSpec {
        url,
        method: "POST".into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: Some(bytes::Bytes::from_static(b"{\"stream\":true}")),
        ..RequestSpec::default()
    };
    let limit = Duration::from_millis(case.timers.total + 5000);
    let report = tokio::time::timeout(
        limit,
        client::stream(spec, Options::new(config(&case)), |_| {}),
    )
    .await;
    let wire = case.scenario.wire().unwrap_or(Wire::OpenAi);
    let chunked = case.scenario.framing == crate::scenario::Framing::Chunked;
    let Ok(report) = report else {
        return Ran {
            seed: case.seed,
            outcome: "none".into(),
            failures: vec![format!("no outcome within {} ms", limit.as_millis())],
            timing: Vec::new(),
            detail: case.json.to_string(),
        };
    };
    let outcome = report.outcome.outcome.code().to_owned();
    let v = check::check(&case, wire, chunked, &report, registry, &id).await;
    let clean = v.failures.is_empty() && v.timing.is_empty();
    Ran {
        seed: case.seed,
        outcome,
        failures: v.failures,
        timing: v.timing,
        detail: if clean && !verbose {
            String::new()
        } else {
            v.detail
        },
    }
}
