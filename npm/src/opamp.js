// The module of `otlp-collector/opamp` (and, with the rules engine, `/managed`): the
// package's module with the OpAMP agent (src/js_api/opamp.rs), which an OpAMP server steers
// — the option `opamp: { endpoint, headers, pollIntervalMs, instanceUid }`. The agent
// writes each message and reads each answer; this file only posts them (with the
// exporter's bounded `fetch`) and waits, and hands the sampling ratio in force to the
// collector.

import { openOpamp } from 'otlp-collector-wasm';
import { postBody } from 'otlp-collector-exporter';
import { useOpamp } from './collector.js';
import { checkEndpoint, checkHeaders, isObject, optionError } from './options.js';
import { describe } from './values.js';

// An answer holds a configuration of at most 64 KiB and its envelope.
const MAX_ANSWER_BYTES = 128 * 1024;
const DEFAULT_POLL_INTERVAL_MS = 30000;
// How long shutdown() waits for the goodbye to reach the server.
const GOODBYE_MS = 2000;
// Where a page keeps its instance uid, so a reload is the same agent to the server.
const UID_KEY = 'otlp-collector.opamp.instance-uid';

// A random UUIDv7 (RFC 9562): the time in milliseconds, then random bits.
function uuidV7() {
  const uid = new Uint8Array(16);
  crypto.getRandomValues(uid);
  let time = Date.now();
  for (let i = 5; i >= 0; i--) {
    uid[i] = time % 256;
    time = Math.floor(time / 256);
  }
  uid[6] = 0x70 | (uid[6] & 0x0f);
  uid[8] = 0x80 | (uid[8] & 0x3f);
  return uid;
}

const hex = (bytes) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

function fromHex(text) {
  const digits = typeof text === 'string' ? text.replace(/-/g, '') : '';
  if (!/^[0-9a-fA-F]{32}$/.test(digits)) return null;
  return Uint8Array.from(digits.match(/../g), (pair) => parseInt(pair, 16));
}

// The instance uid: given, or the page's (localStorage, when there is one), or new.
function instanceUid(given) {
  if (given !== undefined && given !== null) {
    const uid = fromHex(given);
    if (uid === null) throw optionError(`option opamp.instanceUid must be 32 hexadecimal digits (a UUID), got ${describe(given)}`);
    return uid;
  }
  let storage = null;
  try {
    storage = typeof localStorage === 'object' ? localStorage : null;
  } catch {
    // A sandboxed page may not touch storage: a new uid per page load then.
  }
  const stored = storage && fromHex(storage.getItem(UID_KEY));
  if (stored) return stored;
  const uid = uuidV7();
  try {
    if (storage) storage.setItem(UID_KEY, hex(uid));
  } catch {
    // Full or refused: the uid is for this page load only.
  }
  return uid;
}

// Posts the agent's messages and hands it the answers.
class Poller {
  constructor(agent, settings, collector, timeoutMs) {
    this._agent = agent;
    this._endpoint = settings.endpoint;
    this._headers = settings.headers;
    this._collector = collector;
    this._timeoutMs = timeoutMs;
    this._stopped = false;
    this._timer = null;
    this._schedule(0);
  }

  _schedule(ms) {
    this._timer = setTimeout(() => this._poll(), ms);
    // Polling alone does not keep Node running.
    if (typeof this._timer === 'object' && typeof this._timer.unref === 'function') this._timer.unref();
  }

  async _poll() {
    this._timer = null;
    let wait;
    try {
      const body = this._agent.message(false);
      const [status, retryAfter, , answer] = await postBody(this._endpoint, this._headers, this._timeoutMs, body, false, MAX_ANSWER_BYTES);
      if (this._stopped) return;
      wait = status >= 200 && status <= 299 ? this._agent.receive(answer) : this._agent.sendFailed(retryAfter);
      this._collector._setSampleRatio(this._agent.sampleRatio());
    } catch (error) {
      if (this._stopped) return;
      this._collector._internal(error);
      wait = this._agent.sendFailed(-1);
    }
    if (!this._stopped) this._schedule(wait);
  }

  // Stops polling and says goodbye; resolves when the server has it (at most GOODBYE_MS).
  stop() {
    if (this._stopped) return Promise.resolve();
    this._stopped = true;
    clearTimeout(this._timer);
    const goodbye = this._agent.message(true);
    return postBody(this._endpoint, this._headers, GOODBYE_MS, goodbye, true, 0).then(() => this._agent.free());
  }

  // Stops polling without a word (the collector is freed).
  cancel() {
    if (this._stopped) return;
    this._stopped = true;
    clearTimeout(this._timer);
    this._agent.free();
  }
}

useOpamp({
  // The option, checked before anything is made.
  read(value) {
    if (!isObject(value)) {
      throw optionError(`option opamp must be an object { endpoint, headers, pollIntervalMs, instanceUid }, got ${describe(value)}`);
    }
    const endpoint = checkEndpoint('opamp.endpoint', value.endpoint);
    const interval = value.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (!Number.isSafeInteger(interval) || interval < 1) {
      throw optionError(`option opamp.pollIntervalMs must be a positive whole number, got ${describe(interval)}`);
    }
    const headers = checkHeaders('opamp.headers', isObject(value.headers) ? Object.entries(value.headers) : []);
    headers.push(['content-type', 'application/x-protobuf']);
    return { endpoint, headers, interval, uid: instanceUid(value.instanceUid) };
  },
  // Starts the agent of `collector`, whose options were `options`.
  start(collector, intake, settings, options) {
    const join = (list) => (Array.isArray(list) ? list.filter((rule) => typeof rule === 'string').join('\0') : '');
    const agent = openOpamp(
      intake.address, settings.uid, options.sampleRatio, settings.interval, options.endpoint,
      options.headers.map(([name]) => name).join('\0'), join(options.rules[0]), join(options.rules[1]),
    );
    return new Poller(agent, settings, collector, options.exportTimeoutMs);
  },
});

export { default, initSync, Collector } from './index.js';
