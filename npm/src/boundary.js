// The JavaScript half of the boundary with WebAssembly: every number the span records, the
// intake's refusals and the core's counters carry across. src/js_boundary.rs holds the
// Rust half, and its test reads this file and fails when a value differs.

export const KIND_CODES = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
// OpenTelemetry JS's `SpanKind` enum: INTERNAL 0, SERVER 1, CLIENT 2, PRODUCER 3, CONSUMER 4.
export const OTEL_KIND_CODES = [1, 2, 3, 4, 5];
export const STATUS_UNSET = 0;
export const STATUS_OK = 1;
export const STATUS_ERROR = 2;
export const SAMPLED = 1;

// Value tags of the record (span_record.rs reads the same numbers).
export const TAG_STRING = 0;
export const TAG_BOOL = 1;
export const TAG_INT = 2;
export const TAG_DOUBLE = 3;
export const TAG_ARRAY = 4;

// Parent states of the record.
export const NO_PARENT = 0;
export const LOCAL_PARENT = 1;
export const REMOTE_PARENT = 2;

// What `drain` reports it refused (bits; core.rs returns them).
export const REFUSED_BUFFER_FULL = 1;
export const REFUSED_SHUT_DOWN = 2;
export const REFUSED_BAD_RECORD = 4;

// What a module writes beyond uncompressed OTLP/protobuf (bits; `speaks` in open.rs).
export const SPEAKS_JSON = 1;
export const SPEAKS_GZIP = 2;

// The names of the counters `core.stats()` returns, in its order.
export const STATS = [
  'collected', 'exported', 'droppedBufferFull', 'droppedRetriesExhausted', 'droppedRejected',
  'droppedTimedOut', 'droppedTooLarge', 'droppedShutdown', 'droppedPageUnload', 'batches',
  'retries', 'bytesSent', 'buffered', 'sampledOut', 'filteredOut', 'ruleErrors',
];
