// Automatic spans for uncaught errors: `import { instrumentErrors } from 'otlp-collector/errors'`.
// Nothing here runs until `instrumentErrors(collector)` is called.
//
// Each uncaught `error` and `unhandledrejection` becomes a span named `exception` with an
// error status, `error.type`, and an `exception` event carrying the semantic conventions'
// `exception.type`, `exception.message` and `exception.stacktrace` — a span of its own, so
// it arrives even when nothing else is being traced. Errors of failed resource loads (an
// `<img>` that 404s) do not reach these listeners and are not recorded here.

/** Records uncaught errors and unhandled promise rejections from now on; returns a
 * function that stops it. */
export function instrumentErrors(collector) {
  const scope = globalThis;
  if (typeof scope.addEventListener !== 'function') return () => {};

  function record(thrown, fallbackMessage) {
    try {
      const error = thrown !== undefined && thrown !== null ? thrown : fallbackMessage;
      const type = error && typeof error === 'object' && typeof error.name === 'string' ? error.name : 'Error';
      const message = error && typeof error === 'object' ? error.message : error;
      const span = collector.startSpan('exception', { attributes: { 'error.type': type } });
      span.recordException(error);
      span.setStatus('error', typeof message === 'string' ? message : String(message));
      span.end();
    } catch {
      // Recording an error must not raise another.
    }
  }

  const onError = (event) => record(event.error, event.message);
  const onRejection = (event) => record(event.reason, 'unhandled rejection');
  scope.addEventListener('error', onError);
  scope.addEventListener('unhandledrejection', onRejection);
  return function stop() {
    scope.removeEventListener('error', onError);
    scope.removeEventListener('unhandledrejection', onRejection);
  };
}
