//! `line_endings`: convert the line endings of SSE writes (events, terminators, comments).

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::{Fault, Live};
use crate::plan::{Action, Plan, Tag};

/// The target style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Style {
    /// `\r\n`.
    #[default]
    Crlf,
    /// `\r` alone.
    Cr,
    /// `\n` alone.
    Lf,
    /// Each line ending chosen at random (seeded) among the three.
    Mixed,
}

impl Style {
    pub(crate) fn bytes(self, rng: &mut SmallRng) -> &'static [u8] {
        match self {
            Style::Crlf => b"\r\n",
            Style::Cr => b"\r",
            Style::Lf => b"\n",
            Style::Mixed => match rng.random_range(0..3) {
                0 => b"\r\n",
                1 => b"\r",
                _ => b"\n",
            },
        }
    }
}

/// Config. Every line ending (`\r\n`, `\r` or `\n`) inside an event, terminator or comment
/// write becomes `style`; raw and wire writes are left alone. Note that `cr` breaks NDJSON
/// framing (only LF ends an NDJSON line): that is a fault, not a conversion, for Ollama streams.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineEndings {
    /// The target style.
    #[serde(default)]
    pub style: Style,
}

/// Rewrites every line ending of `input` with `style`. In the mixed style a CR is never
/// followed by a lone LF (that pair would be one CRLF line ending, merging two lines).
pub(crate) fn convert(input: &[u8], style: Style, rng: &mut SmallRng) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 8);
    let mut i = 0;
    let mut after_cr = false;
    let eol = |out: &mut Vec<u8>, rng: &mut SmallRng, after_cr: &mut bool| {
        let mut e = style.bytes(rng);
        while *after_cr && e == b"\n" {
            e = style.bytes(rng);
        }
        out.extend_from_slice(e);
        *after_cr = e == b"\r";
    };
    while i < input.len() {
        match input[i] {
            b'\r' => {
                eol(&mut out, rng, &mut after_cr);
                i += if input.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
            }
            b'\n' => {
                eol(&mut out, rng, &mut after_cr);
                i += 1;
            }
            b => {
                out.push(b);
                after_cr = false;
                i += 1;
            }
        }
    }
    out
}

impl Fault for LineEndings {
    const DESCRIPTION: &'static str =
        "convert line endings of event writes to crlf, cr, lf or a seeded mix";

    fn parse_arg(arg: Option<&str>) -> Result<Self, String> {
        let style = match arg.unwrap_or("crlf") {
            "crlf" => Style::Crlf,
            "cr" => Style::Cr,
            "lf" => Style::Lf,
            "mixed" => Style::Mixed,
            other => return Err(format!("line_endings: unknown style {other}")),
        };
        Ok(LineEndings { style })
    }

    fn live(&self) -> Live {
        Live::Events
    }

    fn apply(&self, plan: Plan, rng: &mut SmallRng) -> Plan {
        plan.into_iter()
            .map(|a| match a {
                Action::Write { bytes, tag }
                    if matches!(tag, Tag::Event | Tag::Terminator | Tag::Comment) =>
                {
                    Action::Write {
                        bytes: Bytes::from(convert(&bytes, self.style, rng)),
                        tag,
                    }
                }
                other => other,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::tests::{body, rng, w};

    #[test]
    fn converts_each_style() {
        let plan = || vec![w("event: x\ndata: a\n\n", Tag::Event), w("raw\n", Tag::Raw)];
        let crlf = LineEndings { style: Style::Crlf }.apply(plan(), &mut rng());
        assert_eq!(body(&crlf), b"event: x\r\ndata: a\r\n\r\nraw\n");
        let cr = LineEndings { style: Style::Cr }.apply(plan(), &mut rng());
        assert_eq!(body(&cr), b"event: x\rdata: a\r\rraw\n");
        // Converting back to LF is the identity on the original.
        let back = LineEndings { style: Style::Lf }.apply(crlf, &mut rng());
        assert_eq!(body(&back), body(&plan()));
        // A mixed CR + LF pair would merge two line endings into one CRLF: never produced.
        for seed in 0..200 {
            let mut r = <SmallRng as rand::SeedableRng>::seed_from_u64(seed);
            let mixed = LineEndings {
                style: Style::Mixed,
            }
            .apply(plan(), &mut r);
            let lf = LineEndings { style: Style::Lf }.apply(mixed, &mut rng());
            assert_eq!(body(&lf), body(&plan()), "seed {seed}: same lines");
        }
    }
}
