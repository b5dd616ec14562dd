//! The native collector handle: cheap to clone, safe to share between threads.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::buffer::SpanBuffer;
use super::exporter::{Command, ExportTask, Exporter, Outcome, Shared};
use super::fanout::{destination_stats, FanoutExporter};
use super::gzip::gzip;
use super::transport::NativeTransport;
use crate::batching::BatchPolicy;
use crate::config::Config;
use crate::encoding::{Compression, Gzip, Protocol, RequestEncoder};
use crate::error::{CollectError, FlushError, ShutdownError, StartError};
use crate::export::BatchExporter;
use crate::model::Span;
use crate::stats::{DestinationStats, DropReason, Stats, StatsCounters};

/// Collects finished spans and exports them in batches from a background tokio task.
///
/// `collect` never blocks and does no I/O; the export task encodes and sends. Clones share
/// one buffer and one export task, which stops when `shutdown` is called or the last clone
/// is dropped.
///
/// # Examples
/// ```
/// use otlp_collector::{Collector, Config, Span};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let receiver = otlp_test_receiver::Receiver::start().await?;
/// let config = Config::default()
///     .with_endpoint(receiver.endpoint())
///     .with_service_name("checkout");
/// let collector = Collector::new(config)?;
/// collector.collect(collector.start_span("GET /cart").end())?;
/// collector.flush().await?;
/// assert_eq!(collector.stats().exported, 1);
/// collector.shutdown().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Collector {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    config: Config,
    /// Each fan-out destination's counters (empty with a single destination).
    destinations: Vec<(String, Arc<StatsCounters>)>,
}

impl Collector {
    /// Validates `config` and starts the export task on the current tokio runtime.
    pub fn new(config: Config) -> Result<Collector, StartError> {
        config.validate()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        let stats = Arc::new(StatsCounters::default());
        let shared = Arc::new(Shared {
            buffer: SpanBuffer::new(config.max_queue_size),
            stats: Arc::clone(&stats),
            closed: AtomicBool::new(false),
        });
        let (commands, command_receiver) = mpsc::unbounded_channel();
        let encoder = RequestEncoder {
            protocol: config.protocol,
            // gRPC compresses each message itself (tonic, `grpc-encoding: gzip`).
            gzip: (config.compression == Compression::Gzip && config.protocol != Protocol::Grpc)
                .then_some(gzip as Gzip),
            resource: config.resource.clone(),
            scope: config.scope.clone(),
            max_request_bytes: config.max_request_bytes,
        };
        // One destination sending one request at a time exports in the task itself;
        // otherwise each destination gets its own task (see `fanout.rs`).
        let (exporter, destinations) =
            if config.extra_destinations.is_empty() && config.max_concurrent_exports == 1 {
                let exporter = BatchExporter {
                    transport: NativeTransport::new(&config)?,
                    encoder,
                    retry: config.retry,
                    stats,
                    dropped_by_export: 0,
                };
                (Exporter::Single(exporter), Vec::new())
            } else {
                let exporter = FanoutExporter::start(&config, encoder, stats)?;
                let destinations = exporter.destination_counters();
                (Exporter::Fanout(exporter), destinations)
            };
        let task = ExportTask {
            shared: Arc::clone(&shared),
            commands: command_receiver,
            exporter,
            policy: BatchPolicy {
                batch_size: config.batch_size,
                batch_timeout: config.batch_timeout,
            },
            shutdown_timeout: config.shutdown_timeout,
            batch: Vec::with_capacity(config.batch_size),
        };
        runtime.spawn(task.run());
        Ok(Collector {
            inner: Arc::new(Inner {
                shared,
                commands,
                config,
                destinations,
            }),
        })
    }

    /// Starts a root span with the collector's span limits.
    pub fn start_span(&self, name: impl Into<Cow<'static, str>>) -> Span {
        Span::new(name).with_limits(self.inner.config.span_limits)
    }

    /// Hands a span to the collector without waiting. A span not yet ended is ended now.
    ///
    /// Takes no lock and does no I/O. When the buffer is full the span is dropped, counted
    /// under `dropped_buffer_full`, and `Err(BufferFull)` returned.
    pub fn collect(&self, span: Span) -> Result<(), CollectError> {
        let shared = &self.inner.shared;
        shared.stats.record_collected();
        if shared.closed.load(Ordering::Acquire) {
            shared.stats.record_dropped(DropReason::Shutdown, 1);
            return Err(CollectError::ShutDown);
        }
        match shared.buffer.push(ended(span)) {
            Ok(()) => Ok(()),
            Err(_) => {
                shared.stats.record_dropped(DropReason::BufferFull, 1);
                Err(CollectError::BufferFull {
                    capacity: shared.buffer.capacity(),
                })
            }
        }
    }

    /// Hands a span to the collector, waiting for room if the buffer is full: for callers
    /// who prefer backpressure to loss.
    pub async fn collect_or_wait(&self, span: Span) -> Result<(), CollectError> {
        let shared = &self.inner.shared;
        shared.stats.record_collected();
        if shared.closed.load(Ordering::Acquire) {
            shared.stats.record_dropped(DropReason::Shutdown, 1);
            return Err(CollectError::ShutDown);
        }
        match shared
            .buffer
            .push_or_wait(ended(span), &shared.closed)
            .await
        {
            Ok(()) => Ok(()),
            Err(_) => {
                shared.stats.record_dropped(DropReason::Shutdown, 1);
                Err(CollectError::ShutDown)
            }
        }
    }

    /// Exports everything collected so far, waiting at most the configured flush timeout.
    pub async fn flush(&self) -> Result<(), FlushError> {
        let (reply, outcome) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Flush(reply))
            .map_err(|_| FlushError::ShutDown)?;
        match tokio::time::timeout(self.inner.config.flush_timeout, outcome).await {
            Err(_) => Err(FlushError::TimedOut {
                still_buffered: self.stats().buffered,
            }),
            Ok(Err(_)) => Err(FlushError::ShutDown),
            Ok(Ok(Outcome { dropped: 0, .. })) => Ok(()),
            Ok(Ok(Outcome { dropped, .. })) => Err(FlushError::Undelivered {
                dropped,
                last_error: self.last_export_error().unwrap_or_default(),
            }),
        }
    }

    /// Stops accepting spans and exports everything buffered, within the configured
    /// shutdown timeout; what is left then is dropped and counted.
    pub async fn shutdown(&self) -> Result<(), ShutdownError> {
        let shared = &self.inner.shared;
        if shared.closed.swap(true, Ordering::AcqRel) {
            return Err(ShutdownError::AlreadyShutDown);
        }
        let deadline = Instant::now() + self.inner.config.shutdown_timeout;
        let (reply, outcome) = oneshot::channel();
        if self
            .inner
            .commands
            .send(Command::Shutdown {
                deadline,
                reply: Some(reply),
            })
            .is_err()
        {
            return Err(ShutdownError::AlreadyShutDown);
        }
        let outcome = outcome.await.unwrap_or_default();
        // Spans pushed by producers that raced with the closing flag.
        let stragglers = shared.buffer.discard_all() as u64;
        shared
            .stats
            .record_dropped(DropReason::Shutdown, stragglers);
        match outcome {
            Outcome {
                dropped_at_deadline,
                ..
            } if dropped_at_deadline + stragglers > 0 => Err(ShutdownError::TimedOut {
                dropped: dropped_at_deadline + stragglers,
            }),
            Outcome { dropped: 0, .. } => Ok(()),
            Outcome { dropped, .. } => Err(ShutdownError::Undelivered {
                dropped,
                last_error: self.last_export_error().unwrap_or_default(),
            }),
        }
    }

    /// The collector's counters: collected, exported, dropped by reason, batches, retries,
    /// bytes sent, and what is still buffered.
    pub fn stats(&self) -> Stats {
        let shared = &self.inner.shared;
        shared.stats.snapshot(shared.buffer.len() as u64)
    }

    /// The most recent export failure, for logs and health checks.
    pub fn last_export_error(&self) -> Option<String> {
        self.inner.shared.stats.last_error()
    }

    /// What each destination did. With fan-out ([`Config::with_destination`]) each has its
    /// own counters, whose invariant holds on its own; with one destination this is the
    /// collector's stats under its endpoint.
    pub fn destination_stats(&self) -> Vec<DestinationStats> {
        if self.inner.destinations.len() < 2 {
            return vec![DestinationStats {
                endpoint: self.inner.config.endpoint.clone(),
                stats: self.stats(),
                last_error: self.last_export_error(),
            }];
        }
        destination_stats(&self.inner.destinations)
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
}

fn ended(span: Span) -> Span {
    if span.is_ended() {
        span
    } else {
        span.end()
    }
}
