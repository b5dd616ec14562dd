// One page, two libraries, the same workload: the cost of a span (start, 4 attributes,
// end) with otlp-collector and with the OpenTelemetry JS web SDK (WebTracerProvider,
// BatchSpanProcessor, OTLP/HTTP exporter, default settings), rounds alternating.
import { Collector } from 'otlp-collector';
import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

const params = new URLSearchParams(location.search);
const rounds = Number(params.get('rounds') ?? 30);
const perRound = Number(params.get('spans') ?? 2000);
const endpoint = new URL('/v1/traces', location.href).href;

const collector = new Collector({ endpoint, serviceName: 'bench-otlp-collector' });
const provider = new WebTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bench-otel-js' }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
});
const tracer = provider.getTracer('bench');

const contenders = {
  otlpCollector: {
    span(i) {
      const span = collector.startSpan('op');
      span.setAttribute('i', i);
      span.setAttribute('user.id', 'user-1234');
      span.setAttribute('http.method', 'GET');
      span.setAttribute('ok', true);
      span.end();
    },
    // stats() first collects the records ended spans left for Rust (otherwise a microtask
    // does it once the loop returns): the span's whole cost on the page's thread.
    handOver: () => collector.stats(),
    flush: () => collector.flush(),
    samples: [],
    handOverSamples: [],
  },
  otelJs: {
    span(i) {
      const span = tracer.startSpan('op');
      span.setAttribute('i', i);
      span.setAttribute('user.id', 'user-1234');
      span.setAttribute('http.method', 'GET');
      span.setAttribute('ok', true);
      span.end();
    },
    handOver: () => {},
    flush: () => provider.forceFlush(),
    samples: [],
    handOverSamples: [],
  },
};

// `?only=<name>` runs one contender once `window.go()` is called, so bench.mjs can profile
// the page's thread for it alone.
const only = params.get('only');
const running = only ? [contenders[only]] : Object.values(contenders);
if (only) await new Promise((resolve) => { window.go = resolve; });

for (let round = 0; round < rounds; round++) {
  for (const contender of running) {
    const start = performance.now();
    for (let i = 0; i < perRound; i++) contender.span(i);
    const ended = performance.now();
    contender.handOver();
    const handedOver = performance.now();
    contender.samples.push(((ended - start) * 1000) / perRound);
    contender.handOverSamples.push(((handedOver - start) * 1000) / perRound);
    await contender.flush();
  }
}

// The first rounds warm the JIT; report the median of the rest.
const median = (samples) => {
  const measured = samples.slice(Math.min(5, samples.length - 1)).sort((a, b) => a - b);
  return Number(measured[Math.floor(measured.length / 2)].toFixed(3));
};
const summary = () => {
  const ours = median(contenders.otlpCollector.samples);
  const oursHandedOver = median(contenders.otlpCollector.handOverSamples);
  const theirs = median(contenders.otelJs.samples);
  return {
    spansEach: rounds * perRound,
    otlpCollectorUsPerSpan: ours,
    otlpCollectorUsPerSpanWithHandOver: oursHandedOver,
    otelJsUsPerSpan: theirs,
    otelJsOverOtlpCollector: Number((theirs / ours).toFixed(2)),
    otelJsOverOtlpCollectorWithHandOver: Number((theirs / oursHandedOver).toFixed(2)),
    otlpCollectorStats: collector.stats(),
  };
};
window.benchResult = only ? { spans: rounds * perRound } : summary();
