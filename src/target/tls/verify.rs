//! Server certificate verification that also accepts X.509 v1 certificates —
//! and verifies them, rather than skipping verification.
//!
//! The official server's default certificate is v1 (no extensions, CN only),
//! which webpki refuses outright. For a v1 leaf puppet-lint checks what webpki
//! would: issued directly by a trusted CA (issuer byte-equal to the CA's
//! subject), signature valid under the CA's key with an algorithm rustls
//! accepts (so SHA-1 is refused), within its validity dates, and exactly one CN
//! equal to the server name (ignoring case). v3 certificates go through webpki,
//! with the CN fallback Node's client applies when a certificate has no SAN.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, SubjectPublicKeyInfoDer, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Version};

use crate::clock::rfc3339_from_unix;
use crate::der;

/// Why puppet-lint refused a server's certificate. Travels inside the rustls
/// error (as `CertificateError::Other`) so callers can say exactly which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the certificate was issued by \"{issuer}\", which is not a trusted CA (trusted: {trusted})")]
    UnknownIssuer { issuer: String, trusted: String },
    #[error("the certificate expired at {not_after} (now {now})")]
    Expired { not_after: String, now: String },
    #[error("the certificate is not valid before {not_before} (now {now})")]
    NotYetValid { not_before: String, now: String },
    #[error("the certificate is for {presented}, not \"{expected}\"")]
    WrongName { expected: String, presented: String },
    #[error("the certificate's signature does not verify under its issuer's key")]
    BadSignature,
    #[error("the certificate is signed with {algorithm}, which puppet-lint does not accept")]
    WeakSignatureAlgorithm { algorithm: String },
    /// The server's key is too weak to verify its handshake with.
    #[error(
        "the certificate's key is RSA with {bits} bits; puppet-lint accepts RSA keys of 2048 bits or more (as \
         current TLS libraries do: NIST SP 800-131A), so it cannot trust the server's handshake"
    )]
    WeakKey { bits: usize },
    #[error("the certificate could not be parsed ({0})")]
    Malformed(String),
    #[error("the certificate was refused ({0})")]
    Other(String),
}

impl Refusal {
    /// What a person can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Refusal::UnknownIssuer { .. } => {
                "if you trust this provider's CA, pass its certificate with --tls-ca-cert FILE \
                 (or WECHATY_PUPPET_SERVICE_TLS_CA_CERT)"
            }
            Refusal::Expired { .. } | Refusal::NotYetValid { .. } => {
                "the provider must renew its certificate; check this machine's clock too"
            }
            Refusal::WrongName { .. } => {
                "set --tls-server-name (or WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME) to the name the \
                 provider's certificate carries, if you trust it"
            }
            Refusal::WeakKey { .. } => {
                "the provider must reissue its certificate with an RSA key of 2048 bits or more, or an ECDSA key; \
                 this is a TLS service, so --no-tls would not help"
            }
            _ => "the provider's certificate is broken; ask the provider to reissue it",
        }
    }

    fn into_tls_error(self) -> TlsError {
        TlsError::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(self))))
    }

    /// Finds a refusal in an error chain (tonic → hyper → io → rustls).
    pub fn find(error: &(dyn std::error::Error + 'static)) -> Option<Refusal> {
        let mut current = Some(error);
        while let Some(error) = current {
            if let Some(refusal) = error.downcast_ref::<Refusal>() {
                return Some(refusal.clone());
            }
            if let Some(TlsError::InvalidCertificate(CertificateError::Other(other))) = error.downcast_ref::<TlsError>()
                && let Some(refusal) = other.0.downcast_ref::<Refusal>()
            {
                return Some(refusal.clone());
            }
            if let Some(io) = error.downcast_ref::<std::io::Error>()
                && let Some(inner) = io.get_ref()
                && let Some(found) = Refusal::find(inner)
            {
                return Some(found);
            }
            current = error.source();
        }
        None
    }
}

/// A CA puppet-lint trusts, kept whole so v1 leaves can be checked against it.
#[derive(Debug, Clone)]
struct TrustedCa {
    subject_der: Vec<u8>,
    spki_der: Vec<u8>,
    subject: String,
}

#[derive(Debug)]
pub struct WechatyVerifier {
    roots: Arc<RootCertStore>,
    cas: Vec<TrustedCa>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl WechatyVerifier {
    pub fn new(cas: &[CertificateDer<'static>]) -> Result<Self, String> {
        let mut roots = RootCertStore::empty();
        let mut trusted = Vec::new();
        for ca in cas {
            let (_, parsed) =
                X509Certificate::from_der(ca).map_err(|error| format!("a CA certificate does not parse: {error}"))?;
            roots.add(ca.clone()).map_err(|error| format!("{} cannot be a trust anchor: {error}", parsed.subject()))?;
            trusted.push(TrustedCa {
                subject_der: parsed.tbs_certificate.subject.as_raw().to_vec(),
                spki_der: parsed.tbs_certificate.subject_pki.raw.to_vec(),
                subject: parsed.subject().to_string(),
            });
        }
        if trusted.is_empty() {
            return Err("no CA certificate to trust".into());
        }
        Ok(WechatyVerifier {
            roots: Arc::new(roots),
            cas: trusted,
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        })
    }

    fn trusted_names(&self) -> String {
        self.cas.iter().map(|ca| format!("\"{}\"", ca.subject)).collect::<Vec<_>>().join(", ")
    }

    fn verify_v1(&self, raw: &[u8], leaf: &X509Certificate<'_>, expected: &str, now: UnixTime) -> Result<(), Refusal> {
        let issuer = leaf.tbs_certificate.issuer.as_raw();
        let Some(ca) = self.cas.iter().find(|ca| ca.subject_der == issuer) else {
            return Err(Refusal::UnknownIssuer { issuer: leaf.issuer().to_string(), trusted: self.trusted_names() });
        };
        self.verify_signed_by(raw, leaf, ca)?;
        check_dates(leaf, now)?;
        check_common_name(leaf, expected)
    }

    fn verify_signed_by(&self, raw: &[u8], leaf: &X509Certificate<'_>, ca: &TrustedCa) -> Result<(), Refusal> {
        let algorithm_id = der::signature_algorithm_of_certificate(raw)
            .ok_or_else(|| Refusal::Malformed("no signature algorithm".into()))?;
        let spki = SubjectPublicKeyInfoDer::from(ca.spki_der.as_slice());
        let ca_key = webpki::RawPublicKeyEntity::try_from(&spki)
            .map_err(|error| Refusal::Other(format!("the CA's public key is unusable: {error}")))?;
        let weak = || Refusal::WeakSignatureAlgorithm { algorithm: algorithm_name(leaf) };
        let mut candidates = self
            .algorithms
            .all
            .iter()
            .filter(|algorithm| algorithm.signature_alg_id().as_ref() == algorithm_id)
            .peekable();
        if candidates.peek().is_none() {
            return Err(weak());
        }
        for algorithm in candidates {
            match ca_key.verify_signature(*algorithm, leaf.tbs_certificate.as_ref(), &leaf.signature_value.data) {
                Ok(()) => return Ok(()),
                Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => continue,
                Err(_) => return Err(Refusal::BadSignature),
            }
        }
        Err(weak())
    }

    fn verify_v3(
        &self,
        raw: &CertificateDer<'_>,
        leaf: &X509Certificate<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), Refusal> {
        let parsed = ParsedCertificate::try_from(raw).map_err(|error| self.refusal_from(error, leaf, now))?;
        // A self-signed certificate trusted as a CA and served as the
        // server's own (CA:TRUE, as `openssl req -x509` makes them): Node's
        // client accepts it, webpki calls it CaUsedAsEndEntity. It is the
        // trusted certificate itself: only its dates and its name are left.
        let itself = self.cas.iter().any(|ca| {
            ca.subject_der == leaf.tbs_certificate.subject.as_raw()
                && ca.spki_der == leaf.tbs_certificate.subject_pki.raw
                && leaf.tbs_certificate.issuer.as_raw() == leaf.tbs_certificate.subject.as_raw()
        });
        if itself {
            let seconds = now.as_secs() as i64;
            let validity = leaf.validity();
            if seconds > validity.not_after.timestamp() {
                return Err(Refusal::Expired {
                    not_after: rfc3339_from_unix(validity.not_after.timestamp()),
                    now: rfc3339_from_unix(seconds),
                });
            }
            if seconds < validity.not_before.timestamp() {
                return Err(Refusal::NotYetValid {
                    not_before: rfc3339_from_unix(validity.not_before.timestamp()),
                    now: rfc3339_from_unix(seconds),
                });
            }
        } else {
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &parsed,
                &self.roots,
                intermediates,
                now,
                self.algorithms.all,
            )
            .map_err(|error| self.refusal_from(error, leaf, now))?;
        }
        // The chain is good; only the name is left. Node's client accepts the
        // CN when a certificate has no SAN at all, and so do we.
        match rustls::client::verify_server_name(&parsed, server_name) {
            Ok(()) => Ok(()),
            Err(_) if !has_subject_alt_names(leaf) => check_common_name(leaf, &server_name.to_str()),
            Err(_) => {
                Err(Refusal::WrongName { expected: server_name.to_str().into_owned(), presented: names_of(leaf) })
            }
        }
    }

    fn refusal_from(&self, error: TlsError, leaf: &X509Certificate<'_>, now: UnixTime) -> Refusal {
        let now_text = rfc3339_from_unix(now.as_secs() as i64);
        match error {
            TlsError::InvalidCertificate(CertificateError::UnknownIssuer) => {
                Refusal::UnknownIssuer { issuer: leaf.issuer().to_string(), trusted: self.trusted_names() }
            }
            TlsError::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
                Refusal::Expired { not_after: rfc3339_from_unix(leaf.validity().not_after.timestamp()), now: now_text }
            }
            TlsError::InvalidCertificate(
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
            ) => Refusal::NotYetValid {
                not_before: rfc3339_from_unix(leaf.validity().not_before.timestamp()),
                now: now_text,
            },
            TlsError::InvalidCertificate(CertificateError::BadSignature) => Refusal::BadSignature,
            TlsError::InvalidCertificate(
                CertificateError::UnsupportedSignatureAlgorithmContext { .. }
                | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. },
            ) => Refusal::WeakSignatureAlgorithm { algorithm: algorithm_name(leaf) },
            // A self-signed CA certificate served as the server's own, and not
            // trusted: to the user, an issuer puppet-lint does not know.
            other if other.to_string().contains("CaUsedAsEndEntity") => {
                Refusal::UnknownIssuer { issuer: leaf.issuer().to_string(), trusted: self.trusted_names() }
            }
            other => Refusal::Other(other.to_string()),
        }
    }

    /// Verifies a handshake signature; for a v1 leaf, with its raw key.
    fn verify_handshake(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        tls13: bool,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        let spki = match X509Certificate::from_der(cert) {
            Ok((_, leaf)) if leaf.version() == X509Version::V1 => leaf.tbs_certificate.subject_pki.raw.to_vec(),
            _ if tls13 => {
                return rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms);
            }
            _ => {
                return rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms);
            }
        };
        let spki = SubjectPublicKeyInfoDer::from(spki.as_slice());
        if tls13 {
            return rustls::crypto::verify_tls13_signature_with_raw_key(message, &spki, dss, &self.algorithms);
        }
        // TLS 1.2 has no raw-key helper: try each algorithm the scheme allows.
        let key = webpki::RawPublicKeyEntity::try_from(&spki)
            .map_err(|error| TlsError::General(format!("server key unusable: {error}")))?;
        let allowed = self
            .algorithms
            .mapping
            .iter()
            .find(|(scheme, _)| *scheme == dss.scheme)
            .map_or(&[][..], |(_, algorithms)| *algorithms);
        for algorithm in allowed {
            match key.verify_signature(*algorithm, message, dss.signature()) {
                Ok(()) => return Ok(HandshakeSignatureValid::assertion()),
                Err(webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_)) => continue,
                Err(_) => return Err(TlsError::InvalidCertificate(CertificateError::BadSignature)),
            }
        }
        Err(TlsError::PeerMisbehaved(rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme))
    }
}

impl ServerCertVerifier for WechatyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let (_, leaf) = X509Certificate::from_der(end_entity)
            .map_err(|error| Refusal::Malformed(error.to_string()).into_tls_error())?;
        let verdict = if leaf.version() == X509Version::V1 {
            self.verify_v1(end_entity, &leaf, &server_name.to_str(), now)
        } else {
            self.verify_v3(end_entity, &leaf, intermediates, server_name, now)
        };
        verdict
            .and_then(|()| check_key_size(&leaf))
            .map(|()| ServerCertVerified::assertion())
            .map_err(Refusal::into_tls_error)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.verify_handshake(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.verify_handshake(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The smallest RSA key a server may hold (bits): ring verifies no
/// signature from a smaller one.
const RSA_MIN_BITS: usize = 2048;

/// A leaf with an RSA key under [`RSA_MIN_BITS`] is refused by its size,
/// rather than later, as a handshake signature that "does not verify".
fn check_key_size(leaf: &X509Certificate<'_>) -> Result<(), Refusal> {
    if let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = leaf.public_key().parsed() {
        let modulus: &[u8] = rsa.modulus;
        let start = modulus.iter().position(|byte| *byte != 0).unwrap_or(modulus.len());
        let bits = modulus.get(start).map_or(0, |first| 8 * (modulus.len() - start) - first.leading_zeros() as usize);
        if bits < RSA_MIN_BITS {
            return Err(Refusal::WeakKey { bits });
        }
    }
    Ok(())
}

fn check_dates(leaf: &X509Certificate<'_>, now: UnixTime) -> Result<(), Refusal> {
    let now = now.as_secs() as i64;
    let validity = leaf.validity();
    if now < validity.not_before.timestamp() {
        return Err(Refusal::NotYetValid {
            not_before: rfc3339_from_unix(validity.not_before.timestamp()),
            now: rfc3339_from_unix(now),
        });
    }
    if now > validity.not_after.timestamp() {
        return Err(Refusal::Expired {
            not_after: rfc3339_from_unix(validity.not_after.timestamp()),
            now: rfc3339_from_unix(now),
        });
    }
    Ok(())
}

fn common_names(leaf: &X509Certificate<'_>) -> Vec<String> {
    leaf.subject()
        .iter_common_name()
        .map(|name| name.as_str().map_or_else(|_| "<not a string>".to_owned(), str::to_owned))
        .collect()
}

/// Exactly one CN, equal to the server name ignoring ASCII case.
fn check_common_name(leaf: &X509Certificate<'_>, expected: &str) -> Result<(), Refusal> {
    match common_names(leaf).as_slice() {
        [only] if only.eq_ignore_ascii_case(expected) => Ok(()),
        _ => Err(Refusal::WrongName { expected: expected.to_owned(), presented: names_of(leaf) }),
    }
}

fn has_subject_alt_names(leaf: &X509Certificate<'_>) -> bool {
    matches!(leaf.subject_alternative_name(), Ok(Some(_)))
}

/// Every name a certificate presents, for the WrongName message.
fn names_of(leaf: &X509Certificate<'_>) -> String {
    let mut names: Vec<String> = common_names(leaf).into_iter().map(|cn| format!("CN \"{cn}\"")).collect();
    if let Ok(Some(san)) = leaf.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => names.push(format!("DNS \"{dns}\"")),
                GeneralName::IPAddress(ip) => names.push(format!("IP {ip:?}")),
                _ => {}
            }
        }
    }
    if names.is_empty() { "no name at all".to_owned() } else { names.join(", ") }
}

fn algorithm_name(leaf: &X509Certificate<'_>) -> String {
    let oid = &leaf.signature_algorithm.algorithm;
    x509_parser::oid_registry::OidRegistry::default()
        .with_crypto()
        .get(oid)
        .map_or_else(|| oid.to_id_string(), |entry| entry.sn().to_owned())
}
