// The module of `otlp-collector/managed`: the package's module with the OTTL rules engine
// and the OpAMP agent, so a server can push rules as well as the sampler and switches.

import './rules.js';

export { default, initSync, Collector } from './opamp.js';
