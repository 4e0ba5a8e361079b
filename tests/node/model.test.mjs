// The JS API on small models written by tests/node/weights.mjs (an independent safetensors writer),
// checked against a float64 reference forward pass in plain JS and against the sampling contract.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT, rt, loadModel, wasmSimdSupported } from './runtime.mjs';
import { makeGan, makeVae, referenceForward } from './weights.mjs';

const golden = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/rng_golden.json'), 'utf8'));

// float32 GEMMs (SIMD, any summation order) against a float64 reference: outputs are σ or tanh of
// sums of ≤ 800 products of magnitude ≲ 0.1, so 1e-5 absolute is ~100× the expected rounding error.
const TOL = 1e-5;

function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; ++i) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const vaeFile = makeVae({ hidden: [24, 12], latent: 4, seed: 11, gain: 2 });
const ganFile = makeGan({ latent: 8, generatorHidden: [16, 32], discriminatorHidden: [8], seed: 12, gain: 2 });
const vae = await loadModel(vaeFile.bytes);
const gan = await loadModel(ganFile.bytes);

test('wasm SIMD is detected and the module is a SIMD128 build', () => {
  assert.equal(wasmSimdSupported(), true);
  assert.equal(rt.simd, true);
  assert.match(rt.simdArch, /simd128/);
});

test('info describes the VAE file', () => {
  const info = vae.info;
  assert.equal(info.kind, 'vae');
  assert.equal(info.label, 'VAE');
  assert.equal(info.hasEncoder, true);
  assert.equal(info.classes, 0);
  assert.equal(info.conditional, false);
  assert.equal(info.latentDim, 4);
  assert.deepEqual(info.imageShape, [28, 28]);
  assert.equal(info.imageSize, 784);
  assert.equal(info.params, vaeFile.params);
  assert.equal(info.bytes, vaeFile.bytes.length);
  assert.equal(info.dtype, 'F32');
  assert.equal(info.metadata.format, 'latentlab');
  assert.equal(info.metadata.hidden, '24,12');
  assert.equal(info.simd, true);
});

test('info describes the GAN file (generator + discriminator parameters)', () => {
  assert.equal(gan.info.kind, 'gan');
  assert.equal(gan.info.label, 'GAN');
  assert.equal(gan.info.hasEncoder, false);
  assert.equal(gan.info.conditional, false);
  assert.equal(gan.info.latentDim, 8);
  assert.deepEqual(gan.info.imageShape, [28, 28]);
  assert.equal(gan.info.params, ganFile.params);
});

test('sample(n, seed) follows the contract: decode(Rng(seed, 0).fill_normal(n·latent))', () => {
  for (const model of [vae, gan]) {
    const z = model.sampleLatents(3, 99);
    assert.deepEqual(Array.from(z), Array.from(rt.rngNormal(99, 0, 3 * model.info.latentDim)));
    assert.deepEqual(Array.from(model.sample(3, 99)), Array.from(model.decode(z, 3)));
  }
});

test('sampleLatents(·, 0) is the golden normal stream of Rng(0, 0)', () => {
  const s = golden.streams.find((g) => g.seed === 0 && g.stream === 0);
  const z = vae.sampleLatents(4, 0);  // 4 × 4 = 16 normals
  const bits = Array.from(new Uint32Array(Float32Array.from(z).buffer), (u) => `0x${u.toString(16).padStart(8, '0')}`);
  assert.deepEqual(bits, s.normal_bits);
});

test('VAE decode equals σ(decoder(z)) of a float64 reference', () => {
  const n = 5;
  const z = vae.sampleLatents(n, 3);
  const ref = referenceForward(vaeFile.layers.decoder, vaeFile.weights, z, n);
  const px = vae.decode(z, n);
  assert.ok(maxAbsDiff(px, ref) < TOL, `max |diff| ${maxAbsDiff(px, ref)}`);
});

test('GAN decode equals (tanh(G(z)) + 1) / 2 of a float64 reference, in [0, 1]', () => {
  const n = 5;
  const z = gan.sampleLatents(n, 4);
  const ref = referenceForward(ganFile.layers.generator, ganFile.weights, z, n).map((v) => (v + 1) / 2);
  const px = gan.decode(z, n);
  assert.ok(maxAbsDiff(px, ref) < TOL, `max |diff| ${maxAbsDiff(px, ref)}`);
  assert.ok(px.every((v) => v >= 0 && v <= 1));
  // gain 2 saturates some outputs: both ends of the range must appear, i.e. the mapping is not (x+1)/2 of something else
  assert.ok(Math.min(...px) < 0.1 && Math.max(...px) > 0.9);
});

test('samples are deterministic per seed and differ between seeds and between digits', () => {
  const a = vae.sample(4, 7);
  assert.deepEqual(Array.from(vae.sample(4, 7)), Array.from(a));
  const b = vae.sample(4, 8);
  assert.ok(maxAbsDiff(a, b) > 0.01);
  assert.ok(maxAbsDiff(a.subarray(0, 784), a.subarray(784, 1568)) > 0.01);
  assert.ok(a.every((v) => v >= 0 && v <= 1));
});

test('encode equals the reference encoder (μ and clamped logvar heads)', () => {
  const n = 3;
  const images = gan.sample(n, 1);  // any images in [0, 1]
  const { mu, logvar } = vae.encode(images, n);
  const { encoder, heads } = vaeFile.layers;
  const refMu = referenceForward([...encoder, heads[0]], vaeFile.weights, images, n);
  const refLogvar = referenceForward([...encoder, heads[1]], vaeFile.weights, images, n);
  assert.equal(mu.length, n * 4);
  assert.ok(maxAbsDiff(mu, refMu) < 1e-4, `mu max |diff| ${maxAbsDiff(mu, refMu)}`);
  assert.ok(maxAbsDiff(logvar, refLogvar) < 1e-4, `logvar max |diff| ${maxAbsDiff(logvar, refLogvar)}`);
});

test('encode on a GAN throws a clear Error', () => {
  assert.throws(() => gan.encode(new Float32Array(784), 1), /GAN has no encoder/);
});

test('interpolateLatents: endpoints, lerp midpoint, slerp keeps the norm of equal-norm orthogonal vectors', () => {
  const d = vae.info.latentDim;
  const a = Float32Array.from([1, 0, 0, 0]);
  const b = Float32Array.from([0, 1, 0, 0]);
  for (const mode of ['lerp', 'slerp']) {
    const z = vae.interpolateLatents(a, b, 5, mode);
    assert.equal(z.length, 5 * d);
    assert.deepEqual(Array.from(z.subarray(0, d)), Array.from(a));
    assert.ok(maxAbsDiff(z.subarray(4 * d), b) < 1e-7);
  }
  const lerpMid = vae.interpolateLatents(a, b, 3, 'lerp').subarray(d, 2 * d);
  assert.deepEqual(Array.from(lerpMid), [0.5, 0.5, 0, 0]);
  const slerpMid = vae.interpolateLatents(a, b, 3, 'slerp').subarray(d, 2 * d);
  // Ω = π/2: z(½) = sin(π/4)/sin(π/2) (a + b) = (√½, √½, 0, 0), norm 1.
  assert.ok(maxAbsDiff(slerpMid, [Math.SQRT1_2, Math.SQRT1_2, 0, 0]) < 1e-7);
});

test('slerp falls back to lerp for parallel and antiparallel latents', () => {
  const a = Float32Array.from([1, 2, -1, 0.5]);
  for (const b of [a.map((v) => 3 * v), a.map((v) => -2 * v)]) {
    const s = vae.interpolateLatents(a, b, 7, 'slerp');
    const l = vae.interpolateLatents(a, b, 7, 'lerp');
    assert.ok(s.every(Number.isFinite));
    assert.ok(maxAbsDiff(s, l) < 1e-6);
  }
});

test('interpolate decodes the interpolated latents', () => {
  const [za, zb] = [gan.sampleLatents(1, 1), gan.sampleLatents(1, 2)];
  const frames = gan.interpolate(za, zb, 6);  // slerp by default
  assert.equal(frames.length, 6 * 784);
  assert.deepEqual(Array.from(frames), Array.from(gan.decode(gan.interpolateLatents(za, zb, 6, 'slerp'), 6)));
  // A batch of 1 may round differently from a batch of 6 (the GEMM blocks rows): compare with a tolerance.
  assert.ok(maxAbsDiff(frames.subarray(0, 784), gan.decode(za, 1)) < 1e-6);
  assert.throws(() => gan.interpolate(za, zb, 6, 'cubic'), RangeError);
});

test('bad arguments throw before reaching the heap', () => {
  assert.throws(() => vae.sample(0, 1), RangeError);
  assert.throws(() => vae.sample(1.5, 1), RangeError);
  assert.throws(() => vae.sample(100000, 1), RangeError);
  assert.throws(() => vae.sample(1, -1), RangeError);
  assert.throws(() => vae.sample(1, 0.5), RangeError);
  assert.throws(() => vae.decode(new Float32Array(5), 1), RangeError);
  assert.throws(() => vae.decode(new Float32Array(7)), RangeError);  // not a whole number of latents
  assert.throws(() => vae.encode(new Float32Array(783), 1), RangeError);
  assert.throws(() => vae.interpolateLatents(new Float32Array(3), new Float32Array(4), 2), RangeError);
  // Plain arrays are accepted.
  assert.equal(vae.decode([0, 0, 0, 0], 1).length, 784);
});

test('F16-stored weights load and decode like their float32 values', async () => {
  const f16 = makeVae({ hidden: [16], latent: 4, seed: 5, gain: 2, dtype: 'F16' });
  const model = await loadModel(f16.bytes);
  assert.equal(model.info.dtype, 'F16');
  const z = model.sampleLatents(2, 1);
  const ref = referenceForward(f16.layers.decoder, f16.weights, z, 2);
  assert.ok(maxAbsDiff(model.decode(z, 2), ref) < TOL);
  model.dispose();
});

test('a GAN file with only the generator loads (the page needs no discriminator)', async () => {
  const g = makeGan({ seed: 3, withDiscriminator: false });
  const model = await loadModel(g.bytes);
  assert.equal(model.info.params, g.params);
  assert.equal(model.sample(2, 1).length, 2 * 784);
  model.dispose();
});

test('loadModel accepts ArrayBuffer, typed-array views and Blobs', async () => {
  const bytes = vaeFile.bytes;
  const offsetView = new Uint8Array(bytes.length + 3);
  offsetView.set(bytes, 3);
  const sources = [bytes.slice().buffer, bytes, offsetView.subarray(3), new Blob([bytes])];
  for (const source of sources) {
    const m = await loadModel(source);
    assert.deepEqual(Array.from(m.sample(1, 5)), Array.from(vae.sample(1, 5)));
    m.dispose();
  }
  await assert.rejects(loadModel(42), TypeError);
});

test('dispose frees the model; later calls throw; dispose twice is harmless', async () => {
  const m = await loadModel(vaeFile.bytes);
  m.dispose();
  m.dispose();
  assert.equal(m.disposed, true);
  assert.throws(() => m.sample(1, 1), /disposed/);
  assert.throws(() => m.decode(new Float32Array(4), 1), /disposed/);
});

test('many load/dispose cycles do not leak wasm memory', async () => {
  // Warm up (the first loads may grow the heap), then the heap must stop growing.
  for (let i = 0; i < 5; ++i) (await loadModel(vaeFile.bytes)).dispose();
  const before = rt.M.HEAPU8.length;
  for (let i = 0; i < 40; ++i) {
    const m = await loadModel(vaeFile.bytes);
    m.sample(16, i);
    m.dispose();
  }
  assert.equal(rt.M.HEAPU8.length, before);
});

test('caller metadata (any Unicode) reaches info.metadata unchanged', async () => {
  const text = 'MNIST · β=1 · “quotes” \\ back\\slash · 数字 · 🙂';
  const f = makeVae({ hidden: [4], latent: 2, seed: 8, extraMetadata: { dataset: text, 'training.epochs': '30' } });
  const m = await loadModel(f.bytes);
  assert.equal(m.info.metadata.dataset, text);
  assert.equal(m.info.metadata['training.epochs'], '30');
  assert.ok(Object.isFrozen(m.info) && Object.isFrozen(m.info.metadata));
  m.dispose();
});
