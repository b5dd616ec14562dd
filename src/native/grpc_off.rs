//! Without the `grpc` feature there is no gRPC transport: this stand-in cannot be built
//! (the configuration refuses `protocol grpc` first, naming the feature).

use bytes::Bytes;

use crate::config::{Destination, ExportSettings};
use crate::error::StartError;
use crate::export::{PartialSuccess, SendError};

/// No value of this type exists.
pub(crate) enum GrpcTransport {}

impl GrpcTransport {
    pub(crate) fn new(
        _destination: &Destination,
        _settings: &ExportSettings,
    ) -> Result<Self, StartError> {
        Err(StartError::Unsupported(
            "protocol grpc: this build has no gRPC transport; enable the grpc feature",
        ))
    }

    pub(crate) async fn send(&self, _body: Bytes) -> Result<PartialSuccess, SendError> {
        match *self {}
    }
}
