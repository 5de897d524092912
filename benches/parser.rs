//! Parser throughput (issue 2). `cargo bench --bench parser` prints MB/s (criterion's
//! `Throughput::BytesDecimal`) for:
//! - a 16 MB OpenAI-style chat completion stream fed in 1 KiB and in 64 KiB chunks,
//! - one 8 MiB data line fed in 1 KiB chunks (the line search must not rescan it),
//! - a 16 MB Ollama-style NDJSON stream in 64 KiB chunks.
//!
//! Kept quick (10 samples, short warm-up and measurement) so it runs in well under a minute.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use streamguard::ndjson::NdjsonSplitter;
use streamguard::sse::{Item, SseParser, DEFAULT_MAX_EVENT_BYTES};

const SIXTEEN_MB: usize = 16_000_000;

fn openai_stream() -> Vec<u8> {
    let mut out = Vec::with_capacity(SIXTEEN_MB + 256);
    let mut i = 0u64;
    while out.len() < SIXTEEN_MB {
        out.extend_from_slice(
            format!(
                "data: {{\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"tok{i} \"}},\"finish_reason\":null}}]}}\n\n"
            )
            .as_bytes(),
        );
        i += 1;
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

fn ollama_stream() -> Vec<u8> {
    let mut out = Vec::with_capacity(SIXTEEN_MB + 256);
    while out.len() < SIXTEEN_MB {
        out.extend_from_slice(
            b"{\"model\":\"llama3\",\"created_at\":\"2024-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"tok \"},\"done\":false}\n",
        );
    }
    out
}

fn one_long_line() -> Vec<u8> {
    let mut out = b"data: ".to_vec();
    out.resize(DEFAULT_MAX_EVENT_BYTES, b'x'); // exactly at the cap: accepted
    out.extend_from_slice(b"\n\n");
    out
}

/// Feeds `input` in `chunk`-byte pieces, draining after each feed; returns the event count.
fn parse_sse(input: &[u8], chunk: usize) -> usize {
    let mut p = SseParser::new();
    let mut events = 0;
    for c in input.chunks(chunk) {
        p.feed(c);
        while let Some(item) = p.next_event() {
            if let Ok(Item::Event(e)) = item {
                black_box(&e);
                events += 1;
            }
        }
    }
    black_box(p.finish());
    events
}

fn parse_ndjson(input: &[u8], chunk: usize) -> usize {
    let mut s = NdjsonSplitter::new();
    let mut lines = 0;
    for c in input.chunks(chunk) {
        s.feed(c);
        while let Some(line) = s.next_line() {
            black_box(&line);
            lines += 1;
        }
    }
    black_box(s.finish());
    lines
}

fn bench(c: &mut Criterion) {
    let openai = openai_stream();
    let long = one_long_line();
    let ollama = ollama_stream();
    assert_eq!(
        parse_sse(&long, 1024),
        1,
        "the long line must parse as one event"
    );

    let mut g = c.benchmark_group("sse");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::BytesDecimal(openai.len() as u64));
    for chunk in [1024usize, 64 * 1024] {
        g.bench_with_input(
            BenchmarkId::new("openai_16MB", format!("{}KiB_chunks", chunk / 1024)),
            &chunk,
            |b, &chunk| b.iter(|| parse_sse(black_box(&openai), chunk)),
        );
    }
    g.throughput(Throughput::BytesDecimal(long.len() as u64));
    g.bench_function("one_8MiB_line/1KiB_chunks", |b| {
        b.iter(|| parse_sse(black_box(&long), 1024))
    });
    g.finish();

    let mut g = c.benchmark_group("ndjson");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.throughput(Throughput::BytesDecimal(ollama.len() as u64));
    g.bench_function("ollama_16MB/64KiB_chunks", |b| {
        b.iter(|| parse_ndjson(black_box(&ollama), 64 * 1024))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
