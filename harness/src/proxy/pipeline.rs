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

use crate::faults::{FaultConfig, Live};
use crate::plan::{Action, Plan};

/// The configured faults and what they have seen so far.
#[derive(Debug)]
pub(crate) struct Pipeline {
    faults: Vec<FaultConfig>,
    /// Per fault: its own counter across the segments (see `Fault::for_segment`).
    seen: Vec<u64>,
    rng: SmallRng,
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
        self.faults.iter().any(|f| f.live() == Live::WholeBody)
    }

    /// Whether a fault needs event boundaries (otherwise chunks pass through as they come).
    pub(crate) fn needs_events(&self) -> bool {
        self.faults.iter().any(|f| f.live() == Live::Events)
    }

    /// A keep-alive to send after every `ms` of upstream silence (`inject_pings`), if any.
    pub(crate) fn keepalive(&self) -> Option<(u64, Action)> {
        self.faults.iter().find_map(FaultConfig::keepalive)
    }

    /// Applies every fault to one segment. A segment without a terminal action stays open
    /// (the faults' normalisation would close it).
    pub(crate) fn segment(&mut self, mut plan: Plan) -> Plan {
        for (fault, seen) in self.faults.iter().zip(self.seen.iter_mut()) {
            let open = !plan.iter().any(Action::is_terminal);
            let Some(fault) = fault.for_segment(&plan, seen) else {
                continue;
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
    use crate::plan::Tag;

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
