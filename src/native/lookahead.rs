//! One destination, one request at a time — with the next batch encoded while a request is
//! out.
//!
//! Sending one request and then encoding the next leaves the export thread idle while the
//! backend reads each request, and the backend idle while the next is encoded. When a
//! full batch is already waiting as a request leaves, it is taken (rules included) and
//! encoded on the runtime's blocking pool meanwhile, and sent as soon as the answer
//! comes. Requests to the destination still never overlap (the specification's rule for
//! an exporter); only encoding does. A partial batch is not taken early: it waits for its
//! batch timeout as before.

use std::sync::Arc;

use tokio::task::JoinHandle;

use super::batch_exporter::{encode_job, BatchExporter};
use super::export_task::Shared;
use super::transport::NativeTransport;
use crate::batch::pipeline::SpanQueue;
use crate::export::ExportJob;
use crate::model::Span;

/// Whether an export may take the next batch ahead while it sends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ahead {
    /// Yes: batches keep coming (the export loop, a shutdown draining the buffer).
    Allowed,
    /// No: this is the last batch the caller wants (a flush that has exported what was
    /// queued when it began must not chase what keeps arriving).
    Never,
}

/// The single-destination exporter, with the batch it is encoding ahead.
pub(crate) struct LookaheadExporter {
    pub(crate) exporter: BatchExporter<NativeTransport>,
    /// The next batch, taken and being encoded on the blocking pool (`None` when it was
    /// all filtered out).
    next: Option<JoinHandle<Option<ExportJob>>>,
    /// An emptied span vector, reused for the next batch taken.
    spare: Vec<Span>,
}

impl LookaheadExporter {
    pub(crate) fn new(exporter: BatchExporter<NativeTransport>, batch_size: usize) -> Self {
        LookaheadExporter {
            exporter,
            next: None,
            spare: Vec::with_capacity(batch_size),
        }
    }

    /// Whether a batch was taken ahead and is still to be sent.
    pub(crate) fn has_next(&self) -> bool {
        self.next.is_some()
    }

    /// Sends the batch encoded ahead, or else takes up to `batch_size` spans and sends
    /// them; meanwhile takes and encodes the following batch if `ahead` allows and a full
    /// one is waiting.
    pub(crate) async fn export_next(
        &mut self,
        shared: &Arc<Shared>,
        batch_size: usize,
        ahead: Ahead,
    ) {
        let job = match self.next.take() {
            Some(encoding) => match encoding.await {
                Ok(job) => job,
                // As if it had panicked on this thread: the export thread ends and counts
                // what was in flight (`ReleaseOnExit`).
                Err(failed) => std::panic::resume_unwind(failed.into_panic()),
            },
            None => {
                let mut batch = std::mem::take(&mut self.spare);
                shared.pipeline.take_batch(batch_size, &mut batch);
                let exporter = &self.exporter;
                encode_job(&exporter.encoder, &exporter.stats, batch)
            }
        };
        if ahead == Ahead::Allowed && shared.pipeline.queue.len() >= batch_size {
            self.next = Some(self.encode_ahead(shared, batch_size));
        }
        match job {
            Some(job) => {
                let mut sent = self.exporter.send(job).await;
                shared.pipeline.queue.recycle(&mut sent);
                if sent.capacity() > self.spare.capacity() {
                    self.spare = sent;
                }
            }
            // Nothing to send (filtered out, or a producer still handing its records
            // over): let the runtime run before the caller looks again.
            None => tokio::task::yield_now().await,
        }
    }

    /// Lets the batch taken ahead go unsent, once its encoding is over: its spans stay in
    /// flight, for a shutdown past its deadline to count as dropped (taken while the count
    /// runs, they would be counted neither way).
    pub(crate) async fn abandon_next(&mut self) {
        if let Some(encoding) = self.next.take() {
            let _ = encoding.await;
        }
    }

    /// Takes the next batch and encodes it on the blocking pool.
    fn encode_ahead(
        &mut self,
        shared: &Arc<Shared>,
        batch_size: usize,
    ) -> JoinHandle<Option<ExportJob>> {
        let shared = Arc::clone(shared);
        let encoder = Arc::clone(&self.exporter.encoder);
        let stats = Arc::clone(&self.exporter.stats);
        let mut batch = std::mem::take(&mut self.spare);
        tokio::task::spawn_blocking(move || {
            shared.pipeline.take_batch(batch_size, &mut batch);
            encode_job(&encoder, &stats, batch)
        })
    }
}
