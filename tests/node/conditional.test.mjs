// A class-conditional GAN through the JS API: decode(z, {labels}) against a float64 reference of
// G([z | onehot(y)]), sample(n, seed, {label}), the default labels (image k: class k mod classes,
// core/include/latentlab/infer/generation.hpp) and the refusals of bad labels.
import test from 'node:test';
import assert from 'node:assert/strict';

import { loadModel } from './runtime.mjs';
import { makeGan, referenceForward } from './weights.mjs';

const CLASSES = 4;
const file = makeGan({ latent: 6, generatorHidden: [16, 24], discriminatorHidden: [8], seed: 21, gain: 2, classes: CLASSES });
const model = await loadModel(file.bytes);
const plainFile = makeGan({ latent: 6, seed: 22 });
const plain = await loadModel(plainFile.bytes);

function withLabels(z, labels, latent) {
  const out = new Float32Array(labels.length * (latent + CLASSES));
  labels.forEach((y, r) => {
    out.set(z.subarray(r * latent, (r + 1) * latent), r * (latent + CLASSES));
    out[r * (latent + CLASSES) + latent + y] = 1;
  });
  return out;
}

function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; ++i) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('info reports a conditional model and its classes', () => {
  assert.equal(model.info.classes, CLASSES);
  assert.equal(model.info.conditional, true);
  assert.equal(plain.info.conditional, false);
});

test('decode(z, {labels}) equals (tanh(G([z | onehot(y)])) + 1) / 2 of a float64 reference', () => {
  const n = 6, latent = model.info.latentDim;
  const labels = [3, 0, 1, 2, 3, 1];
  const z = model.sampleLatents(n, 5);
  const ref = referenceForward(file.layers.generator, file.weights, withLabels(z, labels, latent), n).map((v) => (v + 1) / 2);
  const px = model.decode(z, n, { labels });
  assert.ok(maxAbsDiff(px, ref) < 1e-5, `max |diff| ${maxAbsDiff(px, ref)}`);
  assert.deepEqual(Array.from(model.decode(z, { labels })), Array.from(px));
  // The label matters.
  assert.ok(maxAbsDiff(model.decode(z, n, { labels: [0, 0, 0, 0, 0, 0] }), px) > 1e-3);
});

test('sample(n, seed, {label}) decodes the contract latents with that label; no label: k mod classes', () => {
  const n = 6;
  const z = model.sampleLatents(n, 9);
  assert.deepEqual(Array.from(model.sample(n, 9, { label: 2 })), Array.from(model.decode(z, n, { labels: new Array(n).fill(2) })));
  const cycled = Array.from({ length: n }, (_, k) => k % CLASSES);
  assert.deepEqual(Array.from(model.sample(n, 9)), Array.from(model.decode(z, n, { labels: cycled })));
  assert.deepEqual(Array.from(model.decode(z, n)), Array.from(model.decode(z, n, { labels: cycled })));
});

test('bad labels and labels for an unconditional model throw before reaching the heap', () => {
  const z = model.sampleLatents(2, 1);
  assert.throws(() => model.sample(2, 1, { label: CLASSES }), RangeError);
  assert.throws(() => model.sample(2, 1, { label: -1 }), RangeError);
  assert.throws(() => model.sample(2, 1, { label: 1.5 }), RangeError);
  assert.throws(() => model.decode(z, 2, { labels: [0] }), RangeError);
  assert.throws(() => model.decode(z, 2, { labels: [0, 7] }), RangeError);
  assert.throws(() => plain.sample(2, 1, { label: 0 }), /not conditional/);
  assert.throws(() => plain.decode(plain.sampleLatents(1, 1), 1, { labels: [0] }), /not conditional/);
  // The model still works after the refusals.
  assert.equal(model.sample(2, 1, { label: 0 }).length, 2 * 784);
});
