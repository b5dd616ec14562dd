// TypeScript declarations of `otlp-collector/fetch`.
import type { Collector } from 'otlp-collector';

export interface FetchInstrumentationOptions {
  /** Other origins whose requests carry `traceparent`: URL prefixes or RegExps (the page's own origin always does). */
  propagateTo?: Array<string | RegExp>;
  /** Requests left alone: URL prefixes or RegExps. */
  ignoreUrls?: Array<string | RegExp>;
  /** The text recorded as `url.full`, e.g. the URL without its query string. */
  redactUrl?: (url: string) => string;
}

/** Makes a client span of every `fetch` from now on; returns a function that stops it. */
export function instrumentFetch(collector: Collector, options?: FetchInstrumentationOptions): () => void;
