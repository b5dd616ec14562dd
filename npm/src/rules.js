// The module of `otlp-collector/rules`: the package's module (index.js) with the OTTL rules
// engine, whose WebAssembly has it (npm/build.sh builds that module with the `rules`
// feature: src/js_api/rules.rs).

import { setRules, takeRuleFailure } from 'otlp-collector-wasm';
import { useRules } from './collector.js';
import { describe } from './values.js';

// An option's rules: a list of strings (none when absent).
function rulesOf(key, value) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((rule) => typeof rule === 'string' && !rule.includes('\0'))) {
    throw new Error(`otlp-collector: option ${key} must be an array of OTTL strings, got ${describe(value)}`);
  }
  return value.slice();
}

useRules({
  // Checks and compiles the options' `[transform, dropSpans]` into the core, or frees what
  // was made and throws naming the option, or the rule and column; returns itself (the
  // collector's `_rules`), or null when there are no rules.
  start(core, intake, [transform, dropSpans]) {
    try {
      const statements = rulesOf('transform', transform);
      const conditions = rulesOf('dropSpans', dropSpans);
      if (statements.length + conditions.length === 0) return null;
      setRules(intake.address, statements.join('\0'), conditions.join('\0'));
    } catch (error) {
      core.free();
      intake.free();
      throw error;
    }
    return this;
  },
  // Reports a rule that failed on a span since the last look (the core runs the rules on
  // each batch it takes).
  report(intake, reporter) {
    const failure = takeRuleFailure(intake.address);
    if (failure !== undefined) {
      reporter.report('rule-failed', `a transform rule failed on a span (counted in stats().ruleErrors; the span was kept): ${failure}`);
    }
  },
});

export { default, initSync, Collector } from './index.js';
