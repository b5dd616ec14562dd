//! The native exporter: drives the shared [`ExportJob`] with `await`s on a [`Transport`]
//! (HTTP or gRPC, and tokio's timer).

use std::sync::Arc;

use super::transport::Transport;
use crate::encoding::RequestEncoder;
use crate::export::retry::RetryPolicy;
use crate::export::{ExportJob, NextSend};
use crate::model::Span;
use crate::observe::stats::StatsCounters;

/// Exports batches whose spans the caller has already counted as in flight.
pub(crate) struct BatchExporter<T> {
    pub(crate) transport: T,
    /// Shared with the blocking thread that encodes the next batch ahead (`lookahead.rs`).
    pub(crate) encoder: Arc<RequestEncoder>,
    pub(crate) retry: RetryPolicy,
    pub(crate) stats: Arc<StatsCounters>,
    /// Spans this exporter dropped, so a flush can tell what it lost.
    pub(crate) dropped_by_export: u64,
}

/// Encodes `batch` into a job, recording what it refused as too large; `None` for an empty
/// batch (everything filtered out), which has nothing to send.
pub(crate) fn encode_job(
    encoder: &RequestEncoder,
    stats: &StatsCounters,
    batch: Vec<Span>,
) -> Option<ExportJob> {
    if batch.is_empty() {
        return None;
    }
    let mut job = ExportJob::new(encoder, batch, usize::MAX, stats);
    record_problems(&mut job, stats);
    Some(job)
}

impl<T: Transport> BatchExporter<T> {
    /// Sends `job` until each of its spans is settled as exported or dropped (see
    /// [`ExportJob`]); gives back its spans, for their memory to be reused.
    pub(crate) async fn send(&mut self, mut job: ExportJob) -> Vec<Span> {
        while let Some(body) = job.body() {
            let answer = self.transport.send(body.clone()).await;
            let next = job.answer(&self.encoder, &self.retry, &self.stats, answer);
            record_problems(&mut job, &self.stats);
            if let NextSend::After(wait) = next {
                self.transport.wait(wait).await;
            }
        }
        self.dropped_by_export += job.dropped;
        job.into_spans()
    }
}

/// Records the text of what went wrong in `job` as the last export error.
fn record_problems(job: &mut ExportJob, stats: &StatsCounters) {
    for problem in job.take_problems() {
        stats.record_error(problem.to_string());
    }
}
