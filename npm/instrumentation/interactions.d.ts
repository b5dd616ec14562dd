// TypeScript declarations of `otlp-collector/interactions`.
import type { Collector } from 'otlp-collector';

/** Records clicks and form submissions (or the `events` given) as spans, parents of the requests their handlers make; returns a function that stops it. */
export function instrumentInteractions(collector: Collector, options?: { events?: string[] }): () => void;
