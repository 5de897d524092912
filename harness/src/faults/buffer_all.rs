//! `buffer_all`: a buffering proxy: the whole body in one write.

use bytes::BytesMut;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::{Fault, Live};
use crate::plan::{Action, Plan, Tag};

/// Config: the head is sent as planned; every wait before the end is removed and every body
/// write is concatenated into one write, sent after `delay_ms`; then the plan's ending
/// (close, reset, stall) follows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BufferAll {
    /// Wait before the single write.
    #[serde(default)]
    pub delay_ms: u64,
}

impl Fault for BufferAll {
    const DESCRIPTION: &'static str =
        "remove waits and send the whole body in one write after delay_ms";

    fn parse_arg(arg: Option<&str>) -> Result<Self, String> {
        Ok(BufferAll {
            delay_ms: super::arg_u64_or("buffer_all", arg, "delay_ms", 0)?,
        })
    }

    fn live(&self) -> Live {
        Live::WholeBody
    }

    fn apply(&self, plan: Plan, _rng: &mut SmallRng) -> Plan {
        let mut head = Vec::new();
        let mut buf = BytesMut::new();
        let mut wire = Vec::new();
        let mut end = Vec::new();
        for a in plan {
            match a {
                Action::Head => head.push(a),
                Action::Write { tag: Tag::Wire, .. } => wire.push(a),
                Action::Write { bytes, .. } => buf.extend_from_slice(&bytes),
                Action::Wait(_) => {}
                terminal => {
                    end.push(terminal);
                    break;
                }
            }
        }
        let mut out = head;
        if self.delay_ms > 0 {
            out.push(Action::Wait(self.delay_ms));
        }
        if !buf.is_empty() {
            out.push(Action::Write {
                bytes: buf.freeze(),
                tag: Tag::Raw,
            });
        }
        out.extend(wire);
        out.extend(end);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::tests::{body, rng, w};

    #[test]
    fn one_write_after_the_delay() {
        let plan = vec![
            Action::Head,
            w("data: 1\n\n", Tag::Event),
            Action::Wait(20),
            w("data: 2\n\n", Tag::Event),
            Action::Close,
        ];
        let out = BufferAll { delay_ms: 800 }.apply(plan.clone(), &mut rng());
        assert_eq!(out.len(), 4);
        assert_eq!(out[1], Action::Wait(800));
        assert_eq!(body(&out), body(&plan));
        assert_eq!(out[3], Action::Close);
    }
}
