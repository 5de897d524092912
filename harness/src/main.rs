//! streamguard-harness: conformance CLI, mock LLM server with data-driven faults, native client.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};

mod cli_decode;
mod cli_parse;

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
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse(args) => cli_parse::main(args),
        Command::Decode(args) => cli_decode::main(args),
    }
}
