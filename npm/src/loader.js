// Loads the package's main WebAssembly module in place of the glue wasm-bindgen writes:
// every call into it passes and returns numbers only (texts and lists cross through the
// core's exchange buffer, `Exchange` in exporter.js), so its exports are called as they are
// (module.js makes the handles). npm/build.sh bundles it as `otlp-collector-wasm` for that
// module and `/gzip`'s; the modules of `/json`, `/rules` and `/opamp`, whose other crossings
// still pass texts, keep wasm-bindgen's glue, whose initialisers have the same shape.

let wasm;

// What the module may import, by the name wasm-bindgen gives each (`__wbg_<name>_<hash>`,
// read without its affixes). A module that imports anything else is refused as it loads.
const IMPORTS = {
  now: () => Date.now(),
  random: () => Math.random(),
  // A panic's message (the module aborts on a panic, so this is the last it says).
  __wbindgen_throw(address, length) {
    throw new Error(new TextDecoder().decode(new Uint8Array(wasm.memory.buffer, address, length)));
  },
  // No JavaScript value crosses into these modules, so their table of them stays empty.
  __wbindgen_init_externref_table() {},
};

function importsOf(module) {
  const given = {};
  for (const { module: from, name } of WebAssembly.Module.imports(module)) {
    const own = IMPORTS[name.replace(/^__wbg_|_[0-9a-f]{16}$/g, '')];
    if (own === undefined) throw new Error(`otlp-collector: the WebAssembly module imports ${from} ${name}, which its loader does not provide`);
    (given[from] ??= {})[name] = own;
  }
  return given;
}

function ready(instance) {
  wasm = instance.exports;
  wasm.__wbindgen_start();
  return wasm;
}

/** Instantiates the module from its bytes or compiled module (Node), once. */
export function initSync({ module }) {
  if (wasm !== undefined) return wasm;
  const compiled = module instanceof WebAssembly.Module ? module : new WebAssembly.Module(module);
  return ready(new WebAssembly.Instance(compiled, importsOf(compiled)));
}

let loading;

/** Fetches and instantiates the module beside this file (browsers, workers, bundlers), once. */
export default function init() {
  loading ??= (async () => {
    // Bundlers see this `new URL(…, import.meta.url)` and emit the file.
    const response = fetch(new URL('otlp_collector_bg.wasm', import.meta.url));
    let compiled;
    try {
      compiled = await WebAssembly.compileStreaming(response);
    } catch {
      // A server that does not send `application/wasm`: compiled from the bytes instead.
      const answer = await response;
      if (!answer.ok) throw new Error(`otlp-collector: fetching ${answer.url} failed: HTTP ${answer.status}`);
      compiled = await WebAssembly.compile(await answer.arrayBuffer());
    }
    return wasm ?? ready(await WebAssembly.instantiate(compiled, importsOf(compiled)));
  })();
  // A failed load may be tried again.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
