//! Differential: the SSE parser fed whole and fed in the chunks the input describes must
//! report identical items and the same end-of-stream verdict, under a small cap too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamguard::sse::{Eof, Item, SseParser};
use streamguard::FrameError;

type Run = (Vec<Result<Item, FrameError>>, Eof);

fn run(cap: usize, chunks: &[&[u8]]) -> Run {
    let mut parser = SseParser::with_max_event_bytes(cap);
    let mut items = Vec::new();
    for chunk in chunks {
        parser.feed(chunk);
        while let Some(item) = parser.next_event() {
            items.push(item);
        }
    }
    let eof = parser.finish();
    while let Some(item) = parser.next_event() {
        items.push(item);
    }
    (items, eof)
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
