// The relaxed-SIMD training build (latentlab_core_train_relaxed.wasm, clang-19; wasm/CMakeLists.txt),
// which the page's training worker loads where relaxed SIMD validates: every test of the SIMD128
// training build (trainer.test.mjs: the VAE trainer against a float64 forward pass, finite
// differences and the native trainer's first step; dcgan-trainer.test.mjs: the DCGAN trainer
// against native; lab.test.mjs: the GAN and conditional trainers, repair) run on this build, with
// the same tolerances, and the same bits when a training run is repeated. Node 20 compiles relaxed
// SIMD only behind a V8 flag, set here before the module is compiled.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';

import { ROOT, trainingBuild, wasmFiles } from './wasm_files.mjs';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
trainingBuild.name = 'latentlab_core_train_relaxed';
const api = await import(pathToFileURL(path.join(ROOT, 'web/latentlab.js')).href);
const rt = await api.initLatentlab(wasmFiles(trainingBuild.name));
// Each registers its tests on the runtime instantiated above (initLatentlab's first call wins).
await import('./trainer.test.mjs');
await import('./dcgan-trainer.test.mjs');
await import('./lab.test.mjs');

test('relaxed trainer: the module is the relaxed-SIMD training build (f32x4.relaxed_madd in its code)', () => {
  assert.match(rt.simdArch, /relaxed madd/);
  // 0xfd 0x85 0x02 is f32x4.relaxed_madd; the SIMD128 training build has no such sequence.
  assert.ok(wasmFiles(trainingBuild.name).wasmBinary.includes(Buffer.from([0xfd, 0x85, 0x02])), 'no f32x4.relaxed_madd opcode');
  assert.ok(!wasmFiles('latentlab_core_train').wasmBinary.includes(Buffer.from([0xfd, 0x85, 0x02])), 'the SIMD128 build has relaxed_madd');
});

// FMA or mul + add is the engine's choice per CPU, not per call: the same training twice gives the
// same weights, bit for bit.
test('relaxed trainer: the same 5 VAE steps twice give the same bits', async () => {
  const raw = fs.readFileSync(path.join(ROOT, 'data/mnist/train-images-idx3-ubyte'));
  const x = Float32Array.from(raw.subarray(16, 16 + 64 * 784), (v) => v / 255);
  const run = async () => {
    const trainer = await api.createVaeTrainer({ input: 784, hidden: [64], latent: 8, lr: 1e-3, seed: 5 });
    const losses = [];
    for (let s = 0; s < 5; ++s) losses.push(trainer.step(x, 64).loss);
    const bytes = trainer.save();
    trainer.dispose();
    return { losses, bytes };
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(b.losses, a.losses);
  assert.ok(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)), 'the saved weights differ between two identical runs');
});
