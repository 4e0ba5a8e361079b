// Checks, in Node, the two tfjs-backend-wasm facts the DCGAN reference of tfjs-conv.js is built on,
// against tfjs's CPU backend on the same random data:
//   1. the wasm backend's Conv3DBackpropFilterV2 (a depth-1 volume = a 2-D conv) at strides 1 and 2
//      — wrong at stride 2 in 4.22, hence tfjs-conv.js's im2col filter gradient;
//   2. tfjs-conv.js's conv2d / conv2dTranspose (tf.customGrad) on wasm against tf.grad of tfjs's own
//      ops on the CPU backend: input and filter gradients.
// Prints the max |Δ| of each beside the largest value; exits 1 when (2) is off by more than 1e-4 of it.
//   node bench/web/check-tfjs-conv.mjs        (after scripts/bench-web installed bench/web/node_modules)
// Not part of scripts/test (bench/web's npm packages are the benchmark's only).
import { createRequire } from 'node:module';

import { convOps } from './tfjs-conv.js';

const require = createRequire(import.meta.url);
const tf = require('./node_modules/@tensorflow/tfjs/dist/tf.node.js');
require('./node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js');

let seed = 1;
const random = (n) => Float32Array.from({ length: n }, () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 31 - 1;
});
const size = (shape) => shape.reduce((a, b) => a * b, 1);
const worst = (a, b) => {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; ++i) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { diff, scale };
};

// 1. Conv3DBackpropFilterV2, wasm against CPU.
const x3 = random(2 * 8 * 8 * 3);
async function filterGrad3d(backend, stride) {
  await tf.setBackend(backend);
  const out = Math.ceil(8 / stride);
  const dy = tf.tensor(random(2 * out * out * 4), [2, 1, out, out, 4]);
  return tf.engine().runKernel('Conv3DBackpropFilterV2', { x: tf.tensor(x3, [2, 1, 8, 8, 3]), dy },
    { strides: [1, stride, stride], pad: 'same', filterShape: [1, 4, 4, 3, 4] }).dataSync().slice();
}
for (const stride of [1, 2]) {
  const s0 = seed;
  const wasm = await filterGrad3d('wasm', stride);
  seed = s0;
  const { diff, scale } = worst(wasm, await filterGrad3d('cpu', stride));
  console.log(`Conv3DBackpropFilterV2 (depth 1), stride ${stride}: wasm against CPU max |Δ| ${diff.toExponential(2)} (largest ${scale.toFixed(2)})`);
}

// 2. tfjs-conv.js's ops on wasm against tf.grad of tfjs's own ops on the CPU backend.
const shapes = { x: [3, 14, 14, 5], w: [4, 4, 5, 6], wt: [4, 4, 6, 5], r: [3, 7, 7, 6], rt: [3, 28, 28, 6] };
const data = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, random(size(s))]));
async function gradients(backend, custom) {
  await tf.setBackend(backend);
  const t = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, tf.tensor(data[k], s)]));
  const ops = convOps(tf);
  const conv = custom ? ops.conv2d : (x, w) => tf.conv2d(x, w, 2, 'same');
  const convT = custom ? ops.conv2dTranspose : (x, w) => tf.conv2dTranspose(x, w, shapes.rt, 2, 'same');
  const a = tf.grads((x, w) => tf.sum(tf.mul(conv(x, w), t.r)))([t.x, t.w]);
  const b = tf.grads((x, w) => tf.sum(tf.mul(convT(x, w), t.rt)))([t.x, t.wt]);
  return [...a, ...b].map((g) => g.dataSync().slice());
}
const ours = await gradients('wasm', true);
const cpu = await gradients('cpu', false);
let failed = false;
['conv2d dx', 'conv2d dW', 'conv2dTranspose dx', 'conv2dTranspose dW'].forEach((name, i) => {
  const { diff, scale } = worst(ours[i], cpu[i]);
  failed ||= diff > 1e-4 * scale;
  console.log(`tfjs-conv.js ${name} on wasm against tf.grad on CPU: max |Δ| ${diff.toExponential(2)} (largest ${scale.toFixed(2)})`);
});
process.exit(failed ? 1 : 0);
