//! `proxy`. Stub until its issue lands.
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn main(_args: Args) -> ExitCode {
    eprintln!("proxy: not implemented yet");
    ExitCode::FAILURE
}
