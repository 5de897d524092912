//! `decode` (issue 3). Stub.
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// openai | openai-responses | anthropic | ollama | sse | auto
    #[arg(long, default_value = "auto")]
    pub protocol: String,
}

pub fn main(_args: Args) -> ExitCode {
    ExitCode::SUCCESS
}
