// latentlab-train.js — trainers in the page: one Adam step per call, on the training build of the
// wasm core (initLatentlab({ moduleUrl: TRAINING_MODULE_URL }) first). Part of latentlab.js's API
// (latentlab.js exports it); a separate file so the page's first grid does not download it.

import { checkCount, initLatentlab, provideRepair, split64, toFloat32 } from './latentlab-models.js';

/** The training build with relaxed SIMD (FMA): where wasmRelaxedSimdSupported(), a faster step. */
export const RELAXED_TRAINING_MODULE_URL = new URL('./build/latentlab_core_train_relaxed.wasm', import.meta.url);

// ---- training ----

// The weights-file keys of a trainer's config (strings, checked in the core by the code that checks
// a file's metadata) → a NUL-terminated JSON string, and the trainer handle built from it.
function createTrainerHandle(runtime, prefix, what, meta, lr, seed) {
  const M = runtime.M;
  if (typeof M[`ll_${prefix}_trainer_create`] !== 'function') {
    throw new Error('this wasm module has no trainer: call initLatentlab({ moduleUrl: TRAINING_MODULE_URL }) first');
  }
  if (typeof lr !== 'number') throw new TypeError(`lr must be a number, got ${lr}`);
  const [lo, hi] = split64('seed', seed);
  const bytes = new TextEncoder().encode(JSON.stringify(meta) + '\0');
  const handle = runtime.withHeap([bytes.length], ([ptr]) => {
    M.HEAPU8.set(bytes, ptr);
    return M[`ll_${prefix}_trainer_create`](ptr, lr, lo, hi);
  });
  if (!handle) throw new Error(`out of memory while building the ${what} trainer`);
  const error = M.UTF8ToString(M[`ll_${prefix}_trainer_error`](handle));
  if (error) {
    M[`ll_${prefix}_trainer_free`](handle);
    throw new Error(`invalid trainer configuration: ${error}`);
  }
  return handle;
}

const widths = (name, list) => {
  if (!Array.isArray(list) || list.length === 0) throw new TypeError(`${name} must be a non-empty array of widths`);
  return list.map(String).join(',');
};

/**
 * A VAE trained in the page, one Adam step per call — the native trainer's step, with the same RNG
 * streams: a seed initialises the same parameters as `latentlab train --seed` (the node tests check
 * a first step against the native one). Needs the training build: call
 * initLatentlab({ moduleUrl: TRAINING_MODULE_URL }) before anything else.
 *   config   { input = 784, hidden = [400], latent = 20, beta = 1, classes = 0, lr = 1e-3, seed = 0 }
 *            classes > 0: a conditional VAE; step() then needs the images' labels
 */
export async function createVaeTrainer(config = {}, options = {}) {
  const runtime = await initLatentlab(options);
  const { input = 784, hidden = [400], latent = 20, beta = 1, classes = 0, lr = 1e-3, seed = 0 } = config;
  const meta = { input: String(input), hidden: widths('hidden', hidden), latent: String(latent), beta: String(beta) };
  if (classes) meta.classes = String(classes);
  const handle = createTrainerHandle(runtime, 'vae', 'VAE', meta, lr, seed);
  return new Trainer(runtime, handle, 'vae', Number(input), Number(classes), (l, n) => ({
    loss: l[0] / n, reconstruction: l[1] / n, kl: l[2] / n,
  }));
}

/**
 * The MLP GAN trained in the page (gan.hpp: one D step then one G step per call, Adam β1 0.5 for
 * both, as `latentlab train --model gan`). Training build only, as createVaeTrainer.
 *   config   { image = 784, latent = 100, generatorHidden = [128, 256, 512, 1024],
 *              discriminatorHidden = [1024, 512, 256], generatorLeaky = true, generatorBatchnorm = true,
 *              batchnormEps = 0.8, classes = 0, lr = 2e-4, seed = 0 }
 * step(images, n) → { discriminator, generator, realScore, fakeScore } (batch means).
 */
export async function createGanTrainer(config = {}, options = {}) {
  const runtime = await initLatentlab(options);
  const {
    image = 784, latent = 100, generatorHidden = [128, 256, 512, 1024], discriminatorHidden = [1024, 512, 256],
    generatorLeaky = true, generatorBatchnorm = true, batchnormEps = 0.8, classes = 0, lr = 2e-4, seed = 0,
  } = config;
  const meta = {
    image: String(image), latent: String(latent), generator_hidden: widths('generatorHidden', generatorHidden),
    discriminator_hidden: widths('discriminatorHidden', discriminatorHidden),
    generator_activation: generatorLeaky ? 'leaky_relu' : 'relu', generator_batchnorm: generatorBatchnorm ? '1' : '0',
  };
  if (generatorBatchnorm) meta.batchnorm_eps = String(batchnormEps);
  if (classes) meta.classes = String(classes);
  const handle = createTrainerHandle(runtime, 'gan', 'GAN', meta, lr, seed);
  return new Trainer(runtime, handle, 'gan', Number(image), Number(classes), (l) => ({
    discriminator: l[0], generator: l[1], realScore: l[2], fakeScore: l[3],
  }));
}

/**
 * The DCGAN (dcgan.hpp) trained in the page: the same step as createGanTrainer — one D step then one
 * G step per call, Adam β1 0.5 for both — as `latentlab train --model dcgan`, with the native
 * trainer's RNG streams (the node tests check three steps against the native ones). Training build
 * only, as createVaeTrainer.
 *   config   { image = 784, latent = 100, generatorChannels = [128, 64], discriminatorChannels = [64, 128],
 *              classes = 0, ganLoss = 'bce', lr = 2e-4, seed = 0 }
 *            classes > 0: a conditional DCGAN (projection discriminator); step() then needs labels
 *            ganLoss: 'bce', 'lsgan' or 'hinge' (wgan-gp trains only natively: its critic steps and
 *            gradient penalty are the native trainer's)
 * step(images, n) → { discriminator, generator, realScore, fakeScore } (batch means; the scores are
 * mean σ(D(·)) for bce, raw critic scores otherwise).
 */
export async function createDcganTrainer(config = {}, options = {}) {
  const runtime = await initLatentlab(options);
  const {
    image = 784, latent = 100, generatorChannels = [128, 64], discriminatorChannels = [64, 128], classes = 0,
    ganLoss = 'bce', lr = 2e-4, seed = 0,
  } = config;
  const meta = {
    image: String(image), latent: String(latent), generator_channels: widths('generatorChannels', generatorChannels),
    discriminator_channels: widths('discriminatorChannels', discriminatorChannels),
  };
  if (ganLoss !== 'bce') meta.gan_loss = String(ganLoss);
  if (classes) Object.assign(meta, { classes: String(classes), discriminator_conditioning: 'projection' });
  const handle = createTrainerHandle(runtime, 'dcgan', 'DCGAN', meta, lr, seed);
  return new Trainer(runtime, handle, 'dcgan', Number(image), Number(classes), (l) => ({
    discriminator: l[0], generator: l[1], realScore: l[2], fakeScore: l[3],
  }));
}

class Trainer {
  #runtime;
  #handle;
  #prefix;
  #losses;

  constructor(runtime, handle, prefix, imageSize, classes, losses) {
    this.#runtime = runtime;
    this.#handle = handle;
    this.#prefix = prefix;
    this.#losses = losses;
    this.imageSize = imageSize;
    this.classes = classes;
    this.params = runtime.M[`ll_${prefix}_trainer_parameter_count`](handle);
  }

  #live() {
    if (!this.#handle) throw new Error('this trainer has been disposed');
    return this.#handle;
  }

  /**
   * One step on n images in [0, 1] (n·imageSize) → the step's loss terms. labels: the images' n
   * classes (Int32Array or array), required for a conditional trainer (classes > 0), else ignored.
   */
  step(images, n, labels = null) {
    const handle = this.#live();
    if (n === undefined && images != null && typeof images.length === 'number') n = images.length / this.imageSize;
    checkCount('n', n);
    images = toFloat32('images', images, n * this.imageSize);
    let y = null;
    if (this.classes > 0) {
      if (labels == null) throw new Error(`this conditional trainer needs the images' labels`);
      y = Int32Array.from(labels);
      if (y.length !== n) throw new RangeError(`labels must hold ${n} classes, got ${y.length}`);
      if (y.some((c) => c < 0 || c >= this.classes)) throw new RangeError(`labels must be in [0, ${this.classes - 1}]`);
    }
    const rt = this.#runtime;
    return rt.withHeap([images.length * 4, 4 * 8, y ? n * 4 : 4], ([xp, lp, yp]) => {
      rt.writeF32(xp, images);
      if (y) rt.M.HEAPU32.set(y, yp >> 2);
      const rc = rt.M[`ll_${this.#prefix}_trainer_step`](handle, xp, y ? yp : 0, n, lp);
      if (rc !== 0) throw new Error(`train step failed (code ${rc})`);
      return this.#losses(new Float64Array(rt.M.HEAPU8.buffer, lp, 4), n);
    });
  }

  /** The current parameters as a weights file (Uint8Array), for loadModel or a download. */
  save() {
    const handle = this.#live();
    const rt = this.#runtime;
    return rt.withHeap([4], ([sizePtr]) => {
      const ptr = rt.M[`ll_${this.#prefix}_trainer_save`](handle, sizePtr);
      if (!ptr) throw new Error('save failed');
      const size = rt.M.HEAPU32[sizePtr >>> 2];
      return rt.M.HEAPU8.slice(ptr, ptr + size);
    });
  }

  /** Frees the trainer's wasm memory; any later call throws. Safe to call twice. */
  dispose() {
    if (this.#handle) {
      this.#runtime.M[`ll_${this.#prefix}_trainer_free`](this.#handle);
      this.#handle = 0;
    }
  }
}

// ---- repair ----

/**
 * A running repair (Model.repair): gradient steps on the latents of n damaged images against their
 * observed pixels only (core/include/latentlab/infer/latent_repair.hpp), from the encoder's guess.
 *   step(k = 1) → { loss, reconstruction, prior } (per image, before the k-th step)
 *   latents()   → Float32Array(n·latentDim), the current z (decode it with model.decode)
 */
class Repair {
  #runtime;
  #handle;

  constructor(runtime, handle, n, latentDim) {
    this.#runtime = runtime;
    this.#handle = handle;
    this.n = n;
    this.latentDim = latentDim;
  }

  #live() {
    if (!this.#handle) throw new Error('this repair has been disposed');
    return this.#handle;
  }

  step(k = 1) {
    const handle = this.#live();
    checkCount('k', k, 100000);
    const rt = this.#runtime;
    return rt.withHeap([16], ([lp]) => {
      const rc = rt.M.ll_repair_step(handle, k, lp);
      if (rc !== 0) throw new Error(`repair step failed (code ${rc})`);
      const l = new Float64Array(rt.M.HEAPU8.buffer, lp, 2);
      return { loss: (l[0] + l[1]) / this.n, reconstruction: l[0] / this.n, prior: l[1] / this.n };
    });
  }

  latents() {
    const ptr = this.#runtime.M.ll_repair_latents(this.#live());
    return this.#runtime.readF32(ptr, this.n * this.latentDim);
  }

  dispose() {
    if (this.#handle) {
      this.#runtime.M.ll_repair_free(this.#handle);
      this.#handle = 0;
    }
  }
}

// Model.repair (latentlab-models.js): checks the arguments, copies the images, mask and labels into
// the heap and starts the core's repair; label(y) checks a class as the model does.
function startRepair(rt, handle, info, label, images, mask, n, options) {
  const size = info.imageSize;
  checkCount('n', n);
  images = toFloat32('images', images, n * size);
  mask = toFloat32('mask', mask, n * size);
  const { prior = 1, lr = 0.05 } = options;
  const labels = options.labels == null ? null : Int32Array.from(options.labels, label);
  if (labels && labels.length !== n) throw new RangeError(`labels must hold ${n} classes, got ${labels.length}`);
  const r = rt.withHeap([images.length * 4, mask.length * 4, labels ? n * 4 : 4], ([xp, mp, lp]) => {
    rt.writeF32(xp, images);
    rt.writeF32(mp, mask);
    if (labels) rt.M.HEAPU32.set(labels, lp >> 2);
    return rt.M.ll_repair_create(handle, xp, mp, labels ? lp : 0, n, prior, lr);
  });
  if (!r) throw new Error('out of memory while setting up the repair');
  const error = rt.M.UTF8ToString(rt.M.ll_repair_error(r));
  if (error) {
    rt.M.ll_repair_free(r);
    throw new Error(error);
  }
  return new Repair(rt, r, n, info.latentDim);
}

provideRepair(startRepair);
