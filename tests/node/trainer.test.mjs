// createVaeTrainer (the training build latentlab_core_train.wasm) on real MNIST images, checked
// against an independent float64 forward pass in plain JS (the loss of a step, the direction of
// Adam's first update against finite-difference gradients), against the native trainer's first
// step (tests/fixtures/trainer_parity.json, written by scripts/make-trainer-parity), learning
// over a few steps, and that a trained state saves into a weights file loadModel accepts.
// A small VAE keeps it cheap.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ROOT, trainingBuild, wasmFiles } from './wasm_files.mjs';
import { splitSafetensors } from './weights.mjs';

const api = await import(pathToFileURL(path.join(ROOT, 'web/latentlab.js')).href);
const rt = await api.initLatentlab(wasmFiles(trainingBuild.name));

const CONFIG = { input: 784, hidden: [32], latent: 4, beta: 1, lr: 1e-3, seed: 7 };
const DATA_ORDER_STREAM = 2;  // the native trainer's streams (native/src/train/trainer.hpp)
const NOISE_STREAM = 3;  // ε: reused by the wasm trainer
const BATCH = 32;

// The first 4·BATCH MNIST training images, pixels in [0, 1].
function mnistImages(count) {
  const file = path.join(ROOT, 'data/mnist/train-images-idx3-ubyte');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/setup (it fetches MNIST)`);
  const raw = fs.readFileSync(file);
  assert.equal(raw.readUInt32BE(0), 2051, 'IDX image magic');
  const x = new Float32Array(count * 784);
  for (let i = 0; i < x.length; ++i) x[i] = raw[16 + i] / 255;
  return x;
}
const images = mnistImages(4 * BATCH);
const batch = (k) => images.subarray(k * BATCH * 784, (k + 1) * BATCH * 784);

// A weights file's F32 tensors → Map(name → Float64Array).
function tensorsOf(bytes) {
  const { header, data } = splitSafetensors(bytes);
  const out = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    assert.equal(t.dtype, 'F32');
    const [a, b] = t.data_offsets;
    out.set(name, Float64Array.from(new Float32Array(data.slice(a, b).buffer)));
  }
  return out;
}

// y (n × out) = act(x · Wᵀ + b), float64.
function linear(p, name, x, n, fanIn, relu) {
  const w = p.get(`${name}.weight`);
  const b = p.get(`${name}.bias`);
  const fanOut = b.length;
  const y = new Float64Array(n * fanOut);
  for (let r = 0; r < n; ++r) {
    for (let o = 0; o < fanOut; ++o) {
      let s = b[o];
      for (let i = 0; i < fanIn; ++i) s += x[r * fanIn + i] * w[o * fanIn + i];
      y[r * fanOut + o] = relu ? Math.max(0, s) : s;
    }
  }
  return y;
}

// The VAE's summed loss (vae.hpp): BCE on logits + β·KL, with z = μ + exp(½ logvar)·ε.
function referenceLoss(p, x, n, eps) {
  const { input, hidden: [h], latent, beta } = CONFIG;
  const hid = linear(p, 'encoder.fc1', x, n, input, true);
  const mu = linear(p, 'encoder.mu', hid, n, h, false);
  const logvar = linear(p, 'encoder.logvar', hid, n, h, false).map((v) => Math.min(30, Math.max(-30, v)));
  const z = mu.map((m, i) => m + Math.exp(0.5 * logvar[i]) * eps[i]);
  const logits = linear(p, 'decoder.out', linear(p, 'decoder.fc1', z, n, latent, true), n, h, false);
  let bce = 0;
  for (let i = 0; i < logits.length; ++i) {
    const l = logits[i];
    bce += Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l))) - x[i] * l;
  }
  let kl = 0;
  for (let i = 0; i < mu.length; ++i) kl += -0.5 * (1 + logvar[i] - mu[i] * mu[i] - Math.exp(logvar[i]));
  return bce + beta * kl;
}

test('the first step returns the loss of a float64 forward pass on the same weights and ε', async () => {
  const trainer = await api.createVaeTrainer(CONFIG);
  const before = tensorsOf(trainer.save());
  const eps = rt.rngNormal(CONFIG.seed, NOISE_STREAM, BATCH * CONFIG.latent);
  const expected = referenceLoss(before, batch(0), BATCH, eps);
  const got = trainer.step(batch(0), BATCH);
  // float32 sums of ≤ 784 terms per logit, ~25k logits summed in double: 1e-5 relative is far
  // above the rounding error and far below any wrong term (e.g. a missing KL is ~1e-3 of it).
  assert.ok(Math.abs(got.loss * BATCH - expected) <= 1e-5 * Math.abs(expected), `${got.loss * BATCH} vs ${expected}`);
  assert.ok(Math.abs(got.loss - got.reconstruction - got.kl) < 1e-6 * got.loss);
  trainer.dispose();
});

test("Adam's first update moves parameters against their finite-difference gradients", async () => {
  const trainer = await api.createVaeTrainer(CONFIG);
  const before = tensorsOf(trainer.save());
  const eps = rt.rngNormal(CONFIG.seed, NOISE_STREAM, BATCH * CONFIG.latent);
  trainer.step(batch(0), BATCH);
  const after = tensorsOf(trainer.save());
  // At t = 1 Adam's step is lr·m̂/(√v̂ + ε) = lr·g/(|g| + ε): −lr·sign(g) wherever |g| ≫ 1e-8.
  let checked = 0;
  for (const [name, values] of before) {
    for (let k = 0; k < 6; ++k) {
      const i = Math.floor(((k + 0.5) / 6) * values.length);
      const h = 1e-4;
      const p = new Map(before);
      const plus = Float64Array.from(values);
      plus[i] += h;
      p.set(name, plus);
      const lossPlus = referenceLoss(p, batch(0), BATCH, eps);
      const minus = Float64Array.from(values);
      minus[i] -= h;
      p.set(name, minus);
      const g = (lossPlus - referenceLoss(p, batch(0), BATCH, eps)) / (2 * h);
      if (Math.abs(g) < 1e-2) continue;  // too flat to tell a sign (e.g. a dead ReLU's weights)
      const step = after.get(name)[i] - values[i];
      assert.ok(Math.abs(step + CONFIG.lr * Math.sign(g)) < 1e-5, `${name}[${i}]: gradient ${g}, step ${step}`);
      ++checked;
    }
  }
  assert.ok(checked >= 20, `only ${checked} parameters had a clear gradient`);
  trainer.dispose();
});

test("the first step matches the native trainer's: same init, loss and updated parameters", async () => {
  const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/trainer_parity.json'), 'utf8'));
  const trainer = await api.createVaeTrainer(fixture.config);
  // Native: one epoch of the first `limit` images, shuffled by Rng(seed, data-order stream).
  const order = rt.rngShuffle(fixture.config.seed, DATA_ORDER_STREAM, fixture.limit);
  const x = new Float32Array(fixture.batch * 784);
  order.forEach((image, row) => x.set(images.subarray(image * 784, (image + 1) * 784), row * 784));
  const got = trainer.step(x, fixture.batch);
  // The logged loss has 9 significant digits; GEMM summation orders differ (AVX-512 FMA vs SIMD128).
  assert.ok(Math.abs(got.loss - fixture.train_loss) <= 1e-5 * fixture.train_loss, `${got.loss} vs native ${fixture.train_loss}`);
  assert.ok(Math.abs(got.kl - fixture.train_kl) <= 1e-4 * Math.max(1, fixture.train_kl), `KL ${got.kl} vs ${fixture.train_kl}`);
  const after = tensorsOf(trainer.save());
  let compared = 0;
  for (const [name, t] of Object.entries(fixture.tensors)) {
    const mine = after.get(name);
    assert.ok(mine, `the wasm trainer has no tensor ${name}`);
    assert.equal(mine.length, t.size, name);
    // Init is bit-identical (same RNG stream); one Adam step moves each value by lr·g/(|g|+ε) ≤ lr,
    // so 1e-6 (a thousandth of lr) allows rounding but no wrong init, missing step or wrong sign.
    t.indices.forEach((i, k) => {
      assert.ok(Math.abs(mine[i] - t.values[k]) <= 1e-6, `${name}[${i}]: wasm ${mine[i]} vs native ${t.values[k]}`);
      ++compared;
    });
  }
  assert.ok(compared >= 100);
  trainer.dispose();
});

test('training on MNIST reduces the loss, and the trained weights load as a model', async () => {
  const trainer = await api.createVaeTrainer({ ...CONFIG, lr: 3e-3 });
  const losses = [];
  for (let s = 0; s < 40; ++s) losses.push(trainer.step(batch(s % 4), BATCH).loss);
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  const first = mean(losses.slice(0, 4));
  const last = mean(losses.slice(-4));
  // From ≈543 nats per image (random init: BCE of σ(≈0) = 784·ln 2) the small VAE gets below
  // ≈300 in 40 steps of Adam (measured: 537 → 224); 0.7× the start is far above that and well below noise.
  assert.ok(last < 0.7 * first, `loss ${first.toFixed(1)} → ${last.toFixed(1)}`);
  const model = await api.loadModel(trainer.save());
  assert.equal(model.info.kind, 'vae');
  assert.equal(model.info.latentDim, CONFIG.latent);
  assert.equal(model.info.params, trainer.params);
  const pixels = model.sample(2, 1);
  assert.ok(pixels.every((v) => v >= 0 && v <= 1));
  model.dispose();
  trainer.dispose();
});

test('bad trainer arguments fail with clear errors', async () => {
  await assert.rejects(api.createVaeTrainer({ ...CONFIG, latent: 0 }), /invalid trainer configuration: .*latent/);
  await assert.rejects(api.createVaeTrainer({ ...CONFIG, hidden: [] }), /hidden/);
  await assert.rejects(api.createVaeTrainer({ ...CONFIG, lr: -1 }), /learning rate/);
  const trainer = await api.createVaeTrainer(CONFIG);
  assert.throws(() => trainer.step(batch(0), BATCH + 1), /images must hold/);
  assert.throws(() => trainer.step(batch(0), 0), /n must be an integer/);
  trainer.dispose();
  assert.throws(() => trainer.step(batch(0), BATCH), /disposed/);
});
