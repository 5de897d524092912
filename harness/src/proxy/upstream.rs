//! One request to the upstream (through [`crate::net`], the harness's one connector), shared
//! by `proxy` and `record`.

use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

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

/// RFC 3986 unreserved characters: never percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// A path keeps its separators and sub-delimiters.
const PATH: &AsciiSet = &UNRESERVED
    .remove(b'/')
    .remove(b':')
    .remove(b'@')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=');
/// A query value keeps `:`, `,` and `/` (`fault=rechunk:7`, `faults=[...]` stay readable).
const QUERY_VALUE: &AsciiSet = &UNRESERVED.remove(b':').remove(b',').remove(b'/');

/// `path?query` re-encoded from a parsed request (the harness's parser decodes both).
pub(crate) fn target(path: &str, query: &[(String, String)]) -> String {
    let mut t = utf8_percent_encode(path, PATH).to_string();
    if !query.is_empty() {
        t.push('?');
        let pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                let k = utf8_percent_encode(k, UNRESERVED);
                format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE))
            })
            .collect();
        t.push_str(&pairs.join("&"));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_re_encoded() {
        let q = [
            ("k y".to_owned(), "v:,/ &é".to_owned()),
            ("fault".to_owned(), "rechunk:7".to_owned()),
        ];
        assert_eq!(
            target("/a b/c:d~(x)", &q),
            "/a%20b/c:d~(x)?k%20y=v:,/%20%26%C3%A9&fault=rechunk:7"
        );
        assert_eq!(target("/v1/chat", &[]), "/v1/chat");
        assert_eq!(target("/%", &[]), "/%25");
    }
}
