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
    resource: Resource,
    scope: Scope,
}

impl Shaping {
    pub(crate) fn new(rules: SpanRules, resource: Resource, scope: Scope) -> Shaping {
        Shaping {
            rules: Mutex::new(Arc::new(rules)),
            resource,
            scope,
        }
    }

    /// Puts `rules` in place for the batches taken from now on.
    #[allow(dead_code)] // remote configuration swaps rules; nothing else yet
    pub(crate) fn replace(&self, rules: SpanRules) {
        *self.rules.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(rules);
    }

    /// Runs the rules on every span of `batch` and removes those a drop condition matched;
    /// returns how many it removed. Failures are counted and reported per the error mode.
    pub(crate) fn shape(&self, batch: &mut Vec<Span>, stats: &StatsCounters) -> u64 {
        let rules = Arc::clone(&self.rules.lock().unwrap_or_else(PoisonError::into_inner));
        if rules.is_empty() {
            return 0;
        }
        let report = rules.error_mode() != ErrorMode::Silent;
        let before = batch.len();
        batch.retain_mut(|span| {
            let outcome = rules.apply(span, &self.resource, &self.scope);
            for failure in &outcome.failures {
                stats.record_rule_failure(failure, report);
            }
            !outcome.dropped
        });
        (before - batch.len()) as u64
    }
}
