//! The browser collector's WebAssembly half: the span buffer, the records JavaScript
//! writes, the batching and retry decisions, encoding and the counters — the work that is
//! the same on every platform. JavaScript (`js/exporter.js`) does the browser's I/O, the
//! `fetch`, timers and page lifecycle, and asks this core synchronously what to do: "is a
//! batch due?", "what body do I send?", "here is the answer: what next?".
//!
//! Both the Rust [`Collector`](super::Collector) and the JavaScript `Collector` sit on one
//! [`CoreState`]; JavaScript holds it as a [`CollectorCore`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::buffer::SpanBuffer;
use super::handle::{handle_exports, Handle};
use crate::batch::batching::{BatchPolicy, NextStep};
use crate::batch::pipeline::{ended, Pipeline, SpanQueue};
use crate::config::{Config, DEFAULT_MAX_REQUEST_BYTES};
use crate::encoding::{
    compact_gzip, Compression, EncodedFields, EncodedSpan, Gzip, Protocol, RequestEncoder,
};
use crate::error::CollectError;
use crate::export::retry::{classify_status, RetryPolicy, StatusClass};
use crate::export::{
    settle_too_large, ExportJob, ExportProblem, NextSend, PartialSuccess, SendError,
};
use crate::js_boundary::{stats_in_order, NETWORK_ERROR, TIMED_OUT};
use crate::model::{Key, Resource, Scope, Span, SpanLimits, Value};
use crate::observe::stats::{DropReason, Stats, StatsCounters};
use crate::transform::Shaping;

/// Problems kept for JavaScript to word at most.
const MAX_PROBLEMS: usize = 16;

/// A keepalive request that fails while the page still runs is tried once more, at once,
/// as an ordinary request (keepalive ones may fail for their quota alone).
const KEEPALIVE_RETRY: RetryPolicy = RetryPolicy {
    max_retries: 1,
    initial_delay: Duration::ZERO,
    multiplier: 1.0,
    max_delay: Duration::ZERO,
    max_elapsed: Duration::MAX,
};

/// A request under way, with the retry policy it follows.
struct Job {
    export: ExportJob<EncodedSpan>,
    retry: RetryPolicy,
}

/// What a JavaScript caller may choose of a core (the npm API's options); the rest is
/// [`Config`]'s defaults.
pub(crate) struct JsSettings {
    pub(crate) max_queue_size: usize,
    pub(crate) batch_size: usize,
    pub(crate) batch_timeout: Duration,
    pub(crate) export_timeout: Duration,
    /// OTLP/JSON rather than protobuf.
    pub(crate) json: bool,
    pub(crate) gzip: bool,
}

/// Everything the collector keeps in WebAssembly.
pub(crate) struct CoreState {
    pub(crate) pipeline: Pipeline<SpanBuffer>,
    policy: Cell<BatchPolicy>,
    /// The request encoder, with the resource and scope encoded once.
    encoder: RefCell<RequestEncoder<EncodedFields, EncodedFields>>,
    /// The resource as the Rust API, the rules and the OpAMP agent know it (the package's
    /// main module sets only its encoding).
    resource: RefCell<Resource>,
    retry: RetryPolicy,
    limits: Cell<SpanLimits>,
    /// The request timeout JavaScript applies, for the error message.
    export_timeout: Duration,
    /// Exports under way, by the number JavaScript knows them by; freed slots are reused.
    jobs: RefCell<Vec<Option<Job>>>,
    /// Spans dropped by exports so far, so a flush can tell what it lost.
    dropped_by_export: Cell<u64>,
    /// Partial successes and spans too large, for JavaScript to word and report, oldest
    /// first (a `Vec`: at most [`MAX_PROBLEMS`], and a second `VecDeque` type would bring
    /// its own growth code into the module).
    problems: RefCell<Vec<ExportProblem>>,
    /// The partial success message of the problem JavaScript is wording.
    problem_text: RefCell<Option<String>>,
    /// Where spans built in Rust are encoded before they are queued.
    scratch: RefCell<Vec<u8>>,
    /// Where texts and lists cross between JavaScript and the core (see
    /// [`CollectorCore::exchange`]): every crossing is then numbers, which need no glue.
    exchange: RefCell<Vec<u8>>,
}

impl CoreState {
    /// The core for a validated `config` (the Rust API).
    pub(crate) fn new(config: &Config) -> CoreState {
        CoreState::with(
            BatchPolicy {
                batch_size: config.batch_size,
                batch_timeout: config.batch_timeout,
            },
            config.max_queue_size,
            RequestEncoder {
                protocol: config.protocol,
                gzip: (config.compression == Compression::Gzip && cfg!(feature = "gzip"))
                    .then_some(compact_gzip as Gzip),
                resource: EncodedFields::of_resource(&config.resource, config.protocol),
                scope: EncodedFields::of_scope(&config.scope, config.protocol),
                max_request_bytes: config.max_request_bytes,
            },
            config.retry,
            config.span_limits(),
            config.export_timeout,
            StatsCounters::reporting(config.problem_handler.clone(), &config.ignored_settings),
        )
        .disabled_if(config.disabled)
        .shaped_by(config)
        .described_by(config.resource.clone())
    }

    /// The core for the JavaScript API, from the settings its options give; everything
    /// else takes the defaults of [`Config`]. (Not built through a `Config`: that would
    /// bring its defaults, builders and drop code into the package for nothing.)
    pub(crate) fn for_javascript(settings: &JsSettings) -> CoreState {
        // The JavaScript checked them; a batch never exceeds the queue all the same.
        let max_queue_size = settings.max_queue_size.max(1);
        let protocol = if settings.json {
            Protocol::HttpJson
        } else {
            Protocol::HttpProtobuf
        };
        // Where records are encoded directly, so are the resource and scope (by the
        // JavaScript API, `set_encoded_head`), and the model's encoder stays out.
        let (resource, scope) = if CoreState::encodes_records() {
            Default::default()
        } else {
            (
                EncodedFields::of_resource(&Resource::default(), protocol),
                EncodedFields::of_scope(&Scope::default(), protocol),
            )
        };
        CoreState::with(
            BatchPolicy {
                batch_size: settings.batch_size.clamp(1, max_queue_size),
                batch_timeout: settings.batch_timeout,
            },
            max_queue_size,
            RequestEncoder {
                protocol,
                // Without the `gzip` feature the encoder stays out of the module (the
                // package's main entry refuses the option, naming `otlp-collector/gzip`).
                gzip: (settings.gzip && cfg!(feature = "gzip")).then_some(compact_gzip as Gzip),
                resource,
                scope,
                max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            },
            RetryPolicy::default(),
            SpanLimits::default(),
            settings.export_timeout,
            StatsCounters::default(),
        )
    }

    fn with(
        policy: BatchPolicy,
        max_queue_size: usize,
        encoder: RequestEncoder<EncodedFields, EncodedFields>,
        retry: RetryPolicy,
        limits: SpanLimits,
        export_timeout: Duration,
        stats: StatsCounters,
    ) -> CoreState {
        CoreState {
            pipeline: Pipeline::new(SpanBuffer::new(max_queue_size), Arc::new(stats), false),
            policy: Cell::new(policy),
            encoder: RefCell::new(encoder),
            resource: RefCell::new(Resource::default()),
            retry,
            limits: Cell::new(limits),
            export_timeout,
            jobs: RefCell::new(Vec::new()),
            dropped_by_export: Cell::new(0),
            problems: RefCell::new(Vec::new()),
            problem_text: RefCell::new(None),
            scratch: RefCell::new(Vec::new()),
            exchange: RefCell::new(Vec::new()),
        }
    }

    /// Describes itself with `resource` (its encoding was set with the encoder).
    fn described_by(self, resource: Resource) -> CoreState {
        *self.resource.borrow_mut() = resource;
        self
    }

    /// Accepts and forgets every span when `disabled` (`OTEL_SDK_DISABLED`).
    fn disabled_if(mut self, disabled: bool) -> CoreState {
        self.pipeline.disabled = disabled;
        self
    }

    /// With the configuration's transform rules (it was validated: they compile).
    fn shaped_by(mut self, config: &Config) -> CoreState {
        if let Ok(rules) = config.span_rules() {
            self.pipeline.shaping =
                Shaping::new(rules, config.resource.clone(), config.scope.clone());
        }
        self
    }

    /// Keeps problems for JavaScript to word; failed requests it saw itself, and at most
    /// [`MAX_PROBLEMS`] wait (the oldest are forgotten, still counted in the stats). (An
    /// iterator object: one copy of this in the module for the job's problems and the
    /// keepalive split's.)
    fn keep_problems(&self, problems: &mut dyn Iterator<Item = ExportProblem>) {
        let mut kept = self.problems.borrow_mut();
        for problem in problems {
            if matches!(problem, ExportProblem::Failed(_)) {
                continue;
            }
            if kept.len() >= MAX_PROBLEMS {
                kept.remove(0);
            }
            kept.push(problem);
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        self.pipeline.stats()
    }

    /// Collects a span built in Rust (the Rust API's, or a JavaScript record read into one
    /// for the rules or OTLP/JSON): the rules run on it alone, then it is encoded and
    /// queued. Counted as `accept` counts natively; a span a drop rule removes is counted as
    /// collected and `filtered_out`.
    pub(crate) fn accept(&self, span: Span) -> Result<(), CollectError> {
        let (pipeline, stats) = (&self.pipeline, &self.pipeline.stats);
        if pipeline.disabled {
            return Ok(());
        }
        if !span.is_recording() {
            stats.record_sampled_out();
            return Ok(());
        }
        let mut span = ended(span);
        if pipeline.shaping.has_rules() {
            let mut one = vec![span];
            match (pipeline.shaping.shape(&mut one, stats), one.pop()) {
                (0, Some(shaped)) => span = shaped,
                _ => {
                    stats.record_collected();
                    stats.take_in_flight(1);
                    stats.settle_filtered(1);
                    return Ok(());
                }
            }
        }
        let protocol = self.encoder.borrow().protocol;
        let encoded = EncodedSpan::of(&span, protocol, &mut self.scratch.borrow_mut());
        pipeline.admit(encoded)
    }

    /// Whether spans are encoded straight from JavaScript's records: in the package's main
    /// module, which then carries neither the span model nor its encoder. The modules with
    /// OTLP/JSON or the rules carry the model for them anyway, and read records into spans
    /// (one path each keeps them from carrying both).
    pub(crate) const fn encodes_records() -> bool {
        !cfg!(any(feature = "transform", feature = "json"))
    }

    /// Collects a span already encoded from a record (see [`encodes_records`](Self::encodes_records)); `sampled`
    /// is its trace flags' sampled bit.
    pub(crate) fn admit_encoded(&self, span: &[u8], sampled: bool) -> Result<(), CollectError> {
        let pipeline = &self.pipeline;
        if pipeline.disabled {
            return Ok(());
        }
        if !sampled {
            pipeline.stats.record_sampled_out();
            return Ok(());
        }
        pipeline.admit(EncodedSpan::from_bytes(span))
    }

    /// The limits spans are read with.
    pub(crate) fn limits(&self) -> SpanLimits {
        self.limits.get()
    }

    /// Reads spans with `limits` from now on (a remote configuration).
    #[allow(dead_code)] // the OpAMP agent's (the module of `otlp-collector/opamp`)
    pub(crate) fn set_limits(&self, limits: SpanLimits) {
        self.limits.set(limits);
    }

    /// How batches are made.
    #[allow(dead_code)] // the OpAMP agent's
    pub(crate) fn batch_policy(&self) -> BatchPolicy {
        self.policy.get()
    }

    /// Makes batches this way from now on (a remote configuration).
    #[allow(dead_code)] // the OpAMP agent's
    pub(crate) fn set_batch_policy(&self, policy: BatchPolicy) {
        self.policy.set(policy);
    }

    /// The resource requests carry.
    #[allow(dead_code)] // the OpAMP agent's description
    pub(crate) fn resource(&self) -> Resource {
        self.resource.borrow().clone()
    }

    /// The most spans the buffer holds.
    #[allow(dead_code)] // the OpAMP agent's (a batch never exceeds it)
    pub(crate) fn max_queue_size(&self) -> usize {
        self.pipeline.queue.capacity()
    }

    /// Sets a resource attribute on every request from now on.
    pub(crate) fn set_resource_attribute(&self, key: Key, value: Value) {
        let mut resource = self.resource.borrow_mut();
        resource.set_attribute(key, value);
        self.pipeline.shaping.set_resource(&resource);
        let mut encoder = self.encoder.borrow_mut();
        encoder.resource = EncodedFields::of_resource(&resource, encoder.protocol);
    }

    /// Sets the resource and scope requests carry, encoded by the JavaScript API's intake
    /// where it encodes records (see [`encodes_records`](Self::encodes_records)).
    /// (`scope`: none to keep the one set before.)
    pub(crate) fn set_encoded_head(&self, resource: &[u8], scope: Option<&[u8]>) {
        let mut encoder = self.encoder.borrow_mut();
        encoder.resource = EncodedFields::from_bytes(resource);
        if let Some(scope) = scope {
            encoder.scope = EncodedFields::from_bytes(scope);
        }
    }

    /// The exchange buffer, at least `length` bytes long; returns where it starts.
    pub(crate) fn reserve_exchange(&self, length: usize) -> usize {
        let mut exchange = self.exchange.borrow_mut();
        if exchange.len() < length {
            exchange.resize(length, 0);
        }
        exchange.as_ptr() as usize
    }

    /// The text JavaScript wrote at the start of the exchange buffer (`length` bytes of
    /// UTF-8; nothing if they are not).
    pub(crate) fn exchanged_text(&self, length: usize) -> String {
        let exchange = self.exchange.borrow();
        let bytes = exchange.get(..length).unwrap_or_default();
        std::str::from_utf8(bytes).unwrap_or_default().to_owned()
    }

    /// Puts `bytes` at the start of the exchange buffer for JavaScript to read; returns how
    /// many.
    fn exchange_out(&self, bytes: impl IntoIterator<Item = u8>) -> usize {
        let mut exchange = self.exchange.borrow_mut();
        exchange.clear();
        exchange.extend(bytes);
        exchange.len()
    }

    /// Files `job` under a free number.
    fn file(&self, job: Job) -> u32 {
        let mut jobs = self.jobs.borrow_mut();
        let slot = jobs.iter().position(Option::is_none).unwrap_or(jobs.len());
        if slot == jobs.len() {
            jobs.push(None);
        }
        jobs[slot] = Some(job);
        slot as u32
    }
}

/// The collector's WebAssembly half as JavaScript holds it: by address, its methods exported
/// as `collectorcore_<method>` (see `handle.rs`). Only `js/*.js` calls them.
pub(crate) struct CollectorCore {
    state: Rc<CoreState>,
}

impl Handle for CollectorCore {}

handle_exports! { CollectorCore, "collectorcore_free";
    "collectorcore_room" fn room() -> usize, freed 0;
    "collectorcore_nextStep" fn next_step(timer_fired: bool) -> f64, freed -1.0;
    "collectorcore_queued" fn queued() -> usize, freed 0;
    "collectorcore_takeBatch" fn take_batch() -> usize, freed 0;
    "collectorcore_takeKeepalive" fn take_keepalive(budget: usize, requests: usize, unloading: bool) -> usize, freed 0;
    "collectorcore_exchange" fn exchange(length: usize) -> f64, freed 0.0;
    "collectorcore_body" fn body(job: u32) -> f64, freed 0.0;
    "collectorcore_bodyLength" fn body_length(job: u32) -> i32, freed -1;
    "collectorcore_settle" fn settle(job: u32, status: i32, retry_after_ms: f64, text_length: usize, response_length: usize) -> f64, freed -1.0;
    "collectorcore_droppedByExport" fn dropped_by_export() -> f64, freed 0.0;
    "collectorcore_close" fn close() -> bool, freed true;
    "collectorcore_abandon" fn abandon() -> f64, freed 0.0;
    "collectorcore_recordError" fn record_error(length: usize), freed ();
    "collectorcore_problem" fn problem() -> f64, freed 0.0;
    "collectorcore_problemText" fn problem_text() -> usize, freed 0;
    "collectorcore_stats" fn stats() -> usize, freed 0;
}

impl CollectorCore {
    pub(crate) fn new(state: Rc<CoreState>) -> CollectorCore {
        CollectorCore { state }
    }

    /// How many more spans the buffer takes now (0 once shut down).
    fn room(&self) -> usize {
        let pipeline = &self.state.pipeline;
        if pipeline.is_closed() {
            return 0;
        }
        pipeline
            .queue
            .capacity()
            .saturating_sub(pipeline.queue.len())
    }

    /// What the batch processor does now: 0 export a batch, a positive number of
    /// milliseconds to wait for more spans, -1 nothing is buffered. `timer_fired`: the batch
    /// timer armed for the oldest span has fired, so a partial batch goes too.
    fn next_step(&self, timer_fired: bool) -> f64 {
        let policy = self.state.policy.get();
        let waited = if timer_fired {
            policy.batch_timeout
        } else {
            Duration::ZERO
        };
        match policy.next_step(self.state.pipeline.queue.len(), waited) {
            NextStep::Export => 0.0,
            NextStep::WaitFor(wait) => wait.as_secs_f64() * 1000.0,
            NextStep::Idle => -1.0,
        }
    }

    /// How many spans wait in the buffer.
    fn queued(&self) -> usize {
        self.state.pipeline.queue.len()
    }

    /// Takes up to a batch from the buffer into exports, one per request (one, unless the
    /// batch is larger than the request size limit); puts their numbers (for
    /// [`body`](Self::body) and [`settle`](Self::settle)) in the exchange buffer (u32,
    /// little-endian) and returns how many: none when nothing is buffered.
    fn take_batch(&self) -> usize {
        let state = &self.state;
        let mut batch = Vec::new();
        state
            .pipeline
            .take_batch(state.policy.get().batch_size, &mut batch);
        self.start_exports(batch, usize::MAX, usize::MAX, false, state.retry)
    }

    /// The page is going: takes what is buffered into keepalive requests of at most
    /// `budget` body bytes in all and at most `requests` of them, and puts their export
    /// numbers in the exchange buffer as [`take_batch`](Self::take_batch) does. Spans that
    /// do not fit stay buffered (`unloading` false: the page is only hidden) or are dropped
    /// and counted (`unloading` true).
    fn take_keepalive(&self, budget: usize, requests: usize, unloading: bool) -> usize {
        let state = &self.state;
        let pipeline = &state.pipeline;
        // Estimate the body size from the spans' encoded sizes to take only what should
        // fit: gzip typically shrinks OTLP four times or more. The encoder then enforces
        // the budget exactly, in bytes on the wire.
        let shrinkage = if state.encoder.borrow().gzip.is_some() {
            4
        } else {
            1
        };
        let mut estimate = 0;
        let mut batch = Vec::new();
        pipeline.stats.take_in_flight_from(|| {
            pipeline.queue.take_while(
                |span| {
                    estimate += span.len() + 16;
                    estimate / shrinkage <= budget
                },
                &mut batch,
            );
            batch.len() as u64
        });
        if unloading {
            pipeline.stats.drop_from_queue(DropReason::PageUnload, || {
                pipeline.queue.discard_all() as u64
            });
        }
        pipeline.shape_taken(&mut batch);
        self.start_exports(batch, budget, requests, unloading, KEEPALIVE_RETRY)
    }

    /// Encodes `batch` (spans already counted in flight) and files an export for each
    /// request, while they fit `budget` body bytes and `requests` in number; what does not
    /// fit goes back to the buffer, or is dropped and counted when `unloading`. Puts the
    /// exports' numbers in the exchange buffer; returns how many.
    fn start_exports(
        &self,
        batch: Vec<EncodedSpan>,
        budget: usize,
        requests: usize,
        unloading: bool,
        retry: RetryPolicy,
    ) -> usize {
        let state = &self.state;
        let (queue, stats) = (&state.pipeline.queue, &state.pipeline.stats);
        let encoded = state.encoder.borrow().encode_batch_within(&batch, budget);
        let (dropped, problem) = settle_too_large(stats, encoded.too_large);
        state
            .dropped_by_export
            .set(state.dropped_by_export.get() + dropped);
        state.keep_problems(&mut problem.into_iter());
        let mut spans = batch.into_iter();
        let mut unsent = Vec::new();
        let mut taken = 0;
        let mut budget_left = budget;
        let mut started = Vec::new();
        for request in encoded.requests {
            // Spans between requests were too large to encode, and are settled already.
            spans
                .by_ref()
                .take(request.first_span - taken)
                .for_each(drop);
            taken = request.first_span + request.span_count;
            let own: Vec<_> = spans.by_ref().take(request.span_count).collect();
            let bytes = request.body.len();
            if bytes > budget_left || started.len() >= requests {
                unsent.extend(own);
                continue;
            }
            budget_left -= bytes;
            started.push(state.file(Job {
                export: ExportJob::of_request(request, own),
                retry,
            }));
        }
        if !unsent.is_empty() {
            if unloading {
                stats.settle_dropped(DropReason::PageUnload, unsent.len() as u64);
            } else {
                stats.return_in_flight(unsent.len() as u64);
                queue.put_back(unsent);
            }
        }
        let count = started.len();
        state.exchange_out(started.into_iter().flat_map(u32::to_le_bytes));
        count
    }

    /// Where the exchange buffer starts, at least `length` bytes long: JavaScript writes the
    /// texts and bytes it passes there, and reads the lists and texts the core puts there
    /// (each call that does says so). Addresses cross as doubles: a u32 crosses as an i32,
    /// negative past 2 GiB, and the package's loader passes results on as they are.
    fn exchange(&self, length: usize) -> f64 {
        self.state.reserve_exchange(length) as f64
    }

    /// Where the body of the request export `job` sends now starts in memory
    /// ([`body_length`](Self::body_length) bytes; it stays there until the job is settled).
    fn body(&self, job: u32) -> f64 {
        self.with_body(job, |body| body.as_ptr() as usize as f64)
            .unwrap_or(0.0)
    }

    /// The length of that body, or -1 once the job is done.
    fn body_length(&self, job: u32) -> i32 {
        self.with_body(job, |body| body.len() as i32).unwrap_or(-1)
    }

    /// Takes the answer to export `job`'s request: `status` is the HTTP status, or -1 when
    /// `fetch` failed (`text` has its message) or -2 when the request timed out. For an HTTP
    /// answer, `retry_after_ms` is the wait the backend asked for (`Retry-After`, read by
    /// JavaScript; negative when none), `text` the start of an error body and `response` the
    /// start of a 2xx body, both in the exchange buffer: `text_length` bytes of UTF-8, then
    /// `response_length` bytes. Returns -1 when the export is done, or the milliseconds to
    /// wait before sending [`body`](Self::body) (0: at once).
    fn settle(
        &self,
        job: u32,
        status: i32,
        retry_after_ms: f64,
        text_length: usize,
        response_length: usize,
    ) -> f64 {
        let state = &self.state;
        let text = state.exchanged_text(text_length);
        let answer = {
            let exchange = state.exchange.borrow();
            let response = exchange
                .get(text_length..)
                .and_then(|rest| rest.get(..response_length))
                .unwrap_or_default();
            answer(status, retry_after_ms, text, response, state)
        };
        let mut jobs = state.jobs.borrow_mut();
        let Some(slot) = jobs.get_mut(job as usize) else {
            return -1.0;
        };
        let Some(job) = slot else {
            return -1.0;
        };
        let encoder = state.encoder.borrow();
        let next = job
            .export
            .answer(&encoder, &job.retry, &state.pipeline.stats, answer);
        state.keep_problems(&mut job.export.take_problems());
        match next {
            NextSend::Now => 0.0,
            NextSend::After(wait) => wait.as_secs_f64() * 1000.0,
            NextSend::Done => {
                if let Some(job) = slot.take() {
                    state
                        .dropped_by_export
                        .set(state.dropped_by_export.get() + job.export.dropped);
                }
                -1.0
            }
        }
    }

    /// Spans dropped by exports so far (a flush compares before and after).
    fn dropped_by_export(&self) -> f64 {
        self.state.dropped_by_export.get() as f64
    }

    /// Stops accepting spans; returns whether it had already stopped.
    fn close(&self) -> bool {
        self.state.pipeline.close()
    }

    /// The shutdown deadline passed: every span still buffered or in flight is dropped
    /// and counted, and later answers change nothing. Returns how many.
    fn abandon(&self) -> f64 {
        self.state.jobs.borrow_mut().clear();
        self.state.pipeline.abandon_everything() as f64
    }

    /// Records an export error JavaScript worded (the last error, and the problem
    /// handler's): `length` bytes of UTF-8 in the exchange buffer.
    fn record_error(&self, length: usize) {
        let message = self.state.exchanged_text(length);
        self.state.pipeline.stats.record_error(message);
    }

    /// Takes the oldest problem JavaScript has not worded yet: N > 0 when a partial success
    /// rejected N spans (its message in [`problem_text`](Self::problem_text)), -N when N
    /// spans were too large to send alone, 0 when there is none. (Failed requests are
    /// worded by JavaScript, which saw them.)
    fn problem(&self) -> f64 {
        let state = &self.state;
        let problem = {
            let mut problems = state.problems.borrow_mut();
            (!problems.is_empty()).then(|| problems.remove(0))
        };
        let (count, text) = match problem {
            Some(ExportProblem::Rejected { spans, message }) => (spans as f64, Some(message)),
            Some(ExportProblem::TooLarge(spans)) => (-(spans as f64), None),
            Some(ExportProblem::Failed(_)) | None => (0.0, None),
        };
        *state.problem_text.borrow_mut() = text;
        count
    }

    /// The backend's message of the partial success [`problem`](Self::problem) returned,
    /// put in the exchange buffer as UTF-8; returns its length.
    fn problem_text(&self) -> usize {
        let text = self.state.problem_text.borrow_mut().take();
        self.state
            .exchange_out(text.unwrap_or_default().into_bytes())
    }

    /// Puts the counters in the exchange buffer, in the order of
    /// [`STATS`](crate::js_boundary::STATS), which `npm/src/boundary.js` names them by (f64,
    /// little-endian); returns how many.
    fn stats(&self) -> usize {
        let counts = stats_in_order(&self.state.stats());
        self.state.exchange_out(
            counts
                .iter()
                .flat_map(|count| (*count as f64).to_le_bytes()),
        );
        counts.len()
    }
}

impl CollectorCore {
    /// `read` of the body export `job` sends now; none once it is done.
    fn with_body<T>(&self, job: u32, read: impl FnOnce(&[u8]) -> T) -> Option<T> {
        let jobs = self.state.jobs.borrow();
        let body = jobs.get(job as usize)?.as_ref()?.export.body()?;
        Some(read(body))
    }
}

/// What JavaScript saw, as the shared export code takes it.
fn answer(
    status: i32,
    retry_after_ms: f64,
    text: String,
    response: &[u8],
    state: &CoreState,
) -> Result<PartialSuccess, SendError> {
    let status = match status {
        NETWORK_ERROR => return Err(SendError::Network(text)),
        TIMED_OUT => return Err(SendError::Timeout(state.export_timeout)),
        status => u16::try_from(status).unwrap_or(0),
    };
    if classify_status(status) == StatusClass::Accepted {
        let json = state.encoder.borrow().protocol.is_json();
        return Ok(PartialSuccess::from_response(response, json));
    }
    Err(SendError::Status {
        status,
        // JavaScript words the error; the text is kept for symmetry with native builds.
        body: text,
        // A float-to-integer `as` saturates, and NaN becomes 0.
        retry_after: (retry_after_ms >= 0.0).then(|| Duration::from_millis(retry_after_ms as u64)),
    })
}
