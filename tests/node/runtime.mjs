// Loads web/latentlab.js with the built wasm module for node tests.
// The module directory comes from LATENTLAB_WASM_DIR (default: web/build, where scripts/build-wasm
// copies it; build/wasm/bin works too). Emscripten 3.1.6's glue cannot fetch files under Node 20,
// so the .wasm bytes are passed in as wasmBinary.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WASM_DIR = path.resolve(ROOT, process.env.LATENTLAB_WASM_DIR || 'web/build');

const api = await import(pathToFileURL(path.join(ROOT, 'web/latentlab.js')).href);

export const { loadModel, wasmSimdSupported } = api;

export function runtime() {
  const js = path.join(WASM_DIR, 'latentlab_core.js');
  const wasm = path.join(WASM_DIR, 'latentlab_core.wasm');
  if (!fs.existsSync(js) || !fs.existsSync(wasm)) {
    throw new Error(`no wasm build in ${WASM_DIR}: run scripts/build-wasm (or set LATENTLAB_WASM_DIR)`);
  }
  return api.initLatentlab({ moduleUrl: pathToFileURL(js), wasmBinary: fs.readFileSync(wasm) });
}

// Initialise once per test file, before any loadModel (which would otherwise use browser defaults).
export const rt = await runtime();
