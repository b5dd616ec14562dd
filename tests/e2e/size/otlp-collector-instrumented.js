// Every automatic instrumentation on, exporting what it records (tests/e2e/size.mjs).
import { Collector } from 'otlp-collector';
import { instrumentFetch } from 'otlp-collector/fetch';
import { instrumentXhr } from 'otlp-collector/xhr';
import { instrumentErrors } from 'otlp-collector/errors';
import { instrumentDocumentLoad } from 'otlp-collector/document-load';
import { instrumentWebVitals } from 'otlp-collector/web-vitals';
import { instrumentInteractions } from 'otlp-collector/interactions';
import { trackSession } from 'otlp-collector/session';

const collector = new Collector({ endpoint: '/v1/traces', serviceName: 'size' });
trackSession(collector);
instrumentFetch(collector);
instrumentXhr(collector);
instrumentErrors(collector);
instrumentDocumentLoad(collector);
instrumentWebVitals(collector);
instrumentInteractions(collector);
globalThis.collector = collector;
