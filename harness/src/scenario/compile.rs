//! The scenario compiler: steps to a wire plan (provider payloads from `crate::wire`, line
//! endings, resume's skipped tokens), then the scenario's own faults and the request's.

use bytes::Bytes;
use rand::rngs::SmallRng;

use super::schema::{Eol, Scenario, Step};
use crate::faults::line_endings::{self, Style};
use crate::faults::FaultConfig;
use crate::plan::{self, Action, Plan, Tag};
use crate::wire::{sse, Generator, Wire};

fn eol_convert(s: String, eol: Eol, rng: &mut SmallRng) -> Bytes {
    let style = match eol {
        Eol::Lf => return Bytes::from(s),
        Eol::Crlf => Style::Crlf,
        Eol::Cr => Style::Cr,
        Eol::Mixed => Style::Mixed,
    };
    Bytes::from(line_endings::convert(s.as_bytes(), style, rng))
}

/// The bytes of a `send` step's `hex` (whitespace between the digits is allowed).
pub(super) fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(c) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(format!("{c:?} is not a hex digit"));
    }
    hex::decode(&digits).map_err(|e| e.to_string())
}

/// Splits text into tokens after each space (`"a b"` -> `["a ", "b"]`).
fn split_words(text: &str) -> Vec<String> {
    text.split_inclusive(' ').map(str::to_owned).collect()
}

/// `unit` repeated to `bytes` bytes (cut back to a character boundary).
pub(super) fn big_text(unit: &str, bytes: usize) -> String {
    if unit.is_empty() {
        return String::new();
    }
    let mut s = unit.repeat(bytes / unit.len() + 1);
    let mut n = bytes.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    s.truncate(n);
    s
}

impl Scenario {
    /// Compiles the steps to a wire plan (scenario faults not applied yet).
    pub(crate) fn compile(&self, rng: &mut SmallRng) -> Plan {
        self.compile_after(rng, None)
    }

    /// Compiles the steps, leaving out the tokens whose `id` is at most `after` (resume).
    fn compile_after(&self, rng: &mut SmallRng, after: Option<u64>) -> Plan {
        let wire = self.wire().unwrap_or(Wire::OpenAi);
        let mut gen = Generator::new(wire);
        let mut plan = Vec::new();
        if self.head && !self.steps.contains(&Step::Head) {
            plan.push(Action::Head);
        }
        let write = |plan: &mut Plan, bytes: Bytes, tag: Tag| {
            if !bytes.is_empty() {
                plan.push(Action::Write { bytes, tag });
            }
        };
        for step in &self.steps {
            match step {
                Step::Head => plan.push(Action::Head),
                Step::Start { eol } => {
                    for (s, tag) in gen.start() {
                        write(&mut plan, eol_convert(s, *eol, rng), tag);
                    }
                }
                Step::Tokens {
                    tokens,
                    text,
                    gap_ms,
                    per_write,
                    eol,
                    first_id,
                } => {
                    let mut list = tokens.clone();
                    if let Some(t) = text {
                        list.extend(split_words(t));
                    }
                    let ids = (0..list.len() as u64).map(|i| first_id.map(|f| f + i));
                    let list: Vec<(Option<u64>, String)> = ids
                        .zip(list)
                        .filter(|(id, _)| match (id, after) {
                            (Some(id), Some(after)) => *id > after,
                            _ => true,
                        })
                        .collect();
                    let per = (*per_write).max(1);
                    for (i, group) in list.chunks(per).enumerate() {
                        if i > 0 && *gap_ms > 0 {
                            plan.push(Action::Wait(*gap_ms));
                        }
                        let mut s = String::new();
                        for (id, t) in group {
                            if let Some(id) = id {
                                s.push_str(&format!("id: {id}\n"));
                            }
                            s.push_str(&gen.token(t));
                        }
                        write(&mut plan, eol_convert(s, *eol, rng), Tag::Event);
                    }
                }
                Step::BigToken { unit, bytes } => {
                    let text = big_text(unit, *bytes);
                    write(&mut plan, Bytes::from(gen.token(&text)), Tag::Event);
                }
                Step::Finish { reason, eol } => {
                    for (s, tag) in gen.finish(reason) {
                        write(&mut plan, eol_convert(s, *eol, rng), tag);
                    }
                }
                Step::Done { eol } => {
                    if let Some(s) = gen.done() {
                        write(&mut plan, eol_convert(s, *eol, rng), Tag::Terminator);
                    }
                }
                Step::Ping => write(&mut plan, Bytes::from(gen.ping()), Tag::Comment),
                Step::Comment { text } => {
                    write(&mut plan, Bytes::from(format!(":{text}\n\n")), Tag::Comment)
                }
                Step::Keepalive {
                    every_ms,
                    for_ms,
                    text,
                } => {
                    let payload = match text {
                        Some(t) => format!(":{t}\n\n"),
                        None => gen.ping(),
                    };
                    let payload = Bytes::from(payload);
                    for _ in 0..(for_ms / every_ms.max(&1)) {
                        plan.push(Action::Wait(*every_ms));
                        write(&mut plan, payload.clone(), Tag::Comment);
                    }
                }
                Step::ProviderError {
                    error_type,
                    message,
                    code,
                } => {
                    let s = gen.error(error_type, message, code.as_deref());
                    write(&mut plan, Bytes::from(s), Tag::Event);
                }
                Step::Event { event, data } => write(
                    &mut plan,
                    Bytes::from(sse(event.as_deref(), data)),
                    Tag::Event,
                ),
                Step::Json { value, event } => write(
                    &mut plan,
                    Bytes::from(gen.frame(event.as_deref(), value)),
                    Tag::Event,
                ),
                Step::Send {
                    data,
                    hex,
                    tag,
                    repeat,
                } => {
                    let bytes = match (data, hex) {
                        (Some(d), _) => Bytes::from(d.clone()),
                        (None, Some(h)) => Bytes::from(hex_bytes(h).unwrap_or_default()),
                        (None, None) => Bytes::new(),
                    };
                    for _ in 0..(*repeat).max(1) {
                        write(&mut plan, bytes.clone(), *tag);
                    }
                }
                Step::Fill {
                    byte,
                    bytes,
                    write_size,
                } => {
                    let b = byte.as_bytes().first().copied().unwrap_or(b'a');
                    let size = (*write_size).max(1);
                    let block = Bytes::from(vec![b; size]);
                    let mut left = *bytes;
                    while left > 0 {
                        let n = left.min(size as u64) as usize;
                        write(&mut plan, block.slice(..n), Tag::Raw);
                        left -= n as u64;
                    }
                }
                Step::CutChunk { declared, data } => {
                    let s = format!("{declared:x}\r\n{data}");
                    write(&mut plan, Bytes::from(s), Tag::Wire);
                }
                Step::Wait { ms } => plan.push(Action::Wait(*ms)),
                Step::Stall => plan.push(Action::Stall),
                Step::Close => plan.push(Action::Close),
                Step::Hangup => plan.push(Action::Hangup),
                Step::Reset => plan.push(Action::Reset),
            }
        }
        plan::normalize(plan)
    }

    /// The plan with the scenario's own faults applied, then `extra` (request faults).
    #[cfg(test)]
    pub(crate) fn plan(&self, extra: &[FaultConfig], rng: &mut SmallRng) -> Plan {
        self.plan_for(extra, rng, None)
    }

    /// The plan for a request that carried `Last-Event-ID: last_event_id` (`None` or empty:
    /// it did not). Only a `resume` scenario looks at it: it leaves out the tokens whose id is
    /// at most the (numeric) ID and its own faults (the mid-stream failure), keeping `extra`.
    pub(crate) fn plan_for(
        &self,
        extra: &[FaultConfig],
        rng: &mut SmallRng,
        last_event_id: Option<&str>,
    ) -> Plan {
        let resumed = self.resume && last_event_id.is_some_and(|id| !id.is_empty());
        if !resumed {
            let plan = self.compile(rng);
            let plan = crate::faults::apply_all(plan, &self.faults, rng);
            return crate::faults::apply_all(plan, extra, rng);
        }
        let after = last_event_id.and_then(|id| id.trim().parse::<u64>().ok());
        let plan = self.compile_after(rng, after);
        crate::faults::apply_all(plan, extra, rng)
    }
}
