//! The proxy's handling of an upstream body: chunks through the event splitter and a set of
//! faults chosen by the input, segment by segment; bytes are kept in order, and byte-preserving
//! faults change nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [&str; 4] = [
    "text/event-stream",
    "application/x-ndjson",
    "application/json",
    "text/plain",
];

const FAULTS: [&str; 14] = [
    "rechunk:3",
    "rechunk:random",
    "split_utf8:0",
    "line_endings:crlf",
    "line_endings:mixed",
    "drop_terminator",
    "stall_after:2",
    "buffer_all",
    "reset_after:50",
    r#"{"type":"reset_after","events":1}"#,
    "inject_pings:100",
    "throttle:5",
    "delay_first_byte:10",
    "line_endings:cr",
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (head, body) = data.split_at(4);
    let content_type = CONTENT_TYPES[usize::from(head[0] % 4)];
    let mask = u16::from_le_bytes([head[1], head[2]]);
    let faults: Vec<&str> = FAULTS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, f)| *f)
        .collect();
    // Chunks: cut after every byte equal to the cut byte (an upstream's reads).
    let cut = head[3];
    let chunks: Vec<&[u8]> = body.split_inclusive(|b| *b == cut).collect();
    streamguard_harness::fuzzing::proxy_body(content_type, &faults, &chunks, u64::from(cut));
});
