//! A virtual-clock driver for [`Session`] and provider wire builders, for the session tests.
//!
//! The driver plays the host: it hands in inputs at scripted times, arms the one timer the
//! session asks for (optionally firing it late, like a hidden tab), ticks animation frames when
//! the session wants one, and records every output with the virtual time it was produced at.
use streamguard::session::{Config, NetworkError, NetworkErrorKind, Output, Session};
use streamguard::{ErrorCode, Millis, Outcome, Protocol, StallPhase, StreamResult};

/// The FAULTS.md test timer values.
pub use streamguard_expect::{CONTENT_MS, FIRST_BYTE_MS, IDLE_MS, TOTAL_MS};

/// A config with the FAULTS.md test timers.
pub fn test_config(protocol: Protocol) -> Config {
    Config {
        protocol,
        first_byte_timeout_ms: FIRST_BYTE_MS,
        idle_timeout_ms: IDLE_MS,
        content_timeout_ms: CONTENT_MS,
        total_timeout_ms: TOTAL_MS,
        ..Config::default()
    }
}

/// The host, on a virtual clock starting at 0 (the request is sent at 0).
pub struct SessionHost {
    /// The session under test.
    pub session: Session,
    /// The virtual clock.
    pub now: u64,
    /// Every output with the time it was drained at.
    pub log: Vec<(u64, Output)>,
    /// Animation frame period (frames tick on multiples of it while the session wants one);
    /// `None`: no frames (the final outcome still flushes).
    pub frame_ms: Option<u64>,
    /// How late the host's timer callback runs (a hidden tab throttles timers).
    pub timer_lateness: u64,
    /// Timer callbacks that ran.
    pub timeouts_fired: u64,
    /// Every `poll_deadline` seen, in order.
    pub deadlines: Vec<Option<Millis>>,
}

impl SessionHost {
    /// A driver with 16 ms frames.
    pub fn new(config: Config) -> Self {
        SessionHost {
            session: Session::new(config, Millis(0)),
            now: 0,
            log: Vec::new(),
            frame_ms: Some(16),
            timer_lateness: 0,
            timeouts_fired: 0,
            deadlines: Vec::new(),
        }
    }

    fn drain(&mut self) {
        while let Some(o) = self.session.poll_output() {
            self.log.push((self.now, o));
        }
        self.deadlines.push(self.session.poll_deadline());
    }

    /// Sends `n` OpenAI chat chunks of [`words`], the first at `first_ms`, then one every
    /// `gap_ms`; returns the words (their concatenation is the expected text).
    pub fn openai_words(&mut self, n: usize, first_ms: u64, gap_ms: u64) -> Vec<String> {
        let ws = words(n);
        for (i, w) in ws.iter().enumerate() {
            self.bytes(first_ms + gap_ms * i as u64, &openai_chunk(w));
        }
        ws
    }

    /// Runs timers and frames up to `t` (inclusive), then sets the clock to `t`.
    pub fn advance(&mut self, t: u64) {
        loop {
            if self.session.is_finished() {
                break;
            }
            let timer = self
                .session
                .poll_deadline()
                .map(|d| d.0.saturating_add(self.timer_lateness));
            let frame = match self.frame_ms {
                Some(f) if self.session.wants_frame() => Some((self.now / f + 1) * f),
                _ => None,
            };
            let next = match (timer, frame) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            match next {
                Some(n) if n <= t => {
                    self.now = n.max(self.now);
                    if frame == Some(n) {
                        self.session.handle_frame(Millis(self.now));
                        self.drain();
                    }
                    if timer == Some(n) && !self.session.is_finished() {
                        self.timeouts_fired += 1;
                        self.session.handle_timeout(Millis(self.now));
                        self.drain();
                    }
                }
                _ => break,
            }
        }
        self.now = self.now.max(t);
    }

    /// Runs until the outcome (or `limit`).
    pub fn run_to_end(&mut self, limit: u64) {
        self.advance(limit);
    }

    /// The response head at `t`.
    pub fn head(&mut self, t: u64, status: u16, headers: &[(&str, &str)]) {
        self.advance(t);
        self.session
            .handle_response_head(Millis(t), status, headers);
        self.drain();
    }

    /// `200 text/event-stream` at `t`.
    pub fn sse_head(&mut self, t: u64) {
        self.head(t, 200, &[("content-type", "text/event-stream")]);
    }

    /// A body chunk at `t`.
    pub fn bytes(&mut self, t: u64, bytes: &[u8]) {
        self.advance(t);
        self.session.handle_bytes(Millis(t), bytes);
        self.drain();
    }

    /// A clean end of body at `t`.
    pub fn eof(&mut self, t: u64) {
        self.advance(t);
        self.session.handle_eof(Millis(t));
        self.drain();
    }

    /// A network failure at `t`.
    pub fn error(&mut self, t: u64, kind: NetworkErrorKind) {
        self.advance(t);
        self.session.handle_error(
            Millis(t),
            NetworkError {
                kind,
                message: "connection reset by peer".into(),
            },
        );
        self.drain();
    }

    /// The caller aborts at `t`.
    pub fn abort(&mut self, t: u64) {
        self.advance(t);
        self.session.handle_abort(Millis(t));
        self.drain();
    }

    /// The final outcome and the time it was reported. Panics (test failure) if none.
    pub fn finished(&self) -> (u64, &StreamResult) {
        let found = self.log.iter().find_map(|(t, o)| match o {
            Output::Finished(outcome) => Some((*t, outcome)),
            _ => None,
        });
        match found {
            Some(f) => f,
            None => panic!("no outcome; log: {:#?}", self.log),
        }
    }

    /// The outcome.
    pub fn outcome(&self) -> &StreamResult {
        self.finished().1
    }

    /// The text flushes, in order.
    pub fn flushes(&self) -> Vec<&str> {
        self.log
            .iter()
            .filter_map(|(_, o)| match o {
                Output::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether the session asked the host to abort the request.
    pub fn abort_requested(&self) -> bool {
        self.log
            .iter()
            .any(|(_, o)| matches!(o, Output::AbortRequest))
    }

    /// The invariants every run must keep: exactly one outcome, last; no empty flush; the
    /// flushes concatenate to the final text; `AbortRequest` right before the outcome if at
    /// all; `stats.flushes` counts the flushes; deadlines never in the past.
    pub fn check_invariants(&self) {
        let finished: Vec<usize> = self
            .log
            .iter()
            .enumerate()
            .filter(|(_, (_, o))| matches!(o, Output::Finished(_)))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(finished.len(), 1, "exactly one outcome: {:#?}", self.log);
        assert_eq!(finished[0], self.log.len() - 1, "nothing after the outcome");
        let flushes = self.flushes();
        assert!(flushes.iter().all(|f| !f.is_empty()), "empty flush");
        let outcome = self.outcome();
        assert_eq!(flushes.concat(), outcome.text, "flushes == final text");
        assert_eq!(outcome.stats.flushes, flushes.len() as u64);
        for (i, (_, o)) in self.log.iter().enumerate() {
            if matches!(o, Output::AbortRequest) {
                // Right before Finished, or before the final flush held for the next frame
                // tick (frame pacing) and then Finished.
                let rest = &self.log[i + 1..];
                let held_flush = rest.len() == 2 && matches!(rest[0].1, Output::Text(_));
                assert!(
                    rest.len() == 1 || held_flush,
                    "AbortRequest right before Finished (or the held final flush): {:#?}",
                    self.log
                );
            }
        }
        assert_eq!(self.session.poll_deadline(), None);
        assert!(!self.session.wants_frame());
    }
}

/// Asserts a stall.
pub fn assert_stalled(d: &SessionHost, phase: StallPhase, at: u64) {
    let (t, o) = d.finished();
    assert_eq!(o.outcome, Outcome::Stalled, "{o:#?}");
    let e = o.error.as_ref().expect("error");
    assert_eq!(e.code, ErrorCode::Stalled);
    assert_eq!(e.phase, Some(phase), "{e:#?}");
    assert_eq!(t, at, "reported at");
    assert_eq!(e.elapsed_ms, Some(at));
    assert!(d.abort_requested(), "a stall aborts the request");
}

// ---------------------------------------------------------------------------------------------
// Provider wire builders
// ---------------------------------------------------------------------------------------------

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// One OpenAI chat chunk carrying `text`.
pub fn openai_chunk(text: &str) -> Vec<u8> {
    format!(
        "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{}}},\"finish_reason\":null}}]}}\n\n",
        json_str(text)
    )
    .into_bytes()
}

/// The OpenAI chunk with a finish reason.
pub fn openai_finish(reason: &str) -> Vec<u8> {
    format!(
        "data: {{\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"{reason}\"}}]}}\n\n"
    )
    .into_bytes()
}

/// `data: [DONE]`.
pub const OPENAI_DONE: &[u8] = b"data: [DONE]\n\n";

/// An Anthropic `message_start`.
pub const ANTHROPIC_START: &[u8] = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";

/// An Anthropic ping.
pub const ANTHROPIC_PING: &[u8] = b"event: ping\ndata: {\"type\": \"ping\"}\n\n";

/// An Anthropic text delta.
pub fn anthropic_delta(text: &str) -> Vec<u8> {
    format!(
        "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":{}}}}}\n\n",
        json_str(text)
    )
    .into_bytes()
}

/// The Anthropic end: block stop, message_delta with end_turn, message_stop.
pub const ANTHROPIC_END: &[u8] = b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

/// An Anthropic overloaded error event.
pub const ANTHROPIC_OVERLOADED: &[u8] = b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";

/// An Ollama chat line.
pub fn ollama_line(text: &str) -> Vec<u8> {
    format!(
        "{{\"model\":\"llama3\",\"message\":{{\"role\":\"assistant\",\"content\":{}}},\"done\":false}}\n",
        json_str(text)
    )
    .into_bytes()
}

/// The final Ollama line.
pub const OLLAMA_DONE: &[u8] = b"{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":5,\"eval_count\":7}\n";

/// The words of the baseline reply, `n` of them.
pub fn words(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("w{i} ")).collect()
}
