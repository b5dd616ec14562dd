// TypeScript declarations of the otlp-collector package: the same API from every entry
// (browsers and bundlers: web/index.js; Node, import or require: node/index.js).
/** An attribute value: a string, number (whole numbers become ints), boolean, or an array of one of those. */
export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];

/** Attributes: key → value. Other values are dropped, counted (`refusedValues`) and reported. */
export type Attributes = Record<string, AttributeValue>;

/** A time: epoch milliseconds, a `performance.now()` value, a Date, or [seconds, nanoseconds]. */
export type TimeInput = number | Date | [number, number];

/** What identifies a span, as OpenTelemetry JS has it. */
export interface SpanContext {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** W3C trace flags (1: sampled). */
  traceFlags: number;
  /** The W3C `tracestate` value, if any. */
  traceState?: string;
  isRemote?: boolean;
}

/** A link to another span. */
export interface Link {
  context: SpanContext;
  attributes?: Attributes;
}

/** A problem the collector reports instead of throwing: `kind` is one of 'invalid-argument', 'ignored-call', 'buffer-full', 'shut-down', 'export-failed', 'rule-failed', 'internal'; `count` how many occurrences it stands for. */
export interface CollectorError extends Error {
  kind: 'invalid-argument' | 'ignored-call' | 'buffer-full' | 'shut-down' | 'export-failed' | 'rule-failed' | 'internal';
  count: number;
}

/** `new Collector(options)`: where and how to export. Every field is optional. */
export interface CollectorOptions {
  /** Full URL of the traces endpoint; default `http://localhost:4318/v1/traces`. No `user:password@`: give credentials in `headers`. */
  endpoint?: string;
  serviceName?: string;
  /** `'http/json'` needs `otlp-collector/json` (or `/rules`, `/opamp`, `/managed`): the main entry writes protobuf only and throws naming the entry. */
  protocol?: 'http/protobuf' | 'http/json';
  /** `'gzip'` needs `otlp-collector/gzip` (or `/json`, `/rules`, `/opamp`, `/managed`): the main entry sends bodies uncompressed and throws naming the entry. */
  compression?: 'gzip' | 'none';
  batchSize?: number;
  batchTimeoutMs?: number;
  maxQueueSize?: number;
  /** The whole request's deadline, the response body included. */
  exportTimeoutMs?: number;
  /** Sent with every export. Refused at construction: headers the exporter sets (framing), `__proto__`, and those browsers will not send from a page (`Cookie`, `Origin`, `Keep-Alive`, `Proxy-*`, `Sec-*`, …). */
  headers?: Record<string, string>;
  resourceAttributes?: Attributes;
  /** The share of new traces recorded, decided on the trace id (0 to 1; default 1); children follow their parent, and a remote parent's decision is honoured. */
  sampleRatio?: number;
  /** Called with each problem (the first of a kind at once, then at most once a second per kind); without it, `console.warn` once per kind. */
  onError?: (error: CollectorError) => void;
  /** `false`: every export — and, when the page is hidden or closed, what is buffered — leaves with ordinary requests instead of `keepalive` ones (by default, those within the browsers' keepalive budget), for embedded Chromium builds that refuse keepalive requests needing a CORS preflight. A closing page may cut those requests off. Default `true`. */
  keepalive?: boolean;
  /** OTTL statements run on each span before it is encoded, in order — the Collector's `transform` processor's, e.g. `delete_key(attributes, "user.email")`. Needs `import { Collector } from 'otlp-collector/rules'`; a statement that does not compile throws here, naming it and the column. */
  transform?: string[];
  /** OTTL conditions: a span matching any is dropped (counted in `stats().filteredOut`) — the Collector's `filter` processor's `traces.span`, e.g. `attributes["url.path"] == "/health"`. Needs `otlp-collector/rules`. */
  dropSpans?: string[];
  /** An OpAMP server that steers this collector — the sampling ratio, the export switch, batch size and timeout, span limits, and with `otlp-collector/managed` the rules — and hears its description, health and effective configuration. Needs `import { Collector } from 'otlp-collector/opamp'` (or `/managed`). `instanceUid`: 32 hex digits; by default one kept in `localStorage`. */
  opamp?: { endpoint: string; headers?: Record<string, string>; pollIntervalMs?: number; instanceUid?: string };
}

/** `startSpan` options. */
export interface SpanOptions {
  /** A name, or OpenTelemetry JS's `SpanKind` number. */
  kind?: 'internal' | 'server' | 'client' | 'producer' | 'consumer' | 0 | 1 | 2 | 3 | 4;
  attributes?: Attributes;
  /** A span, a `traceparent` header value, `{ traceparent, tracestate }` from incoming headers, or a span context. */
  parent?: Span | string | { traceparent: string; tracestate?: string } | SpanContext;
  links?: Link[];
  startTime?: TimeInput;
}

/** The counters: every collected span is exported, dropped (by reason) or still buffered. */
export interface CollectorStats {
  collected: number; exported: number; dropped: number;
  droppedBufferFull: number; droppedExportFailed: number; droppedRetriesExhausted: number;
  droppedRejected: number; droppedTimedOut: number; droppedTooLarge: number;
  droppedShutdown: number; droppedPageUnload: number;
  batches: number; retries: number; bytesSent: number; buffered: number;
  /** Spans whose trace was not sampled (a parent's `traceparent` with flags 00): never exported, outside the invariant. */
  sampledOut: number;
  /** Spans a `dropSpans` condition removed: never exported, outside the invariant. */
  filteredOut: number;
  /** Times a rule failed on a span (the span kept, as the earlier statements left it; reported as 'rule-failed'). */
  ruleErrors: number;
  /** Attribute values and arguments refused (dropped, the call otherwise done). */
  refusedValues: number;
  /** Calls ignored: on ended spans, after `free()`. */
  ignoredCalls: number;
}

/** Collects spans and exports them over OTLP/HTTP with `fetch`. After construction, no method throws. */
export class Collector {
  /** Throws an `Error` naming the option when one is invalid. */
  constructor(options?: CollectorOptions);
  /** Starts a span (now, or at `options.startTime`). */
  startSpan(name: string, options?: SpanOptions): Span;
  /** Exports everything collected so far; resolves to true when all of it was delivered, false otherwise (reported); never rejects. */
  flush(): Promise<boolean>;
  /** Stops accepting spans and exports what is buffered; resolves like `flush`. */
  shutdown(): Promise<boolean>;
  stats(): CollectorStats;
  /** Adds a condition every new trace must meet to be sampled (asked as its root span starts); returns a function that removes it. */
  sampleIf(condition: () => boolean): () => void;
  /** Calls `callback(span)` as each span starts, before its caller gets it (e.g. to set attributes every span carries); returns a function that stops it. */
  onSpanStart(callback: (span: Span) => void): () => void;
  /** Releases the WebAssembly side now instead of when garbage-collected. */
  free(): void;
}

/** A span being recorded; `end()` hands it to its collector. No method throws. */
export interface Span {
  /** Sets one attribute; an existing key is overwritten. */
  setAttribute(key: string, value: AttributeValue): this;
  /** Sets every property of `attributes`. */
  setAttributes(attributes: Attributes): this;
  /** Records an event (now, or at `time`). */
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this;
  /** Links another span. */
  addLink(link: Link): this;
  addLinks(links: Link[]): this;
  /** `ok` is final; `unset` is ignored; `error` takes a message. OpenTelemetry's `{ code, message }` works too. */
  setStatus(code: 'unset' | 'ok' | 'error' | { code: 0 | 1 | 2; message?: string }, message?: string): this;
  updateName(name: string): this;
  /** Records an `exception` event (type, message, stacktrace). */
  recordException(exception: unknown, time?: TimeInput): void;
  /** True until the span ends, if its trace is sampled (an unsampled span records nothing). */
  isRecording(): boolean;
  spanContext(): SpanContext;
  /** The W3C `traceparent` header value, for outgoing requests made within this span. */
  traceparent(): string;
  /** The W3C `tracestate` header value carried from the parent ('' when none). */
  tracestate(): string;
  /** Ends the span (now, or at `endTime`). */
  end(endTime?: TimeInput): void;
}
