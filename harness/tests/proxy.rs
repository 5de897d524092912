//! `proxy` against a local upstream (the harness's own `serve`), over real sockets.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

mod support;
use support::{body, fetch, serve, start, Proc};

fn upstream() -> Proc {
    serve(&["--seed", "1"])
}

fn proxy(up: &Proc, faults: &[&str]) -> Proc {
    let mut args = vec!["proxy", "--upstream", up.url.as_str(), "--seed", "7"];
    for f in faults {
        args.push("--fault");
        args.push(f);
    }
    start(&args)
}

/// Sends a POST and returns the connected socket.
fn post(base: &str, target: &str) -> TcpStream {
    let addr = base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    let body = r#"{"model":"m","stream":true,"messages":[]}"#;
    let req = format!(
        "POST {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("write request");
    s
}

/// How a read loop ended.
#[derive(Debug, PartialEq)]
enum End {
    Eof,
    Reset,
    /// Nothing for the whole timeout, the connection still open.
    Silent,
    /// `until` was satisfied.
    Matched,
}

/// Reads until `until(bytes so far)` holds, EOF, an error, or `quiet` without a byte.
fn read(s: &mut TcpStream, quiet: Duration, until: impl Fn(&[u8]) -> bool) -> (Vec<u8>, End) {
    s.set_read_timeout(Some(quiet)).expect("timeout");
    let mut all = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if until(&all) {
            return (all, End::Matched);
        }
        match s.read(&mut buf) {
            Ok(0) => return (all, End::Eof),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return (all, End::Silent)
            }
            Err(_) => return (all, End::Reset),
        }
    }
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// The upstream's own body for a target (read to EOF).
fn direct(up: &Proc, target: &str) -> Vec<u8> {
    let mut s = post(&up.url, target);
    let (all, end) = read(&mut s, Duration::from_secs(10), |_| false);
    assert_eq!(end, End::Eof);
    body(&all).to_vec()
}

#[test]
fn the_first_upstream_event_is_forwarded_while_the_upstream_stalls() {
    let up = upstream();
    // No fault (chunks pass through) and an SSE-aware fault (events pass through).
    for faults in [&[][..], &["drop_terminator"][..]] {
        let px = proxy(&up, faults);
        let started = Instant::now();
        // The upstream sends one event, then holds the socket open forever.
        let mut s = post(&px.url, "/scenarios/stall_mid?fault=stall_after:1");
        let (all, end) = read(&mut s, Duration::from_secs(5), |b| {
            b.windows(4).any(|w| w == b"\r\n\r\n") && body(b).ends_with(b"\n\n")
        });
        assert_eq!(
            end,
            End::Matched,
            "{faults:?}: {:?}",
            String::from_utf8_lossy(&all)
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        let b = body(&all);
        assert_eq!(count(b, b"data: "), 1, "{}", String::from_utf8_lossy(b));
        assert!(String::from_utf8_lossy(b).contains("Hello"));
        // And nothing more: the upstream is still stalled, the connection still open.
        let (more, end) = read(&mut s, Duration::from_millis(300), |_| false);
        assert_eq!((more.len(), end), (0, End::Silent));
    }
}

#[test]
fn stall_after_counts_events_across_upstream_reads() {
    let up = upstream();
    let px = proxy(&up, &["stall_after:3"]);
    let mut s = post(&px.url, "/scenarios/openai_ok");
    // openai_ok sends an event every 20 ms: 600 ms of silence is the stall.
    let (all, end) = read(&mut s, Duration::from_millis(600), |_| false);
    assert_eq!(end, End::Silent);
    assert_eq!(count(body(&all), b"data: "), 3);
}

#[test]
fn drop_terminator_removes_done_and_keeps_every_other_byte() {
    let up = upstream();
    let want = direct(&up, "/scenarios/openai_ok?seed=3");
    assert!(want.ends_with(b"data: [DONE]\n\n"));
    let px = proxy(&up, &["drop_terminator"]);
    let mut s = post(&px.url, "/scenarios/openai_ok?seed=3");
    let (all, end) = read(&mut s, Duration::from_secs(10), |_| false);
    assert_eq!(end, End::Eof);
    assert_eq!(body(&all), &want[..want.len() - b"data: [DONE]\n\n".len()]);
}

#[test]
fn rechunk_and_split_utf8_keep_the_bytes() {
    let up = upstream();
    let want = direct(&up, "/scenarios/split_utf8?seed=3");
    for fault in ["rechunk:7", "split_utf8", "rechunk:random"] {
        let px = proxy(&up, &[fault]);
        let mut s = post(&px.url, "/scenarios/split_utf8?seed=3");
        let (all, end) = read(&mut s, Duration::from_secs(10), |_| false);
        assert_eq!(end, End::Eof, "{fault}");
        assert_eq!(body(&all), &want[..], "{fault}");
    }
}

#[test]
fn reset_after_n_bytes() {
    let up = upstream();
    let want = direct(&up, "/scenarios/openai_ok?seed=3");
    let px = proxy(&up, &["reset_after:100"]);
    let mut s = post(&px.url, "/scenarios/openai_ok?seed=3");
    let (all, end) = read(&mut s, Duration::from_secs(5), |_| false);
    // The kernel may discard unread bytes when the RST arrives: at most 100, a prefix.
    assert_eq!(end, End::Reset, "{:?}", String::from_utf8_lossy(&all));
    let b = if all.windows(4).any(|w| w == b"\r\n\r\n") {
        body(&all)
    } else {
        &[][..]
    };
    assert!(b.len() <= 100, "{} bytes", b.len());
    assert_eq!(b, &want[..b.len()]);
}

#[test]
fn inject_pings_while_the_upstream_is_silent() {
    let up = upstream();
    let px = proxy(&up, &["inject_pings:100"]);
    let mut s = post(&px.url, "/scenarios/stall_mid");
    let (all, end) = read(&mut s, Duration::from_secs(3), |b| {
        count(b, b": ping\n\n") >= 3
    });
    assert_eq!(end, End::Matched);
    let b = body(&all);
    assert_eq!(count(b, b"data: "), 3, "the upstream's events come first");
}

#[test]
fn the_clients_close_reaches_the_upstream() {
    let up = upstream();
    let px = proxy(&up, &[]);
    let mut s = post(&px.url, "/scenarios/stall_mid?request_id=px-close");
    let (_, end) = read(&mut s, Duration::from_secs(3), |b| count(b, b"data: ") >= 3);
    assert_eq!(end, End::Matched);
    drop(s);
    let all = fetch(
        &up.url,
        "GET",
        "/_harness/requests/px-close/wait-closed?timeout_ms=5000",
    );
    let v: serde_json::Value = serde_json::from_slice(body(&all)).expect("json");
    assert_eq!(v["clientClosed"], true, "{v}");
}
