// Native ⇔ wasm parity cases (parity.test.mjs: the SIMD128 module; relaxed.test.mjs: the relaxed-SIMD
// module): the same weights and seeds give the same digits in the browser as in the
// native CLI. The expected pixels are written by the native build, not by this module, into
// tests/fixtures/decode_parity.json (override the path with LATENTLAB_DECODE_PARITY):
//
// {
//   "_format": "…",
//   "cases": [
//     <the JSON that `latentlab sample --raw FILE` writes>,
//         {"weights", "kind", "seed", "n", "latent", "rows", "cols", "pixels": [n·rows·cols]}
//     <the JSON that `latentlab interpolate --raw FILE` writes>,
//         {"weights", "kind", "from", "to", "steps", "path": "slerp"|"lerp", "rows", "cols", "pixels": [steps·rows·cols]}
//     …
//   ]
// }
// "weights" is resolved against the repository root (run the CLI from there with relative paths).
// Optional per case: "tolerance" (max |native − wasm| per pixel), "latents" (compared exactly) and,
// for a conditional model's sample, "labels" (each image's class, as the CLI chose them).
// Seeds must be below 2^53 (they travel as JSON numbers).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from './wasm_files.mjs';

// Native (AVX-512/AVX2 GEMM) and wasm (SIMD128; relaxed SIMD's FMA rounds like native FMA, or as
// SIMD128's mul + add where the CPU has none) sum in different orders, so the logits differ by a
// few float32 ulps; σ and (tanh+1)/2 have slope ≤ ½, so pixels differ by about as much. Measured
// (AVX-512 native vs wasm): ≤ 1.2e-7 on random-init and tiny models, ≤ 2.4e-7 on a trained
// default-size VAE and GAN. 2e-5 leaves two orders of magnitude of margin for better-trained
// weights (larger logits, larger ulps).
const DEFAULT_TOLERANCE = 2e-5;

const fixturePath = path.resolve(ROOT, process.env.LATENTLAB_DECODE_PARITY || 'tests/fixtures/decode_parity.json');
const fixture = fs.existsSync(fixturePath) ? JSON.parse(fs.readFileSync(fixturePath, 'utf8')) : null;

function describe(c) {
  const what = 'seed' in c ? `sample seed ${c.seed} n ${c.n}${c.labels ? ` labels ${c.labels.join('')}` : ''}` : `interpolate ${c.from} → ${c.to} ${c.steps} steps ${c.path}`;
  return `${c.kind} ${path.basename(c.weights)} ${what}`;
}

// What the page computes for a case, through the public JS API.
function wasmPixels(model, c) {
  if ('seed' in c && c.labels) return model.decode(model.sampleLatents(c.n, c.seed), c.n, { labels: c.labels });
  if ('seed' in c) return model.sample(c.n, c.seed);
  const a = model.sampleLatents(1, c.from);
  const b = model.sampleLatents(1, c.to);
  return model.interpolate(a, b, c.steps, c.path);
}

/** Registers one test per fixture case, decoding with loadModel (of the module under test); `label` names it. */
export function parityTests(loadModel, label = 'wasm') {
  if (!fixture) {
    test(`native ⇔ ${label} decode parity`, { skip: `no fixture at ${fixturePath} (written by the native CLI)` }, () => {});
  } else {
    test('the parity fixture has cases', () => {
      assert.ok(Array.isArray(fixture.cases) && fixture.cases.length > 0);
    });
    for (const c of fixture.cases) {
      test(`native ⇔ ${label}: ${describe(c)}`, async () => {
        const model = await loadModel(fs.readFileSync(path.resolve(ROOT, c.weights)));
        try {
          assert.equal(model.info.kind, c.kind);
          if (c.rows && c.cols) assert.deepEqual(model.info.imageShape, [c.rows, c.cols]);
          if (c.latents) {
            // The RNG is bit-identical on both targets; %.9g round-trips float32 exactly.
            assert.deepEqual(Array.from(model.sampleLatents(c.n, c.seed)), c.latents.map(Math.fround));
          }
          const px = wasmPixels(model, c);
          assert.equal(px.length, c.pixels.length);
          let worst = 0;
          let at = -1;
          for (let i = 0; i < px.length; ++i) {
            const diff = Math.abs(px[i] - c.pixels[i]);
            const d = Number.isNaN(diff) ? Infinity : diff;
            if (d > worst) [worst, at] = [d, i];
          }
          const tol = c.tolerance ?? DEFAULT_TOLERANCE;
          assert.ok(worst <= tol, `max |native − ${label}| = ${worst} at pixel ${at} (tolerance ${tol})`);
        } finally {
          model.dispose();
        }
      });
    }
  }
}
