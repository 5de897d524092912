//! streamguard-harness: conformance CLI, mock LLM server with data-driven faults, native client.
//!
//! The binary (`src/main.rs`) is [`main`]; the library exists so that the fuzz targets in
//! `fuzz/` reach the harness's parsers through [`fuzzing`] (everything else stays private).
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};

mod chaos;
mod cli_decode;
mod cli_parse;
mod client;
mod faults;
mod load;
mod net;
mod plan;
mod probe;
mod proxy;
mod record;
mod run;
mod scenario;
mod serve;
mod server;
mod wire;

pub mod fuzzing;

#[derive(Parser)]
#[command(name = "streamguard-harness", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Frame raw bytes from stdin (as they arrive) and print one JSON object per line.
    Parse(cli_parse::Args),
    /// Decode a provider stream from stdin and print events, then the outcome as the last line.
    Decode(cli_decode::Args),
    /// Serve the mock LLM endpoints, the scenarios and (optionally) static files.
    Serve(serve::Args),
    /// Run every scenario (or a filter) against an in-process server with the native client.
    Run(run::Args),
    /// Stream from any endpoint with the native client and print the outcome JSON.
    Probe(probe::Args),
    /// Forward to a real upstream and apply faults to its responses.
    Proxy(proxy::Args),
    /// Forward one request to an upstream and save its response as a scenario file.
    Record(record::Args),
    /// N concurrent streams through `serve` (and `proxy`): exact bytes, lateness, CPU, memory.
    Load(load::Args),
    /// Seeded random streams with random faults and timers, checked for the invariants.
    Chaos(chaos::Args),
}

/// Builds a subcommand's tokio runtime from `builder` (all drivers enabled). A failure is
/// printed on stderr as `CMD: runtime: ERROR`; the caller then exits with its failure code.
pub(crate) fn runtime(
    cmd: &str,
    builder: &mut tokio::runtime::Builder,
) -> Option<tokio::runtime::Runtime> {
    match builder.enable_all().build() {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("{cmd}: runtime: {e}");
            None
        }
    }
}

/// Raises the soft limit of open files to the hard limit (a server under load holds one per
/// connection); returns the limit now in force, `None` where it cannot be read.
pub(crate) fn raise_nofile_limit() -> Option<u64> {
    rlimit::increase_nofile_limit(u64::MAX).ok()
}

/// The command line: parses the arguments and runs the subcommand.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse(args) => cli_parse::main(args),
        Command::Decode(args) => cli_decode::main(args),
        Command::Serve(args) => serve::main(args),
        Command::Run(args) => run::main(args),
        Command::Probe(args) => probe::main(args),
        Command::Proxy(args) => proxy::main(args),
        Command::Record(args) => record::main(args),
        Command::Load(args) => load::main(args),
        Command::Chaos(args) => chaos::main(args),
    }
}
