// The options of `new Collector(options)`: their defaults, the rules they must meet, and
// `readOptions`, which checks them — throwing an Error that names a bad one, the only
// throw of the package — and returns the snapshot the collector is made from.

import { redactPasswords } from 'otlp-collector-exporter';
import { describe, attributeValue } from './values.js';

// The defaults of the options (config/mod.rs has the same).
const DEFAULTS = {
  endpoint: 'http://localhost:4318/v1/traces',
  maxQueueSize: 2048,
  batchSize: 512,
  batchTimeoutMs: 5000,
  exportTimeoutMs: 10000,
};
const MAX_QUEUE_SIZE_LIMIT = 1 << 20;
export const FLUSH_TIMEOUT_MS = 30000;
export const SHUTDOWN_TIMEOUT_MS = 30000;
// Headers the exporter sets itself: they frame the request body.
const FRAMING_HEADERS = [
  'content-length', 'content-type', 'content-encoding', 'transfer-encoding',
  'host', 'connection', 'te', 'upgrade',
];
// Headers a browser refuses to send from a page (the Fetch standard's forbidden request
// headers): accepted, they would vanish without a word. Refused everywhere, Node included,
// so an option means the same in every runtime.
const FORBIDDEN_HEADERS = [
  'accept-charset', 'accept-encoding', 'access-control-request-headers',
  'access-control-request-method', 'access-control-request-private-network', 'cookie', 'cookie2',
  'date', 'dnt', 'expect', 'keep-alive', 'origin', 'referer', 'set-cookie', 'trailer', 'via',
];
const FORBIDDEN_HEADER_PREFIXES = ['proxy-', 'sec-'];
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

export function optionError(message) {
  return new Error(`otlp-collector: ${message}`);
}

export function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks the options of `new Collector(options)`, throwing an Error that names a bad one;
 * returns a snapshot of them — each option is read once, here, so a getter cannot answer
 * one thing to the check and another to the collector — with `core`, the settings the
 * WebAssembly core is made from. */
// `endpoint` (the option `key`) if it is an absolute http(s) URL without credentials.
export function checkEndpoint(key, endpoint) {
  let url = null;
  try {
    url = new URL(endpoint);
  } catch {
    // Reported below.
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || !/^https?:\/\//.test(endpoint)) {
    throw optionError(`option ${key} '${redactPasswords(String(endpoint))}' is not a usable URL: it must be an absolute http:// or https:// URL`);
  }
  if (url.username !== '' || url.password !== '') {
    throw optionError(`option ${key} '${redactPasswords(endpoint)}' holds credentials, which fetch refuses to send from a URL: give them in the headers option instead (e.g. headers: { Authorization: 'Basic …' })`);
  }
  return endpoint;
}

// The [name, value] pairs of the option `key` as headers a page may send, checked.
export function checkHeaders(key, pairs) {
  const headers = [];
  for (const [name, value] of pairs) {
    if (typeof value !== 'string') throw optionError(`option ${key}.${name} must be a string`);
    const lower = name.toLowerCase();
    const problem = !HEADER_NAME.test(name) || lower === '__proto__'
      ? "names may hold only letters, digits and !#$%&'*+-.^_`|~ (and not __proto__)"
      : FRAMING_HEADERS.includes(lower)
        ? 'the exporter sets this header itself (it frames the request body)'
        : FORBIDDEN_HEADERS.includes(lower) || FORBIDDEN_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix))
          ? 'browsers refuse to send it from a page (a forbidden request header)'
          : !HEADER_VALUE.test(value) ? 'values may hold only printable ASCII and tabs' : null;
    if (problem !== null) throw optionError(`option ${key}: header '${name}' is invalid: ${problem}`);
    headers.push([name, value]);
  }
  return headers;
}

export function readOptions(options) {
  if (options === undefined || options === null) options = {};
  if (!isObject(options)) {
    throw optionError("Collector options must be an object, e.g. { endpoint: 'http://localhost:4318/v1/traces' }");
  }
  // Every option, read once.
  const given = {};
  for (const key of ['endpoint', 'serviceName', 'protocol', 'compression', 'maxQueueSize', 'batchSize',
    'batchTimeoutMs', 'exportTimeoutMs', 'headers', 'resourceAttributes', 'sampleRatio', 'onError',
    'transform', 'dropSpans', 'opamp', 'keepalive']) {
    given[key] = options[key];
  }
  const text = (key, choices) => {
    const value = given[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw optionError(`option ${key} must be a string`);
    if (choices && !choices.includes(value)) {
      throw optionError(`option ${key} must be '${choices.join("' or '")}', got ${describe(value)}`);
    }
    return value;
  };
  const count = (key) => {
    const value = given[key];
    if (value === undefined || value === null) return DEFAULTS[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw optionError(`option ${key} must be a positive whole number, got ${describe(value)}`);
    }
    return value;
  };
  // Own enumerable [key, value] pairs, each value read once.
  const entries = (key) => {
    const value = given[key];
    if (value === undefined || value === null) return [];
    if (!isObject(value)) throw optionError(`option ${key} must be an object`);
    return Object.entries(value);
  };
  const endpoint = checkEndpoint('endpoint', text('endpoint') ?? DEFAULTS.endpoint);
  const serviceName = text('serviceName');
  const protocol = text('protocol', ['http/protobuf', 'http/json']);
  const compression = text('compression', ['gzip', 'none']);
  const maxQueueSize = count('maxQueueSize');
  const batchSize = count('batchSize');
  const batchTimeoutMs = count('batchTimeoutMs');
  const exportTimeoutMs = count('exportTimeoutMs');
  if (maxQueueSize > MAX_QUEUE_SIZE_LIMIT) {
    throw optionError(`option maxQueueSize (${maxQueueSize}) must be at most ${MAX_QUEUE_SIZE_LIMIT}`);
  }
  if (batchSize > maxQueueSize) {
    throw optionError(`option batchSize (${batchSize}) must not exceed maxQueueSize (${maxQueueSize})`);
  }
  const headers = checkHeaders('headers', entries('headers'));
  const resource = [];
  if (serviceName !== undefined) resource.push('service.name', serviceName);
  for (const [key, value] of entries('resourceAttributes')) {
    const checked = attributeValue(value);
    if (checked === undefined) {
      throw optionError(`attribute ${key} must be a string, number, boolean or an array of those, got ${describe(value)}`);
    }
    resource.push(key, checked);
  }
  const ratio = given.sampleRatio;
  if (ratio !== undefined && ratio !== null && !(typeof ratio === 'number' && ratio >= 0 && ratio <= 1)) {
    throw optionError(`option sampleRatio must be a number from 0 to 1, got ${describe(ratio)}`);
  }
  const onError = given.onError;
  if (onError !== undefined && onError !== null && typeof onError !== 'function') {
    throw optionError(`option onError must be a function, got ${describe(onError)}`);
  }
  const keepalive = given.keepalive ?? true;
  if (typeof keepalive !== 'boolean') {
    throw optionError(`option keepalive must be true or false, got ${describe(keepalive)}`);
  }
  const json = protocol === 'http/json';
  const gzip = compression === 'gzip';
  return {
    // What the core is made from: openCollector's arguments (src/js_api/open.rs), in this
    // order (js_boundary::SETTINGS names them).
    core: [maxQueueSize, batchSize, batchTimeoutMs, exportTimeoutMs, json, gzip],
    endpoint, headers, resource, json, gzip, maxQueueSize, exportTimeoutMs,
    sampleRatio: ratio ?? 1, onError, keepalive,
    // OTTL rules, as given: the module of `otlp-collector/rules` checks and compiles them
    // (npm/src/rules.js), so the main entry carries no code for them.
    rules: [given.transform, given.dropSpans],
    // Checked by the module of `otlp-collector/opamp` (npm/src/opamp.js).
    opamp: given.opamp,
  };
}
