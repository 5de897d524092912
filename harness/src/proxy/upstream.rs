//! One request to the upstream (through [`crate::net`], the harness's one connector), shared
//! by `proxy` and `record`.

use bytes::Bytes;

pub(crate) use crate::net::Response;
use crate::net::{self, Tls, Url};

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

/// Sends one request (over TLS for an https upstream). `headers` are forwarded as given minus
/// the hop-by-hop ones; `Host` is the upstream's, and `Accept-Encoding` is dropped so that the
/// body arrives uncompressed (faults work on SSE bytes).
pub(crate) async fn send(
    url: &Url,
    tls: &Tls,
    method: &str,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<Response, String> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .filter(|(k, _)| !is_hop_by_hop(k) && !k.eq_ignore_ascii_case("accept-encoding"))
        .cloned()
        .collect();
    let req = net::request(url, method, &headers, body)?;
    net::send(url, tls, req)
        .await
        .map_err(|e| format!("upstream {}", e.message))
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
