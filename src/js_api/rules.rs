//! The OTTL transform and drop rules of the `transform` and `dropSpans` options, in the
//! module of `otlp-collector/rules` only (a page without rules downloads nothing for
//! them): compiled when the collector is made, run by the core on each batch it takes.

use wasm_bindgen::prelude::*;

use super::intake::Intake;
use crate::platform::handle::Handle;
use crate::transform::{ErrorMode, SpanRules};

/// Compiles the rules and puts them in place in the collector of `intake` (its handle's
/// address); throws naming the first that does not compile and the column of its mistake.
/// Only `npm/src/rules.js` calls it, once, with each list joined by NUL characters, which it
/// refuses in a rule (one string crosses more cheaply than a list: its glue weighed 10 KB
/// more).
#[wasm_bindgen(js_name = setRules, skip_typescript)]
pub fn set_rules(intake: usize, transform: &str, drop_spans: &str) -> Result<(), JsError> {
    let Some(intake) = Intake::at(intake) else {
        return Err(JsError::new("otlp-collector: the collector was freed"));
    };
    let split = |joined: &str| -> Vec<String> {
        if joined.is_empty() {
            Vec::new()
        } else {
            joined.split('\0').map(str::to_owned).collect()
        }
    };
    let (transform, drop_spans) = (split(transform), split(drop_spans));
    let rules = SpanRules::compile(&transform, &drop_spans, ErrorMode::Ignore)
        .map_err(|error| JsError::new(&format!("otlp-collector: {error}")))?;
    intake.core.pipeline.shaping.replace(rules);
    Ok(())
}

/// The last failure of a rule on a span since the last call, for `onError` (none once the
/// collector of `intake` is freed).
#[wasm_bindgen(js_name = takeRuleFailure, skip_typescript)]
pub fn take_rule_failure(intake: usize) -> Option<String> {
    Intake::at(intake)?
        .core
        .pipeline
        .shaping
        .take_last_failure()
}
