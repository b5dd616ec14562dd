//! The settings a remote configuration changes, as the collector runs them: the sampler
//! (read on the application's side when a span starts), the rules and the export switch
//! (on the export side), swapped atomically while spans flow. A configuration applies whole or not at
//! all: its rules are compiled before anything changes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};

use super::remote::{Effective, RemoteSettings};
use crate::sampling::Sampler;
use crate::transform::{ErrorMode, Shaping, SpanRules};

/// The application's own settings, which a remote field that is absent falls back to.
#[derive(Clone, Debug)]
pub(crate) struct LocalSettings {
    pub(crate) sampler: Sampler,
    pub(crate) transform: Vec<String>,
    pub(crate) drop_spans: Vec<String>,
    pub(crate) error_mode: ErrorMode,
}

pub(crate) struct LiveSettings {
    local: LocalSettings,
    sampler: RwLock<Sampler>,
    /// The rules in force, as text, for the effective configuration.
    rules: Mutex<(Vec<String>, Vec<String>)>,
}

impl LiveSettings {
    pub(crate) fn new(local: LocalSettings) -> LiveSettings {
        LiveSettings {
            sampler: RwLock::new(local.sampler),
            rules: Mutex::new((local.transform.clone(), local.drop_spans.clone())),
            local,
        }
    }

    /// The sampler in force.
    pub(crate) fn sampler(&self) -> Sampler {
        *self.sampler.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts `settings` in force (absent fields: the application's own), or changes nothing
    /// and says why.
    pub(crate) fn apply(
        &self,
        settings: RemoteSettings,
        shaping: &Shaping,
        exporting: &AtomicBool,
    ) -> Result<(), String> {
        let transform = settings
            .transform
            .unwrap_or_else(|| self.local.transform.clone());
        let drop_spans = settings
            .drop_spans
            .unwrap_or_else(|| self.local.drop_spans.clone());
        let rules = SpanRules::compile(&transform, &drop_spans, self.local.error_mode)
            .map_err(|error| error.to_string())?;
        shaping.replace(rules);
        *self.rules.lock().unwrap_or_else(PoisonError::into_inner) = (transform, drop_spans);
        *self.sampler.write().unwrap_or_else(PoisonError::into_inner) =
            settings.sampler.unwrap_or(self.local.sampler);
        exporting.store(settings.export.unwrap_or(true), Ordering::Relaxed);
        Ok(())
    }

    /// The effective configuration (JSON) with whether export is on, `endpoint` (password
    /// redacted) and the names of the headers sent.
    pub(crate) fn effective_json(
        &self,
        export: bool,
        endpoint: &str,
        header_names: Vec<&str>,
    ) -> String {
        let rules = self.rules.lock().unwrap_or_else(PoisonError::into_inner);
        Effective {
            sampler: self.sampler(),
            transform: &rules.0,
            drop_spans: &rules.1,
            export,
            endpoint,
            header_names,
        }
        .to_json()
    }
}
