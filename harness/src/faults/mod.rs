//! Faults: plan transformers, composable like Toxiproxy's toxics.
//!
//! Each fault is one file: a config struct implementing [`Fault`] (its description, its
//! shorthand argument, how it rewrites a plan and, where it differs from the default, how it
//! acts on a live proxied stream). `registry!` lists them once; from that line come the
//! serde-tagged union [`FaultConfig`] (`{"type": "rechunk", "size": 7}`, used in scenario
//! files and `?faults=`), the shorthand parser ([`FaultConfig::parse_short`], `?fault=rechunk:7`)
//! and [`REGISTRY`] (`GET /_harness/faults`, the README check). Adding a fault is its file and
//! its line in the list.
//!
//! Faults apply in order; every random choice comes from the request's seeded RNG, so the same
//! seed replays the same bytes and timings.

use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use crate::plan::{Action, Plan};

/// How a fault acts on a live stream (the proxy, which forwards segments as they arrive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Live {
    /// Applied to each segment as it comes (chunks pass through as they arrive).
    Segments,
    /// Applied to each segment, which must end on event boundaries (SSE events, NDJSON lines).
    Events,
    /// Needs the whole body: the proxy collects the upstream's body first.
    WholeBody,
}

/// A plan transformer: one config struct per fault, in its own file.
pub(crate) trait Fault: Clone + Sized {
    /// One line for the README and `GET /_harness/faults`.
    const DESCRIPTION: &'static str;

    /// The config from the shorthand's argument (`rechunk:7` gives `Some("7")`, `rechunk`
    /// gives `None`).
    fn parse_arg(arg: Option<&str>) -> Result<Self, String>;

    /// Rewrites the plan. Never loses body bytes unless that is the fault's purpose.
    fn apply(&self, plan: Plan, rng: &mut SmallRng) -> Plan;

    /// How it acts on a live stream.
    fn live(&self) -> Live {
        Live::Segments
    }

    /// On a live stream, the config to apply to the next `segment` (`None`: leave it alone).
    /// `seen` is this fault's own counter across the stream's segments (starts at 0); a fault
    /// that counts across the stream (events, bytes) keeps its count there.
    fn for_segment(&self, _segment: &[Action], _seen: &mut u64) -> Option<Self> {
        Some(self.clone())
    }

    /// On a live stream, a keep-alive write to send after every `ms` of upstream silence.
    fn keepalive(&self) -> Option<(u64, Action)> {
        None
    }
}

/// The `u64` argument `what` of fault `name`'s shorthand (`stall_after:3`), required.
pub(crate) fn arg_u64(name: &str, arg: Option<&str>, what: &str) -> Result<u64, String> {
    arg.ok_or_else(|| format!("fault {name} needs :{what}"))?
        .parse::<u64>()
        .map_err(|e| format!("fault {name}: {what}: {e}"))
}

/// The optional `u64` argument `what` of fault `name`'s shorthand (`buffer_all[:800]`).
pub(crate) fn arg_u64_or(
    name: &str,
    arg: Option<&str>,
    what: &str,
    default: u64,
) -> Result<u64, String> {
    match arg {
        Some(_) => arg_u64(name, arg, what),
        None => Ok(default),
    }
}

/// The list of faults: `module: Type` per fault, the module named as the fault. Generates the
/// modules, [`FaultConfig`] (one variant per fault, its serde tag the module name), the
/// dispatch and [`REGISTRY`].
macro_rules! registry {
    ($($name:ident: $ty:ident),* $(,)?) => {
        $(
            pub(crate) mod $name;
            #[allow(unused_imports)]
            pub(crate) use $name::$ty;
        )*

        /// Every fault's config, tagged by `type` (the fault's name); unknown fields rejected.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub(crate) enum FaultConfig {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                $ty($ty),
            )*
        }

        $(
            impl From<$ty> for FaultConfig {
                fn from(f: $ty) -> FaultConfig {
                    FaultConfig::$ty(f)
                }
            }
        )*

        /// Every fault's name and one-line description (README, `GET /_harness/faults`).
        pub(crate) const REGISTRY: &[(&str, &str)] =
            &[$((stringify!($name), <$ty as Fault>::DESCRIPTION)),*];

        impl FaultConfig {
            /// The fault's registry name.
            pub(crate) fn name(&self) -> &'static str {
                match self {
                    $(FaultConfig::$ty(_) => stringify!($name),)*
                }
            }

            fn from_short(name: &str, arg: Option<&str>) -> Option<Result<FaultConfig, String>> {
                match name {
                    $(stringify!($name) => Some($ty::parse_arg(arg).map(FaultConfig::$ty)),)*
                    _ => None,
                }
            }

            fn apply_raw(&self, plan: Plan, rng: &mut SmallRng) -> Plan {
                match self {
                    $(FaultConfig::$ty(f) => f.apply(plan, rng),)*
                }
            }

            /// How it acts on a live stream.
            pub(crate) fn live(&self) -> Live {
                match self {
                    $(FaultConfig::$ty(f) => f.live(),)*
                }
            }

            /// On a live stream, the config to apply to the next segment (see
            /// [`Fault::for_segment`]).
            pub(crate) fn for_segment(&self, segment: &[Action], seen: &mut u64) -> Option<FaultConfig> {
                match self {
                    $(FaultConfig::$ty(f) => f.for_segment(segment, seen).map(FaultConfig::$ty),)*
                }
            }

            /// On a live stream, a keep-alive after every `ms` of upstream silence.
            pub(crate) fn keepalive(&self) -> Option<(u64, Action)> {
                match self {
                    $(FaultConfig::$ty(f) => f.keepalive(),)*
                }
            }
        }
    };
}

registry! {
    rechunk: Rechunk,
    split_utf8: SplitUtf8,
    line_endings: LineEndings,
    delay_first_byte: DelayFirstByte,
    stall_after: StallAfter,
    drop_terminator: DropTerminator,
    buffer_all: BufferAll,
    throttle: Throttle,
    inject_pings: InjectPings,
    reset_after: ResetAfter,
}

impl FaultConfig {
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
        FaultConfig::from_short(name, arg).unwrap_or_else(|| Err(format!("unknown fault {name:?}")))
    }

    /// Applies this fault.
    pub(crate) fn apply(&self, plan: Plan, rng: &mut SmallRng) -> Plan {
        crate::plan::normalize(self.apply_raw(plan, rng))
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
            let f = FaultConfig::parse_short(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            // The serde tag, the registry name and the shorthand name are one name.
            let tagged = serde_json::to_value(&f).unwrap();
            assert_eq!(tagged["type"], f.name(), "{s}");
            assert_eq!(serde_json::from_value::<FaultConfig>(tagged).unwrap(), f);
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
    fn every_registry_entry_is_a_tag_and_a_shorthand() {
        for (name, description) in REGISTRY {
            assert!(!description.is_empty(), "{name}");
            if let Err(e) = serde_json::from_str::<FaultConfig>(&format!(r#"{{"type":"{name}"}}"#))
            {
                assert!(!e.to_string().contains("unknown variant"), "{name}: {e}");
            }
            if let Err(e) = FaultConfig::parse_short(name) {
                assert!(e.contains("needs :"), "{name}: {e}");
            }
        }
        assert_eq!(
            FaultConfig::parse_short("stall_after").unwrap_err(),
            "fault stall_after needs :events"
        );
        assert_eq!(
            FaultConfig::parse_short("throttle:x").unwrap_err(),
            "fault throttle: gap_ms: invalid digit found in string"
        );
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
