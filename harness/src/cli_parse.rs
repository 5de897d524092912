//! `parse`: frame raw bytes from stdin as they arrive and print one JSON object per line.
//!
//! - `--format sse`: `{"type":..,"data":..,"lastEventId":..}` per dispatched event and
//!   `{"retry":N}` per valid `retry` field, in stream order. Comments print nothing.
//! - `--format ndjson`: `{"line":..}` per non-blank line. An unterminated final fragment is
//!   printed as a line too (it is what a decoder would get from `finish()`), and noted on stderr.
//!
//! Nothing else goes to stdout. Diagnostics (an over-cap event, an unterminated stream, a read
//! error, an unknown format) go to stderr. The exit code is 0 on any input.
//!
//! Stdin is read with a plain blocking `read` that returns whatever is available, and stdout is
//! flushed after each read's items, so output appears while the input is still open.
use std::io::{Read, Write};
use std::process::ExitCode;

use serde::Serialize;
use streamguard::ndjson::NdjsonSplitter;
use streamguard::sse::{Item, SseParser};
use streamguard::FrameError;

#[derive(clap::Args)]
pub struct Args {
    /// `sse` or `ndjson`.
    #[arg(long, default_value = "sse")]
    pub format: String,
}

/// One dispatched event, with exactly these keys in this order.
#[derive(Serialize)]
struct EventOut<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    data: &'a str,
    #[serde(rename = "lastEventId")]
    last_event_id: &'a str,
}

#[derive(Serialize)]
struct RetryOut {
    retry: u64,
}

#[derive(Serialize)]
struct LineOut<'a> {
    line: &'a str,
}

/// The two framers behind one small interface.
enum Framer {
    Sse(SseParser),
    Ndjson(NdjsonSplitter),
}

/// Writes one JSON object and a newline. A write error (closed stdout) is returned so the
/// loop can stop reading.
fn emit(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::other)?;
    out.write_all(b"\n")
}

fn report_frame_error(e: FrameError) {
    eprintln!("parse: event_too_large: {e}; the event was dropped");
}

impl Framer {
    fn feed(&mut self, bytes: &[u8]) {
        match self {
            Framer::Sse(p) => p.feed(bytes),
            Framer::Ndjson(s) => s.feed(bytes),
        }
    }

    /// Prints every queued item.
    fn drain(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        match self {
            Framer::Sse(p) => {
                while let Some(item) = p.next_event() {
                    match item {
                        Ok(Item::Event(e)) => emit(
                            out,
                            &EventOut {
                                event_type: &e.event_type,
                                data: &e.data,
                                last_event_id: &e.last_event_id,
                            },
                        )?,
                        Ok(Item::Retry(ms)) => emit(out, &RetryOut { retry: ms })?,
                        Ok(Item::Comment) => {}
                        Err(e) => report_frame_error(e),
                    }
                }
            }
            Framer::Ndjson(s) => {
                while let Some(line) = s.next_line() {
                    match line {
                        Ok(line) => emit(out, &LineOut { line: &line })?,
                        Err(e) => report_frame_error(e),
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends the stream: prints what is left and says on stderr if it was unterminated.
    fn finish(&mut self, out: &mut impl Write) -> std::io::Result<()> {
        match self {
            Framer::Sse(p) => {
                let eof = p.finish();
                self.drain(out)?;
                if eof.unterminated {
                    eprintln!(
                        "parse: the stream ended inside an event (no blank line after its last \
                         field); that event was not dispatched"
                    );
                }
            }
            Framer::Ndjson(s) => {
                let tail = s.finish();
                self.drain(out)?;
                if let Some(line) = tail {
                    eprintln!("parse: the stream ended without a final line feed");
                    emit(out, &LineOut { line: &line })?;
                }
            }
        }
        Ok(())
    }
}

pub fn main(args: Args) -> ExitCode {
    let mut framer = match args.format.as_str() {
        "sse" => Framer::Sse(SseParser::new()),
        "ndjson" => Framer::Ndjson(NdjsonSplitter::new()),
        other => {
            eprintln!("parse: unknown --format {other:?} (expected sse or ndjson); nothing parsed");
            return ExitCode::SUCCESS;
        }
    };
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("parse: reading stdin failed: {e}; treating it as the end of input");
                break;
            }
        };
        framer.feed(buf.get(..n).unwrap_or_default());
        if let Err(e) = framer.drain(&mut out).and_then(|()| out.flush()) {
            eprintln!("parse: writing stdout failed: {e}; stopping");
            return ExitCode::SUCCESS;
        }
    }
    if let Err(e) = framer.finish(&mut out).and_then(|()| out.flush()) {
        eprintln!("parse: writing stdout failed: {e}");
    }
    ExitCode::SUCCESS
}
