// The module of `otlp-collector/rules`: the package's module (index.js) with the OTTL rules
// engine, whose WebAssembly has it (npm/build.sh builds that module with the `rules`
// feature: src/js_api/rules.rs).

import { useRules } from './collector.js';

useRules({
  // Compiles `[transform, dropSpans]` into the core, or frees what was made and throws the
  // message naming the rule and column; returns itself, the collector's `_rules`.
  start(core, intake, [transform, dropSpans]) {
    try {
      intake.setRules(transform, dropSpans);
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
    const failure = intake.takeRuleFailure();
    if (failure !== undefined) {
      reporter.report('rule-failed', `a transform rule failed on a span (counted in stats().ruleErrors; the span was kept): ${failure}`);
    }
  },
});

export { default, initSync, Collector } from './index.js';
