//! `throttle`: wait between consecutive body writes (latency, like Toxiproxy's `latency`).

use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::Fault;
use crate::plan::{Action, Plan};

/// Config: `gap_ms` inserted between two body writes that have no wait between them
/// (writes already separated by a wait keep that wait). With `rechunk` size 1 first, this is
/// a byte drip.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Throttle {
    /// The wait.
    pub gap_ms: u64,
}

impl Fault for Throttle {
    const DESCRIPTION: &'static str = "wait gap_ms between consecutive body writes";

    fn parse_arg(arg: Option<&str>) -> Result<Self, String> {
        Ok(Throttle {
            gap_ms: super::arg_u64("throttle", arg, "gap_ms")?,
        })
    }

    fn apply(&self, plan: Plan, _rng: &mut SmallRng) -> Plan {
        let mut out = Vec::with_capacity(plan.len() * 2);
        let mut prev_write = false;
        for a in plan {
            let is_write = a.is_body_write();
            if is_write && prev_write && self.gap_ms > 0 {
                out.push(Action::Wait(self.gap_ms));
            }
            prev_write = is_write;
            out.push(a);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::tests::{body, rng, w};
    use crate::plan::Tag;

    #[test]
    fn spaces_writes() {
        let plan = vec![
            Action::Head,
            w("a", Tag::Raw),
            w("b", Tag::Raw),
            Action::Wait(5),
            w("c", Tag::Raw),
        ];
        let out = Throttle { gap_ms: 300 }.apply(plan.clone(), &mut rng());
        assert_eq!(
            out.iter().filter(|a| **a == Action::Wait(300)).count(),
            1,
            "{out:?}"
        );
        assert_eq!(body(&out), body(&plan));
    }
}
