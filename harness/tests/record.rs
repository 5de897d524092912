//! `record` against a local upstream (the harness's own `serve`), then the replay through
//! `serve --scenarios DIR`: the same bytes, the recorded gaps, faults on top.

mod support;
use support::{body, fetch, record, serve, temp_dir};

/// A request's body (to EOF).
fn fetch_body(base: &str, method: &str, target: &str) -> Vec<u8> {
    body(&fetch(base, method, target)).to_vec()
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
    let up = serve(&["--seed", "1"]);
    let original = fetch_body(&up.url, "POST", "/scenarios/slow_healthy?seed=5");
    let dir = temp_dir("record");
    let file = dir.join("rec_slow.toml");
    record(
        &format!("{}/scenarios/slow_healthy?seed=5", up.url),
        &file,
        &[],
    );

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
    // The server keeps its plan's schedule: after a write that came late, the next gap is
    // shorter by that lateness (on a busy machine, tens of ms).
    assert!(waits.iter().all(|w| (250..=600).contains(w)), "{waits:?}");
    // Whole events are tagged, so SSE-aware faults apply to the replay.
    assert!(steps
        .iter()
        .any(|s| s.get("tag").and_then(|t| t.as_str()) == Some("terminator")));

    // Replay.
    let replay = serve(&[
        "--seed",
        "1",
        "--scenarios",
        dir.to_str().expect("utf-8 path"),
    ]);
    let got = fetch_body(&replay.url, "POST", "/scenarios/rec_slow?request_id=rp1");
    assert_eq!(got, original, "byte-exact replay");
    // The replay's writes are never earlier than the recorded gaps (tokio sleeps at least
    // as long); the gaps themselves are the file's waits, checked above.
    let rec = fetch_body(&replay.url, "GET", "/_harness/requests/rp1");
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
    let cut = fetch_body(
        &replay.url,
        "POST",
        "/scenarios/rec_slow?fault=drop_terminator",
    );
    assert_eq!(cut, &original[..original.len() - b"data: [DONE]\n\n".len()]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn record_keeps_a_truncated_stream_truncated() {
    let up = serve(&["--seed", "1"]);
    let dir = temp_dir("record-trunc");
    let file = dir.join("cut.json");
    record(&format!("{}/scenarios/no_done", up.url), &file, &[]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("file")).expect("json");
    assert_eq!(v["expect"]["outcome"], "truncated");
    assert_eq!(v["expect"]["text"], "Cut off in the middle");
    let _ = std::fs::remove_dir_all(&dir);
}
