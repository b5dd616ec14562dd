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
    pub(crate) encoder: RequestEncoder,
    pub(crate) retry: RetryPolicy,
    pub(crate) stats: Arc<StatsCounters>,
    /// Spans this exporter dropped, so a flush can tell what it lost.
    pub(crate) dropped_by_export: u64,
}

impl<T: Transport> BatchExporter<T> {
    /// Encodes and sends `batch` (emptying it), settling each span as exported or dropped
    /// (see [`ExportJob`]).
    pub(crate) async fn export(&mut self, batch: &mut Vec<Span>) {
        if batch.is_empty() {
            return;
        }
        let spans = std::mem::take(batch);
        let mut job = ExportJob::new(&self.encoder, spans, usize::MAX, &self.stats);
        record_problems(&mut job, &self.stats);
        while let Some(body) = job.body() {
            let answer = self.transport.send(body.clone()).await;
            let next = job.answer(&self.encoder, &self.retry, &self.stats, answer);
            record_problems(&mut job, &self.stats);
            if let NextSend::After(wait) = next {
                self.transport.wait(wait).await;
            }
        }
        self.dropped_by_export += job.dropped;
        *batch = job.into_batch();
    }
}

/// Records the text of what went wrong in `job` as the last export error.
fn record_problems(job: &mut ExportJob, stats: &StatsCounters) {
    for problem in job.take_problems() {
        stats.record_error(problem.to_string());
    }
}
