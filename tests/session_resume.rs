//! SSE resume on the virtual clock: a raw `sse` stream cut mid-way continues in a new attempt
//! (`Session::resume`) from `Last-Event-ID`, and across attempts nothing is lost or flushed
//! twice: the `Output::Text` of every attempt concatenate to the final outcome's text, which
//! carries all of it.

mod support;

use streamguard::session::{FlushMode, NetworkErrorKind, Output, Session};
use streamguard::sse::{Item, SseParser};
use streamguard::{Millis, Outcome, Protocol, RetryPolicy, StallPhase, StreamResult};
use support::session::{test_config, SessionHost};

const WORDS: [&str; 6] = ["One ", "two ", "three ", "four ", "five ", "six"];

fn event(id: usize) -> Vec<u8> {
    format!("id: {id}\ndata: {}\n\n", WORDS[id - 1]).into_bytes()
}

/// What a server that honours `Last-Event-ID` sends: `retry: 100`, then the events after it.
fn body_after(last_event_id: &str) -> Vec<u8> {
    let after: usize = last_event_id.parse().unwrap_or(0);
    let mut out = b"retry: 100\n\n".to_vec();
    for id in after + 1..=WORDS.len() {
        out.extend(event(id));
    }
    out
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        resume: true,
        ..RetryPolicy::default()
    }
}

/// Every outcome reported, in order.
fn outcomes(d: &SessionHost) -> Vec<&StreamResult> {
    d.log
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Finished(o) => Some(o),
            _ => None,
        })
        .collect()
}

/// The last attempt's outcome.
fn last(d: &SessionHost) -> &StreamResult {
    outcomes(d).pop().expect("an outcome")
}

/// Starts the next attempt at `t` (the request is sent at `t`).
fn resume(d: &mut SessionHost, t: u64) {
    d.advance(t);
    d.session = d.session.resume(Millis(t));
}

/// The invariants across attempts: one outcome per attempt, each last in its attempt; no
/// empty flush; the flushes of all attempts concatenate to the final text; `stats.flushes`
/// counts them all.
fn check_across_attempts(d: &SessionHost) {
    let flushes = d.flushes();
    assert!(flushes.iter().all(|f| !f.is_empty()), "empty flush");
    let o = last(d);
    assert_eq!(
        flushes.concat(),
        o.text,
        "flushes == final text: {:#?}",
        d.log
    );
    assert_eq!(o.stats.flushes, flushes.len() as u64);
    assert!(matches!(d.log.last(), Some((_, Output::Finished(_)))));
    assert_eq!(d.session.poll_deadline(), None);
}

#[test]
fn a_reset_stream_resumes_from_the_last_event_id_and_keeps_everything() {
    let mut d = SessionHost::new(test_config(Protocol::Sse));
    d.sse_head(10);
    d.bytes(20, b"retry: 100\n\n");
    for id in 1..=3 {
        d.bytes(20 + 20 * id as u64, &event(id));
    }
    // Event 4's id line arrives, then the connection is reset before its blank line.
    d.bytes(90, b"id: 4\ndata: fo");
    d.error(100, NetworkErrorKind::Reset);
    let first = last(&d).clone();
    assert_eq!(first.outcome, Outcome::NetworkError, "{first:#?}");
    assert_eq!(first.text, "One two three ");
    // The ID of the event cut off before its blank line does not count.
    assert_eq!(d.session.resume_id(), "3");
    assert_eq!(d.session.retry_ms(), Some(100));
    let delay = d.session.resume_delay(&policy(), 1, &first, 0.5);
    assert_eq!(delay, Some(100), "the stream's retry: value");

    resume(&mut d, 200);
    assert_eq!(d.session.resume_id(), "3", "the ID persists");
    assert_eq!(d.session.retry_ms(), Some(100), "retry: persists");
    assert_eq!(d.session.text(), "One two three ");
    assert!(!d.session.is_finished());
    d.sse_head(210);
    d.bytes(220, &body_after(d.session.resume_id()));
    d.eof(240);
    let o = last(&d);
    assert_eq!(o.outcome, Outcome::Complete, "{o:#?}");
    assert_eq!(o.finish_reason, None, "raw sse has no finish reason");
    assert_eq!(o.text, WORDS.concat());
    assert_eq!(d.session.resume_id(), "6");
    // Cumulative stats, times from the first request.
    let first_bytes = first.stats.bytes;
    assert_eq!(o.stats.bytes, first_bytes + body_after("3").len() as u64);
    assert_eq!(o.stats.deltas, 6);
    assert_eq!(o.stats.events, 6);
    assert_eq!(o.stats.headers_ms, Some(10));
    assert_eq!(o.stats.ttfb_ms, Some(20));
    assert_eq!(o.stats.ttft_ms, Some(40));
    assert_eq!(o.stats.duration_ms, 240);
    assert_eq!(outcomes(&d).len(), 2);
    check_across_attempts(&d);
}

/// The server cuts the first connection after every possible byte: whatever the cut, the
/// resumed stream ends complete with the exact text, nothing repeated, nothing lost.
#[test]
fn resume_is_exact_at_every_cut_point_and_flush_mode() {
    let full = body_after("");
    for flush in [
        FlushMode::Immediate,
        FlushMode::Frame,
        FlushMode::Interval { ms: 30 },
    ] {
        for cut in 0..=full.len() {
            let config = streamguard::Config {
                flush,
                ..test_config(Protocol::Sse)
            };
            let mut d = SessionHost::new(config);
            let mut t = 0;
            let mut attempt = 1;
            let mut body = full[..cut].to_vec();
            loop {
                d.sse_head(t + 5);
                for (i, b) in body.iter().enumerate() {
                    d.bytes(t + 6 + i as u64 / 8, std::slice::from_ref(b));
                }
                t = d.now + 10;
                if attempt == 1 {
                    d.error(t, NetworkErrorKind::Reset);
                } else {
                    d.eof(t);
                }
                // A final flush held by frame pacing goes out at the next frame tick.
                d.advance(t + 16);
                t = d.now;
                let o = last(&d).clone();
                let Some(delay) = d.session.resume_delay(&policy(), attempt, &o, 0.0) else {
                    break;
                };
                t += delay;
                resume(&mut d, t);
                body = body_after(d.session.resume_id());
                attempt += 1;
            }
            let o = last(&d);
            assert_eq!(o.outcome, Outcome::Complete, "cut {cut} {flush:?}: {o:#?}");
            assert_eq!(o.text, WORDS.concat(), "cut {cut} {flush:?}");
            assert_eq!(attempt, 2, "cut {cut}: one reconnect");
            check_across_attempts(&d);
        }
    }
}

#[test]
fn only_raw_sse_with_an_id_or_nothing_shown_is_resumable() {
    // OpenAI over SSE: never (a POST, and the protocol has its own end).
    let mut d = SessionHost::new(test_config(Protocol::OpenAi));
    d.sse_head(10);
    d.error(20, NetworkErrorKind::Reset);
    let o = last(&d).clone();
    assert_eq!(d.session.resume_delay(&policy(), 1, &o, 0.0), None);

    // Raw SSE without ids after text: the server would start over and repeat the text.
    let mut d = SessionHost::new(test_config(Protocol::Sse));
    d.sse_head(10);
    d.bytes(20, b"data: a\n\n");
    d.error(30, NetworkErrorKind::Reset);
    let o = last(&d).clone();
    assert_eq!(o.text, "a");
    assert_eq!(d.session.resume_delay(&policy(), 1, &o, 0.0), None);

    // Raw SSE without ids before any text: starting over repeats nothing (backoff delay).
    let mut d = SessionHost::new(test_config(Protocol::Sse));
    d.sse_head(10);
    d.error(30, NetworkErrorKind::Reset);
    let o = last(&d).clone();
    assert_eq!(d.session.resume_delay(&policy(), 1, &o, 0.0), Some(250));
    // Off unless asked, and attempts are counted.
    assert_eq!(
        d.session.resume_delay(&RetryPolicy::default(), 1, &o, 0.0),
        None
    );
    assert_eq!(d.session.resume_delay(&policy(), 3, &o, 0.0), None);
}

#[test]
fn an_abort_during_a_resumed_attempt_keeps_all_the_text_and_flushes_nothing_twice() {
    let mut d = SessionHost::new(test_config(Protocol::Sse));
    d.sse_head(10);
    d.bytes(20, &body_after("")[..40]);
    d.error(30, NetworkErrorKind::Reset);
    let before = last(&d).text.clone();
    assert!(!before.is_empty());
    resume(&mut d, 130);
    d.abort(140);
    let o = last(&d);
    assert_eq!(o.outcome, Outcome::Aborted);
    assert_eq!(o.text, before);
    check_across_attempts(&d);
}

#[test]
fn the_timers_restart_with_the_resumed_attempt() {
    let mut d = SessionHost::new(test_config(Protocol::Sse));
    d.sse_head(10);
    d.bytes(20, &event(1));
    d.error(400, NetworkErrorKind::Reset);
    resume(&mut d, 900);
    d.sse_head(910);
    d.bytes(920, &event(2));
    d.run_to_end(5000);
    let o = last(&d);
    assert_eq!(o.outcome, Outcome::Stalled, "{o:#?}");
    let e = o.error.as_ref().unwrap();
    assert_eq!(e.phase, Some(StallPhase::Idle));
    // Idle 500 ms after the last byte at 920; elapsed counts from this attempt's request.
    assert_eq!(e.elapsed_ms, Some(1420 - 900));
    assert_eq!(o.text, "One two ");
    assert_eq!(o.stats.duration_ms, 1420);
    // An idle stall is resumable too.
    assert_eq!(d.session.resume_delay(&policy(), 2, o, 0.0), Some(500));
    check_across_attempts(&d);
}

#[test]
fn a_resumed_session_fails_over_from_a_seeded_id_even_without_new_ids() {
    // The second connection sends events without ids: the ID stays the seeded one.
    let mut s = Session::new(test_config(Protocol::Sse), Millis(0));
    s.handle_bytes(Millis(1), &event(1));
    s.handle_error(
        Millis(2),
        streamguard::NetworkError {
            kind: NetworkErrorKind::Reset,
            message: String::new(),
        },
    );
    let mut r = s.resume(Millis(3));
    r.handle_bytes(Millis(4), b"data: more\n\n");
    assert_eq!(r.resume_id(), "1");
    assert_eq!(r.text(), "One more");
}

#[test]
fn the_parser_seeds_and_reports_the_last_event_id_string() {
    let mut p = SseParser::with_resume_id(1 << 20, "7");
    assert_eq!((p.last_event_id_buffer(), p.resume_id()), ("7", "7"));
    p.feed(b"data: a\n\n");
    match p.next_event() {
        Some(Ok(Item::Event(e))) => assert_eq!(e.last_event_id, "7"),
        other => panic!("{other:?}"),
    }
    // The buffer changes at the id line, the string only at the blank line.
    p.feed(b"id: 8\ndata: b\n");
    assert_eq!((p.last_event_id_buffer(), p.resume_id()), ("8", "7"));
    p.feed(b"\n");
    assert_eq!(p.resume_id(), "8");
    // A block without data still sets the string (dispatch step 1 runs before step 2).
    p.feed(b"id: 9\n\n");
    assert_eq!(p.resume_id(), "9");
}
