//! Differential: every provider decoder, fed whole and in chunks, must produce the same events,
//! the same reply and the same verdict (a plain-text body's text comes out per chunk: there the
//! text events are compared joined, the other events in order). Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use streamguard::{Protocol, Reply, StreamDecoder, StreamError, StreamEvent};

const PROTOCOLS: [Protocol; 9] = Protocol::ALL;
const CONTENT_TYPES: [&str; 5] = [
    "text/event-stream",
    "application/x-ndjson",
    "",
    "application/json",
    "text/plain",
];

/// The events, with a plain-text body's text events joined into one, first.
fn comparable(events: &[StreamEvent], resolved: Protocol) -> Vec<StreamEvent> {
    if resolved != Protocol::Text {
        return events.to_vec();
    }
    let mut text = String::new();
    let mut rest = Vec::new();
    for e in events {
        match e {
            StreamEvent::Text { text: t } => text.push_str(t),
            other => rest.push(other.clone()),
        }
    }
    let mut out = vec![StreamEvent::Text { text }];
    out.extend(rest);
    out
}

fn run(
    protocol: Protocol,
    content_type: &str,
    chunks: &[&[u8]],
) -> (Vec<StreamEvent>, Option<StreamError>, Reply) {
    let mut decoder = StreamDecoder::new(protocol, 4096);
    if !content_type.is_empty() {
        decoder.set_content_type(content_type);
    }
    let mut events = Vec::new();
    for chunk in chunks {
        decoder.feed(chunk);
        while let Some(event) = decoder.next_event() {
            events.push(event);
        }
    }
    let verdict = decoder.finish();
    while let Some(event) = decoder.next_event() {
        events.push(event);
    }
    let events = comparable(&events, decoder.protocol());
    (events, verdict, decoder.take_reply())
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let protocol = PROTOCOLS[usize::from(control) % PROTOCOLS.len()];
    let content_type = CONTENT_TYPES[usize::from(control >> 3) % CONTENT_TYPES.len()];
    let step = usize::from(control >> 5) * 3 + 1;
    let chunks: Vec<&[u8]> = body.chunks(step).collect();
    let whole = run(protocol, content_type, &[body]);
    let split = run(protocol, content_type, &chunks);
    assert_eq!(whole, split);
    // The reply's text is exactly the text events, in order.
    let text: String = whole
        .0
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, whole.2.text);
});
