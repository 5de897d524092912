//! Helpers shared by the harness's CLI tests: the binary, children that are killed on drop,
//! plain blocking HTTP/1.1 over loopback, `probe`'s outcome, temporary directories.
//!
//! Each test binary compiles this module and uses a part of it, hence the `dead_code` allow.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The harness binary built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_streamguard-harness");

/// A command running the harness binary.
pub fn harness() -> Command {
    Command::new(BIN)
}

/// A running harness (`serve`, `proxy`) and the URL from its first stdout line; killed on
/// drop.
pub struct Proc {
    child: Child,
    pub url: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// The process id (for `/proc/PID/...`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `host:port` of the URL.
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

/// Open file descriptors of a process (Linux: `/proc/PID/fd`).
pub fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc/PID/fd")
        .count()
}

/// Resident memory of a process, KiB (Linux: `VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("/proc/PID/status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Peak resident memory of a process, KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("/proc/PID/status")
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// Starts the harness with `args` and `--quiet`, and waits for the URL it prints first.
pub fn start(args: &[&str]) -> Proc {
    let mut child = harness()
        .args(args)
        .arg("--quiet")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the harness");
    // Byte by byte: nothing past the first line is taken from the pipe.
    let mut out = child.stdout.take().expect("stdout");
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while out.read(&mut b).map(|n| n == 1).unwrap_or(false) && b[0] != b'\n' {
        line.push(b[0]);
    }
    let url = String::from_utf8(line).expect("a UTF-8 first line");
    let proc = Proc { child, url };
    assert!(
        proc.url.starts_with("http://127.0.0.1:"),
        "first stdout line: {:?}",
        proc.url
    );
    proc
}

/// `serve --port 0` with `args`.
pub fn serve(args: &[&str]) -> Proc {
    let mut all = vec!["serve", "--port", "0"];
    all.extend_from_slice(args);
    start(&all)
}

/// A request's whole response, head included, read to EOF (the harness closes after every
/// response). A POST sends `{}`.
pub fn fetch(base: &str, method: &str, target: &str) -> Vec<u8> {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let body = if method == "POST" { "{}" } else { "" };
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut all = Vec::new();
    s.read_to_end(&mut all).expect("read to EOF");
    all
}

/// A response's body: everything after the head.
pub fn body(response: &[u8]) -> &[u8] {
    let i = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    &response[i + 4..]
}

/// Runs `probe` with `args`; it must exit 0, and its last stdout line is the outcome JSON.
pub fn probe(args: &[&str]) -> serde_json::Value {
    let out = harness()
        .arg("probe")
        .args(args)
        .stderr(Stdio::null())
        .output()
        .expect("run probe");
    assert!(out.status.success(), "probe exits 0 whatever the outcome");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 stdout");
    let last = stdout.lines().last().expect("a last line");
    serde_json::from_str(last).expect("the last line is JSON")
}

/// Runs `record --upstream URL --body {} --out FILE` and `extra`; it must succeed.
pub fn record(upstream: &str, out: &Path, extra: &[&str]) {
    let st = harness()
        .args(["record", "--upstream", upstream, "--body", "{}", "--out"])
        .arg(out)
        .args(extra)
        .status()
        .expect("run record");
    assert!(st.success(), "record {upstream} exits 0");
}

/// `probe` of an OpenAI chat endpoint (`URL/v1/chat/completions`) that the harness answers
/// with `scenario` (named in the `x-streamguard-scenario` header), with `extra` arguments.
pub fn probe_chat(url: &str, scenario: &str, extra: &[&str]) -> serde_json::Value {
    let header = format!("x-streamguard-scenario:{scenario}");
    let mut args = vec![url, "--protocol", "openai", "--body", "{\"stream\":true}"];
    args.extend_from_slice(&["--header", &header]);
    args.extend_from_slice(extra);
    probe(&args)
}

/// A new, empty directory under the system's temporary directory.
pub fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("sg-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
