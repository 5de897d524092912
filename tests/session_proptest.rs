//! Random operation sequences against the session (bytes from valid and invalid stream
//! fragments, time steps, frames, timeouts at random times, head, eof, abort, errors), checking
//! the invariants: exactly one final outcome, nothing after it, no empty flush, flushes
//! concatenate to the final text, `stats.flushes` counts them, `AbortRequest` only right before
//! the outcome, each timer deadline only moves later, `poll_deadline` never asks for a time at
//! or before the last input, no panic.
// proptest is a native-only dev-dependency: keep this binary off wasm32 (browser tests build every test target).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use streamguard::session::{
    Config, FlushMode, NetworkError, NetworkErrorKind, Output, Session, SmoothUnit,
};
use streamguard::{Millis, Protocol};

const FRAGMENTS: &[&str] = &[
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi \"},\"finish_reason\":null}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"你好🌍 e\u{301}\"},\"finish_reason\":null}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n",
    "data: [DONE]\n\n",
    ": ping\n\n",
    "retry: 1000\nid: 4\n\n",
    "data: {not json}\n\n",
    "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Yo \"}}\n\n",
    "event: ping\ndata: {\"type\": \"ping\"}\n\n",
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    "{\"message\":{\"role\":\"assistant\",\"content\":\"Ol \"},\"done\":false}\n",
    "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\"}\n",
    "\r\n",
    "\u{FEFF}",
    "<html>",
    "\u{0}\u{7f}\u{ff}",
];

#[derive(Debug, Clone)]
enum Op {
    /// A fragment (by index), cut at `cut` (a proportion) into two reads.
    Bytes(usize, u8),
    /// Raw random bytes.
    Raw(Vec<u8>),
    Step(u64),
    Frame,
    /// A timer callback at `now + offset - 300` (early, on time, or late).
    Timeout(u64),
    /// The timer callback at exactly the session's deadline.
    OnDeadline,
    Head(u16, usize),
    Eof,
    Abort,
    Error,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..FRAGMENTS.len(), any::<u8>()).prop_map(|(i, c)| Op::Bytes(i, c)),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(Op::Raw),
        6 => (0u64..700).prop_map(Op::Step),
        4 => Just(Op::Frame),
        2 => (0u64..1200).prop_map(Op::Timeout),
        2 => Just(Op::OnDeadline),
        1 => ((prop_oneof![Just(200u16), Just(200), Just(429), Just(500), Just(304)]), 0usize..6)
            .prop_map(|(s, c)| Op::Head(s, c)),
        1 => Just(Op::Eof),
        1 => Just(Op::Abort),
        1 => Just(Op::Error),
    ]
}

const CONTENT_TYPES: &[&str] = &[
    "text/event-stream",
    "application/json",
    "application/x-ndjson",
    "text/html",
    "text/plain; charset=utf-8",
    "",
];

fn config() -> impl Strategy<Value = Config> {
    let protocol = prop_oneof![
        Just(Protocol::OpenAi),
        Just(Protocol::Anthropic),
        Just(Protocol::Ollama),
        Just(Protocol::OpenAiResponses),
        Just(Protocol::Sse),
        Just(Protocol::Auto),
    ];
    let flush = prop_oneof![
        Just(FlushMode::Frame),
        Just(FlushMode::Immediate),
        (0u64..200).prop_map(|ms| FlushMode::Interval { ms }),
        Just(FlushMode::Smooth {
            unit: SmoothUnit::Word
        }),
        Just(FlushMode::Smooth {
            unit: SmoothUnit::Grapheme
        }),
    ];
    let timeout = prop_oneof![Just(0u64), 1u64..3000];
    (
        protocol,
        flush,
        timeout.clone(),
        timeout.clone(),
        timeout.clone(),
        timeout,
        any::<bool>(),
        prop_oneof![Just(0usize), 20usize..400],
    )
        .prop_map(
            |(protocol, flush, fb, idle, content, total, emit, text_cap)| Config {
                protocol,
                first_byte_timeout_ms: fb,
                idle_timeout_ms: idle,
                content_timeout_ms: content,
                total_timeout_ms: total,
                flush,
                max_event_bytes: 160,
                max_text_bytes: text_cap,
                emit_events: emit,
            },
        )
}

struct Checker {
    session: Session,
    now: u64,
    /// The latest time handed to the session.
    input_at: u64,
    outputs: Vec<Output>,
    prev: streamguard::watchdog::Deadlines,
}

impl Checker {
    fn after_input(&mut self) -> Result<(), TestCaseError> {
        let was_finished = self
            .outputs
            .iter()
            .any(|o| matches!(o, Output::Finished(_)));
        while let Some(o) = self.session.poll_output() {
            prop_assert!(!was_finished, "output after the outcome: {o:?}");
            self.outputs.push(o);
        }
        let d = self.session.timer_deadlines();
        if !self.session.is_finished() {
            let p = self.prev;
            for (old, new) in [
                (p.first_byte, d.first_byte),
                (p.idle, d.idle),
                (p.content, d.content),
                (p.total, d.total),
            ] {
                if let (Some(o), Some(n)) = (old, new) {
                    prop_assert!(n >= o, "a deadline moved back: {old:?} -> {new:?}");
                }
            }
            if let Some(next) = self.session.poll_deadline() {
                prop_assert!(
                    next.0 > self.input_at,
                    "deadline {next:?} not after the last input at {}",
                    self.input_at
                );
            }
            self.prev = d;
        } else {
            prop_assert_eq!(self.session.poll_deadline(), None);
            prop_assert!(!self.session.wants_frame());
        }
        Ok(())
    }
}

fn run(config: Config, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let start = 1000;
    let mut c = Checker {
        session: Session::new(config, Millis(start)),
        now: start,
        input_at: start,
        outputs: Vec::new(),
        prev: Default::default(),
    };
    c.prev = c.session.timer_deadlines();
    for op in ops {
        let now = Millis(c.now);
        if !matches!(op, Op::Step(_) | Op::Timeout(_) | Op::OnDeadline) {
            c.input_at = c.now;
        }
        match op {
            Op::Bytes(i, cut) => {
                let f = FRAGMENTS[i].as_bytes();
                let at = f.len() * cut as usize / 256;
                c.session.handle_bytes(now, &f[..at]);
                c.after_input()?;
                c.session.handle_bytes(now, &f[at..]);
            }
            Op::Raw(b) => c.session.handle_bytes(now, &b),
            Op::Step(dt) => c.now += dt,
            Op::Frame => c.session.handle_frame(now),
            Op::Timeout(off) => {
                let t = (c.now + off).saturating_sub(300);
                // An early callback may carry a time before the last input: the session clamps.
                c.session.handle_timeout(Millis(t));
                c.input_at = c.input_at.max(t);
                c.now = c.now.max(t);
            }
            Op::OnDeadline => {
                if let Some(d) = c.session.poll_deadline() {
                    c.now = c.now.max(d.0);
                    c.input_at = c.input_at.max(d.0);
                    c.session.handle_timeout(d);
                }
            }
            Op::Head(status, ct) => {
                let ct = CONTENT_TYPES[ct];
                let headers: Vec<(&str, &str)> = if ct.is_empty() {
                    vec![("retry-after", "1")]
                } else {
                    vec![("content-type", ct), ("retry-after", "1")]
                };
                c.session.handle_response_head(now, status, &headers);
            }
            Op::Eof => c.session.handle_eof(now),
            Op::Abort => c.session.handle_abort(now),
            Op::Error => c.session.handle_error(
                now,
                NetworkError {
                    kind: NetworkErrorKind::Reset,
                    message: String::new(),
                },
            ),
        }
        c.after_input()?;
    }
    // The body ends: an outcome is guaranteed now.
    c.session.handle_eof(Millis(c.now));
    c.after_input()?;
    c.session.handle_eof(Millis(c.now + 1));
    c.session.handle_timeout(Millis(c.now + 100_000));
    c.after_input()?;
    // A final flush held for the next frame tick (frame pacing) goes out at that tick.
    if !c.session.is_finished() {
        prop_assert!(
            c.session.wants_frame(),
            "an undelivered outcome wants a frame"
        );
        c.session.handle_frame(Millis(c.now + 100_016));
        c.after_input()?;
    }

    let finished: Vec<usize> = c
        .outputs
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o, Output::Finished(_)))
        .map(|(i, _)| i)
        .collect();
    prop_assert_eq!(finished.len(), 1, "exactly one outcome");
    prop_assert_eq!(finished[0], c.outputs.len() - 1, "the outcome is last");
    let Some(Output::Finished(outcome)) = c.outputs.last() else {
        return Err(TestCaseError::fail("no outcome"));
    };
    let mut flushed = String::new();
    let mut flushes = 0u64;
    for (i, o) in c.outputs.iter().enumerate() {
        match o {
            Output::Text(t) => {
                prop_assert!(!t.is_empty(), "empty flush");
                flushed.push_str(t);
                flushes += 1;
            }
            Output::AbortRequest => {
                // Right before the outcome, or before the final flush held for the next
                // frame tick and then the outcome.
                let rest = &c.outputs[i + 1..];
                prop_assert!(
                    rest.len() == 1 || (rest.len() == 2 && matches!(rest[0], Output::Text(_))),
                    "AbortRequest right before the outcome: {:?}",
                    rest
                )
            }
            _ => {}
        }
    }
    prop_assert_eq!(
        &flushed,
        &outcome.text,
        "flushes concatenate to the final text"
    );
    prop_assert_eq!(outcome.stats.flushes, flushes);
    prop_assert_eq!(c.session.text(), outcome.text.as_str());
    prop_assert_eq!(
        outcome.error.is_none(),
        outcome.outcome.code() == "complete"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_operation_sequences(config in config(), ops in prop::collection::vec(op(), 0..60)) {
        run(config, ops)?;
    }
}
