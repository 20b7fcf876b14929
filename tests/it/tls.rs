//! puppet-lint's TLS client: each refusal through a real handshake on
//! loopback, for v1 and v3 leaves, against certificates from the mock's own
//! authority.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use puppet_lint::mock::authority::{Authority, Issued, server_config, valid_now};
use puppet_lint::target::tls::{PeerCertificate, Refusal, Trust, handshake};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};

fn expired() -> std::ops::Range<SystemTime> {
    let now = SystemTime::now();
    now - Duration::from_secs(20 * 86_400)..now - Duration::from_secs(10 * 86_400)
}

/// Serves `issued` once on loopback and runs the client handshake against it.
async fn handshake_with(
    issued: Issued,
    trust: &Trust,
    server_name: &str,
    tls12_only: bool,
) -> Result<(), Option<Refusal>> {
    let mut server = (*server_config(issued.certificate, issued.key).unwrap()).clone();
    if tls12_only {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let resolver = server.cert_resolver.clone();
        server = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(resolver);
    }
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((tcp, _)) = listener.accept().await {
            let _ = acceptor.accept(tcp).await;
        }
    });
    let tcp = TcpStream::connect(address).await.unwrap();
    match handshake(tcp, trust.client_config().unwrap(), server_name).await {
        Ok(_) => Ok(()),
        Err(error) => Err(Refusal::find(&error)),
    }
}

fn trust_in(authority: &Authority) -> Trust {
    Trust::from_pem(&authority.certificate_pem(), "test CA").unwrap()
}

#[tokio::test]
async fn a_v1_certificate_from_a_trusted_ca_is_verified_and_accepted() {
    let ca = Authority::new("test root").unwrap();
    let leaf = ca.issue_v1("insecure", valid_now()).unwrap();
    assert_eq!(handshake_with(leaf, &trust_in(&ca), "insecure", false).await, Ok(()));
}

#[tokio::test]
async fn a_v1_certificate_is_accepted_over_tls12_too() {
    let ca = Authority::new("test root").unwrap();
    let leaf = ca.issue_v1("insecure", valid_now()).unwrap();
    assert_eq!(handshake_with(leaf, &trust_in(&ca), "insecure", true).await, Ok(()));
}

#[tokio::test]
async fn the_v1_common_name_is_compared_ignoring_case() {
    let ca = Authority::new("test root").unwrap();
    let leaf = ca.issue_v1("Puppet_PadLocal", valid_now()).unwrap();
    assert_eq!(handshake_with(leaf, &trust_in(&ca), "puppet_padlocal", false).await, Ok(()));
}

#[tokio::test]
async fn a_v1_certificate_from_another_ca_is_refused_as_unknown_issuer() {
    let ca = Authority::new("test root").unwrap();
    let stranger = Authority::new("stranger root").unwrap();
    let leaf = stranger.issue_v1("insecure", valid_now()).unwrap();
    let refusal = handshake_with(leaf, &trust_in(&ca), "insecure", false).await.unwrap_err().unwrap();
    assert!(
        matches!(&refusal, Refusal::UnknownIssuer { issuer, trusted }
        if issuer.contains("stranger root") && trusted.contains("test root")),
        "{refusal}"
    );
}

#[tokio::test]
async fn an_expired_v1_certificate_is_refused_as_expired() {
    let ca = Authority::new("test root").unwrap();
    let leaf = ca.issue_v1("insecure", expired()).unwrap();
    let refusal = handshake_with(leaf, &trust_in(&ca), "insecure", false).await.unwrap_err().unwrap();
    assert!(matches!(refusal, Refusal::Expired { .. }), "{refusal}");
    assert!(refusal.to_string().starts_with("the certificate expired at "), "{refusal}");
}

#[tokio::test]
async fn a_v1_certificate_for_another_name_is_refused_as_wrong_name() {
    let ca = Authority::new("test root").unwrap();
    let leaf = ca.issue_v1("insecure", valid_now()).unwrap();
    let refusal = handshake_with(leaf, &trust_in(&ca), "puppet_padlocal", false).await.unwrap_err().unwrap();
    assert_eq!(refusal.to_string(), "the certificate is for CN \"insecure\", not \"puppet_padlocal\"");
}

#[tokio::test]
async fn a_v3_certificate_goes_through_webpki_and_is_accepted() {
    let ca = Authority::new("test root").unwrap();
    let leaf = ca.issue_v3(&["puppet.example"], valid_now()).unwrap();
    assert_eq!(handshake_with(leaf, &trust_in(&ca), "puppet.example", false).await, Ok(()));
}

#[tokio::test]
async fn each_v3_refusal_says_which() {
    let ca = Authority::new("test root").unwrap();
    let stranger = Authority::new("stranger root").unwrap();
    let trust = trust_in(&ca);

    let foreign = stranger.issue_v3(&["puppet.example"], valid_now()).unwrap();
    let refusal = handshake_with(foreign, &trust, "puppet.example", false).await.unwrap_err().unwrap();
    assert!(matches!(refusal, Refusal::UnknownIssuer { .. }), "{refusal}");

    let old = ca.issue_v3(&["puppet.example"], expired()).unwrap();
    let refusal = handshake_with(old, &trust, "puppet.example", false).await.unwrap_err().unwrap();
    assert!(matches!(refusal, Refusal::Expired { .. }), "{refusal}");

    let elsewhere = ca.issue_v3(&["other.example"], valid_now()).unwrap();
    let refusal = handshake_with(elsewhere, &trust, "puppet.example", false).await.unwrap_err().unwrap();
    assert!(
        matches!(&refusal, Refusal::WrongName { presented, .. } if presented.contains("other.example")),
        "{refusal}"
    );
}

#[test]
fn the_embedded_root_is_the_public_wechaty_ca() {
    let trust = Trust::wechaty_root();
    assert_eq!(trust.certificates.len(), 1);
    let fingerprint = ring::digest::digest(&ring::digest::SHA256, &trust.certificates[0]);
    let hex: Vec<String> = fingerprint.as_ref().iter().map(|byte| format!("{byte:02X}")).collect();
    assert_eq!(
        hex.join(":"),
        "8D:69:5F:55:D4:97:D9:B6:7C:A4:CA:CC:80:11:8A:E1:27:F0:77:BB:EE:34:9E:4F:5C:2B:8F:7C:89:F5:4C:2B"
    );
    let peer = PeerCertificate::of(&trust.certificates[0]).unwrap();
    assert!(peer.subject.contains("CN=wechaty-root-ca"), "{}", peer.subject);
    assert_eq!(peer.not_after, "2031-08-07T15:48:52Z");
}

#[test]
fn pem_without_certificates_is_a_clear_error() {
    let error = Trust::from_pem("hello", "WECHATY_PUPPET_SERVICE_TLS_CA_CERT").unwrap_err();
    assert_eq!(error.to_string(), "WECHATY_PUPPET_SERVICE_TLS_CA_CERT holds no PEM certificate");
}

/// A self-signed CA certificate served as the server's own (as `openssl req
/// -x509` makes them): accepted when it is the trusted CA itself, as Node's
/// client does; refused as an unknown issuer otherwise, with the hint to trust it.
#[tokio::test]
async fn a_self_signed_ca_served_as_its_own_certificate_is_accepted_when_trusted() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    let certificate = params.self_signed(&key).unwrap();
    let issued = || Issued {
        certificate: certificate.der().clone(),
        key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    };
    let trusted = Trust::from_pem(&certificate.pem(), "self-signed").unwrap();
    assert_eq!(handshake_with(issued(), &trusted, "localhost", false).await, Ok(()));
    let refusal = handshake_with(issued(), &trusted, "elsewhere", false).await.unwrap_err().unwrap();
    assert!(matches!(refusal, Refusal::WrongName { .. }), "{refusal}");
    let stranger = trust_in(&Authority::new("stranger root").unwrap());
    let refusal = handshake_with(issued(), &stranger, "localhost", false).await.unwrap_err().unwrap();
    assert!(matches!(refusal, Refusal::UnknownIssuer { .. }), "{refusal}");
    assert!(refusal.hint().contains("--tls-ca-cert"));
}
