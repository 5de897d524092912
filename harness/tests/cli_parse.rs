//! `streamguard-harness parse` over the fixture files in `tests/fixtures/parse/`: each
//! `name.sse` / `name.ndjson` must print exactly `name.expected.jsonl` and exit 0. Plus: output
//! appears before stdin is closed, and hostile input still exits 0 with stdout clean.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod support;
use support::harness;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/parse")
}

/// Runs `parse --format <format>` with `input` on stdin (written from a thread, so a large
/// input cannot deadlock against a full stdout pipe).
fn run_parse(format: &str, input: Vec<u8>) -> Output {
    let mut child = harness()
        .args(["parse", "--format", format])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the harness binary");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || {
        // The child may exit early; a broken pipe here is not the test's concern.
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for the harness");
    writer.join().expect("writer thread");
    out
}

#[test]
fn fixtures_print_exactly_the_expected_lines() {
    let mut checked = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixture dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let format = match path.extension().and_then(|e| e.to_str()) {
            Some("sse") => "sse",
            Some("ndjson") => "ndjson",
            _ => continue,
        };
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("stem");
        let expected_path = path.with_file_name(format!("{stem}.expected.jsonl"));
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let input = std::fs::read(&path).expect("fixture");
        let out = run_parse(format, input);
        assert!(out.status.success(), "{stem}: exit {:?}", out.status);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            expected,
            "{stem}: stdout differs (stderr: {})",
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} fixtures found");
}

#[test]
fn unterminated_stream_is_reported_on_stderr_only() {
    let input = std::fs::read(fixtures_dir().join("unterminated.sse")).expect("fixture");
    let out = run_parse("sse", input);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ended inside an event"));
    let complete = run_parse("sse", b"data: one\n\n".to_vec());
    assert!(
        complete.stderr.is_empty(),
        "no diagnostic for a complete stream"
    );
    assert_eq!(complete.stdout, out.stdout);
}

#[test]
fn every_stdout_line_is_one_json_object_even_for_garbage() {
    let mut input = Vec::new();
    for i in 0..4096u32 {
        input.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
        if i % 97 == 0 {
            input.extend_from_slice(b"\ndata: x\r\n\r");
        }
    }
    let out = run_parse("sse", input);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    assert!(!stdout.is_empty());
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON value per line");
        assert!(v.is_object(), "{line}");
    }
}

#[test]
fn over_cap_line_goes_to_stderr_and_exit_is_zero() {
    // 9 MiB without a newline is over the default 8 MiB cap, then a normal event.
    let mut input = b"data: ".to_vec();
    input.resize(9 << 20, b'x');
    input.extend_from_slice(b"\n\ndata: after\n\n");
    let out = run_parse("sse", input);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"type\":\"message\",\"data\":\"after\",\"lastEventId\":\"\"}\n"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("event_too_large"));
}

#[test]
fn unknown_format_exits_zero_with_a_diagnostic() {
    let out = run_parse("xml", b"data: a\n\n".to_vec());
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert!(!out.stderr.is_empty());
}

/// Reads one stdout line on a thread and waits for it with a generous bound (a failure guard
/// only; the read returns as soon as the line is printed).
fn read_line_within(reader: &mut Option<BufReader<std::process::ChildStdout>>) -> String {
    let mut r = reader.take().expect("reader");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let res = r.read_line(&mut line).map(|_| line);
        let _ = tx.send((res, r));
    });
    let (res, r) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("no output while stdin was still open: the CLI waits for EOF");
    *reader = Some(r);
    res.expect("read stdout")
}

fn streams_before_eof(
    format: &str,
    first: &[u8],
    expected_first: &str,
    second: &[u8],
    expected_second: &str,
) {
    let mut child = harness()
        .args(["parse", "--format", format])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut reader = Some(BufReader::new(child.stdout.take().expect("stdout")));

    stdin.write_all(first).expect("write first");
    stdin.flush().expect("flush");
    assert_eq!(read_line_within(&mut reader), expected_first);

    stdin.write_all(second).expect("write second");
    stdin.flush().expect("flush");
    assert_eq!(read_line_within(&mut reader), expected_second);

    drop(stdin);
    let mut rest = String::new();
    if let Some(mut r) = reader.take() {
        r.read_to_string(&mut rest).expect("read rest");
    }
    assert_eq!(rest, "");
    assert!(child.wait().expect("wait").success());
}

#[test]
fn sse_output_appears_before_eof() {
    streams_before_eof(
        "sse",
        b"retry: 250\ndata: fir",
        "{\"retry\":250}\n",
        b"st\r\n\r",
        "{\"type\":\"message\",\"data\":\"first\",\"lastEventId\":\"\"}\n",
    );
}

#[test]
fn ndjson_output_appears_before_eof() {
    streams_before_eof(
        "ndjson",
        b"{\"a\":1}\n{\"b\"",
        "{\"line\":\"{\\\"a\\\":1}\"}\n",
        b":2}\n",
        "{\"line\":\"{\\\"b\\\":2}\"}\n",
    );
}
