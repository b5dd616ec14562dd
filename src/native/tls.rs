//! TLS for native transports: the certificate files a configuration names, read once at
//! start, and telling a certificate problem (permanent until someone fixes the
//! certificates or the configuration) apart from a network failure worth retrying.

use std::error::Error;
use std::path::Path;

use crate::config::ExportSettings;
use crate::error::StartError;

/// The PEM contents of the configured certificate files.
pub(crate) struct TlsFiles {
    /// CA certificates to trust beside the built-in roots.
    pub(crate) ca_certificate: Option<Vec<u8>>,
    /// A client certificate (chain) and its private key, for mutual TLS.
    pub(crate) client_identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl TlsFiles {
    /// Reads the files `settings` name; the error names the file and what it is for.
    pub(crate) fn read(settings: &ExportSettings) -> Result<TlsFiles, StartError> {
        let ca_certificate = settings
            .ca_certificate
            .map(|path| read_pem(path, "CA certificate"))
            .transpose()?;
        let client_identity = match settings.client_certificate {
            Some((certificate, key)) => Some((
                read_pem(certificate, "client certificate")?,
                read_pem(key, "client key")?,
            )),
            None => None,
        };
        Ok(TlsFiles {
            ca_certificate,
            client_identity,
        })
    }
}

/// `builder` trusting the configured CA file and presenting the configured client
/// certificate (mutual TLS), if any.
pub(crate) fn with_certificates(
    mut builder: reqwest::ClientBuilder,
    settings: &ExportSettings,
) -> Result<reqwest::ClientBuilder, StartError> {
    let tls = TlsFiles::read(settings)?;
    if let Some(pem) = &tls.ca_certificate {
        let certificates = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|error| tls_error(settings, "CA certificate", &error))?;
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    if let Some((certificate, key)) = &tls.client_identity {
        let identity = reqwest::Identity::from_pem(&[certificate.as_slice(), key].concat())
            .map_err(|error| tls_error(settings, "client certificate", &error))?;
        builder = builder.identity(identity);
    }
    Ok(builder)
}

/// A certificate file that reqwest could not use.
fn tls_error(settings: &ExportSettings, what: &'static str, error: &reqwest::Error) -> StartError {
    let path = match what {
        "CA certificate" => settings.ca_certificate,
        _ => settings
            .client_certificate
            .map(|(certificate, _)| certificate),
    };
    StartError::Tls {
        what,
        path: path
            .map(|path| path.display().to_string())
            .unwrap_or_default(),
        reason: crate::model::error_chain(error),
    }
}

fn read_pem(path: &Path, what: &'static str) -> Result<Vec<u8>, StartError> {
    let failed = |reason: String| StartError::Tls {
        what,
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|error| failed(error.to_string()))?;
    if !pem.windows(11).any(|window| window == b"-----BEGIN ") {
        return Err(failed("not a PEM file (no -----BEGIN line)".to_owned()));
    }
    Ok(pem)
}

/// The certificate problem behind a failed request, if that is what failed it: the
/// server's certificate was refused, or the server refused ours (or our lack of one).
pub(crate) fn certificate_problem(error: &(dyn Error + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(problem) = error.downcast_ref::<rustls::Error>().and_then(describe) {
            return Some(problem);
        }
        // `io::Error::source` skips the error it wraps; look inside it too.
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(problem) = certificate_problem(inner) {
                return Some(problem);
            }
        }
        next = error.source();
    }
    None
}

fn describe(error: &rustls::Error) -> Option<String> {
    use rustls::AlertDescription::{
        AccessDenied, BadCertificate, CertificateExpired, CertificateRequired, CertificateRevoked,
        CertificateUnknown, UnknownCA, UnsupportedCertificate,
    };
    match error {
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => Some(
            format!("the server's certificate was refused: {error}; trust its CA with OTEL_EXPORTER_OTLP_CERTIFICATE (Config::with_ca_certificate) or fix the endpoint"),
        ),
        rustls::Error::AlertReceived(
            AccessDenied | BadCertificate | CertificateExpired | CertificateRequired
            | CertificateRevoked | CertificateUnknown | UnknownCA | UnsupportedCertificate,
        ) => Some(format!(
            "the server refused our client certificate: {error}; set OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and _CLIENT_KEY (Config::with_client_certificate)"
        )),
        _ => None,
    }
}
