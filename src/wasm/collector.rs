//! The browser collector: the same API as the native one, on the JavaScript event loop.
//!
//! `collect` pushes into a single-threaded buffer. A full batch schedules an export task at
//! once; the first span of a partial batch arms a `setTimeout` for `batch_timeout`. Exports
//! run as `spawn_local` tasks that are never cancelled, so every span taken from the buffer
//! is settled as exported or dropped; one exporter at a time holds the [`BatchExporter`].

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use wasm_bindgen_futures::{spawn_local, JsFuture};

use super::buffer::SpanBuffer;
use super::lifecycle::{PageEvent, PageListeners, KEEPALIVE_BUDGET, MAX_KEEPALIVE_REQUESTS};
use super::runtime::{first_of, sleep, First, Signal, Slot};
use super::transport::{network_error, response_outcome, FetchTransport};
use crate::batching::{BatchPolicy, NextStep};
use crate::config::Config;
use crate::encoding::{
    compact_gzip, protobuf_span_len, Compression, Gzip, Protocol, RequestEncoder,
};
use crate::error::{CollectError, FlushError, ShutdownError, StartError};
use crate::export::{settle_request, settle_too_large, BatchExporter, Transport};
use crate::model::{Span, SpanContext};
use crate::pipeline::{Outcome, Pipeline, SpanQueue};
use crate::stats::{DestinationStats, DropReason, Stats, StatsCounters};

/// Collects finished spans and exports them in batches with `fetch`.
///
/// Cheap to clone; clones share one buffer. Works in pages, Web Workers and Node.
#[derive(Clone)]
pub struct Collector {
    inner: Rc<Inner>,
}

struct Inner {
    config: Config,
    policy: BatchPolicy,
    pipeline: Pipeline<SpanBuffer>,
    /// The exporter, taken by whichever task is exporting: `None` means busy.
    exporter: RefCell<Option<BatchExporter<FetchTransport>>>,
    exporter_returned: Signal,
    export_scheduled: Cell<bool>,
    timer_armed: Cell<bool>,
    /// Notified by `shutdown`: the batch timer stops, leaving no timer armed.
    closing: Signal,
    /// The batch timeout passed: the next export sends a partial batch too.
    timer_due: Cell<bool>,
    /// Encodes and sends keepalive requests when the page hides, while the exporter may be
    /// busy with an ordinary request.
    keepalive: KeepaliveSender,
    /// Removes the page listeners when the collector goes away.
    page_listeners: RefCell<Option<PageListeners>>,
    /// The page event being handled, until its task ends: spans collected meanwhile (by
    /// the page's own `pagehide` or `visibilitychange` listeners, which may run after ours)
    /// leave with keepalive at once, as the page may not run another task.
    page_event: Cell<Option<PageEvent>>,
    /// A microtask will send what was collected during the page event.
    keepalive_scheduled: Cell<bool>,
    /// Told of each new export error (the JavaScript API's `onError`).
    error_listener: RefCell<Option<ErrorListener>>,
    /// Errors recorded when the listener was last told.
    errors_told: Cell<u64>,
}

/// Called with each export error's message.
type ErrorListener = Box<dyn Fn(&str)>;

/// What sends buffered spans when the page is hidden or unloading.
struct KeepaliveSender {
    encoder: RequestEncoder,
    transport: FetchTransport,
    /// Body bytes of keepalive requests not yet settled.
    bytes_in_flight: Cell<usize>,
    /// Keepalive requests not yet settled.
    requests_in_flight: Cell<usize>,
}

impl Collector {
    /// Validates `config` and creates the collector. No task runs until spans arrive.
    pub fn new(config: Config) -> Result<Collector, StartError> {
        config.validate()?;
        if config.max_concurrent_exports > 1 {
            return Err(StartError::Unsupported(
                "max_concurrent_exports: the browser build sends one request at a time",
            ));
        }
        if !config.extra_destinations.is_empty() {
            return Err(StartError::Unsupported(
                "destinations: fan-out to several endpoints is available in native builds only",
            ));
        }
        if config.ca_certificate.is_some() || config.client_certificate.is_some() {
            return Err(StartError::Unsupported(
                "certificate files: browsers and Node's fetch use their own certificate store",
            ));
        }
        if config.protocol == Protocol::Grpc {
            return Err(StartError::Unsupported(
                "protocol grpc: browsers cannot read gRPC trailers; use http/protobuf",
            ));
        }
        let stats = Arc::new(StatsCounters::reporting_to(config.problem_handler.clone()));
        let encoder = RequestEncoder {
            protocol: config.protocol,
            gzip: (config.compression == Compression::Gzip).then_some(compact_gzip as Gzip),
            resource: config.resource.clone(),
            scope: config.scope.clone(),
            max_request_bytes: config.max_request_bytes,
        };
        let keepalive = KeepaliveSender {
            encoder: encoder.clone(),
            transport: FetchTransport::new(&config),
            bytes_in_flight: Cell::new(0),
            requests_in_flight: Cell::new(0),
        };
        let exporter = BatchExporter {
            transport: FetchTransport::new(&config),
            encoder,
            retry: config.retry,
            stats: Arc::clone(&stats),
            dropped_by_export: 0,
        };
        let inner = Rc::new(Inner {
            pipeline: Pipeline::new(
                SpanBuffer::new(config.max_queue_size),
                stats,
                config.disabled,
            ),
            policy: BatchPolicy {
                batch_size: config.batch_size,
                batch_timeout: config.batch_timeout,
            },
            config,
            exporter: RefCell::new(Some(exporter)),
            exporter_returned: Signal::default(),
            export_scheduled: Cell::new(false),
            timer_armed: Cell::new(false),
            closing: Signal::default(),
            timer_due: Cell::new(false),
            keepalive,
            page_listeners: RefCell::new(None),
            page_event: Cell::new(None),
            keepalive_scheduled: Cell::new(false),
            error_listener: RefCell::new(None),
            errors_told: Cell::new(0),
        });
        let watched = Rc::downgrade(&inner);
        let listeners = PageListeners::watch(move |event| {
            if let Some(inner) = watched.upgrade() {
                page_going(&inner, event);
            }
        });
        *inner.page_listeners.borrow_mut() = Some(listeners);
        Ok(Collector { inner })
    }

    /// Starts a root span (a new trace) with the collector's span limits and sampler.
    pub fn start_span(&self, name: impl Into<Cow<'static, str>>) -> Span {
        self.inner.config.start_span(None, name)
    }

    /// Starts a child of `parent` — a local span's [`context`](Span::context) or a remote
    /// one from [`SpanContext::from_traceparent`] — with the collector's span limits; the
    /// sampler follows the parent's decision by default.
    pub fn start_child_of(&self, parent: &SpanContext, name: impl Into<Cow<'static, str>>) -> Span {
        self.inner.config.start_span(Some(parent), name)
    }

    /// Hands a span to the collector without waiting. A span not yet ended is ended now.
    /// When the buffer is full the span is dropped, counted, and `Err(BufferFull)` returned.
    pub fn collect(&self, span: Span) -> Result<(), CollectError> {
        let inner = &self.inner;
        inner.pipeline.accept(span)?;
        if inner.page_event.get().is_some() {
            schedule_keepalive(inner);
        } else {
            schedule_by_policy(inner);
        }
        Ok(())
    }

    /// Hands a span to the collector, waiting for an export to make room if the buffer is
    /// full: for callers who prefer backpressure to loss.
    pub async fn collect_or_wait(&self, span: Span) -> Result<(), CollectError> {
        let queue = &self.inner.pipeline.queue;
        while queue.len() >= queue.capacity() && !self.inner.pipeline.is_closed() {
            schedule_export(&self.inner);
            self.inner.exporter_returned.notified().await;
        }
        self.collect(span)
    }

    /// Exports everything collected so far, waiting at most the configured flush timeout
    /// (the export goes on in the background if the timeout passes).
    pub async fn flush(&self) -> Result<(), FlushError> {
        if self.inner.pipeline.is_closed() {
            return Err(FlushError::ShutDown);
        }
        let done = Slot::new();
        spawn_local(drain(Rc::clone(&self.inner), Rc::clone(&done), false));
        match first_of(done.take(), sleep(self.inner.config.flush_timeout)).await {
            First::Left(outcome) => outcome.flush_result(|| self.last_export_error()),
            First::Right(()) => Err(FlushError::TimedOut {
                still_buffered: self.stats().buffered,
            }),
        }
    }

    /// Stops accepting spans and exports everything buffered, within the configured
    /// shutdown timeout; what is still queued or in flight then is dropped and counted
    /// (answers arriving later change nothing), so afterwards nothing is buffered.
    pub async fn shutdown(&self) -> Result<(), ShutdownError> {
        let inner = &self.inner;
        if inner.pipeline.close() {
            return Err(ShutdownError::AlreadyShutDown);
        }
        inner.page_listeners.borrow_mut().take();
        inner.closing.notify();
        let done = Slot::new();
        spawn_local(drain(Rc::clone(inner), Rc::clone(&done), true));
        let outcome = match first_of(done.take(), sleep(inner.config.shutdown_timeout)).await {
            First::Left(outcome) => outcome,
            First::Right(()) => Outcome {
                dropped: 0,
                dropped_at_deadline: inner.pipeline.abandon_everything(),
            },
        };
        outcome.shutdown_result(|| self.last_export_error())
    }

    /// The collector's counters.
    pub fn stats(&self) -> Stats {
        self.inner.pipeline.stats()
    }

    /// The most recent export failure, for logs and health checks.
    pub fn last_export_error(&self) -> Option<String> {
        self.inner.pipeline.stats.last_error()
    }

    /// What the destination did: the browser build has one, so this is the collector's
    /// stats under its endpoint (the same shape as a native fan-out's).
    pub fn destination_stats(&self) -> Vec<DestinationStats> {
        vec![DestinationStats {
            endpoint: self.inner.config.endpoint.clone(),
            stats: self.stats(),
            last_error: self.last_export_error(),
        }]
    }

    /// How many more spans the buffer takes now (0 once shut down).
    pub(crate) fn room(&self) -> usize {
        if self.inner.pipeline.is_closed() {
            return 0;
        }
        let queue = &self.inner.pipeline.queue;
        queue.capacity().saturating_sub(queue.len())
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Calls `listener` with each export error as it happens (after the request that
    /// failed, or the last attempt of its retries).
    pub(crate) fn on_export_error(&self, listener: impl Fn(&str) + 'static) {
        *self.inner.error_listener.borrow_mut() = Some(Box::new(listener));
    }
}

/// Tells the error listener, if any, of the last error when new ones were recorded.
fn tell_new_errors(inner: &Inner) {
    let stats = &inner.pipeline.stats;
    let recorded = stats.errors_recorded();
    if recorded == inner.errors_told.replace(recorded) {
        return;
    }
    if let (Some(listener), Some(error)) = (&*inner.error_listener.borrow(), stats.last_error()) {
        listener(&error);
    }
}

/// The page is being hidden or unloaded: what is buffered leaves now, and so does what is
/// collected until the event's task ends.
fn page_going(inner: &Rc<Inner>, event: PageEvent) {
    send_before_page_goes(inner, event);
    if inner.page_event.replace(Some(event)).is_none() {
        let inner = Rc::clone(inner);
        spawn_local(async move {
            // A timer runs after every listener of this event, and their microtasks.
            sleep(Duration::ZERO).await;
            inner.page_event.set(None);
        });
    }
}

/// Sends spans collected during a page event from a microtask, all at once.
fn schedule_keepalive(inner: &Rc<Inner>) {
    if inner.keepalive_scheduled.replace(true) {
        return;
    }
    let inner = Rc::clone(inner);
    spawn_local(async move {
        inner.keepalive_scheduled.set(false);
        if let Some(event) = inner.page_event.get() {
            send_before_page_goes(&inner, event);
        }
        // What did not fit (the page only hidden) waits for the usual export.
        schedule_by_policy(&inner);
    });
}

/// Exports now if a batch is full, else arms the batch timer if spans wait.
fn schedule_by_policy(inner: &Rc<Inner>) {
    match inner
        .policy
        .next_step(inner.pipeline.queue.len(), Duration::ZERO)
    {
        NextStep::Export => schedule_export(inner),
        NextStep::WaitFor(timeout) => arm_timer(inner, timeout),
        NextStep::Idle => {}
    }
}

/// Sends what is buffered with keepalive requests, within the browser's budget. Spans that
/// do not fit stay buffered when the page is only hidden; when it unloads they are dropped
/// and counted.
fn send_before_page_goes(inner: &Rc<Inner>, event: PageEvent) {
    let keepalive = &inner.keepalive;
    let budget = KEEPALIVE_BUDGET.saturating_sub(keepalive.bytes_in_flight.get());
    // Estimate the body size from the protobuf size to take only what should fit: JSON is
    // about three times larger, gzip typically shrinks OTLP four times or more. The
    // encoder then enforces the budget exactly, in bytes on the wire.
    let expansion = if inner.config.protocol.is_json() {
        3
    } else {
        1
    };
    let shrinkage = match inner.config.compression {
        Compression::None => 1,
        Compression::Gzip => 4,
    };
    let (queue, stats) = (&inner.pipeline.queue, &inner.pipeline.stats);
    let mut estimate = 0;
    let mut batch = Vec::new();
    stats.take_in_flight_from(|| {
        queue.take_while(
            |span| {
                estimate += protobuf_span_len(span) * expansion + 16;
                estimate / shrinkage <= budget
            },
            &mut batch,
        );
        batch.len() as u64
    });
    if event == PageEvent::Unloading {
        stats.drop_from_queue(DropReason::PageUnload, || queue.discard_all() as u64);
    }
    if batch.is_empty() {
        return;
    }
    let encoded = keepalive.encoder.encode_batch_within(&batch, budget);
    settle_too_large(stats, encoded.too_large);
    let mut budget_left = budget;
    // Requests over what is left of the budget: kept for later while the page is only
    // hidden, dropped when it unloads.
    let mut unsent = Vec::new();
    for request in encoded.requests {
        let spans = request.span_count as u64;
        let bytes = request.body.len();
        if bytes > budget_left || keepalive.requests_in_flight.get() >= MAX_KEEPALIVE_REQUESTS {
            unsent.push(request.first_span..request.first_span + request.span_count);
            continue;
        }
        let promise = match keepalive.transport.start_keepalive(&request.body) {
            Ok(promise) => promise,
            Err(error) => {
                stats.record_error(error.to_string());
                stats.settle_dropped(DropReason::PageUnload, spans);
                continue;
            }
        };
        budget_left -= bytes;
        keepalive.reserve(bytes);
        let inner = Rc::clone(inner);
        spawn_local(async move {
            let json = inner.config.protocol.is_json();
            let mut outcome = match JsFuture::from(promise).await {
                Ok(response) => response_outcome(response, json).await,
                Err(error) => Err(network_error(error)),
            };
            inner.keepalive.release(bytes);
            let stats = &inner.pipeline.stats;
            // Still running, so the page is still alive: a failure worth retrying gets one
            // more try, as an ordinary request (keepalive ones may fail for their quota).
            if let Err(error) = outcome.as_ref().map(|_| ()) {
                if error.is_retryable() {
                    stats.record_error(error.to_string());
                    stats.record_retry();
                    outcome = inner.keepalive.transport.send(request.body).await;
                }
            }
            let answer = outcome.map_err(|error| {
                stats.record_error(error.to_string());
                error.drop_reason()
            });
            settle_request(stats, spans, bytes as u64, answer);
            tell_new_errors(&inner);
        });
    }
    keep_or_drop_unsent(inner, event, batch, unsent);
}

impl KeepaliveSender {
    /// A keepalive request of `bytes` started.
    fn reserve(&self, bytes: usize) {
        self.bytes_in_flight.set(self.bytes_in_flight.get() + bytes);
        self.requests_in_flight
            .set(self.requests_in_flight.get() + 1);
    }

    /// A keepalive request of `bytes` finished.
    fn release(&self, bytes: usize) {
        self.bytes_in_flight
            .set(self.bytes_in_flight.get().saturating_sub(bytes));
        self.requests_in_flight
            .set(self.requests_in_flight.get().saturating_sub(1));
    }
}

/// Spans whose requests did not fit the keepalive budget: back to the buffer while the page
/// is only hidden, counted as dropped when it unloads.
fn keep_or_drop_unsent(
    inner: &Inner,
    event: PageEvent,
    mut batch: Vec<Span>,
    unsent: Vec<std::ops::Range<usize>>,
) {
    let count: usize = unsent.iter().map(|range| range.len()).sum();
    if count == 0 {
        return;
    }
    if event == PageEvent::Unloading {
        inner
            .pipeline
            .stats
            .settle_dropped(DropReason::PageUnload, count as u64);
        return;
    }
    let mut kept = Vec::with_capacity(count);
    // Ranges are in order; drain from the back so earlier indices stay valid.
    for range in unsent.into_iter().rev() {
        kept.splice(0..0, batch.drain(range));
    }
    inner.pipeline.stats.return_in_flight(count as u64);
    inner.pipeline.queue.put_back(kept);
}

/// Starts an export task unless one is already scheduled.
fn schedule_export(inner: &Rc<Inner>) {
    if !inner.export_scheduled.replace(true) {
        spawn_local(export_due(Rc::clone(inner)));
    }
}

/// Arms the batch timer unless it is armed already.
fn arm_timer(inner: &Rc<Inner>, timeout: Duration) {
    if inner.timer_armed.replace(true) {
        return;
    }
    let inner = Rc::clone(inner);
    spawn_local(async move {
        if let First::Right(()) = first_of(sleep(timeout), inner.closing.notified()).await {
            // Shutting down: its drain sends what waits; the timer is cleared.
            inner.timer_armed.set(false);
            return;
        }
        inner.timer_armed.set(false);
        inner.timer_due.set(true);
        schedule_export(&inner);
    });
}

/// Waits for the exporter to be free and takes it.
async fn take_exporter(inner: &Inner) -> BatchExporter<FetchTransport> {
    loop {
        let returned = inner.exporter_returned.notified();
        if let Some(exporter) = inner.exporter.borrow_mut().take() {
            return exporter;
        }
        returned.await;
    }
}

fn return_exporter(inner: &Inner, exporter: BatchExporter<FetchTransport>) {
    *inner.exporter.borrow_mut() = Some(exporter);
    inner.exporter_returned.notify();
}

/// Takes up to a batch from the buffer, marks it in flight and exports it.
async fn export_one(
    inner: &Inner,
    exporter: &mut BatchExporter<FetchTransport>,
    batch: &mut Vec<Span>,
) {
    inner.pipeline.take_batch(inner.policy.batch_size, batch);
    exporter.export(batch).await;
    tell_new_errors(inner);
}

/// Exports full batches, and a partial one once the batch timer has fired.
async fn export_due(inner: Rc<Inner>) {
    let mut exporter = take_exporter(&inner).await;
    inner.export_scheduled.set(false);
    let mut batch = Vec::new();
    loop {
        // The timer firing means the oldest span has waited the whole batch timeout.
        let waited = if inner.timer_due.get() {
            inner.policy.batch_timeout
        } else {
            Duration::ZERO
        };
        match inner.policy.next_step(inner.pipeline.queue.len(), waited) {
            NextStep::Export => {
                inner.timer_due.set(false);
                export_one(&inner, &mut exporter, &mut batch).await;
            }
            NextStep::WaitFor(timeout) => {
                arm_timer(&inner, timeout);
                break;
            }
            NextStep::Idle => break,
        }
    }
    return_exporter(&inner, exporter);
}

/// Exports what is queued now (everything, until empty, when shutting down) and reports
/// what was dropped.
async fn drain(inner: Rc<Inner>, done: Rc<Slot<Outcome>>, until_empty: bool) {
    let mut exporter = take_exporter(&inner).await;
    let dropped_before = exporter.dropped_by_export;
    let queue = &inner.pipeline.queue;
    let mut remaining = queue.len();
    let mut batch = Vec::new();
    while queue.len() > 0 && (until_empty || remaining > 0) {
        remaining = remaining.saturating_sub(inner.policy.batch_size);
        export_one(&inner, &mut exporter, &mut batch).await;
    }
    let dropped = exporter.dropped_by_export - dropped_before;
    return_exporter(&inner, exporter);
    done.fill(Outcome {
        dropped,
        dropped_at_deadline: 0,
    });
}
