//! The native host loop: drives a [`Session`] exactly as the browser layer does.
//!
//! One network task (hyper's HTTP/1 client over a tokio `TcpStream`) turns the connection into
//! events: the response head, one body chunk per read, EOF or an error. The loop hands each in
//! with `now` from a tokio `Instant` base (so paused-time tests work), drains `poll_output`
//! after every call, and arms ONE timer at `poll_deadline`. Animation frames are emulated by a
//! 16 ms tick while `wants_frame()`. `AbortRequest`, a caller abort and `Finished` all drop the
//! connection at once (the network task is aborted and awaited, so the socket is closed before
//! the loop goes on): the server sees the close.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use streamguard::{Config, Millis, NetworkError, NetworkErrorKind, Outcome, Output, Session};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The emulated animation-frame period.
pub(crate) const FRAME_MS: u64 = 16;

/// What to send.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestSpec {
    /// `http://host[:port]/path?query` (https is not supported natively).
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
}

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    pub host: String,
    pub port: u16,
    /// Path and query, `/` at least.
    pub target: String,
}

impl Url {
    pub(crate) fn parse(url: &str) -> Result<Url, String> {
        let rest = if let Some(r) = url.strip_prefix("http://") {
            r
        } else if url.starts_with("https://") {
            return Err(
                "https is not supported by the native client (no TLS stack); use http".into(),
            );
        } else {
            return Err(format!("not an http:// URL: {url}"));
        };
        let (authority, target) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => match rest.find('?') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            },
        };
        let target = if target.starts_with('?') {
            format!("/{target}")
        } else {
            target.to_owned()
        };
        let (host, port) = if let Some(h) = authority.strip_prefix('[') {
            // [v6]:port
            let (h, p) = h.split_once(']').ok_or("bad IPv6 host")?;
            let port = p
                .strip_prefix(':')
                .map(str::parse)
                .transpose()
                .map_err(|e| format!("port: {e}"))?;
            (h.to_owned(), port.unwrap_or(80))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse().map_err(|e| format!("port: {e}"))?),
                None => (authority.to_owned(), 80),
            }
        };
        if host.is_empty() {
            return Err(format!("no host in {url}"));
        }
        Ok(Url { host, port, target })
    }

    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// How the loop behaves.
pub(crate) struct Options {
    pub config: Config,
    /// Emulate animation frames (false: a hidden page, no frames at all).
    pub frames: bool,
    /// The caller aborts once `stats.deltas` reaches this.
    pub abort_after_deltas: Option<u64>,
    /// The caller's abort signal.
    pub abort: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Options {
    pub(crate) fn new(config: Config) -> Self {
        Options {
            config,
            frames: true,
            abort_after_deltas: None,
            abort: None,
        }
    }
}

/// What the loop saw.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub outcome: Outcome,
    /// Every `Output::Text`, in order.
    pub flushes: Vec<String>,
    /// `Output::Event`s.
    pub events: u64,
    /// `Output::AbortRequest`s.
    pub abort_requests: u64,
    /// The response status, when a head arrived.
    pub status: Option<u16>,
    /// Outputs the session produced after `Finished` (must be 0).
    pub after_finish: u64,
}

enum NetEvent {
    Head(u16, Vec<(String, String)>),
    Data(Bytes),
    Eof,
    Error(NetworkErrorKind, String),
}

fn classify(e: &(dyn std::error::Error + 'static)) -> NetworkErrorKind {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => NetworkErrorKind::Refused,
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof => NetworkErrorKind::Reset,
                _ => NetworkErrorKind::Other,
            };
        }
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() {
                return NetworkErrorKind::Reset;
            }
        }
        cur = err.source();
    }
    NetworkErrorKind::Other
}

fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        s.push_str(": ");
        s.push_str(&err.to_string());
        cur = err.source();
    }
    s
}

async fn net_task(url: Url, spec: RequestSpec, tx: mpsc::Sender<NetEvent>) {
    let stream = match TcpStream::connect((url.host.as_str(), url.port)).await {
        Ok(s) => s,
        Err(e) => {
            let kind = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                NetworkErrorKind::Refused
            } else {
                NetworkErrorKind::Other
            };
            let _ = tx
                .send(NetEvent::Error(kind, format!("connect: {e}")))
                .await;
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    {
        Ok(x) => x,
        Err(e) => {
            let _ = tx.send(NetEvent::Error(classify(&e), describe(&e))).await;
            return;
        }
    };
    let mut builder = hyper::Request::builder()
        .method(spec.method.as_str())
        .uri(url.target.as_str());
    let has = |name: &str| {
        spec.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    };
    if !has("host") {
        builder = builder.header("host", url.authority());
    }
    if !has("accept") {
        builder = builder.header(
            "accept",
            "text/event-stream, application/x-ndjson, application/json",
        );
    }
    for (k, v) in &spec.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let req = match builder.body(Full::new(spec.body.clone().unwrap_or_default())) {
        Ok(r) => r,
        Err(e) => {
            let _ = tx
                .send(NetEvent::Error(
                    NetworkErrorKind::Other,
                    format!("request: {e}"),
                ))
                .await;
            return;
        }
    };
    let work = async move {
        let resp = match sender.send_request(req).await {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(NetEvent::Error(classify(&e), describe(&e))).await;
                return;
            }
        };
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        if tx.send(NetEvent::Head(status, headers)).await.is_err() {
            return;
        }
        let mut body = resp.into_body();
        loop {
            match body.frame().await {
                None => {
                    let _ = tx.send(NetEvent::Eof).await;
                    return;
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        if !data.is_empty() && tx.send(NetEvent::Data(data)).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Err(e)) => {
                    let kind = match classify(&e) {
                        NetworkErrorKind::Other => NetworkErrorKind::Reset,
                        k => k,
                    };
                    let _ = tx.send(NetEvent::Error(kind, describe(&e))).await;
                    return;
                }
            }
        }
    };
    let conn = async move {
        let _ = conn.await;
    };
    futures::future::join(conn, work).await;
}

/// The network task; dropping or closing it closes the socket.
struct Net(Option<JoinHandle<()>>);

impl Net {
    /// Aborts the task and waits until it is gone (its socket dropped).
    async fn close(&mut self) {
        if let Some(h) = self.0.take() {
            h.abort();
            let _ = h.await;
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        if let Some(h) = self.0.take() {
            h.abort();
        }
    }
}

async fn maybe<F: Future<Output = ()> + ?Sized>(f: Option<&mut Pin<Box<F>>>) {
    match f {
        Some(f) => f.as_mut().await,
        None => std::future::pending().await,
    }
}

/// Streams one request through a session. `on_output` sees every output as it is produced
/// (progress printing); the loop itself collects the report.
pub(crate) async fn stream(
    spec: RequestSpec,
    mut opts: Options,
    mut on_output: impl FnMut(&Output),
) -> Report {
    let t0 = Instant::now();
    let now = move || Millis(t0.elapsed().as_millis() as u64);
    let mut session = Session::new(opts.config.clone(), Millis(0));
    let mut report = Report {
        outcome: Outcome::new(streamguard::Reply::default(), None, Default::default()),
        flushes: Vec::new(),
        events: 0,
        abort_requests: 0,
        status: None,
        after_finish: 0,
    };
    let (tx, mut rx) = mpsc::channel::<NetEvent>(1);
    let mut net = match Url::parse(&spec.url) {
        Ok(url) => Net(Some(tokio::spawn(net_task(url, spec, tx)))),
        Err(e) => {
            drop(tx);
            session.handle_error(
                now(),
                NetworkError {
                    kind: NetworkErrorKind::Other,
                    message: e,
                },
            );
            Net(None)
        }
    };
    let mut net_open = net.0.is_some();
    let sleep = tokio::time::sleep_until(t0 + Duration::from_secs(86_400));
    tokio::pin!(sleep);
    let mut frame = tokio::time::interval(Duration::from_millis(FRAME_MS));
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut aborted = false;
    let mut finished: Option<Outcome> = None;
    loop {
        let mut close_net = false;
        while let Some(out) = session.poll_output() {
            on_output(&out);
            if finished.is_some() {
                report.after_finish += 1;
                continue;
            }
            match out {
                Output::Text(t) => report.flushes.push(t),
                Output::Event(_) => report.events += 1,
                Output::AbortRequest => {
                    report.abort_requests += 1;
                    close_net = true;
                }
                Output::Finished(o) => finished = Some(o),
            }
        }
        if close_net || finished.is_some() {
            net.close().await;
            net_open = false;
        }
        if let Some(o) = finished {
            // Anything after Finished is a contract violation; count it.
            session.handle_frame(now());
            session.handle_timeout(now());
            while session.poll_output().is_some() {
                report.after_finish += 1;
            }
            report.outcome = o;
            return report;
        }
        if let Some(n) = opts.abort_after_deltas {
            if !aborted && session.stats(now()).deltas >= n {
                aborted = true;
                session.handle_abort(now());
                continue;
            }
        }
        let deadline = session.poll_deadline();
        if let Some(d) = deadline {
            sleep.as_mut().reset(t0 + Duration::from_millis(d.0));
        }
        let want_frame = opts.frames && session.wants_frame();
        tokio::select! {
            biased;
            _ = maybe(opts.abort.as_mut()), if !aborted && opts.abort.is_some() => {
                aborted = true;
                session.handle_abort(now());
            }
            ev = rx.recv(), if net_open => match ev {
                Some(NetEvent::Head(status, headers)) => {
                    report.status = Some(status);
                    let h: Vec<(&str, &str)> =
                        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    session.handle_response_head(now(), status, &h);
                }
                Some(NetEvent::Data(b)) => session.handle_bytes(now(), &b),
                Some(NetEvent::Eof) => {
                    net_open = false;
                    session.handle_eof(now());
                }
                Some(NetEvent::Error(kind, message)) => {
                    net_open = false;
                    session.handle_error(now(), NetworkError { kind, message });
                }
                None => {
                    net_open = false;
                    session.handle_error(now(), NetworkError {
                        kind: NetworkErrorKind::Other,
                        message: "the connection task ended".to_owned(),
                    });
                }
            },
            _ = &mut sleep, if deadline.is_some() => session.handle_timeout(now()),
            _ = frame.tick(), if want_frame => session.handle_frame(now()),
        }
    }
}

/// A plain GET returning the body as JSON (for the harness's control endpoints).
pub(crate) async fn get_json(url: &str) -> Result<serde_json::Value, String> {
    let u = Url::parse(url)?;
    let stream = TcpStream::connect((u.host.as_str(), u.port))
        .await
        .map_err(|e| format!("connect {url}: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| describe(&e))?;
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = hyper::Request::builder()
        .method("GET")
        .uri(u.target.as_str())
        .header("host", u.authority())
        .body(Full::new(Bytes::new()))
        .map_err(|e| e.to_string())?;
    let resp = sender.send_request(req).await.map_err(|e| describe(&e))?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| describe(&e))?
        .to_bytes();
    conn.abort();
    if status != 200 {
        return Err(format!(
            "GET {url}: {status} {}",
            String::from_utf8_lossy(&body)
        ));
    }
    serde_json::from_slice(&body).map_err(|e| format!("GET {url}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = Url::parse("http://127.0.0.1:8080/v1/chat/completions?x=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.target.as_str()),
            ("127.0.0.1", 8080, "/v1/chat/completions?x=1")
        );
        let u = Url::parse("http://localhost").unwrap();
        assert_eq!((u.port, u.target.as_str()), (80, "/"));
        let u = Url::parse("http://[::1]:9/a").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 9));
        assert!(Url::parse("https://api.openai.com/v1").is_err());
        assert!(Url::parse("ftp://x").is_err());
    }
}
