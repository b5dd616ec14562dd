// Draws the spans the receiver got from one service as a waterfall: the latest traces first,
// each span a row indented under its parent, with a bar for when it ran within its trace.

// Nanoseconds since the epoch, as the receiver's JSON gives them (strings), as numbers of ms.
const millis = (nanos) => Number(BigInt(nanos) / 1000n) / 1000;

function spansOf(received, service) {
  return received.requests.flatMap((request) => request.resourceSpans
    .filter((resource) => resource.resource.attributes.some((kv) => kv.key === 'service.name' && kv.value.stringValue === service))
    .flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)));
}

// The spans of one trace in tree order, each with its depth.
function ordered(spans) {
  const children = new Map();
  const ids = new Set(spans.map((span) => span.spanId));
  for (const span of spans) {
    const parent = ids.has(span.parentSpanId) ? span.parentSpanId : '';
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(span);
  }
  const rows = [];
  const visit = (parent, depth) => {
    const list = (children.get(parent) || []).sort((a, b) => millis(a.startTimeUnixNano) - millis(b.startTimeUnixNano));
    for (const span of list) {
      rows.push({ span, depth });
      visit(span.spanId, depth + 1);
    }
  };
  visit('', 0);
  return rows;
}

/** Renders the latest `traces` traces of `service` from the receiver's `/received` JSON. */
export function drawWaterfall(element, received, service, traces = 12) {
  const byTrace = new Map();
  for (const span of spansOf(received, service)) {
    if (!byTrace.has(span.traceId)) byTrace.set(span.traceId, []);
    byTrace.get(span.traceId).push(span);
  }
  const latest = [...byTrace.values()]
    .sort((a, b) => Math.max(...b.map((s) => millis(s.endTimeUnixNano))) - Math.max(...a.map((s) => millis(s.endTimeUnixNano))))
    .slice(0, traces);
  const rows = [];
  for (const spans of latest) {
    const start = Math.min(...spans.map((s) => millis(s.startTimeUnixNano)));
    const end = Math.max(...spans.map((s) => millis(s.endTimeUnixNano)));
    const width = Math.max(end - start, 1);
    for (const { span, depth } of ordered(spans)) {
      const left = ((millis(span.startTimeUnixNano) - start) / width) * 100;
      const length = Math.max(((millis(span.endTimeUnixNano) - millis(span.startTimeUnixNano)) / width) * 100, 0.5);
      const failed = span.status && span.status.code === 2;
      const duration = (millis(span.endTimeUnixNano) - millis(span.startTimeUnixNano)).toFixed(1);
      const name = document.createElement('td');
      name.textContent = `${'\u00a0\u00a0'.repeat(depth)}${span.name}`;
      name.className = failed ? 'failed' : '';
      const bar = document.createElement('td');
      bar.innerHTML = `<div class="bar${failed ? ' failed' : ''}" style="margin-left:${left}%;width:${length}%"></div>`;
      const time = document.createElement('td');
      time.textContent = `${duration} ms`;
      const row = document.createElement('tr');
      row.append(name, bar, time);
      rows.push(row);
    }
    const gap = document.createElement('tr');
    gap.innerHTML = '<td colspan="3" class="gap"></td>';
    rows.push(gap);
  }
  element.replaceChildren(...rows);
}
