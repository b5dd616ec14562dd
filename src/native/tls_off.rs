//! Without the `tls` feature there is no TLS: plain `http://` endpoints only (the
//! configuration refuses `https://` endpoints and certificate files, naming the feature).

use std::error::Error;

use crate::config::ExportSettings;
use crate::error::StartError;

/// `builder` as it is: there are no certificates to add in this build.
pub(crate) fn with_certificates(
    builder: reqwest::ClientBuilder,
    _settings: &ExportSettings,
) -> Result<reqwest::ClientBuilder, StartError> {
    Ok(builder)
}

/// No TLS, so no certificate problems.
pub(crate) fn certificate_problem(_error: &(dyn Error + 'static)) -> Option<String> {
    None
}
