//! `record`. Stub until its issue lands.
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn main(_args: Args) -> ExitCode {
    eprintln!("record: not implemented yet");
    ExitCode::FAILURE
}
