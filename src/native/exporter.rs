//! The export task: a tokio task that drains the buffer into batches, encodes them and
//! sends them, retrying what the retry policy allows and counting everything else.
//!
//! It runs on whatever runtime created the collector (multi-thread or `current_thread`);
//! it never blocks a worker — waiting is always an `.await` on a timer, a wake-up from a
//! producer, or a command from the collector handle.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::buffer::SpanBuffer;
use super::transport::HttpTransport;
use crate::batching::{BatchPolicy, NextStep};
use crate::encoding::{EncodedRequest, RequestEncoder};
use crate::model::Span;
use crate::retry::RetryPolicy;
use crate::stats::{DropReason, StatsCounters};

/// State shared by the collector handles and the export task.
pub(crate) struct Shared {
    pub(crate) buffer: SpanBuffer,
    pub(crate) stats: StatsCounters,
    /// Set once by `shutdown`; later spans are refused and counted.
    pub(crate) closed: AtomicBool,
    last_error: Mutex<Option<String>>,
}

impl Shared {
    pub(crate) fn new(capacity: usize) -> Self {
        Shared {
            buffer: SpanBuffer::new(capacity),
            stats: StatsCounters::default(),
            closed: AtomicBool::new(false),
            last_error: Mutex::new(None),
        }
    }

    pub(crate) fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .map(|error| error.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    fn record_error(&self, error: String) {
        match self.last_error.lock() {
            Ok(mut slot) => *slot = Some(error),
            Err(poisoned) => *poisoned.into_inner() = Some(error),
        }
    }
}

/// What the collector handle asks of the task.
pub(crate) enum Command {
    /// Export everything buffered now, then reply.
    Flush(oneshot::Sender<Outcome>),
    /// Export everything until `deadline`, drop the rest, reply (if anyone asked) and stop.
    Shutdown {
        deadline: Instant,
        reply: Option<oneshot::Sender<Outcome>>,
    },
}

/// What a flush or shutdown could not deliver.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Spans dropped by export failures while draining.
    pub(crate) dropped: u64,
    /// Spans dropped because the shutdown deadline passed.
    pub(crate) dropped_at_deadline: u64,
}

/// The task: waits for work or commands and hands batches to the [`BatchExporter`].
pub(crate) struct ExportTask {
    pub(crate) commands: mpsc::UnboundedReceiver<Command>,
    pub(crate) exporter: BatchExporter,
}

/// Takes batches from the buffer, encodes and sends them, and settles their spans.
pub(crate) struct BatchExporter {
    pub(crate) shared: Arc<Shared>,
    pub(crate) transport: HttpTransport,
    pub(crate) encoder: RequestEncoder,
    pub(crate) policy: BatchPolicy,
    pub(crate) retry: RetryPolicy,
    pub(crate) shutdown_timeout: Duration,
    /// Spans taken from the buffer for the batch being encoded (reused between batches).
    pub(crate) batch: Vec<Span>,
    /// Spans this exporter dropped, for telling a flush what it lost.
    pub(crate) dropped_by_export: u64,
}

impl ExportTask {
    pub(crate) async fn run(mut self) {
        // When the task first saw the oldest span still queued: the batch timeout runs
        // from there.
        let mut oldest_seen: Option<Instant> = None;
        loop {
            let buffer = &self.exporter.shared.buffer;
            let queued = buffer.len();
            let waited = if queued == 0 {
                oldest_seen = None;
                Duration::ZERO
            } else {
                oldest_seen.get_or_insert_with(Instant::now).elapsed()
            };
            let policy = self.exporter.policy;
            let command = match policy.next_step(queued, waited) {
                NextStep::Export => {
                    let command = self.export_watching_commands().await;
                    if self.exporter.shared.buffer.len() == 0 {
                        oldest_seen = None;
                    }
                    command
                }
                // While a partial batch waits, wake on a full batch; while idle, on the
                // first span. The timer bounds the wait either way.
                NextStep::WaitFor(remaining) => self.wait(policy.batch_size, remaining).await,
                NextStep::Idle => self.wait(1, policy.batch_timeout).await,
            };
            if let Some(command) = command {
                if self.handle(command).await == Done::Stop {
                    return;
                }
            }
        }
    }

    /// Waits until the queue reaches `wake_at` spans, `timeout` passes, or a command comes.
    async fn wait(&mut self, wake_at: usize, timeout: Duration) -> Option<Command> {
        let buffer = &self.exporter.shared.buffer;
        if !buffer.arm_wake(wake_at) {
            return None;
        }
        let command = tokio::select! {
            biased;
            command = self.commands.recv() => Some(self.exporter.or_final_shutdown(command)),
            _ = buffer.woken() => None,
            _ = tokio::time::sleep(timeout) => None,
        };
        buffer.disarm_wake();
        command
    }

    /// Exports one batch while listening for commands: a shutdown arriving mid-export
    /// bounds the rest of that export by its deadline.
    async fn export_watching_commands(&mut self) -> Option<Command> {
        let exporter = &mut self.exporter;
        let shutdown_timeout = exporter.shutdown_timeout;
        let export = exporter.export_batch();
        tokio::pin!(export);
        let command = tokio::select! {
            biased;
            _ = &mut export => return None,
            command = self.commands.recv() => command,
        };
        match command {
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
                let deadline = Instant::now() + shutdown_timeout;
                let _ = tokio::time::timeout_at(deadline, export).await;
                Some(Command::Shutdown {
                    deadline,
                    reply: None,
                })
            }
        }
    }

    async fn handle(&mut self, command: Command) -> Done {
        match command {
            Command::Flush(reply) => {
                let outcome = self.exporter.flush().await;
                // The caller may have timed out and gone; nothing to tell then.
                let _ = reply.send(outcome);
                Done::Continue
            }
            Command::Shutdown { deadline, reply } => {
                let outcome = self.exporter.shut_down(deadline).await;
                if let Some(reply) = reply {
                    let _ = reply.send(outcome);
                }
                Done::Stop
            }
        }
    }
}

#[derive(PartialEq, Eq)]
enum Done {
    Continue,
    Stop,
}

impl BatchExporter {
    /// A received command, or — when every collector handle was dropped without calling
    /// shutdown — a shutdown that delivers what it can.
    fn or_final_shutdown(&self, command: Option<Command>) -> Command {
        command.unwrap_or(Command::Shutdown {
            deadline: Instant::now() + self.shutdown_timeout,
            reply: None,
        })
    }

    /// Exports what was queued when the flush began (not what keeps arriving after).
    async fn flush(&mut self) -> Outcome {
        let dropped_before = self.dropped_by_export;
        let mut remaining = self.shared.buffer.len();
        while remaining > 0 && self.shared.buffer.len() > 0 {
            remaining = remaining.saturating_sub(self.policy.batch_size);
            self.export_batch().await;
        }
        Outcome {
            dropped: self.dropped_by_export - dropped_before,
            dropped_at_deadline: 0,
        }
    }

    /// Exports everything until `deadline`; whatever is left then is dropped and counted.
    async fn shut_down(&mut self, deadline: Instant) -> Outcome {
        self.shared.buffer.wake_waiting_producers();
        let dropped_before = self.dropped_by_export;
        let drained = tokio::time::timeout_at(deadline, async {
            while self.shared.buffer.len() > 0 {
                self.export_batch().await;
            }
        })
        .await;
        let mut dropped_at_deadline = 0;
        if drained.is_err() {
            // The batch being sent was abandoned mid-way: its unsettled spans, and all
            // still queued, are dropped.
            let unsettled = self.shared.buffer.buffered() - self.shared.buffer.len();
            self.shared.buffer.settle(unsettled);
            self.batch.clear();
            dropped_at_deadline = (unsettled + self.shared.buffer.discard_all()) as u64;
            self.shared
                .stats
                .record_dropped(DropReason::Shutdown, dropped_at_deadline);
        }
        Outcome {
            dropped: self.dropped_by_export - dropped_before,
            dropped_at_deadline,
        }
    }

    /// Takes one batch from the buffer and exports it.
    async fn export_batch(&mut self) {
        self.batch.clear();
        self.shared
            .buffer
            .take_batch(self.policy.batch_size, &mut self.batch);
        if self.batch.is_empty() {
            return;
        }
        let encoded = self.encoder.encode_batch(&self.batch);
        // The bodies hold everything now; free the spans before the network wait.
        self.batch.clear();
        self.settle_dropped(DropReason::TooLarge, encoded.too_large);
        if encoded.too_large > 0 {
            self.shared.record_error(format!(
                "{} spans were larger than max_request_bytes on their own and were dropped",
                encoded.too_large
            ));
        }
        for request in &encoded.requests {
            match self.send_with_retry(request).await {
                Ok(()) => {
                    self.shared
                        .stats
                        .record_exported(request.span_count as u64, request.body.len() as u64);
                    self.shared.buffer.settle(request.span_count);
                }
                Err(reason) => self.settle_dropped(reason, request.span_count),
            }
        }
    }

    fn settle_dropped(&mut self, reason: DropReason, spans: usize) {
        if spans == 0 {
            return;
        }
        self.shared.stats.record_dropped(reason, spans as u64);
        self.shared.buffer.settle(spans);
        self.dropped_by_export += spans as u64;
    }

    /// Sends one body until it is accepted, rejected, or the retries run out.
    async fn send_with_retry(&self, request: &EncodedRequest) -> Result<(), DropReason> {
        let mut retry = 0;
        loop {
            let error = match self.transport.send(request.body.clone()).await {
                Ok(()) => return Ok(()),
                Err(error) => error,
            };
            let retryable = error.is_retryable();
            self.shared.record_error(error.to_string());
            if !retryable {
                return Err(DropReason::Rejected);
            }
            let Some(delay) = self.retry.delay_before_retry(retry) else {
                return Err(DropReason::RetriesExhausted);
            };
            tokio::time::sleep(delay).await;
            self.shared.stats.record_retry();
            retry += 1;
        }
    }
}
