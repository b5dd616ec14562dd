//! The native collector handle: cheap to clone, safe to share between threads.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::batch_exporter::BatchExporter;
use super::buffer::SpanBuffer;
use super::export_task::{
    deadline_after, mark_export_thread, Command, ExportTask, ExportThread, Exporter, Shared,
};
use super::fanout::{destination_stats, FanoutExporter};
use super::lookahead::LookaheadExporter;
use super::opamp::{OpampPoller, PollerHandle, GOODBYE_TIMEOUT};
use super::transport::NativeTransport;
use crate::batch::batching::BatchPolicy;
use crate::batch::pipeline::{ended, Outcome, Pipeline};
use crate::config::{redact_password, Config};
use crate::encoding::{Compression, Protocol, RequestEncoder};
use crate::error::{CollectError, FlushError, ShutdownError, StartError};
use crate::model::{Span, SpanContext, SpanLimits};
use crate::observe::stats::{DestinationStats, DropReason, Stats, StatsCounters};
use crate::opamp::{LiveSettings, LocalSettings};
use crate::sampling::Sampler;
use crate::transform::Shaping;

/// Collects finished spans and exports them in batches from a thread of its own.
///
/// `collect` never blocks and does no I/O; the export thread (a small tokio runtime of the
/// collector's own) encodes and sends, so neither the application's runtime nor its
/// lifetime matters: `new`, `collect` and the async methods work from any thread, any
/// runtime or none. Clones share one buffer and one export thread.
///
/// Call [`shutdown`](Collector::shutdown) before the program ends. If the last clone is
/// dropped without it, the drop itself delivers what is buffered, blocking the dropping
/// thread for at most the shutdown timeout (what is left then is lost).
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
    /// Taken (closed) when the last handle drops, which tells the export task to finish.
    commands: Option<mpsc::UnboundedSender<Command>>,
    /// The export thread's runtime, for the timers that bound `flush` and `shutdown`.
    export_runtime: tokio::runtime::Handle,
    /// Closes when the export thread has finished (in a mutex only to make `Inner` Sync).
    export_finished: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    config: Config,
    /// Each fan-out destination's counters (empty with a single destination).
    destinations: Vec<(String, Arc<StatsCounters>)>,
    /// The settings an OpAMP server may change, with OpAMP configured.
    live: Option<Arc<LiveSettings>>,
    /// Stops the OpAMP poller (which says goodbye to the server).
    opamp: Option<PollerHandle>,
}

/// How long after its own deadline a `shutdown` stops waiting for the export thread (which
/// may be in the middle of encoding a batch) and counts what is left itself.
const SHUTDOWN_SLACK: Duration = Duration::from_millis(250);

impl Drop for Inner {
    /// The last handle is gone without `shutdown`: the export task delivers what is
    /// buffered (its final shutdown), and this waits for it, within the shutdown timeout.
    fn drop(&mut self) {
        if let Some(opamp) = &self.opamp {
            opamp.stop.notify_one();
        }
        self.commands.take();
        if self.shared.pipeline.is_closed() {
            return;
        }
        let finished = self
            .export_finished
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = finished.recv_timeout(self.config.shutdown_timeout.saturating_add(SHUTDOWN_SLACK));
    }
}

impl Collector {
    /// Validates `config` and starts the export thread.
    pub fn new(config: Config) -> Result<Collector, StartError> {
        config.validate()?;
        // Spans read the calibrated counter from now on (the only wait it costs is here).
        super::clock::calibrate();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            // Its blocking pool (DNS lookups, the batch encoded ahead) shows in profilers
            // under the export thread's name.
            .thread_name("otlp-export")
            .on_thread_start(mark_export_thread)
            .build()
            .map_err(|error| StartError::ExportThread(error.to_string()))?;
        // Transports and fan-out lanes spawn their tasks on the collector's own runtime.
        let entered = runtime.enter();
        let stats = Arc::new(StatsCounters::reporting(
            config.problem_handler.clone(),
            &config.ignored_settings,
        ));
        let mut pipeline = Pipeline::new(
            SpanBuffer::new(config.max_queue_size),
            Arc::clone(&stats),
            config.disabled,
        );
        pipeline.shaping = Shaping::new(
            config.span_rules()?,
            config.resource.clone(),
            config.scope.clone(),
        );
        let shared = Arc::new(Shared {
            pipeline,
            export_stopped: AtomicBool::new(false),
        });
        let (commands, command_receiver) = mpsc::unbounded_channel();
        let encoder = RequestEncoder {
            protocol: config.protocol,
            // gRPC compresses each message itself (tonic, `grpc-encoding: gzip`).
            gzip: (config.compression == Compression::Gzip && config.protocol != Protocol::Grpc)
                .then(super::gzip::compressor)
                .flatten(),
            resource: config.resource.clone(),
            scope: config.scope.clone(),
            max_request_bytes: config.max_request_bytes,
        };
        // One destination sending one request at a time exports in the task itself;
        // otherwise each destination gets its own task (see `fanout.rs`).
        let (exporter, destinations) =
            if config.extra_destinations.is_empty() && config.max_concurrent_exports == 1 {
                let exporter = BatchExporter {
                    transport: NativeTransport::new(
                        &config.main_destination(),
                        &config.export_settings(),
                    )?,
                    encoder: Arc::new(encoder),
                    retry: config.retry,
                    stats,
                    dropped_by_export: 0,
                };
                let exporter = LookaheadExporter::new(exporter, config.batch_size);
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
        let (live, opamp) = match &config.opamp {
            Some(settings) => {
                let live = Arc::new(LiveSettings::new(LocalSettings {
                    sampler: config.sampler,
                    span_limits: config.span_limits,
                    transform: config.transform.clone(),
                    drop_spans: config.drop_spans.clone(),
                    error_mode: config.rule_error_mode,
                    batch: BatchPolicy {
                        batch_size: config.batch_size,
                        batch_timeout: config.batch_timeout,
                    },
                    max_queue_size: config.max_queue_size,
                }));
                let poller = OpampPoller::start(
                    &config,
                    settings,
                    Arc::clone(&live),
                    Arc::clone(&shared),
                    commands.downgrade(),
                )?;
                (Some(live), Some(poller))
            }
            None => (None, None),
        };
        drop(entered);
        let export_runtime = runtime.handle().clone();
        let export_finished = ExportThread::start(runtime, task)
            .map_err(|error| StartError::ExportThread(error.to_string()))?;
        Ok(Collector {
            inner: Arc::new(Inner {
                shared,
                commands: Some(commands),
                export_runtime,
                export_finished: std::sync::Mutex::new(export_finished),
                config,
                destinations,
                live,
                opamp,
            }),
        })
    }

    /// Stops the OpAMP poller and waits (at most [`GOODBYE_TIMEOUT`]) for its goodbye
    /// (`AgentDisconnect`) to reach the server.
    async fn say_goodbye_to_opamp(&self) {
        let Some(opamp) = &self.inner.opamp else {
            return;
        };
        opamp.stop.notify_one();
        let finished = opamp
            .finished
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(finished) = finished {
            let deadline = self.timer(GOODBYE_TIMEOUT.min(self.inner.config.shutdown_timeout));
            tokio::select! {
                _ = finished => {}
                _ = deadline => {}
            }
        }
    }

    /// Sends `command` to the export task; false if it is gone.
    fn send(&self, command: Command) -> bool {
        self.inner
            .commands
            .as_ref()
            .is_some_and(|commands| commands.send(command).is_ok())
    }

    /// Resolves after `duration`, on the export thread's timer: the caller's runtime (if
    /// any) needs no time driver.
    fn timer(&self, duration: Duration) -> oneshot::Receiver<()> {
        let (fire, fired) = oneshot::channel();
        self.inner.export_runtime.spawn(async move {
            tokio::time::sleep(duration).await;
            let _ = fire.send(());
        });
        fired
    }

    /// Starts a root span (a new trace) with the collector's span limits and sampler.
    pub fn start_span(&self, name: impl Into<Cow<'static, str>>) -> Span {
        let (sampler, limits) = self.span_start();
        sampler.start_span(limits, None, name)
    }

    /// The sampler and span limits in force: the configuration's, or those an OpAMP server
    /// set.
    pub(crate) fn span_start(&self) -> (Sampler, SpanLimits) {
        match &self.inner.live {
            Some(live) => live.span_start(),
            None => (self.inner.config.sampler, self.inner.config.span_limits),
        }
    }

    /// Starts a child of `parent` — a local span's [`context`](Span::context) or a remote
    /// one from [`SpanContext::from_traceparent`] — with the collector's span limits; the
    /// sampler follows the parent's decision by default.
    pub fn start_child_of(&self, parent: &SpanContext, name: impl Into<Cow<'static, str>>) -> Span {
        let (sampler, limits) = self.span_start();
        sampler.start_span(limits, Some(parent), name)
    }

    /// Hands a span to the collector without waiting. A span not yet ended is ended now.
    ///
    /// Does no I/O and waits on no other thread: the span is written into this thread's own
    /// buffer (whose lock only the export task's occasional sweep ever takes) and dropped
    /// here. When the buffer is full the span is dropped, counted under
    /// `dropped_buffer_full`, and `Err(BufferFull)` returned.
    pub fn collect(&self, span: Span) -> Result<(), CollectError> {
        self.inner.shared.pipeline.accept(span)
    }

    /// Hands a span to the collector, waiting for room if the buffer is full: for callers
    /// who prefer backpressure to loss.
    ///
    /// Cancellation-safe: a call dropped while it waits (e.g. by a timeout) counts its
    /// span as dropped for a full buffer.
    pub async fn collect_or_wait(&self, span: Span) -> Result<(), CollectError> {
        let pipeline = &self.inner.shared.pipeline;
        if pipeline.disabled {
            return Ok(());
        }
        pipeline.stats.record_collected();
        if pipeline.is_closed() {
            return Err(pipeline.refuse_closed());
        }
        let unsettled = CountIfCancelled(&pipeline.stats);
        let pushed = pipeline
            .queue
            .push_or_wait(ended(span), &pipeline.closed)
            .await;
        std::mem::forget(unsettled);
        pushed.map_err(|_| pipeline.refuse_closed())
    }

    /// Exports everything collected so far, waiting at most the configured flush timeout.
    pub async fn flush(&self) -> Result<(), FlushError> {
        let (reply, outcome) = oneshot::channel();
        if !self.send(Command::Flush(reply)) {
            return Err(FlushError::ShutDown);
        }
        let timed_out = self.timer(self.inner.config.flush_timeout);
        tokio::select! {
            biased;
            outcome = outcome => match outcome {
                Err(_) => Err(FlushError::ShutDown),
                Ok(outcome) => outcome.flush_result(|| self.last_export_error()),
            },
            _ = timed_out => Err(FlushError::TimedOut {
                still_buffered: self.stats().buffered,
            }),
        }
    }

    /// Stops accepting spans and exports everything buffered, within the configured
    /// shutdown timeout; what is left then is dropped and counted. Always returns within
    /// the timeout (plus a quarter of a second if the export thread is busy encoding), and
    /// afterwards nothing is buffered.
    pub async fn shutdown(&self) -> Result<(), ShutdownError> {
        self.say_goodbye_to_opamp().await;
        let shared = &self.inner.shared;
        if shared.pipeline.close() {
            if shared.export_stopped.load(Ordering::Acquire) {
                return Err(ShutdownError::ExportStopped {
                    dropped: self.stats().dropped_shutdown,
                });
            }
            return Err(ShutdownError::AlreadyShutDown);
        }
        let timeout = self.inner.config.shutdown_timeout;
        let (reply, outcome) = oneshot::channel();
        let sent = self.send(Command::Shutdown {
            deadline: deadline_after(timeout),
            reply: Some(reply),
        });
        let outcome = if sent {
            let gave_up = self.timer(timeout.saturating_add(SHUTDOWN_SLACK));
            tokio::select! {
                biased;
                outcome = outcome => outcome.ok(),
                _ = gave_up => None,
            }
        } else {
            None
        };
        // No answer in time (the export thread is stuck or gone): count what is left here.
        let mut outcome = outcome.unwrap_or_else(|| Outcome {
            dropped: 0,
            dropped_at_deadline: shared.pipeline.abandon_everything(),
        });
        // Spans pushed by producers that raced with the closing flag.
        outcome.dropped_at_deadline += shared.pipeline.discard_queued();
        outcome.shutdown_result(|| self.last_export_error())
    }

    /// The collector's counters: collected, exported, dropped by reason, batches, retries,
    /// bytes sent, and what is still buffered.
    pub fn stats(&self) -> Stats {
        self.inner.shared.pipeline.stats()
    }

    /// The most recent export failure, for logs and health checks.
    pub fn last_export_error(&self) -> Option<String> {
        self.inner.shared.pipeline.stats.last_error()
    }

    /// What each destination did. With fan-out ([`Config::with_destination`]) each has its
    /// own counters, whose invariant holds on its own; with one destination this is the
    /// collector's stats under its endpoint.
    pub fn destination_stats(&self) -> Vec<DestinationStats> {
        if self.inner.destinations.len() < 2 {
            return vec![DestinationStats {
                endpoint: redact_password(&self.inner.config.endpoint),
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

// The README promises a collector that can be shared and moved between threads.
const _: () = {
    const fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Collector>();
};

/// Counts a `collect_or_wait` span as dropped if the call is cancelled while it waits.
struct CountIfCancelled<'a>(&'a StatsCounters);

impl Drop for CountIfCancelled<'_> {
    fn drop(&mut self) {
        self.0.record_dropped(DropReason::BufferFull, 1);
    }
}
