//! Every decoder fixture (`tests/fixtures/decode/<provider>/<name>.*` with
//! `<name>.expected.json`) checked under every chunking, and cut at every byte offset.

mod support;

use streamguard::{ErrorCode, Protocol, StreamEvent};
use support::chunking::{one_byte_at_a_time, standard_chunkings};
use support::decode::{check_expected, comparable_events, load_fixtures, run_fixture, Fixture};

#[test]
fn every_fixture_gives_its_expected_outcome_under_every_chunking() {
    for fx in load_fixtures() {
        let whole = run_fixture(&fx, &[&fx.body]);
        check_expected(&fx, &whole, "whole");
        for (label, chunks) in standard_chunkings(&fx.body) {
            let run = run_fixture(&fx, &chunks);
            check_expected(&fx, &run, &label);
            assert_eq!(
                comparable_events(&run),
                comparable_events(&whole),
                "{} [{label}]: events differ",
                fx.name
            );
            assert_eq!(run.frames, whole.frames, "{} [{label}]: frames", fx.name);
        }
    }
}

/// The first point (bytes fed, one byte at a time) where an event matching `pred` came out.
fn first_fed_at(fx: &Fixture, pred: impl Fn(&StreamEvent) -> bool) -> Option<usize> {
    let run = run_fixture(fx, &one_byte_at_a_time(&fx.body));
    run.events
        .iter()
        .zip(&run.fed_at)
        .find(|(e, _)| pred(e))
        .map(|(_, &at)| at)
}

/// Only line-end bytes between `from` and `to`: an NDJSON line cut there is still whole.
fn only_line_ends(body: &[u8], from: usize, to: usize) -> bool {
    body.get(from..to)
        .is_some_and(|b| b.iter().all(|c| matches!(c, b'\r' | b'\n')))
}

#[test]
fn a_cut_at_any_byte_is_never_complete_before_the_end_signal_and_never_panics() {
    for fx in load_fixtures() {
        let full = run_fixture(&fx, &[&fx.body]);
        // Where the oracle's signals became available when fed one byte at a time.
        let finish_at = first_fed_at(&fx, |e| {
            matches!(e, StreamEvent::Finish { .. } | StreamEvent::End(None))
        });
        let error_at = first_fed_at(&fx, |e| matches!(e, StreamEvent::End(Some(_))));
        let full_code = full.verdict.as_ref().map(|e| e.code);
        let raw = matches!(full.resolved, Protocol::Sse | Protocol::Text);
        for cut in 0..=fx.body.len() {
            let prefix = &fx.body[..cut];
            let run = run_fixture(&fx, &[prefix]);
            let label = format!("{} cut at {cut}", fx.name);
            // Plain text cut inside a code point ends with U+FFFD for it (as `TextDecoder`).
            let text = match run.outcome.text.strip_suffix('\u{FFFD}') {
                Some(t) if full.resolved == Protocol::Text && cut < fx.body.len() => t,
                _ => run.outcome.text.as_str(),
            };
            assert!(
                full.outcome.text.starts_with(text),
                "{label}: text {:?} is not a prefix of {:?}",
                run.outcome.text,
                full.outcome.text
            );
            if raw {
                // No end signal: only the text can be checked (plain text comes out per chunk).
                continue;
            }
            assert!(
                full.events.starts_with(&run.events),
                "{label}: events are not a prefix of the full run's\n{:?}",
                run.events
            );
            let reached = |at: Option<usize>, whole_line_counts: bool| match at {
                Some(at) if cut >= at => true,
                Some(at) => whole_line_counts && fx.ndjson && only_line_ends(&fx.body, cut, at),
                None => false,
            };
            let code = run.verdict.as_ref().map(|e| e.code);
            if reached(error_at, full_code != Some(ErrorCode::InvalidJson)) {
                assert_eq!(code, full_code, "{label}: the error was received");
            } else if reached(finish_at, true) {
                assert_eq!(code, None, "{label}: the finish signal was received");
            } else {
                assert_eq!(
                    code,
                    Some(ErrorCode::Truncated),
                    "{label}: no end signal was received: {:?}",
                    run.verdict
                );
            }
        }
    }
}

#[test]
fn terminators_and_provider_errors_end_the_stream_without_waiting_for_the_close() {
    for fx in load_fixtures() {
        let mut d = streamguard::StreamDecoder::new(fx.protocol, 1 << 20);
        let head: Vec<(&str, &str)> = fx
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        d.set_headers(&head);
        d.feed(&fx.body);
        let mut last = None;
        while let Some(e) = d.next_event() {
            last = Some(e);
        }
        let outcome = fx.expected["outcome"].as_str().unwrap_or("");
        let has_terminator = !fx.name.ends_with("no_done")
            && !fx.name.ends_with("delta_no_stop")
            && !fx.name.ends_with("finish_no_done")
            && fx.expected["terminator"].as_bool() != Some(false)
            && !matches!(fx.protocol, Protocol::Sse | Protocol::Text)
            && !matches!(fx.expected["resolved"].as_str(), Some("sse" | "text"));
        match outcome {
            "provider_error" | "protocol_error" => assert!(
                matches!(&last, Some(StreamEvent::End(Some(e))) if e.code.outcome().code() == outcome),
                "{}: last event before close {last:?}",
                fx.name
            ),
            // A Gemini array closed without a finishReason: truncated at the `]`.
            "truncated" if fx.expected["terminator"].as_bool() == Some(true) => assert!(
                matches!(&last, Some(StreamEvent::End(Some(e))) if e.code.outcome().code() == outcome),
                "{}: last event before close {last:?}",
                fx.name
            ),
            "complete" if has_terminator => assert_eq!(
                last,
                Some(StreamEvent::End(None)),
                "{}: last event before close",
                fx.name
            ),
            _ => assert!(
                !matches!(last, Some(StreamEvent::End(_))),
                "{}: ended before close: {last:?}",
                fx.name
            ),
        }
        // After End, more input changes nothing.
        if matches!(last, Some(StreamEvent::End(_))) {
            let reply = d.reply().clone();
            d.feed(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"late\"}}]}\n\n");
            d.feed(b"{\"response\":\"late\",\"done\":false}\n");
            assert_eq!(d.next_event(), None, "{}", fx.name);
            assert_eq!(d.reply(), &reply, "{}", fx.name);
        }
    }
}
