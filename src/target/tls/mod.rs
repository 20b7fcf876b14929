//! TLS as Wechaty does it: on by default, the public Wechaty root CA trusted
//! unless told otherwise, the server name taken from the token, and the
//! official server's X.509 v1 certificate verified (see [`verify`]).

mod mismatch;
mod verify;

use std::io;
use std::sync::{Arc, Once};

use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use x509_parser::prelude::{FromDer, X509Certificate, X509Version};

pub use mismatch::Mismatch;
pub use verify::{Refusal, WechatyVerifier};

use super::connect::TlsClient;
use crate::config::{Target, TrustSource};

/// The public Wechaty root CA (`CN=wechaty-root-ca`, valid 2021-08-09 →
/// 2031-08-07), as bundled by `wechaty-puppet-service`.
pub const WECHATY_ROOT_CA_PEM: &str = include_str!("wechaty-root-ca.pem");

/// HTTP/2 over TLS: without it a server's handshake succeeds and the first
/// call fails with a misleading frame error (WIRE.md, "Auth and TLS").
pub const ALPN_H2: &[u8] = b"h2";

/// rustls needs one process-wide crypto provider; puppet-lint uses ring.
pub fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{source_name} holds no PEM certificate")]
    NoCertificate { source_name: String },
    #[error("{source_name}: {reason}")]
    Unusable { source_name: String, reason: String },
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: io::Error },
}

/// The CAs a connection trusts, and where they came from (for messages).
#[derive(Debug, Clone)]
pub struct Trust {
    pub certificates: Vec<CertificateDer<'static>>,
    pub source_name: String,
}

impl Trust {
    pub fn wechaty_root() -> Trust {
        Trust::from_pem(WECHATY_ROOT_CA_PEM, "the embedded Wechaty root CA").unwrap_or_else(|_| Trust {
            certificates: Vec::new(),
            source_name: "the embedded Wechaty root CA (unreadable)".into(),
        })
    }

    pub fn from_pem(pem: &str, source_name: &str) -> Result<Trust, SetupError> {
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|error| SetupError::Unusable { source_name: source_name.into(), reason: error.to_string() })?;
        if certificates.is_empty() {
            return Err(SetupError::NoCertificate { source_name: source_name.into() });
        }
        Ok(Trust { certificates, source_name: source_name.into() })
    }

    pub fn from_file(path: &std::path::Path) -> Result<Trust, SetupError> {
        let pem = crate::input::read_to_string(path, crate::input::cap::SMALL)
            .map_err(|error| SetupError::Read { path: path.display().to_string(), error })?;
        Trust::from_pem(&pem, &path.display().to_string())
    }

    pub fn client_config(&self) -> Result<Arc<ClientConfig>, SetupError> {
        self.client_config_asked().map(|(config, _)| config)
    }

    /// [`Trust::client_config`], and what tells whether a server asked it
    /// for a client certificate.
    pub fn client_config_asked(&self) -> Result<(Arc<ClientConfig>, Arc<CertificateAsked>), SetupError> {
        install_crypto();
        let verifier = WechatyVerifier::new(&self.certificates)
            .map_err(|reason| SetupError::Unusable { source_name: self.source_name.clone(), reason })?;
        let mut config = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|error| SetupError::Unusable { source_name: self.source_name.clone(), reason: error.to_string() })?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let asked = Arc::new(CertificateAsked::default());
        config.client_auth_cert_resolver = asked.clone();
        // Without ALPN h2 the handshake succeeds and the first call fails with
        // a misleading HTTP/2 frame error.
        config.alpn_protocols = vec![ALPN_H2.to_vec()];
        Ok((Arc::new(config), asked))
    }
}

/// The TLS handshake on an open TCP connection.
pub async fn handshake(
    tcp: TcpStream,
    config: Arc<ClientConfig>,
    server_name: &str,
) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let name = ServerName::try_from(server_name.to_owned()).map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("\"{server_name}\" is not a valid server name"))
    })?;
    let stream = tokio_rustls::TlsConnector::from(config).connect(name, tcp).await?;
    // gRPC needs HTTP/2: a server that chose another protocol (ALPN) will
    // not speak it. One that chose none may still speak HTTP/2.
    if let Some(chose) = stream.get_ref().1.alpn_protocol()
        && chose != ALPN_H2
    {
        let chose = String::from_utf8_lossy(chose).chars().take(40).collect();
        return Err(io::Error::other(Mismatch::NoHttp2 { chose: Some(chose) }));
    }
    Ok(stream)
}

/// What a person wants to know about the certificate a server presented.
#[derive(Debug, Clone)]
pub struct PeerCertificate {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub version: u32,
}

impl PeerCertificate {
    pub fn of(certificate: &CertificateDer<'_>) -> Option<PeerCertificate> {
        let (_, parsed) = X509Certificate::from_der(certificate).ok()?;
        Some(PeerCertificate {
            subject: parsed.subject().to_string(),
            issuer: parsed.issuer().to_string(),
            not_before: crate::clock::rfc3339_from_unix(parsed.validity().not_before.timestamp()),
            not_after: crate::clock::rfc3339_from_unix(parsed.validity().not_after.timestamp()),
            version: if parsed.version() == X509Version::V1 { 1 } else { parsed.version().0 + 1 },
        })
    }
}

impl Trust {
    /// The CA certificates a target's TLS settings name.
    pub fn load(source: &TrustSource) -> Result<Trust, SetupError> {
        match source {
            TrustSource::Embedded => Ok(Trust::wechaty_root()),
            TrustSource::File(path) => Trust::from_file(path),
            TrustSource::EnvPem(pem) => Trust::from_pem(pem, crate::config::env::CA_CERT),
        }
    }
}

/// puppet-lint has no client certificate to give (a Puppet Service
/// authenticates by token); this remembers that a server asked for one. A
/// TLS 1.3 server refuses the missing certificate only after the client's
/// handshake is done, by an alert the connection may lose to a reset: this
/// is how that refusal is still named.
#[derive(Debug, Default)]
pub struct CertificateAsked(std::sync::atomic::AtomicBool);

impl CertificateAsked {
    /// Whether a server has asked for a client certificate.
    pub fn asked(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl rustls::client::ResolvesClientCert for CertificateAsked {
    fn resolve(&self, _: &[&[u8]], _: &[rustls::SignatureScheme]) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

/// The client side of a target's TLS settings: `None` for plaintext.
pub fn client(target: &Target) -> Result<Option<TlsClient>, SetupError> {
    let Some(tls) = &target.tls else {
        return Ok(None);
    };
    let trust = Trust::load(&tls.trust)?;
    let (config, certificate_asked) = trust.client_config_asked()?;
    Ok(Some(TlsClient { config, server_name: tls.server_name.clone(), certificate_asked }))
}
