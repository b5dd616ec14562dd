//! What leaves the process, shaped by OTTL — the OpenTelemetry Transformation Language of
//! the Collector's `transform` and `filter` processors — run on each span before it is
//! encoded, on the export side (never the application's thread): statements that redact
//! and rewrite (`delete_key(attributes, "user.email")`), and conditions that drop
//! (`attributes["http.route"] == "/health"`). A rule moves between a Collector
//! configuration and ours unchanged; the README lists the subset.
//!
//! Parsing (`parse.rs`) gives a syntax tree with columns; compiling (`functions.rs`,
//! `path.rs`) checks every name, path and pattern once; running applies them with the
//! Collector's comparison and conversion rules (`value.rs`).

use std::fmt;
use std::sync::Arc;

cfg_if::cfg_if! {
    if #[cfg(feature = "transform")] {
        mod functions;
        mod parse;
        mod path;
        mod pattern;
        mod rules;
        mod sha256;
        mod shaping;
        mod value;
        pub(crate) use rules::SpanRules;
        pub(crate) use shaping::Shaping;
    } else {
        mod disabled;
        pub(crate) use disabled::{Shaping, SpanRules};
    }
}

/// What happens when a statement fails on a span (a path that does not fit, a converter
/// given the wrong kind of value): the Collector's `error_mode`. The span is never lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorMode {
    /// Count the failure, report it (rate-limited) and go on with the next statement.
    #[default]
    Ignore,
    /// Count the failure and go on, without a report.
    Silent,
    /// Count and report the failure, and run no further statement on that span (the
    /// Collector drops the whole payload; we send the span as the earlier statements left
    /// it).
    Propagate,
}

/// A rule that does not compile: which, where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// The statement or condition as given.
    pub rule: String,
    /// The 1-based character column of the mistake.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// A statement that failed on a span, for the problem report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuleFailure {
    pub(crate) rule: Arc<str>,
    pub(crate) message: String,
}

/// What running the rules on one span gave.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) dropped: bool,
    /// Statements or conditions that failed, reported per the error mode.
    #[cfg_attr(not(feature = "transform"), allow(dead_code))]
    pub(crate) failures: Vec<RuleFailure>,
}

impl fmt::Display for RuleError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "rule `{}` is invalid at column {}: {}",
            self.rule, self.column, self.message
        )
    }
}

impl fmt::Display for RuleFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.rule, self.message)
    }
}

/// Compiled rules for the benches (`benches/collector.rs`): not a stable API.
#[doc(hidden)]
pub struct BenchRules(SpanRules);

#[doc(hidden)]
impl BenchRules {
    pub fn new(statements: &[String], drop_conditions: &[String]) -> Result<BenchRules, RuleError> {
        SpanRules::compile(statements, drop_conditions, ErrorMode::Ignore).map(BenchRules)
    }

    /// Runs the rules on `span`; returns whether a drop condition matched.
    pub fn apply(
        &self,
        span: &mut crate::Span,
        resource: &crate::Resource,
        scope: &crate::Scope,
    ) -> bool {
        self.0.apply(span, resource, scope).dropped
    }
}
