//! Faults: plan transformers, composable like Toxiproxy's toxics.
//!
//! Each fault is one file with one config struct implementing [`Fault`]; [`FaultConfig`] is the
//! serde-tagged union (`{"type": "rechunk", "size": 7}`) used in scenario files and in the
//! `?faults=` query parameter, and [`FaultConfig::parse_short`] reads the `?fault=rechunk:7`
//! shorthand. Faults apply in order; every random choice comes from the request's seeded RNG,
//! so the same seed replays the same bytes and timings.

use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use crate::plan::Plan;

pub(crate) mod buffer_all;
pub(crate) mod delay_first_byte;
pub(crate) mod drop_terminator;
pub(crate) mod inject_pings;
pub(crate) mod line_endings;
pub(crate) mod rechunk;
pub(crate) mod reset_after;
pub(crate) mod split_utf8;
pub(crate) mod stall_after;
pub(crate) mod throttle;

pub(crate) use buffer_all::BufferAll;
pub(crate) use delay_first_byte::DelayFirstByte;
pub(crate) use drop_terminator::DropTerminator;
pub(crate) use inject_pings::InjectPings;
pub(crate) use line_endings::{LineEndings, Style};
pub(crate) use rechunk::Rechunk;
pub(crate) use reset_after::ResetAfter;
pub(crate) use split_utf8::SplitUtf8;
pub(crate) use stall_after::StallAfter;
pub(crate) use throttle::Throttle;

/// A plan transformer.
pub(crate) trait Fault {
    /// Rewrites the plan. Never loses body bytes unless that is the fault's purpose.
    fn apply(&self, plan: Plan, rng: &mut SmallRng) -> Plan;
}

/// Every fault's config, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum FaultConfig {
    /// Re-split body writes at a fixed or seeded random size.
    Rechunk(Rechunk),
    /// Cut writes inside multi-byte UTF-8 code points.
    SplitUtf8(SplitUtf8),
    /// Convert SSE line endings (CRLF, CR, LF, seeded mix).
    LineEndings(LineEndings),
    /// Wait before the first body byte.
    DelayFirstByte(DelayFirstByte),
    /// Stall forever after N events.
    StallAfter(StallAfter),
    /// Remove the provider's terminator.
    DropTerminator(DropTerminator),
    /// Buffer the whole body into one write (a buffering proxy).
    BufferAll(BufferAll),
    /// Wait between consecutive writes.
    Throttle(Throttle),
    /// A keep-alive every N ms of silence.
    InjectPings(InjectPings),
    /// Reset the connection after N body bytes.
    ResetAfter(ResetAfter),
}

/// The registry: every fault's name and a one-line description (README, `/_harness/faults`).
pub(crate) const REGISTRY: &[(&str, &str)] = &[
    (
        "rechunk",
        "re-split body writes: size N, or seeded random sizes in [min, max]",
    ),
    (
        "split_utf8",
        "cut every write inside each multi-byte UTF-8 code point",
    ),
    (
        "line_endings",
        "convert line endings of event writes to crlf, cr, lf or a seeded mix",
    ),
    (
        "delay_first_byte",
        "wait ms after the head, before the first body byte",
    ),
    (
        "stall_after",
        "after N event writes, send nothing more and hold the socket open",
    ),
    (
        "drop_terminator",
        "remove the provider's terminator ([DONE], message_stop, done line)",
    ),
    (
        "buffer_all",
        "remove waits and send the whole body in one write after delay_ms",
    ),
    ("throttle", "wait gap_ms between consecutive body writes"),
    (
        "inject_pings",
        "a keep-alive (`: ping`) every every_ms of silence: waits, stalls, a silent upstream",
    ),
    (
        "reset_after",
        "reset the TCP connection once N body bytes (or N events) went out",
    ),
];

impl FaultConfig {
    /// The fault's registry name.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            FaultConfig::Rechunk(_) => "rechunk",
            FaultConfig::SplitUtf8(_) => "split_utf8",
            FaultConfig::LineEndings(_) => "line_endings",
            FaultConfig::DelayFirstByte(_) => "delay_first_byte",
            FaultConfig::StallAfter(_) => "stall_after",
            FaultConfig::DropTerminator(_) => "drop_terminator",
            FaultConfig::BufferAll(_) => "buffer_all",
            FaultConfig::Throttle(_) => "throttle",
            FaultConfig::InjectPings(_) => "inject_pings",
            FaultConfig::ResetAfter(_) => "reset_after",
        }
    }

    fn fault(&self) -> &dyn Fault {
        match self {
            FaultConfig::Rechunk(f) => f,
            FaultConfig::SplitUtf8(f) => f,
            FaultConfig::LineEndings(f) => f,
            FaultConfig::DelayFirstByte(f) => f,
            FaultConfig::StallAfter(f) => f,
            FaultConfig::DropTerminator(f) => f,
            FaultConfig::BufferAll(f) => f,
            FaultConfig::Throttle(f) => f,
            FaultConfig::InjectPings(f) => f,
            FaultConfig::ResetAfter(f) => f,
        }
    }

    /// Parses the shorthand `name[:arg]`: `rechunk:7`, `rechunk:random`, `rechunk:random:1-300`,
    /// `split_utf8`, `line_endings:crlf`, `delay_first_byte:1500`, `stall_after:3`,
    /// `drop_terminator`, `buffer_all[:800]`, `throttle:300`, `inject_pings:200`,
    /// `reset_after:1000`. A JSON object is accepted too.
    pub(crate) fn parse_short(s: &str) -> Result<FaultConfig, String> {
        let s = s.trim();
        if s.starts_with('{') {
            return serde_json::from_str(s).map_err(|e| format!("fault {s}: {e}"));
        }
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let num = |what: &str| -> Result<u64, String> {
            arg.ok_or_else(|| format!("fault {name} needs :{what}"))?
                .parse::<u64>()
                .map_err(|e| format!("fault {name}: {what}: {e}"))
        };
        Ok(match name {
            "rechunk" => FaultConfig::Rechunk(Rechunk::parse_arg(arg)?),
            "split_utf8" => FaultConfig::SplitUtf8(SplitUtf8 {
                gap_ms: match arg {
                    Some(_) => num("gap_ms")?,
                    None => split_utf8::DEFAULT_GAP_MS,
                },
            }),
            "line_endings" => FaultConfig::LineEndings(LineEndings {
                style: match arg.unwrap_or("crlf") {
                    "crlf" => Style::Crlf,
                    "cr" => Style::Cr,
                    "lf" => Style::Lf,
                    "mixed" => Style::Mixed,
                    other => return Err(format!("line_endings: unknown style {other}")),
                },
            }),
            "delay_first_byte" => FaultConfig::DelayFirstByte(DelayFirstByte { ms: num("ms")? }),
            "stall_after" => FaultConfig::StallAfter(StallAfter {
                events: num("events")?,
            }),
            "drop_terminator" => FaultConfig::DropTerminator(DropTerminator {}),
            "buffer_all" => FaultConfig::BufferAll(BufferAll {
                delay_ms: match arg {
                    Some(_) => num("delay_ms")?,
                    None => 0,
                },
            }),
            "throttle" => FaultConfig::Throttle(Throttle {
                gap_ms: num("gap_ms")?,
            }),
            "inject_pings" => FaultConfig::InjectPings(InjectPings {
                every_ms: num("every_ms")?,
                data: None,
            }),
            "reset_after" => FaultConfig::ResetAfter(ResetAfter {
                bytes: num("bytes")?,
                events: None,
            }),
            other => return Err(format!("unknown fault {other:?}")),
        })
    }

    /// Applies this fault.
    pub(crate) fn apply(&self, plan: Plan, rng: &mut SmallRng) -> Plan {
        crate::plan::normalize(self.fault().apply(plan, rng))
    }
}

/// Applies faults in order.
pub(crate) fn apply_all(mut plan: Plan, faults: &[FaultConfig], rng: &mut SmallRng) -> Plan {
    for f in faults {
        plan = f.apply(plan, rng);
    }
    plan
}

#[cfg(test)]
pub(crate) mod tests {
    use bytes::Bytes;
    use rand::SeedableRng;

    use super::*;
    use crate::plan::{Action, Tag};

    pub(crate) fn w(s: &str, tag: Tag) -> Action {
        Action::Write {
            bytes: Bytes::copy_from_slice(s.as_bytes()),
            tag,
        }
    }

    pub(crate) fn body(plan: &[Action]) -> Vec<u8> {
        let mut out = Vec::new();
        for a in plan {
            if let Action::Write { bytes, .. } = a {
                out.extend_from_slice(bytes);
            }
        }
        out
    }

    pub(crate) fn rng() -> SmallRng {
        SmallRng::seed_from_u64(7)
    }

    #[test]
    fn configs_are_tagged_and_strict() {
        let f: FaultConfig = serde_json::from_str(r#"{"type":"rechunk","size":7}"#).unwrap();
        assert_eq!(f.name(), "rechunk");
        let err = serde_json::from_str::<FaultConfig>(r#"{"type":"rechunk","sise":7}"#);
        assert!(err.is_err(), "unknown fields are rejected");
        let f: FaultConfig = toml::from_str("type = \"stall_after\"\nevents = 3\n").unwrap();
        assert_eq!(f, FaultConfig::StallAfter(StallAfter { events: 3 }));
        assert!(serde_json::from_str::<FaultConfig>(r#"{"type":"nope"}"#).is_err());
    }

    #[test]
    fn shorthand_parses_every_fault() {
        for s in [
            "rechunk:7",
            "rechunk:random",
            "rechunk:random:1-300",
            "split_utf8",
            "line_endings:mixed",
            "delay_first_byte:1500",
            "stall_after:3",
            "drop_terminator",
            "buffer_all:800",
            "throttle:300",
            "inject_pings:200",
            "reset_after:1000",
            r#"{"type":"rechunk","size":1}"#,
        ] {
            FaultConfig::parse_short(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
        assert!(FaultConfig::parse_short("rechunk:x").is_err());
        assert!(FaultConfig::parse_short("nope").is_err());
        let names: Vec<_> = REGISTRY.iter().map(|r| r.0).collect();
        for s in [
            "rechunk:1",
            "split_utf8",
            "line_endings",
            "delay_first_byte:1",
        ] {
            assert!(names.contains(&FaultConfig::parse_short(s).unwrap().name()));
        }
    }

    #[test]
    fn faults_compose_in_order() {
        let plan = vec![
            Action::Head,
            w("data: a\n\n", Tag::Event),
            w("data: b\n\n", Tag::Event),
            w("data: [DONE]\n\n", Tag::Terminator),
            Action::Close,
        ];
        let faults = [
            FaultConfig::parse_short("drop_terminator").unwrap(),
            FaultConfig::parse_short("rechunk:3").unwrap(),
        ];
        let out = apply_all(plan, &faults, &mut rng());
        assert_eq!(body(&out), b"data: a\n\ndata: b\n\n");
        assert_eq!(out.last(), Some(&Action::Close));
    }
}
