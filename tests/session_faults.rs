//! Every FAULTS.md scenario that does not need a real socket, as a virtual-clock test of the
//! session, with the FAULTS.md test timers (first byte 1000, idle 500, content 1500, total
//! 5000 ms). Each asserts the outcome, the phase, the text and the time it was reported.

mod support;

use streamguard::session::{Config, NetworkErrorKind};
use streamguard::{ErrorCode, FinishReason, Outcome, Protocol, RetryPolicy, StallPhase};
use support::session::*;

fn openai() -> SessionHost {
    SessionHost::new(test_config(Protocol::OpenAi))
}

fn concat(ws: &[String]) -> String {
    ws.concat()
}

#[test]
fn openai_ok() {
    let mut d = openai();
    d.sse_head(5);
    let ws = d.openai_words(50, 100, 20);
    d.bytes(1100, &openai_finish("stop"));
    d.bytes(1100, OPENAI_DONE);
    d.eof(1110);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 1100, "reported at [DONE]");
    assert_eq!(o.outcome, Outcome::Complete, "{o:#?}");
    assert_eq!(o.finish_reason, Some(FinishReason::Stop));
    assert_eq!(o.text, concat(&ws));
    assert_eq!(o.stats.deltas, 50);
    assert_eq!(o.stats.headers_ms, Some(5));
    assert_eq!(o.stats.ttfb_ms, Some(100));
    assert_eq!(o.stats.ttft_ms, Some(100));
    assert_eq!(o.stats.max_content_gap_ms, 100);
    assert!(!o.stats.buffered);
    // The terminator came before the close: the host is told to close the connection.
    assert!(d.abort_requested());
    assert_eq!(d.timeouts_fired, 0);
}

#[test]
fn no_response() {
    let mut d = openai();
    d.run_to_end(10_000);
    d.check_invariants();
    assert_stalled(&d, StallPhase::FirstByte, 1000);
    assert_eq!(d.outcome().text, "");
}

#[test]
fn headers_then_silence() {
    let mut d = openai();
    d.sse_head(50);
    d.run_to_end(10_000);
    d.check_invariants();
    assert_stalled(&d, StallPhase::FirstByte, 1000);
    assert_eq!(d.outcome().stats.headers_ms, Some(50));
    assert_eq!(d.outcome().stats.ttfb_ms, None);
}

#[test]
fn stall_mid() {
    let mut d = openai();
    d.sse_head(10);
    let ws = d.openai_words(3, 100, 100);
    d.run_to_end(10_000);
    d.check_invariants();
    assert_stalled(&d, StallPhase::Idle, 300 + IDLE_MS);
    assert_eq!(d.outcome().text, concat(&ws));
    assert_eq!(d.outcome().stats.deltas, 3);
}

#[test]
fn pings_forever() {
    let mut d = openai();
    d.sse_head(10);
    let ws = d.openai_words(3, 100, 100);
    // `: ping` every 200 ms keeps the idle timer alive but not the content timer, which counts
    // from the last content delta (300) and fires at 300 + 1500.
    let mut t = 500;
    while t < 10_000 {
        d.bytes(t, b": ping\n\n");
        t += 200;
    }
    d.check_invariants();
    assert_stalled(&d, StallPhase::Content, 300 + CONTENT_MS);
    let o = d.outcome();
    assert_eq!(o.text, concat(&ws));
    assert_eq!(o.stats.deltas, 3);
    assert_eq!(o.stats.keep_alives, 7, "pings at 500..=1700");
}

#[test]
fn content_timer_from_request_start_when_no_content() {
    let mut d = openai();
    d.sse_head(10);
    let mut t = 100;
    while t < 10_000 {
        d.bytes(t, b": ping\n\n");
        t += 200;
    }
    d.check_invariants();
    assert_stalled(&d, StallPhase::Content, CONTENT_MS);
}

#[test]
fn slow_healthy() {
    let mut d = openai();
    d.sse_head(10);
    let ws = d.openai_words(8, 400, 400);
    d.bytes(3600, &openai_finish("stop"));
    d.bytes(4000, OPENAI_DONE);
    d.eof(4000);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(o.outcome, Outcome::Complete, "{o:#?}");
    assert_eq!(t, 4000);
    assert_eq!(o.text, concat(&ws));
    assert_eq!(d.timeouts_fired, 0, "no timer fires");
    assert_eq!(o.stats.max_byte_gap_ms, 400);
}

#[test]
fn byte_drip_total() {
    // The content timer is off here so the total timer is what catches the drip (with it on,
    // the content timer fires first: see `byte_drip_content`).
    let mut d = SessionHost::new(Config {
        content_timeout_ms: 0,
        ..test_config(Protocol::OpenAi)
    });
    d.sse_head(10);
    let ws = words(2);
    d.bytes(100, &[openai_chunk(&ws[0]), openai_chunk(&ws[1])].concat());
    let drip = openai_chunk("never");
    for (i, b) in drip.iter().enumerate() {
        d.bytes(400 + 300 * i as u64, &[*b]);
    }
    d.check_invariants();
    assert_stalled(&d, StallPhase::Total, TOTAL_MS);
    assert_eq!(d.outcome().text, concat(&ws));
}

#[test]
fn byte_drip_content() {
    let mut d = openai();
    d.sse_head(10);
    d.bytes(100, &openai_chunk("a "));
    for (i, b) in openai_chunk("never").iter().enumerate() {
        d.bytes(400 + 300 * i as u64, &[*b]);
    }
    d.check_invariants();
    assert_stalled(&d, StallPhase::Content, 100 + CONTENT_MS);
    assert_eq!(d.outcome().text, "a ");
}

#[test]
fn thinking_pings() {
    let mut d = SessionHost::new(test_config(Protocol::Anthropic));
    d.sse_head(10);
    d.bytes(100, ANTHROPIC_START);
    let mut t = 300;
    while t <= 1300 {
        d.bytes(t, ANTHROPIC_PING);
        t += 200;
    }
    d.bytes(1400, &anthropic_delta("Hello"));
    d.bytes(1450, &anthropic_delta(" world"));
    d.bytes(1500, ANTHROPIC_END);
    d.eof(1510);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(o.outcome, Outcome::Complete, "{o:#?}");
    assert_eq!(t, 1500);
    assert_eq!(o.text, "Hello world");
    assert_eq!(o.stats.keep_alives, 6);
    assert_eq!(o.stats.ttft_ms, Some(1400));
}

#[test]
fn no_done() {
    let mut d = openai();
    d.sse_head(10);
    let ws = d.openai_words(5, 100, 100);
    d.eof(600);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 600);
    assert_eq!(o.outcome, Outcome::Truncated, "{o:#?}");
    assert_eq!(o.text, concat(&ws));
    assert_eq!(o.stats.deltas, 5);
    assert!(!d.abort_requested(), "already closed");
}

#[test]
fn finish_no_done() {
    let mut d = openai();
    d.sse_head(10);
    d.bytes(100, &openai_chunk("Hi"));
    d.bytes(200, &openai_finish("stop"));
    d.eof(300);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 300);
    assert_eq!(o.outcome, Outcome::Complete, "{o:#?}");
    assert_eq!(o.finish_reason, Some(FinishReason::Stop));
    assert_eq!(o.text, "Hi");
}

#[test]
fn reset_mid() {
    let mut d = openai();
    d.sse_head(10);
    let ws = d.openai_words(5, 100, 100);
    d.error(600, NetworkErrorKind::Reset);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 600);
    assert_eq!(o.outcome, Outcome::NetworkError, "{o:#?}");
    assert_eq!(o.text, concat(&ws));
    assert_eq!(o.stats.deltas, 5);
    assert!(!d.abort_requested());
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    assert_eq!(policy.decide(1, o, 0.5), None, "never after content");
}

#[test]
fn reset_after_finish_reason_is_complete() {
    let mut d = openai();
    d.sse_head(10);
    d.bytes(100, &openai_chunk("Hi"));
    d.bytes(200, &openai_finish("length"));
    d.error(300, NetworkErrorKind::Reset);
    d.check_invariants();
    let o = d.outcome();
    assert_eq!(o.outcome, Outcome::Complete, "{o:#?}");
    assert_eq!(o.finish_reason, Some(FinishReason::Length));
}

/// The wire of a short OpenAI reply ending with `[DONE]`.
fn openai_wire(texts: &[&str]) -> Vec<u8> {
    let mut w = Vec::new();
    for t in texts {
        w.extend(openai_chunk(t));
    }
    w.extend(openai_finish("stop"));
    w.extend_from_slice(OPENAI_DONE);
    w
}

/// Runs `wire` cut into `chunk`-byte reads, all at t = 100 + index.
fn run_chunked(protocol: Protocol, wire: &[u8], chunk: usize) -> SessionHost {
    let mut d = SessionHost::new(test_config(protocol));
    d.sse_head(10);
    for (i, c) in wire.chunks(chunk.max(1)).enumerate() {
        d.bytes(100 + i as u64 / 64, c);
    }
    d.eof(900);
    d.check_invariants();
    d
}

#[test]
fn split_utf8() {
    let texts = ["你好，", "世界 🌍", " 👨\u{200D}👩\u{200D}👧 ", "é done"];
    let wire = openai_wire(&texts);
    for chunk in [1, 2, 3, 5, 7, 64, 1024] {
        let d = run_chunked(Protocol::OpenAi, &wire, chunk);
        let o = d.outcome();
        assert_eq!(o.outcome, Outcome::Complete, "chunk {chunk}: {o:#?}");
        assert_eq!(o.text, texts.concat(), "chunk {chunk}");
        assert!(!o.text.contains('\u{FFFD}'));
    }
}

#[test]
fn line_endings() {
    let lf = openai_wire(&["a", "b ", "c"]);
    let lf_text = String::from_utf8(lf.clone()).unwrap_or_default();
    let variants = [
        lf_text.replace('\n', "\r\n"),
        lf_text.replace('\n', "\r"),
        // Mixed: CRLF for the first event, CR for the second, LF for the rest.
        lf_text.replacen("\n", "\r\n", 2).replacen("\n", "\r", 2),
    ];
    for v in &variants {
        for chunk in [1, 2, 7, 1024] {
            let d = run_chunked(Protocol::OpenAi, v.as_bytes(), chunk);
            let o = d.outcome();
            assert_eq!(o.outcome, Outcome::Complete, "{v:?} / {chunk}: {o:#?}");
            assert_eq!(o.text, "ab c", "{v:?} / {chunk}");
        }
    }
}

#[test]
fn bom() {
    let mut wire = "\u{FEFF}".as_bytes().to_vec();
    wire.extend(openai_wire(&["x", "y"]));
    for chunk in [1, 2, 1024] {
        let d = run_chunked(Protocol::OpenAi, &wire, chunk);
        assert_eq!(d.outcome().outcome, Outcome::Complete);
        assert_eq!(d.outcome().text, "xy");
    }
}

#[test]
fn comments() {
    let mut wire = b": PROCESSING\n\n".to_vec();
    wire.extend(openai_chunk("a"));
    wire.extend_from_slice(b":\n\n");
    wire.extend(openai_wire(&["b"]));
    let d = run_chunked(Protocol::OpenAi, &wire, 1024);
    let o = d.outcome();
    assert_eq!(o.outcome, Outcome::Complete, "{o:#?}");
    assert_eq!(o.text, "ab");
    assert_eq!(o.stats.keep_alives, 2);
}

#[test]
fn meta_only() {
    let mut wire = b"retry: 3000\n\n".to_vec();
    wire.extend_from_slice(b"id: 7\n\n");
    wire.extend_from_slice(b"data:\n\n");
    wire.extend(openai_wire(&["ok"]));
    let d = run_chunked(Protocol::OpenAi, &wire, 5);
    let o = d.outcome();
    assert_eq!(o.outcome, Outcome::Complete, "{o:#?}");
    assert_eq!(o.text, "ok");
    assert_eq!(d.session.retry_ms(), Some(3000));
    assert_eq!(d.session.resume_id(), "7");
}

#[test]
fn anthropic_error_mid() {
    let mut d = SessionHost::new(test_config(Protocol::Anthropic));
    d.sse_head(10);
    d.bytes(50, ANTHROPIC_START);
    for (i, w) in words(3).iter().enumerate() {
        d.bytes(100 * (i as u64 + 1), &anthropic_delta(w));
    }
    d.bytes(400, ANTHROPIC_OVERLOADED);
    // The socket stays open: the outcome must not wait for the close.
    d.run_to_end(10_000);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 400, "reported at the error event");
    assert_eq!(o.outcome, Outcome::ProviderError, "{o:#?}");
    let e = o.error.as_ref().expect("error");
    assert_eq!(e.retryable, Some(true));
    assert_eq!(e.error_type.as_deref(), Some("overloaded_error"));
    assert_eq!(o.text, concat(&words(3)));
    assert_eq!(o.stats.deltas, 3);
    assert!(d.abort_requested());
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    assert_eq!(policy.decide(1, o, 0.0), None, "content was delivered");
}

#[test]
fn anthropic_error_first() {
    let mut d = SessionHost::new(test_config(Protocol::Anthropic));
    d.sse_head(10);
    d.bytes(100, ANTHROPIC_OVERLOADED);
    d.run_to_end(10_000);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 100);
    assert_eq!(o.outcome, Outcome::ProviderError, "{o:#?}");
    assert_eq!(o.stats.deltas, 0);
    assert_eq!(o.text, "");
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    assert_eq!(
        policy.decide(1, o, 0.0),
        Some(250),
        "nothing delivered: retry"
    );
}

#[test]
fn openai_error_mid() {
    let mut d = openai();
    d.sse_head(10);
    d.bytes(100, &openai_chunk("a "));
    d.bytes(200, &openai_chunk("b "));
    d.bytes(
        300,
        b"data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\"}}\n\n",
    );
    d.run_to_end(10_000);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 300);
    assert_eq!(o.outcome, Outcome::ProviderError, "{o:#?}");
    let e = o.error.as_ref().expect("error");
    assert!(e.message.contains("The server had an error"), "{e:#?}");
    assert_eq!(o.text, "a b ");
}

fn ollama() -> SessionHost {
    let mut d = SessionHost::new(test_config(Protocol::Ollama));
    d.head(10, 200, &[("Content-Type", "application/x-ndjson")]);
    d
}

#[test]
fn ollama_ok() {
    let mut wire = Vec::new();
    for w in words(4) {
        wire.extend(ollama_line(&w));
    }
    wire.extend_from_slice(OLLAMA_DONE);
    for chunk in [1, 13, 4096] {
        let mut d = ollama();
        for (i, c) in wire.chunks(chunk).enumerate() {
            d.bytes(100 + i as u64 / 64, c);
        }
        d.eof(900);
        d.check_invariants();
        let o = d.outcome();
        assert_eq!(o.outcome, Outcome::Complete, "{chunk}: {o:#?}");
        assert_eq!(o.finish_reason, Some(FinishReason::Stop));
        assert_eq!(o.text, concat(&words(4)));
    }
}

#[test]
fn ollama_error() {
    let mut d = ollama();
    d.bytes(100, &ollama_line("a"));
    d.bytes(200, b"{\"error\":\"model 'llama9' not found\"}\n");
    d.run_to_end(10_000);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 200);
    assert_eq!(o.outcome, Outcome::ProviderError, "{o:#?}");
    assert!(o
        .error
        .as_ref()
        .is_some_and(|e| e.message.contains("llama9")));
    assert_eq!(o.text, "a");
}

#[test]
fn ollama_no_done() {
    let mut d = ollama();
    d.bytes(100, &[ollama_line("a"), ollama_line("b")].concat());
    d.eof(200);
    d.check_invariants();
    let o = d.outcome();
    assert_eq!(o.outcome, Outcome::Truncated, "{o:#?}");
    assert_eq!(o.text, "ab");
}

#[test]
fn status_429() {
    let mut d = openai();
    d.head(
        40,
        429,
        &[("Content-Type", "application/json"), ("Retry-After", "7")],
    );
    let body = br#"{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","code":"rate_limit_exceeded"}}"#;
    let (a, b) = body.split_at(20);
    d.bytes(60, a);
    d.bytes(70, b);
    d.eof(80);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 80);
    assert_eq!(o.outcome, Outcome::HttpError, "{o:#?}");
    let e = o.error.as_ref().expect("error");
    assert_eq!(e.status, Some(429));
    assert_eq!(e.retry_after_ms, Some(7000));
    assert_eq!(e.provider_code.as_deref(), Some("rate_limit_exceeded"));
    assert!(
        e.message.contains("Rate limit reached for gpt-4o"),
        "{e:#?}"
    );
    let policy = RetryPolicy {
        max_attempts: 2,
        ..RetryPolicy::default()
    };
    assert_eq!(policy.decide(1, o, 0.3), Some(7000));
}

#[test]
fn json_not_sse() {
    let mut d = openai();
    d.head(40, 200, &[("Content-Type", "application/json")]);
    d.bytes(
        60,
        br#"{"error":{"message":"Invalid API key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
    );
    d.eof(70);
    d.check_invariants();
    let o = d.outcome();
    assert_eq!(o.outcome, Outcome::ProviderError, "{o:#?}");
    let e = o.error.as_ref().expect("error");
    assert_eq!(e.message, "Invalid API key");
    assert_eq!(e.provider.as_deref(), Some("openai"));
    assert_eq!(e.retryable, Some(false));

    // A JSON body without an error: never an empty success.
    let mut d = openai();
    d.head(40, 200, &[("Content-Type", "application/json")]);
    d.bytes(
        60,
        br#"{"id":"chatcmpl-1","choices":[{"message":{"content":"hi"}}]}"#,
    );
    d.eof(70);
    d.check_invariants();
    let o = d.outcome();
    assert_eq!(o.outcome, Outcome::ProtocolError, "{o:#?}");
    assert_eq!(
        o.error.as_ref().map(|e| e.code),
        Some(ErrorCode::UnexpectedContentType)
    );
}

#[test]
fn html_not_sse() {
    let page = format!(
        "<!DOCTYPE html><html><head><title>Sign in</title></head><body>{}</body></html>",
        "<p>Please sign in to continue.</p>".repeat(20)
    );
    let mut d = openai();
    d.head(40, 200, &[("Content-Type", "text/html; charset=utf-8")]);
    d.bytes(60, &page.as_bytes()[..100]);
    assert!(!d.session.is_finished(), "waits for the first bytes");
    d.bytes(70, &page.as_bytes()[100..]);
    d.run_to_end(10_000);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 70, "as soon as the first bytes are in");
    assert_eq!(o.outcome, Outcome::ProtocolError, "{o:#?}");
    let e = o.error.as_ref().expect("error");
    assert_eq!(e.code, ErrorCode::UnexpectedContentType);
    assert!(e.message.contains("text/html"), "{}", e.message);
    assert!(
        e.message.contains("<title>Sign in</title>"),
        "{}",
        e.message
    );
    assert!(d.abort_requested());

    // A short page: decided at EOF, no abort needed.
    let mut d = openai();
    d.head(40, 200, &[("Content-Type", "text/html")]);
    d.bytes(60, b"<h1>502 Bad Gateway</h1>");
    d.eof(65);
    d.check_invariants();
    assert_eq!(d.finished().0, 65);
    assert!(d
        .outcome()
        .error
        .as_ref()
        .is_some_and(|e| e.message.contains("502 Bad Gateway")));
    assert!(!d.abort_requested());
}

#[test]
fn buffered_burst() {
    let ws = words(50);
    let texts: Vec<&str> = ws.iter().map(String::as_str).collect();
    let mut d = openai();
    d.sse_head(10);
    d.bytes(800, &openai_wire(&texts));
    d.eof(801);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 800);
    assert_eq!(o.outcome, Outcome::Complete, "{o:#?}");
    assert_eq!(o.text, concat(&ws));
    assert!(d.flushes().len() <= 2, "{:?}", d.flushes());
    assert!(o.stats.buffered, "{:#?}", o.stats);
    assert_eq!(o.stats.ttfb_ms, Some(800));
}

#[test]
fn huge_event() {
    let big = "x".repeat(4 * 1024 * 1024);
    let mut wire = openai_chunk(&big);
    wire.extend_from_slice(OPENAI_DONE);
    let mut d = openai();
    d.sse_head(10);
    for (i, c) in wire.chunks(64 * 1024).enumerate() {
        d.bytes(100 + i as u64, c);
    }
    d.eof(1000);
    d.check_invariants();
    let o = d.outcome();
    assert_eq!(o.outcome, Outcome::Complete, "{:?}", o.error);
    assert_eq!(o.text.len(), big.len());
}

#[test]
fn unbounded_line() {
    let chunk = vec![b'a'; 64 * 1024];
    let mut d = openai();
    d.sse_head(10);
    d.bytes(20, b"data: ");
    let cap = Config::default().max_event_bytes as u64;
    let mut fed = 0u64;
    for i in 0..800u64 {
        // 50 MiB, one 64 KiB read per ms, socket open.
        if d.session.is_finished() {
            break;
        }
        d.bytes(100 + i, &chunk);
        fed += chunk.len() as u64;
    }
    d.check_invariants();
    let o = d.outcome();
    assert_eq!(o.outcome, Outcome::ProtocolError, "{o:#?}");
    assert_eq!(
        o.error.as_ref().map(|e| e.code),
        Some(ErrorCode::EventTooLarge)
    );
    assert!(d.abort_requested());
    assert!(fed <= cap + 2 * 64 * 1024, "stopped at the cap: fed {fed}");
    assert!(fed >= cap, "not before the cap: fed {fed}");
}

#[test]
fn text_too_large() {
    let mut d = SessionHost::new(Config {
        max_text_bytes: 10,
        ..test_config(Protocol::OpenAi)
    });
    d.sse_head(10);
    d.bytes(100, &openai_chunk("12345"));
    d.bytes(200, &openai_chunk("67890"));
    assert!(!d.session.is_finished(), "exactly at the cap is fine");
    d.bytes(300, &openai_chunk("!"));
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 300);
    assert_eq!(
        o.error.as_ref().map(|e| e.code),
        Some(ErrorCode::TextTooLarge)
    );
    assert!(d.abort_requested());
}

#[test]
fn invalid_json() {
    let mut d = openai();
    d.sse_head(10);
    d.bytes(100, &openai_chunk("a "));
    d.bytes(200, &openai_chunk("b "));
    d.bytes(300, b"data: {not json}\n\n");
    d.run_to_end(10_000);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 300);
    assert_eq!(o.outcome, Outcome::ProtocolError, "{o:#?}");
    let e = o.error.as_ref().expect("error");
    assert_eq!(e.code, ErrorCode::InvalidJson);
    assert_eq!(e.event_index, Some(2));
    assert_eq!(o.text, "a b ");
}

#[test]
fn user_abort() {
    let mut d = openai();
    d.sse_head(10);
    for (i, w) in words(3).iter().enumerate() {
        d.bytes(100 + 300 * i as u64, &openai_chunk(w));
    }
    d.abort(1000);
    let logged = d.log.len();
    // Late input after the abort: nothing more comes out.
    d.bytes(1100, &openai_chunk("late "));
    d.eof(1200);
    d.run_to_end(10_000);
    assert_eq!(d.log.len(), logged, "no output after the outcome");
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 1000);
    assert_eq!(o.outcome, Outcome::Aborted, "{o:#?}");
    assert_eq!(o.text, concat(&words(3)));
    assert_eq!(o.stats.deltas, 3);
    assert!(!d.abort_requested(), "the caller already aborted");
}

#[test]
fn hidden_tab() {
    // stall_mid in a hidden tab: no animation frames, and the timer callback runs 1 s late.
    let mut d = openai();
    d.frame_ms = None;
    d.timer_lateness = 1000;
    d.sse_head(10);
    let ws = d.openai_words(3, 100, 100);
    d.run_to_end(10_000);
    d.check_invariants();
    // Idle expired at 800 (content at 1800 too by then): the earliest one is reported, with
    // the time the host actually woke up.
    assert_stalled(&d, StallPhase::Idle, 800 + 1000);
    assert_eq!(d.outcome().text, concat(&ws));
    assert_eq!(
        d.flushes(),
        vec![concat(&ws).as_str()],
        "one flush at the end"
    );
}

#[test]
fn hidden_tab_woken_by_a_read() {
    // The throttled timer has not run yet, but a read at 1300 wakes the host: the idle
    // deadline (800) is checked first and the late bytes are not taken as a sign of life.
    let mut d = openai();
    d.frame_ms = None;
    d.timer_lateness = 5000;
    d.sse_head(10);
    d.bytes(300, &openai_chunk("a "));
    d.bytes(1300, &openai_chunk("b "));
    d.check_invariants();
    assert_stalled(&d, StallPhase::Idle, 1300);
    assert_eq!(d.outcome().text, "a ");
}
