//! The browser collector's Rust API: the same as the native one, over the same core and
//! JavaScript exporter as the npm package's `Collector`.
//!
//! `collect` pushes into the core's single-threaded buffer and tells the exporter
//! (`js/exporter.js`), which exports a full batch at once and arms a `setTimeout` for a
//! partial one, sends with `fetch`, retries as the core decides, and sends what is
//! buffered with keepalive requests when the page is hidden or closed.

use std::borrow::Cow;
use std::rc::Rc;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::core::{CollectorCore, CoreState};
use super::handle::Handle;
use crate::batch::pipeline::{Outcome, SpanQueue};
use crate::config::{redact_password, Config};
use crate::encoding::Protocol;
use crate::error::{CollectError, FlushError, ShutdownError, StartError};
use crate::model::{Span, SpanContext};
use crate::observe::stats::{DestinationStats, Stats};

#[wasm_bindgen(module = "/src/wasm/js/exporter.js")]
extern "C" {
    /// The collector's JavaScript side: `fetch`, timers and page lifecycle, asking the
    /// core what to send and when (`js/exporter.js`).
    pub(crate) type Exporter;

    /// `core` is the core's handle (from [`core_handle`]); `memory` is the module's, where
    /// the core puts bodies and texts; `headers` alternate
    /// names and values; `settings` are the export, flush and shutdown timeouts in
    /// milliseconds, and optionally 0 to send a hidden page's spans without keepalive (the
    /// JavaScript API's `keepalive: false`; left out here: keepalive on).
    #[wasm_bindgen(constructor)]
    fn new(
        core: JsValue,
        memory: JsValue,
        endpoint: &str,
        headers: Vec<String>,
        settings: &[f64],
    ) -> Exporter;

    /// Spans were accepted: exports a full batch now, or arms the batch timer.
    #[wasm_bindgen(method)]
    fn schedule(this: &Exporter);

    /// Exports what is buffered now; resolves to the number of spans it dropped, or -1
    /// when the flush timeout passed first.
    #[wasm_bindgen(method)]
    fn flush(this: &Exporter) -> Promise;

    /// Exports everything buffered within the shutdown timeout; resolves to
    /// `[dropped by export, dropped at the deadline]`.
    #[wasm_bindgen(method)]
    fn shutdown(this: &Exporter) -> Promise;

    /// Resolves when the export under way, or the next one, ends.
    #[wasm_bindgen(method)]
    fn exported(this: &Exporter) -> Promise;

    /// Removes the page listeners and timers.
    #[wasm_bindgen(method)]
    fn release(this: &Exporter);

    /// The JavaScript handle of the core at `address` in this module, whose `exports` are
    /// its methods (`collectorcore_*`: see `handle.rs`).
    #[wasm_bindgen(js_name = coreHandle)]
    fn core_handle(exports: JsValue, address: usize) -> JsValue;
}

/// Collects finished spans and exports them in batches with `fetch`.
///
/// Cheap to clone; clones share one buffer. Works in pages, Web Workers and Node.
#[derive(Clone)]
pub struct Collector {
    inner: Rc<Inner>,
}

struct Inner {
    config: Config,
    core: Rc<CoreState>,
    exporter: Exporter,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.exporter.release();
    }
}

impl Collector {
    /// Validates `config` and creates the collector. No request is made until spans arrive.
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
        let core = Rc::new(CoreState::new(&config));
        let mut headers = vec![
            "content-type".to_owned(),
            config.protocol.content_type().to_owned(),
        ];
        if let Some(encoding) = config.compression.content_encoding() {
            headers.extend(["content-encoding".to_owned(), encoding.to_owned()]);
        }
        for (name, value) in &config.headers {
            headers.extend([name.clone(), value.clone()]);
        }
        let millis = |duration: std::time::Duration| duration.as_secs_f64() * 1000.0;
        let settings = [
            millis(config.export_timeout),
            millis(config.flush_timeout),
            millis(config.shutdown_timeout),
        ];
        let exporter = Exporter::new(
            core_handle(
                wasm_bindgen::exports(),
                CollectorCore::new(Rc::clone(&core)).into_address(),
            ),
            wasm_bindgen::memory(),
            &config.endpoint,
            headers,
            &settings,
        );
        Ok(Collector {
            inner: Rc::new(Inner {
                config,
                core,
                exporter,
            }),
        })
    }

    /// Starts a root span (a new trace) with the collector's span limits and sampler.
    pub fn start_span(&self, name: impl Into<Cow<'static, str>>) -> Span {
        let config = &self.inner.config;
        config.sampler.start_span(config.span_limits, None, name)
    }

    /// The sampler and span limits in force (the configuration's; OpAMP is native only so
    /// far).
    #[allow(dead_code)] // the `tracing` layer's
    pub(crate) fn span_start(&self) -> (crate::sampling::Sampler, crate::model::SpanLimits) {
        (self.inner.config.sampler, self.inner.config.span_limits)
    }

    /// Starts a child of `parent` — a local span's [`context`](Span::context) or a remote
    /// one from [`SpanContext::from_traceparent`] — with the collector's span limits; the
    /// sampler follows the parent's decision by default.
    pub fn start_child_of(&self, parent: &SpanContext, name: impl Into<Cow<'static, str>>) -> Span {
        let config = &self.inner.config;
        config
            .sampler
            .start_span(config.span_limits, Some(parent), name)
    }

    /// Hands a span to the collector without waiting. A span not yet ended is ended now.
    /// When the buffer is full the span is dropped, counted, and `Err(BufferFull)` returned.
    pub fn collect(&self, span: Span) -> Result<(), CollectError> {
        self.inner.core.accept(span)?;
        self.inner.exporter.schedule();
        Ok(())
    }

    /// Hands a span to the collector, waiting for an export to make room if the buffer is
    /// full: for callers who prefer backpressure to loss.
    pub async fn collect_or_wait(&self, span: Span) -> Result<(), CollectError> {
        let pipeline = &self.inner.core.pipeline;
        while pipeline.queue.len() >= pipeline.queue.capacity() && !pipeline.is_closed() {
            // An exporter promise never rejects.
            let _ = JsFuture::from(self.inner.exporter.exported()).await;
        }
        self.collect(span)
    }

    /// Exports everything collected so far, waiting at most the configured flush timeout
    /// (the export goes on in the background if the timeout passes).
    pub async fn flush(&self) -> Result<(), FlushError> {
        if self.inner.core.pipeline.is_closed() {
            return Err(FlushError::ShutDown);
        }
        let dropped = JsFuture::from(self.inner.exporter.flush())
            .await
            .ok()
            .and_then(|dropped| dropped.as_f64())
            .unwrap_or(-1.0);
        if dropped < 0.0 {
            return Err(FlushError::TimedOut {
                still_buffered: self.stats().buffered,
            });
        }
        let outcome = Outcome {
            dropped: dropped as u64,
            dropped_at_deadline: 0,
        };
        outcome.flush_result(|| self.last_export_error())
    }

    /// Stops accepting spans and exports everything buffered, within the configured
    /// shutdown timeout; what is still queued or in flight then is dropped and counted
    /// (answers arriving later change nothing), so afterwards nothing is buffered.
    pub async fn shutdown(&self) -> Result<(), ShutdownError> {
        if self.inner.core.pipeline.is_closed() {
            return Err(ShutdownError::AlreadyShutDown);
        }
        let counts: Array = JsFuture::from(self.inner.exporter.shutdown())
            .await
            .map(JsCast::unchecked_into)
            .unwrap_or_default();
        let count = |index| counts.get(index).as_f64().unwrap_or(0.0) as u64;
        let outcome = Outcome {
            dropped: count(0),
            dropped_at_deadline: count(1),
        };
        outcome.shutdown_result(|| self.last_export_error())
    }

    /// The collector's counters.
    pub fn stats(&self) -> Stats {
        self.inner.core.stats()
    }

    /// The most recent export failure, for logs and health checks.
    pub fn last_export_error(&self) -> Option<String> {
        self.inner.core.pipeline.stats.last_error()
    }

    /// What the destination did: the browser build has one, so this is the collector's
    /// stats under its endpoint (the same shape as a native fan-out's).
    pub fn destination_stats(&self) -> Vec<DestinationStats> {
        vec![DestinationStats {
            endpoint: redact_password(&self.inner.config.endpoint),
            stats: self.stats(),
            last_error: self.last_export_error(),
        }]
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
}
