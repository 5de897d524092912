//! Differential: the NDJSON splitter fed whole and in chunks must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamguard::ndjson::NdjsonSplitter;
use streamguard::FrameError;

type Run = (Vec<Result<String, FrameError>>, Option<String>);

fn run(cap: usize, chunks: &[&[u8]]) -> Run {
    let mut splitter = NdjsonSplitter::with_max_line_bytes(cap);
    let mut lines = Vec::new();
    for chunk in chunks {
        splitter.feed(chunk);
        while let Some(line) = splitter.next_line() {
            lines.push(line);
        }
    }
    let tail = splitter.finish();
    while let Some(line) = splitter.next_line() {
        lines.push(line);
    }
    (lines, tail)
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let cap = if control & 1 == 1 { 64 } else { 1 << 20 };
    let step = usize::from(control >> 1).max(1);
    let chunks: Vec<&[u8]> = body.chunks(step).collect();
    assert_eq!(run(cap, &[body]), run(cap, &chunks));
});
