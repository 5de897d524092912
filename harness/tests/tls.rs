//! https upstreams for `probe`, `proxy` and `record`. A TLS front on 127.0.0.1 (tokio-rustls,
//! with a CA and a server certificate made here by rcgen, so nothing secret is committed and
//! nothing expires) forwards each connection to a plain `serve`; the front records the SNI and
//! the ALPN protocol of every handshake it completed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

mod support;
use support::{body, fetch, harness, probe, probe_chat, record, serve, start, temp_dir, Proc};

/// What the front saw of one handshake: the SNI host name and the negotiated ALPN protocol.
type Hello = (Option<String>, Option<String>);

/// A TLS terminator in front of a plain HTTP server.
struct Front {
    port: u16,
    /// The CA that signed the front's certificate, as a PEM file.
    ca_file: PathBuf,
    dir: PathBuf,
    hellos: Arc<Mutex<Vec<Hello>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Front {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Front {
    /// Starts a front for `upstream` (`http://127.0.0.1:PORT`) with a certificate for
    /// `localhost` and `127.0.0.1`, signed by a fresh CA.
    fn start(upstream: &str) -> Front {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "streamguard test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = ca.self_signed(&ca_key).expect("CA certificate");
        let key = KeyPair::generate().expect("server key");
        let cert = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server params")
            .signed_by(&key, &ca, &ca_key)
            .expect("server certificate");

        let dir = temp_dir("tls");
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).expect("write the CA");

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("server config");
        // h2 first: a client that offered h2 would get it, so `http/1.1` in the log shows that
        // the client offers HTTP/1.1 only.
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("addr").port();
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let hellos = Arc::new(Mutex::new(Vec::new()));
        let seen = hellos.clone();
        let (stop, mut stopped) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let tcp = tokio::select! {
                        _ = &mut stopped => return,
                        accepted = listener.accept() => match accepted {
                            Ok((tcp, _)) => tcp,
                            Err(_) => continue,
                        },
                    };
                    let (acceptor, upstream, seen) =
                        (acceptor.clone(), upstream.clone(), seen.clone());
                    tokio::spawn(async move {
                        // A client that rejects the certificate ends the handshake here.
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let conn = tls.get_ref().1;
                        let hello = (
                            conn.server_name().map(str::to_owned),
                            conn.alpn_protocol()
                                .map(|p| String::from_utf8_lossy(p).into_owned()),
                        );
                        seen.lock().expect("hellos").push(hello);
                        let Ok(mut plain) = tokio::net::TcpStream::connect(&upstream).await else {
                            return;
                        };
                        // The upstream's close becomes a TLS close_notify, then a FIN.
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    });
                }
            });
        });
        Front {
            port,
            ca_file,
            dir,
            hellos,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self, host: &str, target: &str) -> String {
        format!("https://{host}:{}{target}", self.port)
    }

    fn ca(&self) -> &str {
        self.ca_file.to_str().expect("a UTF-8 path")
    }

    fn hellos(&self) -> Vec<Hello> {
        self.hellos.lock().expect("hellos").clone()
    }
}

fn upstream() -> Proc {
    serve(&["--seed", "1"])
}

const HTTP11: Option<&str> = Some("http/1.1");

#[test]
fn probe_over_https_with_the_ca_file_completes_with_the_exact_text() {
    let up = upstream();
    let front = Front::start(&up.url);
    for host in ["127.0.0.1", "localhost"] {
        let url = front.url(host, "/v1/chat/completions");
        let ok = probe_chat(&url, "finish_no_done", &["--ca-file", front.ca()]);
        assert_eq!(ok["outcome"], "complete", "{host}: {ok}");
        assert_eq!(ok["finishReason"], "stop");
        assert_eq!(ok["text"], "Finished but no done marker");
    }
    // No SNI for an IP address (RFC 6066), the host name otherwise; HTTP/1.1 both times.
    assert_eq!(
        front.hellos(),
        vec![
            (None, HTTP11.map(str::to_owned)),
            (Some("localhost".to_owned()), HTTP11.map(str::to_owned)),
        ]
    );
}

#[test]
fn probe_over_https_without_the_ca_is_a_network_error_about_the_certificate() {
    let up = upstream();
    let front = Front::start(&up.url);
    let err = probe(&[
        &front.url("127.0.0.1", "/scenarios/finish_no_done"),
        "--protocol",
        "openai",
    ]);
    assert_eq!(err["outcome"], "network_error", "{err}");
    assert_eq!(err["error"]["code"], "network_error");
    let message = err["error"]["message"].as_str().expect("a message");
    assert!(message.contains("certificate"), "{message}");
    assert!(message.contains("--ca-file"), "{message}");
    assert_eq!(err["text"], "");
    assert!(front.hellos().is_empty(), "no handshake completed");
}

#[test]
fn a_ca_file_without_a_certificate_is_a_usage_error() {
    let dir = temp_dir("tls-bad-ca");
    let bad = dir.join("bad.pem");
    std::fs::write(&bad, "not a certificate\n").expect("write");
    let out = harness()
        .args(["probe", "https://127.0.0.1:9/", "--ca-file"])
        .arg(&bad)
        .output()
        .expect("run probe");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--ca-file"), "{stderr}");
    assert!(stderr.contains("no CERTIFICATE"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn proxy(front: &Front, extra: &[&str]) -> Proc {
    let upstream = front.url("127.0.0.1", "");
    let mut args = vec!["proxy", "--upstream", upstream.as_str(), "--seed", "7"];
    args.extend_from_slice(extra);
    start(&args)
}

#[test]
fn proxy_streams_an_https_upstream_through_its_faults() {
    let up = upstream();
    let front = Front::start(&up.url);
    let direct = fetch(&up.url, "POST", "/scenarios/openai_ok?seed=3");
    let want = body(&direct);
    assert!(want.ends_with(b"data: [DONE]\n\n"));
    let px = proxy(
        &front,
        &["--ca-file", front.ca(), "--fault", "drop_terminator"],
    );
    let got = fetch(&px.url, "POST", "/scenarios/openai_ok?seed=3");
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    assert_eq!(body(&got), &want[..want.len() - b"data: [DONE]\n\n".len()]);
    assert_eq!(front.hellos(), vec![(None, HTTP11.map(str::to_owned))]);
}

#[test]
fn proxy_answers_502_when_the_upstream_certificate_is_not_trusted() {
    let up = upstream();
    let front = Front::start(&up.url);
    let px = proxy(&front, &[]);
    let got = fetch(&px.url, "POST", "/scenarios/openai_ok");
    assert!(
        got.starts_with(b"HTTP/1.1 502"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    let v: serde_json::Value = serde_json::from_slice(body(&got)).expect("a JSON body");
    assert_eq!(v["error"]["type"], "upstream_unreachable");
    let message = v["error"]["message"].as_str().expect("a message");
    assert!(message.contains("certificate"), "{message}");
}

#[test]
fn record_from_an_https_upstream() {
    let up = upstream();
    let front = Front::start(&up.url);
    let dir = temp_dir("tls-record");
    let file: &Path = &dir.join("cut.json");
    record(
        &front.url("127.0.0.1", "/scenarios/no_done"),
        file,
        &["--ca-file", front.ca()],
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("file")).expect("json");
    assert_eq!(v["expect"]["outcome"], "truncated");
    assert_eq!(v["expect"]["text"], "Cut off in the middle");
    assert_eq!(v["status"], 200);
    let _ = std::fs::remove_dir_all(&dir);
}
