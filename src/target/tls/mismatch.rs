//! Why a TLS handshake failed when the two sides could not agree — a TLS version, a client certificate, HTTP/2 over
//! ALPN, algorithms — as opposed to puppet-lint refusing the server's certificate ([`super::Refusal`]). Read from the
//! alert the server sent (RFC 8446 §6.2) or what rustls found in the server's hello.

use rustls::{AlertDescription, Error as TlsError, PeerIncompatible};

/// Why the handshake failed: the service and puppet-lint could not agree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// The server speaks only TLS 1.0/1.1 (or SSL).
    #[error(
        "the service speaks only an older TLS version (TLS 1.0 or 1.1, or SSL); puppet-lint speaks TLS 1.2 and 1.3, \
         as the official client does"
    )]
    OldProtocol,
    /// The server demands a client certificate (alert `certificate_required`).
    #[error("the service demands a client certificate (mutual TLS), and puppet-lint presents none")]
    ClientCertificate,
    /// The server offers no HTTP/2 over TLS: no `h2` in ALPN (its alert
    /// `no_application_protocol`, or it chose another protocol).
    #[error(
        "the service offers no HTTP/2 over TLS (ALPN `h2`){}",
        chose.as_ref().map_or_else(String::new, |chose| format!(": it chose `{chose}`"))
    )]
    NoHttp2 { chose: Option<String> },
    /// The server chose no protocol in ALPN (it offered no `h2`), and then
    /// did not speak HTTP/2: `then` says what it did.
    #[error(
        "the service offers no HTTP/2 over TLS: it agreed on no protocol in ALPN (puppet-lint asked for `h2`), {then}"
    )]
    NoAlpn { then: String },
    /// No cipher suite, key exchange group or signature scheme in common.
    #[error("the service and puppet-lint share no TLS algorithms ({detail})")]
    NoCommonAlgorithms { detail: String },
    /// The server's `handshake_failure` alert, which says no more.
    #[error(
        "the service ended the handshake with the alert `handshake_failure`: it found no TLS version or cipher \
         suite in common with puppet-lint, or it demands a client certificate"
    )]
    HandshakeFailure,
    /// Another alert from the server.
    #[error("the service ended the handshake with the TLS alert `{alert}`")]
    Alert { alert: String },
}

impl Mismatch {
    /// What a person can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            Mismatch::OldProtocol => {
                "the provider must enable TLS 1.2 or 1.3 (TLS 1.0 and 1.1 are withdrawn: RFC 8996); this is a TLS \
                 service, so --no-tls would not help"
            }
            Mismatch::ClientCertificate => {
                "a Puppet Service authenticates clients by their token, not a client certificate: ask the provider \
                 (or the proxy in front of it) to stop demanding one"
            }
            Mismatch::NoHttp2 { .. } | Mismatch::NoAlpn { .. } => {
                "gRPC runs on HTTP/2: the service, or the TLS proxy in front of it, must offer ALPN `h2` (is this \
                 the service's gRPC port, or a web port?)"
            }
            Mismatch::NoCommonAlgorithms { .. } => {
                "the provider must enable current TLS algorithms (ECDHE key exchange; AES-GCM or ChaCha20-Poly1305; \
                 an RSA key of 2048 bits or more, or ECDSA)"
            }
            Mismatch::HandshakeFailure => {
                "check the service's TLS settings: TLS 1.2 or 1.3 with current cipher suites, and no demand for a \
                 client certificate"
            }
            Mismatch::Alert { .. } => "check the service's TLS settings and its logs",
        }
    }

    /// Finds a mismatch in an error chain (tonic → hyper → io → rustls).
    pub fn find(error: &(dyn std::error::Error + 'static)) -> Option<Mismatch> {
        let mut current = Some(error);
        while let Some(error) = current {
            if let Some(mismatch) = error.downcast_ref::<Mismatch>() {
                return Some(mismatch.clone());
            }
            if let Some(tls) = error.downcast_ref::<TlsError>()
                && let Some(mismatch) = Mismatch::from_tls(tls)
            {
                return Some(mismatch);
            }
            if let Some(io) = error.downcast_ref::<std::io::Error>()
                && let Some(inner) = io.get_ref()
                && let Some(found) = Mismatch::find(inner)
            {
                return Some(found);
            }
            current = error.source();
        }
        None
    }

    fn from_tls(error: &TlsError) -> Option<Mismatch> {
        Some(match error {
            TlsError::AlertReceived(AlertDescription::ProtocolVersion)
            | TlsError::PeerIncompatible(
                PeerIncompatible::ServerDoesNotSupportTls12Or13
                | PeerIncompatible::ServerTlsVersionIsDisabledByOurConfig,
            ) => Mismatch::OldProtocol,
            TlsError::AlertReceived(AlertDescription::CertificateRequired) => Mismatch::ClientCertificate,
            TlsError::AlertReceived(AlertDescription::NoApplicationProtocol) | TlsError::NoApplicationProtocol => {
                Mismatch::NoHttp2 { chose: None }
            }
            TlsError::AlertReceived(AlertDescription::HandshakeFailure) => Mismatch::HandshakeFailure,
            TlsError::AlertReceived(AlertDescription::InsufficientSecurity) => {
                Mismatch::NoCommonAlgorithms { detail: "its alert `insufficient_security`".into() }
            }
            TlsError::PeerIncompatible(
                incompatible @ (PeerIncompatible::NoCipherSuitesInCommon
                | PeerIncompatible::NoKxGroupsInCommon
                | PeerIncompatible::NoSignatureSchemesInCommon),
            ) => Mismatch::NoCommonAlgorithms { detail: format!("{incompatible:?}") },
            // A certificate alert is about puppet-lint's (absent) certificate
            // only when the server asked for one; otherwise it is the
            // server's view of something else: shown as it is.
            TlsError::AlertReceived(alert) => Mismatch::Alert { alert: alert_name(*alert) },
            _ => return None,
        })
    }
}

/// An alert's RFC 8446 name (`bad_certificate`), from rustls's (`BadCertificate`).
fn alert_name(alert: AlertDescription) -> String {
    let debug = format!("{alert:?}");
    let mut name = String::new();
    for (index, character) in debug.chars().enumerate() {
        if character.is_ascii_uppercase() && index > 0 {
            name.push('_');
        }
        name.push(character.to_ascii_lowercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_are_named_in_plain_words() {
        let of = |error: TlsError| Mismatch::from_tls(&error);
        assert_eq!(of(TlsError::AlertReceived(AlertDescription::ProtocolVersion)), Some(Mismatch::OldProtocol));
        assert_eq!(
            of(TlsError::AlertReceived(AlertDescription::CertificateRequired)),
            Some(Mismatch::ClientCertificate)
        );
        assert_eq!(of(TlsError::NoApplicationProtocol), Some(Mismatch::NoHttp2 { chose: None }));
        assert_eq!(
            of(TlsError::AlertReceived(AlertDescription::DecodeError)),
            Some(Mismatch::Alert { alert: "decode_error".into() })
        );
        assert_eq!(of(TlsError::DecryptError), None);
        let wrapped = std::io::Error::other(TlsError::AlertReceived(AlertDescription::ProtocolVersion));
        assert_eq!(Mismatch::find(&wrapped), Some(Mismatch::OldProtocol));
    }
}
