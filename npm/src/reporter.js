/**
 * Reports problems to the application instead of throwing them into it: through the
 * `onError` option, called with an `Error` whose `kind` names the problem and `count` says
 * how many occurrences it stands for — at once for the first of a kind, then at most once a
 * second per kind — or, without one, `console.warn` once per kind. A throwing `onError`
 * is ignored.
 */
export class Reporter {
  constructor(onError) {
    this._onError = typeof onError === 'function' ? onError : null;
    this._interval = this._onError ? 1000 : Infinity;
    // kind → { at: time of the last report, held: occurrences not reported since }
    this._kinds = new Map();
  }

  report(kind, message) {
    try {
      const now = Date.now();
      let state = this._kinds.get(kind);
      if (state === undefined) {
        state = { at: -Infinity, held: 0 };
        this._kinds.set(kind, state);
      }
      state.held++;
      if (now - state.at < this._interval) return;
      const count = state.held;
      state.at = now;
      state.held = 0;
      const error = new Error(`otlp-collector: ${message}`);
      error.kind = kind;
      error.count = count;
      if (this._onError) this._onError(error);
      else if (typeof console !== 'undefined') console.warn(`${error.message} (reported once)`);
    } catch {
      // A reporter must not become the problem.
    }
  }
}
