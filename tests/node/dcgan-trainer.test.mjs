// createDcganTrainer (the training build latentlab_core_train.wasm) against the native trainer:
// a tiny DCGAN (G 8,4, D 4,8, latent 8), unconditional, conditional and with the hinge objective
// (D's scores are then raw critic values), from the same seed, three
// steps on the batches `latentlab train` makes of the first 48 MNIST images (one epoch at batch 16,
// in the order of Rng(seed, data-order stream)): the step losses' means and the parameters must be
// the native ones (tests/fixtures/dcgan_trainer_parity.json, written by scripts/make-trainer-parity).
// Then: a trained state saves into a weights file loadModel accepts, and bad configurations fail
// clearly. A few hundred ms.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ROOT, trainingBuild, wasmFiles } from './wasm_files.mjs';
import { splitSafetensors } from './weights.mjs';

const api = await import(pathToFileURL(path.join(ROOT, 'web/latentlab.js')).href);
const rt = await api.initLatentlab(wasmFiles(trainingBuild.name));

const DATA_ORDER_STREAM = 2;  // native/src/train/trainer.hpp's streams
const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/dcgan_trainer_parity.json'), 'utf8'));

function mnist(count) {
  const file = (kind) => path.join(ROOT, `data/mnist/train-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte`);
  if (!fs.existsSync(file('images'))) throw new Error(`${file('images')} is missing: run scripts/setup (it fetches MNIST)`);
  const images = fs.readFileSync(file('images'));
  const labels = fs.readFileSync(file('labels'));
  const x = new Float32Array(count * 784);
  for (let i = 0; i < x.length; ++i) x[i] = images[16 + i] / 255;
  return { x, y: Int32Array.from(labels.subarray(8, 8 + count)) };
}
const data = mnist(fixture.limit);

// A weights file's F32 tensors → Map(name → Float32Array).
function tensorsOf(bytes) {
  const { header, data: blob } = splitSafetensors(bytes);
  const out = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    assert.equal(t.dtype, 'F32');
    const [a, b] = t.data_offsets;
    out.set(name, new Float32Array(blob.slice(a, b).buffer));
  }
  return out;
}

// The native run's epoch: the images (and labels) of the shuffled order, batch by batch.
function nativeBatches(seed) {
  const order = rt.rngShuffle(seed, DATA_ORDER_STREAM, fixture.limit);
  const batches = [];
  for (let first = 0; first + fixture.batch <= fixture.limit; first += fixture.batch) {
    const x = new Float32Array(fixture.batch * 784);
    const y = new Int32Array(fixture.batch);
    for (let row = 0; row < fixture.batch; ++row) {
      const image = order[first + row];
      x.set(data.x.subarray(image * 784, (image + 1) * 784), row * 784);
      y[row] = data.y[image];
    }
    batches.push({ x, y });
  }
  return batches;
}

for (const which of ['unconditional', 'conditional', 'hinge']) {
  test(`three ${which} DCGAN steps match the native trainer's: losses and parameters`, async () => {
    const { config, means, tensors } = fixture[which];
    const trainer = await api.createDcganTrainer(config);
    const steps = nativeBatches(config.seed).map(({ x, y }) => trainer.step(x, fixture.batch, y));
    assert.equal(steps.length, 3);
    const mean = (key) => steps.reduce((s, l) => s + l[key], 0) / steps.length;
    // The logged means have 9 significant digits; the losses are O(1) and the runs' summation orders
    // differ (native AVX FMA vs SIMD128): measured within 1e-8, so 1e-6 allows rounding and catches a
    // wrong step, whose loss moves by ≥ 1e-3 (the three steps' losses differ from one another by that much).
    const got = { d_loss: mean('discriminator'), g_loss: mean('generator'), real: mean('realScore'), fake: mean('fakeScore') };
    for (const [key, value] of Object.entries(means)) {
      assert.ok(Math.abs(got[key] - value) <= 1e-6, `${key}: wasm ${got[key]} vs native ${value}`);
    }
    const after = tensorsOf(trainer.save());
    assert.deepEqual([...after.keys()].sort(), Object.keys(tensors).sort(), 'the same tensors');
    let compared = 0;
    for (const [name, t] of Object.entries(tensors)) {
      const mine = after.get(name);
      assert.equal(mine.length, t.size, name);
      // Init is bit-identical (same RNG stream); each Adam step moves a weight by about lr = 2e-4
      // (lr·m̂/(√v̂ + ε)), so a wrong gradient sign or a missing step is off by ~2e-4. Rounding in
      // three steps: measured at most 4e-9 (an ulp of the larger weights), so 2e-7 (a thousandth of
      // lr) allows other summation orders and catches any wrong update. BatchNorm running statistics
      // (momentum 0.1 of batch moments) get the same bound.
      t.indices.forEach((i, k) => {
        const d = Math.abs(mine[i] - t.values[k]);
        assert.ok(d <= 2e-7, `${name}[${i}]: wasm ${mine[i]} vs native ${t.values[k]}`);
        ++compared;
      });
    }
    assert.ok(compared >= 250, `compared ${compared}`);
    const model = await api.loadModel(trainer.save());
    assert.equal(model.info.kind, 'dcgan');
    assert.equal(model.info.classes, config.classes);
    const pixels = model.sample(2, 1, config.classes ? { label: 3 } : undefined);
    assert.ok(pixels.every((v) => v >= 0 && v <= 1));
    model.dispose();
    trainer.dispose();
  });
}

test('bad DCGAN trainer configurations fail with clear errors', async () => {
  const small = { latent: 8, generatorChannels: [8, 4], discriminatorChannels: [4, 8] };
  await assert.rejects(api.createDcganTrainer({ ...small, ganLoss: 'wgan-gp' }), /wgan-gp trains only natively/);
  await assert.rejects(api.createDcganTrainer({ ...small, ganLoss: 'nope' }), /DCGAN configuration: .*gan_loss/);
  await assert.rejects(api.createDcganTrainer({ ...small, generatorChannels: [8, 4, 2] }), /cannot be built/);
  await assert.rejects(api.createDcganTrainer({ ...small, lr: 0 }), /learning rate/);
  const trainer = await api.createDcganTrainer({ ...small, classes: 10 });
  assert.throws(() => trainer.step(data.x.subarray(0, 784), 1), /needs the images' labels/);
  trainer.dispose();
});
