//! Operation sequences against the session (bytes, time steps, timeouts, frames, eof, abort,
//! errors), checking its invariants: exactly one final outcome (by the EOF and at most one
//! frame tick after it, frame pacing may hold it), nothing after it, the flushes
//! concatenate to the final text, the four timer deadlines never move backwards, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamguard::{
    Config, FlushMode, Millis, NetworkError, NetworkErrorKind, Output, Protocol, Session,
};

const FRAGMENTS: [&[u8]; 8] = [
    b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"h\xc3\xa9\"},\"finish_reason\":null}]}\n\n",
    b"data: [DONE]\n\n",
    b": ping\n\n",
    b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n",
    b"{\"message\":{\"content\":\"o\"},\"done\":false}\n",
    b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    b"\r\n\r",
    b"data: not json\n\n",
];

fuzz_target!(|data: &[u8]| {
    let Some((&control, ops)) = data.split_first() else {
        return;
    };
    let protocol = [
        Protocol::OpenAi,
        Protocol::Anthropic,
        Protocol::Ollama,
        Protocol::Auto,
        Protocol::Gemini,
        Protocol::AiSdk,
        Protocol::Text,
        Protocol::Auto,
    ][usize::from(control & 3) + 4 * usize::from(control >> 7)];
    let flush = [
        FlushMode::Frame,
        FlushMode::Immediate,
        FlushMode::Interval { ms: 30 },
        FlushMode::Smooth {
            unit: streamguard::SmoothUnit::Word,
        },
    ][usize::from((control >> 2) & 3)];
    let config = Config {
        protocol,
        flush,
        first_byte_timeout_ms: 1000,
        idle_timeout_ms: 500,
        content_timeout_ms: 1500,
        total_timeout_ms: 5000,
        max_event_bytes: 256,
        max_text_bytes: 512,
        emit_events: control & 16 != 0,
        ..Config::default()
    };
    let mut session = Session::new(config, Millis(0));
    let mut now = 0u64;
    let mut flushed = String::new();
    let mut finished = None;
    let mut last_deadlines = session.timer_deadlines();
    let mut iter = ops.iter();
    while let Some(&op) = iter.next() {
        let arg = iter.next().copied().unwrap_or(0);
        match op % 9 {
            0 => session.handle_response_head(
                Millis(now),
                if arg & 1 == 0 { 200 } else { 500 },
                &[(
                    "content-type",
                    if arg & 2 == 0 {
                        "text/event-stream"
                    } else {
                        "text/html"
                    },
                )],
            ),
            1 => session.handle_bytes(Millis(now), FRAGMENTS[usize::from(arg) % FRAGMENTS.len()]),
            2 => session.handle_bytes(
                Millis(now),
                iter.as_slice().get(..usize::from(arg % 16)).unwrap_or(&[]),
            ),
            3 => now += u64::from(arg) * 8,
            4 => session.handle_timeout(Millis(now)),
            5 => session.handle_frame(Millis(now)),
            6 => session.handle_eof(Millis(now)),
            7 => session.handle_abort(Millis(now)),
            _ => session.handle_error(
                Millis(now),
                NetworkError {
                    kind: NetworkErrorKind::Reset,
                    message: "reset".into(),
                },
            ),
        }
        while let Some(output) = session.poll_output() {
            assert!(finished.is_none(), "output after Finished: {output:?}");
            match output {
                Output::Text(text) => {
                    assert!(!text.is_empty(), "empty flush");
                    flushed.push_str(&text);
                }
                Output::Finished(outcome) => finished = Some(outcome),
                Output::Event(_) | Output::AbortRequest => {}
                Output::Connect { .. } => panic!("a bare session never asks to connect"),
            }
        }
        let deadlines = session.timer_deadlines();
        if finished.is_none() {
            let pairs = [
                (last_deadlines.first_byte, deadlines.first_byte),
                (last_deadlines.idle, deadlines.idle),
                (last_deadlines.content, deadlines.content),
                (last_deadlines.total, deadlines.total),
            ];
            for (old, new) in pairs {
                if let (Some(old), Some(new)) = (old, new) {
                    assert!(new >= old, "a deadline moved back: {old:?} -> {new:?}");
                }
            }
        } else {
            assert_eq!(session.poll_deadline(), None);
        }
        last_deadlines = deadlines;
    }
    session.handle_eof(Millis(now));
    // Frame pacing: when this frame already had its flush, the last flush and the outcome
    // wait for the next frame tick (`wants_frame` says so); give it at most one.
    for tick in 0..2 {
        if tick == 1 {
            if finished.is_some() || !session.wants_frame() {
                break;
            }
            now += 16;
            session.handle_frame(Millis(now));
        }
        while let Some(output) = session.poll_output() {
            assert!(finished.is_none(), "output after Finished: {output:?}");
            match output {
                Output::Text(text) => flushed.push_str(&text),
                Output::Finished(outcome) => finished = Some(outcome),
                Output::Event(_) | Output::AbortRequest => {}
                Output::Connect { .. } => panic!("a bare session never asks to connect"),
            }
        }
    }
    let outcome = finished.expect("eof, then one frame tick, always finishes the session");
    assert_eq!(flushed, outcome.text);
});
