//! The settings a remote configuration changes, as the collector runs them: the sampler and
//! span limits (read on the application's side when a span starts), the rules, the export
//! switch and the batch policy (on the export side), swapped atomically while spans flow. A
//! configuration applies whole or not at all: it is checked and its rules compiled before
//! anything changes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::Duration;

use super::remote::{Effective, RemoteSettings};
use crate::batch::batching::BatchPolicy;
use crate::model::SpanLimits;
use crate::sampling::Sampler;
use crate::transform::{ErrorMode, Shaping, SpanRules};

/// The application's own settings, which a remote field that is absent falls back to.
#[derive(Clone, Debug)]
pub(crate) struct LocalSettings {
    pub(crate) sampler: Sampler,
    pub(crate) span_limits: SpanLimits,
    pub(crate) transform: Vec<String>,
    pub(crate) drop_spans: Vec<String>,
    pub(crate) error_mode: ErrorMode,
    pub(crate) batch: BatchPolicy,
    /// A batch never exceeds the queue.
    pub(crate) max_queue_size: usize,
}

/// Longest batch timeout a server may set: a span must not wait longer than this to leave.
const LONGEST_BATCH_TIMEOUT: Duration = Duration::from_secs(300);

pub(crate) struct LiveSettings {
    local: LocalSettings,
    /// What a span starts with.
    start: RwLock<(Sampler, SpanLimits)>,
    /// The rules and batch policy in force, for the effective configuration.
    export_side: Mutex<(Vec<String>, Vec<String>, BatchPolicy)>,
}

impl LiveSettings {
    pub(crate) fn new(local: LocalSettings) -> LiveSettings {
        LiveSettings {
            start: RwLock::new((local.sampler, local.span_limits)),
            export_side: Mutex::new((
                local.transform.clone(),
                local.drop_spans.clone(),
                local.batch,
            )),
            local,
        }
    }

    /// The sampler and span limits in force.
    pub(crate) fn span_start(&self) -> (Sampler, SpanLimits) {
        *self.start.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts `settings` in force (absent fields: the application's own), or changes nothing
    /// and says why; returns the batch policy now in force, for the export loop.
    pub(crate) fn apply(
        &self,
        settings: RemoteSettings,
        shaping: &Shaping,
        exporting: &AtomicBool,
    ) -> Result<BatchPolicy, String> {
        let batch = BatchPolicy {
            batch_size: settings.batch_size.unwrap_or(self.local.batch.batch_size),
            batch_timeout: settings
                .batch_timeout
                .unwrap_or(self.local.batch.batch_timeout),
        };
        if batch.batch_size == 0 || batch.batch_size > self.local.max_queue_size {
            return Err(format!(
                "`batch.size` must be from 1 to the queue's size ({})",
                self.local.max_queue_size
            ));
        }
        if batch.batch_timeout.is_zero() || batch.batch_timeout > LONGEST_BATCH_TIMEOUT {
            return Err("`batch.timeoutMs` must be from 1 to 300000".into());
        }
        let transform = settings
            .transform
            .unwrap_or_else(|| self.local.transform.clone());
        let drop_spans = settings
            .drop_spans
            .unwrap_or_else(|| self.local.drop_spans.clone());
        let rules = SpanRules::compile(&transform, &drop_spans, self.local.error_mode)
            .map_err(|error| error.to_string())?;
        shaping.replace(rules);
        *self
            .export_side
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = (transform, drop_spans, batch);
        *self.start.write().unwrap_or_else(PoisonError::into_inner) = (
            settings.sampler.unwrap_or(self.local.sampler),
            settings.span_limits.unwrap_or(self.local.span_limits),
        );
        exporting.store(settings.export.unwrap_or(true), Ordering::Relaxed);
        Ok(batch)
    }

    /// The effective configuration (JSON) with whether export is on, `endpoint` (password
    /// redacted) and the names of the headers sent.
    pub(crate) fn effective_json(
        &self,
        export: bool,
        endpoint: &str,
        header_names: Vec<&str>,
    ) -> String {
        let (sampler, span_limits) = self.span_start();
        let export_side = self
            .export_side
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Effective {
            sampler,
            span_limits,
            transform: &export_side.0,
            drop_spans: &export_side.1,
            batch: export_side.2,
            export,
            endpoint,
            header_names,
        }
        .to_json()
    }
}
