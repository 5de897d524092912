//! The native host loop: runs the core's [`Driver`] over real connections, exactly as the
//! browser layer does. Glue only: the driver decides when to connect (the first request, a
//! retry, an SSE resume with `Last-Event-ID`), when to close, and the one result.
//!
//! One network task per attempt (hyper's HTTP/1 client over a tokio `TcpStream`, TLS for
//! https: see [`crate::net`]) turns the connection into events: the response head, one body
//! chunk per read, EOF or an error. The loop hands each in with `now` from a tokio `Instant`
//! base (so paused-time tests work), drains `poll_output` after every call, and arms ONE timer
//! at `poll_deadline` (the session's timers, or the wait before the next attempt). Animation
//! frames are emulated by a 16 ms tick while `wants_frame()`. `AbortRequest`, a caller abort
//! and `Finished` drop the connection at once (the network task is aborted and awaited, so the
//! socket is closed before the loop goes on): the server sees the close.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use streamguard::{
    Config, Driver, Millis, NetworkError, NetworkErrorKind, Output, RetryPolicy, StreamResult,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::net::{self, classify, describe, Tls, Url};

/// The emulated animation-frame period.
pub(crate) const FRAME_MS: u64 = 16;

/// What to send.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestSpec {
    /// `http://` or `https://host[:port]/path?query`.
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Bytes>,
    /// The roots an https server's certificate is checked against.
    pub tls: Tls,
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
    /// Retries and SSE resume (off by default).
    pub retry: RetryPolicy,
}

impl Options {
    pub(crate) fn new(config: Config) -> Self {
        Options {
            config,
            frames: true,
            abort_after_deltas: None,
            abort: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// What the loop saw.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub outcome: StreamResult,
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
    /// Every attempt, in order (one unless the policy retried or resumed).
    pub attempts: Vec<Attempt>,
}

enum NetEvent {
    Head(u16, Vec<(String, String)>),
    Data(Bytes),
    Eof,
    Error(NetworkErrorKind, String),
}

async fn net_task(url: Url, spec: RequestSpec, tx: mpsc::Sender<NetEvent>) {
    let (mut sender, conn) = match net::connect(&url, &spec.tls).await {
        Ok(x) => x,
        Err(e) => {
            let _ = tx.send(NetEvent::Error(e.kind, e.message)).await;
            return;
        }
    };
    let mut headers = spec.headers;
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
    {
        headers.push((
            "accept".to_owned(),
            "text/event-stream, application/x-ndjson, application/json".to_owned(),
        ));
    }
    let req = match net::request(&url, &spec.method, &headers, spec.body.unwrap_or_default()) {
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
        let head = NetEvent::Head(resp.status().as_u16(), net::header_pairs(resp.headers()));
        if tx.send(head).await.is_err() {
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

/// One attempt's record (`Report::attempts`).
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// The `Last-Event-ID` it sent (SSE resume), if any.
    pub last_event_id: Option<String>,
    /// When it was sent and when it finished, ms from the first request.
    pub started_ms: u64,
    pub finished_ms: u64,
    /// Its outcome's code.
    pub outcome: &'static str,
}

/// Streams one request through the core's [`Driver`], exactly as the browser layer does: the
/// driver says when to connect (the first request, a retry, an SSE resume with
/// `Last-Event-ID`), when to close the connection and when the stream is over; this loop only
/// moves bytes, time and frames. `on_output` sees every output as it is produced (progress
/// printing); the loop itself collects the report.
pub(crate) async fn stream(
    spec: RequestSpec,
    mut opts: Options,
    mut on_output: impl FnMut(&Output),
) -> Report {
    let t0 = Instant::now();
    // Milliseconds rounded up, so a wait of N ms the driver counts from an event is N ms or more
    // of real time after it (rounding down, a reconnect could come 99.x ms after the server's
    // close for `retry: 100`). `fed` is the last time handed to the driver: an attempt ends when
    // the driver saw it end (its retry wait counts from there), not when this loop next reads
    // the clock.
    let fed = AtomicU64::new(0);
    let now = || {
        let ms = t0.elapsed().as_micros().div_ceil(1000) as u64;
        fed.store(ms, Ordering::Relaxed);
        Millis(ms)
    };
    let get = spec.method.eq_ignore_ascii_case("GET");
    let mut driver = Driver::new(
        opts.config.clone(),
        opts.retry,
        get,
        rand::random(),
        Millis(0),
    );
    let mut report = Report {
        outcome: StreamResult::new(streamguard::Reply::default(), None, Default::default()),
        flushes: Vec::new(),
        events: 0,
        abort_requests: 0,
        status: None,
        after_finish: 0,
        attempts: Vec::new(),
    };
    let mut aborted = false;
    let mut net = Net(None);
    let mut rx: Option<mpsc::Receiver<NetEvent>> = None;
    // The running attempt: the `Last-Event-ID` it sent and when it started.
    let mut current: Option<(Option<String>, u64)> = None;
    let sleep = tokio::time::sleep_until(t0 + Duration::from_secs(86_400));
    tokio::pin!(sleep);
    let mut frame = tokio::time::interval(Duration::from_millis(FRAME_MS));
    frame.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut close_net = false;
        let mut finished: Option<StreamResult> = None;
        while let Some(out) = driver.poll_output() {
            on_output(&out);
            if finished.is_some() {
                report.after_finish += 1;
                continue;
            }
            match out {
                Output::Connect { last_event_id } => {
                    net.close().await;
                    let mut this = spec.clone();
                    if let Some(id) = &last_event_id {
                        this.headers
                            .retain(|(k, _)| !k.eq_ignore_ascii_case("last-event-id"));
                        this.headers.push(("last-event-id".to_owned(), id.clone()));
                    }
                    current = Some((last_event_id, now().0));
                    match Url::parse(&this.url) {
                        Ok(url) => {
                            let (tx, r) = mpsc::channel::<NetEvent>(1);
                            net = Net(Some(tokio::spawn(net_task(url, this, tx))));
                            rx = Some(r);
                        }
                        Err(message) => driver.handle_error(
                            now(),
                            NetworkError {
                                kind: NetworkErrorKind::Other,
                                message,
                            },
                        ),
                    }
                }
                Output::Text(t) => report.flushes.push(t),
                Output::Event(_) => report.events += 1,
                Output::AbortRequest => {
                    report.abort_requests += 1;
                    close_net = true;
                }
                Output::Finished(o) => finished = Some(o),
            }
        }
        let ended = match (&finished, driver.last_attempt()) {
            (Some(o), _) => Some(o.outcome.code()),
            (None, Some(last)) if driver.is_waiting() => Some(last.outcome.code()),
            _ => None,
        };
        if let Some(code) = ended {
            close_net = true;
            if let Some((last_event_id, started_ms)) = current.take() {
                report.attempts.push(Attempt {
                    last_event_id,
                    started_ms,
                    finished_ms: fed.load(Ordering::Relaxed),
                    outcome: code,
                });
            }
        }
        if close_net {
            net.close().await;
            rx = None;
        }
        if let Some(o) = finished {
            // Anything after Finished is a contract violation; count it.
            driver.handle_frame(now());
            driver.handle_timeout(now());
            while driver.poll_output().is_some() {
                report.after_finish += 1;
            }
            report.outcome = o;
            return report;
        }
        if let Some(n) = opts.abort_after_deltas {
            if !aborted && driver.stats(now()).deltas >= n {
                aborted = true;
                driver.handle_abort(now());
                continue;
            }
        }
        let deadline = driver.poll_deadline();
        if let Some(d) = deadline {
            sleep.as_mut().reset(t0 + Duration::from_millis(d.0));
        }
        let want_frame = opts.frames && driver.wants_frame();
        tokio::select! {
            biased;
            _ = maybe(opts.abort.as_mut()), if !aborted && opts.abort.is_some() => {
                aborted = true;
                driver.handle_abort(now());
            }
            ev = recv(rx.as_mut()), if rx.is_some() => match ev {
                Some(NetEvent::Head(status, headers)) => {
                    report.status = Some(status);
                    let h: Vec<(&str, &str)> =
                        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    driver.handle_response_head(now(), status, &h);
                }
                Some(NetEvent::Data(b)) => driver.handle_bytes(now(), &b),
                Some(NetEvent::Eof) => {
                    rx = None;
                    driver.handle_eof(now());
                }
                Some(NetEvent::Error(kind, message)) => {
                    rx = None;
                    driver.handle_error(now(), NetworkError { kind, message });
                }
                None => {
                    rx = None;
                    driver.handle_error(now(), NetworkError {
                        kind: NetworkErrorKind::Other,
                        message: "the connection task ended".to_owned(),
                    });
                }
            },
            _ = &mut sleep, if deadline.is_some() => driver.handle_timeout(now()),
            _ = frame.tick(), if want_frame => driver.handle_frame(now()),
        }
    }
}

async fn recv(rx: Option<&mut mpsc::Receiver<NetEvent>>) -> Option<NetEvent> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
