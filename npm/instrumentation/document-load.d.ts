// TypeScript declarations of `otlp-collector/document-load`.
import type { Collector } from 'otlp-collector';

/** Records the page load (`documentLoad`, `documentFetch` and `resourceFetch` spans from the browser's timings) once it has finished. */
export function instrumentDocumentLoad(collector: Collector, options?: { redactQueryParameters?: string[]; redactUrl?: (url: string) => string }): void;
