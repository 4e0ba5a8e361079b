// The MLP VAE's training step on the training build (web/build/latentlab_core_train.wasm) in node,
// without the page: the page's preset (hidden 400, latent 20, batch 128) on real MNIST batches, the
// worker's batch assembly (u8 → f32) timed apart from trainer.step.
//   node bench/web/train-step.mjs [steps=100] [hidden=400] [latent=20] [batch=128]
// LATENTLAB_WASM_DIR as for tests/node (default web/build). Prints ms a step (median of 5 blocks)
// and the epoch (469 steps) it projects. MODULE=latentlab_core_train_relaxed: the relaxed-SIMD
// training build (Node 20 compiles it behind a V8 flag, set here).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';

import { ROOT, wasmFiles } from '../../tests/node/wasm_files.mjs';

const [steps = 100, hidden = 400, latent = 20, batch = 128] = process.argv.slice(2).map(Number);
const api = await import(pathToFileURL(path.join(ROOT, 'web/latentlab.js')).href);
const moduleName = process.env.MODULE || 'latentlab_core_train';
if (moduleName.includes('relaxed')) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
await api.initLatentlab(wasmFiles(moduleName));

const raw = fs.readFileSync(path.join(ROOT, 'data/mnist/train-images-idx3-ubyte'));
const size = 784;
const count = (raw.length - 16) / size;
const pixels = raw.subarray(16);
const trainer = await api.createVaeTrainer({ input: size, hidden: [hidden], latent, lr: 1e-3, seed: 1 });
const x = new Float32Array(batch * size);

function assemble(s) {
  const first = (s * batch) % (count - batch);
  for (let r = 0; r < batch; ++r) {
    const src = pixels.subarray((first + r) * size, (first + r + 1) * size);
    for (let i = 0; i < size; ++i) x[r * size + i] = src[i] / 255;
  }
}

for (let s = 0; s < 5; ++s) { assemble(s); trainer.step(x, batch); }  // warm-up (JIT tiers, heap growth)
const blocks = [];
let assembleMs = 0;
let s = 0;
for (let b = 0; b < 5; ++b) {
  const t0 = performance.now();
  for (let k = 0; k < steps / 5; ++k, ++s) {
    const a0 = performance.now();
    assemble(s);
    assembleMs += performance.now() - a0;
    trainer.step(x, batch);
  }
  blocks.push((performance.now() - t0) / (steps / 5));
}
blocks.sort((a, b) => a - b);
const ms = blocks[2];
const epochSteps = Math.ceil(60000 / batch);
console.log(`${moduleName}: VAE ${size}-${hidden}-${latent} batch ${batch}: ${ms.toFixed(2)} ms a step (blocks ${blocks.map((v) => v.toFixed(1)).join(' ')}), ` +
  `of which batch assembly ${(assembleMs / steps).toFixed(2)} ms; epoch (${epochSteps} steps) ≈ ${(ms * epochSteps / 1000).toFixed(2)} s`);
trainer.dispose();
