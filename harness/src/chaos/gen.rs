//! One chaos case from a seed: a random provider stream (the harness's wire generators through
//! an ordinary scenario), random faults from the fault set, a random ending and random client
//! timers. The timers are drawn so that no planned gap lies within [`MARGIN_MS`] of the timer
//! that watches it: which timer fires (if any) does not hinge on a few ms of scheduling.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use super::model::{self, Timeline, Timers};
use crate::scenario::Scenario;
use crate::wire::Wire;

/// The least distance between a planned gap and the timer that watches it.
pub(crate) const MARGIN_MS: u64 = 100;

/// Token texts: multibyte, escapes, lookalikes of framing.
const VOCAB: &[&str] = &[
    "Hello",
    " world",
    " é",
    " 你好",
    " 🎉",
    " café",
    " naïve",
    " 👩\u{200d}👩\u{200d}👧",
    " Ωμέγα",
    " ✓",
    " data:",
    " [DONE]",
    " \"quoted\"",
    " back\\slash",
    " new\nline",
    " tab\t",
    " event: message_stop",
    " ",
];

const PROTOCOLS: &[&str] = &[
    "openai",
    "openai-responses",
    "anthropic",
    "ollama",
    "gemini",
    "ai-sdk",
];

/// A generated case.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub seed: u64,
    pub scenario: Scenario,
    /// Every token, concatenated: what a complete stream reports.
    pub text: String,
    pub tokens: u64,
    pub timers: Timers,
    /// The scenario as JSON (printed for a failure).
    pub json: Value,
}

fn pick<'a, T>(rng: &mut SmallRng, list: &'a [T]) -> &'a T {
    &list[rng.random_range(0..list.len())]
}

/// The case of `seed`.
pub(crate) fn case(seed: u64) -> Result<Case, String> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let protocol = *pick(&mut rng, PROTOCOLS);
    let timers = draw_timers(&mut rng);
    let mut steps = vec![json!({"do": "start"})];
    let (mut text, mut tokens) = (String::new(), 0u64);
    for _ in 0..rng.random_range(1..=3) {
        let n = rng.random_range(1..=8);
        let list: Vec<&str> = (0..n).map(|_| *pick(&mut rng, VOCAB)).collect();
        text.push_str(&list.concat());
        tokens += n as u64;
        let gap = *pick(&mut rng, &[0u64, 2, 5, 10, 20]);
        steps.push(json!({"do": "tokens", "tokens": list, "gap_ms": gap,
            "per_write": rng.random_range(1..=2)}));
        match rng.random_range(0..10) {
            0..=2 => {
                // A long silence, past the idle timer (the content timer is checked below).
                let ms = timers.idle.max(1) + MARGIN_MS + rng.random_range(0..200);
                steps.push(json!({"do": "wait", "ms": ms}));
            }
            3 => steps.push(json!({"do": "ping"})),
            4 => steps.push(json!({"do": "wait", "ms": rng.random_range(0..=30)})),
            _ => {}
        }
    }
    if rng.random_bool(0.8) {
        steps.push(json!({"do": "finish"}));
    }
    if rng.random_bool(0.7) {
        steps.push(json!({"do": "done"}));
    }
    let ending = *pick(
        &mut rng,
        &["close", "close", "close", "stall", "reset", "hangup"],
    );
    steps.push(json!({"do": ending}));
    let mut faults = Vec::new();
    for _ in 0..rng.random_range(0..=3) {
        faults.push(fault(&mut rng, protocol, &timers));
    }
    let framing = if rng.random_bool(0.3) {
        "chunked"
    } else {
        "close"
    };
    let json = json!({
        "name": format!("chaos_{seed}"),
        "description": "chaos",
        "protocol": protocol,
        "framing": framing,
        "steps": steps,
        "faults": faults,
        "expect": {"outcome": ["complete", "stalled", "truncated", "network_error"]},
    });
    let scenario =
        Scenario::parse(&json.to_string(), true).map_err(|e| format!("seed {seed}: {e}"))?;
    let mut case = Case {
        seed,
        scenario,
        text,
        tokens,
        timers,
        json,
    };
    settle_timers(&mut case, &mut rng);
    Ok(case)
}

fn draw_timers(rng: &mut SmallRng) -> Timers {
    Timers {
        first_byte: rng.random_range(300..=700),
        idle: rng.random_range(150..=400),
        content: if rng.random_bool(0.3) {
            0
        } else {
            rng.random_range(400..=1000)
        },
        total: rng.random_range(1200..=2200),
    }
}

/// A random fault from the set, with its parameters.
fn fault(rng: &mut SmallRng, protocol: &str, timers: &Timers) -> Value {
    match rng.random_range(0..9) {
        0 => {
            if rng.random_bool(0.5) {
                json!({"type": "rechunk", "size": rng.random_range(1..=64)})
            } else {
                json!({"type": "rechunk", "min": 1, "max": rng.random_range(2..=64)})
            }
        }
        1 => json!({"type": "split_utf8", "gap_ms": rng.random_range(0..=3)}),
        2 => {
            let styles: &[&str] = if protocol == "ollama" {
                &["crlf", "lf", "mixed"]
            } else {
                &["crlf", "cr", "lf", "mixed"]
            };
            json!({"type": "line_endings", "style": pick(rng, styles)})
        }
        3 => json!({"type": "delay_first_byte", "ms": rng.random_range(0..=600)}),
        4 => json!({"type": "stall_after", "events": rng.random_range(0..=8)}),
        5 => {
            if rng.random_bool(0.5) {
                json!({"type": "reset_after", "bytes": rng.random_range(50..=3000)})
            } else {
                json!({"type": "reset_after", "events": rng.random_range(1..=8)})
            }
        }
        6 => json!({"type": "drop_terminator"}),
        7 => json!({"type": "buffer_all", "delay_ms": rng.random_range(0..=600)}),
        _ => {
            // Pings well inside the idle timer.
            let every = rng.random_range(30..=timers.idle.saturating_sub(MARGIN_MS).max(31));
            json!({"type": "inject_pings", "every_ms": every})
        }
    }
}

/// Re-draws the timers until no planned gap is within [`MARGIN_MS`] of its timer (at most 40
/// tries; then the content timer is turned off and the total timer moved past the stream).
fn settle_timers(case: &mut Case, rng: &mut SmallRng) {
    let plan = case
        .scenario
        .plan_for(&[], &mut SmallRng::seed_from_u64(case.seed), None);
    let timeline = Timeline::from_plan(&plan);
    let wire = case.scenario.wire().unwrap_or(Wire::OpenAi);
    for _ in 0..40 {
        if model::clear_of(wire, &timeline, &case.timers, MARGIN_MS) {
            return;
        }
        case.timers = draw_timers(rng);
    }
    case.timers.content = 0;
    if !model::clear_of(wire, &timeline, &case.timers, MARGIN_MS) {
        case.timers.total = timeline.span() + 3 * MARGIN_MS + 500;
    }
}
