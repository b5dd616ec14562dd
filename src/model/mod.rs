//! The span model shared by every target: spans, ids, values, limits, resource and scope.
//! No I/O and no target-specific code; the clock and the entropy seed come from
//! the backend chosen in `lib.rs` (`crate::platform`).

mod context;
mod ids;
mod limits;
mod resource;
mod span;
mod trace_state;
mod value;

pub use context::{SpanContext, TraceparentError, SAMPLED_FLAG};
pub(crate) use ids::{push_hex, random_u64};
pub use ids::{IdError, SpanId, TraceId};
pub use limits::{Attributes, SpanLimits};
pub use resource::{Resource, Scope, UNKNOWN_SERVICE};
#[cfg_attr(not(target_arch = "wasm32"), allow(unused_imports))] // the browser intake's
pub(crate) use resource::{DEFAULT_SCOPE, SERVICE_NAME};
// Natively the transports use it; in browsers only the `tracing` layer does.
#[cfg_attr(
    all(target_arch = "wasm32", not(feature = "tracing")),
    allow(unused_imports)
)]
pub(crate) use span::error_chain;
pub(crate) use span::otlp_flags;
pub use span::{now_unix_nanos, Event, Link, Span, SpanKind, SpanStatus};
#[cfg_attr(target_arch = "wasm32", allow(unused_imports))] // the native span records'
pub(crate) use span::{SpanExtras, StatusKind};
pub use trace_state::{normalize_trace_state, MAX_TRACE_STATE_MEMBERS};
#[cfg_attr(not(target_arch = "wasm32"), allow(unused_imports))] // the browser intake's
pub(crate) use value::truncated;
pub use value::{Key, KeyValue, Value, MAX_VALUE_NESTING};
