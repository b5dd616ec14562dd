// TypeScript declarations of `otlp-collector/session`.
import type { Collector } from 'otlp-collector';

export interface SessionOptions {
  /** Where the session is kept: 'session' (one per tab, the default) or 'local' (shared by the origin's tabs). */
  storage?: 'session' | 'local';
  /** A session ends after this long without a span; default 15 minutes. */
  inactivityMs?: number;
  /** ...or after this long in all; default 4 hours. */
  maxDurationMs?: number;
  /** The share of sessions whose traces are recorded, decided as each starts (0 to 1; default 1). */
  sampleRate?: number;
}

/** Sets `session.id` (and `session.previous_id` on the first span of a renewed session) on every span from now on; returns a function that stops it. */
export function trackSession(collector: Collector, options?: SessionOptions): () => void;
