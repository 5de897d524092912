//! `split_utf8`: cut every body write inside each multi-byte UTF-8 code point.

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::Fault;
use crate::plan::{Action, Plan, Tag};

/// The default wait between the two halves of a code point, so that they reach the client in
/// different reads (two back-to-back writes may arrive in one read).
pub(crate) const DEFAULT_GAP_MS: u64 = 2;

fn default_gap() -> u64 {
    DEFAULT_GAP_MS
}

/// Config. Every multi-byte code point is cut at a seeded random offset inside it (after its
/// first byte, before its last), with a `gap_ms` wait between the pieces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SplitUtf8 {
    /// Wait between the pieces.
    #[serde(default = "default_gap")]
    pub gap_ms: u64,
}

impl Default for SplitUtf8 {
    fn default() -> Self {
        SplitUtf8 {
            gap_ms: DEFAULT_GAP_MS,
        }
    }
}

/// The length of the UTF-8 sequence a leading byte starts (1 for ASCII and stray bytes).
fn seq_len(b: u8) -> usize {
    match b {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// The cut positions inside `bytes`: one inside every complete multi-byte sequence.
pub(crate) fn cuts(bytes: &[u8], rng: &mut SmallRng) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let n = seq_len(bytes[i]);
        if n > 1 && i + n <= bytes.len() {
            out.push(i + rng.random_range(1..n));
        }
        i += n;
    }
    out
}

impl Fault for SplitUtf8 {
    const DESCRIPTION: &'static str = "cut every write inside each multi-byte UTF-8 code point";

    fn parse_arg(arg: Option<&str>) -> Result<Self, String> {
        Ok(SplitUtf8 {
            gap_ms: super::arg_u64_or("split_utf8", arg, "gap_ms", DEFAULT_GAP_MS)?,
        })
    }

    fn apply(&self, plan: Plan, rng: &mut SmallRng) -> Plan {
        let mut out = Vec::with_capacity(plan.len());
        for action in plan {
            match action {
                Action::Write { bytes, tag } if tag != Tag::Wire => {
                    let cuts = cuts(&bytes, rng);
                    let mut start = 0;
                    for c in cuts {
                        out.push(Action::Write {
                            bytes: bytes.slice(start..c),
                            tag: Tag::Raw,
                        });
                        if self.gap_ms > 0 {
                            out.push(Action::Wait(self.gap_ms));
                        }
                        start = c;
                    }
                    let rest: Bytes = bytes.slice(start..);
                    if !rest.is_empty() {
                        out.push(Action::Write { bytes: rest, tag });
                    }
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
    fn cuts_inside_every_code_point_and_keeps_bytes() {
        let text = "data: 你好, wörld 🎉!\n\n";
        let plan = vec![Action::Head, w(text, Tag::Event), Action::Close];
        let out = SplitUtf8::default().apply(plan, &mut rng());
        assert_eq!(body(&out), text.as_bytes());
        let pieces: Vec<&Bytes> = out
            .iter()
            .filter_map(|a| match a {
                Action::Write { bytes, .. } => Some(bytes),
                _ => None,
            })
            .collect();
        // 4 multi-byte code points: 5 pieces, every piece but the last ends mid-code-point.
        assert_eq!(pieces.len(), 5);
        for p in &pieces[..4] {
            assert!(
                std::str::from_utf8(p).is_err(),
                "{p:?} ends inside a code point"
            );
        }
        assert!(out.contains(&Action::Wait(DEFAULT_GAP_MS)));
        // The last piece keeps the event tag.
        assert!(matches!(
            out[out.len() - 2],
            Action::Write {
                tag: Tag::Event,
                ..
            }
        ));
    }

    #[test]
    fn ascii_is_untouched() {
        let plan = vec![w("data: abc\n\n", Tag::Event)];
        assert_eq!(SplitUtf8::default().apply(plan.clone(), &mut rng()), plan);
    }
}
