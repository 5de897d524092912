//! Session behaviour beyond the FAULTS.md table: flush modes through the session, deadlines,
//! head handling, events, and host sloppiness (early timeouts, a clock that steps back).

mod support;

use streamguard::session::{Config, FlushMode, Output, Session, SmoothUnit};
use streamguard::{ErrorCode, Millis, Outcome, Protocol, StallPhase, StreamEvent};
use support::session::*;

fn with_flush(flush: FlushMode) -> SessionHost {
    SessionHost::new(Config {
        flush,
        ..test_config(Protocol::OpenAi)
    })
}

fn text_times(d: &SessionHost) -> Vec<(u64, String)> {
    d.log
        .iter()
        .filter_map(|(t, o)| match o {
            Output::Text(s) => Some((*t, s.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn frame_mode_first_content_in_the_next_frame_and_one_flush_per_frame() {
    let mut d = with_flush(FlushMode::Frame);
    d.sse_head(5);
    d.bytes(100, &openai_chunk("a"));
    d.bytes(101, &openai_chunk("b"));
    d.bytes(102, &openai_chunk("c"));
    d.bytes(200, &openai_chunk("d"));
    d.bytes(300, OPENAI_DONE);
    d.check_invariants();
    // Frames tick on multiples of 16: the first after 100 is 112.
    assert_eq!(
        text_times(&d),
        vec![(112, "abc".to_string()), (208, "d".to_string())]
    );
}

#[test]
fn frame_mode_no_frames_means_one_flush_at_the_end() {
    let mut d = with_flush(FlushMode::Frame);
    d.frame_ms = None;
    d.sse_head(5);
    for i in 0..10 {
        d.bytes(100 + i, &openai_chunk("x"));
    }
    assert!(d.session.wants_frame());
    d.bytes(200, OPENAI_DONE);
    d.check_invariants();
    assert_eq!(text_times(&d), vec![(200, "x".repeat(10))]);
}

#[test]
fn interval_mode_leading_edge_then_every_n_ms() {
    let mut d = with_flush(FlushMode::Interval { ms: 100 });
    d.frame_ms = None;
    d.sse_head(5);
    d.bytes(100, &openai_chunk("a"));
    assert_eq!(text_times(&d), vec![(100, "a".to_string())], "not delayed");
    d.bytes(120, &openai_chunk("b"));
    assert_eq!(d.session.poll_deadline(), Some(Millis(200)));
    d.bytes(150, &openai_chunk("c"));
    d.bytes(210, &openai_chunk("d"));
    d.bytes(450, &openai_chunk("e"));
    d.bytes(460, &openai_chunk("f"));
    d.bytes(500, OPENAI_DONE);
    d.check_invariants();
    assert_eq!(
        text_times(&d),
        vec![
            (100, "a".to_string()),
            (200, "bc".to_string()),
            (300, "d".to_string()),
            (450, "e".to_string()),
            (500, "f".to_string()),
        ]
    );
}

#[test]
fn immediate_mode_one_flush_per_read() {
    let mut d = with_flush(FlushMode::Immediate);
    d.sse_head(5);
    d.bytes(
        100,
        &[openai_chunk("a"), openai_chunk("b"), openai_chunk("")].concat(),
    );
    // Every delta of one read in one flush, at once (no frame, no timer).
    assert_eq!(d.flushes(), vec!["ab"]);
    d.bytes(150, &openai_chunk("c"));
    d.bytes(160, b": keep-alive\n\n");
    d.eof(200);
    d.check_invariants();
    assert_eq!(d.flushes(), vec!["ab", "c"]);
    assert_eq!(d.outcome().outcome, Outcome::Truncated);
}

#[test]
fn smooth_mode_reveals_steadily_and_never_delays_the_outcome() {
    let ws = words(40);
    let mut d = with_flush(FlushMode::Smooth {
        unit: SmoothUnit::Word,
    });
    d.sse_head(5);
    let texts: Vec<&str> = ws.iter().map(String::as_str).collect();
    let mut wire = Vec::new();
    for t in &texts {
        wire.extend(openai_chunk(t));
    }
    d.bytes(100, &wire);
    d.advance(160);
    let so_far = d.flushes();
    // 40 words over 8 frames: 5 per frame at 112, 128, 144, 160.
    assert_eq!(so_far.len(), 4, "{so_far:?}");
    assert!(so_far.iter().all(|f| f.split_whitespace().count() == 5));
    d.bytes(161, OPENAI_DONE);
    // The frame at 160 already had its flush: the rest and the outcome go out at the next
    // frame tick, all at once (the reveal does not delay the outcome beyond that frame).
    assert!(d.abort_requested(), "the connection is released at once");
    d.advance(176);
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(t, 176, "the outcome is not delayed by the reveal");
    assert_eq!(o.text, ws.concat());
    let last = d
        .flushes()
        .last()
        .map(|s| s.to_string())
        .unwrap_or_default();
    assert_eq!(last.split_whitespace().count(), 20, "the rest in one flush");
}

#[test]
fn smooth_grapheme_mode_through_the_session() {
    let mut d = with_flush(FlushMode::Smooth {
        unit: SmoothUnit::Grapheme,
    });
    d.sse_head(5);
    d.bytes(100, &openai_chunk("ne\u{301}e\u{301}"));
    d.advance(200);
    d.bytes(200, OPENAI_DONE);
    d.check_invariants();
    assert!(
        d.flushes().iter().all(|f| !f.starts_with('\u{301}')),
        "{:?}",
        d.flushes()
    );
}

#[test]
fn events_are_emitted_when_asked() {
    let mut d = SessionHost::new(Config {
        emit_events: true,
        ..test_config(Protocol::OpenAi)
    });
    d.sse_head(5);
    d.bytes(100, b": ping\n\n");
    d.bytes(110, &openai_chunk("a"));
    d.bytes(120, &openai_finish("stop"));
    d.bytes(130, OPENAI_DONE);
    d.check_invariants();
    let events: Vec<&StreamEvent> = d
        .log
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    assert!(events.contains(&&StreamEvent::KeepAlive), "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StreamEvent::Finish { .. })),
        "{events:?}"
    );
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::Text { .. })));
    assert!(!events.iter().any(|e| matches!(e, StreamEvent::End(_))));

    let mut quiet = SessionHost::new(test_config(Protocol::OpenAi));
    quiet.bytes(100, &openai_finish("stop"));
    quiet.bytes(110, OPENAI_DONE);
    assert!(!quiet.log.iter().any(|(_, o)| matches!(o, Output::Event(_))));
}

#[test]
fn early_and_spurious_timeouts_are_no_ops() {
    let mut s = Session::new(test_config(Protocol::OpenAi), Millis(0));
    for t in [0, 1, 500, 999] {
        s.handle_timeout(Millis(t));
        assert_eq!(s.poll_output(), None);
        assert!(!s.is_finished());
    }
    assert_eq!(s.poll_deadline(), Some(Millis(1000)));
    s.handle_timeout(Millis(1000));
    let outs: Vec<Output> = std::iter::from_fn(|| s.poll_output()).collect();
    assert!(matches!(
        outs.as_slice(),
        [Output::AbortRequest, Output::Finished(_)]
    ));
    s.handle_timeout(Millis(2000));
    s.handle_bytes(Millis(2000), b"data: x\n\n");
    s.handle_eof(Millis(2000));
    assert_eq!(s.poll_output(), None);
    assert_eq!(s.poll_deadline(), None);
}

#[test]
fn deadlines_are_timestamps_and_headers_do_not_count() {
    let mut s = Session::new(test_config(Protocol::OpenAi), Millis(1000));
    assert_eq!(s.poll_deadline(), Some(Millis(2000)));
    s.handle_response_head(Millis(1500), 200, &[("content-type", "text/event-stream")]);
    assert_eq!(
        s.poll_deadline(),
        Some(Millis(2000)),
        "headers do not stop it"
    );
    s.handle_bytes(Millis(1600), b": hi\n\n");
    // First byte: idle armed at 1600 + 500; content still counts from the request (2500).
    let d = s.timer_deadlines();
    assert_eq!(d.first_byte, None);
    assert_eq!(d.idle, Some(Millis(2100)));
    assert_eq!(d.content, Some(Millis(2500)));
    assert_eq!(d.total, Some(Millis(6000)));
    assert_eq!(s.poll_deadline(), Some(Millis(2100)));
    s.handle_bytes(Millis(1700), b"");
    assert_eq!(
        s.poll_deadline(),
        Some(Millis(2100)),
        "an empty read is not a byte"
    );
}

#[test]
fn zero_timeouts_are_off() {
    let mut s = Session::new(
        Config {
            first_byte_timeout_ms: 0,
            idle_timeout_ms: 0,
            content_timeout_ms: 0,
            total_timeout_ms: 0,
            ..Config::default()
        },
        Millis(0),
    );
    assert_eq!(s.poll_deadline(), None);
    s.handle_timeout(Millis(u64::MAX));
    assert!(!s.is_finished());
}

#[test]
fn a_clock_stepping_back_is_clamped() {
    let mut d = SessionHost::new(test_config(Protocol::OpenAi));
    d.session.handle_bytes(Millis(400), &openai_chunk("a"));
    d.session.handle_bytes(Millis(100), &openai_chunk("b"));
    // Idle counts from 400, not 100.
    assert_eq!(d.session.timer_deadlines().idle, Some(Millis(900)));
    d.session.handle_eof(Millis(50));
    let o = std::iter::from_fn(|| d.session.poll_output())
        .find_map(|o| match o {
            Output::Finished(o) => Some(o),
            _ => None,
        })
        .expect("outcome");
    assert_eq!(o.stats.duration_ms, 400);
    assert_eq!(o.text, "ab");
}

#[test]
fn bytes_without_a_head_are_a_200() {
    let mut d = SessionHost::new(test_config(Protocol::OpenAi));
    d.bytes(100, &openai_chunk("hi"));
    d.bytes(110, OPENAI_DONE);
    d.check_invariants();
    assert_eq!(d.outcome().outcome, Outcome::Complete);
    assert_eq!(d.outcome().stats.headers_ms, None);
}

#[test]
fn a_second_head_is_ignored() {
    let mut d = SessionHost::new(test_config(Protocol::OpenAi));
    d.sse_head(10);
    d.head(20, 500, &[]);
    d.bytes(100, &openai_chunk("hi"));
    d.bytes(110, OPENAI_DONE);
    d.check_invariants();
    assert_eq!(d.outcome().outcome, Outcome::Complete);
}

#[test]
fn http_error_body_is_bounded_and_timed() {
    // A huge error body: decided once the prefix is full, and the request is aborted.
    let mut d = SessionHost::new(test_config(Protocol::OpenAi));
    d.head(10, 503, &[("content-type", "text/html")]);
    let chunk = vec![b'<'; 16 * 1024];
    for i in 0..100 {
        d.bytes(100 + i, &chunk);
    }
    d.check_invariants();
    let (t, o) = d.finished();
    assert_eq!(o.outcome, Outcome::HttpError);
    assert_eq!(t, 103, "64 KiB in after the 4th read");
    assert!(d.abort_requested());
    let e = o.error.as_ref().expect("error");
    assert_eq!(e.status, Some(503));
    assert_eq!(e.retryable, Some(true));

    // A slow error body: the timers still run.
    let mut d = SessionHost::new(test_config(Protocol::OpenAi));
    d.head(10, 500, &[("content-type", "application/json")]);
    d.bytes(100, b"{\"error\":");
    d.run_to_end(10_000);
    d.check_invariants();
    assert_stalled(&d, StallPhase::Idle, 600);

    // A reset while reading an error body still reports the status.
    let mut d = SessionHost::new(test_config(Protocol::OpenAi));
    d.head(10, 401, &[("content-type", "application/json")]);
    d.bytes(100, b"{\"error\":{\"message\":\"bad key\"}}");
    d.error(150, streamguard::NetworkErrorKind::Reset);
    d.check_invariants();
    let e = d.outcome().error.clone().expect("error");
    assert_eq!((e.code, e.status), (ErrorCode::HttpError, Some(401)));
    assert!(e.message.contains("bad key"));
}

#[test]
fn retry_after_as_http_date_and_ms() {
    let mut d = SessionHost::new(test_config(Protocol::Anthropic));
    d.head(
        10,
        529,
        &[
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("retry-after", "Wed, 21 Oct 2015 07:28:03 GMT"),
        ],
    );
    d.eof(20);
    assert_eq!(
        d.outcome().error.as_ref().and_then(|e| e.retry_after_ms),
        Some(3000)
    );
    let mut d = SessionHost::new(test_config(Protocol::OpenAi));
    d.head(
        10,
        429,
        &[("retry-after", "2"), ("retry-after-ms", "1234.5")],
    );
    d.eof(20);
    assert_eq!(
        d.outcome().error.as_ref().and_then(|e| e.retry_after_ms),
        Some(1235)
    );
}

#[test]
fn stats_gaps_and_counts() {
    let mut d = SessionHost::new(test_config(Protocol::Anthropic));
    d.sse_head(10);
    d.bytes(100, ANTHROPIC_START);
    d.bytes(300, &anthropic_delta("a"));
    d.bytes(400, ANTHROPIC_PING);
    d.bytes(650, &anthropic_delta("b"));
    d.bytes(700, ANTHROPIC_END);
    d.check_invariants();
    let s = d.outcome().stats;
    assert_eq!(s.ttfb_ms, Some(100));
    assert_eq!(s.ttft_ms, Some(300));
    assert_eq!(s.max_byte_gap_ms, 250);
    assert_eq!(s.max_content_gap_ms, 350);
    assert_eq!(s.deltas, 2);
    assert_eq!(s.keep_alives, 1);
    assert!(s.events >= 7, "{s:?}");
    assert_eq!(s.duration_ms, 700);
    assert_eq!(s.flushes, d.flushes().len() as u64);
    assert_eq!(
        d.session.text(),
        "ab",
        "text() still answers after the outcome"
    );
}
