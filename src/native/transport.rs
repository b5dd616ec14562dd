//! The native transports behind one type: OTLP/HTTP (reqwest) or OTLP/gRPC (tonic), chosen
//! by the configured protocol.

use std::time::Duration;

use bytes::Bytes;

use super::batch_exporter::Transport;
use super::grpc::GrpcTransport;
use super::http::HttpTransport;
use crate::config::{Destination, ExportSettings};
use crate::encoding::Protocol;
use crate::error::StartError;
use crate::export::{PartialSuccess, SendError};

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
