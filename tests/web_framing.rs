//! Browser tests: framing and batching. Every framing scenario (re-chunking at 1, 7, 64, 1024
//! bytes and seeded random splits, UTF-8 cut inside code points, line endings, BOM, comments,
//! meta-only events, a buffered burst, a 4 MiB event, an unbounded line), a 1 MB stream in
//! 1-byte chunks, and the flush modes: never two flushes in one animation frame, a final
//! flush on every outcome.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

#[macro_use]
#[path = "web_support/mod.rs"]
mod support;
use support::*;

wasm_bindgen_test_configure!(run_in_browser);

scenarios!(
    any_chunking,
    split_utf8,
    line_endings,
    bom,
    comments,
    meta_only,
    buffered_burst,
    huge_event,
    unbounded_line,
);

macro_rules! rechunked {
    ($($test:ident: $scenario:literal, $fault:literal;)*) => {
        $(
            #[wasm_bindgen_test]
            async fn $test() {
                check_scenario($scenario, concat!("fault=", $fault)).await;
            }
        )*
    };
}

// FAULTS.md: every scenario also runs through the re-chunker (1, 7, 64, 1024 and seeded
// random splits); here the content-bearing ones the browser meets most.
rechunked!(
    openai_ok_rechunk_1: "openai_ok", "rechunk:1";
    openai_ok_rechunk_7: "openai_ok", "rechunk:7";
    openai_ok_rechunk_64: "openai_ok", "rechunk:64";
    openai_ok_rechunk_1024: "openai_ok", "rechunk:1024";
    openai_ok_rechunk_random: "openai_ok", "rechunk:random";
    stall_mid_rechunk_1: "stall_mid", "rechunk:1";
    anthropic_error_mid_rechunk_7: "anthropic_error_mid", "rechunk:7";
    ollama_ok_rechunk_1: "ollama_ok", "rechunk:1";
    split_utf8_rechunk_1: "split_utf8", "rechunk:1";
    line_endings_rechunk_1: "line_endings", "rechunk:1";
    no_done_rechunk_random: "no_done", "rechunk:random";
);

/// A buffered burst is rendered in at most two flushes and flagged in the stats.
#[wasm_bindgen_test]
async fn buffered_burst_in_two_flushes() {
    let result = check_scenario("buffered_burst", "").await;
    assert_eq!(
        get(&result, "stats.buffered").as_bool(),
        Some(true),
        "{}",
        json(&result)
    );
    assert!(
        get_f64(&result, "stats.flushes").unwrap() <= 2.0,
        "{}",
        json(&result)
    );
}

/// Frame mode under many small reads: at most one flush per frame (checked by the recorder
/// against a requestAnimationFrame counter) and far fewer flushes than deltas.
#[wasm_bindgen_test]
async fn frame_batching_one_flush_per_frame() {
    assert!(start_frames(), "no animation frames on the test page");
    let entry = scenario("openai_ok").await;
    let setup = Setup::new("openai_ok", &entry, "fault=buffer_all:300");
    let before = frame_now();
    let result = stream(&setup.options).await;
    let after = frame_now();
    assert_outcome_and_text(&result, "complete", &entry);
    let flushes = setup.deltas().len() as u32;
    let deltas = get_f64(&result, "stats.deltas").unwrap() as u32;
    assert!(
        flushes <= after - before + 1,
        "{flushes} flushes in {} frames",
        after - before
    );
    assert!(
        flushes < deltas,
        "{flushes} flushes for {deltas} deltas: no batching"
    );
    setup.check_invariants(&result, true).await;
}

/// `flush: "immediate"` delivers every delta as it is decoded.
#[wasm_bindgen_test]
async fn flush_immediate() {
    let entry = scenario("openai_ok").await;
    let setup = Setup::new("openai_ok", &entry, "");
    set(&setup.options, "flush", "immediate");
    let result = stream(&setup.options).await;
    assert_outcome_and_text(&result, "complete", &entry);
    let deltas = get_f64(&result, "stats.deltas").unwrap() as usize;
    assert!(
        setup.deltas().len() >= deltas - 1,
        "{} flushes for {deltas} deltas",
        setup.deltas().len()
    );
    setup.check_invariants(&result, false).await;
}

/// `flush: { intervalMs }` flushes at most once per interval (plus the final flush).
#[wasm_bindgen_test]
async fn flush_interval() {
    let entry = scenario("openai_ok").await;
    let setup = Setup::new("openai_ok", &entry, "");
    let flush = js_sys::Object::new();
    set(&flush, "intervalMs", 200.0);
    set(&setup.options, "flush", flush);
    let result = stream(&setup.options).await;
    assert_outcome_and_text(&result, "complete", &entry);
    let duration = get_f64(&result, "stats.durationMs").unwrap();
    let max = (duration / 200.0).ceil() as usize + 2;
    assert!(
        setup.deltas().len() <= max,
        "{} flushes in {duration} ms",
        setup.deltas().len()
    );
    setup.check_invariants(&result, false).await;
}

/// `flush: { smooth }` reveals the same text, at most one flush per frame, and flushes the rest
/// at the end.
#[wasm_bindgen_test]
async fn flush_smooth_word_and_grapheme() {
    for unit in ["word", "grapheme"] {
        let entry = scenario("openai_ok").await;
        let setup = Setup::new("openai_ok", &entry, "");
        let flush = js_sys::Object::new();
        set(&flush, "smooth", unit);
        set(&setup.options, "flush", flush);
        let result = stream(&setup.options).await;
        assert_eq!(
            get_str(&result, "outcome").as_deref(),
            Some("complete"),
            "{unit}: {}",
            json(&result)
        );
        assert_eq!(
            get_str(&result, "text"),
            get_str(&entry, "expect.text"),
            "{unit}"
        );
        setup.check_invariants(&result, true).await;
    }
}

/// A 1 MiB stream (10083 chat chunks) delivered in 1-byte writes: exact text, every delta
/// counted, every byte counted, at most one flush per frame.
#[wasm_bindgen_test]
async fn one_mib_in_one_byte_chunks() {
    start_frames();
    let entry = scenario("web_1mb").await;
    let setup = Setup::new("web_1mb", &entry, "fault=rechunk:1");
    // Generous timers: this is about framing, not stalls, on a loaded machine.
    set(&setup.options, "idleTimeoutMs", 5000.0);
    set(&setup.options, "contentTimeoutMs", 10000.0);
    set(&setup.options, "totalTimeoutMs", 60000.0);
    let result = stream(&setup.options).await;
    assert_eq!(
        get_str(&result, "outcome").as_deref(),
        Some("complete"),
        "{}",
        get_str(&result, "error.message").unwrap_or_default()
    );
    assert_eq!(get_str(&result, "finishReason").as_deref(), Some("stop"));
    let text = get_str(&result, "text").unwrap();
    assert!(
        text == "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL".repeat(10083),
        "text differs ({} bytes)",
        text.len()
    );
    assert_eq!(get_f64(&result, "stats.deltas"), Some(10083.0));
    let record = request_record(&setup.id).await;
    let written = get_f64(&record, "bytesWritten").unwrap();
    let body = get_f64(&result, "stats.bytes").unwrap();
    assert!(
        body > 1_048_576.0 && body < written,
        "stats.bytes {body}, server wrote {written} (head included)"
    );
    setup.check_invariants(&result, true).await;
}

/// `flush: "immediate"` coalesces every delta of one read: ONE `onText` per body read that
/// carried text. buffer_all sends the 53 events of openai_ok in one write, so a read carries
/// many of them (reads counted by wrapping the reader's `read`).
#[wasm_bindgen_test]
async fn immediate_one_on_text_per_read() {
    let entry = scenario("openai_ok").await;
    let setup = Setup::new("openai_ok", &entry, "fault=buffer_all:100");
    set(&setup.options, "flush", "immediate");
    let reads = count_reads();
    let result = stream(&setup.options).await;
    call_method(&reads, "restore");
    assert_outcome_and_text(&result, "complete", &entry);
    let reads = get_f64(&reads, "reads").unwrap();
    let calls = setup.deltas().len() as f64;
    let deltas = get_f64(&result, "stats.deltas").unwrap();
    assert!(
        calls >= 1.0 && calls <= reads,
        "{calls} onText calls for {reads} reads"
    );
    assert!(
        reads < deltas,
        "{reads} reads for {deltas} deltas: the reads did not carry several events"
    );
    setup.check_invariants(&result, false).await;
}
