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
    flush: () => collector.flush(),
    samples: [],
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
    flush: () => provider.forceFlush(),
    samples: [],
  },
};

for (let round = 0; round < rounds; round++) {
  for (const contender of Object.values(contenders)) {
    const start = performance.now();
    for (let i = 0; i < perRound; i++) contender.span(i);
    contender.samples.push(((performance.now() - start) * 1000) / perRound);
    await contender.flush();
  }
}

// The first rounds warm the JIT; report the median of the rest.
const median = (samples) => {
  const measured = samples.slice(Math.min(5, samples.length - 1)).sort((a, b) => a - b);
  return Number(measured[Math.floor(measured.length / 2)].toFixed(3));
};
const ours = median(contenders.otlpCollector.samples);
const theirs = median(contenders.otelJs.samples);
window.benchResult = {
  spansEach: rounds * perRound,
  otlpCollectorUsPerSpan: ours,
  otelJsUsPerSpan: theirs,
  otelJsOverOtlpCollector: Number((theirs / ours).toFixed(2)),
  otlpCollectorStats: collector.stats(),
};
