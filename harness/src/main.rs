//! The `streamguard-harness` binary: the library's command line.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    streamguard_harness::main()
}
