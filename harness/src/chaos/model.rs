//! What a correct client must do with a timeline of body writes: when each timer is due (the
//! FAULTS.md definitions), whether and where the provider's end signal and the content deltas
//! are, found with the proxy's event splitter and plain markers (not with the core's decoder,
//! which is what is being checked).

use crate::plan::{Action, Plan};
use crate::proxy::split::{Mode, Splitter};
use crate::wire::Wire;

/// The client's timers, ms (0 = off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timers {
    pub first_byte: u64,
    pub idle: u64,
    pub content: u64,
    pub total: u64,
}

/// How the server ended the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// A clean end of the body (the client reads EOF).
    Close,
    /// FIN without completing the framing.
    Hangup,
    Reset,
    /// Nothing more, the socket open.
    Stall,
}

/// Body writes with their times (ms from the request), and the end.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timeline {
    pub writes: Vec<(u64, Vec<u8>)>,
    pub end: Option<(End, u64)>,
}

impl Timeline {
    /// The planned timeline of a plan (waits add up; the head is not a body write).
    pub(crate) fn from_plan(plan: &Plan) -> Timeline {
        let (mut t, mut tl) = (0u64, Timeline::default());
        for a in plan {
            match a {
                Action::Wait(ms) => t += ms,
                Action::Write { bytes, .. } => tl.writes.push((t, bytes.to_vec())),
                Action::Stall => tl.end = Some((End::Stall, t)),
                Action::Close => tl.end = Some((End::Close, t)),
                Action::Hangup => tl.end = Some((End::Hangup, t)),
                Action::Reset => tl.end = Some((End::Reset, t)),
                Action::Head => {}
            }
        }
        tl
    }

    /// The time of the last write or the end.
    pub(crate) fn span(&self) -> u64 {
        let last = self.writes.last().map_or(0, |w| w.0);
        self.end.map_or(last, |e| e.1.max(last))
    }
}

/// What the body holds, per the wire format.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reading {
    /// Times of the writes that complete a content delta (one entry per delta).
    pub deltas: Vec<u64>,
    /// When the first terminator (an immediate end) was complete.
    pub terminator: Option<u64>,
    /// Whether an end signal (a terminator or a finish reason) is complete in the body.
    pub end_signal: bool,
    /// Events (SSE events, NDJSON lines) complete in the body.
    pub events: u64,
    pub body_bytes: u64,
}

/// Whether an event (bytes of one SSE event or NDJSON line) has a line starting with `prefix`.
fn has_line(event: &str, prefix: &str) -> bool {
    event.split(['\r', '\n']).any(|l| l.starts_with(prefix))
}

/// Whether `event` carries a non-empty string after `marker`.
fn non_empty_after(event: &str, marker: &str) -> bool {
    event.match_indices(marker).any(|(i, _)| {
        event
            .get(i + marker.len()..)
            .is_some_and(|rest| !rest.starts_with('"'))
    })
}

/// (content delta, terminator, finish reason) of one complete event.
fn classify(wire: Wire, event: &str) -> (bool, bool, bool) {
    match wire {
        Wire::OpenAi => (
            non_empty_after(event, "\"delta\":{\"content\":\""),
            event.split(['\r', '\n']).any(|l| l == "data: [DONE]"),
            event.contains("\"finish_reason\":\""),
        ),
        Wire::Responses => (
            has_line(event, "event: response.output_text.delta"),
            has_line(event, "event: response.completed")
                || has_line(event, "event: response.incomplete"),
            false,
        ),
        Wire::Anthropic => (
            has_line(event, "event: content_block_delta") && event.contains("\"text_delta\""),
            has_line(event, "event: message_stop"),
            event.contains("\"stop_reason\":\""),
        ),
        Wire::Ollama => (
            event.contains("\"done\":false") && non_empty_after(event, "\"content\":\""),
            event.contains("\"done\":true"),
            false,
        ),
        Wire::Sse => (false, false, false),
    }
}

/// Reads the timeline's body as `wire`.
pub(crate) fn read(wire: Wire, tl: &Timeline) -> Reading {
    let mode = if wire.is_ndjson() {
        Mode::Ndjson
    } else {
        Mode::Sse
    };
    let mut splitter = Splitter::new(mode);
    let mut r = Reading::default();
    let take = |r: &mut Reading, t: u64, event: &[u8]| {
        let text = String::from_utf8_lossy(event);
        r.events += 1;
        let (delta, terminator, finish) = classify(wire, &text);
        if delta {
            r.deltas.push(t);
        }
        if terminator && r.terminator.is_none() {
            r.terminator = Some(t);
        }
        r.end_signal |= terminator || finish;
    };
    // When the held-back event was in fact complete (a blank line made of a CR: a client
    // dispatches at the CR, the splitter waits for a possible LF).
    let mut held: Option<u64> = None;
    let cr_blank = |splitter: &Splitter| splitter.tail_ends_with_cr_blank();
    for (t, bytes) in &tl.writes {
        r.body_bytes += bytes.len() as u64;
        for (event, _) in splitter.push(bytes) {
            let at = held.take().unwrap_or(*t);
            take(&mut r, at, &event);
        }
        if !wire.is_ndjson() && held.is_none() && cr_blank(&splitter) {
            held = Some(*t);
        }
    }
    // A held-back tail is complete when it ends in a blank line made of a CR (the splitter
    // waits for a possible LF; a client dispatches at the CR), and for NDJSON when the body
    // ends cleanly (a client decodes an unterminated last line).
    let eof = matches!(tl.end, Some((End::Close | End::Hangup, _)));
    if let (Some((tail, _)), Some(&(last, _))) = (splitter.finish(), tl.writes.last()) {
        let t = held.unwrap_or(last);
        let complete = if wire.is_ndjson() {
            eof && tail.iter().any(|b| !b.is_ascii_whitespace())
        } else {
            tail.ends_with(b"\r\r") || tail.ends_with(b"\n\r")
        };
        if complete {
            take(&mut r, t, &tail);
        }
    }
    r
}

/// A timer that is due, and when (ms from the request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Due {
    pub phase: &'static str,
    pub at: u64,
}

/// Every timer due before the stream ends on its own, earliest first.
pub(crate) fn due(wire: Wire, tl: &Timeline, timers: &Timers) -> Vec<Due> {
    let reading = read(wire, tl);
    // When the stream ends without a timer: at the terminator, or when the server ends it
    // (never for a stall).
    let end = match (reading.terminator, tl.end) {
        (Some(t), _) => Some(t),
        (None, Some((End::Stall, _))) | (None, None) => None,
        (None, Some((_, t))) => Some(t),
    };
    let open_at = |t: u64| end.is_none_or(|e| t < e);
    let mut out = Vec::new();
    let body: Vec<u64> = tl
        .writes
        .iter()
        .filter(|w| !w.1.is_empty())
        .map(|w| w.0)
        .filter(|t| end.is_none_or(|e| *t <= e))
        .collect();
    let first = body.first().copied();
    if timers.first_byte > 0 && first.is_none_or(|f| f > timers.first_byte) {
        out.push(Due {
            phase: "first_byte",
            at: timers.first_byte,
        });
    }
    if let (true, Some(first)) = (timers.idle > 0, first) {
        let mut prev = first;
        let mut fired = None;
        for &t in &body[1..] {
            if t.saturating_sub(prev) > timers.idle {
                fired = Some(prev + timers.idle);
                break;
            }
            prev = t;
        }
        let at = fired.unwrap_or(prev + timers.idle);
        if fired.is_some() || open_at(at) {
            out.push(Due { phase: "idle", at });
        }
    }
    if timers.content > 0 {
        let mut prev = 0;
        let mut fired = None;
        for &t in reading
            .deltas
            .iter()
            .filter(|t| end.is_none_or(|e| **t <= e))
        {
            if t.saturating_sub(prev) > timers.content {
                fired = Some(prev + timers.content);
                break;
            }
            prev = t;
        }
        let at = fired.unwrap_or(prev + timers.content);
        if open_at(at) {
            out.push(Due {
                phase: "content",
                at,
            });
        }
    }
    if timers.total > 0 && open_at(timers.total) {
        out.push(Due {
            phase: "total",
            at: timers.total,
        });
    }
    out.retain(|d| open_at(d.at));
    out.sort_by_key(|d| d.at);
    out
}

/// Whether no timer decision of the planned timeline is within `margin` ms: moving any one
/// timer by the margin either way does not change which timer fires first (or that none
/// does), so a few ms of scheduling on either side cannot either.
pub(crate) fn clear_of(wire: Wire, tl: &Timeline, timers: &Timers, margin: u64) -> bool {
    let first = |t: &Timers| due(wire, tl, t).first().map(|d| d.phase);
    let base = first(timers);
    let m = margin as i64;
    for which in 0..4 {
        for d in [-m, m] {
            let mut t = *timers;
            let v = match which {
                0 => &mut t.first_byte,
                1 => &mut t.idle,
                2 => &mut t.content,
                _ => &mut t.total,
            };
            if *v == 0 {
                continue;
            }
            *v = (*v as i64 + d).max(1) as u64;
            if first(&t) != base {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timers = Timers {
        first_byte: 300,
        idle: 200,
        content: 500,
        total: 2000,
    };

    fn delta(text: &str) -> Vec<u8> {
        format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n").into_bytes()
    }

    fn tl(writes: Vec<(u64, Vec<u8>)>, end: Option<(End, u64)>) -> Timeline {
        Timeline { writes, end }
    }

    #[test]
    fn a_healthy_stream_has_no_due_timer_and_an_end_signal() {
        let t = tl(
            vec![
                (10, delta("a")),
                (50, delta("b")),
                (90, b"data: [DONE]\n\n".to_vec()),
            ],
            Some((End::Close, 90)),
        );
        assert!(due(Wire::OpenAi, &t, &T).is_empty());
        let r = read(Wire::OpenAi, &t);
        assert_eq!((r.deltas.len(), r.events, r.end_signal), (2, 3, true));
        assert_eq!(r.terminator, Some(90));
    }

    #[test]
    fn timers_fall_due_as_faults_md_defines_them() {
        // A gap of 250 ms after the first byte: idle at 10 + 200.
        let t = tl(
            vec![(10, delta("a")), (260, delta("b"))],
            Some((End::Close, 300)),
        );
        assert_eq!(
            due(Wire::OpenAi, &t, &T)[0],
            Due {
                phase: "idle",
                at: 210
            }
        );
        // Nothing at all: the first byte timer.
        let t = tl(vec![], Some((End::Stall, 0)));
        assert_eq!(due(Wire::OpenAi, &t, &T)[0].phase, "first_byte");
        // Pings keep idle quiet, not content (counted from the request).
        let mut writes = vec![(10, delta("a"))];
        writes.extend((1..30).map(|i| (10 + i * 100, b": ping\n\n".to_vec())));
        let t = tl(writes, Some((End::Stall, 2900)));
        assert_eq!(
            due(Wire::OpenAi, &t, &T)[0],
            Due {
                phase: "content",
                at: 510
            }
        );
        // A stream that ends before a timer: nothing due.
        let t = tl(vec![(10, delta("a"))], Some((End::Reset, 100)));
        assert!(due(Wire::OpenAi, &t, &T).is_empty());
    }

    #[test]
    fn a_cr_blank_line_completes_the_event_when_it_arrives() {
        let ev = b"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\r\r".to_vec();
        let t = tl(
            vec![(10, ev), (400, b": ping\r\r".to_vec())],
            Some((End::Stall, 400)),
        );
        let r = read(Wire::OpenAi, &t);
        assert_eq!(r.deltas, vec![10]);
        // Text that looks like framing inside JSON is not an end signal.
        let t = tl(
            vec![(0, delta(" [DONE]")), (5, delta("event: message_stop"))],
            None,
        );
        assert!(!read(Wire::OpenAi, &t).end_signal);
    }

    #[test]
    fn clear_of_refuses_a_gap_near_its_timer() {
        let t = tl(
            vec![(10, delta("a")), (220, delta("b"))],
            Some((End::Close, 230)),
        );
        assert!(!clear_of(Wire::OpenAi, &t, &T, 50));
        let t = tl(
            vec![(10, delta("a")), (100, delta("b"))],
            Some((End::Close, 110)),
        );
        assert!(clear_of(Wire::OpenAi, &t, &T, 50));
    }
}
