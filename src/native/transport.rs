//! The native transports behind one type: OTLP/HTTP (reqwest) or OTLP/gRPC (tonic), chosen
//! by the configured protocol.

use std::time::Duration;

use bytes::Bytes;

use super::batch_exporter::Transport;
use super::grpc::GrpcTransport;
use super::http::HttpTransport;
use crate::config::Config;
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
    pub(crate) fn new(config: &Config) -> Result<Self, StartError> {
        Ok(match config.protocol {
            Protocol::Grpc => NativeTransport::Grpc(GrpcTransport::new(config)?),
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                NativeTransport::Http(HttpTransport::new(config)?)
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
