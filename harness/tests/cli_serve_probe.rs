//! The `serve`, `probe` and `run` subcommands as scripts use them: the first stdout line of
//! `serve` is the bound URL; the last stdout line of `probe` is the outcome JSON; `run` ends
//! with `N passed, M failed`.

mod support;
use support::{fetch, harness, probe, probe_chat, serve, temp_dir};

/// A plain blocking GET (the server closes after every response).
fn get(url: &str, path: &str) -> String {
    String::from_utf8(fetch(url, "GET", path)).expect("UTF-8 response")
}

#[test]
fn serve_prints_the_url_first_and_answers() {
    let dir = temp_dir("cli");
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

#[test]
fn serve_exits_with_the_error_of_a_malformed_scenario_file() {
    let dir = temp_dir("cli-bad");
    // Before the fix, this `hex` made `serve` panic ("not a char boundary").
    std::fs::write(
        dir.join("bad.toml"),
        "name = \"bad\"\ndescription = \"d\"\n[[steps]]\ndo = \"send\"\nhex = \"a\u{e9}1\"\n[expect]\noutcome = \"complete\"\n",
    )
    .unwrap();
    let out = harness()
        .args(["serve", "--port", "0", "--quiet", "--scenarios"])
        .arg(&dir)
        .output()
        .expect("run serve");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(out.stdout.is_empty(), "no URL is printed");
    let want = format!(
        "serve: {}: steps[0].hex: '\u{e9}' is not a hex digit\n",
        dir.join("bad.toml").display()
    );
    assert_eq!(stderr, want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn probe_prints_the_outcome_json_last() {
    let s = serve(&[]);
    let url = format!("{}/v1/chat/completions", s.url);
    let ok = probe_chat(&url, "finish_no_done", &[]);
    assert_eq!(ok["outcome"], "complete", "{ok}");
    assert_eq!(ok["finishReason"], "stop");
    assert_eq!(ok["rawFinishReason"], "stop");
    assert_eq!(ok["text"], "Finished but no done marker");
    assert!(ok["stats"].is_object());

    // Gemini's route without alt=sse is the JSON array form; `auto` decodes it.
    let gemini = probe(&[
        &format!(
            "{}/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            s.url
        ),
        "--body",
        "{}",
    ]);
    assert_eq!(gemini["outcome"], "complete", "{gemini}");
    assert_eq!(gemini["finishReason"], "length");
    assert_eq!(gemini["rawFinishReason"], "MAX_TOKENS");
    // A stall after the AI SDK's finish part is complete.
    let ai_sdk = probe(&[
        &format!("{}/scenarios/ai_sdk_stall_after_finish", s.url),
        "--protocol",
        "ai-sdk",
        "--idle-timeout-ms",
        "300",
    ]);
    assert_eq!(ai_sdk["outcome"], "complete", "{ai_sdk}");
    assert_eq!(ai_sdk["rawFinishReason"], "length");

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
fn probe_resumes_a_raw_sse_stream_with_last_event_id() {
    let s = serve(&[]);
    let url = format!("{}/scenarios/sse_resume?request_id=probe-resume", s.url);
    let args = ["--protocol", "sse", "--max-attempts", "3"];
    let resumed = probe(&[&url, args[0], args[1], args[2], args[3], "--resume"]);
    assert_eq!(resumed["outcome"], "complete", "{resumed}");
    assert_eq!(resumed["text"], "Resumed from the last event ID");
    assert_eq!(resumed["stats"]["deltas"], 6);
    let response = get(&s.url, "/_harness/requests/probe-resume");
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let rec: serde_json::Value = serde_json::from_str(body).expect(&response);
    assert_eq!(rec["lastEventId"], "3", "{rec}");
    assert_eq!(rec["earlier"][0]["serverEnd"], "reset", "{rec}");
    assert!(rec["gapAfterPreviousMs"].as_u64().unwrap() >= 100, "{rec}");

    // Without --resume: the reset ends it, the first three events kept.
    let cut = probe(&[&url, args[0], args[1], args[2], args[3]]);
    assert_eq!(cut["outcome"], "network_error", "{cut}");
    assert_eq!(cut["text"], "Resumed from the");
}

#[test]
fn run_against_an_external_server_ends_with_the_summary() {
    let s = serve(&[]);
    let out = harness()
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

    let out = harness()
        .args(["run", "--server", &s.url, "--filter", "no such scenario"])
        .output()
        .expect("run");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().last(),
        Some("0 passed, 0 failed")
    );
    assert!(!out.status.success(), "a filter that matches nothing fails");
}
