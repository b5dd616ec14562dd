//! The transform rules a configuration carries: OTTL statements that rewrite spans and
//! conditions that drop them, run on the export side before encoding (see
//! `crate::transform`).

use super::{Config, ConfigError};
use crate::transform::{ErrorMode, SpanRules};

impl Config {
    /// OTTL statements run on each span, in order, before it is encoded — the same
    /// statements the Collector's `transform` processor takes in its span context:
    ///
    /// ```
    /// use otlp_collector::Config;
    /// let config = Config::default().with_transform([
    ///     r#"delete_key(attributes, "user.email")"#,
    ///     r#"replace_pattern(attributes["url.full"], "token=[^&]*", "token=REDACTED")"#,
    ///     r#"set(attributes["deployment"], "blue") where kind == SPAN_KIND_SERVER"#,
    /// ]);
    /// # #[cfg(feature = "transform")]
    /// assert!(config.validate().is_ok());
    /// ```
    ///
    /// A statement that does not compile is refused when the collector is built, naming it
    /// and the column; one that fails on a span is handled per
    /// [`with_rule_error_mode`](Self::with_rule_error_mode). Needs the `transform` feature
    /// (on by default).
    pub fn with_transform<S: Into<String>>(
        mut self,
        statements: impl IntoIterator<Item = S>,
    ) -> Self {
        self.transform = statements.into_iter().map(Into::into).collect();
        self
    }

    /// OTTL conditions, as the Collector's `filter` processor takes for spans: a span that
    /// meets any is dropped before it is encoded, counted in `Stats::filtered_out`.
    ///
    /// ```
    /// use otlp_collector::Config;
    /// let config = Config::default().with_drop_spans([
    ///     r#"attributes["url.path"] == "/health""#,
    ///     r#"IsMatch(name, "^GET /(ready|live)z$")"#,
    /// ]);
    /// # #[cfg(feature = "transform")]
    /// assert!(config.validate().is_ok());
    /// ```
    pub fn with_drop_spans<S: Into<String>>(
        mut self,
        conditions: impl IntoIterator<Item = S>,
    ) -> Self {
        self.drop_spans = conditions.into_iter().map(Into::into).collect();
        self
    }

    /// What a statement that fails on a span does (the Collector's `error_mode`; default
    /// [`ErrorMode::Ignore`]). A span is never lost to a failing rule.
    pub fn with_rule_error_mode(mut self, mode: ErrorMode) -> Self {
        self.rule_error_mode = mode;
        self
    }

    /// The transform statements.
    pub fn transform(&self) -> &[String] {
        &self.transform
    }

    /// The drop conditions.
    pub fn drop_spans(&self) -> &[String] {
        &self.drop_spans
    }

    /// The rules compiled (what `validate` checks, and the collector runs).
    pub(crate) fn span_rules(&self) -> Result<SpanRules, ConfigError> {
        SpanRules::compile(&self.transform, &self.drop_spans, self.rule_error_mode)
            .map_err(ConfigError::InvalidRule)
    }
}
