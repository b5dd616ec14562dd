//! Fan-out: each batch is encoded once and its request bodies (`Bytes`, shared, never
//! copied) are queued to every destination's own task. The same path serves a single
//! destination with `max_concurrent_exports` above 1: its task keeps that many requests
//! in flight while the export task encodes the next batches. Each destination retries on its
//! own schedule, so one that is slow or down does not hold the others back: when its short
//! backlog is full it misses that request (counted in its stats as `dropped_buffer_full`)
//! while the others carry on. The export task waits only when *every* destination is
//! backlogged, which pushes back into the span buffer as a single destination would.
//!
//! Each destination drives its copy of a request with the shared [`ExportJob`], as a single
//! destination does: its own retries, and a 413 from it splits the request (re-encoding
//! halves of the shared spans) for that destination alone. A request's spans count for the
//! collector once every destination has answered: exported if all took them; otherwise
//! the most any destination lost are dropped, with its reason. Each destination's own
//! [`DestinationStats`] tell the rest.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

use super::lock;
use super::transport::{NativeTransport, Transport};
use crate::config::{redact_password, Config};
use crate::encoding::{EncodedRequest, RequestEncoder};
use crate::error::StartError;
use crate::export::retry::RetryPolicy;
use crate::export::{settle_too_large, ExportJob, NextSend};
use crate::model::Span;
use crate::observe::stats::{DestinationStats, DropReason, StatsCounters};

/// One request on its way to every destination.
struct Delivery {
    request: EncodedRequest,
    /// The batch the request was encoded from (its spans start at `request.first_span`),
    /// shared by every destination, read only to split the request after a 413.
    batch: Arc<Vec<Span>>,
    spans: u64,
    outcome: Mutex<DeliveryOutcome>,
}

impl Delivery {
    fn bytes(&self) -> u64 {
        self.request.body.len() as u64
    }
}

struct DeliveryOutcome {
    /// Destinations that have not answered yet.
    waiting_for: usize,
    /// The most spans any destination lost, and why.
    worst: Option<(u64, DropReason)>,
}

/// What the exporter and the destination tasks share.
struct Tracker {
    collector: Arc<StatsCounters>,
    state: Mutex<TrackerState>,
    /// Notified when the last outstanding delivery settles.
    idle: Notify,
    /// Notified when a destination takes a request off its backlog.
    room: Notify,
}

#[derive(Default)]
struct TrackerState {
    outstanding: usize,
    dropped_by_export: u64,
    /// Set at a shutdown deadline: late answers no longer change any counter.
    abandoned: bool,
}

impl Tracker {
    /// Records that one destination is done with `delivery`, having lost `lost` of its
    /// spans (mostly for `reason`); its own counters are settled already. Under the
    /// tracker's lock, so a shutdown deadline either sees it or stops it.
    fn settle(&self, delivery: &Delivery, lost: u64, reason: DropReason) {
        let mut state = lock(&self.state);
        if state.abandoned {
            return;
        }
        let lost = (lost > 0).then_some((lost.min(delivery.spans), reason));
        let mut outcome = lock(&delivery.outcome);
        if lost.map(|(spans, _)| spans) > outcome.worst.map(|(spans, _)| spans) {
            outcome.worst = lost;
        }
        outcome.waiting_for -= 1;
        if outcome.waiting_for > 0 {
            return;
        }
        let (lost, reason) = outcome.worst.unwrap_or((0, DropReason::Rejected));
        if lost < delivery.spans {
            self.collector
                .settle_exported(delivery.spans - lost, delivery.bytes());
        }
        self.collector.settle_dropped(reason, lost);
        state.dropped_by_export += lost;
        state.outstanding -= 1;
        if state.outstanding == 0 {
            self.idle.notify_waiters();
        }
    }
}

/// One destination: its backlog, counters and task.
struct Lane {
    endpoint: String,
    backlog: mpsc::Sender<Arc<Delivery>>,
    counters: Arc<StatsCounters>,
    task: JoinHandle<()>,
}

/// Exports every batch to several destinations.
pub(crate) struct FanoutExporter {
    encoder: RequestEncoder,
    tracker: Arc<Tracker>,
    lanes: Vec<Lane>,
}

impl FanoutExporter {
    /// Starts one task per destination of `config` on the current runtime.
    pub(crate) fn start(
        config: &Config,
        encoder: RequestEncoder,
        collector: Arc<StatsCounters>,
    ) -> Result<FanoutExporter, StartError> {
        let tracker = Arc::new(Tracker {
            collector,
            state: Mutex::default(),
            idle: Notify::new(),
            room: Notify::new(),
        });
        // As many requests as the span buffer holds batches: a destination further behind
        // than that misses requests rather than holding the others back.
        let backlog = (config.max_queue_size / config.batch_size).max(1);
        let mut lanes = Vec::new();
        let settings = config.export_settings();
        for destination in config.destinations() {
            let transport = NativeTransport::new(&destination, &settings)?;
            let counters = Arc::new(StatsCounters::default());
            let (sender, receiver) = mpsc::channel(backlog);
            let lane = LaneSender {
                transport,
                encoder: encoder.clone(),
                retry: config.retry,
                counters: Arc::clone(&counters),
                tracker: Arc::clone(&tracker),
            };
            let task = tokio::spawn(run_lane(
                receiver,
                Arc::new(lane),
                config.max_concurrent_exports,
            ));
            lanes.push(Lane {
                // It labels metrics and errors: never with a password.
                endpoint: redact_password(&destination.endpoint),
                backlog: sender,
                counters,
                task,
            });
        }
        Ok(FanoutExporter {
            encoder,
            tracker,
            lanes,
        })
    }

    /// Counters per destination, for the collector handle.
    pub(crate) fn destination_counters(&self) -> Vec<(String, Arc<StatsCounters>)> {
        self.lanes
            .iter()
            .map(|lane| (lane.endpoint.clone(), Arc::clone(&lane.counters)))
            .collect()
    }

    /// Encodes `batch` (emptying it) and queues each request to every destination.
    pub(crate) async fn export(&mut self, batch: &mut Vec<Span>) {
        if batch.is_empty() {
            return;
        }
        let encoded = self.encoder.encode_batch(batch);
        let batch = Arc::new(std::mem::take(batch));
        let (too_large, problem) = settle_too_large(&self.tracker.collector, encoded.too_large);
        if let Some(problem) = problem {
            self.tracker.collector.record_error(problem.to_string());
        }
        lock(&self.tracker.state).dropped_by_export += too_large;
        for request in encoded.requests {
            self.wait_for_room().await;
            self.hand_out(request, &batch);
        }
    }

    /// Waits until at least one destination can take a request.
    async fn wait_for_room(&self) {
        loop {
            let room = self.tracker.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if self.lanes.iter().any(|lane| lane.backlog.capacity() > 0) {
                return;
            }
            room.await;
        }
    }

    fn hand_out(&self, request: EncodedRequest, batch: &Arc<Vec<Span>>) {
        let spans = request.span_count as u64;
        let delivery = Arc::new(Delivery {
            request,
            batch: Arc::clone(batch),
            spans,
            outcome: Mutex::new(DeliveryOutcome {
                waiting_for: self.lanes.len(),
                worst: None,
            }),
        });
        lock(&self.tracker.state).outstanding += 1;
        for lane in &self.lanes {
            lane.counters.record_collected_many(spans);
            lane.counters.take_in_flight(spans);
            if lane.backlog.try_send(Arc::clone(&delivery)).is_err() {
                lane.counters.record_error(format!(
                    "{} is too far behind: its backlog of requests is full",
                    lane.endpoint
                ));
                lane.counters.settle_dropped(DropReason::BufferFull, spans);
                self.tracker
                    .settle(&delivery, spans, DropReason::BufferFull);
            }
        }
    }

    /// Waits until every request handed out so far has been answered by every destination.
    pub(crate) async fn settled(&self) {
        loop {
            let idle = self.tracker.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if lock(&self.tracker.state).outstanding == 0 {
                return;
            }
            idle.await;
        }
    }

    /// Spans the destinations failed to deliver so far (for flush and shutdown outcomes).
    pub(crate) fn dropped_by_export(&self) -> u64 {
        lock(&self.tracker.state).dropped_by_export
    }

    /// At a shutdown deadline: stops every destination and counts what each still had as
    /// dropped at shutdown. The collector's own in-flight spans are counted by the caller.
    pub(crate) fn abandon(&self) {
        let mut state = lock(&self.tracker.state);
        state.abandoned = true;
        state.outstanding = 0;
        for lane in &self.lanes {
            lane.task.abort();
            lane.counters.abandon_in_flight(DropReason::Shutdown);
        }
    }
}

impl Drop for FanoutExporter {
    fn drop(&mut self) {
        for lane in &self.lanes {
            lane.task.abort();
        }
    }
}

/// What a destination's task sends with.
struct LaneSender {
    transport: NativeTransport,
    encoder: RequestEncoder,
    retry: RetryPolicy,
    counters: Arc<StatsCounters>,
    tracker: Arc<Tracker>,
}

impl LaneSender {
    /// Sends one request through the shared [`ExportJob`] — its retries, its 413 splits —
    /// settling the destination's counters as it goes, then tells the tracker.
    async fn send(&self, delivery: Arc<Delivery>) {
        let mut job = ExportJob::of_shared_request(
            delivery.request.clone(),
            Arc::clone(&delivery.batch),
            Arc::clone(&self.tracker.collector),
        );
        while let Some(body) = job.body() {
            let answer = self.transport.send(body.clone()).await;
            let next = job.answer(&self.encoder, &self.retry, &self.counters, answer);
            for problem in job.take_problems() {
                let message = problem.to_string();
                self.tracker.collector.record_error(message.clone());
                self.counters.record_error(message);
            }
            if let NextSend::After(wait) = next {
                self.transport.wait(wait).await;
            }
        }
        let reason = job.worst_drop_reason().unwrap_or(DropReason::Rejected);
        self.tracker.settle(&delivery, job.dropped, reason);
    }
}

/// One destination's task: sends its backlog, up to `concurrency` requests at a time (in
/// order when 1), each with its own retries.
async fn run_lane(
    mut backlog: mpsc::Receiver<Arc<Delivery>>,
    sender: Arc<LaneSender>,
    concurrency: usize,
) {
    // Dropped with the task (an abort at a shutdown deadline), which aborts these too.
    let mut sending = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            biased;
            Some(_) = sending.join_next(), if !sending.is_empty() => {}
            delivery = backlog.recv(), if sending.len() < concurrency => {
                let Some(delivery) = delivery else { break };
                sender.tracker.room.notify_waiters();
                let sender = Arc::clone(&sender);
                sending.spawn(async move { sender.send(delivery).await });
            }
        }
    }
    while sending.join_next().await.is_some() {}
}

/// A snapshot of each destination's counters.
pub(crate) fn destination_stats(lanes: &[(String, Arc<StatsCounters>)]) -> Vec<DestinationStats> {
    lanes
        .iter()
        .map(|(endpoint, counters)| DestinationStats {
            endpoint: endpoint.clone(),
            stats: counters.snapshot(|| 0),
            last_error: counters.last_error(),
        })
        .collect()
}
