// The page's training and repair worker (module worker; started by train.js and repair.js). It
// loads the training build of the wasm core (latentlab_core_train_relaxed.wasm where relaxed SIMD
// validates, else latentlab_core_train.wasm) on its first train or repair message, so the page's
// first grid never pays for it, and keeps every step off the main thread.
//
// Messages in:
//   { type: 'train', preset, seed, epochs, source: { url } | { images, labels } }   IDX bytes (ArrayBuffer)
//   { type: 'pause' } | { type: 'resume' } | { type: 'stop' } | { type: 'save' }
//   { type: 'repair', weights?, images, mask, n, label?, steps, every, prior, lr }   weights: a file's bytes
//                                                                                 (default models/vae.safetensors)
//   { type: 'test-digits', url }                                                 the first 100 MNIST test digits
// Messages out:
//   { type: 'status', text } · { type: 'error', message }
//   { type: 'progress', step, epoch, images, epochImages, stepsPerSecond, terms: { name: mean }, elapsed }
//   { type: 'samples', pixels, n, cols, shape: [rows, cols] of an image } · { type: 'weights', bytes, final }
//   { type: 'done', reason, elapsed, step, seconds: { module, data, batches, steps, samples }, clock }   where
//     the elapsed seconds went: the training module, the data (fetch + parse), batch assembly (u8 → f32),
//     trainer.step, the sample grids; the rest is the trainer's creation, progress and the event loop.
//     clock: { created, loaded, started, done }, ms since the epoch (performance.timeOrigin-based, the
//     page's clock too): this worker's creation, its imports done, the train message taken, done;
//     module: the training build's file name
//   { type: 'repair-step', step, loss, pixels } · { type: 'repair-done', baseline, pixels }
//   { type: 'digits', pixels, n, labels }
import {
  createDcganTrainer, createGanTrainer, createVaeTrainer, initLatentlab, loadModel, RELAXED_TRAINING_MODULE_URL,
  TRAINING_MODULE_URL, wasmRelaxedSimdSupported,
} from './latentlab.js';
import { parseIdxPair, readIdx } from './idx.js';

// What the page can train: the trainer factory, its config and batch. The GAN is smaller than the
// CLI's default (128…1024 / 1024…256) so that a step fits a tab's budget. The DCGAN is the CLI's
// default (`latentlab train --model dcgan`): 9.4 GFLOP a step, a fraction of a second in a worker,
// so an MNIST epoch (937 steps) takes minutes (docs/train-in-tab.md); Pause and Stop answer after
// the step in flight.
export const PRESETS = {
  vae: { label: 'MLP VAE', create: createVaeTrainer, config: { hidden: [400], latent: 20, lr: 1e-3 }, batch: 128 },
  cvae: {
    label: 'conditional MLP VAE', create: createVaeTrainer, config: { hidden: [400], latent: 20, lr: 1e-3, classes: 10 }, batch: 128,
  },
  gan: {
    label: 'MLP GAN', create: createGanTrainer, batch: 64, dropsLastBatch: true,
    config: { latent: 64, generatorHidden: [256, 512], discriminatorHidden: [512, 256], lr: 2e-4 },
  },
  dcgan: {
    label: 'DCGAN', create: createDcganTrainer, batch: 64, dropsLastBatch: true,
    config: { latent: 100, generatorChannels: [128, 64], discriminatorChannels: [64, 128], lr: 2e-4 },
  },
};

// When this worker's script and its imports had loaded (see 'done').
const LOADED_AT = performance.timeOrigin + performance.now();
const DATA_ORDER_STREAM = 2;  // latentlab/streams.hpp: the epoch order, as the native trainer draws it
const SLICE_MS = 40;          // steps between looks at the message queue (pause/stop answer within this)
const SAMPLE_EVERY_MS = 2000;
const PROGRESS_EVERY_MS = 250;
// A byte v → v / 255 as a float32, by table: the same values as dividing, without a division per pixel.
const PIXEL = Float32Array.from({ length: 256 }, (_, v) => v / 255);

let runtimePromise = null;  // the training build, instantiated on the first train or repair
// The relaxed-SIMD (FMA) training build where this engine validates relaxed SIMD, as the page
// picks its own module; else the SIMD128 one.
const trainingModuleUrl = () => (wasmRelaxedSimdSupported() ? RELAXED_TRAINING_MODULE_URL : TRAINING_MODULE_URL);
const runtimeReady = () => (runtimePromise ??= initLatentlab({ moduleUrl: trainingModuleUrl() }));
const job = { paused: false, stopped: false, trainer: null, wake: null };

const post = (msg, transfer) => self.postMessage(msg, transfer || []);
// Yields to the event loop so that pause / stop / save messages get in: a message to ourselves, not
// setTimeout(0), which browsers clamp to 4 ms once timers nest (every slice would lose 4 ms in 40).
const yieldChannel = new MessageChannel();
const yielded = [];
yieldChannel.port1.onmessage = () => yielded.shift()();
const tick = () => new Promise((resolve) => {
  yielded.push(resolve);
  yieldChannel.port2.postMessage(null);
});

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not fetch ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function dataset(source) {
  if (source.url) {
    post({ type: 'status', text: 'Fetching MNIST…' });
    const base = new URL(source.url, self.location.href);
    const [images, labels] = await Promise.all([
      fetchBytes(new URL('train-images-idx3-ubyte', base)), fetchBytes(new URL('train-labels-idx1-ubyte', base)),
    ]);
    return parseIdxPair(await readIdx(images, 'train-images-idx3-ubyte'), await readIdx(labels, 'train-labels-idx1-ubyte'));
  }
  return parseIdxPair(await readIdx(new Uint8Array(source.images), source.imagesName),
    source.labels ? await readIdx(new Uint8Array(source.labels), source.labelsName) : null);
}

async function sampleGrid(trainer, model, shape) {
  if (model) model.dispose();
  const next = await loadModel(trainer.save());
  const n = 32;
  // A conditional model is asked for the classes in turn (the sampling contract), so each row of
  // 10 shows the ten classes.
  const pixels = next.sample(n, 1);
  post({ type: 'samples', pixels, n, cols: next.info.conditional ? 10 : 8, shape }, [pixels.buffer]);
  return next;
}

async function train({ preset: name, seed = 1, epochs = 1, source }) {
  const preset = PRESETS[name];
  if (!preset) throw new Error(`unknown training preset ${name}`);
  const t0 = performance.now();
  const rt = await runtimeReady();
  const seconds = { module: (performance.now() - t0) / 1000, data: 0, batches: 0, steps: 0, samples: 0 };
  const tData = performance.now();
  const data = await dataset(source);
  seconds.data = (performance.now() - tData) / 1000;
  if (preset.config.classes && !data.labels) throw new Error('a conditional model needs the labels file too');
  if (preset.config.classes && data.classes > preset.config.classes) {
    throw new Error(`the labels go up to ${data.classes - 1}, more classes than the model's ${preset.config.classes}`);
  }
  const trainer = await preset.create({ ...preset.config, input: data.size, image: data.size, seed });
  job.trainer = trainer;
  const batch = preset.batch;
  const x = new Float32Array(batch * data.size);
  const y = new Int32Array(batch);
  post({ type: 'status', text: `Training the ${preset.label} (${trainer.params.toLocaleString('en')} parameters) on ${data.count.toLocaleString('en')} images.` });
  let step = 0;
  let model = null;
  let lastSample = -Infinity;
  let lastProgress = -Infinity;
  let rate = { steps: 0, since: performance.now(), value: 0 };
  const sums = {};
  let termSteps = 0;
  for (let epoch = 0; epoch < epochs && !job.stopped; ++epoch) {
    const order = rt.rngShuffle(seed + epoch, DATA_ORDER_STREAM, data.count);
    // A GAN drops the last partial batch (as native); the VAE keeps it.
    const steps = preset.dropsLastBatch ? Math.floor(data.count / batch) : Math.ceil(data.count / batch);
    let s = 0;
    while (s < steps && !job.stopped) {
      const sliceEnd = performance.now() + SLICE_MS;
      while (s < steps && performance.now() < sliceEnd && !job.paused && !job.stopped) {
        const tBatch = performance.now();
        const first = s * batch;
        const n = Math.min(batch, data.count - first);
        for (let r = 0; r < n; ++r) {
          const k = order[first + r];
          const src = data.pixels.subarray(k * data.size, (k + 1) * data.size);
          const dst = r * data.size;
          for (let i = 0; i < data.size; ++i) x[dst + i] = PIXEL[src[i]];
          if (data.labels) y[r] = data.labels[k];
        }
        const tStep = performance.now();
        const terms = trainer.step(n === batch ? x : x.subarray(0, n * data.size), n, data.labels ? y.subarray(0, n) : null);
        const tEnd = performance.now();
        seconds.batches += (tStep - tBatch) / 1000;
        seconds.steps += (tEnd - tStep) / 1000;
        for (const [k, v] of Object.entries(terms)) sums[k] = (sums[k] || 0) + v;
        ++termSteps;
        ++s;
        ++step;
        ++rate.steps;
      }
      const now = performance.now();
      if (termSteps > 0 && (now - lastProgress >= PROGRESS_EVERY_MS || s === steps)) {
        if (now - rate.since > 500) rate = { steps: 0, since: now, value: (rate.steps * 1000) / (now - rate.since) };
        const terms = {};
        for (const k of Object.keys(sums)) terms[k] = sums[k] / termSteps;
        post({
          type: 'progress', step, epoch: epoch + s / steps, images: Math.min(s * batch, data.count),
          epochImages: data.count, stepsPerSecond: rate.value, terms, elapsed: (now - t0) / 1000,
        });
        for (const k of Object.keys(sums)) delete sums[k];
        termSteps = 0;
        lastProgress = now;
      }
      if (now - lastSample >= SAMPLE_EVERY_MS) {
        model = await sampleGrid(trainer, model, data.shape);
        lastSample = performance.now();
        seconds.samples += (lastSample - now) / 1000;
      }
      await tick();  // lets pause / stop / save messages in
      while (job.paused && !job.stopped) await new Promise((resolve) => { job.wake = resolve; });
    }
  }
  const tLast = performance.now();
  model = await sampleGrid(trainer, model, data.shape);
  seconds.samples += (performance.now() - tLast) / 1000;
  const { hasEncoder } = model.info;
  model.dispose();
  const bytes = trainer.save();
  post({ type: 'weights', bytes, final: true, hasEncoder }, [bytes.buffer]);
  const end = performance.now();
  const clock = { created: performance.timeOrigin, loaded: LOADED_AT, started: performance.timeOrigin + t0, done: performance.timeOrigin + end };
  post({
    type: 'done', reason: job.stopped ? 'stopped' : 'finished', elapsed: (end - t0) / 1000, step, seconds, clock,
    module: trainingModuleUrl().pathname.split('/').pop(),
  });
}

async function repair({ weights, images, mask, n, label, steps = 60, every = 3, prior = 1, lr = 0.05 }) {
  await runtimeReady();
  const model = await loadModel(weights || new URL('models/vae.safetensors', self.location.href).href);
  try {
    const labels = model.info.conditional ? new Array(n).fill(label ?? 0) : undefined;
    if (!model.info.hasEncoder) throw new Error(`repair needs a VAE; this ${model.info.label} has no encoder`);
    // The baseline: a plain encode → decode of the damaged image.
    const { mu } = model.encode(images, n, { labels });
    const baseline = model.decode(mu, n, { labels });
    const r = model.repair(images, mask, n, { labels, prior, lr });
    try {
      for (let s = 0; s < steps; s += every) {
        const { loss } = r.step(Math.min(every, steps - s));
        const pixels = model.decode(r.latents(), n, { labels });
        post({ type: 'repair-step', step: Math.min(s + every, steps), loss, pixels }, [pixels.buffer]);
        await tick();
      }
      post({ type: 'repair-done', baseline, pixels: model.decode(r.latents(), n, { labels }) });
    } finally {
      r.dispose();
    }
  } finally {
    model.dispose();
  }
}

// url: the test images file; its labels file sits beside it (t10k-labels-idx1-ubyte).
async function testDigits({ url }) {
  const imagesUrl = new URL(url, self.location.href);
  const [bytes, labelBytes] = await Promise.all([
    fetchBytes(imagesUrl), fetchBytes(new URL('t10k-labels-idx1-ubyte', imagesUrl)).catch(() => null),
  ]);
  const idx = await readIdx(bytes, 't10k-images-idx3-ubyte');
  const n = Math.min(100, idx.dims[0]);
  const size = idx.dims[1] * idx.dims[2];
  const pixels = Float32Array.from(idx.data.subarray(0, n * size), (v) => v / 255);
  const labels = labelBytes ? Array.from((await readIdx(labelBytes, 't10k-labels-idx1-ubyte')).data.subarray(0, n)) : null;
  post({ type: 'digits', pixels, n, labels }, [pixels.buffer]);
}

self.onmessage = async (e) => {
  const msg = e.data;
  try {
    if (msg.type === 'pause') job.paused = true;
    else if (msg.type === 'resume' || msg.type === 'stop') {
      if (msg.type === 'stop') job.stopped = true;
      job.paused = false;
      job.wake?.();
    } else if (msg.type === 'save' && job.trainer) {
      const bytes = job.trainer.save();
      post({ type: 'weights', bytes, final: false }, [bytes.buffer]);
    } else if (msg.type === 'train') await train(msg);
    else if (msg.type === 'repair') await repair(msg);
    else if (msg.type === 'test-digits') await testDigits(msg);
  } catch (err) {
    post({ type: 'error', message: err && err.message ? err.message : String(err) });
  }
};
