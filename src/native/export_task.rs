//! The export task: drains the buffer into batches and hands them to the shared
//! [`BatchExporter`], answering `flush` and `shutdown` commands.
//!
//! It runs on a small runtime of the collector's own, on a thread of its own (see
//! [`ExportThread`]): encoding, compression and the network never run on the
//! application's async workers, and exporting does not depend on the application's
//! runtime staying alive.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::buffer::SpanBuffer;
use super::fanout::FanoutExporter;
use super::lookahead::{Ahead, LookaheadExporter};
use crate::batch::batching::{BatchPolicy, NextStep};
use crate::batch::pipeline::{Outcome, Pipeline, SpanQueue};
use crate::model::Span;

/// State shared by the collector handles and the export task.
pub(crate) struct Shared {
    /// The buffer, counters and closed flag (closed also when the export thread ends).
    pub(crate) pipeline: Pipeline<SpanBuffer>,
    /// Set when the export thread ended without being asked to (a panic in it).
    pub(crate) export_stopped: AtomicBool,
}

/// A deadline `duration` from now, saturating: `Duration::MAX` means "never".
pub(crate) fn deadline_after(duration: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    let now = Instant::now();
    now.checked_add(duration).unwrap_or_else(|| now + CENTURY)
}

/// The export thread: its own `current_thread` runtime, running the [`ExportTask`].
/// Whichever way the thread ends — shut down, every handle dropped, or a panic in the
/// task — what is still buffered is counted and producers are released.
pub(crate) struct ExportThread;

std::thread_local! {
    /// Set on the collector's own threads (the export thread and its runtime's blocking
    /// pool), whose `tracing` spans and events — h2's, hyper's, tonic's — the layer leaves
    /// out: recorded, they would feed every export into the next.
    static EXPORT_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is one of a collector's own.
#[cfg_attr(not(feature = "tracing"), allow(dead_code))] // only the layer asks
pub(crate) fn on_export_thread() -> bool {
    EXPORT_THREAD.with(std::cell::Cell::get)
}

/// Marks this thread as one of a collector's own.
pub(crate) fn mark_export_thread() {
    EXPORT_THREAD.with(|flag| flag.set(true));
}

impl ExportThread {
    /// Starts `task` on `runtime` in a thread named `otlp-export`; the returned
    /// channel closes when the thread has finished.
    pub(crate) fn start(
        runtime: tokio::runtime::Runtime,
        task: ExportTask,
    ) -> std::io::Result<std::sync::mpsc::Receiver<()>> {
        let (finished, finished_receiver) = std::sync::mpsc::channel::<()>();
        let shared = Arc::clone(&task.shared);
        std::thread::Builder::new()
            .name("otlp-export".to_owned())
            .spawn(move || {
                mark_export_thread();
                let _finished = finished;
                let _release = ReleaseOnExit(shared);
                runtime.block_on(task.run());
                // Connections and resolver lookups still open need not be waited for.
                runtime.shutdown_background();
            })?;
        Ok(finished_receiver)
    }
}

/// Runs when the export thread ends, even by unwinding from a panic.
struct ReleaseOnExit(Arc<Shared>);

impl Drop for ReleaseOnExit {
    fn drop(&mut self) {
        let shared = &self.0;
        let pipeline = &shared.pipeline;
        if std::thread::panicking() {
            shared.export_stopped.store(true, Ordering::Release);
            pipeline.stats.record_error(
                "the export thread stopped unexpectedly (a panic); buffered spans were counted as dropped".to_owned(),
            );
        }
        pipeline.close();
        pipeline.abandon_everything();
        pipeline.queue.wake_waiting_producers();
    }
}

/// Sends batches to one destination, or to several (fan-out).
// One per collector, matched once per batch: boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Exporter {
    Single(LookaheadExporter),
    Fanout(FanoutExporter),
}

impl Exporter {
    /// Takes the next batch and exports it: sent and settled (one destination, with the
    /// following batch encoded meanwhile if `ahead` allows), or handed to every
    /// destination's task (fan-out). `batch` is the fan-out's reused vector.
    async fn export_next(
        &mut self,
        shared: &Arc<Shared>,
        batch: &mut Vec<Span>,
        batch_size: usize,
        ahead: Ahead,
    ) {
        match self {
            Exporter::Single(exporter) => exporter.export_next(shared, batch_size, ahead).await,
            Exporter::Fanout(exporter) => {
                shared.pipeline.take_batch(batch_size, batch);
                exporter.export(batch).await
            }
        }
    }

    /// Whether a batch taken ahead is still to be sent.
    fn has_next(&self) -> bool {
        matches!(self, Exporter::Single(exporter) if exporter.has_next())
    }

    /// Waits until everything exported so far has been settled.
    async fn settled(&self) {
        if let Exporter::Fanout(exporter) = self {
            exporter.settled().await;
        }
    }

    fn dropped_by_export(&self) -> u64 {
        match self {
            Exporter::Single(exporter) => exporter.exporter.dropped_by_export,
            Exporter::Fanout(exporter) => exporter.dropped_by_export(),
        }
    }

    /// Stops whatever is still being sent, at a shutdown deadline.
    async fn abandon(&mut self) {
        match self {
            Exporter::Single(exporter) => exporter.abandon_next().await,
            Exporter::Fanout(exporter) => exporter.abandon(),
        }
    }
}

/// What the collector handle (or the OpAMP poller) asks of the task.
pub(crate) enum Command {
    /// Batch by this size and timeout from now on (a remote configuration).
    SetPolicy(BatchPolicy),
    /// Export everything buffered now, then reply.
    Flush(oneshot::Sender<Outcome>),
    /// Export everything until `deadline`, drop the rest, reply (if anyone asked) and stop.
    Shutdown {
        deadline: Instant,
        reply: Option<oneshot::Sender<Outcome>>,
    },
}

/// The task: waits for work or commands and exports batches.
pub(crate) struct ExportTask {
    pub(crate) shared: Arc<Shared>,
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) exporter: Exporter,
    pub(crate) policy: BatchPolicy,
    pub(crate) shutdown_timeout: Duration,
    /// Spans taken from the buffer for a fan-out's batch (reused between batches).
    pub(crate) batch: Vec<Span>,
}

#[derive(PartialEq, Eq)]
enum Done {
    Continue,
    Stop,
}

impl ExportTask {
    pub(crate) async fn run(mut self) {
        // When the task first saw the oldest span still queued: the batch timeout runs
        // from there.
        let mut oldest_seen: Option<Instant> = None;
        loop {
            let queued = self.shared.pipeline.queue.len();
            let waited = if queued == 0 {
                oldest_seen = None;
                Duration::ZERO
            } else {
                oldest_seen.get_or_insert_with(Instant::now).elapsed()
            };
            // A batch taken ahead goes at once, whatever is queued after it.
            let step = if self.exporter.has_next() {
                NextStep::Export
            } else {
                self.policy.next_step(queued, waited)
            };
            let command = match step {
                NextStep::Export => {
                    let started = Instant::now();
                    let command = self.export_watching_commands().await;
                    // The timeout is the delay between two consecutive exports: spans that
                    // arrived while this one was sent wait from its start, not from when
                    // the previous batch began.
                    oldest_seen = (self.shared.pipeline.queue.len() > 0).then_some(started);
                    command
                }
                // While a partial batch waits, wake on a full batch; while idle, on the
                // first span. The timer bounds the wait either way.
                NextStep::WaitFor(remaining) => self.wait(self.policy.batch_size, remaining).await,
                NextStep::Idle => self.wait(1, self.policy.batch_timeout).await,
            };
            if let Some(command) = command {
                if self.handle(command).await == Done::Stop {
                    return;
                }
            }
        }
    }

    /// A received command, or — when every collector handle was dropped without calling
    /// shutdown — a shutdown that delivers what it can.
    fn or_final_shutdown(&self, command: Option<Command>) -> Command {
        command.unwrap_or(Command::Shutdown {
            deadline: deadline_after(self.shutdown_timeout),
            reply: None,
        })
    }

    /// Waits until the queue reaches `wake_at` spans, `timeout` passes, or a command comes.
    async fn wait(&mut self, wake_at: usize, timeout: Duration) -> Option<Command> {
        let buffer = &self.shared.pipeline.queue;
        if !buffer.arm_wake(wake_at) {
            return None;
        }
        let command = tokio::select! {
            biased;
            command = self.commands.recv() => Some(command),
            _ = buffer.woken() => None,
            _ = tokio::time::sleep(timeout) => None,
        };
        buffer.disarm_wake();
        command.map(|command| self.or_final_shutdown(command))
    }

    /// Exports one batch while listening for commands: a shutdown arriving mid-export
    /// bounds the rest of that export by its deadline.
    async fn export_watching_commands(&mut self) -> Option<Command> {
        let final_deadline = deadline_after(self.shutdown_timeout);
        let export = self.exporter.export_next(
            &self.shared,
            &mut self.batch,
            self.policy.batch_size,
            Ahead::Allowed,
        );
        tokio::pin!(export);
        let command = tokio::select! {
            biased;
            _ = &mut export => return None,
            command = self.commands.recv() => command,
        };
        match command {
            Some(Command::SetPolicy(policy)) => {
                export.await;
                Some(Command::SetPolicy(policy))
            }
            Some(Command::Flush(reply)) => {
                export.await;
                Some(Command::Flush(reply))
            }
            Some(Command::Shutdown { deadline, reply }) => {
                // Past the deadline the export is abandoned; shut_down counts its spans.
                let _ = tokio::time::timeout_at(deadline, export).await;
                Some(Command::Shutdown { deadline, reply })
            }
            None => {
                let _ = tokio::time::timeout_at(final_deadline, export).await;
                Some(Command::Shutdown {
                    deadline: final_deadline,
                    reply: None,
                })
            }
        }
    }

    async fn handle(&mut self, command: Command) -> Done {
        match command {
            Command::SetPolicy(policy) => {
                self.policy = policy;
                Done::Continue
            }
            Command::Flush(reply) => {
                let outcome = self.flush().await;
                // The caller may have timed out and gone; nothing to tell then.
                let _ = reply.send(outcome);
                Done::Continue
            }
            Command::Shutdown { deadline, reply } => {
                let outcome = self.shut_down(deadline).await;
                if let Some(reply) = reply {
                    let _ = reply.send(outcome);
                }
                Done::Stop
            }
        }
    }

    /// Exports what was queued when the flush began (not what keeps arriving after).
    async fn flush(&mut self) -> Outcome {
        let dropped_before = self.exporter.dropped_by_export();
        let batch_size = self.policy.batch_size;
        // What the flush owes: the queue as it began (a batch already taken ahead was
        // queued before that, and goes first).
        let mut owed = self.shared.pipeline.queue.len();
        while self.exporter.has_next() || (owed > 0 && self.shared.pipeline.queue.len() > 0) {
            if !self.exporter.has_next() {
                owed = owed.saturating_sub(batch_size);
            }
            let ahead = if owed > 0 {
                Ahead::Allowed
            } else {
                Ahead::Never
            };
            self.exporter
                .export_next(&self.shared, &mut self.batch, batch_size, ahead)
                .await;
            if ahead == Ahead::Allowed && self.exporter.has_next() {
                owed = owed.saturating_sub(batch_size);
            }
        }
        self.exporter.settled().await;
        Outcome {
            dropped: self.exporter.dropped_by_export() - dropped_before,
            dropped_at_deadline: 0,
        }
    }

    /// Exports everything until `deadline`; whatever is left then is dropped and counted.
    async fn shut_down(&mut self, deadline: Instant) -> Outcome {
        self.shared.pipeline.queue.wake_waiting_producers();
        let dropped_before = self.exporter.dropped_by_export();
        let shared = &self.shared;
        let exporter = &mut self.exporter;
        let batch = &mut self.batch;
        let batch_size = self.policy.batch_size;
        let drained = tokio::time::timeout_at(deadline, async {
            while exporter.has_next() || shared.pipeline.queue.len() > 0 {
                exporter
                    .export_next(shared, batch, batch_size, Ahead::Allowed)
                    .await;
            }
            exporter.settled().await;
        })
        .await;
        if drained.is_err() {
            self.exporter.abandon().await;
        }
        // Whatever is still unsettled — a batch whose export was cut off at the deadline
        // (perhaps before this command was handled), a fan-out request, spans queued by
        // producers racing the close — is dropped and counted now, so the stats balance
        // with nothing buffered.
        self.batch.clear();
        let dropped_at_deadline = self.shared.pipeline.abandon_everything();
        Outcome {
            dropped: self.exporter.dropped_by_export() - dropped_before,
            dropped_at_deadline,
        }
    }
}
