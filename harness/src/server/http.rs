//! A minimal HTTP/1.1 server side: read one request (head with `httparse`, body by
//! Content-Length), write responses by hand. One request per connection: every response says
//! `Connection: close` (browsers and hyper handle that fine), which is also what lets the
//! harness end a body by closing, reset a connection, or lie about lengths.

use std::io;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// The largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// The largest request body accepted.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// The value of the first header named `name` (case-insensitive), in the harness's header
/// lists (requests it parses, responses it reads from upstreams, recordings).
pub(crate) fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A parsed request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    pub method: String,
    /// The path without the query, percent-decoded.
    pub path: String,
    /// Query parameters in order, percent-decoded (`+` is a space).
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl Request {
    /// The first header with this name (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The first query parameter with this name.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every query parameter with this name.
    pub(crate) fn params<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.query
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits a target into its percent-decoded path and its query parameters, decoded as
/// `application/x-www-form-urlencoded` (`+` is a space). Invalid escapes are kept as they are
/// and invalid UTF-8 becomes U+FFFD.
pub(crate) fn split_target(target: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    (path.into_owned(), query)
}

/// Reads one request. `Ok(None)`: the client closed before sending a complete head.
pub(crate) async fn read_request(stream: &mut TcpStream) -> io::Result<Option<Request>> {
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(n)) => {
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
                let len = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if len > MAX_BODY {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "body too large"));
                }
                let _ = buf.split_to(n);
                while buf.len() < len {
                    if stream.read_buf(&mut buf).await? == 0 {
                        return Ok(None);
                    }
                }
                let body = buf.split_to(len).freeze();
                return Ok(Some(Request {
                    method,
                    path,
                    query,
                    headers,
                    body,
                }));
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
        }
        if buf.len() > MAX_HEAD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "head too large"));
        }
        if stream.read_buf(&mut buf).await? == 0 {
            return Ok(None);
        }
    }
}

/// The reason phrase of a status.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Site Overloaded",
        _ => "Status",
    }
}

/// The CORS headers every response carries.
pub(crate) const CORS: &[(&str, &str)] = &[
    ("Access-Control-Allow-Origin", "*"),
    (
        "Access-Control-Expose-Headers",
        "Retry-After, retry-after-ms, x-streamguard-request-id, x-streamguard-scenario, x-streamguard-seed",
    ),
];

/// A response head (status line, the given headers, CORS, `Connection: close`).
pub(crate) fn head(status: u16, headers: &[(String, String)]) -> Vec<u8> {
    let mut s = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push_str("\r\n");
    }
    for (k, v) in CORS {
        if !headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(k)) {
            s.push_str(k);
            s.push_str(": ");
            s.push_str(v);
            s.push_str("\r\n");
        }
    }
    if !headers
        .iter()
        .any(|(h, _)| h.eq_ignore_ascii_case("connection"))
    {
        s.push_str("Connection: close\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// A complete response with a Content-Length body.
pub(crate) fn response(
    status: u16,
    content_type: &str,
    body: &[u8],
    extra: &[(String, String)],
) -> Vec<u8> {
    let mut headers = vec![
        ("Content-Type".to_owned(), content_type.to_owned()),
        ("Content-Length".to_owned(), body.len().to_string()),
        ("Cache-Control".to_owned(), "no-store".to_owned()),
    ];
    headers.extend_from_slice(extra);
    let mut out = head(status, &headers);
    out.extend_from_slice(body);
    out
}

/// A JSON response.
pub(crate) fn json(status: u16, value: &serde_json::Value) -> Vec<u8> {
    response(
        status,
        "application/json",
        value.to_string().as_bytes(),
        &[],
    )
}

/// The answer to a CORS preflight (`OPTIONS`): 204, the allowed methods, the requested headers
/// echoed (or `*`), a max age.
pub(crate) fn preflight(req: &Request) -> Vec<u8> {
    let allow_headers = req
        .header("access-control-request-headers")
        .filter(|h| !h.trim().is_empty())
        .unwrap_or("*")
        .to_owned();
    let headers = vec![
        (
            "Access-Control-Allow-Methods".to_owned(),
            "GET, POST, OPTIONS".to_owned(),
        ),
        ("Access-Control-Allow-Headers".to_owned(), allow_headers),
        ("Access-Control-Max-Age".to_owned(), "86400".to_owned()),
        ("Allow".to_owned(), "GET, POST, OPTIONS".to_owned()),
        ("Content-Length".to_owned(), "0".to_owned()),
    ];
    head(204, &headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_decoded() {
        let (p, q) = split_target("/a%20b?x=1&fault=rechunk%3A7&fault=split_utf8&e=a+b&flag");
        assert_eq!(p, "/a b");
        assert_eq!(q[1], ("fault".into(), "rechunk:7".into()));
        assert_eq!(q[2], ("fault".into(), "split_utf8".into()));
        assert_eq!(q[3], ("e".into(), "a b".into()));
        assert_eq!(q[4], ("flag".into(), String::new()));
        assert_eq!(split_target("/%zz%4").0, "/%zz%4");
        assert_eq!(split_target("/100%?a=%zz+%4").0, "/100%");
        assert_eq!(split_target("/?a=%zz+%4").1[0].1, "%zz %4");
        assert_eq!(split_target("/a+b%ff").0, "/a+b\u{fffd}");
    }

    #[test]
    fn preflight_echoes_requested_headers() {
        let req = Request {
            method: "OPTIONS".into(),
            headers: vec![(
                "Access-Control-Request-Headers".into(),
                "content-type, x-streamguard-scenario".into(),
            )],
            ..Request::default()
        };
        let text = String::from_utf8(preflight(&req)).unwrap();
        assert!(text.starts_with("HTTP/1.1 204 No Content\r\n"));
        assert!(
            text.contains("Access-Control-Allow-Headers: content-type, x-streamguard-scenario\r\n")
        );
        assert!(text.contains("Access-Control-Allow-Origin: *\r\n"));
        assert!(text.contains("Access-Control-Allow-Methods: GET, POST, OPTIONS\r\n"));
        assert!(text.contains("Access-Control-Max-Age: 86400\r\n"));
    }
}
