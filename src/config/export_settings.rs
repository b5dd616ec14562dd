//! What a transport is built from: one [`Destination`] (endpoint and its own headers) and
//! the [`ExportSettings`] every destination shares. Transports never see the whole
//! [`Config`], so a fan-out builds one per destination without re-aiming a copy of it —
//! and a destination's headers (its credentials) go to that destination only.

use std::path::Path;
use std::time::Duration;

use super::{Config, Destination};
use crate::encoding::{Compression, Protocol};

/// How requests are encoded, how long one may take, and which certificates to trust.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))] // browsers' fetch is told in JavaScript
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExportSettings<'a> {
    pub(crate) protocol: Protocol,
    pub(crate) compression: Compression,
    pub(crate) timeout: Duration,
    /// A PEM file of CA certificates to trust beside the built-in roots.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))] // refused by validation without TLS
    pub(crate) ca_certificate: Option<&'a Path>,
    /// PEM files of a client certificate and its key, for mutual TLS.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) client_certificate: Option<(&'a Path, &'a Path)>,
}

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
impl Config {
    /// The settings every destination's transport shares.
    pub(crate) fn export_settings(&self) -> ExportSettings<'_> {
        ExportSettings {
            protocol: self.protocol,
            compression: self.compression,
            timeout: self.export_timeout,
            ca_certificate: self.ca_certificate(),
            client_certificate: self.client_certificate(),
        }
    }

    /// The main destination: the endpoint and the headers set on the configuration.
    pub(crate) fn main_destination(&self) -> Destination {
        Destination {
            endpoint: self.endpoint.clone(),
            headers: self.headers.clone(),
        }
    }
}
