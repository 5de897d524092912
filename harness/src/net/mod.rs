//! One HTTP/1.1 connection to an `http://` or `https://` URL: the single connector of the
//! native client, `proxy` and `record` (and the control-API GETs).
//!
//! TCP (no Nagle), then for `https://` TLS with rustls (the `ring` provider; SNI from the URL's
//! host name, none for an IP address, as RFC 6066 says; ALPN `http/1.1`; Mozilla's roots from
//! `webpki-roots`, plus the CAs of `--ca-file`), then hyper's HTTP/1 handshake.
//!
//! HTTP/1.1 only: hyper's `http1` connection is all the client speaks, so ALPN offers nothing
//! else and an https server that would prefer h2 answers in HTTP/1.1 (one that speaks only h2
//! fails the handshake, and the message says so).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use streamguard::{NetworkError, NetworkErrorKind};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::server::http::find_header;

mod tls;
mod url;

pub(crate) use self::url::Url;
use tls::tls_handshake;
pub(crate) use tls::Tls;
pub use tls::TlsArgs;

/// `--upstream URL` and `--ca-file`, shared by `proxy` and `record`.
#[derive(clap::Args, Debug, Clone)]
pub struct UpstreamArgs {
    /// The real endpoint, `http://` or `https://`: for `proxy` scheme, host, port and an
    /// optional path prefix (request paths are appended); for `record` the full URL.
    #[arg(long = "upstream", value_name = "URL")]
    pub url: String,
    #[command(flatten)]
    pub tls: TlsArgs,
}

impl UpstreamArgs {
    /// The parsed URL and the TLS settings.
    pub(crate) fn open(&self) -> Result<(Url, Tls), String> {
        let url = Url::parse(&self.url).map_err(|e| format!("--upstream: {e}"))?;
        Ok((url, self.tls.tls()?))
    }
}

/// The byte stream under hyper: TCP, or TLS over TCP.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

pub(crate) type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;
pub(crate) type Connection =
    hyper::client::conn::http1::Connection<TokioIo<Box<dyn Io>>, Full<Bytes>>;

/// Connects to `url` (TCP, TLS for https, the HTTP/1 handshake). The caller drives the
/// connection future while it uses the sender; dropping the connection closes the socket.
pub(crate) async fn connect(url: &Url, tls: &Tls) -> Result<(Sender, Connection), NetworkError> {
    let authority = url.authority();
    let tcp = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| {
            let kind = if e.kind() == std::io::ErrorKind::ConnectionRefused {
                NetworkErrorKind::Refused
            } else {
                NetworkErrorKind::Other
            };
            NetworkError {
                kind,
                message: format!("connect {authority}: {e}"),
            }
        })?;
    let _ = tcp.set_nodelay(true);
    let io: Box<dyn Io> = if url.tls {
        Box::new(tls_handshake(url, tls, tcp).await?)
    } else {
        Box::new(tcp)
    };
    hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| NetworkError {
            kind: classify(&e),
            message: format!("handshake {authority}: {}", describe(&e)),
        })
}

/// The request: method, target, `Host` (unless `headers` has one), then `headers` as given.
pub(crate) fn request(
    url: &Url,
    method: &str,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<hyper::Request<Full<Bytes>>, String> {
    let mut builder = hyper::Request::builder()
        .method(method)
        .uri(url.target.as_str());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        builder = builder.header("host", url.host_header());
    }
    for (k, v) in headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    builder.body(Full::new(body)).map_err(|e| e.to_string())
}

/// Header names and values (lossy UTF-8), in order.
pub(crate) fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// A response whose body streams in; dropping it closes the connection.
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
        find_header(&self.headers, name)
    }
}

/// Connects, sends `req` (the connection driven by its own task) and returns the response
/// once its head arrived.
pub(crate) async fn send(
    url: &Url,
    tls: &Tls,
    req: hyper::Request<Full<Bytes>>,
) -> Result<Response, NetworkError> {
    let (mut sender, conn) = connect(url, tls).await?;
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    match sender.send_request(req).await {
        Ok(resp) => Ok(Response {
            status: resp.status().as_u16(),
            headers: header_pairs(resp.headers()),
            body: resp.into_body(),
            conn,
        }),
        Err(e) => {
            conn.abort();
            Err(NetworkError {
                kind: classify(&e),
                message: format!("{}: {}", url.authority(), describe(&e)),
            })
        }
    }
}

/// A plain GET returning the body as JSON (the harness's control endpoints).
pub(crate) async fn get_json(url: &str) -> Result<serde_json::Value, String> {
    let u = Url::parse(url)?;
    let req = request(&u, "GET", &[], Bytes::new())?;
    let mut resp = send(&u, &Tls::default(), req)
        .await
        .map_err(|e| format!("GET {url}: {}", e.message))?;
    let body = (&mut resp.body)
        .collect()
        .await
        .map_err(|e| describe(&e))?
        .to_bytes();
    if resp.status != 200 {
        return Err(format!(
            "GET {url}: {} {}",
            resp.status,
            String::from_utf8_lossy(&body)
        ));
    }
    serde_json::from_slice(&body).map_err(|e| format!("GET {url}: {e}"))
}

/// The kind of a network failure, from the first I/O error (or incomplete message) in the
/// error's chain.
pub(crate) fn classify(e: &(dyn std::error::Error + 'static)) -> NetworkErrorKind {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => NetworkErrorKind::Refused,
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof => NetworkErrorKind::Reset,
                _ => NetworkErrorKind::Other,
            };
        }
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            if h.is_incomplete_message() {
                return NetworkErrorKind::Reset;
            }
        }
        cur = err.source();
    }
    NetworkErrorKind::Other
}

/// The error and its sources, `: `-separated.
pub(crate) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(err) = cur {
        s.push_str(": ");
        s.push_str(&err.to_string());
        cur = err.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn https_without_a_server_is_refused_not_a_tls_error() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let url = Url::parse(&format!("https://127.0.0.1:{port}/")).unwrap();
        let e = connect(&url, &Tls::default()).await.err().unwrap();
        assert_eq!(e.kind, NetworkErrorKind::Refused, "{}", e.message);
    }
}
