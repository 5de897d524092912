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
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use streamguard::{NetworkError, NetworkErrorKind};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use crate::server::http::find_header;

/// A parsed `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    /// `https://`: the connection is TLS.
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, `/` at least.
    pub target: String,
}

impl Url {
    /// Parses an `http://` or `https://` URL (the `url` crate, WHATWG rules: the host is
    /// lower-cased and IDNA-encoded, dot segments are resolved, the fragment is dropped).
    pub(crate) fn parse(url: &str) -> Result<Url, String> {
        let not_http = || format!("not an http:// or https:// URL: {url}");
        let parsed = match url::Url::parse(url) {
            Ok(u) => u,
            Err(url::ParseError::RelativeUrlWithoutBase) => return Err(not_http()),
            Err(url::ParseError::EmptyHost) => return Err(format!("no host in {url}")),
            Err(e) => return Err(format!("{url}: {e}")),
        };
        let tls = match parsed.scheme() {
            "http" => false,
            "https" => true,
            _ => return Err(not_http()),
        };
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(format!("no host in {url}")),
        };
        let port = parsed
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 });
        let mut target = parsed.path().to_owned();
        if let Some(q) = parsed.query() {
            target.push('?');
            target.push_str(q);
        }
        Ok(Url {
            tls,
            host,
            port,
            target,
        })
    }

    /// `host:port` (`[v6]:port`), as messages name it.
    pub(crate) fn authority(&self) -> String {
        format!("{}:{}", self.bracketed_host(), self.port)
    }

    /// The `Host` header: the authority, without the scheme's default port (as browsers and
    /// curl send it; some virtual hosts match `api.example.com` but not `api.example.com:443`).
    pub(crate) fn host_header(&self) -> String {
        let default_port = if self.tls { 443 } else { 80 };
        if self.port == default_port {
            self.bracketed_host()
        } else {
            self.authority()
        }
    }

    fn bracketed_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

/// The TLS client settings: Mozilla's roots, plus the CAs of a `--ca-file`. Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Tls(
    /// `None`: Mozilla's roots only, built on first use (plain-http runs never build them).
    Option<Arc<ClientConfig>>,
);

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let roots = if self.0.is_some() {
            "webpki-roots + --ca-file"
        } else {
            "webpki-roots"
        };
        f.debug_tuple("Tls").field(&roots).finish()
    }
}

impl Tls {
    /// Mozilla's roots plus every certificate of a PEM file.
    pub(crate) fn with_ca_file(path: &Path) -> Result<Tls, String> {
        let at = |e: &dyn fmt::Display| format!("--ca-file {}: {e}", path.display());
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| at(&e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| at(&e))?;
        if certs.is_empty() {
            return Err(at(&"no CERTIFICATE in the file"));
        }
        let config = client_config(certs).map_err(|e| at(&e))?;
        Ok(Tls(Some(Arc::new(config))))
    }

    fn config(&self) -> Result<Arc<ClientConfig>, String> {
        static ROOTS_ONLY: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
        match &self.0 {
            Some(c) => Ok(c.clone()),
            None => ROOTS_ONLY
                .get_or_init(|| client_config(Vec::new()).map(Arc::new))
                .clone(),
        }
    }
}

fn client_config(extra_roots: Vec<CertificateDer<'static>>) -> Result<ClientConfig, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in extra_roots {
        roots
            .add(cert)
            .map_err(|e| format!("not a usable CA certificate: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// `--ca-file`, shared by `probe`, `proxy` and `record`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TlsArgs {
    /// For https: a PEM file of CA certificates to trust besides Mozilla's roots (a corporate
    /// proxy's CA, a test CA).
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
}

impl TlsArgs {
    pub(crate) fn tls(&self) -> Result<Tls, String> {
        match &self.ca_file {
            Some(path) => Tls::with_ca_file(path),
            None => Ok(Tls::default()),
        }
    }
}

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

async fn tls_handshake(
    url: &Url,
    tls: &Tls,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, NetworkError> {
    let other = |message| NetworkError {
        kind: NetworkErrorKind::Other,
        message,
    };
    let config = tls.config().map_err(other)?;
    let name = ServerName::try_from(url.host.clone())
        .map_err(|e| other(format!("TLS server name {:?}: {e}", url.host)))?;
    TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| NetworkError {
            kind: classify(&e),
            message: format!("TLS handshake with {}: {e}{}", url.authority(), hint(&e)),
        })
}

/// What a failed TLS handshake most likely means.
fn hint(e: &std::io::Error) -> &'static str {
    match e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
            " (the server's certificate is not signed by a trusted CA: Mozilla's roots are \
             trusted, add yours with --ca-file PEM)"
        }
        // webpki's error arrives boxed in `Other`; its name is the stable part of the text.
        Some(rustls::Error::InvalidCertificate(c))
            if format!("{c:?}").contains("CaUsedAsEndEntity") =>
        {
            " (the server presents a CA certificate as its own; `openssl req -x509` makes one \
             unless given `-addext basicConstraints=critical,CA:FALSE`)"
        }
        Some(rustls::Error::InvalidCertificate(_)) => " (the server's certificate was rejected)",
        Some(rustls::Error::NoApplicationProtocol) => {
            " (the server does not speak HTTP/1.1, the only protocol this client offers)"
        }
        Some(rustls::Error::InvalidMessage(_)) => " (is it an https server?)",
        _ => "",
    }
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

    #[test]
    fn urls_parse() {
        let u = Url::parse("http://127.0.0.1:8080/v1/chat/completions?x=1").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.target.as_str()),
            (false, "127.0.0.1", 8080, "/v1/chat/completions?x=1")
        );
        let u = Url::parse("http://localhost").unwrap();
        assert_eq!((u.port, u.target.as_str()), (80, "/"));
        let u = Url::parse("http://[::1]:9/a").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 9));
        let u = Url::parse("https://api.openai.com/v1").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.target.as_str()),
            (true, "api.openai.com", 443, "/v1")
        );
        let u = Url::parse("https://127.0.0.1:8443?q").unwrap();
        assert_eq!((u.tls, u.port, u.target.as_str()), (true, 8443, "/?q"));
        assert!(Url::parse("ftp://x").is_err());
        let host = |url| Url::parse(url).unwrap().host_header();
        assert_eq!(host("https://api.openai.com/v1"), "api.openai.com");
        assert_eq!(host("https://[::1]/"), "[::1]");
        assert_eq!(host("https://[::1]:80/"), "[::1]:80");
        assert_eq!(host("http://localhost/"), "localhost");
        assert_eq!(host("http://127.0.0.1:8080/"), "127.0.0.1:8080");
        assert!(Url::parse("https://:443/").is_err());
        assert_eq!(
            Url::parse("localhost:8080").unwrap_err(),
            "not an http:// or https:// URL: localhost:8080"
        );
        assert!(Url::parse("http://h:99999/").is_err());
        let u = Url::parse("HTTP://API.Example.com/a/../b?x=1#frag").unwrap();
        assert_eq!(
            (u.host.as_str(), u.target.as_str()),
            ("api.example.com", "/b?x=1")
        );
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let dir = std::env::temp_dir().join(format!("sg-net-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a PEM file\n").unwrap();
        let e = Tls::with_ca_file(&empty).unwrap_err();
        assert!(e.contains("no CERTIFICATE"), "{e}");
        let e = Tls::with_ca_file(&dir.join("missing.pem")).unwrap_err();
        assert!(e.starts_with("--ca-file "), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

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
