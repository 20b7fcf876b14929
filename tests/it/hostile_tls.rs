//! TLS servers that speak TLS and still cannot be used — a 1024-bit key, only an old protocol version, a demand for
//! a client certificate, no HTTP/2 in ALPN — and the real binary naming each in plain words, with no hint to turn
//! TLS off (they speak TLS). Loopback only; the certificates come from the mock's own authority.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use puppet_lint::exit;
use puppet_lint::mock::authority::{Authority, Issued, server_config, valid_now};
use rustls::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{Cli, Ran, Scratch};

const TOKEN: &str = "insecure_h0stile-tls-5ecret9";
const NAME: &str = "hostile.example";

/// A 1024-bit RSA public key (PKCS#1 `RSAPublicKey`, DER), made once with
/// `openssl genrsa 1024`. Only its public half: the server signs with another
/// key (ring will not sign with 1024 bits), and puppet-lint must refuse the
/// certificate before any signature matters.
const WEAK_RSA: &str = "30818902818100eb2dbce441dcdba45501b94512623ab0c4aa9618708098abe7a1f380673854d4652767f6c334d457de\
                        7337b307e05f30bc7674732e3ce4ccaaba8c04105590c016543b42c0e1c4f04194080d4a0e4629630d39a2b9dea951\
                        779907dff0389e4a489ab7e06ba8a319717a7d7eafdd4d3a9ffee4e1cb52eb0393ee9e1ac9bb6c710203010001";

struct WeakRsa(Vec<u8>);

impl rcgen::PublicKeyData for WeakRsa {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap()).collect()
}

/// Accepts TLS connections with `config` until the test ends (each read once, then closed).
async fn serve_tls(config: Arc<ServerConfig>) -> SocketAddr {
    serve_tls_then(config, Some(b"")).await
}

/// Accepts TLS connections with `config`, then writes `reply` (an HTTP/1.1
/// server) or says nothing until the client closes.
async fn serve_tls_then(config: Arc<ServerConfig>, reply: Option<&'static [u8]>) -> SocketAddr {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    match reply {
                        Some(reply) => {
                            let _ = tls.read(&mut [0; 64]).await;
                            let _ = tls.write_all(reply).await;
                            let _ = tls.shutdown().await;
                        }
                        // Silent until the client gives up and closes (EOF) or the connection breaks.
                        None => while matches!(tls.read(&mut [0; 64]).await, Ok(read) if read > 0) {},
                    }
                }
            });
        }
    });
    address
}

/// Answers every ClientHello with one fatal alert record of this TLS
/// version, as a server that speaks only an older TLS does.
async fn serve_alert(version: [u8; 2], alert: u8) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = tcp.read(&mut [0; 4096]).await;
                let _ = tcp.write_all(&[0x15, version[0], version[1], 0, 2, 2, alert]).await;
                let _ = tcp.shutdown().await;
            });
        }
    });
    address
}

/// Runs the binary against `address` trusting `authority`, then `doctor`.
async fn both(address: SocketAddr, authority: &Authority) -> (Ran, Ran) {
    let scratch = Scratch::new("hostile-tls");
    let ca = scratch.path().join("ca.pem");
    std::fs::write(&ca, authority.certificate_pem()).unwrap();
    let target = |command: &[&str]| {
        Cli::new()
            .args(command.iter().copied())
            .args(["--endpoint", &address.to_string(), "--token", TOKEN])
            .args(["--tls-ca-cert", ca.to_str().unwrap(), "--tls-server-name", NAME, "--rpc-timeout", "3s"])
            .deadline(Duration::from_secs(60))
    };
    let run = target(&[]).args(["--no-report"]).run_async().await;
    let doctor = target(&["doctor"]).run_async().await;
    (run, doctor)
}

fn said_in_both(ran: &(Ran, Ran), words: &[&str]) {
    for one in [&ran.0, &ran.1] {
        one.code(exit::UNREACHABLE).never_shows(TOKEN).stdout_lacks("--no-tls (or").stdout_lacks("speaks plaintext");
        for word in words {
            one.stdout_has(word);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_1024_bit_key_is_refused_by_its_size() {
    let authority = Authority::new("Hostile CA").unwrap();
    let certificate = authority.issue_v3_for(&[NAME], valid_now(), &WeakRsa(unhex(WEAK_RSA))).unwrap();
    // The server signs with another key: the certificate is refused first.
    let signer = authority.issue_v3(&[NAME], valid_now()).unwrap();
    let address = serve_tls(server_config(certificate, signer.key).unwrap()).await;
    said_in_both(&both(address, &authority).await, &["RSA with 1024 bits", "2048 bits or more"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_of_tls_1_0_only_is_named() {
    let authority = Authority::new("Hostile CA").unwrap();
    let address = serve_alert([3, 1], 70).await;
    said_in_both(&both(address, &authority).await, &["only an older TLS version", "TLS 1.2 or 1.3"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_of_ssl_3_only_is_named() {
    let authority = Authority::new("Hostile CA").unwrap();
    let address = serve_alert([3, 0], 70).await;
    said_in_both(&both(address, &authority).await, &["only an older TLS version"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_demand_for_a_client_certificate_is_named() {
    let authority = Authority::new("Hostile CA").unwrap();
    let Issued { certificate, key } = authority.issue_v3(&[NAME], valid_now()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(rustls::pki_types::CertificateDer::from(pem_der(&authority.certificate_pem()))).unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()
    .unwrap();
    let base = server_config(certificate, key).unwrap();
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(base.cert_resolver.clone());
    config.alpn_protocols = vec![b"h2".to_vec()];
    let address = serve_tls(Arc::new(config)).await;
    said_in_both(&both(address, &authority).await, &["demands a client certificate", "by their token"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_h2_in_alpn_is_named() {
    let authority = Authority::new("Hostile CA").unwrap();
    let Issued { certificate, key } = authority.issue_v3(&[NAME], valid_now()).unwrap();
    let mut config = (*server_config(certificate, key).unwrap()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let address = serve_tls(Arc::new(config)).await;
    said_in_both(&both(address, &authority).await, &["no HTTP/2 over TLS (ALPN `h2`)"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_agrees_on_no_alpn_and_speaks_http1_or_nothing_is_named() {
    let authority = Authority::new("Hostile CA").unwrap();
    for reply in [Some(&b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"[..]), None] {
        let Issued { certificate, key } = authority.issue_v3(&[NAME], valid_now()).unwrap();
        let mut config = (*server_config(certificate, key).unwrap()).clone();
        config.alpn_protocols = Vec::new();
        let address = serve_tls_then(Arc::new(config), reply).await;
        said_in_both(&both(address, &authority).await, &["agreed on no protocol in ALPN"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_alert_is_shown_by_its_name() {
    let authority = Authority::new("Hostile CA").unwrap();
    let address = serve_alert([3, 3], 47).await;
    said_in_both(&both(address, &authority).await, &["TLS alert `illegal_parameter`"]);
}

fn pem_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|line| !line.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}
