//! `stall_after`: after N event writes, send nothing more and hold the socket open.

use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::{Fault, Live};
use crate::plan::{count_events, Action, Plan, Tag};

/// Config: the number of event writes to let through. Counts writes tagged `event` (a whole
/// event or the piece that completes one after `rechunk`); apply it before re-chunking for
/// exact event counts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StallAfter {
    /// Events sent before the stall.
    pub events: u64,
}

impl Fault for StallAfter {
    const DESCRIPTION: &'static str =
        "after N event writes, send nothing more and hold the socket open";

    fn parse_arg(arg: Option<&str>) -> Result<Self, String> {
        Ok(StallAfter {
            events: super::arg_u64("stall_after", arg, "events")?,
        })
    }

    fn live(&self) -> Live {
        Live::Events
    }

    /// Counts events across the stream's segments.
    fn for_segment(&self, segment: &[Action], seen: &mut u64) -> Option<Self> {
        let left = self.events.saturating_sub(*seen);
        *seen += count_events(segment);
        Some(StallAfter { events: left })
    }

    fn apply(&self, plan: Plan, _rng: &mut SmallRng) -> Plan {
        let mut out = Vec::with_capacity(plan.len());
        let mut seen = 0;
        if self.events == 0 {
            // Stall right after the head.
            for a in plan {
                if matches!(a, Action::Head) {
                    out.push(a);
                    break;
                }
            }
            out.push(Action::Stall);
            return out;
        }
        for a in plan {
            let is_event = matches!(
                a,
                Action::Write {
                    tag: Tag::Event,
                    ..
                }
            );
            out.push(a);
            if is_event {
                seen += 1;
                if seen == self.events {
                    out.push(Action::Stall);
                    break;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::tests::{body, rng, w};

    #[test]
    fn stalls_after_n_events() {
        let plan = vec![
            Action::Head,
            w("data: 1\n\n", Tag::Event),
            w(": c\n\n", Tag::Comment),
            w("data: 2\n\n", Tag::Event),
            w("data: 3\n\n", Tag::Event),
            Action::Close,
        ];
        let out = StallAfter { events: 2 }.apply(plan.clone(), &mut rng());
        assert_eq!(body(&out), b"data: 1\n\n: c\n\ndata: 2\n\n");
        assert_eq!(out.last(), Some(&Action::Stall));
        let out = StallAfter { events: 0 }.apply(plan, &mut rng());
        assert_eq!(out, vec![Action::Head, Action::Stall]);
    }
}
