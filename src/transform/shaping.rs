//! The transform rules on their way into the batch processor: run on each batch as it is
//! taken from the queue (the export side, never the application's thread), before it is
//! encoded. Held so the rules can be swapped while spans flow (remote configuration).

use std::sync::{Arc, Mutex, PoisonError};

use super::{ErrorMode, SpanRules};
use crate::model::{Resource, Scope, Span};
use crate::observe::stats::StatsCounters;

/// The rules and what they read besides the span: the resource and default scope it
/// will be sent with.
#[derive(Debug, Default)]
pub(crate) struct Shaping {
    rules: Mutex<Arc<SpanRules>>,
    resource: Mutex<Arc<Resource>>,
    scope: Scope,
    last_failure: Mutex<Option<String>>,
}

impl Shaping {
    pub(crate) fn new(rules: SpanRules, resource: Resource, scope: Scope) -> Shaping {
        Shaping {
            rules: Mutex::new(Arc::new(rules)),
            resource: Mutex::new(Arc::new(resource)),
            scope,
            last_failure: Mutex::new(None),
        }
    }

    /// The resource the rules read from now on (the browser's core learns it after it is
    /// made).
    #[allow(dead_code)] // natively the resource is known at construction
    pub(crate) fn set_resource(&self, resource: &Resource) {
        *self.resource.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(resource.clone());
    }

    /// The last failure reported since the last call, for the browser's `onError` (natively
    /// failures go to the problem handler as they happen).
    #[allow(dead_code)] // natively the problem handler reports them
    pub(crate) fn take_last_failure(&self) -> Option<String> {
        self.last_failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Puts `rules` in place for the batches taken from now on.
    #[allow(dead_code)] // remote configuration swaps rules; nothing else yet
    pub(crate) fn replace(&self, rules: SpanRules) {
        *self.rules.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(rules);
    }

    /// Whether there is any rule to run.
    #[allow(dead_code)] // the browser core's question
    pub(crate) fn has_rules(&self) -> bool {
        !self
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// Runs the rules on every span of `batch` and removes those a drop condition matched;
    /// returns how many it removed. Failures are counted and reported per the error mode.
    pub(crate) fn shape(&self, batch: &mut Vec<Span>, stats: &StatsCounters) -> u64 {
        let rules = Arc::clone(&self.rules.lock().unwrap_or_else(PoisonError::into_inner));
        if rules.is_empty() {
            return 0;
        }
        let resource = Arc::clone(&self.resource.lock().unwrap_or_else(PoisonError::into_inner));
        let report = rules.error_mode() != ErrorMode::Silent;
        let before = batch.len();
        batch.retain_mut(|span| {
            let outcome = rules.apply(span, &resource, &self.scope);
            for failure in &outcome.failures {
                stats.record_rule_failure(failure, report);
            }
            if let (Some(failure), true) = (outcome.failures.last(), report) {
                *self
                    .last_failure
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(failure.to_string());
            }
            !outcome.dropped
        });
        (before - batch.len()) as u64
    }
}
