// The main-thread cost of automatic instrumentation (tests/e2e/bench-instrumented.mjs): a
// page with 50 images that then makes 200 fetches, with otlp-collector and every one of its
// instrumentations, with the OpenTelemetry JS web SDK and its equivalent set, or with
// neither (the page's own cost). `window.go()` runs the fetches and flushes.
const { lib } = window.benchPage;
const endpoint = new URL('/v1/traces', location.href).href;

async function setUp() {
  if (lib === 'otlp-collector') {
    const { Collector } = await import('otlp-collector');
    const { instrumentFetch } = await import('otlp-collector/fetch');
    const { instrumentXhr } = await import('otlp-collector/xhr');
    const { instrumentErrors } = await import('otlp-collector/errors');
    const { instrumentDocumentLoad } = await import('otlp-collector/document-load');
    const { instrumentWebVitals } = await import('otlp-collector/web-vitals');
    const { instrumentInteractions } = await import('otlp-collector/interactions');
    const { trackSession } = await import('otlp-collector/session');
    const collector = new Collector({ endpoint, serviceName: 'instrumented-otlp-collector' });
    trackSession(collector);
    instrumentFetch(collector);
    instrumentXhr(collector);
    instrumentErrors(collector);
    instrumentDocumentLoad(collector);
    instrumentWebVitals(collector);
    instrumentInteractions(collector);
    return () => collector.flush();
  }
  if (lib === 'otel-js') {
    const { WebTracerProvider } = await import('@opentelemetry/sdk-trace-web');
    const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const { resourceFromAttributes } = await import('@opentelemetry/resources');
    const { ZoneContextManager } = await import('@opentelemetry/context-zone');
    const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
    const { FetchInstrumentation } = await import('@opentelemetry/instrumentation-fetch');
    const { XMLHttpRequestInstrumentation } = await import('@opentelemetry/instrumentation-xml-http-request');
    const { DocumentLoadInstrumentation } = await import('@opentelemetry/instrumentation-document-load');
    const { UserInteractionInstrumentation } = await import('@opentelemetry/instrumentation-user-interaction');
    const provider = new WebTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'instrumented-otel-js' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))],
    });
    provider.register({ contextManager: new ZoneContextManager() });
    registerInstrumentations({
      instrumentations: [new FetchInstrumentation(), new XMLHttpRequestInstrumentation(),
        new DocumentLoadInstrumentation(), new UserInteractionInstrumentation()],
    });
    return () => provider.forceFlush();
  }
  return async () => {};
}

const flush = await setUp();
window.go = async () => {
  for (let i = 0; i < 200; i++) await (await fetch(`item.json?i=${i}`)).json();
  // OpenTelemetry JS ends a fetch span up to 300 ms after the response, once it has found
  // its resource timing: wait for the last ones before flushing (idle time, not counted).
  await new Promise((resolve) => setTimeout(resolve, 600));
  await flush();
  window.benchResult = { lib };
};
