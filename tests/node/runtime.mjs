// Loads web/latentlab.js with the built (default) wasm module for node tests; wasm_files.mjs says
// where it is found. Node's fetch cannot read files, so the .wasm bytes are passed in as wasmBinary.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ROOT, WASM_DIR, wasmFiles } from './wasm_files.mjs';

export { ROOT, WASM_DIR };

const api = await import(pathToFileURL(path.join(ROOT, 'web/latentlab.js')).href);

export const { loadModel, wasmSimdSupported } = api;

export function runtime() {
  return api.initLatentlab(wasmFiles('latentlab_core'));
}

// Initialise once per test file, before any loadModel (which would otherwise use browser defaults).
export const rt = await runtime();
