// Where the node tests find the built wasm module, without instantiating it (runtime.mjs does that
// for the default module; trainer.test.mjs instantiates the training build instead).
// The directory comes from LATENTLAB_WASM_DIR (default: web/build, where scripts/build-wasm
// copies both builds; build/wasm/bin works too).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WASM_DIR = path.resolve(ROOT, process.env.LATENTLAB_WASM_DIR || 'web/build');

/**
 * The training build that the trainer tests (trainer, dcgan-trainer, lab) instantiate: the SIMD128
 * one, unless relaxed-trainer.test.mjs sets the relaxed-SIMD one before importing them.
 */
export const trainingBuild = { name: 'latentlab_core_train' };

/** initLatentlab options for build `name` (latentlab_core or latentlab_core_train): { moduleUrl, wasmBinary }. */
export function wasmFiles(name = 'latentlab_core') {
  const wasm = path.join(WASM_DIR, `${name}.wasm`);
  if (!fs.existsSync(wasm)) {
    throw new Error(`no wasm build ${name} in ${WASM_DIR}: run scripts/build-wasm (or set LATENTLAB_WASM_DIR)`);
  }
  return { moduleUrl: pathToFileURL(wasm), wasmBinary: fs.readFileSync(wasm) };
}
