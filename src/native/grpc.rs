//! OTLP/gRPC over tonic: the protobuf `ExportTraceServiceRequest` bytes our encoder wrote
//! (the same as OTLP/HTTP's), framed by tonic and sent to `TraceService/Export` over one
//! HTTP/2 connection. A pass-through codec avoids decoding and re-encoding the batch.

use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};
use tonic::{Code, Status};

use super::tls::{certificate_problem, TlsFiles};
use crate::config::{redact_password, Destination, ExportSettings};
use crate::encoding::Compression;
use crate::error::StartError;
use crate::export::{retry_info_delay, PartialSuccess, SendError};
use crate::model::error_chain;

/// The largest response message we read. An `ExportTraceServiceResponse` is a few bytes;
/// a larger one is not decoded (see [`is_oversized_response`]).
const RESPONSE_MESSAGE_LIMIT: usize = 64 * 1024;

/// The method every OTLP/gRPC trace exporter calls.
const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

pub(crate) struct GrpcTransport {
    channel: Channel,
    metadata: MetadataMap,
    gzip: bool,
    timeout: Duration,
}

impl GrpcTransport {
    /// Prepares the channel; it connects on the first export (and reconnects as needed),
    /// so a backend that is not up yet is a retryable export failure, not a start error.
    pub(crate) fn new(
        destination: &Destination,
        settings: &ExportSettings,
    ) -> Result<Self, StartError> {
        let invalid = |error: &dyn std::fmt::Display| {
            StartError::Transport(format!(
                "endpoint {:?}: {error}",
                redact_password(&destination.endpoint)
            ))
        };
        let mut endpoint = Endpoint::from_shared(destination.endpoint.clone())
            .map_err(|error| invalid(&error))?
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("otlp-collector/", env!("CARGO_PKG_VERSION")))
            .map_err(|error| invalid(&error))?;
        if destination.endpoint.starts_with("https://") {
            let tls = TlsFiles::read(settings)?;
            let mut tls_config = ClientTlsConfig::new().with_webpki_roots();
            if let Some(pem) = tls.ca_certificate {
                tls_config = tls_config.ca_certificate(Certificate::from_pem(pem));
            }
            if let Some((certificate, key)) = tls.client_identity {
                tls_config = tls_config.identity(Identity::from_pem(certificate, key));
            }
            endpoint = endpoint
                .tls_config(tls_config)
                .map_err(|error| invalid(&error))?;
        }
        let mut metadata = MetadataMap::new();
        for (name, value) in &destination.headers {
            let key = MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes())
                .map_err(|error| StartError::Transport(format!("header {name:?}: {error}")))?;
            let value = MetadataValue::try_from(value.as_str())
                .map_err(|error| StartError::Transport(format!("header {name:?}: {error}")))?;
            metadata.insert(key, value);
        }
        Ok(GrpcTransport {
            channel: endpoint.connect_lazy(),
            metadata,
            gzip: settings.compression == Compression::Gzip,
            timeout: settings.timeout,
        })
    }

    async fn export(&self, body: Bytes) -> Result<PartialSuccess, Status> {
        let mut client = tonic::client::Grpc::new(self.channel.clone())
            .max_decoding_message_size(RESPONSE_MESSAGE_LIMIT);
        if self.gzip {
            client = gzipped(client);
        }
        client
            .ready()
            .await
            .map_err(|error| Status::unavailable(error.to_string()))?;
        let mut request = tonic::Request::new(body);
        *request.metadata_mut() = self.metadata.clone();
        let path = http::uri::PathAndQuery::from_static(EXPORT_PATH);
        let response = client.unary(request, path, PassThrough).await?;
        Ok(response.into_inner())
    }

    /// Sends one body (see [`Transport::send`](super::transport::Transport::send)).
    pub(crate) async fn send(&self, body: Bytes) -> Result<PartialSuccess, SendError> {
        match tokio::time::timeout(self.timeout, self.export(body)).await {
            Err(_elapsed) => Err(SendError::Timeout(self.timeout)),
            Ok(Ok(partial)) => Ok(partial),
            // The server answered OK with a response message we refuse to read: the spans
            // were delivered, and sending them again would duplicate them.
            Ok(Err(status)) if is_oversized_response(&status) => Ok(PartialSuccess::default()),
            Ok(Err(status)) => Err(send_error(&status)),
        }
    }
}

/// The client compressing its messages with gzip (`grpc-encoding: gzip`).
#[cfg(feature = "gzip")]
fn gzipped(client: tonic::client::Grpc<Channel>) -> tonic::client::Grpc<Channel> {
    use tonic::codec::CompressionEncoding;
    client
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip)
}

/// Without the `gzip` feature the configuration refuses gzip before a client exists.
#[cfg(not(feature = "gzip"))]
fn gzipped(client: tonic::client::Grpc<Channel>) -> tonic::client::Grpc<Channel> {
    client
}

/// Whether tonic refused, on our side, a response message over our size limit. That
/// status is made locally (`OUT_OF_RANGE`, which the specification would have us retry),
/// so it is told apart from a server's by tonic's own wording.
fn is_oversized_response(status: &Status) -> bool {
    status.code() == Code::OutOfRange
        && status
            .message()
            .starts_with("Error, decoded message length too large")
}

/// A failed call as the shared retry logic sees it: its code, and the server's
/// `RetryInfo` delay when the status details carry one.
fn send_error(status: &Status) -> SendError {
    if let Some(problem) = certificate_problem(status) {
        return SendError::Certificate(problem);
    }
    // Refused or reset connections surface as UNAVAILABLE with a transport error source.
    if status.code() == Code::Unavailable && std::error::Error::source(status).is_some() {
        // The causes below the status, e.g. "tcp connect error: Connection refused".
        let causes = std::error::Error::source(status)
            .map(error_chain)
            .unwrap_or_default();
        return SendError::Network(format!("{}: {causes}", status.message()));
    }
    SendError::Grpc {
        code: status.code() as i32,
        message: status.message().to_owned(),
        retry_after: retry_info_delay(status.details()),
    }
}

/// Sends already-encoded request bytes; reads the response's partial success.
#[derive(Clone, Copy)]
struct PassThrough;

impl Codec for PassThrough {
    type Encode = Bytes;
    type Decode = PartialSuccess;
    type Encoder = PassThrough;
    type Decoder = PassThrough;

    fn encoder(&mut self) -> Self::Encoder {
        PassThrough
    }

    fn decoder(&mut self) -> Self::Decoder {
        PassThrough
    }
}

impl Encoder for PassThrough {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, body: Bytes, destination: &mut EncodeBuf<'_>) -> Result<(), Status> {
        destination.put(body);
        Ok(())
    }
}

impl Decoder for PassThrough {
    type Item = PartialSuccess;
    type Error = Status;

    fn decode(&mut self, source: &mut DecodeBuf<'_>) -> Result<Option<PartialSuccess>, Status> {
        let body = source.copy_to_bytes(source.remaining());
        Ok(Some(PartialSuccess::from_response(&body, false)))
    }
}
