//! The driver on a virtual clock: when it retries, when it resumes, what it sends, the one
//! result at the end, and frame pacing as a host sees it. A scripted host plays the network:
//! each attempt is a list of timed inputs.

mod support;

use streamguard::session::{FlushMode, NetworkError, NetworkErrorKind, Output};
use streamguard::{Config, Driver, Millis, Outcome, Protocol, RetryPolicy, StreamResult};
use support::session::{openai_chunk, test_config, OPENAI_DONE};

/// What the network does in one attempt, at times relative to the attempt's `Connect`.
#[derive(Clone)]
enum Net {
    Head(u64, u16, Vec<(&'static str, &'static str)>),
    Bytes(u64, Vec<u8>),
    Eof(u64),
    Reset(u64),
}

/// A host on a virtual clock: connects when told, plays the scripted attempts, fires the one
/// timer, ticks frames every 16 ms while the driver wants one, aborts at `abort_at`.
struct Host {
    driver: Driver,
    now: u64,
    /// Every output with its time.
    log: Vec<(u64, Output)>,
    /// The scripted attempts, in order; an attempt beyond the script never answers.
    script: Vec<Vec<Net>>,
    abort_at: Option<u64>,
    /// Frame ticks delivered.
    frames: u64,
}

impl Host {
    fn new(config: Config, policy: RetryPolicy, get: bool, script: Vec<Vec<Net>>) -> Host {
        Host {
            driver: Driver::new(config, policy, get, 7, Millis(0)),
            now: 0,
            log: Vec::new(),
            script,
            abort_at: None,
            frames: 0,
        }
    }

    /// Runs until `Finished` (or `limit` ms), returning the result.
    fn run(&mut self, limit: u64) -> StreamResult {
        // Pending network inputs of the current attempt, absolute times.
        let mut pending: Vec<(u64, Net)> = Vec::new();
        let mut attempt = 0;
        loop {
            while let Some(out) = self.driver.poll_output() {
                match &out {
                    Output::Connect { .. } => {
                        let steps = self.script.get(attempt).cloned().unwrap_or_default();
                        attempt += 1;
                        pending = steps
                            .into_iter()
                            .map(|n| {
                                let at = match &n {
                                    Net::Head(t, ..)
                                    | Net::Bytes(t, _)
                                    | Net::Eof(t)
                                    | Net::Reset(t) => *t,
                                };
                                (self.now + at, n)
                            })
                            .collect();
                    }
                    Output::AbortRequest => pending.clear(),
                    _ => {}
                }
                let done = matches!(out, Output::Finished(_));
                self.log.push((self.now, out));
                if done {
                    assert!(
                        self.driver.poll_output().is_none(),
                        "nothing after Finished"
                    );
                    return self.result().clone();
                }
            }
            assert!(
                self.now <= limit,
                "no result by {limit} ms: {:#?}",
                self.log
            );
            let net = pending.first().map(|(t, _)| *t);
            let timer = self.driver.poll_deadline().map(|d| d.0);
            let frame = self
                .driver
                .wants_frame()
                .then_some((self.now / 16 + 1) * 16);
            let abort = self.abort_at.filter(|&a| a >= self.now);
            let next = [net, timer, frame, abort]
                .into_iter()
                .flatten()
                .min()
                .expect("the driver waits for nothing");
            self.now = next.max(self.now);
            let now = Millis(self.now);
            if abort == Some(next) {
                self.abort_at = None;
                self.driver.handle_abort(now);
            } else if net == Some(next) {
                let (_, n) = pending.remove(0);
                match n {
                    Net::Head(_, status, h) => self.driver.handle_response_head(now, status, &h),
                    Net::Bytes(_, b) => self.driver.handle_bytes(now, &b),
                    Net::Eof(_) => {
                        pending.clear();
                        self.driver.handle_eof(now)
                    }
                    Net::Reset(_) => {
                        pending.clear();
                        self.driver.handle_error(
                            now,
                            NetworkError {
                                kind: NetworkErrorKind::Reset,
                                message: "reset".into(),
                            },
                        )
                    }
                }
            } else if timer == Some(next) {
                self.driver.handle_timeout(now);
            } else {
                self.frames += 1;
                self.driver.handle_frame(now);
            }
        }
    }

    fn result(&self) -> &StreamResult {
        match self.log.last() {
            Some((_, Output::Finished(r))) => r,
            _ => panic!("no result: {:#?}", self.log),
        }
    }

    /// The `Connect`s with their times and `Last-Event-ID`s.
    fn connects(&self) -> Vec<(u64, Option<String>)> {
        self.log
            .iter()
            .filter_map(|(t, o)| match o {
                Output::Connect { last_event_id } => Some((*t, last_event_id.clone())),
                _ => None,
            })
            .collect()
    }

    /// The text flushes with their times.
    fn flushes(&self) -> Vec<(u64, String)> {
        self.log
            .iter()
            .filter_map(|(t, o)| match o {
                Output::Text(s) => Some((*t, s.clone())),
                _ => None,
            })
            .collect()
    }

    /// The flushes concatenate to the result's text, every run.
    fn check(&self) {
        let joined: String = self.flushes().into_iter().map(|(_, s)| s).collect();
        assert_eq!(joined, self.result().text, "{:#?}", self.log);
        let finished = self
            .log
            .iter()
            .filter(|(_, o)| matches!(o, Output::Finished(_)))
            .count();
        assert_eq!(finished, 1, "exactly one result");
        assert_eq!(self.driver.poll_deadline(), None);
        assert!(!self.driver.wants_frame());
        assert!(self.driver.is_finished());
    }
}

fn sse_head() -> Net {
    Net::Head(5, 200, vec![("content-type", "text/event-stream")])
}

fn status(code: u16, retry_after: Option<&'static str>) -> Net {
    let mut h = vec![("content-type", "application/json")];
    if let Some(ra) = retry_after {
        h.push(("retry-after", ra));
    }
    Net::Head(5, code, h)
}

fn retry(n: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts: n,
        ..RetryPolicy::default()
    }
}

fn immediate(protocol: Protocol) -> Config {
    Config {
        flush: FlushMode::Immediate,
        ..test_config(protocol)
    }
}

fn ok_attempt() -> Vec<Net> {
    vec![
        sse_head(),
        Net::Bytes(10, openai_chunk("Hi")),
        Net::Bytes(20, OPENAI_DONE.to_vec()),
        Net::Eof(21),
    ]
}

#[test]
fn the_first_output_is_connect_and_a_clean_stream_is_one_attempt() {
    let mut h = Host::new(
        immediate(Protocol::OpenAi),
        retry(3),
        false,
        vec![ok_attempt()],
    );
    let r = h.run(10_000);
    assert_eq!(r.outcome, Outcome::Complete);
    assert_eq!(r.text, "Hi");
    assert_eq!(h.connects(), vec![(0, None)]);
    assert!(matches!(h.log[0].1, Output::Connect { .. }));
    h.check();
}

#[test]
fn a_503_before_content_is_retried_after_the_jittered_backoff_and_the_last_attempt_wins() {
    let fail = vec![
        status(503, None),
        Net::Bytes(6, b"{}".to_vec()),
        Net::Eof(7),
    ];
    let mut h = Host::new(
        immediate(Protocol::OpenAi),
        retry(3),
        false,
        vec![fail.clone(), fail, ok_attempt()],
    );
    let r = h.run(10_000);
    assert_eq!(r.outcome, Outcome::Complete, "{r:#?}");
    let connects = h.connects();
    assert_eq!(connects.len(), 3);
    // Backoff: base 500 ms then 1000 ms, each scaled by a jitter in [0.5, 1].
    let gap1 = connects[1].0 - 7;
    let gap2 = connects[2].0 - (connects[1].0 + 7);
    assert!((250..=500).contains(&gap1), "{gap1}");
    assert!((500..=1000).contains(&gap2), "{gap2}");
    assert!(connects.iter().all(|(_, id)| id.is_none()));
    // The result is the last attempt's: its stats start at its own request.
    assert_eq!(r.stats.headers_ms, Some(5));
    h.check();
}

#[test]
fn retry_after_is_honoured_and_attempts_are_capped() {
    let fail = vec![status(429, Some("2")), Net::Eof(6)];
    let mut h = Host::new(
        immediate(Protocol::OpenAi),
        retry(2),
        false,
        vec![fail.clone(), fail.clone(), fail],
    );
    let r = h.run(10_000);
    assert_eq!(r.outcome, Outcome::HttpError);
    assert_eq!(r.error.as_ref().and_then(|e| e.status), Some(429));
    let connects = h.connects();
    assert_eq!(connects.len(), 2, "max_attempts counts every attempt");
    assert_eq!(connects[1].0, 6 + 2000, "Retry-After: 2");
    h.check();
}

#[test]
fn nothing_is_retried_after_content_reached_the_host() {
    let cut = vec![
        sse_head(),
        Net::Bytes(10, openai_chunk("Hel")),
        Net::Reset(20),
    ];
    let mut h = Host::new(
        immediate(Protocol::OpenAi),
        retry(5),
        false,
        vec![cut, ok_attempt()],
    );
    let r = h.run(10_000);
    assert_eq!(r.outcome, Outcome::NetworkError);
    assert_eq!(r.text, "Hel", "the text received is kept");
    assert_eq!(
        h.connects().len(),
        1,
        "a POST is not repeated after content"
    );
    h.check();
}

#[test]
fn a_stall_is_never_retried_but_aborts_the_request() {
    let silent = vec![sse_head()];
    let mut h = Host::new(
        immediate(Protocol::OpenAi),
        retry(5),
        false,
        vec![silent, ok_attempt()],
    );
    let r = h.run(10_000);
    assert_eq!(r.outcome, Outcome::Stalled);
    assert_eq!(h.connects().len(), 1);
    assert!(h
        .log
        .iter()
        .any(|(t, o)| *t == 1000 && matches!(o, Output::AbortRequest)));
    h.check();
}

fn sse_event(id: usize, text: &str) -> Vec<u8> {
    format!("id: {id}\ndata: {text}\n\n").into_bytes()
}

#[test]
fn a_raw_sse_get_stream_resumes_with_last_event_id_after_retry_and_keeps_one_text() {
    let first = vec![
        sse_head(),
        Net::Bytes(6, b"retry: 300\n\n".to_vec()),
        Net::Bytes(10, sse_event(1, "one ")),
        Net::Bytes(20, sse_event(2, "two ")),
        Net::Bytes(30, b"id: 3\ndata: thr".to_vec()),
        Net::Reset(40),
    ];
    let second = vec![
        sse_head(),
        Net::Bytes(10, sse_event(3, "three")),
        Net::Eof(20),
    ];
    let policy = RetryPolicy {
        max_attempts: 3,
        resume: true,
        ..RetryPolicy::default()
    };
    let mut h = Host::new(immediate(Protocol::Sse), policy, true, vec![first, second]);
    let r = h.run(10_000);
    assert_eq!(r.outcome, Outcome::Complete, "{r:#?}");
    assert_eq!(r.text, "one two three");
    assert_eq!(
        h.connects(),
        vec![(0, None), (340, Some("2".to_string()))],
        "after the stream's retry: value, from the last complete event"
    );
    assert_eq!(r.stats.events, 3, "cumulative stats");
    h.check();
}

#[test]
fn resume_needs_get_and_raw_sse() {
    let cut = vec![
        sse_head(),
        Net::Bytes(10, sse_event(1, "a")),
        Net::Reset(20),
    ];
    let policy = RetryPolicy {
        max_attempts: 3,
        resume: true,
        ..RetryPolicy::default()
    };
    for (protocol, get) in [(Protocol::Sse, false), (Protocol::OpenAi, true)] {
        let mut h = Host::new(
            immediate(protocol),
            policy,
            get,
            vec![cut.clone(), cut.clone()],
        );
        h.run(10_000);
        assert_eq!(h.connects().len(), 1, "{protocol:?} get={get}");
        h.check();
    }
}

#[test]
fn an_abort_during_the_wait_ends_aborted_with_the_text_so_far_and_no_new_request() {
    let first = vec![
        sse_head(),
        Net::Bytes(10, sse_event(1, "kept")),
        Net::Reset(20),
    ];
    let policy = RetryPolicy {
        max_attempts: 3,
        resume: true,
        base_delay_ms: 1000,
        ..RetryPolicy::default()
    };
    let mut h = Host::new(immediate(Protocol::Sse), policy, true, vec![first]);
    h.abort_at = Some(100);
    let r = h.run(10_000);
    assert_eq!(r.outcome, Outcome::Aborted);
    assert_eq!(r.text, "kept");
    assert_eq!(h.connects().len(), 1);
    assert_eq!(h.log.last().map(|(t, _)| *t), Some(100), "at once");
    h.check();
}

#[test]
fn inputs_of_a_closed_attempt_are_ignored_during_the_wait() {
    let fail = vec![status(503, None), Net::Eof(6)];
    let mut d = Driver::new(immediate(Protocol::OpenAi), retry(2), false, 1, Millis(0));
    assert!(matches!(d.poll_output(), Some(Output::Connect { .. })));
    let _ = fail;
    d.handle_response_head(Millis(5), 503, &[]);
    d.handle_eof(Millis(6));
    assert!(d.is_waiting());
    assert_eq!(d.poll_output(), None, "no result while a retry is pending");
    // A late read of the closed connection changes nothing.
    d.handle_bytes(Millis(7), &openai_chunk("stale"));
    d.handle_eof(Millis(8));
    assert_eq!(d.poll_output(), None);
    assert_eq!(d.text(), "");
    let until = d.poll_deadline().expect("the wait is a deadline");
    d.handle_timeout(Millis(until.0 - 1));
    assert_eq!(d.poll_output(), None, "an early timer is a no-op");
    d.handle_timeout(until);
    assert_eq!(
        d.poll_output(),
        Some(Output::Connect {
            last_event_id: None
        })
    );
    assert_eq!(d.attempt(), 2);
}

#[test]
fn the_backoff_replays_with_the_same_seed() {
    let fail = vec![status(500, None), Net::Eof(6)];
    let connects = |seed: u64| {
        let mut h = Host::new(
            immediate(Protocol::OpenAi),
            retry(4),
            false,
            vec![fail.clone(), fail.clone(), fail.clone(), fail.clone()],
        );
        h.driver = Driver::new(
            immediate(Protocol::OpenAi),
            retry(4),
            false,
            seed,
            Millis(0),
        );
        h.run(60_000);
        h.connects()
    };
    assert_eq!(connects(42), connects(42));
    assert_ne!(connects(42), connects(43));
}

#[test]
fn frame_mode_never_flushes_twice_in_one_frame_the_final_flush_included() {
    let attempt = vec![
        sse_head(),
        Net::Bytes(10, openai_chunk("a")),
        // Flushed in the frame at 16; the end arrives in the same frame.
        Net::Bytes(17, [openai_chunk("b"), OPENAI_DONE.to_vec()].concat()),
        Net::Eof(18),
    ];
    let config = Config {
        flush: FlushMode::Frame,
        ..test_config(Protocol::OpenAi)
    };
    let mut h = Host::new(config, retry(1), false, vec![attempt]);
    let r = h.run(10_000);
    assert_eq!(r.outcome, Outcome::Complete);
    assert_eq!(
        h.flushes(),
        vec![(16, "a".to_string()), (32, "b".to_string())],
        "the final flush waits for the next frame"
    );
    // The result comes with the held flush, at the next frame tick.
    assert!(matches!(h.log.last(), Some((32, Output::Finished(_)))));
    assert_eq!(r.stats.flushes, 2);
    h.check();
}

#[test]
fn frame_mode_flushes_the_final_text_at_once_when_the_frame_had_no_flush() {
    let attempt = vec![
        sse_head(),
        Net::Bytes(10, [openai_chunk("ab"), OPENAI_DONE.to_vec()].concat()),
        Net::Eof(11),
    ];
    let config = Config {
        flush: FlushMode::Frame,
        ..test_config(Protocol::OpenAi)
    };
    let mut h = Host::new(config, retry(1), false, vec![attempt]);
    h.run(10_000);
    assert_eq!(
        h.flushes(),
        vec![(10, "ab".to_string())],
        "no frame wait for the last flush"
    );
    h.check();
}
