// TypeScript declarations of `otlp-collector/web-vitals`.
import type { Collector } from 'otlp-collector';

/** Reports TTFB, FCP, LCP, CLS and INP as `browser.web_vital` spans (`browser.web_vital.name`, `.value`, `.delta`, `.id`, `.rating`, `.navigation_type`). */
export function instrumentWebVitals(collector: Collector): void;
