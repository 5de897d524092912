//! `delay_first_byte`: wait after the head, before the first body byte.

use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::Fault;
use crate::plan::{Action, Plan};

/// Config: the wait in milliseconds, inserted before the first body write (after the head).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DelayFirstByte {
    /// The delay.
    pub ms: u64,
}

impl Fault for DelayFirstByte {
    const DESCRIPTION: &'static str = "wait ms after the head, before the first body byte";

    fn parse_arg(arg: Option<&str>) -> Result<Self, String> {
        Ok(DelayFirstByte {
            ms: super::arg_u64("delay_first_byte", arg, "ms")?,
        })
    }

    /// Once per stream: before the first segment with a body write.
    fn for_segment(&self, segment: &[Action], seen: &mut u64) -> Option<Self> {
        if *seen > 0 || !segment.iter().any(Action::is_body_write) {
            return None;
        }
        *seen = 1;
        Some(self.clone())
    }

    fn apply(&self, mut plan: Plan, _rng: &mut SmallRng) -> Plan {
        if let Some(i) = plan.iter().position(|a| matches!(a, Action::Write { .. })) {
            plan.insert(i, Action::Wait(self.ms));
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::tests::{rng, w};
    use crate::plan::Tag;

    #[test]
    fn waits_before_the_first_body_byte_only() {
        let plan = vec![Action::Head, w("a", Tag::Event), w("b", Tag::Event)];
        let out = DelayFirstByte { ms: 1500 }.apply(plan, &mut rng());
        assert_eq!(out[0], Action::Head);
        assert_eq!(out[1], Action::Wait(1500));
        assert_eq!(
            out.iter().filter(|a| matches!(a, Action::Wait(_))).count(),
            1
        );
    }
}
