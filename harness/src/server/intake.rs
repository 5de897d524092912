//! Reading one request from a client that may be hostile, for the mock server and `proxy`.
//!
//! [`Intake`] is the parser, sans-io: bytes in, a [`Request`] or a [`Refusal`] out (the head
//! with `httparse`, the body by `Content-Length`). [`read_request`] drives it on a socket under
//! [`Limits`]: the whole request must arrive within `request_timeout` (slowloris), and a body
//! that stops short of its `Content-Length` is answered once nothing more came for `body_idle`
//! (or at once when the client half-closes). [`refuse`] answers a refusal the way servers do:
//! it writes the answer, closes its side, then reads and discards what the client still sends
//! for at most `linger`, so that the kernel does not reset the connection (and lose the answer)
//! because request bytes were left unread.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::http::{self, split_target, Request};
pub(crate) use super::limits::{LimitArgs, Limits};

/// The largest request head accepted.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The largest request body accepted.
pub(crate) const MAX_BODY: usize = 8 * 1024 * 1024;
/// Headers a request may have.
const MAX_HEADERS: usize = 64;

/// Why a request is refused: the answer's status, error type and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            kind,
            message: message.into(),
        }
    }

    /// The answer: a JSON error body.
    pub(crate) fn response(&self) -> Vec<u8> {
        let body = json!({"error": {"message": self.message, "type": self.kind}});
        http::json(self.status, &body)
    }
}

/// The parser's state: the head once parsed, the body until complete.
#[derive(Debug, Default)]
pub(crate) struct Intake {
    buf: BytesMut,
    /// The parsed head and the body length it declared.
    head: Option<(Request, usize)>,
}

/// What the parser has after some input.
#[derive(Debug)]
pub(crate) enum Progress {
    /// Not complete yet.
    More,
    /// A whole request.
    Done(Request),
    /// A request that is answered with an error.
    Refused(Refusal),
}

impl Intake {
    pub(crate) fn new() -> Intake {
        Intake::default()
    }

    /// Whether any request byte arrived.
    pub(crate) fn started(&self) -> bool {
        self.head.is_some() || !self.buf.is_empty()
    }

    /// The body bytes received and declared, once the head is parsed.
    pub(crate) fn body_progress(&self) -> Option<(usize, usize)> {
        self.head.as_ref().map(|(_, len)| (self.buf.len(), *len))
    }

    /// The buffer to read into (at most `MAX_HEAD` + 1 bytes of head, the declared body).
    pub(crate) fn buf_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Feeds bytes (for callers that do not read into [`Intake::buf_mut`]).
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Progress {
        self.buf.extend_from_slice(bytes);
        self.progress()
    }

    /// Parses what the buffer holds.
    pub(crate) fn progress(&mut self) -> Progress {
        if self.head.is_none() {
            match parse_head(&self.buf) {
                Ok(Some((req, len, n))) => {
                    self.buf.advance(n);
                    self.head = Some((req, len));
                }
                Ok(None) if self.buf.len() > MAX_HEAD => {
                    return Progress::Refused(Refusal::new(
                        400,
                        "head_too_large",
                        format!("the request head is larger than {MAX_HEAD} bytes"),
                    ));
                }
                Ok(None) => return Progress::More,
                Err(r) => return Progress::Refused(r),
            }
        }
        match &mut self.head {
            Some((_, len)) if self.buf.len() >= *len => {
                let len = *len;
                let Some((mut req, _)) = self.head.take() else {
                    return Progress::More;
                };
                // A copy: the body must not keep the read buffer alive for the connection.
                req.body = bytes::Bytes::copy_from_slice(self.buf.get(..len).unwrap_or_default());
                self.buf.advance(len);
                Progress::Done(req)
            }
            _ => Progress::More,
        }
    }

    /// The answer when the client closes its side (or stops sending) before the request is
    /// complete; `None` when nothing arrived (a connection opened and closed).
    pub(crate) fn incomplete(&self, why: &str) -> Option<Refusal> {
        match self.body_progress() {
            Some((got, want)) => Some(Refusal::new(
                400,
                "incomplete_body",
                format!("the request body is shorter than its Content-Length: {got} of {want} bytes ({why})"),
            )),
            None if !self.buf.is_empty() => Some(Refusal::new(
                400,
                "incomplete_head",
                format!("the request head is incomplete ({why})"),
            )),
            None => None,
        }
    }
}

/// Parses a request head: the request (no body yet), the body length, the head's length.
fn parse_head(buf: &[u8]) -> Result<Option<(Request, usize, usize)>, Refusal> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let n = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => {
            return Err(Refusal::new(
                400,
                "bad_request",
                format!("not an HTTP/1.x request: {e}"),
            ))
        }
    };
    let method = req.method.unwrap_or("GET").to_owned();
    let (path, query) = split_target(req.path.unwrap_or("/"));
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    if headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding"))
    {
        return Err(Refusal::new(
            411,
            "length_required",
            "a request body needs a Content-Length (Transfer-Encoding is not supported)",
        ));
    }
    // Every Content-Length must give the same length (RFC 9110 8.6: repeated equal values are
    // one length; differing ones leave the body's end undefined, RFC 9112 6.3: a 400).
    let mut len: Option<usize> = None;
    for (_, v) in headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        let v = v.trim();
        let parsed = if v.bytes().all(|b| b.is_ascii_digit()) {
            v.parse::<u64>().ok()
        } else {
            None
        };
        match parsed {
            Some(l) if l > MAX_BODY as u64 => {
                return Err(Refusal::new(
                    413,
                    "body_too_large",
                    format!("the request body is larger than {MAX_BODY} bytes"),
                ))
            }
            Some(l) => match len {
                Some(first) if first as u64 != l => {
                    return Err(Refusal::new(
                        400,
                        "bad_request",
                        format!("conflicting Content-Length values: {first} and {l}"),
                    ))
                }
                _ => len = Some(l as usize),
            },
            None => {
                return Err(Refusal::new(
                    400,
                    "bad_request",
                    format!("Content-Length {v:?} is not a length"),
                ))
            }
        }
    }
    let req = Request {
        method,
        path,
        query,
        headers,
        body: bytes::Bytes::new(),
    };
    Ok(Some((req, len.unwrap_or(0), n)))
}

/// How reading a request ended.
#[derive(Debug)]
pub(crate) enum Read {
    Request(Request),
    /// The client closed (or sent nothing) without a request: nothing to answer.
    Closed,
    /// Answer this, then [`refuse`].
    Refused(Refusal),
}

/// Reads one request under `limits`, measured from `accepted`.
pub(crate) async fn read_request(
    stream: &mut TcpStream,
    limits: &Limits,
    accepted: Instant,
) -> Read {
    let deadline = accepted + limits.request_timeout;
    let mut intake = Intake::new();
    loop {
        match intake.progress() {
            Progress::Done(req) => return Read::Request(req),
            Progress::Refused(r) => return Read::Refused(r),
            Progress::More => {}
        }
        // While the body is incomplete, a pause of `body_idle` ends the wait too.
        let body = intake.body_progress().is_some();
        let until = if body {
            deadline.min(Instant::now() + limits.body_idle)
        } else {
            deadline
        };
        // Read at most what the head or the declared body can still use.
        let room = match intake.body_progress() {
            Some((got, want)) => want.saturating_sub(got),
            None => MAX_HEAD + 1 - intake.buf_mut().len().min(MAX_HEAD),
        };
        let buf = intake.buf_mut();
        buf.reserve(room.clamp(1, 4 * 1024));
        let mut limited = (&mut *stream).take(room as u64);
        match tokio::time::timeout_at(until, limited.read_buf(buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return match intake.incomplete("the client closed its side") {
                    Some(r) => Read::Refused(r),
                    None => Read::Closed,
                };
            }
            Ok(Ok(_)) => {}
            Err(_) if body && Instant::now() < deadline => {
                let ms = limits.body_idle.as_millis();
                return match intake.incomplete(&format!("nothing more for {ms} ms")) {
                    Some(r) => Read::Refused(r),
                    None => Read::Closed,
                };
            }
            Err(_) => {
                if !intake.started() {
                    return Read::Closed;
                }
                let ms = limits.request_timeout.as_millis();
                return Read::Refused(Refusal::new(
                    408,
                    "request_timeout",
                    format!("the request did not arrive within {ms} ms"),
                ));
            }
        }
    }
}

/// Answers a refused request: writes the answer, closes the write side, then reads and
/// discards until the client closes or `linger` passed, and drops the socket.
pub(crate) async fn refuse(mut stream: TcpStream, refusal: &Refusal, linger: Duration) {
    let _ = stream.write_all(&refusal.response()).await;
    let _ = stream.shutdown().await;
    let until = Instant::now() + linger;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(until, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_at_once(bytes: &[u8]) -> Progress {
        Intake::new().push(bytes)
    }

    #[test]
    fn a_request_with_a_body_at_any_split() {
        let raw = b"POST /v1/chat/completions?fault=rechunk%3A7 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
        for step in 1..=raw.len() {
            let mut intake = Intake::new();
            let mut done = None;
            for c in raw.chunks(step) {
                match intake.push(c) {
                    Progress::Done(r) => done = Some(r),
                    Progress::More => {}
                    Progress::Refused(r) => panic!("{step}: {r:?}"),
                }
            }
            let req = done.unwrap_or_else(|| panic!("{step}: incomplete"));
            assert_eq!(req.body.as_ref(), b"hello");
            assert_eq!(req.param("fault"), Some("rechunk:7"));
        }
    }

    #[test]
    fn refusals_name_the_problem() {
        let status = |p: Progress| match p {
            Progress::Refused(r) => (r.status, r.kind),
            other => panic!("{other:?}"),
        };
        assert_eq!(status(all_at_once(b"\x00\xff garbage\r\n\r\n")).0, 400);
        assert_eq!(status(all_at_once(b"GET /\r\n\r\n")), (400, "bad_request"));
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(status(all_at_once(big.as_bytes())), (400, "head_too_large"));
        let cl = |v: &str| format!("POST / HTTP/1.1\r\nContent-Length: {v}\r\n\r\n");
        assert_eq!(status(all_at_once(cl("4294967296").as_bytes())).0, 413);
        assert_eq!(status(all_at_once(cl("-1").as_bytes())).0, 400);
        assert_eq!(status(all_at_once(cl("1e3").as_bytes())).0, 400);
        let te = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(status(all_at_once(te)).0, 411);
        // Two lengths: the same one twice is that length; two different ones are refused
        // (found by the http_request fuzz target: the body had the second length while the
        // request's `header("content-length")` gave the first).
        let two = |a: &str, b: &str| {
            format!("POST / HTTP/1.1\r\nContent-Length: {a}\nContent-Length: {b}\r\n\r\n}}")
        };
        assert_eq!(
            status(all_at_once(two("0", "1").as_bytes())),
            (400, "bad_request")
        );
        match all_at_once(two("1", " 1").as_bytes()) {
            Progress::Done(req) => assert_eq!(&req.body[..], b"}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_short_body_is_incomplete() {
        let mut intake = Intake::new();
        let p = intake.push(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
        assert!(matches!(p, Progress::More));
        let r = intake.incomplete("test").expect("a refusal");
        assert_eq!((r.status, r.kind), (400, "incomplete_body"));
        assert!(r.message.contains("3 of 10 bytes"), "{}", r.message);
        assert!(Intake::new().incomplete("test").is_none());
    }
}
