//! Entry points for the fuzz targets in `fuzz/` (not a stable API): the scenario-file loader,
//! the request parser, and the proxy's handling of an upstream body. Each runs the real code on
//! arbitrary input and panics when an invariant breaks (a panic in the code itself is a
//! finding too).

use std::path::Path;

use rand::rngs::SmallRng;
use rand::SeedableRng;
use serde_json::Value;

use crate::faults::FaultConfig;
use crate::plan::{Action, Plan};
use crate::proxy::pipeline::Pipeline;
use crate::proxy::split::{Mode, Splitter};
use crate::scenario::Scenario;
use crate::server::intake::{Intake, Progress, MAX_BODY, MAX_HEAD};

/// Loads `bytes` as the scenario file `fuzz.json` (`json`) or `fuzz.toml`. A refusal must
/// name the file; a scenario that loads must list, and (when small) compile to a plan that
/// ends exactly once.
pub fn scenario_file(json: bool, bytes: &[u8]) {
    let name = if json { "fuzz.json" } else { "fuzz.toml" };
    let sc = match Scenario::parse_file(Path::new(name), bytes) {
        Ok(sc) => sc,
        Err(e) => {
            assert!(e.starts_with(name), "the error does not name the file: {e}");
            return;
        }
    };
    let _ = sc.listing();
    if !small(&sc) {
        return;
    }
    let mut rng = SmallRng::seed_from_u64(bytes.len() as u64);
    let plan = sc.plan_for(&[], &mut rng, None);
    check_plan(&plan);
    // A resumed request compiles too.
    let plan = sc.plan_for(&[], &mut rng, Some("2"));
    check_plan(&plan);
}

/// Small enough to compile in a fuzz iteration: few actions and bytes, and no fault parameter
/// in ms above a second (faults turn waits into writes).
fn small(sc: &Scenario) -> bool {
    let Ok((actions, bytes)) = sc.size_estimate() else {
        return false;
    };
    fn ms_ok(v: &Value) -> bool {
        match v {
            Value::Object(m) => m.iter().all(|(k, v)| {
                let big = k.ends_with("_ms") && v.as_u64().is_none_or(|n| n > 1000);
                !big && ms_ok(v)
            }),
            Value::Array(a) => a.iter().all(ms_ok),
            _ => true,
        }
    }
    let faults = serde_json::to_value(&sc.faults).unwrap_or(Value::Null);
    actions <= 10_000 && bytes <= 64 * 1024 && ms_ok(&faults)
}

/// A plan has at most one terminal action, and it is the last.
fn check_plan(plan: &Plan) {
    let terminals = plan.iter().filter(|a| a.is_terminal()).count();
    assert!(terminals <= 1, "{terminals} terminal actions");
    if terminals == 1 {
        assert!(
            plan.last().is_some_and(Action::is_terminal),
            "a terminal action before the end"
        );
    }
}

/// Feeds `bytes` to the request parser in pieces of the sizes `cuts` gives (cycled; 0 is
/// read as 1), as a socket would. The parser never takes more than the head cap without
/// refusing, and a request it returns has the body its Content-Length declared.
pub fn request(bytes: &[u8], cuts: &[u8]) {
    let mut intake = Intake::new();
    let mut rest = bytes;
    let mut sizes = cuts.iter().cycle();
    let mut fed = 0usize;
    while !rest.is_empty() {
        let n = usize::from(sizes.next().copied().unwrap_or(255))
            .max(1)
            .min(rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        fed += n;
        match intake.push(piece) {
            Progress::More => {
                assert!(
                    intake.body_progress().is_some() || fed <= MAX_HEAD + 256,
                    "{fed} head bytes held without a refusal"
                );
            }
            Progress::Refused(r) => {
                assert!((400..500).contains(&r.status), "{r:?}");
                assert!(String::from_utf8_lossy(&r.response()).starts_with("HTTP/1.1 4"));
                return;
            }
            Progress::Done(req) => {
                let declared = req
                    .header("content-length")
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                assert_eq!(req.body.len(), declared);
                assert!(req.body.len() <= MAX_BODY);
                return;
            }
        }
    }
    let _ = intake.incomplete("fuzz");
}

/// The proxy's handling of an upstream body: the body arrives in `chunks` and goes through
/// the event splitter (`content_type` picks SSE, NDJSON or raw) and the fault pipeline
/// (`faults`, shorthands; bad ones are skipped), segment by segment as `proxy` does. The
/// splitter keeps every byte in order; with only byte-preserving faults (or none) the client
/// gets exactly the upstream's bytes.
pub fn proxy_body(content_type: &str, faults: &[&str], chunks: &[&[u8]], seed: u64) {
    let faults: Vec<FaultConfig> = faults
        .iter()
        .filter_map(|f| FaultConfig::parse_short(f).ok())
        .collect();
    let preserving = faults.iter().all(|f| {
        matches!(
            f.name(),
            "rechunk" | "split_utf8" | "delay_first_byte" | "throttle"
        )
    });
    let mut pipeline = Pipeline::new(faults, seed);
    let mode = if pipeline.needs_events() {
        Mode::from_content_type(Some(content_type))
    } else {
        Mode::Raw
    };
    let whole = pipeline.whole();
    let mut splitter = Splitter::new(mode);
    let mut split_out = Vec::new();
    let mut sent: Vec<u8> = Vec::new();
    let mut collected: Plan = vec![Action::Head];
    let segment = |plan: Plan, pipeline: &mut Pipeline, sent: &mut Vec<u8>| {
        let out = pipeline.segment(plan);
        for a in &out {
            if let Action::Write { bytes, .. } = a {
                sent.extend_from_slice(bytes);
            }
        }
    };
    if !whole {
        segment(vec![Action::Head], &mut pipeline, &mut sent);
    }
    for chunk in chunks {
        let writes: Plan = splitter
            .push(chunk)
            .into_iter()
            .map(|(bytes, tag)| {
                split_out.extend_from_slice(&bytes);
                Action::Write { bytes, tag }
            })
            .collect();
        if whole {
            collected.extend(writes);
        } else {
            segment(writes, &mut pipeline, &mut sent);
        }
    }
    let mut last: Plan = Vec::new();
    if let Some((bytes, tag)) = splitter.finish() {
        split_out.extend_from_slice(&bytes);
        last.push(Action::Write { bytes, tag });
    }
    last.push(Action::Close);
    if whole {
        collected.extend(last);
        for a in pipeline.all(collected) {
            if let Action::Write { bytes, .. } = a {
                sent.extend_from_slice(&bytes);
            }
        }
    } else {
        segment(last, &mut pipeline, &mut sent);
    }
    let upstream: Vec<u8> = chunks.concat();
    assert_eq!(split_out, upstream, "the splitter lost or reordered bytes");
    if preserving {
        assert_eq!(
            sent, upstream,
            "a byte-preserving pipeline changed the body"
        );
    }
}
