// Measures the cost of one span (startSpan, 4 setAttribute calls, end) in this browser.
// Exports happen between rounds (awaited flush), outside the timed region.
import init, { Collector } from './pkg/otlp_collector.js';

await init();
const params = new URLSearchParams(location.search);
const rounds = Number(params.get('rounds') ?? 30);
const perRound = Number(params.get('spans') ?? 2000);
const collector = new Collector({
  endpoint: new URL('/v1/traces', location.href).href,
  serviceName: 'bench',
  batchSize: 512,
  maxQueueSize: perRound,
});

const samples = [];
for (let round = 0; round < rounds; round++) {
  const start = performance.now();
  for (let i = 0; i < perRound; i++) {
    const span = collector.startSpan('op');
    span.setAttribute('i', i);
    span.setAttribute('user.id', 'user-1234');
    span.setAttribute('http.method', 'GET');
    span.setAttribute('ok', true);
    span.end();
  }
  samples.push(((performance.now() - start) * 1000) / perRound);
  await collector.flush();
}
// The first rounds warm the JIT; report the median of the rest.
const measured = samples.slice(Math.min(5, rounds - 1)).sort((a, b) => a - b);
const median = measured[Math.floor(measured.length / 2)];
const stats = collector.stats();
const result = { usPerSpan: Number(median.toFixed(3)), spans: rounds * perRound, exported: stats.exported, dropped: stats.dropped };
document.getElementById('result').textContent = JSON.stringify(result);
window.benchResult = result;
