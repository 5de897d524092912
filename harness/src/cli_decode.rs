//! `decode`: reads a provider stream from stdin as it arrives (EOF is the end of the body),
//! prints one JSON line per decoded event (the serde form of [`StreamEvent`]) as soon as it is
//! decoded, and as the LAST line the outcome (`StreamResult::to_json`: `outcome`, `text`,
//! `finishReason`, `rawFinishReason`, `toolCalls`, `usage`, `error` = null or `{code, message,
//! provider, type, retryable, ...}`, `stats`). Reading stops at the provider's end (`End`); the final line is
//! printed in every case. Exit status 0 whatever the outcome (2 for a usage error).
use std::io::{ErrorKind, Read, Write};
use std::process::ExitCode;

use streamguard::sse::DEFAULT_MAX_EVENT_BYTES;
use streamguard::{Protocol, Stats, StreamDecoder, StreamEvent, StreamResult};

#[derive(clap::Args)]
pub struct Args {
    /// openai | openai-responses | anthropic | ollama | gemini | ai-sdk | sse | text | auto
    #[arg(long, default_value = "auto", value_parser = clap::builder::PossibleValuesParser::new(
        Protocol::ALL.map(Protocol::name)))]
    pub protocol: String,
    /// The response Content-Type, which `auto` (and `gemini`) use (e.g. `application/x-ndjson`).
    #[arg(long)]
    pub content_type: Option<String>,
    /// A response header `K:V` (repeatable), which `auto` uses (e.g.
    /// `x-vercel-ai-ui-message-stream:v1`).
    #[arg(long = "header", value_name = "K:V")]
    pub headers: Vec<String>,
    /// Cap on one line or event, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_EVENT_BYTES)]
    pub max_event_bytes: usize,
}

/// What the drain loop counts for the final stats.
#[derive(Default)]
struct Counts {
    deltas: u64,
    ended: bool,
}

/// Prints every pending event, one JSON line each, and flushes.
fn drain(decoder: &mut StreamDecoder, out: &mut impl Write, counts: &mut Counts) {
    while let Some(event) = decoder.next_event() {
        if event.is_content() {
            counts.deltas += 1;
        }
        if matches!(event, StreamEvent::End(_)) {
            counts.ended = true;
        }
        if let Ok(line) = serde_json::to_string(&event) {
            // A closed stdout is not our failure: keep decoding so the verdict stays right.
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = out.flush();
}

pub fn main(args: Args) -> ExitCode {
    let Some(protocol) = Protocol::from_name(&args.protocol) else {
        eprintln!("unknown protocol {:?}", args.protocol);
        return ExitCode::from(2);
    };
    let mut head: Vec<(&str, &str)> = Vec::new();
    for h in &args.headers {
        match h.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() => head.push((k.trim(), v.trim())),
            _ => {
                eprintln!("decode: --header wants K:V, not {h}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(ct) = &args.content_type {
        head.push(("content-type", ct));
    }
    let mut decoder = StreamDecoder::new(protocol, args.max_event_bytes);
    if !head.is_empty() {
        decoder.set_headers(&head);
    }
    let mut input = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    let mut buf = vec![0u8; 64 * 1024];
    let mut counts = Counts::default();
    let mut bytes = 0u64;
    while !counts.ended {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("reading stdin failed, treating it as the end of the body: {e}");
                break;
            }
        };
        let chunk = buf.get(..n).unwrap_or(&[]);
        bytes += chunk.len() as u64;
        decoder.feed(chunk);
        drain(&mut decoder, &mut out, &mut counts);
    }
    let verdict = decoder.finish();
    drain(&mut decoder, &mut out, &mut counts);
    let stats = Stats {
        bytes,
        events: decoder.frames(),
        keep_alives: decoder.keep_alives(),
        deltas: counts.deltas,
        ..Stats::default()
    };
    let outcome = StreamResult::new(decoder.take_reply(), verdict, stats);
    let _ = writeln!(out, "{}", outcome.to_json());
    let _ = out.flush();
    ExitCode::SUCCESS
}
