//! The driver: every attempt of one request, and the one result at the end. It is what every
//! host runs (the browser layer, the native client, a `TransformStream`, a server runtime).
//!
//! A [`Session`] watches ONE connection. The driver owns the session of the current attempt
//! and the [`RetryPolicy`], and decides what happens when an attempt ends: report the result,
//! retry after a backoff (only while nothing was delivered: [`RetryPolicy::decide`]), or, for a
//! raw `sse` GET stream with `resume`, reconnect with `Last-Event-ID` and continue the same
//! text ([`Session::resume_delay`], [`Session::resume`]). The wait between attempts is one of
//! its deadlines, so the host still arms ONE timer; a caller abort during the wait ends the
//! stream `aborted` with the text so far.
//!
//! ```text
//!  Driver::new ─> Connect{None} ─> host sends the request
//!  handle_response_head / handle_bytes / handle_eof / handle_error   (the current attempt)
//!  handle_timeout / handle_frame / handle_abort                      (timers, frames, caller)
//!        │
//!        ▼  poll_output():  Text | Event | AbortRequest | Connect{last_event_id} | Finished
//!  attempt ends ──> RetryPolicy / resume_delay ──> wait until poll_deadline() ──> Connect
//!               └─> otherwise Finished(result): the one result, always last
//! ```
//!
//! The host's loop is glue: start a request on `Connect` (sending `Last-Event-ID` when given),
//! hand in what the network does, close the connection on `AbortRequest`, render `Text`,
//! return on `Finished`; arm one timer at [`Driver::poll_deadline`] and ask for an animation
//! frame while [`Driver::wants_frame`] (a timer tick where there are no frames). Network inputs
//! that arrive after `AbortRequest` or while no attempt runs belong to a closed connection: the
//! host drops them (the driver ignores them too).
//!
//! The host supplies `seed` for the backoff jitter (tests pass a constant), so a run replays.

use crate::fifo::Fifo;

use crate::outcome::{Stats, StreamResult};
use crate::retry::RetryPolicy;
use crate::session::{Config, NetworkError, Output, Session};
use crate::time::Millis;

/// Where the driver is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// An attempt runs (its request was asked for with `Connect`).
    Attempt,
    /// Between attempts: the next one starts at `until`.
    Waiting {
        /// When to connect again.
        until: Millis,
        /// A resume (continue the session) rather than a retry (a new session).
        resume: bool,
    },
    /// `Finished` was produced.
    Done,
}

/// Every attempt of one request. See the module docs.
#[derive(Debug)]
pub struct Driver {
    config: Config,
    policy: RetryPolicy,
    /// SSE resume applies: the policy asks for it, the protocol is raw `sse`, the method GET.
    resumable: bool,
    session: Session,
    /// The current attempt, 1-based.
    attempt: u32,
    phase: Phase,
    /// xorshift64 state for the backoff jitter.
    rng: u64,
    outputs: Fifo<Output>,
    /// The result of the attempt that ended before the current wait (what an abort during the
    /// wait reports, with the text so far).
    last: Option<StreamResult>,
    /// The queued `Finished` result still lacks its text: it gets it from the session when it
    /// is taken (after the last flush, so a long text is not held three times at once).
    text_owed: bool,
}

impl Driver {
    /// A driver whose first request is to be sent at `now`: the first output is
    /// `Connect { last_event_id: None }`. `get`: the request is a GET (SSE resume needs it).
    pub fn new(config: Config, policy: RetryPolicy, get: bool, seed: u64, now: Millis) -> Self {
        let resumable = policy.resume && get && config.protocol == crate::Protocol::Sse;
        let session = Session::new(config.clone(), now);
        let mut outputs = Fifo::default();
        outputs.push_back(Output::Connect {
            last_event_id: None,
        });
        Driver {
            config,
            policy,
            resumable,
            session,
            attempt: 1,
            phase: Phase::Attempt,
            rng: seed_state(seed),
            outputs,
            last: None,
            text_owed: false,
        }
    }

    /// A driver for a response the host already has (an existing `Response`, a piped
    /// stream): one attempt, no `Connect`, no retry.
    pub fn for_response(config: Config, now: Millis) -> Self {
        let mut d = Driver::new(config, RetryPolicy::default(), false, 1, now);
        d.outputs.clear();
        d
    }

    /// The response head of the current attempt arrived.
    pub fn handle_response_head(&mut self, now: Millis, status: u16, headers: &[(&str, &str)]) {
        if matches!(self.phase, Phase::Attempt) {
            self.session.handle_response_head(now, status, headers);
            self.pump(now);
        }
    }

    /// A body chunk of the current attempt (one call per network read).
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub fn handle_bytes(&mut self, now: Millis, bytes: &[u8]) {
        if matches!(self.phase, Phase::Attempt) {
            self.session.handle_bytes(now, bytes);
            self.pump(now);
        }
    }

    /// The current attempt's body ended cleanly.
    pub fn handle_eof(&mut self, now: Millis) {
        if matches!(self.phase, Phase::Attempt) {
            self.session.handle_eof(now);
            self.pump(now);
        }
    }

    /// The current attempt's connection failed (or the request could not be sent).
    pub fn handle_error(&mut self, now: Millis, error: NetworkError) {
        if matches!(self.phase, Phase::Attempt) {
            self.session.handle_error(now, error);
            self.pump(now);
        }
    }

    /// The caller aborted: `aborted` with the text so far, during an attempt or a wait.
    pub fn handle_abort(&mut self, now: Millis) {
        match self.phase {
            Phase::Attempt => {
                self.session.handle_abort(now);
                self.pump(now);
            }
            Phase::Waiting { resume, .. } => {
                // The next attempt's session, aborted before it sends anything: a resumed one
                // keeps the text (nothing is flushed again); after a plain retry nothing was
                // delivered anyway.
                self.session = self.next_session(resume, now);
                self.session.handle_abort(now);
                self.phase = Phase::Attempt;
                self.pump(now);
            }
            Phase::Done => {}
        }
    }

    /// The host's one timer fired (early or spurious: a no-op).
    pub fn handle_timeout(&mut self, now: Millis) {
        match self.phase {
            Phase::Attempt => {
                self.session.handle_timeout(now);
                self.pump(now);
            }
            Phase::Waiting { until, resume } if now >= until => {
                let last_event_id = if resume {
                    let id = self.session.resume_id();
                    (!id.is_empty()).then(|| id.to_owned())
                } else {
                    None
                };
                self.session = self.next_session(resume, now);
                self.attempt += 1;
                self.last = None;
                self.phase = Phase::Attempt;
                self.outputs.push_back(Output::Connect { last_event_id });
            }
            _ => {}
        }
    }

    /// An animation frame (or the host's fallback tick where frames do not run).
    pub fn handle_frame(&mut self, now: Millis) {
        if matches!(self.phase, Phase::Attempt) {
            self.session.handle_frame(now);
            self.pump(now);
        }
    }

    /// The next thing to do. `Finished` is the last output, produced exactly once.
    pub fn poll_output(&mut self) -> Option<Output> {
        let mut out = self.outputs.pop_front()?;
        if let Output::Finished(result) = &mut out {
            if core::mem::take(&mut self.text_owed) {
                self.session.settle(result);
            }
        }
        Some(out)
    }

    /// [`Driver::poll_output`] without the text of a `Finished` result (left empty, not
    /// copied): for a host that has all the text already ([`Driver::text`] stays the final
    /// text after the end).
    #[cfg(target_arch = "wasm32")]
    #[cfg_attr(streamguard_speed, optimize(speed))]
    pub(crate) fn poll_output_textless(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the host's one timer should fire: the session's next deadline, or the end of the
    /// wait between attempts. `None` once finished.
    pub fn poll_deadline(&self) -> Option<Millis> {
        match self.phase {
            Phase::Attempt => self.session.poll_deadline(),
            Phase::Waiting { until, .. } => Some(until),
            Phase::Done => None,
        }
    }

    /// Whether the host should ask for an animation frame (text waits for one).
    pub fn wants_frame(&self) -> bool {
        matches!(self.phase, Phase::Attempt) && self.session.wants_frame()
    }

    /// Whether `Finished` was produced.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    /// The current attempt, 1-based.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Whether the driver waits between attempts (no connection is open).
    pub fn is_waiting(&self) -> bool {
        matches!(self.phase, Phase::Waiting { .. })
    }

    /// The text so far (everything decoded, flushed or not).
    pub fn text(&self) -> &str {
        self.session.text()
    }

    /// Live stats at `now` (of the current attempt; cumulative across resumes).
    pub fn stats(&self, now: Millis) -> Stats {
        self.session.stats(now)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current attempt's session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    fn next_session(&self, resume: bool, now: Millis) -> Session {
        if resume {
            self.session.resume(now)
        } else {
            Session::new(self.config.clone(), now)
        }
    }

    fn random(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        // 53 random bits in [0, 1).
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Moves the session's outputs out; an attempt's `Finished` becomes a wait or the result.
    #[cfg_attr(streamguard_speed, optimize(speed))]
    fn pump(&mut self, now: Millis) {
        while let Some(out) = self.session.poll_output_textless() {
            match out {
                Output::Finished(result) => self.attempt_ended(result, now),
                other => self.outputs.push_back(other),
            }
        }
    }

    /// An attempt's result, without its text yet (the session keeps it): the decisions below
    /// do not need it (text only comes with content deltas, and they are counted in the stats).
    fn attempt_ended(&mut self, mut result: StreamResult, now: Millis) {
        debug_assert!(result.stats.deltas > 0 || self.session.text().is_empty());
        let random = self.random();
        let resume = if self.resumable {
            self.session
                .resume_delay(&self.policy, self.attempt, &result, random)
        } else {
            None
        };
        let delay = match resume {
            Some(ms) => Some(ms),
            None => self.policy.decide(self.attempt, &result, random),
        };
        match delay {
            Some(ms) if matches!(self.phase, Phase::Attempt) && !aborted(&result) => {
                self.phase = Phase::Waiting {
                    until: now + ms,
                    resume: resume.is_some(),
                };
                self.session.settle(&mut result);
                self.last = Some(result);
            }
            _ => {
                self.phase = Phase::Done;
                self.text_owed = true;
                self.outputs.push_back(Output::Finished(result));
            }
        }
    }

    /// The result of the attempt that ended before the current wait, if waiting.
    pub fn last_attempt(&self) -> Option<&StreamResult> {
        self.last.as_ref()
    }
}

/// A non-zero xorshift state from any seed (splitmix64's finaliser: nearby seeds diverge).
fn seed_state(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)).max(1)
}

fn aborted(result: &StreamResult) -> bool {
    result.outcome == crate::Outcome::Aborted
}
