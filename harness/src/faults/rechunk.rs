//! `rechunk`: re-split body writes at a fixed size or at seeded random sizes.

use bytes::{Bytes, BytesMut};
use rand::rngs::SmallRng;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::Fault;
use crate::plan::{Action, Plan, Tag};

/// Config. `size` fixed; otherwise random sizes in `[min, max]` (defaults 1 and 64).
/// Runs of consecutive body writes (not separated by a wait or anything else) are treated as
/// one byte stream and re-split, so pieces may span the original writes; waits stay where they
/// were. `gap_ms` inserts a wait between the pieces of a run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rechunk {
    /// Fixed piece size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<usize>,
    /// Smallest random piece.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<usize>,
    /// Largest random piece.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<usize>,
    /// Wait between pieces of one run.
    #[serde(default)]
    pub gap_ms: u64,
}

impl Rechunk {
    /// A fixed size.
    pub(crate) fn fixed(size: usize) -> Self {
        Rechunk {
            size: Some(size),
            ..Rechunk::default()
        }
    }

    fn next_size(&self, rng: &mut SmallRng) -> usize {
        match self.size {
            Some(n) => n.max(1),
            None => {
                let lo = self.min.unwrap_or(1).max(1);
                let hi = self.max.unwrap_or(64).max(lo);
                rng.random_range(lo..=hi)
            }
        }
    }
}

impl Fault for Rechunk {
    const DESCRIPTION: &'static str =
        "re-split body writes: size N, or seeded random sizes in [min, max]";

    /// `7`, `random`, `random:1-300`.
    fn parse_arg(arg: Option<&str>) -> Result<Self, String> {
        match arg {
            None | Some("random") => Ok(Rechunk::default()),
            Some(a) if a.starts_with("random:") => {
                let range = &a["random:".len()..];
                let (lo, hi) = range
                    .split_once('-')
                    .ok_or_else(|| format!("rechunk: bad range {range}"))?;
                let lo = lo.parse().map_err(|e| format!("rechunk: {e}"))?;
                let hi = hi.parse().map_err(|e| format!("rechunk: {e}"))?;
                Ok(Rechunk {
                    min: Some(lo),
                    max: Some(hi),
                    ..Rechunk::default()
                })
            }
            Some(n) => {
                let n: usize = n.parse().map_err(|e| format!("rechunk: {e}"))?;
                Ok(Rechunk::fixed(n))
            }
        }
    }

    fn apply(&self, plan: Plan, rng: &mut SmallRng) -> Plan {
        let mut out = Vec::with_capacity(plan.len());
        // The partial piece carried across the writes of one run.
        let mut pending = BytesMut::new();
        let mut target = self.next_size(rng);
        let mut emitted_in_run = false;
        let emit = |out: &mut Plan, bytes: Bytes, tag: Tag, emitted: &mut bool| {
            if *emitted && self.gap_ms > 0 {
                out.push(Action::Wait(self.gap_ms));
            }
            *emitted = true;
            out.push(Action::Write { bytes, tag });
        };
        // Sends the partial piece left when a run ends, untagged; says whether there was one.
        let flush = |out: &mut Plan, pending: &mut BytesMut, emitted: &mut bool| {
            let any = !pending.is_empty();
            if any {
                emit(out, pending.split().freeze(), Tag::Raw, emitted);
            }
            any
        };
        for action in plan {
            match action {
                Action::Write { mut bytes, tag } if tag != Tag::Wire => {
                    while !bytes.is_empty() {
                        let piece = if pending.is_empty() && bytes.len() >= target {
                            Some(bytes.split_to(target))
                        } else {
                            let take = (target - pending.len()).min(bytes.len());
                            pending.extend_from_slice(&bytes.split_to(take));
                            (pending.len() == target).then(|| pending.split().freeze())
                        };
                        if let Some(p) = piece {
                            // Only the piece ending where the original write ended keeps its tag.
                            let t = if bytes.is_empty() { tag } else { Tag::Raw };
                            emit(&mut out, p, t, &mut emitted_in_run);
                            target = self.next_size(rng);
                        }
                    }
                }
                other => {
                    if flush(&mut out, &mut pending, &mut emitted_in_run) {
                        target = self.next_size(rng);
                    }
                    emitted_in_run = false;
                    out.push(other);
                }
            }
        }
        flush(&mut out, &mut pending, &mut emitted_in_run);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::tests::{body, rng, w};

    fn sizes(plan: &[Action]) -> Vec<usize> {
        plan.iter()
            .filter_map(|a| match a {
                Action::Write { bytes, .. } => Some(bytes.len()),
                _ => None,
            })
            .collect()
    }

    fn sample() -> Plan {
        vec![
            Action::Head,
            w("data: hello\n\n", Tag::Event),
            w("data: wörld\n\n", Tag::Event),
            Action::Wait(20),
            w("data: [DONE]\n\n", Tag::Terminator),
            Action::Close,
        ]
    }

    #[test]
    fn keeps_every_byte_at_every_size() {
        let original = body(&sample());
        for size in [1, 2, 3, 7, 64, 1024] {
            let out = Rechunk::fixed(size).apply(sample(), &mut rng());
            assert_eq!(body(&out), original, "size {size}");
            // Within each run every piece but the last has exactly `size` bytes.
            let first_run = &out[1..out.iter().position(|a| *a == Action::Wait(20)).unwrap()];
            let s = sizes(first_run);
            assert!(s[..s.len() - 1].iter().all(|&n| n == size), "{size}: {s:?}");
            assert_eq!(s.iter().sum::<usize>(), 27);
            assert!(out.contains(&Action::Wait(20)), "waits stay");
        }
    }

    #[test]
    fn random_sizes_stay_in_range_and_replay() {
        let f = Rechunk {
            min: Some(2),
            max: Some(5),
            ..Rechunk::default()
        };
        let a = f.apply(sample(), &mut rng());
        let b = f.apply(sample(), &mut rng());
        assert_eq!(a, b, "same seed, same pieces");
        assert_eq!(body(&a), body(&sample()));
        let s = sizes(&a);
        assert!(s.iter().all(|&n| (1..=5).contains(&n)), "{s:?}");
    }

    #[test]
    fn tag_stays_on_the_piece_ending_an_event() {
        let out = Rechunk::fixed(13).apply(sample(), &mut rng());
        // "data: hello\n\n" is 13 bytes: the first piece ends the first event.
        assert!(matches!(&out[1], Action::Write { tag: Tag::Event, bytes } if bytes.len() == 13));
    }

    #[test]
    fn gap_inserts_waits_between_pieces() {
        let f = Rechunk {
            size: Some(13),
            gap_ms: 5,
            ..Rechunk::default()
        };
        let out = f.apply(sample(), &mut rng());
        assert_eq!(out[2], Action::Wait(5));
        assert_eq!(body(&out), body(&sample()));
    }
}
