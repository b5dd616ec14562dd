// TypeScript declarations of `otlp-collector/fetch`.
import type { Collector } from 'otlp-collector';

export interface FetchInstrumentationOptions {
  /**
   * Other origins whose requests carry `traceparent` (the page's own origin always does): a
   * string is a URL matching its origin exactly and, with a path, that path and those under
   * it on `/` boundaries; a RegExp is tested on the whole URL.
   */
  propagateTo?: Array<string | RegExp>;
  /** URLs that never carry `traceparent`, even on the page's own origin (e.g. paths that redirect to another origin); rules as `propagateTo`. */
  propagateExcept?: Array<string | RegExp>;
  /** Requests left alone; rules as `propagateTo`. */
  ignoreUrls?: Array<string | RegExp>;
  /**
   * Query parameters whose values `url.full` records as `REDACTED`, beside the signed-URL
   * ones the HTTP semantic conventions name (`AWSAccessKeyId`, `Signature`, `sig`,
   * `X-Goog-Signature`), e.g. `['token', 'api_key']`.
   */
  redactQueryParameters?: string[];
  /** The text recorded as `url.full` (after the redactions above), e.g. the URL without its query string. */
  redactUrl?: (url: string) => string;
}

/** Makes a client span of every `fetch` from now on; returns a function that stops it. */
export function instrumentFetch(collector: Collector, options?: FetchInstrumentationOptions): () => void;
