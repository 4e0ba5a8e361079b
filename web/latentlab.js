// latentlab.js — the JavaScript API of latentlab's WebAssembly core.
//
//   import { loadModel } from './latentlab.js';
//   const model = await loadModel('models/vae.safetensors');   // or an ArrayBuffer / typed array / Blob
//   model.info                    // { kind, label, hasEncoder, classes, latentDim, imageShape, params, … }
//   model.sample(64, 7)           // Float32Array(64·784), pixels in [0, 1]
//   model.sample(64, 7, { label: 3 })   // a conditional model (info.classes > 0): 64 threes
//   model.decode(z, n)            // Float32Array(n·latentDim) → Float32Array(n·784)
//   model.decode(z, n, { labels })      // conditional: one class per image (default: the classes in turn)
//   model.encode(images, n)       // models with an encoder (info.hasEncoder) → { mu, logvar }; { labels } if conditional
//   model.interpolate(zA, zB, steps, 'slerp' | 'lerp', { label })
//   model.dispose()
//
// Training and repair in the page (need the training build, see createVaeTrainer):
//   await initLatentlab({ moduleUrl: TRAINING_MODULE_URL });
//   (or RELAXED_TRAINING_MODULE_URL where wasmRelaxedSimdSupported(): FMA, a faster step)
//   const trainer = await createVaeTrainer({ hidden: [400], latent: 20, lr: 1e-3, seed: 1 });
//   trainer.step(images, n)       // one Adam step → { loss, reconstruction, kl } per image
//   await loadModel(trainer.save())
//   createGanTrainer({ … })       // the MLP GAN; { classes: 10 } makes any trainer conditional
//   createDcganTrainer({ … })     // the DCGAN (one step ≈ 9.4 GFLOP at batch 64: seconds, not ms)
//   model.repair(images, mask, n) // a VAE restores the pixels where mask is 0 (step(k), latents())
//
// Sampling contract (the core's, core/include/latentlab/infer/generation.hpp; the native CLI
// `latentlab sample --seed S` uses the same code): z = Rng(S, stream 0).fill_normal(n · latentDim),
// row-major; pixels = decode(z) ∈ [0, 1] (a model whose outputs are in [−1, 1] maps them as
// (x + 1) / 2). So model.sample(n, s) equals model.decode(model.sampleLatents(n, s), n), and the
// native sampler's pixels for the same seed.
//
// model.info names the kind (info.kind, e.g. 'vae'; info.label, e.g. 'VAE', for people) and its
// capabilities: info.hasEncoder (encode works), info.classes (0: unconditional). Code that uses a
// model reads the capabilities, not the kind.
//
// The code lives in two files: latentlab-models.js (loading and using models: all the page's first
// grid and <latent-digits> need) and latentlab-train.js (the trainers).
//
// The wasm module (web/build/latentlab_core.wasm, a standalone module: no Emscripten JS glue) is
// instantiated here once per page and shared by every model. It needs SIMD128; browsers without wasm
// SIMD get a clear Error. Where the browser also validates relaxed SIMD, the same module built with
// FMA (web/build/latentlab_core_relaxed.wasm) is loaded instead: the same digits within float
// rounding (the last bits differ), faster decodes. The safetensors header is parsed here with JSON.parse (the
// module has no JSON parser: parseHeader in latentlab-models.js); the core checks every value and the data.

export {
  initLatentlab, loadModel, MAX_WEIGHTS_BYTES, TRAINING_MODULE_URL, wasmRelaxedSimdSupported, wasmSimdSupported,
} from './latentlab-models.js';
export {
  createDcganTrainer, createGanTrainer, createVaeTrainer, RELAXED_TRAINING_MODULE_URL,
} from './latentlab-train.js';
