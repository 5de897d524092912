//! `proxy`: the harness in front of a real endpoint. Forwards every request to `--upstream`
//! and streams the response back through the harness's faults (the same ones, and the same
//! `--fault` syntax, as the mock's `?fault=`), so a team can watch its own frontend against its
//! own model server misbehaving on purpose.
//!
//! - Streams through: each upstream read is forwarded as soon as it arrives (no fault that
//!   needs event boundaries: chunk by chunk; with `stall_after`, `drop_terminator` or
//!   `line_endings`: event by event, an unfinished event waits for its blank line).
//! - `buffer_all` collects the whole upstream body first (that is the fault).
//! - `inject_pings` also pings while the upstream is silent.
//! - The client's close closes the upstream connection.
//! - Responses say `Connection: close` and end when the body ends (the harness's default
//!   framing), with CORS headers, so browser pages on other origins can use the proxy.
//! - The upstream may be `http://` or `https://` (TLS through [`crate::net`]: Mozilla's roots
//!   plus `--ca-file`; HTTP/1.1 only).
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Builder;

use crate::faults::FaultConfig;
use crate::net::{Tls, UpstreamArgs, Url};
use crate::plan::{Action, Plan};
use crate::server::http;

pub(crate) mod pipeline;
pub(crate) mod split;
pub(crate) mod upstream;

use pipeline::Pipeline;
use split::{Mode, Splitter};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub upstream: UpstreamArgs,
    /// The address to listen on (the bound URL is the first stdout line).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    /// A fault applied to every response, in order: the `?fault=` shorthand (`stall_after:3`,
    /// `drop_terminator`, `rechunk:7`, `split_utf8`, `inject_pings:200`, `reset_after:1000`,
    /// ...) or a JSON object. Repeatable.
    #[arg(long = "fault", value_name = "FAULT")]
    pub faults: Vec<String>,
    /// The seed of the faults' random choices (default: random, logged on stderr).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Do not log requests on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// The proxy's settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub upstream: Url,
    pub tls: Tls,
    pub faults: Vec<FaultConfig>,
    pub seed: u64,
    pub log: bool,
}

pub fn main(args: Args) -> ExitCode {
    let (upstream, tls) = match args.upstream.open() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("proxy: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut faults = Vec::new();
    for f in &args.faults {
        match FaultConfig::parse_short(f) {
            Ok(f) => faults.push(f),
            Err(e) => {
                eprintln!("proxy: --fault: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let seed = args.seed.unwrap_or_else(rand::random);
    let config = Arc::new(Config {
        upstream,
        tls,
        faults,
        seed,
        log: !args.quiet,
    });
    let Some(rt) = crate::runtime("proxy", Builder::new_multi_thread().worker_threads(2)) else {
        return ExitCode::FAILURE;
    };
    rt.block_on(async move {
        let listener = match TcpListener::bind(&args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("proxy: bind {}: {e}", args.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("proxy: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout();
        let _ = writeln!(out, "http://{addr}");
        let _ = out.flush();
        let names: Vec<&str> = config.faults.iter().map(FaultConfig::name).collect();
        eprintln!(
            "proxy: -> {} faults {:?}, seed {seed} (replay with --seed {seed})",
            args.upstream.url, names
        );
        tokio::select! {
            _ = accept_loop(listener, config) => {}
            _ = tokio::signal::ctrl_c() => eprintln!("proxy: shutting down"),
        }
        ExitCode::SUCCESS
    })
}

async fn accept_loop(listener: TcpListener, config: Arc<Config>) {
    let mut n: u64 = 0;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                n += 1;
                // Each connection's faults get their own seed derived from the run's, so
                // concurrent requests replay independently.
                let seed = config.seed.wrapping_add(n - 1);
                tokio::spawn(handle(stream, config.clone(), seed, n));
            }
            Err(e) => {
                if config.log {
                    eprintln!("proxy: accept: {e}");
                }
            }
        }
    }
}

async fn handle(mut stream: TcpStream, config: Arc<Config>, seed: u64, n: u64) {
    let req = match tokio::time::timeout(Duration::from_secs(30), http::read_request(&mut stream))
        .await
    {
        Ok(Ok(Some(r))) => r,
        _ => return,
    };
    if req.method == "OPTIONS" {
        let _ = stream.write_all(&http::preflight(&req)).await;
        let _ = stream.shutdown().await;
        return;
    }
    let prefix = config.upstream.target.trim_end_matches('/');
    let prefix = prefix.split('?').next().unwrap_or("");
    let target = format!("{prefix}{}", upstream::target(&req.path, &req.query));
    let url = Url {
        target: target.clone(),
        ..config.upstream.clone()
    };
    let resp = match upstream::send(
        &url,
        &config.tls,
        &req.method,
        &req.headers,
        req.body.clone(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => {
            if config.log {
                eprintln!("proxy: r{n} {} {target}: {e}", req.method);
            }
            let body = serde_json::json!({"error": {"message": e, "type": "upstream_unreachable"}});
            let _ = stream.write_all(&http::json(502, &body)).await;
            let _ = stream.shutdown().await;
            return;
        }
    };
    if config.log {
        eprintln!(
            "proxy: r{n} {} {target} -> {} {} (seed {seed})",
            req.method,
            resp.status,
            resp.header("content-type").unwrap_or("-")
        );
    }
    let (rd, wr) = stream.into_split();
    let pipeline = Pipeline::new(config.faults.clone(), seed);
    // The client's close (a read of 0 or an error) ends everything: dropping the upstream
    // response closes the upstream connection.
    tokio::select! {
        _ = client_closed(rd) => {}
        _ = forward(resp, wr, pipeline) => {}
    }
}

async fn client_closed(mut rd: OwnedReadHalf) {
    let mut buf = [0u8; 1024];
    loop {
        match rd.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// The response head sent to the client: the upstream's status and end-to-end headers.
fn head(resp: &upstream::Response) -> Vec<u8> {
    let headers: Vec<(String, String)> = resp
        .headers
        .iter()
        .filter(|(k, _)| !upstream::is_hop_by_hop(k))
        .cloned()
        .collect();
    http::head(resp.status, &headers)
}

/// What the executor did with a segment.
enum Flow {
    Open,
    Ended,
    /// Linger 0 is set: the socket must be closed without a FIN first.
    Reset,
}

/// Performs a segment's actions on the client socket.
async fn run(wr: &mut OwnedWriteHalf, head: &[u8], plan: &Plan) -> std::io::Result<Flow> {
    for action in plan {
        match action {
            Action::Head => wr.write_all(head).await?,
            Action::Write { bytes, .. } => wr.write_all(bytes).await?,
            Action::Wait(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
            Action::Stall => std::future::pending::<()>().await,
            Action::Close | Action::Hangup => {
                wr.shutdown().await?;
                return Ok(Flow::Ended);
            }
            Action::Reset => {
                let _ = socket2::SockRef::from(wr.as_ref()).set_linger(Some(Duration::ZERO));
                return Ok(Flow::Reset);
            }
        }
    }
    Ok(Flow::Open)
}

async fn forward(mut resp: upstream::Response, mut wr: OwnedWriteHalf, mut pipeline: Pipeline) {
    let _ = wr.as_ref().set_nodelay(true);
    let head = head(&resp);
    let mode = if pipeline.needs_events() {
        Mode::from_content_type(resp.header("content-type"))
    } else {
        Mode::Raw
    };
    let mut splitter = Splitter::new(mode);
    let whole = pipeline.whole();
    let keepalive = pipeline.keepalive();
    let mut collected: Plan = Vec::new();
    let mut segment: Plan = vec![Action::Head];
    loop {
        let mut ended = false;
        if !whole {
            let out = pipeline.segment(std::mem::take(&mut segment));
            match run(&mut wr, &head, &out).await {
                Ok(Flow::Open) => {}
                Ok(Flow::Reset) => return reset(wr),
                Ok(Flow::Ended) | Err(_) => return,
            }
        }
        let silence = keepalive
            .as_ref()
            .map(|(ms, _)| Duration::from_millis(*ms))
            .unwrap_or(Duration::MAX);
        let next = tokio::time::timeout(silence, resp.body.frame()).await;
        match next {
            Err(_) => {
                // The upstream was silent for a whole ping period.
                if let Some((_, ping)) = &keepalive {
                    segment.push(ping.clone());
                }
            }
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    for (bytes, tag) in splitter.push(&data) {
                        segment.push(Action::Write { bytes, tag });
                    }
                }
            }
            Ok(None) => {
                push_rest(&mut splitter, &mut segment);
                segment.push(Action::Close);
                ended = true;
            }
            Ok(Some(Err(_))) => {
                // The upstream connection broke: so does the client's, without a clean end.
                push_rest(&mut splitter, &mut segment);
                segment.push(Action::Hangup);
                ended = true;
            }
        }
        if whole {
            collected.append(&mut segment);
            if ended {
                let out = pipeline.all(std::mem::take(&mut collected));
                if let Ok(Flow::Reset) = run(&mut wr, &head, &out).await {
                    reset(wr);
                }
                return;
            }
        } else if ended {
            let out = pipeline.segment(std::mem::take(&mut segment));
            if let Ok(Flow::Reset) = run(&mut wr, &head, &out).await {
                reset(wr);
            }
            return;
        }
    }
}

/// Drops the write half without the FIN its drop would send: the socket closes (with linger
/// 0, so with a RST) when the read half goes too.
fn reset(wr: OwnedWriteHalf) {
    wr.forget();
}

fn push_rest(splitter: &mut Splitter, segment: &mut Plan) {
    if let Some((bytes, tag)) = splitter.finish() {
        segment.push(Action::Write { bytes, tag });
    }
}
