// A session id on every span: `import { trackSession } from 'otlp-collector/session'`.
//
// `session.id` (semantic conventions) is a random id kept in `sessionStorage` — one per tab,
// surviving reloads — or, with `storage: 'local'`, in `localStorage`, shared by the tabs of
// the origin. A session ends after 15 minutes without a span or 4 hours in all (the limits
// Grafana Faro and Splunk RUM use); the first span of the next one also carries
// `session.previous_id`. Where storage is unavailable (blocked, Node, workers without it)
// the session lives as long as the page.
//
// With `sampleRate`, whole sessions are sampled or not (decided when each starts), so a
// sampled session is complete: the traces started in an unsampled one record nothing.

const KEY = 'otlp-collector.session';
// The ids we make: 32 lowercase hex digits. A stored id of any other shape (markup, a
// megabyte) is not ours and is not put on spans.
const SESSION_ID = /^[0-9a-f]{32}$/;
// How far in the future a stored time may be (clocks of tabs differ a little); a session
// saved later than that (`1e999`, a clock set back) would never expire.
const CLOCK_SKEW_MS = 60 * 1000;
// How often the last activity is written back at most: storage writes are synchronous.
const WRITE_INTERVAL_MS = 1000;

function randomId() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function openStorage(kind) {
  try {
    const storage = kind === 'local' ? globalThis.localStorage : globalThis.sessionStorage;
    return storage || null;
  } catch {
    return null;
  }
}

/**
 * Sets `session.id` on every span the collector starts from now on; returns a function that
 * stops it. Options: `storage` ('session', the default, or 'local'), `inactivityMs`
 * (15 minutes), `maxDurationMs` (4 hours), `sampleRate` (the share of sessions whose traces
 * are recorded; 1, all, by default).
 */
export function trackSession(collector, options = {}) {
  const storage = openStorage(options.storage);
  const inactivityMs = options.inactivityMs > 0 ? options.inactivityMs : 15 * 60 * 1000;
  const maxDurationMs = options.maxDurationMs > 0 ? options.maxDurationMs : 4 * 60 * 60 * 1000;
  const sampleRate = options.sampleRate >= 0 && options.sampleRate <= 1 ? options.sampleRate : 1;
  let session = null;
  let writtenAt = 0;
  let previousId = null;

  // The stored session, if it is one we could have written by `now`.
  function load(now) {
    try {
      const text = storage.getItem(KEY);
      if (typeof text !== 'string' || text.length > 256) return null;
      const saved = JSON.parse(text);
      const time = (value) => typeof value === 'number' && Number.isFinite(value) && value > 0
        && value <= now + CLOCK_SKEW_MS;
      if (saved && typeof saved.id === 'string' && SESSION_ID.test(saved.id)
        && time(saved.startedAt) && time(saved.activeAt) && saved.activeAt >= saved.startedAt) {
        return { id: saved.id, startedAt: saved.startedAt, activeAt: saved.activeAt, sampled: saved.sampled !== false };
      }
    } catch {
      // Missing, unreadable or blocked: a new session.
    }
    return null;
  }

  function save(now) {
    writtenAt = now;
    try {
      if (storage) storage.setItem(KEY, JSON.stringify(session));
    } catch {
      // Full or blocked storage: the session lives in this page.
    }
  }

  // The session a span starting `now` belongs to, renewed when it has expired.
  function current(now) {
    // Another tab may have renewed or extended a shared session.
    if (storage && (session === null || now - writtenAt >= WRITE_INTERVAL_MS)) session = load(now) || session;
    const expired = session !== null
      && (now - session.activeAt > inactivityMs || now - session.startedAt > maxDurationMs);
    if (session === null || expired) {
      previousId = session && session.id;
      session = { id: randomId(), startedAt: now, activeAt: now, sampled: Math.random() < sampleRate };
      save(now);
    } else {
      session.activeAt = now;
      if (now - writtenAt >= WRITE_INTERVAL_MS) save(now);
    }
    return session;
  }

  // Sessions saved before sampling existed count as sampled.
  const stopSampling = collector.sampleIf(() => current(Date.now()).sampled !== false);
  const stopMarking = collector.onSpanStart((span) => {
    span.setAttribute('session.id', current(Date.now()).id);
    if (previousId !== null) {
      span.setAttribute('session.previous_id', previousId);
      previousId = null;
    }
  });
  return function stop() {
    stopSampling();
    stopMarking();
  };
}
