//! A throwaway certificate authority for the mock and the tests.
//!
//! The mock serves what the official server serves — an X.509 v1 leaf with
//! only a CN, signed by a CA — so puppet-lint's v1 path is exercised on every
//! TLS run, not only against the Node peer. v3 leaves (with a SAN) are there
//! for the standard path.

use std::ops::Range;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, PublicKeyData, SigningKey};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::der;

/// `ecdsa-with-SHA256`, no parameters: the AlgorithmIdentifier of every
/// certificate this module signs (rcgen's default keys are P-256).
const ECDSA_WITH_SHA256: &[u8] = &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
/// `id-at-commonName`.
const COMMON_NAME: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x03];

pub struct Authority {
    issuer: rcgen::Issuer<'static, KeyPair>,
    certificate: CertificateDer<'static>,
    subject_der: Vec<u8>,
}

/// A leaf certificate and its private key.
pub struct Issued {
    pub certificate: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
}

impl Issued {
    pub fn certificate_pem(&self) -> String {
        pem("CERTIFICATE", &self.certificate)
    }
}

impl Authority {
    pub fn new(common_name: &str) -> Result<Authority, rcgen::Error> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(3650);
        let certificate = params.self_signed(&key)?.der().clone();
        let subject_der = X509Certificate::from_der(&certificate)
            .map(|(_, parsed)| parsed.tbs_certificate.subject.as_raw().to_vec())
            .map_err(|_| rcgen::Error::CouldNotParseCertificate)?;
        Ok(Authority { issuer: rcgen::Issuer::new(params, key), certificate, subject_der })
    }

    pub fn certificate_pem(&self) -> String {
        pem("CERTIFICATE", &self.certificate)
    }

    /// A v1 leaf like the official server's default: only a CN, no extensions.
    pub fn issue_v1(&self, common_name: &str, valid: Range<SystemTime>) -> Result<Issued, rcgen::Error> {
        let leaf_key = KeyPair::generate()?;
        let name = der::sequence(&[&der::write(
            der::SET,
            &der::sequence(&[COMMON_NAME, &der::write(der::UTF8_STRING, common_name.as_bytes())]),
        )]);
        let serial: [u8; 16] = *uuid::Uuid::new_v4().as_bytes();
        let tbs = der::sequence(&[
            &der::unsigned_integer(&serial),
            ECDSA_WITH_SHA256,
            &self.subject_der,
            &der::sequence(&[&x509_time(valid.start), &x509_time(valid.end)]),
            &name,
            &leaf_key.subject_public_key_info(),
        ]);
        let signature = self.issuer.key().sign(&tbs)?;
        let certificate = der::sequence(&[&tbs, ECDSA_WITH_SHA256, &der::bit_string(&signature)]);
        Ok(Issued { certificate: CertificateDer::from(certificate), key: private_key(&leaf_key) })
    }

    /// A v3 leaf with these DNS names as SANs (and the first as CN).
    pub fn issue_v3(&self, dns_names: &[&str], valid: Range<SystemTime>) -> Result<Issued, rcgen::Error> {
        let leaf_key = KeyPair::generate()?;
        let certificate = self.issue_v3_for(dns_names, valid, &leaf_key)?;
        Ok(Issued { certificate, key: private_key(&leaf_key) })
    }

    /// A v3 leaf for someone else's `public_key` (for tests: a key the
    /// server could not sign with, such as a 1024-bit RSA key ring refuses).
    pub fn issue_v3_for(
        &self,
        dns_names: &[&str],
        valid: Range<SystemTime>,
        public_key: &impl rcgen::PublicKeyData,
    ) -> Result<CertificateDer<'static>, rcgen::Error> {
        let mut params = CertificateParams::new(dns_names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>())?;
        params.distinguished_name = DistinguishedName::new();
        if let Some(first) = dns_names.first() {
            params.distinguished_name.push(DnType::CommonName, *first);
        }
        params.not_before = offset_date_time(valid.start);
        params.not_after = offset_date_time(valid.end);
        Ok(params.signed_by(public_key, &self.issuer)?.der().clone())
    }
}

/// From a day ago to ten years ahead: a certificate that is simply valid.
pub fn valid_now() -> Range<SystemTime> {
    let now = SystemTime::now();
    now - Duration::from_secs(86_400)..now + Duration::from_secs(3650 * 86_400)
}

fn private_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

fn offset_date_time(at: SystemTime) -> time::OffsetDateTime {
    let seconds = at.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs() as i64);
    time::OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// UTCTime up to 2049, GeneralizedTime after, as RFC 5280 requires.
fn x509_time(at: SystemTime) -> Vec<u8> {
    let at = offset_date_time(at);
    let (tag, year) = if (1950..2050).contains(&at.year()) {
        (der::UTC_TIME, format!("{:02}", at.year() % 100))
    } else {
        (der::GENERALIZED_TIME, format!("{:04}", at.year()))
    };
    let text = format!(
        "{year}{:02}{:02}{:02}{:02}{:02}Z",
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    der::write(tag, text.as_bytes())
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Server side (the mock): one certificate for every connection. rustls'
/// `with_single_cert` insists on parsing the leaf with webpki, which refuses
/// v1; a resolver of our own does not.
pub fn server_config(
    certificate: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let signing_key = provider.key_provider.load_private_key(key)?;
    let resolver = FixedCertificate(Arc::new(CertifiedKey::new(vec![certificate], signing_key)));
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(resolver));
    // HTTP/2 over TLS, as gRPC clients ask for.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

#[derive(Debug)]
struct FixedCertificate(Arc<CertifiedKey>);

impl ResolvesServerCert for FixedCertificate {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}
