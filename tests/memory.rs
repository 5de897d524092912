//! Peak heap while one 4 MiB event streams through the core (a `Driver`, as every host runs it): at most 2x the event plus
//! 1 MiB (the browser's bound is 3x plus 1 MiB: `tests/web_memory.rs`), fed in 64 KiB and in 1 KiB reads, SSE and NDJSON. The host drains the outputs after
//! every read (as the browser host does, which hands each flush to JS at once); the flushes
//! are checked against the text as they come, so the test keeps no copy of its own.
//!
//! The counting allocator counts every `realloc` as a new block plus the old one until the
//! copy is done (as a `malloc` + `memcpy` + `free` allocator such as wasm's dlmalloc may do),
//! so a buffer that grows is counted at its worst.
//!
//! In the browser the same bound applies to the wasm memory, which never shrinks: a browser
//! test reads its size before and after streaming such an event
//! (`wasm_bindgen::memory().unchecked_into::<js_sys::WebAssembly::Memory>().buffer()` then
//! `.unchecked_into::<js_sys::ArrayBuffer>().byte_length()`, or `wasm.memory.buffer.byteLength`
//! from JS) and asserts the growth is at most 3x the event plus 1 MiB (allocator slack is
//! counted there, not here).
#![cfg(not(target_arch = "wasm32"))]

use peak_alloc::PeakAlloc;
use streamguard::{Config, Driver, FlushMode, Millis, Outcome, Output, Protocol};

#[global_allocator]
static PEAK: PeakAlloc = PeakAlloc;

const EVENT: usize = 4 * 1024 * 1024;
const MIB: usize = 1024 * 1024;

/// The answer text, and its JSON string body (escaped; `\uXXXX` for every non-ASCII UTF-16
/// unit, as some servers send), at least `len` bytes escaped.
fn text(len: usize) -> (String, String) {
    let pieces = [
        " the",
        " stream",
        " é",
        " 日本語",
        " 😀",
        "\n",
        " \"q\"",
        " \\",
        " tokens",
        ".",
    ];
    let mut text = String::new();
    let mut escaped = String::new();
    let mut i = 0usize;
    while escaped.len() < len {
        let piece = pieces[i % pieces.len()];
        i = i.wrapping_mul(7).wrapping_add(3);
        text.push_str(piece);
        for unit in piece.encode_utf16() {
            match unit {
                0x22 => escaped.push_str("\\\""),
                0x5c => escaped.push_str("\\\\"),
                0x0a => escaped.push_str("\\n"),
                u if u > 0x7f => escaped.push_str(&format!("\\u{u:04x}")),
                u => escaped.push(char::from(u as u8)),
            }
        }
    }
    (text, escaped)
}

/// An OpenAI stream whose one content chunk is a data line of about `EVENT` bytes.
fn openai() -> (Vec<u8>, String, usize) {
    let before =
        r#"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":""#;
    let after = r#""},"finish_reason":null}]}"#;
    let (text, escaped) = text(EVENT - before.len() - after.len());
    let line = format!("{before}{escaped}{after}");
    let wire = format!(
        "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\"}}}}]}}\n\n\
         data: {line}\n\n\
         data: {{\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}\n\n\
         data: [DONE]\n\n"
    );
    (wire.into_bytes(), text, line.len())
}

/// An Ollama stream whose one content line is about `EVENT` bytes.
fn ollama() -> (Vec<u8>, String, usize) {
    let before = r#"{"model":"m","message":{"role":"assistant","content":""#;
    let after = r#""},"done":false}"#;
    let (text, escaped) = text(EVENT - before.len() - after.len());
    let line = format!("{before}{escaped}{after}");
    let wire = format!("{line}\n{{\"model\":\"m\",\"done\":true}}\n");
    (wire.into_bytes(), text, line.len())
}

/// Streams `wire` in `chunk`-byte reads; returns the peak heap above the start.
fn peak(protocol: Protocol, flush: FlushMode, wire: &[u8], text: &str, chunk: usize) -> usize {
    let start = PEAK.current_usage();
    PEAK.reset_peak_usage();
    let config = Config {
        protocol,
        first_byte_timeout_ms: 0,
        idle_timeout_ms: 0,
        content_timeout_ms: 0,
        total_timeout_ms: 0,
        flush,
        ..Config::default()
    };
    let mut session = Driver::for_response(config, Millis(0));
    let mut seen = 0; // bytes of `text` flushed so far
    let mut finished = false;
    let mut check = |session: &mut Driver| {
        while let Some(out) = session.poll_output() {
            match out {
                Output::Text(t) => {
                    assert_eq!(text.get(seen..seen + t.len()), Some(t.as_str()));
                    seen += t.len();
                }
                Output::Finished(result) => {
                    assert_eq!(result.outcome, Outcome::Complete, "{:?}", result.error);
                    assert!(result.text == text);
                    finished = true;
                }
                _ => {}
            }
        }
    };
    for (i, piece) in wire.chunks(chunk).enumerate() {
        session.handle_bytes(Millis(i as u64), piece);
        check(&mut session);
        if flush == FlushMode::Frame {
            session.handle_frame(Millis(i as u64));
            check(&mut session);
        }
    }
    session.handle_eof(Millis(1 << 20));
    check(&mut session);
    drop(session);
    assert!(finished);
    assert_eq!(seen, text.len(), "the flushes are the text");
    assert!(
        PEAK.current_usage() <= start,
        "nothing is left allocated after the session"
    );
    PEAK.peak_usage().saturating_sub(start)
}

#[test]
fn peak_heap_of_a_4_mib_event_is_at_most_2x_plus_1_mib() {
    let runs = [
        ("openai", Protocol::OpenAi, openai()),
        ("ollama", Protocol::Ollama, ollama()),
    ];
    for (name, protocol, (wire, text, event)) in &runs {
        // The issue's bound is 3x + 1 MiB; the core keeps 2x + 1 MiB (measured: 2.02x).
        let budget = 2 * event + MIB;
        for flush in [FlushMode::Immediate, FlushMode::Frame] {
            for chunk in [64 * 1024, 1024] {
                let got = peak(*protocol, flush, wire, text, chunk);
                println!(
                    "{name} {flush:?} {chunk} B reads: peak {:.2} MiB for a {:.2} MiB event \
                     (budget {:.2} MiB, {:.2}x the event)",
                    got as f64 / MIB as f64,
                    *event as f64 / MIB as f64,
                    budget as f64 / MIB as f64,
                    got as f64 / *event as f64
                );
                assert!(
                    got <= budget,
                    "{name} {flush:?} {chunk} B reads: peak {got} B over {budget} B"
                );
            }
        }
    }
}
