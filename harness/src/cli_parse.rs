//! `parse` (issue 2). Stub.
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// `sse` or `ndjson`.
    #[arg(long, default_value = "sse")]
    pub format: String,
}

pub fn main(_args: Args) -> ExitCode {
    ExitCode::SUCCESS
}
