//! Decoder + session throughput: the path the browser runs per read, natively. `cargo bench
//! --bench session` prints MB/s (criterion's `Throughput::BytesDecimal`) for a [`Session`]
//! with every timer off and `FlushMode::Immediate`, fed the browser benchmark's four fixtures
//! (`benches/browser/fixtures.mjs`; this file generates the same bytes from the same seed and
//! prints the same FNV-1a digests) in 1 KiB and 64 KiB reads, draining the outputs after every
//! read and appending the text, as the browser host does.
//!
//! - `openai`: 20,000 chat chunks (role, finish and usage chunks, keep-alive comments, ~4%
//!   non-ASCII characters), 5.6 MB;
//! - `anthropic`: message_start ... 20,000 text_delta events ... message_stop, 2.4 MB;
//! - `line`: one 4 MiB data line whose JSON string holds `\uXXXX` escapes and surrogate pairs;
//! - `tiny`: 200,000 chat chunks of 1-3 characters, 15 MB.
//!
//! Each fixture is checked once (outcome `complete`, the exact text) before it is measured.
//! `STREAMGUARD_BENCH_ONLY=NAME` keeps one fixture. `scripts/bench-instructions.sh` counts the
//! instructions of that check's one run per fixture under callgrind (a shared machine does not
//! disturb them).
//! Kept quick (10 samples, short warm-up and measurement).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use streamguard::{Config, FlushMode, Millis, Output, Protocol, Session, StreamResult};

// ---------------------------------------------------------------------------------------------
// The fixtures: a line-for-line port of benches/browser/fixtures.mjs (same seed, same bytes).

const SEED: u32 = 0x5eed_2026;

/// xorshift32 (the JS side does the same with `>>> 0`).
struct Rng(u32);

impl Rng {
    fn new(seed: u32) -> Rng {
        Rng(if seed == 0 { 1 } else { seed })
    }
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u32) as usize
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        let i = self.below(list.len());
        list.get(i).copied().unwrap_or_default()
    }
    fn chars(&mut self, alphabet: &str, n: usize) -> String {
        (0..n)
            .map(|_| {
                let i = self.below(alphabet.len());
                char::from(alphabet.as_bytes().get(i).copied().unwrap_or(b'?'))
            })
            .collect()
    }
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &str = "0123456789abcdef";

#[rustfmt::skip] // as in fixtures.mjs, several to a line
const ASCII_TOKENS: &[&str] = &[
    " the", " a", " stream", " of", " tokens", " and", " to", " in", " is", " that", " it",
    " for", " with", " as", " on", " model", " browser", " reader", " parser", " event", " chunk",
    " text", " delta", " frame", " JSON", " fetch", " wasm", " response", " latency", ",", ".",
    ":", " (", ")", "\n", "\n\n", " \"", "\"", " `x`", "\\", " 42", " -", " **bold**",
];
const NON_ASCII_TOKENS: &[&str] = &[
    " café",
    " naïve",
    " über",
    " 日本語",
    "の",
    " 中文",
    " 한국어",
    " 😀",
    "🚀",
    " 👍🏽",
    " Ωμέγα",
    " привет",
    "—",
    "…",
    " 𝔘𝔫𝔦",
];
const TINY_ASCII: &str = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ.,!?0123456789";
const TINY_NON_ASCII: &[&str] = &["é", "ü", "ñ", "日", "本", "語", "中", "—", "😀", "🚀"];

fn token(rng: &mut Rng, percent: usize) -> &'static str {
    if rng.below(100) < percent {
        rng.pick(NON_ASCII_TOKENS)
    } else {
        rng.pick(ASCII_TOKENS)
    }
}

/// A JSON string with raw UTF-8; only `"`, `\` and `\n` occur among the escapable characters.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The inside of an ASCII-only JSON string: every UTF-16 unit above 0x7f as `\uXXXX`.
fn json_ascii_inner(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for unit in s.encode_utf16() {
        match unit {
            0x22 => out.push_str("\\\""),
            0x5c => out.push_str("\\\\"),
            0x0a => out.push_str("\\n"),
            u if u > 0x7f => out.push_str(&format!("\\u{u:04x}")),
            u => out.push(char::from(u as u8)),
        }
    }
    out
}

fn openai_head(rng: &mut Rng) -> String {
    let id = format!("chatcmpl-{}", rng.chars(ALNUM, 29));
    let created = 1_731_024_000 + rng.below(86_400);
    let fp = format!("fp_{}", rng.chars(HEX, 10));
    format!(
        r#"{{"id":"{id}","object":"chat.completion.chunk","created":{created},"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"{fp}","choices":["#
    )
}

fn openai_role(head: &str) -> String {
    format!(
        "data: {head}{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n"
    )
}

fn openai_tail(rng: &mut Rng, head: &str, completion: usize) -> String {
    let prompt = 20 + rng.below(2000);
    let total = prompt + completion;
    format!(
        "data: {head}{{\"index\":0,\"delta\":{{}},\"logprobs\":null,\"finish_reason\":\"stop\"}}],\"usage\":null}}\n\n\
         data: {head}],\"usage\":{{\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},\"total_tokens\":{total},\
         \"prompt_tokens_details\":{{\"cached_tokens\":0,\"audio_tokens\":0}},\"completion_tokens_details\":{{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}}}}\n\n\
         data: [DONE]\n\n"
    )
}

fn openai(rng: &mut Rng) -> (String, String) {
    let chunks = 20_000;
    let head = openai_head(rng);
    let mut wire = openai_role(&head);
    let mut text = String::new();
    for i in 1..=chunks {
        let tok = token(rng, 8);
        text.push_str(tok);
        wire.push_str(&format!(
            "data: {head}{{\"index\":0,\"delta\":{{\"content\":{}}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}\n\n",
            json_string(tok)
        ));
        if i % 1000 == 0 {
            wire.push_str(": keep-alive\n\n");
        }
    }
    wire.push_str(&openai_tail(rng, &head, chunks));
    (wire, text)
}

fn anthropic(rng: &mut Rng) -> (String, String) {
    let deltas = 20_000;
    let ev = |name: &str, data: &str| format!("event: {name}\ndata: {data}\n\n");
    let id = format!("msg_01{}", rng.chars(ALNUM, 22));
    let input = 20 + rng.below(2000);
    let ping = ev("ping", r#"{"type": "ping"}"#);
    let mut wire = ev(
        "message_start",
        &format!(
            r#"{{"type":"message_start","message":{{"id":"{id}","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{input},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}}}}"#
        ),
    );
    wire.push_str(&ev(
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
    ));
    wire.push_str(&ping);
    let mut text = String::new();
    for i in 1..=deltas {
        let tok = token(rng, 8);
        text.push_str(tok);
        wire.push_str(&ev(
            "content_block_delta",
            &format!(
                r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":{}}}}}"#,
                json_string(tok)
            ),
        ));
        if i % 1000 == 0 {
            wire.push_str(&ping);
        }
    }
    wire.push_str(&ev(
        "content_block_stop",
        r#"{"type":"content_block_stop","index":0}"#,
    ));
    wire.push_str(&ev(
        "message_delta",
        &format!(
            r#"{{"type":"message_delta","delta":{{"stop_reason":"end_turn","stop_sequence":null}},"usage":{{"output_tokens":{deltas}}}}}"#
        ),
    ));
    wire.push_str(&ev("message_stop", r#"{"type":"message_stop"}"#));
    (wire, text)
}

fn line(rng: &mut Rng) -> (String, String) {
    let line_bytes = 4 * 1024 * 1024;
    let head = openai_head(rng);
    let before = format!("data: {head}{{\"index\":0,\"delta\":{{\"content\":");
    let after = r#"},"logprobs":null,"finish_reason":null}],"usage":null}"#;
    let budget = line_bytes - before.len() - after.len();
    let mut text = String::new();
    let mut escaped = String::new();
    let mut len = 2;
    while len < budget {
        let tok = token(rng, 10);
        let esc = json_ascii_inner(tok);
        text.push_str(tok);
        len += esc.len();
        escaped.push_str(&esc);
    }
    let mut wire = openai_role(&head);
    wire.push_str(&format!("{before}\"{escaped}\"{after}\n\n"));
    wire.push_str(&openai_tail(rng, &head, 1));
    (wire, text)
}

fn tiny(rng: &mut Rng) -> (String, String) {
    let pre = r#"data: {"model":"llama3","choices":[{"index":0,"delta":{"content":"#;
    let mut wire = String::new();
    let mut text = String::new();
    for _ in 0..200_000 {
        let n = 1 + rng.below(3);
        let mut tok = String::new();
        for _ in 0..n {
            if rng.below(100) < 4 {
                tok.push_str(rng.pick(TINY_NON_ASCII));
            } else {
                let i = rng.below(TINY_ASCII.len());
                tok.push(char::from(
                    TINY_ASCII.as_bytes().get(i).copied().unwrap_or(b'?'),
                ));
            }
        }
        text.push_str(&tok);
        wire.push_str(pre);
        wire.push_str(&json_string(&tok));
        wire.push_str("}}]}\n\n");
    }
    wire.push_str(
        "data: {\"model\":\"llama3\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    );
    wire.push_str("data: [DONE]\n\n");
    (wire, text)
}

struct Fixture {
    name: &'static str,
    protocol: Protocol,
    wire: Vec<u8>,
    text: String,
}

type Generator = fn(&mut Rng) -> (String, String);

/// The four fixtures, the i-th from `Rng::new(SEED + i)`, in the browser benchmark's order.
fn fixtures() -> Vec<Fixture> {
    let makers: [(&str, Protocol, Generator); 4] = [
        ("openai", Protocol::OpenAi, openai),
        ("anthropic", Protocol::Anthropic, anthropic),
        ("line", Protocol::OpenAi, line),
        ("tiny", Protocol::OpenAi, tiny),
    ];
    makers
        .into_iter()
        .zip(0u32..)
        .map(|((name, protocol, make), i)| {
            let (wire, text) = make(&mut Rng::new(SEED.wrapping_add(i)));
            Fixture {
                name,
                protocol,
                wire: wire.into_bytes(),
                text,
            }
        })
        .collect()
}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

// ---------------------------------------------------------------------------------------------
// The host loop, as the browser runs it: one handle_bytes per read, then drain.

fn run(protocol: Protocol, wire: &[u8], chunk: usize) -> (String, Option<StreamResult>, usize) {
    let config = Config {
        protocol,
        first_byte_timeout_ms: 0,
        idle_timeout_ms: 0,
        content_timeout_ms: 0,
        total_timeout_ms: 0,
        flush: FlushMode::Immediate,
        ..Config::default()
    };
    let now = Millis(1);
    let mut session = Session::new(config, Millis(0));
    session.handle_response_head(now, 200, &[("content-type", "text/event-stream")]);
    let mut text = String::new();
    let mut flushes = 0;
    let mut result = None;
    let mut drain = |session: &mut Session, text: &mut String| {
        while let Some(output) = session.poll_output() {
            match output {
                Output::Text(t) => {
                    text.push_str(&t);
                    flushes += 1;
                }
                Output::Finished(r) => result = Some(r),
                Output::Event(_) | Output::AbortRequest | Output::Connect { .. } => {}
            }
        }
    };
    for read in wire.chunks(chunk) {
        session.handle_bytes(now, read);
        drain(&mut session, &mut text);
    }
    session.handle_eof(now);
    drain(&mut session, &mut text);
    (text, result, flushes)
}

fn bench(c: &mut Criterion) {
    // STREAMGUARD_BENCH_ONLY=line: one fixture (e.g. under valgrind --tool=callgrind with a
    // filter that measures nothing: the check below still runs it once, at 1 KiB reads).
    let only = std::env::var("STREAMGUARD_BENCH_ONLY").ok();
    let fixtures: Vec<Fixture> = fixtures()
        .into_iter()
        .filter(|f| only.as_deref().is_none_or(|o| o == f.name))
        .collect();
    for f in &fixtures {
        println!(
            "fixture {:<9} {:>11} B  text {:>9} B  fnv1a {:08x}",
            f.name,
            f.wire.len(),
            f.text.len(),
            fnv1a(&f.wire)
        );
        let (text, result, _) = run(f.protocol, &f.wire, 1024);
        let result = result.expect("the session finishes");
        assert_eq!(result.outcome.code(), "complete", "{}", f.name);
        assert!(text == f.text, "{}: the text differs", f.name);
    }

    let mut g = c.benchmark_group("session");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for f in &fixtures {
        g.throughput(Throughput::BytesDecimal(f.wire.len() as u64));
        for chunk in [1024usize, 64 * 1024] {
            g.bench_with_input(
                BenchmarkId::new(f.name, format!("{}KiB_reads", chunk / 1024)),
                &chunk,
                |b, &chunk| b.iter(|| run(f.protocol, black_box(&f.wire), chunk)),
            );
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
