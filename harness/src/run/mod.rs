//! `run`: every scenario (or a `--filter`) through the native client, at every chunking,
//! against an in-process server (or `--server URL`), with the FAULTS.md test timer values.
//!
//! One line per scenario and chunking (`ok   stall_mid [rechunk=7] stalled/idle 541ms`, or
//! `FAIL ...` with the reasons and the wire transcript), then exactly `N passed, M failed`.
//! Exit 1 on any failure.
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use futures::StreamExt;
use tokio::runtime::Builder;

use crate::scenario::ScenarioSet;
use crate::server::{Server, ServerConfig};

mod one;
mod report;
mod setup;

use one::{run_one, RunResult};
use setup::variants;
#[cfg(test)]
pub(crate) use {one::check, setup::client_config};

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
