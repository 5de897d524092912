//! `probe URL`: the native client against any endpoint (a real model server or another mock).
//!
//! Progress and text go to stderr as they arrive; the LAST stdout line is the result as one
//! JSON object with the JS API's field names (`outcome`, `text`, `finishReason`,
//! `rawFinishReason`, `error` with `error.phase` for stalls, `stats`). Exit 0 whatever the outcome (non-zero only for bad
//! arguments).
use std::io::Write;
use std::process::ExitCode;

use bytes::Bytes;
use streamguard::{Config, FlushMode, Output, Protocol, RetryPolicy};
use tokio::runtime::Builder;

use crate::client::{self, Options, RequestSpec};
use crate::net::TlsArgs;

#[derive(clap::Args)]
pub struct Args {
    /// The endpoint, `http://` or `https://` (HTTP/1.1 only).
    pub url: String,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// openai | openai-responses | anthropic | ollama | gemini | ai-sdk | sse | text | auto
    #[arg(long, default_value = "auto", value_parser = clap::builder::PossibleValuesParser::new(
        Protocol::ALL.map(Protocol::name)))]
    pub protocol: String,
    /// The HTTP method (default: POST with --body, else GET).
    #[arg(long)]
    pub method: Option<String>,
    /// A request header `K:V` (repeatable).
    #[arg(long = "header", value_name = "K:V")]
    pub headers: Vec<String>,
    /// The request body (`@FILE` reads a file). Sets content-type: application/json unless given.
    #[arg(long)]
    pub body: Option<String>,
    /// First-byte timeout (0 = off; default: the library's).
    #[arg(long)]
    pub first_byte_timeout_ms: Option<u64>,
    /// Idle timeout (0 = off).
    #[arg(long)]
    pub idle_timeout_ms: Option<u64>,
    /// Content timeout (0 = off).
    #[arg(long)]
    pub content_timeout_ms: Option<u64>,
    /// Total timeout (0 = off).
    #[arg(long)]
    pub total_timeout_ms: Option<u64>,
    /// frame (default) | immediate | interval:MS
    #[arg(long, default_value = "frame")]
    pub flush: String,
    /// Attempts in all: retries before any content (as the library's retry policy), and SSE
    /// resumes with --resume. Default 1 (none).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_attempts: u32,
    /// Raw SSE over GET (`--protocol sse`): after a reset, a cut or an idle stall, reconnect with
    /// `Last-Event-ID` after the stream's `retry:` value and continue the same text. Needs
    /// --max-attempts 2 or more.
    #[arg(long)]
    pub resume: bool,
    /// Do not echo the text on stderr.
    #[arg(long)]
    pub quiet: bool,
}

fn parse_flush(s: &str) -> Result<FlushMode, String> {
    match s {
        "frame" => Ok(FlushMode::Frame),
        "immediate" => Ok(FlushMode::Immediate),
        _ => match s.strip_prefix("interval:").map(str::parse::<u64>) {
            Some(Ok(ms)) => Ok(FlushMode::Interval { ms }),
            _ => Err(format!("--flush: frame, immediate or interval:MS, not {s}")),
        },
    }
}

pub fn main(args: Args) -> ExitCode {
    let Some(protocol) = Protocol::from_name(&args.protocol) else {
        eprintln!("probe: unknown protocol {}", args.protocol);
        return ExitCode::from(2);
    };
    let flush = match parse_flush(&args.flush) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("probe: {e}");
            return ExitCode::from(2);
        }
    };
    let tls = match args.tls.tls() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("probe: {e}");
            return ExitCode::from(2);
        }
    };
    let mut headers = Vec::new();
    for h in &args.headers {
        match h.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() => {
                headers.push((k.trim().to_owned(), v.trim().to_owned()))
            }
            _ => {
                eprintln!("probe: --header wants K:V, not {h}");
                return ExitCode::from(2);
            }
        }
    }
    let body = match &args.body {
        Some(b) => match b.strip_prefix('@') {
            Some(path) => match std::fs::read(path) {
                Ok(bytes) => Some(Bytes::from(bytes)),
                Err(e) => {
                    eprintln!("probe: {path}: {e}");
                    return ExitCode::from(2);
                }
            },
            None => Some(Bytes::from(b.clone())),
        },
        None => None,
    };
    if body.is_some()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("content-type".into(), "application/json".into()));
    }
    let method = args
        .method
        .clone()
        .unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.to_owned());
    let d = Config::default();
    let config = Config {
        protocol,
        first_byte_timeout_ms: args
            .first_byte_timeout_ms
            .unwrap_or(d.first_byte_timeout_ms),
        idle_timeout_ms: args.idle_timeout_ms.unwrap_or(d.idle_timeout_ms),
        content_timeout_ms: args.content_timeout_ms.unwrap_or(d.content_timeout_ms),
        total_timeout_ms: args.total_timeout_ms.unwrap_or(d.total_timeout_ms),
        flush,
        ..d
    };
    let spec = RequestSpec {
        url: args.url.clone(),
        method,
        headers,
        body,
        tls,
    };
    if args.resume && (protocol != Protocol::Sse || !spec.method.eq_ignore_ascii_case("GET")) {
        eprintln!("probe: --resume is for raw SSE over GET (--protocol sse, no --body)");
        return ExitCode::from(2);
    }
    let Some(rt) = crate::runtime("probe", &mut Builder::new_current_thread()) else {
        return ExitCode::from(2);
    };
    let quiet = args.quiet;
    eprintln!("probe: {} {} ({})", spec.method, spec.url, args.protocol);
    let mut opts = Options::new(config);
    opts.retry = RetryPolicy {
        max_attempts: args.max_attempts,
        resume: args.resume,
        ..RetryPolicy::default()
    };
    let report = rt.block_on(client::stream(spec, opts, |out| {
        if quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        match out {
            Output::Text(t) => {
                let _ = write!(err, "{t}");
            }
            Output::AbortRequest => {
                let _ = writeln!(err, "\nprobe: aborting the request");
            }
            Output::Finished(o) => {
                let _ = writeln!(err, "\nprobe: {}", o.outcome.code());
            }
            Output::Event(_) | Output::Connect { .. } => {}
        }
        let _ = err.flush();
    }));
    if report.attempts.len() > 1 {
        for (i, a) in report.attempts.iter().enumerate() {
            let id = match &a.last_event_id {
                Some(id) => format!(", Last-Event-ID: {id}"),
                None => String::new(),
            };
            eprintln!(
                "probe: attempt {} at {} ms{id}: {} at {} ms",
                i + 1,
                a.started_ms,
                a.outcome,
                a.finished_ms
            );
        }
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", report.outcome.to_json());
    let _ = out.flush();
    ExitCode::SUCCESS
}
