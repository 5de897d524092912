//! Server self-tests over real loopback sockets with paused tokio time: the executor's
//! waits run on the virtual clock, so timings are exact and nothing sleeps for real.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::SeedableRng;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Server, ServerConfig};
use crate::client::{self, Options, RequestSpec};
use crate::faults::FaultConfig;
use crate::net;
use crate::plan::body_len;

async fn server() -> Server {
    Server::start(ServerConfig::local(1).unwrap())
        .await
        .unwrap()
}

async fn send(server: &Server, method: &str, target: &str, extra: &str) -> TcpStream {
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    let req =
        format!("{method} {target} HTTP/1.1\r\nHost: test\r\n{extra}Content-Length: 0\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s
}

/// Reads until EOF or an error; returns the bytes and the error kind, if any.
async fn read_all(s: &mut TcpStream) -> (Vec<u8>, Option<std::io::ErrorKind>) {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    for _ in 0..100_000 {
        match s.read(&mut buf).await {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (out, Some(e.kind())),
        }
    }
    panic!("read_all: no end");
}

fn split_head(bytes: &[u8]) -> (String, Vec<u8>) {
    let i = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head")
        + 4;
    (
        String::from_utf8_lossy(&bytes[..i]).into_owned(),
        bytes[i..].to_vec(),
    )
}

/// The unfaulted body of a built-in scenario.
fn plain_body(server: &Server, name: &str) -> Vec<u8> {
    let sc = server.state.config.scenarios.get(name).unwrap();
    let plan = sc.plan(&[], &mut SmallRng::seed_from_u64(1));
    crate::faults::tests::body(&plan)
}

#[tokio::test(start_paused = true)]
async fn rechunk_keeps_every_byte_on_the_wire() {
    let server = server().await;
    let want = plain_body(&server, "openai_ok");
    for size in [1, 7, 64, 1024] {
        let id = format!("rc{size}");
        let mut s = send(
            &server,
            "POST",
            &format!("/scenarios/openai_ok?fault=rechunk:{size}&request_id={id}"),
            "",
        )
        .await;
        let (bytes, err) = read_all(&mut s).await;
        assert_eq!(err, None);
        let (head, body) = split_head(&bytes);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert_eq!(body, want, "size {size}");
        drop(s);
        let rec = server.registry().get(&id).unwrap();
        assert!(rec.wait_closed(Duration::from_secs(1)).await);
        // Every body write (after the head) has at most `size` bytes.
        let writes = rec.transcript();
        assert!(
            writes[1..].iter().all(|(_, b)| b.len() <= size),
            "size {size}"
        );
    }
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn stall_after_holds_the_socket_open_until_the_client_closes() {
    let server = server().await;
    let mut s = send(
        &server,
        "GET",
        "/scenarios/openai_ok?fault=stall_after:3&request_id=stall",
        "",
    )
    .await;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the stall: the 4th read pends for 60 virtual seconds.
    let pended = loop {
        match tokio::time::timeout(Duration::from_secs(60), s.read(&mut buf)).await {
            Ok(Ok(0)) => panic!("the server closed"),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => panic!("read error {e}"),
            Err(_) => break true,
        }
    };
    assert!(pended);
    let (_, body) = split_head(&got);
    let text = String::from_utf8(body).unwrap();
    // The role chunk and 2 tokens: 3 events.
    assert_eq!(text.matches("\n\n").count(), 3, "{text}");
    let rec = server.registry().get("stall").unwrap();
    assert_eq!(rec.closed_ms(), None, "the server holds the socket open");
    assert_eq!(rec.to_json()["serverEnd"], "stall");
    let t_drop = rec.started.elapsed().as_millis() as u64;
    drop(s);
    assert!(rec.wait_closed(Duration::from_secs(5)).await);
    let closed = rec.closed_ms().unwrap();
    assert!(
        closed >= t_drop && closed <= t_drop + 1,
        "{closed} vs {t_drop}"
    );
    let j: Value = rec.to_json();
    assert_eq!(j["clientClosed"], true);
    assert_eq!(j["closedAfterStartMs"], closed);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn reset_really_resets() {
    let server = server().await;
    let mut s = send(&server, "GET", "/scenarios/reset_mid?request_id=rst", "").await;
    let (bytes, err) = read_all(&mut s).await;
    assert_eq!(err, Some(std::io::ErrorKind::ConnectionReset));
    let (_, body) = split_head(&bytes);
    assert_eq!(
        body,
        plain_body(&server, "reset_mid"),
        "5 events before the reset"
    );
    let rec = server.registry().get("rst").unwrap();
    assert_eq!(rec.to_json()["serverEnd"], "reset");
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_clean_close_is_a_fin_and_chunked_cut_is_incomplete() {
    let server = server().await;
    let mut s = send(&server, "GET", "/scenarios/no_done", "").await;
    let (bytes, err) = read_all(&mut s).await;
    assert_eq!(err, None);
    assert!(String::from_utf8_lossy(&bytes).contains("Connection: close\r\n"));

    let mut s = send(&server, "GET", "/scenarios/chunked_cut", "").await;
    let (bytes, err) = read_all(&mut s).await;
    assert_eq!(err, None, "a FIN, not a reset");
    let (head, body) = split_head(&bytes);
    assert!(head.contains("Transfer-Encoding: chunked\r\n"));
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.ends_with("100\r\ndata: {\"id\":\"chatcmpl-sg\",\"obj"),
        "{body}"
    );
    assert!(!body.contains("\r\n0\r\n\r\n"), "no terminating chunk");

    let mut s = send(&server, "GET", "/scenarios/content_length_lie", "").await;
    let (bytes, _) = read_all(&mut s).await;
    let (head, body) = split_head(&bytes);
    assert!(head.contains("Content-Length: 100000\r\n"));
    assert!(body.len() < 100_000);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_replays_the_same_bytes_and_timings() {
    let server = server().await;
    let mut runs = Vec::new();
    for seed in [5, 5, 6] {
        let mut s = send(
            &server,
            "GET",
            &format!("/scenarios/split_utf8?fault=rechunk:random&fault=line_endings:mixed&seed={seed}&request_id=replay"),
            "",
        )
        .await;
        let (_, err) = read_all(&mut s).await;
        assert_eq!(err, None);
        let rec = server.registry().get("replay").unwrap();
        // Skip the head (its seed header differs between seeds).
        runs.push(rec.transcript()[1..].to_vec());
    }
    assert_eq!(runs[0], runs[1], "same seed: same writes at the same times");
    assert_ne!(runs[0], runs[2], "another seed: other splits");
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn cors_preflight_and_exposed_headers() {
    let server = server().await;
    let mut s = send(
        &server,
        "OPTIONS",
        "/v1/chat/completions",
        "Origin: http://127.0.0.1:9\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type,x-streamguard-scenario\r\n",
    )
    .await;
    let (bytes, _) = read_all(&mut s).await;
    let head = String::from_utf8_lossy(&bytes);
    assert!(head.starts_with("HTTP/1.1 204 No Content\r\n"), "{head}");
    assert!(head.contains("Access-Control-Allow-Origin: *\r\n"));
    assert!(head.contains("Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"));
    assert!(head.contains("Access-Control-Allow-Headers: content-type,x-streamguard-scenario\r\n"));
    assert!(head.contains("Access-Control-Max-Age: "));

    let mut s = send(
        &server,
        "POST",
        "/v1/chat/completions?request_id=cors",
        "x-streamguard-scenario: status_429\r\n",
    )
    .await;
    let (bytes, _) = read_all(&mut s).await;
    let (head, _) = split_head(&bytes);
    assert!(
        head.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
        "{head}"
    );
    assert!(head.contains("Access-Control-Allow-Origin: *\r\n"));
    assert!(head.contains("Access-Control-Expose-Headers: Retry-After, retry-after-ms, x-streamguard-request-id, x-streamguard-scenario"));
    assert!(head.contains("retry-after: 7\r\n"));
    assert!(head.contains("x-streamguard-request-id: cors\r\n"));
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn routes_pick_their_default_scenario() {
    let server = server().await;
    for (path, name) in [
        ("/v1/chat/completions", "openai_ok"),
        ("/v1/responses", "responses_ok"),
        ("/v1/messages", "anthropic_ok"),
        ("/api/chat", "ollama_ok"),
        (
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            "gemini_ok",
        ),
        (
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            "gemini_array",
        ),
        ("/v1/chat/completions?scenario=no_done", "no_done"),
    ] {
        let mut s = send(&server, "POST", path, "").await;
        let (bytes, _) = read_all(&mut s).await;
        let (head, _) = split_head(&bytes);
        assert!(
            head.contains(&format!("x-streamguard-scenario: {name}\r\n")),
            "{path}: {head}"
        );
    }
    let mut s = send(&server, "GET", "/scenarios/nope", "").await;
    let (bytes, _) = read_all(&mut s).await;
    assert!(bytes.starts_with(b"HTTP/1.1 404"));
    let mut s = send(&server, "GET", "/scenarios/openai_ok?fault=bogus", "").await;
    let (bytes, _) = read_all(&mut s).await;
    assert!(bytes.starts_with(b"HTTP/1.1 400"));
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn control_api_lists_scenarios_and_requests() {
    let server = server().await;
    let base = server.url();
    let list = net::get_json(&format!("{base}/_harness/scenarios"))
        .await
        .unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), server.state.config.scenarios.by_name.len());
    let stall = list.iter().find(|s| s["name"] == "stall_mid").unwrap();
    assert_eq!(stall["expect"]["outcome"][0], "stalled");
    assert_eq!(stall["expect"]["phase"], "idle");
    assert_eq!(stall["expect"]["text"], "Hello, stalled world");
    assert_eq!(stall["expect"]["serverSeesClose"], true);
    let faults = net::get_json(&format!("{base}/_harness/faults"))
        .await
        .unwrap();
    assert_eq!(
        faults.as_array().unwrap().len(),
        crate::faults::REGISTRY.len()
    );
    assert!(net::get_json(&format!("{base}/_harness/requests/none"))
        .await
        .is_err());
    // wait-closed long-polls until the client's close.
    let s = send(&server, "GET", "/scenarios/no_response?request_id=wc", "").await;
    let url = format!("{base}/_harness/requests/wc/wait-closed?timeout_ms=5000");
    let waiter = tokio::spawn(async move { net::get_json(&url).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(s);
    let rec = waiter.await.unwrap().unwrap();
    assert_eq!(rec["clientClosed"], true);
    assert_eq!(rec["scenario"], "no_response");
    assert!(rec["closedAfterStartMs"].as_u64().unwrap() >= 300);
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_interrupts_stalls() {
    let server = server().await;
    let mut s = send(&server, "GET", "/scenarios/no_response?request_id=sd", "").await;
    // Let the request reach the stall.
    let rec = loop {
        if let Some(r) = server.registry().get("sd") {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    let state = server.state.clone();
    // A pending wait-closed long-poll does not hold the shutdown either.
    let poll = send(
        &server,
        "GET",
        "/_harness/requests/sd/wait-closed?timeout_ms=60000",
        "",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    tokio::time::timeout(Duration::from_secs(1), server.shutdown())
        .await
        .expect("shutdown does not wait for the stall");
    assert_eq!(rec.to_json()["serverEnd"], "stall");
    // The connection was dropped: the client reads EOF.
    let (bytes, err) = read_all(&mut s).await;
    assert!(bytes.is_empty() && err.is_none());
    drop((state, poll));
}

/// The native client on the virtual clock: exact timer times, and the server sees the close.
#[tokio::test(start_paused = true)]
async fn the_client_stalls_on_the_virtual_clock_and_closes() {
    let server = server().await;
    let base = server.url();
    let sc = server
        .state
        .config
        .scenarios
        .get("stall_mid")
        .unwrap()
        .clone();
    let spec = RequestSpec {
        url: format!("{base}/scenarios/stall_mid?request_id=vc"),
        method: "POST".into(),
        ..RequestSpec::default()
    };
    let report = client::stream(spec, Options::new(crate::run::client_config(&sc)), |_| {}).await;
    let o = &report.outcome;
    assert_eq!(o.outcome.code(), "stalled", "{}", o.to_json());
    assert_eq!(o.text, "Hello, stalled world");
    let err = o.error.as_ref().unwrap();
    assert_eq!(err.phase.map(|p| p.code()), Some("idle"));
    // Last byte at 40 ms (virtual) + idle 500 ms.
    assert_eq!(err.elapsed_ms.unwrap_or(o.stats.duration_ms), 540);
    assert!(crate::run::check(&sc, &report).is_empty());
    let rec = server.registry().get("vc").unwrap();
    assert!(rec.wait_closed(Duration::from_millis(10)).await);
    assert!(rec.closed_ms().unwrap() <= 541, "{:?}", rec.closed_ms());
    server.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_client_aborts_on_request() {
    let server = server().await;
    let sc = server
        .state
        .config
        .scenarios
        .get("slow_healthy")
        .unwrap()
        .clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut opts = Options::new(crate::run::client_config(&sc));
    opts.abort = Some(Box::pin(async move {
        let _ = rx.await;
    }));
    let spec = RequestSpec {
        url: format!("{}/scenarios/slow_healthy?request_id=ab", server.url()),
        method: "GET".into(),
        ..RequestSpec::default()
    };
    let task = tokio::spawn(client::stream(spec, opts, |_| {}));
    tokio::time::sleep(Duration::from_millis(900)).await;
    let _ = tx.send(());
    let report = task.await.unwrap();
    assert_eq!(report.outcome.outcome.code(), "aborted");
    // Tokens at 0, 400, 800 ms.
    assert_eq!(report.outcome.text, "Slow and steady");
    let rec = server.registry().get("ab").unwrap();
    assert!(rec.wait_closed(Duration::from_millis(10)).await);
    assert_eq!(rec.closed_ms(), Some(900));
    server.shutdown().await;
}

#[test]
fn content_length_is_the_plan_length_unless_a_lie() {
    let set = crate::scenario::ScenarioSet::builtin().unwrap();
    let sc = set.get("status_429").unwrap();
    let plan = sc.plan(&[], &mut SmallRng::seed_from_u64(1));
    let head = String::from_utf8(super::response_head(sc, &plan, "x", 1)).unwrap();
    assert!(head.contains(&format!("Content-Length: {}\r\n", body_len(&plan))));
    let sc = set.get("openai_ok").unwrap();
    let faults = [FaultConfig::parse_short("rechunk:3").unwrap()];
    let plan = sc.plan(&faults, &mut SmallRng::seed_from_u64(1));
    let head = String::from_utf8(super::response_head(sc, &plan, "x", 1)).unwrap();
    assert!(!head.contains("Content-Length"));
    assert!(head.contains("Content-Type: text/event-stream; charset=utf-8\r\n"));
}

/// A `resume` scenario honours `Last-Event-ID`: without it, events 1..3 then the reset (the
/// scenario's fault); with `Last-Event-ID: 3`, `retry:`, events 4..6 and a clean close, no
/// fault. The registry keeps both requests under the one id, with the header and the gap.
#[tokio::test(start_paused = true)]
async fn sse_resume_honours_last_event_id() {
    let server = server().await;
    let target = "/scenarios/sse_resume?request_id=resume";
    let mut s = send(&server, "GET", target, "").await;
    let (bytes, err) = read_all(&mut s).await;
    assert_eq!(err, Some(std::io::ErrorKind::ConnectionReset));
    let (_, body) = split_head(&bytes);
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.starts_with("retry: 100\n\nid: 1\ndata: Resumed\n\n"),
        "{body}"
    );
    assert!(body.ends_with("id: 3\ndata:  the\n\n"), "{body}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut s = send(&server, "GET", target, "Last-Event-ID: 3\r\n").await;
    let (bytes, err) = read_all(&mut s).await;
    assert_eq!(err, None);
    let (_, body) = split_head(&bytes);
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "retry: 100\n\nid: 4\ndata:  last\n\nid: 5\ndata:  event\n\nid: 6\ndata:  ID\n\n"
    );
    let rec = server.registry().get("resume").unwrap().to_json();
    assert_eq!(rec["lastEventId"], "3");
    assert_eq!(rec["earlier"][0]["lastEventId"], Value::Null);
    assert_eq!(rec["earlier"][0]["serverEnd"], "reset");
    assert!(rec["gapAfterPreviousMs"].as_u64().unwrap() >= 100, "{rec}");
    server.shutdown().await;
}

/// A cross-origin GET with `Last-Event-ID` is not simple: the preflight must allow it.
#[tokio::test]
async fn preflight_allows_last_event_id() {
    let server = server().await;
    let mut s = send(
        &server,
        "OPTIONS",
        "/scenarios/sse_resume",
        "Origin: http://127.0.0.1:1\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: last-event-id\r\n",
    )
    .await;
    let (bytes, _) = read_all(&mut s).await;
    let head = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 204"), "{head}");
    assert!(
        head.contains("access-control-allow-headers: last-event-id\r\n"),
        "{head}"
    );
    assert!(head.contains("access-control-allow-methods: get, post, options\r\n"));
    server.shutdown().await;
}
