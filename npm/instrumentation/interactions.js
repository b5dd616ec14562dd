// User interactions as spans (opt-in): `import { instrumentInteractions } from 'otlp-collector/interactions'`.
//
// Each click or form submission becomes a span named after the event (`click`, `submit`)
// with `event_type`, `target_element` and `target_xpath` (the attributes OpenTelemetry JS's
// user-interaction instrumentation records). While the event's task runs — its handlers and
// the microtasks they queue — the span is the current one: requests the fetch and XHR
// instrumentations see then become its children, so a trace shows what a click caused.

// The span requests made now belong to (http.js reads the same symbol).
const ACTIVE = Symbol.for('otlp-collector.active-span');

// `text` as an XPath 1.0 string literal, which has no escapes: in the quotes it does not
// hold, or pieces joined by concat() when it holds both.
function literal(text) {
  if (!text.includes('"')) return `"${text}"`;
  if (!text.includes("'")) return `'${text}'`;
  return `concat(${text.split('"').map((piece) => `"${piece}"`).join(`, '"', `)})`;
}

// An XPath to `element`, by id where it has one.
function xpath(element) {
  const steps = [];
  for (let node = element; node && node.nodeType === 1; node = node.parentNode) {
    if (node.id) {
      steps.unshift(`//*[@id=${literal(node.id)}]`);
      return steps.join('/');
    }
    let index = 1;
    for (let sibling = node.previousElementSibling; sibling; sibling = sibling.previousElementSibling) {
      if (sibling.nodeName === node.nodeName) index++;
    }
    steps.unshift(`${node.nodeName.toLowerCase()}[${index}]`);
  }
  return `/${steps.join('/')}`;
}

/** Records clicks and submissions (or the `events` given) as spans; returns a function that stops it. */
export function instrumentInteractions(collector, options = {}) {
  const scope = globalThis;
  const document = scope.document;
  if (!document) return () => {};
  const events = Array.isArray(options.events) ? options.events : ['click', 'submit'];

  function interaction(event) {
    try {
      const target = event.target && event.target.nodeType === 1 ? event.target : null;
      const span = collector.startSpan(event.type, {
        attributes: {
          event_type: event.type,
          target_element: target ? target.tagName : '',
          target_xpath: target ? xpath(target) : '',
        },
      });
      scope[ACTIVE] = span;
      // A timer runs after this task and every microtask it queued.
      setTimeout(() => {
        if (scope[ACTIVE] === span) scope[ACTIVE] = undefined;
        span.end();
      });
    } catch {
      // An interaction not recorded is no reason to disturb it.
    }
  }

  // Capturing, on the document: before the page's own handlers run.
  for (const type of events) document.addEventListener(type, interaction, true);
  return function stop() {
    for (const type of events) document.removeEventListener(type, interaction, true);
  };
}
