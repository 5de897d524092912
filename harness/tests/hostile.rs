//! Hostile clients against `serve` and `proxy`, hostile upstreams behind `proxy`: each gets a
//! clear answer or a closed socket within its bound, other clients are served meanwhile, and
//! descriptors and memory come back. The bounds are the command-line limits, short here
//! (`--request-timeout-ms 1000 --body-idle-ms 300 --linger-ms 500`) so the tests stay fast.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

mod support;
use support::{body, fds, fetch, peak_rss_kib, rss_kib, start, Proc};

const LIMITS: [&str; 6] = [
    "--request-timeout-ms",
    "1000",
    "--body-idle-ms",
    "300",
    "--linger-ms",
    "500",
];

fn serve() -> Proc {
    let mut args = vec!["serve", "--port", "0", "--seed", "1"];
    args.extend_from_slice(&LIMITS);
    start(&args)
}

fn proxy(upstream: &str, extra: &[&str]) -> Proc {
    let mut args = vec!["proxy", "--upstream", upstream, "--seed", "1"];
    args.extend_from_slice(&LIMITS);
    args.extend_from_slice(extra);
    start(&args)
}

#[derive(Debug, PartialEq)]
enum End {
    Eof,
    Reset,
    Silent,
}

/// Writes `bytes` from a thread (`pace`: one byte at a time, this far apart; then a
/// half-close when `half_close`), reads the answer until EOF, a reset or `quiet` without a
/// byte. Returns the answer, how it ended and when (from the first byte sent).
fn exchange(
    addr: &str,
    bytes: Vec<u8>,
    pace: Option<Duration>,
    half_close: bool,
    quiet: Duration,
) -> (Vec<u8>, End, Duration) {
    let mut s = TcpStream::connect(addr).expect("connect");
    let mut w = s.try_clone().expect("clone");
    let t0 = Instant::now();
    let writer = thread::spawn(move || {
        match pace {
            None => {
                let _ = w.write_all(&bytes);
            }
            Some(gap) => {
                for b in bytes {
                    if w.write_all(&[b]).is_err() {
                        return;
                    }
                    thread::sleep(gap);
                }
            }
        }
        if half_close {
            let _ = w.shutdown(Shutdown::Write);
        }
    });
    s.set_read_timeout(Some(quiet)).expect("timeout");
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        match s.read(&mut buf) {
            Ok(0) => break End::Eof,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break End::Silent
            }
            Err(_) => break End::Reset,
        }
    };
    let at = t0.elapsed();
    drop(s);
    let _ = writer.join();
    (all, end, at)
}

fn status(answer: &[u8]) -> String {
    String::from_utf8_lossy(answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// Waits (at most 5 s) until the process has at most `target` descriptors open: a proxy has
/// no stats endpoint, so its descriptor table is the signal.
fn fds_back_to(pid: u32, target: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while fds(pid) > target {
        assert!(
            Instant::now() < deadline,
            "{} descriptors open, baseline {target}",
            fds(pid)
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// A normal request is answered at once (other clients keep being served).
fn served(base: &str) {
    let t0 = Instant::now();
    let all = fetch(base, "OPTIONS", "/v1/chat/completions");
    assert!(status(&all).starts_with("HTTP/1.1 204"), "{}", status(&all));
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "{:?}",
        t0.elapsed()
    );
}

/// The server's open connections (from its own stats), the stats request itself included.
fn open_connections(base: &str) -> u64 {
    let all = fetch(base, "GET", "/_harness/stats");
    let v: serde_json::Value = serde_json::from_slice(body(&all)).expect("stats JSON");
    v["connections"]["open"].as_u64().expect("open")
}

/// Waits until only the stats request itself is open (the server's own signal).
fn settled(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while open_connections(base) > 1 {
        assert!(Instant::now() < deadline, "connections still open");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn garbage_and_a_request_line_without_a_version_are_answered_400() {
    let srv = serve();
    for (bytes, half_close) in [
        (b"\x16\x03\x01\x00\xff garbage \x00\r\n\r\n".to_vec(), false),
        (b"\x00\x01\x02".to_vec(), true),
        (b"GET /\r\n\r\n".to_vec(), false),
        (
            b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n".to_vec(),
            false,
        ),
    ] {
        let (answer, end, at) =
            exchange(srv.addr(), bytes, None, half_close, Duration::from_secs(5));
        assert!(
            status(&answer).starts_with("HTTP/1.1 400"),
            "{}",
            status(&answer)
        );
        assert_eq!(end, End::Eof);
        assert!(at < Duration::from_secs(1), "{at:?}");
    }
    served(&srv.url);
}

#[test]
fn a_1mb_header_line_gets_its_400_not_a_reset() {
    for front in ["serve", "proxy"] {
        let srv = serve();
        let px = proxy(&srv.url, &[]);
        let target = if front == "serve" { &srv } else { &px };
        let mut req = b"GET /_harness/health HTTP/1.1\r\nX-Big: ".to_vec();
        req.extend(std::iter::repeat_n(b'a', 1 << 20));
        req.extend_from_slice(b"\r\n\r\n");
        for _ in 0..10 {
            let (answer, end, at) = exchange(
                target.addr(),
                req.clone(),
                None,
                false,
                Duration::from_secs(5),
            );
            assert!(
                status(&answer).starts_with("HTTP/1.1 400"),
                "{front}: {:?} {end:?}",
                status(&answer)
            );
            assert!(String::from_utf8_lossy(&answer).contains("head_too_large"));
            assert_eq!(end, End::Eof, "{front}");
            assert!(at < Duration::from_secs(2), "{front}: {at:?}");
        }
        served(&target.url);
    }
}

#[test]
fn slowloris_is_answered_408_at_the_request_timeout() {
    let srv = serve();
    let addr = srv.addr().to_owned();
    // One header byte every 50 ms for up to 5 s: the whole request must come within 1000 ms.
    let dribble = b"GET /_harness/health HTTP/1.1\r\nX-Slow: ".iter().copied();
    let bytes: Vec<u8> = dribble.chain(std::iter::repeat_n(b'a', 100)).collect();
    let slow = thread::spawn(move || {
        exchange(
            &addr,
            bytes,
            Some(Duration::from_millis(50)),
            false,
            Duration::from_secs(5),
        )
    });
    // Meanwhile, others are served.
    thread::sleep(Duration::from_millis(200));
    served(&srv.url);
    let (answer, end, at) = slow.join().expect("slow client");
    assert!(
        status(&answer).starts_with("HTTP/1.1 408"),
        "{}",
        status(&answer)
    );
    assert_ne!(end, End::Silent);
    assert!(
        at >= Duration::from_millis(950) && at < Duration::from_millis(1800),
        "{at:?}"
    );
}

#[test]
fn a_body_shorter_than_its_content_length_is_answered_400() {
    let srv = serve();
    let req = b"POST /scenarios/openai_ok HTTP/1.1\r\nContent-Length: 100\r\n\r\n{}".to_vec();
    // The client waits: answered once nothing more came for 300 ms.
    let (answer, end, at) = exchange(srv.addr(), req.clone(), None, false, Duration::from_secs(5));
    assert!(
        status(&answer).starts_with("HTTP/1.1 400"),
        "{}",
        status(&answer)
    );
    assert!(String::from_utf8_lossy(&answer).contains("2 of 100 bytes"));
    assert_eq!(end, End::Eof);
    assert!(
        at >= Duration::from_millis(290) && at < Duration::from_millis(900),
        "{at:?}"
    );
    // The client half-closes: answered at once.
    let (answer, _, at) = exchange(srv.addr(), req, None, true, Duration::from_secs(5));
    assert!(
        status(&answer).starts_with("HTTP/1.1 400"),
        "{}",
        status(&answer)
    );
    assert!(at < Duration::from_millis(250), "{at:?}");
}

#[test]
fn two_thousand_connections_without_a_request_leave_nothing_behind() {
    let srv = serve();
    // Warm up, then the baseline.
    let warm = fetch(&srv.url, "POST", "/scenarios/openai_ok");
    assert!(status(&warm).starts_with("HTTP/1.1 200"));
    settled(&srv.url);
    let (fds0, rss0) = (fds(srv.pid()), rss_kib(srv.pid()));
    for _ in 0..10 {
        let batch: Vec<TcpStream> = (0..200)
            .map(|_| TcpStream::connect(srv.addr()).expect("connect"))
            .collect();
        drop(batch);
    }
    // A stream is still served whole meanwhile.
    let all = fetch(&srv.url, "POST", "/scenarios/openai_ok");
    assert!(body(&all).ends_with(b"data: [DONE]\n\n"));
    settled(&srv.url);
    // The registry counts a connection closed just before its socket is dropped: wait for
    // the descriptors to follow (bounded), then compare.
    let deadline = Instant::now() + Duration::from_secs(5);
    while fds(srv.pid()) > fds0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    assert!(fds(srv.pid()) <= fds0, "{} > {fds0}", fds(srv.pid()));
    let rss = rss_kib(srv.pid());
    assert!(rss < rss0 + 8 * 1024, "rss {rss0} -> {rss} KiB");
}

/// A fake upstream: answers every connection with `behave` (after reading the request head)
/// and reports how long its connection lasted once the proxy closed it.
fn upstream(behave: fn(&mut TcpStream)) -> (String, mpsc::Receiver<Duration>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let tx = tx.clone();
            thread::spawn(move || {
                let t0 = Instant::now();
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n")
                    && s.read(&mut b).map(|n| n == 1).unwrap_or(false)
                {
                    head.push(b[0]);
                }
                // The body too: closing with request bytes unread would reset the connection.
                let len = String::from_utf8_lossy(&head)
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                let mut body = vec![0u8; len];
                let _ = s.read_exact(&mut body);
                behave(&mut s);
                let _ = tx.send(t0.elapsed());
            });
        }
    });
    (url, rx)
}

/// Writes `unit` until the peer closes (or 64 MiB went out).
fn endless(s: &mut TcpStream, prefix: &[u8], unit: &[u8]) {
    if s.write_all(prefix).is_err() {
        return;
    }
    let block: Vec<u8> = unit.iter().copied().cycle().take(64 * 1024).collect();
    for _ in 0..1024 {
        if s.write_all(&block).is_err() {
            return;
        }
    }
}

fn post(px: &Proc) -> (Vec<u8>, End, Duration) {
    let req = b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}".to_vec();
    exchange(px.addr(), req, None, false, Duration::from_secs(10))
}

#[test]
fn an_endless_upstream_header_is_a_502() {
    let (url, closed) = upstream(|s| endless(s, b"HTTP/1.1 200 OK\r\nX-Endless: ", b"a"));
    let px = proxy(&url, &[]);
    let fds0 = fds(px.pid());
    let (answer, end, at) = post(&px);
    assert!(
        status(&answer).starts_with("HTTP/1.1 502"),
        "{}",
        status(&answer)
    );
    assert!(String::from_utf8_lossy(&answer).contains("bad_upstream_response"));
    assert_eq!(end, End::Eof);
    assert!(at < Duration::from_secs(3), "{at:?}");
    // The proxy closed the upstream connection.
    assert!(closed.recv_timeout(Duration::from_secs(5)).is_ok());
    served(&px.url);
    fds_back_to(px.pid(), fds0);
}

#[test]
fn an_endless_chunk_size_line_closes_the_stream() {
    for unit in [&b"f"[..], b"1;ext=aaaaaaaa"] {
        let (url, closed) = if unit == b"f" {
            upstream(|s| {
                endless(s, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n", b"f")
            })
        } else {
            upstream(|s| {
                endless(s, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n1;ext=", b"a")
            })
        };
        let px = proxy(&url, &[]);
        let (answer, end, at) = post(&px);
        assert!(
            status(&answer).starts_with("HTTP/1.1 200"),
            "{}",
            status(&answer)
        );
        assert!(
            body(&answer).is_empty(),
            "{:?}",
            String::from_utf8_lossy(body(&answer))
        );
        assert_ne!(end, End::Silent, "the client's connection is closed");
        assert!(at < Duration::from_secs(3), "{at:?}");
        assert!(closed.recv_timeout(Duration::from_secs(5)).is_ok());
        served(&px.url);
    }
}

#[test]
fn a_4gib_content_length_streams_without_buffering() {
    let (url, closed) = upstream(|s| {
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 4294967296\r\n\r\n";
        // 32 MiB of events, then the upstream closes 4 GiB short.
        let mut block = Vec::new();
        while block.len() < 64 * 1024 {
            block.extend_from_slice(b"data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n");
        }
        if s.write_all(head).is_err() {
            return;
        }
        for _ in 0..(32 * 1024 * 1024 / block.len()) {
            if s.write_all(&block).is_err() {
                return;
            }
        }
    });
    // An SSE-aware fault: the proxy splits events, and must still not hold the body.
    let px = proxy(&url, &["--fault", "drop_terminator"]);
    let (fds0, peak0) = (fds(px.pid()), peak_rss_kib(px.pid()));
    let (answer, end, at) = post(&px);
    assert!(
        status(&answer).starts_with("HTTP/1.1 200"),
        "{}",
        status(&answer)
    );
    let got = body(&answer).len();
    assert!(got >= 32 * 1024 * 1024 - 64 * 1024, "{got} bytes");
    assert_ne!(end, End::Silent);
    assert!(at < Duration::from_secs(20), "{at:?}");
    assert!(closed.recv_timeout(Duration::from_secs(5)).is_ok());
    let peak = peak_rss_kib(px.pid());
    assert!(peak < peak0 + 16 * 1024, "peak rss {peak0} -> {peak} KiB");
    served(&px.url);
    fds_back_to(px.pid(), fds0);
}

#[test]
fn a_silent_upstream_is_a_504_after_the_upstream_timeout() {
    let (url, _closed) = upstream(|s| {
        // Half a head, then nothing until the proxy gives up (closes).
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n");
        let mut b = [0u8; 1];
        while s.read(&mut b).map(|n| n > 0).unwrap_or(false) {}
    });
    let px = proxy(&url, &["--upstream-timeout-ms", "500"]);
    let (answer, _, at) = post(&px);
    assert!(
        status(&answer).starts_with("HTTP/1.1 504"),
        "{}",
        status(&answer)
    );
    assert!(
        at >= Duration::from_millis(490) && at < Duration::from_millis(1500),
        "{at:?}"
    );
    served(&px.url);
}
