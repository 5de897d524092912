//! The native host loop: drives a [`Session`] exactly as the browser layer does.
//!
//! One network task (hyper's HTTP/1 client over a tokio `TcpStream`, TLS for https: see
//! [`crate::net`]) turns the connection into events: the response head, one body chunk per read, EOF or an error. The loop hands each in
//! with `now` from a tokio `Instant` base (so paused-time tests work), drains `poll_output`
//! after every call, and arms ONE timer at `poll_deadline`. Animation frames are emulated by a
//! 16 ms tick while `wants_frame()`. `AbortRequest`, a caller abort and `Finished` all drop the
//! connection at once (the network task is aborted and awaited, so the socket is closed before
//! the loop goes on): the server sees the close.
//!
//! Retries and SSE resume follow `Options::retry` as in the browser layer: between attempts
//! the loop waits the policy's delay (a caller abort ends the wait with `aborted`), then sends
//! the request again, for a resume with `Last-Event-ID` and the same session continued
//! (`Session::resume`), so the flushes of all attempts concatenate to the final text.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use streamguard::{
    Config, Millis, NetworkError, NetworkErrorKind, Output, RetryPolicy, Session, StreamResult,
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

/// Streams one request through a session, with the retries and SSE resumes the policy
/// (`opts.retry`) allows, exactly as the browser layer does: a retry (`RetryPolicy::decide`,
/// before any content) starts a new session; a resume (`Session::resume_delay`: raw `sse`, GET
/// only) continues the session with `Last-Event-ID`. The waits between attempts end at once
/// when the caller aborts. `on_output` sees every output as it is produced (progress
/// printing); the loop itself collects the report.
pub(crate) async fn stream(
    spec: RequestSpec,
    mut opts: Options,
    mut on_output: impl FnMut(&Output),
) -> Report {
    let t0 = Instant::now();
    let now = move || Millis(t0.elapsed().as_millis() as u64);
    let mut session = Session::new(opts.config.clone(), Millis(0));
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
    let resumable = opts.retry.resume && spec.method.eq_ignore_ascii_case("GET");
    let mut last_event_id: Option<String> = None;
    loop {
        let started_ms = now().0;
        let mut this = spec.clone();
        if let Some(id) = &last_event_id {
            this.headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case("last-event-id"));
            this.headers.push(("last-event-id".to_owned(), id.clone()));
        }
        let outcome = attempt(
            this,
            &mut session,
            &mut opts,
            &mut aborted,
            &mut report,
            &mut on_output,
            t0,
        )
        .await;
        let n = report.attempts.len() as u32 + 1;
        report.attempts.push(Attempt {
            last_event_id: last_event_id.clone(),
            started_ms,
            finished_ms: now().0,
            outcome: outcome.outcome.code(),
        });
        let random: f64 = rand::random();
        let resume = match resumable && !aborted {
            true => session.resume_delay(&opts.retry, n, &outcome, random),
            false => None,
        };
        let retry = match resume.is_none() && !aborted && report.flushes.is_empty() {
            true => opts.retry.decide(n, &outcome, random),
            false => None,
        };
        let Some(delay) = resume.or(retry) else {
            report.outcome = outcome;
            return report;
        };
        let wait = tokio::time::sleep(Duration::from_millis(delay));
        tokio::pin!(wait);
        let interrupted = tokio::select! {
            _ = &mut wait => false,
            _ = maybe(opts.abort.as_mut()), if opts.abort.is_some() => true,
        };
        session = match resume {
            Some(_) => {
                let id = session.last_event_id();
                last_event_id = (!id.is_empty()).then(|| id.to_owned());
                session.resume(now())
            }
            None => {
                last_event_id = None;
                Session::new(opts.config.clone(), now())
            }
        };
        if interrupted {
            // Aborted between attempts: `aborted`, with everything received so far.
            session.handle_abort(now());
            while let Some(out) = session.poll_output() {
                on_output(&out);
                match out {
                    Output::Text(t) => report.flushes.push(t),
                    Output::Finished(o) => report.outcome = o,
                    _ => {}
                }
            }
            return report;
        }
    }
}

/// One attempt: drives `session` over one connection until its outcome.
async fn attempt(
    spec: RequestSpec,
    session: &mut Session,
    opts: &mut Options,
    aborted: &mut bool,
    report: &mut Report,
    on_output: &mut impl FnMut(&Output),
    t0: Instant,
) -> StreamResult {
    let now = move || Millis(t0.elapsed().as_millis() as u64);
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
    let mut finished: Option<StreamResult> = None;
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
            return o;
        }
        if let Some(n) = opts.abort_after_deltas {
            if !*aborted && session.stats(now()).deltas >= n {
                *aborted = true;
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
            _ = maybe(opts.abort.as_mut()), if !*aborted && opts.abort.is_some() => {
                *aborted = true;
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
