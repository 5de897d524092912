//! The `serve`, `probe` and `run` subcommands as scripts use them: the first stdout line of
//! `serve` is the bound URL; the last stdout line of `probe` is the outcome JSON; `run` ends
//! with `N passed, M failed`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_streamguard-harness");

/// A `serve` child killed on drop.
struct Serve {
    child: Child,
    url: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Serve {
    let mut child = Command::new(BIN)
        .args(["serve", "--port", "0", "--quiet"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "first line: {url:?}");
    Serve { child, url }
}

/// A plain blocking GET (the server closes after every response).
fn get(url: &str, path: &str) -> String {
    let addr = url.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn serve_prints_the_url_first_and_answers() {
    let dir = std::env::temp_dir().join(format!("sg-cli-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("scn")).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(
        dir.join("scn/mine.toml"),
        "name = \"mine\"\ndescription = \"user file\"\n[[steps]]\ndo = \"tokens\"\ntokens = [\"x\"]\n[[steps]]\ndo = \"done\"\n[expect]\noutcome = \"complete\"\n",
    )
    .unwrap();
    let s = serve(&[
        "--static",
        dir.to_str().unwrap(),
        "--scenarios",
        dir.join("scn").to_str().unwrap(),
        "--seed",
        "3",
    ]);
    let health = get(&s.url, "/_harness/health");
    assert!(health.starts_with("HTTP/1.1 200 OK"), "{health}");
    assert!(health.contains("\"seed\":3"));
    let index = get(&s.url, "/");
    assert!(index.contains("Content-Type: text/html"), "{index}");
    assert!(index.ends_with("<h1>demo</h1>"));
    let list = get(&s.url, "/_harness/scenarios");
    assert!(list.contains("\"name\":\"mine\""));
    assert!(list.contains("\"name\":\"stall_mid\""));
    let body = get(&s.url, "/scenarios/mine");
    assert!(body.contains("data: [DONE]"), "{body}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn probe(args: &[&str]) -> serde_json::Value {
    let out = Command::new(BIN)
        .arg("probe")
        .args(args)
        .stderr(Stdio::null())
        .output()
        .expect("run probe");
    assert!(out.status.success(), "probe exits 0 whatever the outcome");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().expect("a last line");
    serde_json::from_str(last).expect("the last line is JSON")
}

#[test]
fn probe_prints_the_outcome_json_last() {
    let s = serve(&[]);
    let ok = probe(&[
        &format!("{}/v1/chat/completions", s.url),
        "--protocol",
        "openai",
        "--body",
        "{\"stream\":true}",
        "--header",
        "x-streamguard-scenario:finish_no_done",
    ]);
    assert_eq!(ok["outcome"], "complete", "{ok}");
    assert_eq!(ok["finishReason"], "stop");
    assert_eq!(ok["text"], "Finished but no done marker");
    assert!(ok["stats"].is_object());

    let stalled = probe(&[
        &format!("{}/scenarios/stall_mid", s.url),
        "--protocol",
        "openai",
        "--idle-timeout-ms",
        "300",
    ]);
    assert_eq!(stalled["outcome"], "stalled", "{stalled}");
    assert_eq!(stalled["error"]["phase"], "idle");
    assert_eq!(stalled["text"], "Hello, stalled world");

    // Nothing listens: still exit 0 with a network_error.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = probe(&[&format!("http://127.0.0.1:{port}/")]);
    assert_eq!(refused["outcome"], "network_error", "{refused}");
}

#[test]
fn run_against_an_external_server_ends_with_the_summary() {
    let s = serve(&[]);
    let out = Command::new(BIN)
        .args([
            "run",
            "--server",
            &s.url,
            "--filter",
            "finish_no_done [none]",
        ])
        .output()
        .expect("run");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ok   finish_no_done [none] complete/stop")),
        "{stdout}"
    );
    assert_eq!(lines.last(), Some(&"1 passed, 0 failed"));
    assert!(out.status.success());

    let out = Command::new(BIN)
        .args(["run", "--server", &s.url, "--filter", "no such scenario"])
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().last(),
        Some("0 passed, 0 failed")
    );
    assert!(!out.status.success(), "a filter that matches nothing fails");
}
