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

    /// There are only empty rules to put in place.
    #[allow(dead_code)] // remote configuration swaps rules
    pub(crate) fn replace(&self, _rules: SpanRules) {}

    /// There are none.
    #[allow(dead_code)] // the browser core's question
    #[inline]
    pub(crate) fn has_rules(&self) -> bool {
        false
    }

    /// Removes nothing.
    pub(crate) fn shape(&self, _batch: &mut Vec<Span>, _stats: &StatsCounters) -> u64 {
        0
    }
}

/// No rules.
#[derive(Debug, Default)]
pub(crate) struct SpanRules;

impl SpanRules {
    /// No rules compile to nothing; any rule is refused, naming the feature
    /// (`Config::validate` refuses them earlier; a remote configuration gets this).
    pub(crate) fn compile(
        statements: &[String],
        drop_conditions: &[String],
        _error_mode: ErrorMode,
    ) -> Result<SpanRules, RuleError> {
        match statements.iter().chain(drop_conditions).next() {
            None => Ok(SpanRules),
            Some(rule) => Err(RuleError {
                rule: rule.clone(),
                column: 1,
                message: "rules need the `transform` cargo feature, which this build leaves out"
                    .into(),
            }),
        }
    }

    pub(crate) fn apply(&self, _span: &mut Span, _resource: &Resource, _scope: &Scope) -> Outcome {
        Outcome::default()
    }
}
