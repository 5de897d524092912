//! One request to the upstream over hyper's HTTP/1 client, shared by `proxy` and `record`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::client::Url;

/// Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the proxy recomputes: never forwarded.
pub(crate) fn is_hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

/// The upstream's response: head, then a streaming body. Dropping it closes the connection.
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Incoming,
    conn: JoinHandle<()>,
}

impl Drop for Response {
    fn drop(&mut self) {
        self.conn.abort();
    }
}

impl Response {
    /// The first header with this name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request. `headers` are forwarded as given (minus hop-by-hop ones); `Host` is the
/// upstream's, and `Accept-Encoding` is dropped so that the body arrives uncompressed (faults
/// work on SSE bytes).
pub(crate) async fn send(
    url: &Url,
    method: &str,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<Response, String> {
    let authority = if url.host.contains(':') {
        format!("[{}]:{}", url.host, url.port)
    } else {
        format!("{}:{}", url.host, url.port)
    };
    let tcp = TcpStream::connect(&authority)
        .await
        .map_err(|e| format!("connect {authority}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| format!("handshake {authority}: {e}"))?;
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let method = hyper::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(url.target.as_str())
        .header("host", authority.as_str());
    for (k, v) in headers {
        if is_hop_by_hop(k) || k.eq_ignore_ascii_case("accept-encoding") {
            continue;
        }
        req = req.header(k.as_str(), v.as_str());
    }
    let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;
    let resp = match sender.send_request(req).await {
        Ok(r) => r,
        Err(e) => {
            conn.abort();
            return Err(format!("upstream {authority}: {e}"));
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
    Ok(Response {
        status,
        headers,
        body: resp.into_body(),
        conn,
    })
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `keep`.
pub(crate) fn encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `path?query` re-encoded from a parsed request (the harness's parser decodes both).
pub(crate) fn target(path: &str, query: &[(String, String)]) -> String {
    let mut t = encode(path, b"/:@!$&'()*+,;=");
    if !query.is_empty() {
        t.push('?');
        let pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k, b""), encode(v, b":,/")))
            .collect();
        t.push_str(&pairs.join("&"));
    }
    t
}
