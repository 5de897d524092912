//! `streamguard-harness decode` over the decoder fixtures: one JSON line per event, the outcome
//! as the last line, exit 0.

use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;

mod support;
use support::harness;

fn fixture(path: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/decode");
    std::fs::read(root.join(path)).expect("fixture")
}

/// Runs `decode` with `args`, writing `chunks` to stdin one write at a time; returns the
/// parsed output lines and the exit status.
fn decode(args: &[&str], chunks: &[&[u8]]) -> (Vec<Value>, bool) {
    let mut child = harness()
        .arg("decode")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for c in chunks {
            // The child may stop reading after the provider's end: a broken pipe is fine.
            if stdin.write_all(c).is_err() {
                break;
            }
            let _ = stdin.flush();
        }
    }
    let out = child.wait_with_output().expect("wait");
    let text = String::from_utf8(out.stdout).expect("utf-8 stdout");
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (lines, out.status.success())
}

fn last(lines: &[Value]) -> &Value {
    lines.last().expect("at least the outcome line")
}

#[test]
fn openai_complete_prints_each_delta_then_the_outcome() {
    let body = fixture("openai/basic.sse");
    let (lines, ok) = decode(
        &["--protocol", "openai"],
        &body.chunks(7).collect::<Vec<_>>(),
    );
    assert!(ok);
    let texts: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "text")
        .filter_map(|l| l["text"].as_str())
        .collect();
    assert_eq!(texts, ["Hello", " ha", " ha", "!"]);
    assert!(lines.iter().any(|l| l["type"] == "end"));
    let outcome = last(&lines);
    assert_eq!(outcome["outcome"], "complete");
    assert_eq!(outcome["text"], "Hello ha ha!");
    assert_eq!(outcome["finishReason"], "stop");
    assert_eq!(outcome["error"], Value::Null);
    assert_eq!(outcome["stats"]["bytes"], body.len() as u64);
    assert_eq!(outcome["stats"]["deltas"], 4);
}

#[test]
fn anthropic_error_mid_stream_is_a_provider_error_with_every_error_field() {
    let (lines, ok) = decode(
        &["--protocol", "anthropic"],
        &[&fixture("anthropic/error_mid.sse")],
    );
    assert!(ok);
    let outcome = last(&lines);
    assert_eq!(outcome["outcome"], "provider_error");
    assert_eq!(outcome["text"], "one two three");
    assert_eq!(outcome["finishReason"], Value::Null);
    let e = &outcome["error"];
    assert_eq!(e["code"], "provider_error");
    assert_eq!(e["message"], "Overloaded");
    assert_eq!(e["provider"], "anthropic");
    assert_eq!(e["type"], "overloaded_error");
    assert_eq!(e["retryable"], true);
}

#[test]
fn a_cut_body_is_truncated_and_the_error_still_has_every_field() {
    let body = fixture("openai/basic.sse");
    let cut = &body[..body.len() / 2];
    let (lines, ok) = decode(&["--protocol", "openai"], &[cut]);
    assert!(ok);
    let outcome = last(&lines);
    assert_eq!(outcome["outcome"], "truncated");
    assert_eq!(outcome["finishReason"], Value::Null);
    let e = outcome["error"].as_object().expect("error object");
    for key in ["code", "message", "provider", "type", "retryable"] {
        assert!(e.contains_key(key), "error lacks {key}: {e:?}");
    }
    assert_eq!(e["code"], "truncated");
}

#[test]
fn auto_with_an_ndjson_content_type_decodes_ollama() {
    let body = fixture("ollama/chat.ndjson");
    let (lines, ok) = decode(
        &[
            "--protocol",
            "auto",
            "--content-type",
            "application/x-ndjson",
        ],
        &body.chunks(3).collect::<Vec<_>>(),
    );
    assert!(ok);
    let outcome = last(&lines);
    assert_eq!(outcome["outcome"], "complete");
    assert_eq!(outcome["text"], "The sky is blue");
    assert_eq!(outcome["usage"]["inputTokens"], 26);
}

#[test]
fn the_new_protocols_and_raw_finish_reason_on_the_last_line() {
    // Gemini's array form, chunked, named.
    let (lines, ok) = decode(
        &["--protocol", "gemini", "--content-type", "application/json"],
        &fixture("gemini/array.json").chunks(5).collect::<Vec<_>>(),
    );
    assert!(ok);
    let outcome = last(&lines);
    assert_eq!(outcome["outcome"], "complete", "{outcome}");
    assert_eq!(outcome["text"], "Streaming as an array.");
    assert_eq!(outcome["finishReason"], "length");
    assert_eq!(outcome["rawFinishReason"], "MAX_TOKENS");
    // The AI SDK stream under auto, decided by the header.
    let (lines, _) = decode(
        &["--header", "x-vercel-ai-ui-message-stream: v1"],
        &[&fixture("ai-sdk/v6_tool_call.sse")],
    );
    let outcome = last(&lines);
    assert_eq!(outcome["finishReason"], "tool_calls", "{outcome}");
    assert_eq!(outcome["rawFinishReason"], "tool-calls");
    assert_eq!(outcome["toolCalls"][0]["name"], "weather");
    assert!(lines
        .iter()
        .any(|l| l["type"] == "meta" && l["name"] == "tool-output-available"));
    // Plain text: no finish reason, raw or normalised.
    let (lines, _) = decode(&["--protocol", "text"], &[b"plain ", b"text"]);
    let outcome = last(&lines);
    assert_eq!(outcome["outcome"], "complete");
    assert_eq!(outcome["text"], "plain text");
    assert_eq!(outcome["rawFinishReason"], serde_json::Value::Null);
    // A bad --header is a usage error.
    let out = harness()
        .args(["decode", "--header", "nocolon"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn invalid_json_and_an_empty_body() {
    let (lines, _) = decode(
        &["--protocol", "ollama"],
        &[&fixture("ollama/invalid_json.ndjson")],
    );
    let outcome = last(&lines);
    assert_eq!(outcome["outcome"], "protocol_error");
    assert_eq!(outcome["error"]["code"], "invalid_json");
    assert_eq!(outcome["error"]["eventIndex"], 1);
    assert_eq!(outcome["text"], "ok");

    let (lines, ok) = decode(&[], &[]);
    assert!(ok);
    assert_eq!(lines.len(), 1);
    assert_eq!(last(&lines)["outcome"], "truncated");
}

#[test]
fn an_unknown_protocol_is_a_usage_error() {
    let out = harness()
        .args(["decode", "--protocol", "nope"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
}

#[test]
fn events_are_printed_as_they_arrive_and_the_end_signal_finishes_without_eof() {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;
    use std::time::Duration;

    let mut child = harness()
        .args(["decode", "--protocol", "anthropic"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let bound = Duration::from_secs(20);
    // One delta, stdin still open: its line must come out before any EOF.
    stdin
        .write_all(b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"live\"}}\n\n")
        .expect("write");
    stdin.flush().expect("flush");
    let first: Value =
        serde_json::from_str(&rx.recv_timeout(bound).expect("first line")).expect("json");
    assert_eq!(first, serde_json::json!({"type": "text", "text": "live"}));
    // The terminator, stdin still open: the outcome line follows and the process exits.
    stdin
        .write_all(b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
        .expect("write");
    stdin.flush().expect("flush");
    let mut lines = Vec::new();
    while let Ok(line) = rx.recv_timeout(bound) {
        let v: Value = serde_json::from_str(&line).expect("json");
        let done = v.get("outcome").is_some();
        lines.push(v);
        if done {
            break;
        }
    }
    let outcome = last(&lines);
    assert_eq!(outcome["outcome"], "complete");
    assert_eq!(outcome["text"], "live");
    assert_eq!(outcome["finishReason"], "stop");
    assert!(child.wait().expect("wait").success());
    drop(stdin);
    let _ = reader.join();
}
