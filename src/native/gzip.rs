//! gzip for request bodies, with flate2's pure-Rust backend.

use std::io::Write;

use flate2::write::GzEncoder;

use crate::encoding::Gzip;

/// The compressor for request bodies.
pub(crate) fn compressor() -> Option<Gzip> {
    Some(gzip)
}

/// Compresses `body` at flate2's fast level (exporting must stay cheap).
pub(crate) fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail, so neither call returns an error in practice; if one
    // did, sending the body uncompressed would mislabel it, so return what was produced.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn gzip_round_trips() {
        let body = b"hello hello hello hello".repeat(100);
        let compressed = gzip(&body);
        assert!(compressed.len() < body.len());
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
    }
}
