//! Request body compression (`OTEL_EXPORTER_OTLP_COMPRESSION`). The compressor itself is
//! the backend's: flate2 natively, [`compact_gzip`](super::compact_gzip) in the browser.

/// A function that gzips a request body, provided by the backend.
pub(crate) type Gzip = fn(&[u8]) -> Vec<u8>;

/// How request bodies are compressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compression {
    /// Sent as encoded.
    #[default]
    None,
    /// gzip, with `Content-Encoding: gzip`.
    Gzip,
}

impl Compression {
    /// The `Content-Encoding` header value, if any.
    pub fn content_encoding(self) -> Option<&'static str> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some("gzip"),
        }
    }
}
