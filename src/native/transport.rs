//! The native transports behind one type: OTLP/HTTP (reqwest) or OTLP/gRPC (tonic), chosen
//! by the configured protocol.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;

use super::grpc::GrpcTransport;
use super::http::HttpTransport;
use crate::config::{Destination, ExportSettings};
use crate::encoding::Protocol;
use crate::error::StartError;
use crate::export::{PartialSuccess, SendError};

/// What a backend provides to send requests: an HTTP POST and a timer.
pub(crate) trait Transport {
    /// POSTs one body; `Ok` once the backend acknowledged it with a 2xx status, with the
    /// response's partial success (what it rejected anyway).
    fn send(&self, body: Bytes) -> impl Future<Output = Result<PartialSuccess, SendError>>;

    /// Waits before a retry, on the backend's timer.
    fn wait(&self, duration: Duration) -> impl Future<Output = ()>;
}

// One per destination, matched once per request; without the `grpc` feature the gRPC
// variant is empty, which is no reason to box the HTTP one.
#[allow(clippy::large_enum_variant)]
pub(crate) enum NativeTransport {
    Http(HttpTransport),
    Grpc(GrpcTransport),
}

impl NativeTransport {
    /// The transport to `destination`, of the protocol `settings` name.
    pub(crate) fn new(
        destination: &Destination,
        settings: &ExportSettings,
    ) -> Result<Self, StartError> {
        Ok(match settings.protocol {
            Protocol::Grpc => NativeTransport::Grpc(GrpcTransport::new(destination, settings)?),
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                NativeTransport::Http(HttpTransport::new(destination, settings)?)
            }
        })
    }
}

impl Transport for NativeTransport {
    async fn send(&self, body: Bytes) -> Result<PartialSuccess, SendError> {
        match self {
            NativeTransport::Http(http) => http.send(body).await,
            NativeTransport::Grpc(grpc) => grpc.send(body).await,
        }
    }

    async fn wait(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
