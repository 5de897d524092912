//! `reset_after`: reset the TCP connection once N body bytes went out.

use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::Fault;
use crate::plan::{Action, Plan, Tag};

/// Config: the body bytes written before the reset (the write that crosses the limit is cut
/// there). A body shorter than `bytes` is not touched.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetAfter {
    /// Body bytes before the reset.
    pub bytes: u64,
}

impl Fault for ResetAfter {
    fn apply(&self, plan: Plan, _rng: &mut SmallRng) -> Plan {
        let mut out = Vec::with_capacity(plan.len());
        let mut left = self.bytes;
        for a in plan {
            match a {
                Action::Head => {
                    out.push(a);
                    if left == 0 {
                        out.push(Action::Reset);
                        return out;
                    }
                }
                Action::Write { mut bytes, tag } if tag != Tag::Wire => {
                    if left == 0 {
                        out.push(Action::Reset);
                        return out;
                    }
                    if (bytes.len() as u64) >= left {
                        let piece = bytes.split_to(left as usize);
                        out.push(Action::Write { bytes: piece, tag });
                        out.push(Action::Reset);
                        return out;
                    }
                    left -= bytes.len() as u64;
                    out.push(Action::Write { bytes, tag });
                }
                other => out.push(other),
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
    fn resets_after_exactly_n_bytes() {
        let plan = vec![
            Action::Head,
            w("data: 1\n\n", Tag::Event),
            Action::Wait(5),
            w("data: 2\n\n", Tag::Event),
            Action::Close,
        ];
        let out = ResetAfter { bytes: 12 }.apply(plan.clone(), &mut rng());
        assert_eq!(body(&out), b"data: 1\n\ndat".to_vec());
        assert_eq!(out.last(), Some(&Action::Reset));
        let out = ResetAfter { bytes: 1000 }.apply(plan.clone(), &mut rng());
        assert_eq!(out, plan, "a shorter body is untouched");
        let out = ResetAfter { bytes: 0 }.apply(plan, &mut rng());
        assert_eq!(out, vec![Action::Head, Action::Reset]);
    }
}
