//! The harness's faults applied to a live stream, one segment at a time.
//!
//! The faults are plan transformers (`crate::faults`); a proxied body is not a whole plan but a
//! sequence of segments (the head, then what each upstream read completed). Most faults act on
//! each write on its own, so applying them per segment is the same as applying them to the
//! whole plan with the upstream's gaps as waits. The ones that count across the stream keep
//! their count here: `stall_after` (events), `reset_after` (bytes) and `delay_first_byte`
//! (only before the first body byte). `buffer_all` needs the whole body: with it the proxy
//! collects everything first ([`Pipeline::whole`]).

use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::faults::{DelayFirstByte, FaultConfig, InjectPings, ResetAfter, StallAfter};
use crate::plan::{Action, Plan, Tag};

/// The configured faults and what they have seen so far.
#[derive(Debug)]
pub(crate) struct Pipeline {
    faults: Vec<FaultConfig>,
    /// Per fault: events (`stall_after`), bytes (`reset_after`) or body writes
    /// (`delay_first_byte`) that reached it in earlier segments.
    seen: Vec<u64>,
    rng: SmallRng,
}

fn events(plan: &[Action]) -> u64 {
    plan.iter()
        .filter(|a| {
            matches!(
                a,
                Action::Write {
                    tag: Tag::Event,
                    ..
                }
            )
        })
        .count() as u64
}

fn body_bytes(plan: &[Action]) -> u64 {
    plan.iter()
        .map(|a| match a {
            Action::Write { bytes, tag } if *tag != Tag::Wire => bytes.len() as u64,
            _ => 0,
        })
        .sum()
}

impl Pipeline {
    pub(crate) fn new(faults: Vec<FaultConfig>, seed: u64) -> Pipeline {
        let seen = vec![0; faults.len()];
        Pipeline {
            faults,
            seen,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// Whether the faults need the whole body at once (`buffer_all`).
    pub(crate) fn whole(&self) -> bool {
        self.faults
            .iter()
            .any(|f| matches!(f, FaultConfig::BufferAll(_)))
    }

    /// Whether a fault needs event boundaries (otherwise chunks pass through as they come).
    pub(crate) fn needs_events(&self) -> bool {
        self.faults.iter().any(|f| {
            matches!(
                f,
                FaultConfig::StallAfter(_)
                    | FaultConfig::DropTerminator(_)
                    | FaultConfig::LineEndings(_)
            )
        })
    }

    /// The `inject_pings` fault, if any: the proxy also pings while its upstream is silent.
    pub(crate) fn pings(&self) -> Option<&InjectPings> {
        self.faults.iter().find_map(|f| match f {
            FaultConfig::InjectPings(p) => Some(p),
            _ => None,
        })
    }

    /// Applies every fault to one segment. A segment without a terminal action stays open
    /// (the faults' normalisation would close it).
    pub(crate) fn segment(&mut self, mut plan: Plan) -> Plan {
        for i in 0..self.faults.len() {
            let open = !plan.iter().any(Action::is_terminal);
            let fault = match &self.faults[i] {
                FaultConfig::StallAfter(s) => {
                    let n = events(&plan);
                    let left = s.events.saturating_sub(self.seen[i]);
                    self.seen[i] += n;
                    FaultConfig::StallAfter(StallAfter { events: left })
                }
                FaultConfig::ResetAfter(r) => {
                    let (n, limit) = match r.events {
                        Some(e) => (events(&plan), e),
                        None => (body_bytes(&plan), r.bytes),
                    };
                    let left = limit.saturating_sub(self.seen[i]);
                    self.seen[i] += n;
                    FaultConfig::ResetAfter(match r.events {
                        Some(_) => ResetAfter {
                            bytes: 0,
                            events: Some(left),
                        },
                        None => ResetAfter {
                            bytes: left,
                            events: None,
                        },
                    })
                }
                FaultConfig::DelayFirstByte(d) => {
                    let writes = plan.iter().any(|a| a.is_body_write());
                    if self.seen[i] > 0 || !writes {
                        continue;
                    }
                    self.seen[i] = 1;
                    FaultConfig::DelayFirstByte(DelayFirstByte { ms: d.ms })
                }
                other => other.clone(),
            };
            plan = fault.apply(plan, &mut self.rng);
            if open && plan.last() == Some(&Action::Close) {
                plan.pop();
            }
        }
        plan
    }

    /// Applies every fault to a whole plan (the `buffer_all` case).
    pub(crate) fn all(&mut self, plan: Plan) -> Plan {
        crate::faults::apply_all(plan, &self.faults, &mut self.rng)
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn ev(s: &str) -> Action {
        Action::Write {
            bytes: Bytes::copy_from_slice(s.as_bytes()),
            tag: Tag::Event,
        }
    }

    fn parse(list: &[&str]) -> Vec<FaultConfig> {
        list.iter()
            .map(|s| FaultConfig::parse_short(s).unwrap())
            .collect()
    }

    #[test]
    fn stall_after_counts_across_segments() {
        let mut p = Pipeline::new(parse(&["stall_after:3"]), 1);
        assert_eq!(p.segment(vec![Action::Head]), vec![Action::Head]);
        assert_eq!(p.segment(vec![ev("a"), ev("b")]), vec![ev("a"), ev("b")]);
        assert_eq!(
            p.segment(vec![ev("c"), ev("d")]),
            vec![ev("c"), Action::Stall]
        );
    }

    #[test]
    fn reset_after_counts_bytes_across_segments() {
        let mut p = Pipeline::new(parse(&["reset_after:5"]), 1);
        assert_eq!(p.segment(vec![Action::Head]), vec![Action::Head]);
        assert_eq!(p.segment(vec![ev("abc")]), vec![ev("abc")]);
        assert_eq!(p.segment(vec![ev("defg")]), vec![ev("de"), Action::Reset]);
    }

    #[test]
    fn delay_first_byte_once_and_segments_stay_open() {
        let mut p = Pipeline::new(parse(&["delay_first_byte:100", "drop_terminator"]), 1);
        assert_eq!(p.segment(vec![Action::Head]), vec![Action::Head]);
        assert_eq!(p.segment(vec![ev("a")]), vec![Action::Wait(100), ev("a")]);
        assert_eq!(p.segment(vec![ev("b")]), vec![ev("b")]);
        let done = Action::Write {
            bytes: Bytes::from_static(b"data: [DONE]\n\n"),
            tag: Tag::Terminator,
        };
        assert_eq!(p.segment(vec![done, Action::Close]), vec![Action::Close]);
    }
}
