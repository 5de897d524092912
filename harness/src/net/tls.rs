//! TLS for https: rustls with the `ring` provider, Mozilla's roots (`webpki-roots`) plus the
//! CAs of `--ca-file`, SNI from the URL's host name (none for an IP address), ALPN
//! `http/1.1`; and the hints a failed handshake's message carries.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use streamguard::{NetworkError, NetworkErrorKind};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::{classify, Url};

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

pub(super) async fn tls_handshake(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
