//! `inject_pings`: a relay that keeps the connection warm with keep-alives while nothing else
//! comes (the case the content timer exists for).

use bytes::Bytes;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::Fault;
use crate::plan::{Action, Plan, Tag};

/// How long a stall turns into pings in a plan (the proxy pings for as long as the client
/// stays connected).
pub(crate) const STALL_PINGS_MS: u64 = 10 * 60 * 1000;

/// Config: a keep-alive write (`data`, default the SSE comment `: ping`) every `every_ms` of
/// silence. In a plan, every wait longer than `every_ms` is cut into pings, and a stall becomes
/// pings for ten minutes; the proxy also pings while its upstream is silent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InjectPings {
    /// The period.
    pub every_ms: u64,
    /// The keep-alive bytes (default `": ping\n\n"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl InjectPings {
    /// The keep-alive write.
    pub(crate) fn ping(&self) -> Action {
        Action::Write {
            bytes: Bytes::from(self.data.clone().unwrap_or_else(|| ": ping\n\n".to_owned())),
            tag: Tag::Comment,
        }
    }

    fn pings_for(&self, ms: u64, out: &mut Plan) {
        let every = self.every_ms.max(1);
        let mut left = ms;
        while left >= every {
            out.push(Action::Wait(every));
            out.push(self.ping());
            left -= every;
        }
        if left > 0 {
            out.push(Action::Wait(left));
        }
    }
}

impl Fault for InjectPings {
    const DESCRIPTION: &'static str =
        "a keep-alive (`: ping`) every every_ms of silence: waits, stalls, a silent upstream";

    fn parse_arg(arg: Option<&str>) -> Result<Self, String> {
        Ok(InjectPings {
            every_ms: super::arg_u64("inject_pings", arg, "every_ms")?,
            data: None,
        })
    }

    /// The proxy also pings while its upstream is silent.
    fn keepalive(&self) -> Option<(u64, Action)> {
        Some((self.every_ms.max(1), self.ping()))
    }

    fn apply(&self, plan: Plan, _rng: &mut SmallRng) -> Plan {
        let mut out = Vec::with_capacity(plan.len());
        for a in plan {
            match a {
                Action::Wait(ms) => self.pings_for(ms, &mut out),
                Action::Stall => {
                    self.pings_for(STALL_PINGS_MS, &mut out);
                    out.push(Action::Stall);
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
    fn waits_become_pings_and_keep_their_length() {
        let plan = vec![
            Action::Head,
            w("data: 1\n\n", Tag::Event),
            Action::Wait(250),
            w("data: 2\n\n", Tag::Event),
            Action::Close,
        ];
        let out = InjectPings {
            every_ms: 100,
            data: None,
        }
        .apply(plan, &mut rng());
        assert_eq!(
            body(&out),
            b"data: 1\n\n: ping\n\n: ping\n\ndata: 2\n\n".to_vec()
        );
        let waited: u64 = out
            .iter()
            .map(|a| match a {
                Action::Wait(ms) => *ms,
                _ => 0,
            })
            .sum();
        assert_eq!(waited, 250);
    }

    #[test]
    fn a_stall_pings() {
        let plan = vec![Action::Head, Action::Stall];
        let out = InjectPings {
            every_ms: 200,
            data: None,
        }
        .apply(plan, &mut rng());
        assert_eq!(out.last(), Some(&Action::Stall));
        assert_eq!(out[1], Action::Wait(200));
        assert!(matches!(
            out[2],
            Action::Write {
                tag: Tag::Comment,
                ..
            }
        ));
    }
}
