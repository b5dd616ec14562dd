// TypeScript declarations of `otlp-collector/errors`.
import type { Collector } from 'otlp-collector';

/** Records uncaught errors and unhandled promise rejections as `exception` spans from now on; returns a function that stops it. */
export function instrumentErrors(collector: Collector): () => void;
