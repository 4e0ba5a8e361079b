// The training build's page features beyond the VAE trainer (trainer.test.mjs): the MLP GAN trainer,
// the conditional VAE trainer, and the latent repair (model.repair) — on real MNIST images, with
// small models so that it stays cheap.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { ROOT, trainingBuild, wasmFiles } from './wasm_files.mjs';

const api = await import(pathToFileURL(path.join(ROOT, 'web/latentlab.js')).href);
await api.initLatentlab(wasmFiles(trainingBuild.name));

function mnist(count, kind = 'train') {
  const images = fs.readFileSync(path.join(ROOT, `data/mnist/${kind}-images-idx3-ubyte`));
  const labels = fs.readFileSync(path.join(ROOT, `data/mnist/${kind}-labels-idx1-ubyte`));
  const x = new Float32Array(count * 784);
  for (let i = 0; i < x.length; ++i) x[i] = images[16 + i] / 255;
  return { x, y: Int32Array.from(labels.subarray(8, 8 + count)) };
}
const data = mnist(256);
const BATCH = 32;
const batch = (k) => data.x.subarray((k % 8) * BATCH * 784, ((k % 8) + 1) * BATCH * 784);
const labelsOf = (k) => data.y.subarray((k % 8) * BATCH, ((k % 8) + 1) * BATCH);
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;

test('the GAN trainer steps both players and saves a GAN that loads and samples', async () => {
  const trainer = await api.createGanTrainer({ latent: 8, generatorHidden: [32], discriminatorHidden: [32], seed: 3 });
  const steps = [];
  for (let s = 0; s < 30; ++s) steps.push(trainer.step(batch(s), BATCH));
  for (const l of steps) for (const v of Object.values(l)) assert.ok(Number.isFinite(v));
  // At init D cannot tell real from fake (L_D ≈ 2 ln 2); after 30 steps of Adam it separates them:
  // the mean σ(D(real)) − σ(D(fake)) gap opens (measured ≈ 0.5; 0.1 is far from both).
  const gap = (l) => l.realScore - l.fakeScore;
  assert.ok(Math.abs(gap(steps[0])) < 0.1, `first gap ${gap(steps[0])}`);
  assert.ok(mean(steps.slice(-5).map(gap)) > 0.1, `last gaps ${steps.slice(-5).map(gap)}`);
  const model = await api.loadModel(trainer.save());
  assert.equal(model.info.hasEncoder, false);
  assert.equal(model.info.latentDim, 8);
  const pixels = model.sample(4, 1);
  assert.ok(pixels.every((v) => v >= 0 && v <= 1));
  model.dispose();
  trainer.dispose();
});

test('a conditional VAE trainer needs labels, learns, and saves a conditional model', async () => {
  const trainer = await api.createVaeTrainer({ hidden: [32], latent: 4, classes: 10, lr: 3e-3, seed: 5 });
  assert.throws(() => trainer.step(batch(0), BATCH), /needs the images' labels/);
  assert.throws(() => trainer.step(batch(0), BATCH, new Int32Array(BATCH).fill(10)), /labels must be in \[0, 9\]/);
  const losses = [];
  for (let s = 0; s < 40; ++s) losses.push(trainer.step(batch(s), BATCH, labelsOf(s)).loss);
  assert.ok(mean(losses.slice(-4)) < 0.7 * mean(losses.slice(0, 4)), `${losses[0]} → ${losses.at(-1)}`);
  const model = await api.loadModel(trainer.save());
  assert.equal(model.info.classes, 10);
  model.dispose();
  trainer.dispose();
});

test('repair lowers L(z) and restores erased pixels better than encode → decode (shipped VAE)', async (t) => {
  const file = path.join(ROOT, 'web/models/vae.safetensors');
  if (!fs.existsSync(file)) return t.skip('no shipped VAE');
  const model = await api.loadModel(fs.readFileSync(file));
  const n = 20;
  const { x } = mnist(n, 't10k');
  const damaged = Float32Array.from(x);
  const mask = new Float32Array(x.length).fill(1);
  for (let i = 0; i < x.length; ++i) if (i % 28 >= 14) { damaged[i] = 0; mask[i] = 0; }
  const err = (p) => {
    let s = 0;
    let k = 0;
    for (let i = 0; i < p.length; ++i) if (mask[i] === 0) { s += Math.abs(p[i] - x[i]); ++k; }
    return s / k;
  };
  const { mu } = model.encode(damaged, n);
  const baseline = err(model.decode(mu, n));
  const r = model.repair(damaged, mask, n, { prior: 1, lr: 0.05 });
  const first = r.step(1).loss;
  let last;
  for (let s = 0; s < 9; ++s) last = r.step(10).loss;
  const repaired = err(model.decode(r.latents(), n));
  assert.ok(last < first, `L(z) ${first} → ${last}`);
  // Measured on these 20 digits: encode → decode ≈ 0.2, repair ≈ 0.1 (docs/repair.md has 1000).
  assert.ok(repaired < 0.85 * baseline, `repair ${repaired} vs encode → decode ${baseline}`);
  r.dispose();
  assert.throws(() => r.step(), /disposed/);
  model.dispose();
});

test('repair refuses a model without an encoder and bad arguments, with clear errors', async () => {
  const trainer = await api.createGanTrainer({ latent: 4, generatorHidden: [8], discriminatorHidden: [8], seed: 1 });
  const gan = await api.loadModel(trainer.save());
  const x = new Float32Array(784);
  assert.throws(() => gan.repair(x, x, 1), /repair needs a VAE/);
  gan.dispose();
  trainer.dispose();
  const vaeTrainer = await api.createVaeTrainer({ hidden: [8], latent: 2, seed: 1 });
  const vae = await api.loadModel(vaeTrainer.save());
  assert.throws(() => vae.repair(x, new Float32Array(10), 1), /mask must hold 784/);
  assert.throws(() => vae.repair(x, x, 1, { lr: -1 }), /learning rate/);
  vae.dispose();
  vaeTrainer.dispose();
});

test('a conditional VAE repairs with a class per image and refuses to repair without one', async () => {
  const trainer = await api.createVaeTrainer({ hidden: [16], latent: 3, classes: 10, seed: 2 });
  const model = await api.loadModel(trainer.save());
  const x = data.x.subarray(0, 2 * 784);
  const mask = new Float32Array(2 * 784).fill(1);
  assert.throws(() => model.repair(x, mask, 2), /conditional model needs a class/);
  assert.throws(() => model.repair(x, mask, 2, { labels: [1, 10] }), /label must be an integer in \[0, 9\]/);
  const r = model.repair(x, mask, 2, { labels: [5, 0] });
  const first = r.step(1).loss;
  const last = r.step(20).loss;
  assert.ok(last < first, `L(z) ${first} → ${last}`);
  assert.equal(r.latents().length, 2 * 3);
  r.dispose();
  model.dispose();
  trainer.dispose();
});
