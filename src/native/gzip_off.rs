//! Without the `gzip` feature there is no compressor (the configuration refuses gzip,
//! naming the feature).

use crate::encoding::Gzip;

/// The compressor for request bodies: none in this build.
pub(crate) fn compressor() -> Option<Gzip> {
    None
}
