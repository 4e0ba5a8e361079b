// The browser benchmark page (bench/web/bench.html?fw=all|peak), driven by run.mjs.
//
// latentlab, tfjs and ONNX Runtime run in the same page, single-threaded, calls interleaved
// (benchAll), on the same inputs:
//   * the shipped models web/models/{vae,gan,conv-vae}.safetensors and the DCGAN
//     build/bench/web/dcgan.safetensors (make_dcgan.py) — ours loads them; tfjs gets the same
//     weights as tensors; ONNX Runtime loads build/bench/web/*.onnx, exported from the same files
//     by make_onnx.py — so every framework computes the same function;
//   * latents from one seeded Box–Muller stream (seededNormals), 64 per model;
//   * the first 128 MNIST training images for the VAE training step (real pixels: ~80% zeros), the
//     first 64 (as 2p − 1) for the DCGAN step.
// Timings are wall-clock per call (performance.now) after warm-up, including what a user pays:
// copies into and out of each runtime, tfjs's dataSync, ORT's async run.
// The page checks every reference against ours before timing it: the max |Δ| over all pixels of
// each decode, and for the tfjs DCGAN step its losses of two steps against PyTorch's (make_dcgan.py).
// Our DCGAN step (createDcganTrainer, the same architecture from its own seeded init: the step's
// work does not depend on the values) is checked against the native trainer by the node tests
// (tests/node/dcgan-trainer.test.mjs), and the native DCGAN against PyTorch by the unit tests.
// window.runBench() resolves to { fw, frameworks: { ours|tfjs|ort: { results: { task: stats }, info } },
// agreement: { task: { tfjs, ort } } }.

import { setupTfjsConv } from './tfjs-conv.js';

const params = new URLSearchParams(location.search);
const FW = params.get('fw') || 'all';
const QUICK = params.get('quick') === '1';
// decodes=1: only the four decode tasks (run.mjs --decodes), e.g. to compare the relaxed-SIMD module.
const DECODES_ONLY = params.get('decodes') === '1';
const DECODE_TASKS = ['vae_decode', 'gan_decode', 'conv_vae_decode', 'dcgan_decode'];
// Per task: warm-up calls, timed samples, calls per sample. Without cross-origin isolation
// performance.now() ticks in 0.1 ms: a sample of the ~1–5 ms MLP decodes is the mean of 4
// consecutive calls, so its rounding stays below 2%; the conv tasks take 10 ms to seconds.
const PLAN = {
  vae_decode: { warmup: QUICK ? 10 : 30, reps: QUICK ? 20 : 80, calls: 4 },
  gan_decode: { warmup: QUICK ? 10 : 30, reps: QUICK ? 20 : 80, calls: 4 },
  conv_vae_decode: { warmup: QUICK ? 5 : 15, reps: QUICK ? 15 : 50, calls: 1 },
  dcgan_decode: { warmup: QUICK ? 3 : 8, reps: QUICK ? 10 : 30, calls: 1 },
  vae_train_step: { warmup: QUICK ? 3 : 8, reps: QUICK ? 10 : 40, calls: 1 },
  dcgan_train_step: { warmup: QUICK ? 1 : 2, reps: QUICK ? 3 : 8, calls: 1 },
  gan_train_step: { warmup: QUICK ? 3 : 8, reps: QUICK ? 10 : 40, calls: 1 },
};
const DECODE_N = 64;
const TRAIN_N = 128;
const DCGAN_FILE = '/build/bench/web/dcgan.safetensors';
const CONV_VAE_FILE = '/web/models/conv-vae.safetensors';

const NM = '/bench/web/node_modules';

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// mulberry32 + Box–Muller: the same latents for every framework (not latentlab's RNG on purpose,
// so the tfjs and ORT pages need nothing of ours).
function seededNormals(n, seed) {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const a = 2 * Math.PI * u();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

// The first n MNIST training images, pixel p ↦ scale·p/255 + shift.
async function mnistBatch(n, scale = 1, shift = 0) {
  const raw = await fetchBytes('/data/mnist/train-images-idx3-ubyte');
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; ++i) x[i] = (scale * raw[16 + i]) / 255 + shift;
  return x;
}

// float16 bits → float32
function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

// safetensors → { tensors: Map(name → { shape, values: Float32Array }), metadata }
async function readSafetensors(url) {
  const bytes = await fetchBytes(url);
  const view = new DataView(bytes.buffer);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const metadata = header.__metadata__ || {};
  delete header.__metadata__;
  const tensors = new Map();
  for (const [name, t] of Object.entries(header)) {
    const [a, b] = t.data_offsets;
    const base = 8 + n + a;
    const count = t.shape.reduce((x, y) => x * y, 1);
    const values = new Float32Array(count);
    if (t.dtype === 'F32') values.set(new Float32Array(bytes.slice(base, 8 + n + b).buffer));
    else if (t.dtype === 'F16') for (let i = 0; i < count; ++i) values[i] = halfToFloat(view.getUint16(base + 2 * i, true));
    else throw new Error(`${url}: dtype ${t.dtype} not handled by the bench page`);
    tensors.set(name, { shape: t.shape, values });
  }
  return { tensors, metadata, bytes };
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return { median: q(0.5), min: s[0], p10: q(0.1), p90: q(0.9), max: s[s.length - 1], reps: s.length, ms };
}

async function time(fn, warmup, reps) {
  for (let i = 0; i < warmup; ++i) await fn();
  const ms = [];
  for (let i = 0; i < reps; ++i) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

const maxAbsDiff = (a, b) => {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; ++i) m = Math.max(m, Math.abs(a[i] - b[i]));
  return Number.isNaN(m) ? Infinity : m;
};

// ---------------------------------------------------------------- ours

async function setupOurs() {
  const api = await import('/web/latentlab.js');
  const rt = await api.initLatentlab({ moduleUrl: api.TRAINING_MODULE_URL });
  const vae = await api.loadModel('/web/models/vae.safetensors');
  const gan = await api.loadModel('/web/models/gan.safetensors');
  const cvae = await api.loadModel(CONV_VAE_FILE);
  const dcgan = await api.loadModel(DCGAN_FILE);
  const zv = seededNormals(DECODE_N * vae.info.latentDim, 1);
  const zg = seededNormals(DECODE_N * gan.info.latentDim, 2);
  const zc = seededNormals(DECODE_N * cvae.info.latentDim, 3);
  const zd = seededNormals(DECODE_N * dcgan.info.latentDim, 4);
  const outputs = { vae_decode: vae.decode(zv, DECODE_N), gan_decode: gan.decode(zg, DECODE_N),
    conv_vae_decode: cvae.decode(zc, DECODE_N), dcgan_decode: dcgan.decode(zd, DECODE_N) };
  const x = await mnistBatch(TRAIN_N);
  const trainer = await api.createVaeTrainer({ input: 784, hidden: [400], latent: 20, lr: 1e-3, seed: 1 });
  // The GAN steps at batch 64 on the first 64 images (the trainers map pixels to 2p − 1, as the tfjs
  // step's input): the DCGAN of make_dcgan.py's architecture (`latentlab train --model dcgan`'s
  // defaults: G 128,64, D 64,128, latent 100), and the MLP GAN of the shipped gan.safetensors.
  const dcganTrainer = await api.createDcganTrainer({ seed: 1 });
  const ganTrainer = await api.createGanTrainer({ seed: 1 });
  const xg = x.subarray(0, 64 * 784);
  const info = { simdArch: rt.simdArch, module: 'latentlab_core_train.wasm', losses: [] };
  const tasks = {
    vae_decode: () => vae.decode(zv, DECODE_N),
    gan_decode: () => gan.decode(zg, DECODE_N),
    conv_vae_decode: () => cvae.decode(zc, DECODE_N),
    dcgan_decode: () => dcgan.decode(zd, DECODE_N),
    vae_train_step: () => info.losses.push(trainer.step(x, TRAIN_N).loss),
    dcgan_train_step: () => dcganTrainer.step(xg, 64),
    gan_train_step: () => ganTrainer.step(xg, 64),
  };
  return { tasks, outputs, info };
}

// The relaxed-SIMD page module (latentlab_core_relaxed.wasm: FMA in the GEMM micro-kernels) on the
// decode tasks, beside the SIMD128 one: a second instance of the JS API (another URL is another ES
// module, with its own runtime), so both modules run in the same page.
async function setupRelaxed() {
  const api = await import('/web/latentlab-models.js?relaxed');
  const rt = await api.initLatentlab({ moduleUrl: '/web/build/latentlab_core_relaxed.wasm' });
  const models = [['vae_decode', '/web/models/vae.safetensors', 1], ['gan_decode', '/web/models/gan.safetensors', 2],
    ['conv_vae_decode', CONV_VAE_FILE, 3], ['dcgan_decode', DCGAN_FILE, 4]];
  const tasks = {};
  const outputs = {};
  for (const [task, file, seed] of models) {
    const model = await api.loadModel(file);
    const z = seededNormals(DECODE_N * model.info.latentDim, seed);  // the same latents as setupOurs
    tasks[task] = () => model.decode(z, DECODE_N);
    outputs[task] = tasks[task]();
  }
  return { tasks, outputs, info: { simdArch: rt.simdArch, module: 'latentlab_core_relaxed.wasm' } };
}

// ---------------------------------------------------------------- tfjs (backend-wasm)


function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(s);
  });
}

async function setupTfjs() {
  // The union bundle (core + layers + converter + the CPU/WebGL backends): tf-core.min.js alone
  // registers no gradients, so it cannot train. The download comparison counts only core + wasm.
  await loadScript(`${NM}/@tensorflow/tfjs/dist/tf.min.js`);
  await loadScript(`${NM}/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js`);
  const tf = window.tf;
  tf.wasm.setWasmPaths(`${NM}/@tensorflow/tfjs-backend-wasm/dist/`);
  tf.wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialise');
  await tf.ready();
  const info = {
    version: tf.version.tfjs || tf.version_core,
    backend: tf.getBackend(),
    simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    multithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
    threads: tf.wasm.getThreadsCount ? tf.wasm.getThreadsCount() : 1,
  };
  const vaeFile = await readSafetensors('/web/models/vae.safetensors');
  const ganFile = await readSafetensors('/web/models/gan.safetensors');
  // Weight matrices are stored [out, in] (PyTorch's nn.Linear); tfjs gets them as [in, out], the
  // layout of tf.layers.dense's kernel. Measured here: fused matMul with transposeB is 20× slower
  // on the wasm backend (38 vs 1.6 ms for 64×400·400×784) and, with a bias, wrong.
  const T = (file, name) => {
    const t = file.tensors.get(name);
    const x = tf.tensor(t.values, t.shape, 'float32');
    if (t.shape.length !== 2) return x;
    const xt = tf.transpose(x);
    x.dispose();
    return xt;
  };
  // y = act(x·W + b)
  const dense = (x, w, b, activation = 'linear', leakyreluAlpha = 0.2) =>
    tf.fused.matMul({ a: x, b: w, bias: b, activation, leakyreluAlpha });

  const vd = { w1: T(vaeFile, 'decoder.fc1.weight'), b1: T(vaeFile, 'decoder.fc1.bias'),
    w2: T(vaeFile, 'decoder.out.weight'), b2: T(vaeFile, 'decoder.out.bias') };
  const vaeDecode = (z) => tf.tidy(() => tf.sigmoid(dense(dense(z, vd.w1, vd.b1, 'relu'), vd.w2, vd.b2)));

  const gm = ganFile.metadata;
  const slope = Number(gm.leaky_slope || 0.2);
  const eps = Number(gm.batchnorm_eps || 0.8);
  const glayers = gm.generator_hidden.split(',').map((_, i) => {
    const n = `generator.fc${i + 1}`;
    const l = { w: T(ganFile, `${n}.weight`), b: T(ganFile, `${n}.bias`) };
    if (ganFile.tensors.has(`${n}.bn.weight`)) {
      l.bn = { gamma: T(ganFile, `${n}.bn.weight`), beta: T(ganFile, `${n}.bn.bias`),
        mean: T(ganFile, `${n}.bn.running_mean`), variance: T(ganFile, `${n}.bn.running_var`) };
    }
    return l;
  });
  const gout = { w: T(ganFile, 'generator.out.weight'), b: T(ganFile, 'generator.out.bias') };
  const ganDecode = (z) => tf.tidy(() => {
    let h = z;
    for (const l of glayers) {
      if (l.bn) {
        h = tf.batchNorm(dense(h, l.w, l.b), l.bn.mean, l.bn.variance, l.bn.beta, l.bn.gamma, eps);
        h = tf.leakyRelu(h, slope);
      } else {
        h = dense(h, l.w, l.b, 'leakyrelu', slope);
      }
    }
    return tf.mul(tf.add(tf.tanh(dense(h, gout.w, gout.b)), 1), 0.5);
  });

  const zv = tf.tensor(seededNormals(DECODE_N * 20, 1), [DECODE_N, 20]);
  const zg = tf.tensor(seededNormals(DECODE_N * Number(gm.latent), 2), [DECODE_N, Number(gm.latent)]);
  const run = (f, z) => {
    const y = f(z);
    const v = y.dataSync();
    y.dispose();
    return v;
  };
  const outputs = { vae_decode: run(vaeDecode, zv), gan_decode: run(ganDecode, zg) };

  // One training step: the same VAE (784-400-20), BCE-with-logits summed + KL summed, Adam 1e-3.
  const V = (name) => tf.variable(T(vaeFile, name));
  const p = {
    ew: V('encoder.fc1.weight'), eb: V('encoder.fc1.bias'), mw: V('encoder.mu.weight'), mb: V('encoder.mu.bias'),
    lw: V('encoder.logvar.weight'), lb: V('encoder.logvar.bias'), dw: V('decoder.fc1.weight'), db: V('decoder.fc1.bias'),
    ow: V('decoder.out.weight'), ob: V('decoder.out.bias'),
  };
  const x = tf.tensor(await mnistBatch(TRAIN_N), [TRAIN_N, 784]);
  const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  const lossFn = () => {
    const h = dense(x, p.ew, p.eb, 'relu');
    const mu = dense(h, p.mw, p.mb);
    const logvar = dense(h, p.lw, p.lb);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.randomNormal([TRAIN_N, 20])));
    const logits = dense(dense(z, p.dw, p.db, 'relu'), p.ow, p.ob);
    const bce = tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)));
    const kl = tf.mul(tf.sum(tf.sub(tf.sub(tf.add(logvar, 1), tf.square(mu)), tf.exp(logvar))), -0.5);
    return tf.add(bce, kl);
  };
  info.losses = [];
  const tasks = {
    vae_decode: () => run(vaeDecode, zv),
    gan_decode: () => run(ganDecode, zg),
    vae_train_step: () => {
      const cost = opt.minimize(lossFn, true);
      info.losses.push(cost.dataSync()[0] / TRAIN_N);
      cost.dispose();
    },
  };
  // The conv models (tfjs-conv.js): conv VAE and DCGAN decode, the DCGAN training step.
  const conv = await setupTfjsConv(tf, { readSafetensors, seededNormals, mnistBatch, decodeN: DECODE_N,
    convVaeFile: CONV_VAE_FILE, dcganFile: DCGAN_FILE, stepReferenceFile: '/build/bench/web/dcgan_step_reference.json' });
  return { tasks: { ...tasks, ...conv.tasks }, outputs: { ...outputs, ...conv.outputs }, info: { ...info, ...conv.info } };
}

// ---------------------------------------------------------------- ONNX Runtime Web (wasm EP)

async function setupOrt() {
  const ort = await import(`${NM}/onnxruntime-web/dist/ort.wasm.min.mjs`);
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = `${NM}/onnxruntime-web/dist/`;
  const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  const session = (name) => ort.InferenceSession.create(`/build/bench/web/${name}.onnx`, options);
  const vae = await session('vae_decoder');
  const gan = await session('gan_generator');
  const cvae = await session('conv_vae_decoder');
  const dcgan = await session('dcgan_generator');
  const zv = seededNormals(DECODE_N * 20, 1);
  const zg = seededNormals(DECODE_N * 100, 2);
  const zc = seededNormals(DECODE_N * 20, 3);
  const zd = seededNormals(DECODE_N * 100, 4);
  const run = async (s, z, d) => (await s.run({ z: new ort.Tensor('float32', z, [DECODE_N, d]) })).pixels.data;
  const tasks = {
    vae_decode: () => run(vae, zv, 20), gan_decode: () => run(gan, zg, 100),
    conv_vae_decode: () => run(cvae, zc, 20), dcgan_decode: () => run(dcgan, zd, 100),
  };
  const outputs = {};
  for (const [task, fn] of Object.entries(tasks)) outputs[task] = await fn();
  return { tasks, outputs, info: { version: ort.env.versions?.web || '', numThreads: ort.env.wasm.numThreads,
    crossOriginIsolated: self.crossOriginIsolated === true } };
}

// ---------------------------------------------------------------- wasm mul+add peak

async function benchPeak() {
  const factory = (await import('/build/bench/web/wasm_peak.js')).default;
  const M = await factory();
  const iterations = QUICK ? 2_000_000 : 5_000_000;
  const names = ['8 fused chains', '10 fused chains', '12 fused chains', '4+4 split chains', '5+5 split chains', '6+6 split chains'];
  const best = {};
  for (let v = 0; v < names.length; ++v) {
    M._ll_peak_run(v, iterations / 10);  // warm-up (tier-up to TurboFan)
    const r = await time(() => M._ll_peak_run(v, iterations), 1, QUICK ? 5 : 15);
    best[names[v]] = (iterations * M._ll_peak_flops_per_iteration(v)) / (r.min * 1e6);  // GFLOP/s, fastest repetition
  }
  return { results: {}, info: { gflops_by_variant: best, gflops: Math.max(...Object.values(best)) } };
}

// All frameworks in this page, one call each in turn (ours, tfjs, ORT, ours, …) after a warm-up
// of each: a load spike on the shared machine then hits every framework alike.
async function benchAll() {
  const setups = { ours: await setupOurs(), tfjs: await setupTfjs(), ort: await setupOrt() };
  // The page's own test (latentlab.js): can this engine run the relaxed module?
  if ((await import('/web/latentlab.js')).wasmRelaxedSimdSupported()) setups.relaxed = await setupRelaxed();
  // Each reference's pixels against ours, every pixel of one call on the same latents.
  const agreement = {};
  for (const [task, pixels] of Object.entries(setups.ours.outputs)) {
    agreement[task] = {};
    for (const fw of ['tfjs', 'ort', 'relaxed']) if (setups[fw]?.outputs[task]) agreement[task][fw] = maxAbsDiff(pixels, setups[fw].outputs[task]);
  }
  const results = {};
  for (const [task, { warmup, reps, calls }] of Object.entries(PLAN)) {
    if (DECODES_ONLY && !DECODE_TASKS.includes(task)) continue;
    const fws = Object.keys(setups).filter((fw) => setups[fw].tasks[task]);
    for (const fw of fws) for (let i = 0; i < warmup; ++i) await setups[fw].tasks[task]();
    const ms = Object.fromEntries(fws.map((fw) => [fw, []]));
    for (let r = 0; r < reps; ++r) {
      for (const fw of fws) {
        const fn = setups[fw].tasks[task];
        const t0 = performance.now();
        for (let c = 0; c < calls; ++c) await fn();
        ms[fw].push((performance.now() - t0) / calls);
      }
    }
    for (const fw of fws) (results[fw] ||= {})[task] = stats(ms[fw]);
  }
  const out = {};
  for (const [fw, s] of Object.entries(setups)) {
    const { losses, ...info } = s.info;
    if (losses) Object.assign(info, { firstLoss: losses[0], lastLoss: losses.at(-1), steps: losses.length });
    out[fw] = { results: results[fw], info };
  }
  return { frameworks: out, agreement };
}

window.runBench = async () => {
  if (FW === 'peak') return { fw: FW, ...(await benchPeak()) };
  if (FW === 'all') return { fw: FW, ...(await benchAll()) };
  throw new Error(`unknown fw=${FW}`);
};
