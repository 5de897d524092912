//! `reset_after`: reset the TCP connection once N body bytes (or N events) went out.

use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::Fault;
use crate::plan::{count_events, Action, Plan, Tag};

/// Config: the body bytes written before the reset (the write that crosses the limit is cut
/// there). A body shorter than `bytes` is not touched. With `events` instead, the reset
/// replaces the write of event N+1 (writes tagged `event`): exactly N whole events go out, and
/// the waits before event N+1 are kept (the client reads event N before the reset); a body with
/// at most N events is not touched.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetAfter {
    /// Body bytes before the reset (ignored when `events` is set).
    #[serde(default)]
    pub bytes: u64,
    /// Events before the reset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<u64>,
}

/// Body bytes of a segment (wire writes, which bypass the framing, not counted).
fn body_bytes(plan: &[Action]) -> u64 {
    plan.iter()
        .map(|a| match a {
            Action::Write { bytes, tag } if *tag != Tag::Wire => bytes.len() as u64,
            _ => 0,
        })
        .sum()
}

impl ResetAfter {
    fn after_events(n: u64, plan: Plan) -> Plan {
        let mut out = Vec::with_capacity(plan.len());
        let mut seen = 0;
        for a in plan {
            if let Action::Write {
                tag: Tag::Event, ..
            } = a
            {
                if seen == n {
                    out.push(Action::Reset);
                    return out;
                }
                seen += 1;
            }
            out.push(a);
        }
        out
    }
}

impl Fault for ResetAfter {
    const DESCRIPTION: &'static str =
        "reset the TCP connection once N body bytes (or N events) went out";

    fn parse_arg(arg: Option<&str>) -> Result<Self, String> {
        Ok(ResetAfter {
            bytes: super::arg_u64("reset_after", arg, "bytes")?,
            events: None,
        })
    }

    /// Counts events (or body bytes) across the stream's segments.
    fn for_segment(&self, segment: &[Action], seen: &mut u64) -> Option<Self> {
        let (n, limit) = match self.events {
            Some(e) => (count_events(segment), e),
            None => (body_bytes(segment), self.bytes),
        };
        let left = limit.saturating_sub(*seen);
        *seen += n;
        Some(match self.events {
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

    fn apply(&self, plan: Plan, _rng: &mut SmallRng) -> Plan {
        if let Some(n) = self.events {
            return ResetAfter::after_events(n, plan);
        }
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
        let bytes = |bytes| ResetAfter {
            bytes,
            events: None,
        };
        let out = bytes(12).apply(plan.clone(), &mut rng());
        assert_eq!(body(&out), b"data: 1\n\ndat".to_vec());
        assert_eq!(out.last(), Some(&Action::Reset));
        let out = bytes(1000).apply(plan.clone(), &mut rng());
        assert_eq!(out, plan, "a shorter body is untouched");
        let out = bytes(0).apply(plan, &mut rng());
        assert_eq!(out, vec![Action::Head, Action::Reset]);
    }

    #[test]
    fn resets_in_place_of_event_n_plus_one_keeping_the_wait_before_it() {
        let plan = vec![
            Action::Head,
            w("retry: 100\n\n", Tag::Raw),
            w("data: 1\n\n", Tag::Event),
            Action::Wait(5),
            w("data: 2\n\n", Tag::Event),
            Action::Close,
        ];
        let events = |n| ResetAfter {
            bytes: 0,
            events: Some(n),
        };
        let out = events(1).apply(plan.clone(), &mut rng());
        assert_eq!(body(&out), b"retry: 100\n\ndata: 1\n\n".to_vec());
        assert_eq!(&out[out.len() - 2..], &[Action::Wait(5), Action::Reset]);
        assert_eq!(events(2).apply(plan.clone(), &mut rng()), plan);
        let out = events(0).apply(plan, &mut rng());
        assert_eq!(body(&out), b"retry: 100\n\n".to_vec());
    }
}
