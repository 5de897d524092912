//! `load`: N concurrent streams of a scenario that writes every 20 ms, from the harness's own
//! load client over loopback, to a `serve` child process (and, `--through proxy`, through a
//! `proxy` child in front of it), with the figures: every stream's bytes exact, connect and
//! head times, the server's write lateness against its plan (its own stats), the client's
//! arrival lateness, and per child process CPU time, resident memory (before, peak, after) and
//! file descriptors (before and after, once every connection is closed).
//!
//! The server and the proxy run as child processes so that their CPU, memory and descriptors
//! are theirs alone; the soft limit of open files is raised to the hard limit first (children
//! inherit it). Exit 1 if a stream was not exact.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rand::rngs::SmallRng;
use rand::SeedableRng;
use tokio::runtime::Builder;

use crate::net;
use crate::scenario::Scenario;

mod client;
mod procfs;

use client::Expected;
use procfs::{load_average, mib, usage, Usage};

#[derive(clap::Args)]
pub struct Args {
    /// Concurrent streams, one measurement each (comma-separated).
    #[arg(long, default_value = "100,1000,5000", value_delimiter = ',')]
    pub streams: Vec<usize>,
    /// How long each stream lasts (one write every `--gap-ms`).
    #[arg(long, default_value_t = 3000, value_name = "MS")]
    pub duration_ms: u64,
    /// The gap between two writes of a stream.
    #[arg(long, default_value_t = 20, value_name = "MS")]
    pub gap_ms: u64,
    /// `direct` (client to server) and/or `proxy` (client to proxy to server).
    #[arg(long, default_value = "direct,proxy", value_delimiter = ',')]
    pub through: Vec<String>,
    /// Repeat every measurement this many times.
    #[arg(long, default_value_t = 1)]
    pub runs: usize,
    /// Worker threads of the load client's runtime.
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
}

/// The load scenario: OpenAI chunks, one every `gap_ms`, for `duration_ms`.
fn scenario_toml(duration_ms: u64, gap_ms: u64) -> String {
    let n = (duration_ms / gap_ms.max(1)).max(1);
    let tokens: Vec<String> = (0..n).map(|i| format!("\"tok{i} \"")).collect();
    format!(
        "name = \"load\"\ndescription = \"Load: {n} chat chunks {gap_ms} ms apart.\"\n\
         protocol = \"openai\"\n[[steps]]\ndo = \"start\"\n[[steps]]\ndo = \"tokens\"\n\
         tokens = [{}]\ngap_ms = {gap_ms}\n[[steps]]\ndo = \"finish\"\n[[steps]]\ndo = \"done\"\n\
         [expect]\noutcome = \"complete\"\nfinish_reason = \"stop\"\n",
        tokens.join(", ")
    )
}

/// A child harness process (killed on drop) and the URL it printed first.
struct Proc {
    child: Child,
    url: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    fn start(args: &[&str]) -> Result<Proc, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut child = Command::new(exe)
            .args(args)
            .arg("--quiet")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("spawn {args:?}: {e}"))?;
        let out = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(out)
            .read_line(&mut line)
            .map_err(|e| format!("{args:?}: {e}"))?;
        let url = line.trim().to_owned();
        if !url.starts_with("http://") {
            let _ = child.kill();
            return Err(format!("{args:?} printed {url:?}"));
        }
        Ok(Proc { child, url })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// One measurement's figures.
struct Figures {
    streams: usize,
    exact: usize,
    errors: Vec<String>,
    connect_max: Duration,
    connect_p99: Duration,
    head_max: Duration,
    client_late: Histogram<u64>,
    server_late: serde_json::Value,
    elapsed: Duration,
    procs: Vec<(&'static str, Usage, Usage)>,
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn quantile_ms(h: &Histogram<u64>, q: f64) -> String {
    format!("{:.1}", h.value_at_quantile(q) as f64 / 1000.0)
}

impl Figures {
    fn print(&self) {
        println!(
            "  bytes exact: {}/{}; connect max {} ms (p99 {}); head max {} ms; wall {:.1} s",
            self.exact,
            self.streams,
            ms(self.connect_max),
            ms(self.connect_p99),
            ms(self.head_max),
            self.elapsed.as_secs_f64()
        );
        let s = &self.server_late;
        println!(
            "  server write lateness: p50 {} p99 {} max {} ms ({} timed writes)",
            s["p50"], s["p99"], s["max"], s["count"]
        );
        println!(
            "  client arrival lateness: p50 {} p99 {} max {:.1} ms ({} writes)",
            quantile_ms(&self.client_late, 0.5),
            quantile_ms(&self.client_late, 0.99),
            self.client_late.max() as f64 / 1000.0,
            self.client_late.len()
        );
        for (name, before, after) in &self.procs {
            let cpu = match (before.cpu, after.cpu) {
                (Some(b), Some(a)) => format!("{:.2} s", a.saturating_sub(b).as_secs_f64()),
                _ => "n/a".into(),
            };
            let fds = |u: &Usage| u.fds.map_or("n/a".into(), |f| f.to_string());
            println!(
                "  {name}: cpu {cpu}, rss {} -> peak {} -> {} MiB, fds {} -> {}",
                mib(before.rss),
                mib(after.peak_rss),
                mib(after.rss),
                fds(before),
                fds(after)
            );
        }
        for e in self.errors.iter().take(5) {
            println!("  error: {e}");
        }
    }
}

pub fn main(args: Args) -> ExitCode {
    let limit = crate::raise_nofile_limit();
    let dir = std::env::temp_dir().join(format!("sg-load-{}", std::process::id()));
    let toml = scenario_toml(args.duration_ms, args.gap_ms);
    let setup = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("load.toml"), &toml))
        .map_err(|e| format!("{}: {e}", dir.display()));
    let sc = setup.and_then(|()| Scenario::parse(&toml, false));
    let sc = match sc {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let plan = sc.plan_for(&[], &mut SmallRng::seed_from_u64(1), None);
    let want = Arc::new(Expected::from_plan(&plan));
    let mut rt = Builder::new_multi_thread();
    rt.worker_threads(args.client_threads.max(1));
    let Some(rt) = crate::runtime("load", &mut rt) else {
        return ExitCode::FAILURE;
    };
    println!(
        "load: {} writes per stream, {} ms apart ({} body bytes); open files limit {}",
        want.writes.len(),
        args.gap_ms,
        want.body.len(),
        limit.map_or("n/a".into(), |l| l.to_string())
    );
    let mut all_exact = true;
    for through in &args.through {
        for &n in &args.streams {
            for run in 1..=args.runs {
                println!(
                    "load: {through}, {n} streams, run {run}/{}, load average {}",
                    args.runs,
                    load_average()
                );
                match measure(&rt, &dir, through, n, &want) {
                    Ok(f) => {
                        f.print();
                        all_exact &= f.exact == f.streams;
                    }
                    Err(e) => {
                        println!("  failed: {e}");
                        all_exact = false;
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if all_exact {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Waits (up to 10 s) until `pid` has at most `fds` descriptors open (at once without a
/// target); returns its usage then.
fn settle_fds(pid: u32, fds: Option<usize>) -> Usage {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let u = usage(pid);
        let settled = match (u.fds, fds) {
            (Some(now), Some(target)) => now <= target,
            _ => true,
        };
        if settled || Instant::now() > deadline {
            return u;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn measure(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    through: &str,
    n: usize,
    want: &Arc<Expected>,
) -> Result<Figures, String> {
    let dir: PathBuf = dir.to_owned();
    let dir = dir.to_str().ok_or("temp dir is not UTF-8")?;
    let server = Proc::start(&["serve", "--port", "0", "--seed", "1", "--scenarios", dir])?;
    let proxy = match through {
        "direct" => None,
        "proxy" => Some(Proc::start(&[
            "proxy",
            "--upstream",
            &server.url,
            "--seed",
            "1",
        ])?),
        other => return Err(format!("--through {other}: direct or proxy")),
    };
    let front = proxy.as_ref().map_or(server.url.clone(), |p| p.url.clone());
    let addr = front.trim_start_matches("http://").to_owned();
    let request = |id: &str| {
        Arc::new(
            format!(
                "POST /scenarios/load?request_id={id} HTTP/1.1\r\nHost: {addr}\r\n\
                 Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}"
            )
            .into_bytes(),
        )
    };
    let stats_url = format!("{}/_harness/stats", server.url);
    // Warm up (one stream), then the baseline.
    let warm = rt.block_on(client::stream(
        addr.clone(),
        request("warm"),
        want.clone(),
        None,
    ));
    if let Some(e) = warm.error {
        return Err(format!("warm-up stream: {e}"));
    }
    let mut pids: Vec<(&'static str, u32)> = vec![("server", server.pid())];
    if let Some(p) = &proxy {
        pids.push(("proxy", p.pid()));
    }
    rt.block_on(net::get_json(&format!("{stats_url}?reset=1")))?;
    let before: Vec<Usage> = pids.iter().map(|(_, p)| settle_fds(*p, None)).collect();
    let start = Instant::now();
    let results = rt.block_on(async {
        // Every stream connects, then all start together (connects are timed alone).
        let barrier = Arc::new(tokio::sync::Barrier::new(n));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let req = request(&format!("load-{i}"));
                let start = Some(barrier.clone());
                tokio::spawn(client::stream(addr.clone(), req, want.clone(), start))
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for t in tasks {
            out.push(t.await.unwrap_or_default());
        }
        out
    });
    let elapsed = start.elapsed();
    let server_stats = rt.block_on(net::get_json(&stats_url))?;
    let procs = pids
        .iter()
        .zip(&before)
        .map(|((name, pid), b)| (*name, *b, settle_fds(*pid, b.fds)))
        .collect();
    let mut client_late =
        Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).map_err(|e| e.to_string())?;
    let mut connects: Vec<Duration> = Vec::with_capacity(n);
    let (mut exact, mut errors, mut head_max) = (0, Vec::new(), Duration::ZERO);
    for (i, r) in results.iter().enumerate() {
        connects.push(r.connect);
        head_max = head_max.max(r.head);
        for &us in &r.late_us {
            client_late.saturating_record(us.max(1));
        }
        match &r.error {
            None => exact += 1,
            Some(e) => errors.push(format!("stream {i}: {e}")),
        }
    }
    connects.sort();
    let pick = |q: f64| {
        let i = ((connects.len() as f64 * q).ceil() as usize).saturating_sub(1);
        connects.get(i).copied().unwrap_or_default()
    };
    Ok(Figures {
        streams: n,
        exact,
        errors,
        connect_max: pick(1.0),
        connect_p99: pick(0.99),
        head_max,
        client_late,
        server_late: server_stats["lateMs"].clone(),
        elapsed,
        procs,
    })
}
