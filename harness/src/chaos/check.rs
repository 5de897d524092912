//! The invariants of one chaos case, checked against the client's report and the server's
//! record of what it wrote (the registry's transcript: bytes and times).

use std::time::Duration;

use streamguard::Outcome;

use super::gen::Case;
use super::model::{self, End, Timeline};
use crate::client::Report;
use crate::server::registry::{Registry, RequestRecord};
use crate::wire::Wire;

/// A stall is on time within [T, T + this] (FAULTS.md's native slack), and the server sees
/// the close by the report + this.
pub(crate) const LATE_MS: u64 = 250;
/// Transcript times are whole ms and the client's clock starts a little before the
/// server's: the early side's slack.
const EARLY_MS: u64 = 2;

/// The body of one chunked write (`HEX\r\nDATA\r\n`); other writes as they are.
fn unchunk(write: &[u8]) -> Vec<u8> {
    let Some(eol) = write.windows(2).position(|w| w == b"\r\n") else {
        return write.to_vec();
    };
    let len = std::str::from_utf8(&write[..eol])
        .ok()
        .and_then(|h| usize::from_str_radix(h, 16).ok());
    // A write cut by the transcript's cap keeps what it has.
    match (len, write.get(eol + 2..)) {
        (Some(n), Some(rest)) => rest.get(..n.min(rest.len())).unwrap_or_default().to_vec(),
        _ => write.to_vec(),
    }
}

/// What the server wrote: the body writes (after the head) and how it ended.
fn timeline(rec: &RequestRecord, chunked: bool) -> Timeline {
    let mut tl = Timeline::default();
    for (t, bytes) in rec.transcript().into_iter().skip(1) {
        let body = if chunked { unchunk(&bytes) } else { bytes };
        if !body.is_empty() {
            tl.writes.push((t, body));
        }
    }
    let end = rec.end.lock().unwrap_or_else(|e| e.into_inner()).clone();
    tl.end = end.and_then(|(how, at)| {
        let kind = match how.as_str() {
            "close" => End::Close,
            "hangup" => End::Hangup,
            "reset" => End::Reset,
            "stall" => End::Stall,
            _ => return None,
        };
        Some((kind, at))
    });
    tl
}

/// What a case broke.
#[derive(Debug, Default)]
pub(crate) struct Verdict {
    /// Invariants that hold whatever the scheduling (text, end signal, stats).
    pub failures: Vec<String>,
    /// Timer checks: they hold when both processes got the CPU in time (a stall of the whole
    /// machine longer than the generator's margin can break them); `chaos` re-runs such a case
    /// alone and fails it if it breaks them again.
    pub timing: Vec<String>,
    /// The scenario, the outcome and the transcript.
    pub detail: String,
}

/// Checks a case.
pub(crate) async fn check(
    case: &Case,
    wire: Wire,
    chunked: bool,
    report: &Report,
    registry: &Registry,
    id: &str,
) -> Verdict {
    let mut f = Vec::new();
    let o = &report.outcome;
    if report.after_finish > 0 {
        f.push(format!("{} outputs after the outcome", report.after_finish));
    }
    if report.abort_requests > 1 {
        f.push(format!("{} abort requests", report.abort_requests));
    }
    if !case.text.starts_with(&o.text) {
        f.push("the text is not a prefix of the scenario's text".into());
    }
    let complete = o.outcome == Outcome::Complete;
    if complete && o.text != case.text {
        f.push("complete, but the text is not the scenario's whole text".into());
    }
    let flushed: String = report.flushes.concat();
    if flushed != o.text {
        f.push("the flushes do not add up to the text".into());
    }
    let Some(rec) = registry.get(id) else {
        // A client that gave up (a timer) before a starved server read its request.
        let msg = "the server has no record of the request".to_owned();
        let timing = if o.outcome == Outcome::Stalled {
            vec![msg]
        } else {
            f.push(msg);
            Vec::new()
        };
        return Verdict {
            failures: f,
            timing,
            detail: case.json.to_string(),
        };
    };
    let value = serde_json::to_value(o).unwrap_or_default();
    let phase = value["error"]["phase"].as_str();
    let t_out = o.stats.duration_ms;
    let fired_at = o.error.as_ref().and_then(|e| e.elapsed_ms).unwrap_or(t_out);
    // Let the server's side finish (its end, or the client's close) before reading it.
    if rec.end.lock().unwrap_or_else(|e| e.into_inner()).is_none() || phase.is_some() {
        rec.wait_closed(Duration::from_millis(1000)).await;
    }
    let tl = timeline(&rec, chunked);
    if rec.to_json()["transcriptTruncated"] == true {
        // The server's record is cut (a buffered body of pings): check what does not need it.
        let detail = format!("     scenario: {}\n     (transcript truncated)", case.json);
        return Verdict {
            failures: f,
            timing: Vec::new(),
            detail,
        };
    }
    let reading = model::read(wire, &tl);
    if complete && !reading.end_signal {
        f.push("complete, but the server never wrote the end signal".into());
    }
    // Stats against what the server wrote.
    let s = &o.stats;
    if s.bytes > reading.body_bytes {
        f.push(format!(
            "stats.bytes {} > {} written",
            s.bytes, reading.body_bytes
        ));
    }
    let read_to_eof = o.outcome == Outcome::Truncated
        && !chunked
        && matches!(tl.end, Some((End::Close | End::Hangup, _)));
    if read_to_eof && s.bytes != reading.body_bytes {
        f.push(format!(
            "truncated at EOF with stats.bytes {} of {} written",
            s.bytes, reading.body_bytes
        ));
    }
    if s.events > reading.events + 1 {
        f.push(format!(
            "stats.events {} > {} events written",
            s.events, reading.events
        ));
    }
    if s.deltas > reading.deltas.len() as u64 {
        f.push(format!(
            "stats.deltas {} > {} deltas written",
            s.deltas,
            reading.deltas.len()
        ));
    }
    if complete && s.deltas != case.tokens {
        f.push(format!(
            "complete with stats.deltas {} (want {})",
            s.deltas, case.tokens
        ));
    }
    // Timers: these checks are real-time ones (see `Verdict::timing`).
    let mut timing = Vec::new();
    let dues = model::due(wire, &tl, &case.timers);
    let first = dues.first().copied();
    match phase {
        Some(p) => match dues.iter().find(|d| d.phase == p) {
            None => timing.push(format!(
                "stalled/{p} at {fired_at} ms, but {p} was never due (due: {dues:?})"
            )),
            Some(d) => {
                if fired_at + EARLY_MS < d.at {
                    timing.push(format!(
                        "stalled/{p} at {fired_at} ms, before it was due at {} ms",
                        d.at
                    ));
                }
                let t = first.map_or(d.at, |x| x.at);
                if fired_at > t + LATE_MS {
                    timing.push(format!("stalled/{p} at {fired_at} ms, later than {t} + {LATE_MS} ms (due: {dues:?})"));
                }
                match rec.closed_ms() {
                    Some(c) if c <= fired_at + LATE_MS => {}
                    Some(c) => timing.push(format!(
                        "the server saw the close at {c} ms (want by {} ms)",
                        fired_at + LATE_MS
                    )),
                    None => timing.push("the server never saw the client close".into()),
                }
            }
        },
        None => {
            if let Some(d) = first {
                if d.at + LATE_MS < t_out {
                    timing.push(format!(
                        "{} was due at {} ms but the outcome is {} at {t_out} ms",
                        d.phase,
                        d.at,
                        o.outcome.code()
                    ));
                }
            }
        }
    }
    let mut detail = format!(
        "     scenario: {}\n     timers: {:?}\n     due: {dues:?}\n     outcome: {}\n",
        case.json, case.timers, value
    );
    for (t, bytes) in &tl.writes {
        detail.push_str(&format!(
            "     +{t}ms {:?}\n",
            String::from_utf8_lossy(bytes)
        ));
    }
    detail.push_str(&format!(
        "     server end: {:?}, client closed: {:?}",
        tl.end,
        rec.closed_ms()
    ));
    Verdict {
        failures: f,
        timing,
        detail,
    }
}
