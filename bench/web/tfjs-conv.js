// The tfjs (wasm backend) references of the conv models for the browser benchmark (bench.js):
// the conv VAE's decoder and the DCGAN's generator, decoding 64 latents, and one DCGAN training
// step (D then G, batch 64, Adam), on the weights of the same latentlab files ours loads.
//
// Layout. tfjs convolves NHWC only; PyTorch (and latentlab's files) are NCHW, and flatten a
// C × H × W map channel-major (index c·HW + p, p = y·W + x) where NHWC is position-major (p·C + c).
// So the Linear that writes a map (G's fc, the VAE decoder's fc2) gets its output rows, and the
// one that reads it (D's out) its input columns, permuted once at setup; nothing is transposed
// per call. Filters: Conv2d [Cout, Cin, kh, kw] → tf.conv2d's [kh, kw, Cin, Cout], and
// ConvTranspose2d [Cin, Cout, kh, kw] → tf.conv2dTranspose's [kh, kw, Cout, Cin]: one permutation
// [2, 3, 1, 0] for both. Every conv is k4 s2 p1; TF's 'same' padding is 1 on each side for these
// sides (28 ↔ 14 ↔ 7), i.e. PyTorch's padding 1.
//
// Training. tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter kernel, so tf.grad of a
// conv2d (or conv2dTranspose) fails on it ("Kernel 'Conv2DBackpropFilter' not registered for
// backend 'wasm'"), and its Conv3DBackpropFilterV2 (a depth-1 volume would do) is wrong at stride 2
// (measured against the CPU backend: off by as much as the gradient itself). conv2d and
// conv2dTranspose below are tf.customGrad ops: forward and input gradient with tfjs's own 2-D
// kernels (the ones tf.grad would use), the filter gradient as im2col + one matMul (filterGrad).
// bench/web/check-tfjs-conv.mjs checks both facts in Node against tfjs's CPU backend.
//
// The biases latentlab holds at 0 (a conv that BatchNorm follows: G's deconv1, D's conv2) are
// checked to be 0 and left out, as the PyTorch DCGAN example builds those convs without bias.

// Position of NCHW-flattened index i of a C × HW map in the NHWC flattening.
const hwcIndex = (i, channels, hw) => (i % hw) * channels + Math.floor(i / hw);

// A Linear that writes a C × H × W map: weight [C·HW, in], bias [C·HW] → tfjs kernel [in, HW·C], bias.
function linearWritingMap(tf, w, b, channels, hw) {
  const [outs, ins] = w.shape;
  const kernel = new Float32Array(ins * outs);
  const bias = new Float32Array(outs);
  for (let o = 0; o < outs; ++o) {
    const j = hwcIndex(o, channels, hw);
    bias[j] = b.values[o];
    for (let i = 0; i < ins; ++i) kernel[i * outs + j] = w.values[o * ins + i];
  }
  return { w: tf.tensor(kernel, [ins, outs]), b: tf.tensor(bias, [outs]) };
}

// A Linear that reads a C × H × W map: weight [out, C·HW] → tfjs kernel [HW·C, out].
function linearReadingMap(tf, w, channels, hw) {
  const [outs, ins] = w.shape;
  const kernel = new Float32Array(ins * outs);
  for (let o = 0; o < outs; ++o) {
    for (let i = 0; i < ins; ++i) kernel[hwcIndex(i, channels, hw) * outs + o] = w.values[o * ins + i];
  }
  return tf.tensor(kernel, [ins, outs]);
}

// A plain Linear: weight [out, in] → tfjs kernel [in, out] (tf.layers.dense's layout; see bench.js).
const linearKernel = (tf, w) => tf.tidy(() => tf.transpose(tf.tensor(w.values, w.shape)));
const filter = (tf, t) => tf.tidy(() => tf.transpose(tf.tensor(t.values, t.shape), [2, 3, 1, 0]));
const vector = (tf, t) => tf.tensor(t.values, t.shape);

function heldAtZero(file, name) {
  if (file.tensors.get(name).values.some((v) => v !== 0)) throw new Error(`${name} is not 0: the tfjs reference leaves it out`);
}

// k4 s2 p1 convolutions that tf.grad can differentiate on the wasm backend (see the top).
export function convOps(tf) {
  // dW of y = conv2d(x, W, stride 2, padding 1), W [kh, kw, Cin, Cout]: Σ over images and output
  // positions of (input patch) ⊗ dy. im2col — kh·kw strided slices of the padded input,
  // concatenated as (ky, kx, Cin) columns, W's own order — then one [kh·kw·Cin, N]·[N, Cout] matMul.
  const filterGrad = (x, dy, filterShape) => tf.tidy(() => {
    const [n, , , c] = x.shape;
    const [, ho, wo, co] = dy.shape;
    const [kh, kw] = filterShape;
    const padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]);
    const columns = [];
    for (let ky = 0; ky < kh; ++ky) {
      for (let kx = 0; kx < kw; ++kx) {
        columns.push(tf.stridedSlice(padded, [0, ky, kx, 0], [n, ky + 2 * ho, kx + 2 * wo, c], [1, 2, 2, 1]));
      }
    }
    const patches = tf.reshape(tf.concat(columns, 3), [n * ho * wo, kh * kw * c]);
    // An explicit transpose: matMul's transposeA is 8× slower on the wasm backend (measured in Node
    // on G's deconv1 shape, [3136, 1024]ᵀ·[3136, 128]: 560–710 against 70–85 ms).
    return tf.reshape(tf.matMul(tf.transpose(patches), tf.reshape(dy, [n * ho * wo, co])), filterShape);
  });
  const conv2d = tf.customGrad((x, w, save) => {
    save([x, w]);
    return {
      value: tf.conv2d(x, w, 2, 'same'),
      gradFunc: (dy, [xs, ws]) => [tf.conv2dTranspose(dy, ws, xs.shape, 2, 'same'), filterGrad(xs, dy, ws.shape)],
    };
  });
  // y = conv2dTranspose(x, W): the input gradient of a conv2d with filter W [kh, kw, Cout, Cin]
  // from y's Cout channels to x's Cin; so dx = conv2d(dy, W) and dW = filterGrad(dy, x).
  const conv2dTranspose = tf.customGrad((x, w, save) => {
    save([x, w]);
    const [n, h, wd] = x.shape;
    return {
      value: tf.conv2dTranspose(x, w, [n, 2 * h, 2 * wd, w.shape[2]], 2, 'same'),
      gradFunc: (dy, [xs, ws]) => [tf.conv2d(dy, ws, 2, 'same'), filterGrad(dy, xs, ws.shape)],
    };
  });
  return { conv2d, conv2dTranspose };
}

// BatchNorm over N, H, W of an NHWC map: batch statistics (training, biased variance as PyTorch
// normalises with) or the running ones (eval).
function batchNorm(tf, h, bn, eps, training) {
  if (!training) return tf.batchNorm(h, bn.mean, bn.variance, bn.beta, bn.gamma, eps);
  const { mean, variance } = tf.moments(h, [0, 1, 2]);
  return tf.batchNorm(h, mean, variance, bn.beta, bn.gamma, eps);
}

/**
 * → { tasks, outputs, info } for bench.js: tasks conv_vae_decode, dcgan_decode (each → the pixels
 * as a Float32Array), dcgan_train_step; outputs: the pixels of one call of each decode;
 * info.dcganStepCheck: the losses of the first two steps beside PyTorch's.
 */
export async function setupTfjsConv(tf, { readSafetensors, seededNormals, mnistBatch, decodeN, convVaeFile, dcganFile, stepReferenceFile }) {
  const { conv2d, conv2dTranspose } = convOps(tf);
  const run = (f, z) => {
    const y = f(z);
    const v = y.dataSync();
    y.dispose();
    return v;
  };

  // ---- conv VAE decoder: fc1 (ReLU), fc2 (ReLU) as C × b × b, deconv{i} (ReLU but the last), σ.
  const cv = await readSafetensors(convVaeFile);
  const channels = cv.metadata.channels.split(',').map(Number).reverse();  // the decoder's order
  const side = Math.round(Math.sqrt(Number(cv.metadata.input)));
  const base = side >> channels.length;
  const fc1 = { w: linearKernel(tf, cv.tensors.get('decoder.fc1.weight')), b: vector(tf, cv.tensors.get('decoder.fc1.bias')) };
  const fc2 = linearWritingMap(tf, cv.tensors.get('decoder.fc2.weight'), cv.tensors.get('decoder.fc2.bias'), channels[0], base * base);
  const deconvs = channels.map((_, i) => ({
    w: filter(tf, cv.tensors.get(`decoder.deconv${i + 1}.weight`)), b: vector(tf, cv.tensors.get(`decoder.deconv${i + 1}.bias`)),
  }));
  const convVaeDecode = (z) => tf.tidy(() => {
    const n = z.shape[0];
    let h = tf.fused.matMul({ a: z, b: fc1.w, bias: fc1.b, activation: 'relu' });
    h = tf.fused.matMul({ a: h, b: fc2.w, bias: fc2.b, activation: 'relu' });
    h = tf.reshape(h, [n, base, base, channels[0]]);
    deconvs.forEach((d, i) => {
      const [, hh, ww] = h.shape;
      h = tf.add(tf.conv2dTranspose(h, d.w, [n, 2 * hh, 2 * ww, d.w.shape[2]], 2, 'same'), d.b);
      if (i + 1 < deconvs.length) h = tf.relu(h);
    });
    return tf.reshape(tf.sigmoid(h), [n, side * side]);
  });

  // ---- DCGAN: G and D of make_dcgan.py's file (latentlab's default DCGAN, see make_dcgan.py).
  const dc = await readSafetensors(dcganFile);
  const dm = dc.metadata;
  const latent = Number(dm.latent);
  const [g1, g2] = dm.generator_channels.split(',').map(Number);
  const d2 = Number(dm.discriminator_channels.split(',')[1]);
  const eps = Number(dm.batchnorm_eps || 1e-5);
  const slope = Number(dm.leaky_slope || 0.2);
  if (dm.generator_channels.split(',').length !== 2 || dm.discriminator_channels.split(',').length !== 2) {
    throw new Error('the tfjs DCGAN reference is written for two stride-2 stages (28 = 7·2·2)');
  }
  ['generator.deconv1.bias', 'discriminator.conv2.bias'].forEach((n) => heldAtZero(dc, n));
  const T = (name) => dc.tensors.get(name);
  const bnOf = (prefix) => ({
    gamma: vector(tf, T(`${prefix}.weight`)), beta: vector(tf, T(`${prefix}.bias`)),
    mean: vector(tf, T(`${prefix}.running_mean`)), variance: vector(tf, T(`${prefix}.running_var`)),
  });
  const fc = linearWritingMap(tf, T('generator.fc.weight'), T('generator.fc.bias'), g1, 49);
  const G = {
    fcW: tf.variable(fc.w), fcB: tf.variable(fc.b), bn1: bnOf('generator.bn1'), deconv1: tf.variable(filter(tf, T('generator.deconv1.weight'))),
    bn2: bnOf('generator.bn2'), deconv2: tf.variable(filter(tf, T('generator.deconv2.weight'))), deconv2B: tf.variable(vector(tf, T('generator.deconv2.bias'))),
  };
  const D = {
    conv1: tf.variable(filter(tf, T('discriminator.conv1.weight'))), conv1B: tf.variable(vector(tf, T('discriminator.conv1.bias'))),
    conv2: tf.variable(filter(tf, T('discriminator.conv2.weight'))), bn2: bnOf('discriminator.bn2'),
    outW: tf.variable(linearReadingMap(tf, T('discriminator.out.weight'), d2, 49)), outB: tf.variable(vector(tf, T('discriminator.out.bias'))),
  };
  for (const bn of [G.bn1, G.bn2, D.bn2]) {
    bn.gamma = tf.variable(bn.gamma);
    bn.beta = tf.variable(bn.beta);
  }
  const gVars = [G.fcW, G.fcB, G.bn1.gamma, G.bn1.beta, G.deconv1, G.bn2.gamma, G.bn2.beta, G.deconv2, G.deconv2B];
  const dVars = [D.conv1, D.conv1B, D.conv2, D.bn2.gamma, D.bn2.beta, D.outW, D.outB];

  // G(z) in [−1, 1], n × 784.
  const generator = (z, training) => {
    const n = z.shape[0];
    let h = tf.reshape(tf.add(tf.matMul(z, G.fcW), G.fcB), [n, 7, 7, g1]);
    h = tf.relu(batchNorm(tf, h, G.bn1, eps, training));
    h = tf.relu(batchNorm(tf, conv2dTranspose(h, G.deconv1), G.bn2, eps, training));
    h = tf.add(conv2dTranspose(h, G.deconv2), G.deconv2B);
    return tf.reshape(tf.tanh(h), [n, 784]);
  };
  // D's logits (n × 1) of images in [−1, 1].
  const discriminator = (x, training) => {
    const n = x.shape[0];
    let h = tf.leakyRelu(tf.add(conv2d(tf.reshape(x, [n, 28, 28, 1]), D.conv1), D.conv1B), slope);
    h = tf.leakyRelu(batchNorm(tf, conv2d(h, D.conv2), D.bn2, eps, training), slope);
    return tf.add(tf.matMul(tf.reshape(h, [n, 7 * 7 * d2]), D.outW), D.outB);
  };
  // Decoding: eval mode, the fused ops tfjs offers for inference (fc + bias in one matMul).
  const dcganDecode = (z) => tf.tidy(() => {
    const n = z.shape[0];
    let h = tf.reshape(tf.fused.matMul({ a: z, b: G.fcW, bias: G.fcB }), [n, 7, 7, g1]);
    h = tf.relu(batchNorm(tf, h, G.bn1, eps, false));
    h = tf.relu(batchNorm(tf, tf.conv2dTranspose(h, G.deconv1, [n, 14, 14, g2], 2, 'same'), G.bn2, eps, false));
    h = tf.add(tf.conv2dTranspose(h, G.deconv2, [n, 28, 28, 1], 2, 'same'), G.deconv2B);
    return tf.reshape(tf.mul(tf.add(tf.tanh(h), 1), 0.5), [n, 784]);
  });

  const zc = tf.tensor(seededNormals(decodeN * Number(cv.metadata.latent), 3), [decodeN, Number(cv.metadata.latent)]);
  const zd = tf.tensor(seededNormals(decodeN * latent, 4), [decodeN, latent]);
  const outputs = { conv_vae_decode: run(convVaeDecode, zc), dcgan_decode: run(dcganDecode, zd) };

  // ---- one DCGAN step, as bench/reference/dcgan.py: D on the real and on the fake batch (each its
  // own BatchNorm batch), BCE on logits, batch means; then G's non-saturating step through D
  // (only G's variables updated). tfjs's minimize records its own forward, so G's forward runs
  // twice per step (for D's fake batch, then inside G's tape): +0.93 of the step's 9.44 GFLOP.
  const reference = await (await fetch(stepReferenceFile)).json();
  const batch = reference.batch;
  const real = tf.tensor(await mnistBatch(batch, 2, -1), [batch, 784]);
  const optD = tf.train.adam(2e-4, 0.5, 0.999, 1e-8);
  const optG = tf.train.adam(2e-4, 0.5, 0.999, 1e-8);
  const latents = reference.z.map((z) => tf.tensor(z, [batch, latent]));
  const step = (z) => {
    const fake = tf.tidy(() => generator(z, true));
    const lossD = optD.minimize(() => tf.add(tf.mean(tf.softplus(tf.neg(discriminator(real, true)))),
      tf.mean(tf.softplus(discriminator(fake, true)))), true, dVars);
    fake.dispose();
    const lossG = optG.minimize(() => tf.mean(tf.softplus(tf.neg(discriminator(generator(z, true), true)))), true, gVars);
    const losses = [lossD.dataSync()[0], lossG.dataSync()[0]];
    lossD.dispose();
    lossG.dispose();
    return losses;
  };
  // The check: the first steps, from the file's weights, on PyTorch's latents.
  const got = latents.map((z) => step(z));
  const dcganStepCheck = {
    d_loss: got.map(([d]) => d), g_loss: got.map(([, g]) => g), pytorch_d_loss: reference.d_loss, pytorch_g_loss: reference.g_loss,
    maxDiff: Math.max(...got.flatMap(([d, g], i) => [Math.abs(d - reference.d_loss[i]), Math.abs(g - reference.g_loss[i])])),
  };
  let k = 0;
  const tasks = {
    conv_vae_decode: () => run(convVaeDecode, zc),
    dcgan_decode: () => run(dcganDecode, zd),
    dcgan_train_step: () => step(latents[k++ % latents.length]),
  };
  return { tasks, outputs, info: { dcganStepCheck } };
}
