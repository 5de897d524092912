//! `serve`: the mock LLM server in the foreground.
//!
//! The first stdout line is exactly the bound URL (`http://127.0.0.1:43123`), flushed, so
//! scripts can read it; logs go to stderr. Runs until Ctrl-C.
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use tokio::runtime::Builder;

use crate::scenario::ScenarioSet;
use crate::server::intake::LimitArgs;
use crate::server::statics::StaticMount;
use crate::server::{Server, ServerConfig};

#[derive(clap::Args)]
pub struct Args {
    /// The address to bind (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The port (0 = a free port; the bound URL is the first stdout line).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// A directory of extra scenario files (*.toml, *.json); they may override built-ins.
    #[arg(long)]
    pub scenarios: Option<PathBuf>,
    /// The default seed of every request (default: random, logged on stderr).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Serve static files: `DIR` (at /) or `DIR:/prefix`. Repeatable; GET / serves the first
    /// directory's index.html.
    #[arg(long = "static", value_name = "DIR[:/PREFIX]")]
    pub statics: Vec<String>,
    /// Do not log requests on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// The request registry's memory cap (transcripts and records), MiB.
    #[arg(long, default_value_t = 16, value_name = "MIB")]
    pub registry_mib: usize,
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub fn main(args: Args) -> ExitCode {
    let (scenarios, files) = match ScenarioSet::load(args.scenarios.as_deref()) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(dir) = &args.scenarios {
        eprintln!("serve: {files} scenario file(s) from {}", dir.display());
    }
    let seed = args.seed.unwrap_or_else(rand::random);
    let config = ServerConfig {
        host: args.host.clone(),
        port: args.port,
        scenarios,
        seed,
        statics: args.statics.iter().map(|s| StaticMount::parse(s)).collect(),
        log: !args.quiet,
        limits: args.limits.limits(),
        backlog: args.limits.backlog,
        registry_bytes: args.registry_mib.saturating_mul(1024 * 1024),
    };
    crate::raise_nofile_limit();
    let Some(rt) = crate::runtime("serve", Builder::new_multi_thread().worker_threads(2)) else {
        return ExitCode::FAILURE;
    };
    rt.block_on(async move {
        let n = config.scenarios.by_name.len();
        let statics = config.statics.clone();
        let server = match Server::start(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("serve: bind {}:{}: {e}", args.host, args.port);
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout();
        let _ = writeln!(out, "{}", server.url());
        let _ = out.flush();
        eprintln!(
            "serve: {} scenarios, seed {seed} (replay with --seed {seed})",
            n
        );
        for m in &statics {
            eprintln!("serve: static {} -> {}", m.prefix, m.dir.display());
        }
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("serve: shutting down");
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}
