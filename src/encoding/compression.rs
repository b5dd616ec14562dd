//! Request body compression (`OTEL_EXPORTER_OTLP_COMPRESSION`). gzip uses flate2's
//! pure-Rust backend, so it works the same natively and on wasm32.

use std::io::Write;

use flate2::write::GzEncoder;

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

    /// Compresses `body` (returned unchanged for [`Compression::None`]).
    pub(crate) fn apply(self, body: Vec<u8>) -> Vec<u8> {
        match self {
            Compression::None => body,
            Compression::Gzip => {
                let mut encoder = GzEncoder::new(
                    Vec::with_capacity(body.len() / 4 + 64),
                    flate2::Compression::fast(),
                );
                // Writing into a Vec cannot fail.
                let compressed = encoder.write_all(&body).and_then(|_| encoder.finish());
                compressed.unwrap_or(body)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn gzip_round_trips() {
        let body = b"hello hello hello hello".repeat(100);
        let compressed = Compression::Gzip.apply(body.clone());
        assert!(compressed.len() < body.len());
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
    }
}
