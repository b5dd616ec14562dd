//! The native backend: a crossbeam buffer, an export task on tokio, and reqwest (HTTP) or
//! tonic (gRPC) transports. Everything target-specific for native builds lives in this folder.

mod batch_exporter;
mod buffer;
mod clock;
mod collector;
mod export_task;
mod fanout;
// Optional transports and compression: the module, or a stand-in of the same shape that
// refuses (the configuration already did, naming the feature).
#[cfg(feature = "grpc")]
mod grpc;
#[cfg(not(feature = "grpc"))]
#[path = "grpc_off.rs"]
mod grpc;
#[cfg(feature = "gzip")]
mod gzip;
#[cfg(not(feature = "gzip"))]
#[path = "gzip_off.rs"]
mod gzip;
mod http;
#[cfg(feature = "transform")]
mod letter_case;
mod lookahead;
mod number;
mod opamp;
mod span_record;
mod thread_buffers;
#[cfg(feature = "tls")]
mod tls;
#[cfg(not(feature = "tls"))]
#[path = "tls_off.rs"]
mod tls;
mod transport;

pub(crate) use clock::{now_unix_nanos, random_seed};

/// Locks `mutex`, taking it over if a panic poisoned it: nothing the native backend guards
/// is left half-written by a panic (records stay whole records, counters whole numbers),
/// and telemetry must not start failing because some code once panicked.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
pub use collector::Collector;
#[cfg_attr(not(feature = "tracing"), allow(unused_imports))] // only the layer asks
pub(crate) use export_task::on_export_thread;

/// The collector as the `tracing` layer holds it (already `Send + Sync` natively).
#[cfg(feature = "tracing")]
pub(crate) struct LayerCollector(pub(crate) Collector);
#[cfg(feature = "transform")]
pub(crate) use letter_case::{to_lowercase, to_uppercase};
pub(crate) use number::{read_double, write_double};
