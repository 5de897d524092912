//! `record` against a local upstream (the harness's own `serve`), then the replay through
//! `serve --scenarios DIR`: the same bytes, the recorded gaps, faults on top.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A child process killed on drop.
struct Proc(Child, String);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn harness() -> Command {
    Command::new(env!("CARGO_BIN_EXE_streamguard-harness"))
}

/// `serve` with `args`, and the URL from its first stdout line.
fn serve(args: &[&str]) -> Proc {
    let mut child = harness()
        .args(["serve", "--port", "0", "--quiet", "--seed", "1"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let mut out = child.stdout.take().expect("stdout");
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while out.read(&mut b).map(|n| n == 1).unwrap_or(false) && b[0] != b'\n' {
        line.push(b[0]);
    }
    let url = String::from_utf8(line).expect("utf-8");
    assert!(url.starts_with("http://"), "{url:?}");
    Proc(child, url)
}

/// A request's full response (to EOF).
fn fetch(base: &str, method: &str, target: &str) -> Vec<u8> {
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

fn body(response: &[u8]) -> Vec<u8> {
    let i = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    response[i + 4..].to_vec()
}

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("sg-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn steps(file: &toml::Value) -> Vec<toml::Value> {
    file["steps"].as_array().expect("steps").clone()
}

fn sent(steps: &[toml::Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in steps {
        if s["do"].as_str() == Some("send") {
            out.extend_from_slice(s["data"].as_str().expect("utf-8 data").as_bytes());
        }
    }
    out
}

#[test]
fn record_then_replay_byte_exact_with_the_recorded_gaps() {
    let up = serve(&[]);
    let original = body(&fetch(&up.1, "POST", "/scenarios/slow_healthy?seed=5"));
    let dir = temp_dir("record");
    let file = dir.join("rec_slow.toml");
    let st = harness()
        .args(["record", "--upstream"])
        .arg(format!("{}/scenarios/slow_healthy?seed=5", up.1))
        .args(["--body", "{}", "--out"])
        .arg(&file)
        .status()
        .expect("run record");
    assert!(st.success());

    let text = std::fs::read_to_string(&file).expect("the scenario file");
    let parsed: toml::Value = toml::from_str(&text).expect("toml");
    assert_eq!(parsed["name"].as_str(), Some("rec_slow"));
    assert_eq!(parsed["status"].as_integer(), Some(200));
    assert_eq!(parsed["expect"]["outcome"].as_str(), Some("complete"));
    assert_eq!(
        parsed["expect"]["text"].as_str(),
        Some("Slow and steady wins the race.")
    );
    let steps = steps(&parsed);
    assert_eq!(
        sent(&steps),
        original,
        "the recorded bytes are the upstream's"
    );
    // slow_healthy: 6 gaps of 400 ms (5 between tokens, 1 before the finish).
    let waits: Vec<i64> = steps
        .iter()
        .filter(|s| s["do"].as_str() == Some("wait"))
        .filter_map(|s| s["ms"].as_integer())
        .filter(|ms| *ms >= 100)
        .collect();
    assert_eq!(waits.len(), 6, "{waits:?}");
    assert!(waits.iter().all(|w| (395..=600).contains(w)), "{waits:?}");
    // Whole events are tagged, so SSE-aware faults apply to the replay.
    assert!(steps
        .iter()
        .any(|s| s.get("tag").and_then(|t| t.as_str()) == Some("terminator")));

    // Replay.
    let replay = serve(&["--scenarios", dir.to_str().expect("utf-8 path")]);
    let got = body(&fetch(
        &replay.1,
        "POST",
        "/scenarios/rec_slow?request_id=rp1",
    ));
    assert_eq!(got, original, "byte-exact replay");
    // The replay's writes are never earlier than the recorded gaps (tokio sleeps at least
    // as long); the gaps themselves are the file's waits, checked above.
    let rec = body(&fetch(&replay.1, "GET", "/_harness/requests/rp1"));
    let rec: serde_json::Value = serde_json::from_slice(&rec).expect("json");
    let times: Vec<u64> = rec["transcript"]
        .as_array()
        .expect("transcript")
        .iter()
        .filter_map(|e| e["tMs"].as_u64())
        .collect();
    let span = times.last().copied().unwrap_or(0) - times.first().copied().unwrap_or(0);
    let recorded: i64 = waits.iter().sum();
    assert!(
        span as i64 + 5 >= recorded,
        "replayed {span} ms < recorded {recorded} ms"
    );

    // Faults on top of the recording.
    let cut = body(&fetch(
        &replay.1,
        "POST",
        "/scenarios/rec_slow?fault=drop_terminator",
    ));
    assert_eq!(cut, &original[..original.len() - b"data: [DONE]\n\n".len()]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn record_keeps_a_truncated_stream_truncated() {
    let up = serve(&[]);
    let dir = temp_dir("record-trunc");
    let file = dir.join("cut.json");
    let st = harness()
        .args(["record", "--upstream"])
        .arg(format!("{}/scenarios/no_done", up.1))
        .args(["--body", "{}", "--out"])
        .arg(&file)
        .status()
        .expect("run record");
    assert!(st.success());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("file")).expect("json");
    assert_eq!(v["expect"]["outcome"], "truncated");
    assert_eq!(v["expect"]["text"], "Cut off in the middle");
    let _ = std::fs::remove_dir_all(&dir);
}
