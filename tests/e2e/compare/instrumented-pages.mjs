// The pages of the instrumentation benchmarks (bench-instrumented.mjs, trace-instrumented.mjs):
// instrumented.js bundled by webpack into `output`, 50 small images, the JSON the page
// fetches, and one page per variant (`none`, `otlp-collector`, `otel-js`).
import path from 'node:path';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { bundle } from '../harness.mjs';

export async function preparePages(output) {
  await rm(output, { recursive: true, force: true });
  await bundle({
    entry: path.join(import.meta.dirname, 'instrumented.js'),
    outputDir: output,
    publicPath: '/compare-instrumented/',
    filename: 'page.js',
  });
  await mkdir(output, { recursive: true });
  await writeFile(path.join(output, 'item.json'), JSON.stringify({ id: 1, name: 'item', price: 9.99 }));
  const images = [];
  for (let i = 0; i < 50; i++) {
    await writeFile(path.join(output, `image-${i}.svg`),
      `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="#${(i * 5).toString(16).padStart(3, '0')}"/></svg>`);
    images.push(`<img src="image-${i}.svg" alt="">`);
  }
  for (const lib of ['none', 'otlp-collector', 'otel-js']) {
    await writeFile(path.join(output, `${lib}.html`), `<!doctype html><meta charset="utf-8"><title>${lib}</title>
${images.join('')}
<script>window.benchPage = { lib: ${JSON.stringify(lib)} };</script>
<script src="/compare-instrumented/page.js"></script>`);
  }
}
