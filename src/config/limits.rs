//! The bounds a configuration must keep, and the headers no one may set.

/// The largest `max_queue_size`: the native buffer reserves its slots up front (about
/// 130 bytes each, so ~136 MB here), and a larger queue would hold more spans than any
/// exporter drains in the time a batch processor is meant to cover.
pub const MAX_QUEUE_SIZE_LIMIT: usize = 1 << 20;

/// The largest `max_request_bytes` (256 MiB): far above what any OTLP receiver accepts.
pub const MAX_REQUEST_BYTES_LIMIT: usize = 256 << 20;

/// The default largest request body: 4 MiB, the OTLP receivers' usual limit.
pub(crate) const DEFAULT_MAX_REQUEST_BYTES: usize = 4 << 20;

/// The most requests in flight per destination.
pub const MAX_CONCURRENT_EXPORTS_LIMIT: usize = 256;

/// The symbols an HTTP header name may hold beside letters and digits (RFC 9110 `tchar`).
pub(crate) const HEADER_NAME_SYMBOLS: &[u8] = b"!#$%&'*+-.^_`|~";

/// Headers that frame the request itself; the exporter sets them, and a user value would
/// make the body unreadable or desynchronise the connection.
pub(crate) const FRAMING_HEADERS: [&str; 8] = [
    "content-length",
    "content-type",
    "content-encoding",
    "transfer-encoding",
    "host",
    "connection",
    "te",
    "upgrade",
];
