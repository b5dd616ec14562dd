// TypeScript declarations of `otlp-collector/xhr`.
import type { Collector } from 'otlp-collector';
import type { FetchInstrumentationOptions } from 'otlp-collector/fetch';

/** Makes a client span of every XMLHttpRequest sent from now on (options as for `instrumentFetch`); returns a function that stops it. */
export function instrumentXhr(collector: Collector, options?: FetchInstrumentationOptions): () => void;
