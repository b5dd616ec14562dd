//! Without the `transform` feature: no rules (the configuration refuses any, naming the
//! feature), nothing linked.

use super::{ErrorMode, Outcome, RuleError};
use crate::model::{Resource, Scope, Span};
use crate::observe::stats::StatsCounters;

/// No rules to run on batches: nothing held, nothing linked.
#[derive(Debug, Default)]
pub(crate) struct Shaping {
    _nothing: (),
}

impl Shaping {
    pub(crate) fn new(_rules: SpanRules, _resource: Resource, _scope: Scope) -> Shaping {
        Shaping::default()
    }

    /// Nothing reads it.
    #[allow(dead_code)] // only the browser's core learns its resource late
    pub(crate) fn set_resource(&self, _resource: &Resource) {}

    /// Removes nothing.
    pub(crate) fn shape(&self, _batch: &mut Vec<Span>, _stats: &StatsCounters) -> u64 {
        0
    }
}

/// No rules.
#[derive(Debug, Default)]
pub(crate) struct SpanRules;

impl SpanRules {
    /// Only ever called with no rules (`Config::validate` refuses any without the feature).
    pub(crate) fn compile(
        _statements: &[String],
        _drop_conditions: &[String],
        _error_mode: ErrorMode,
    ) -> Result<SpanRules, RuleError> {
        Ok(SpanRules)
    }

    pub(crate) fn apply(&self, _span: &mut Span, _resource: &Resource, _scope: &Scope) -> Outcome {
        Outcome::default()
    }
}
