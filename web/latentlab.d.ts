// Types of latentlab.js (the ES module API of latentlab's WebAssembly core). The comments at the
// top of latentlab.js describe the sampling contract; these declarations follow the code as is.

/** A 64-bit unsigned seed: a number ≤ 2^53 − 1, a BigInt < 2^64, or a decimal string < 2^64. */
export type Seed = number | bigint | string;

/** Numbers in: a Float32Array (used as is) or any array-like of numbers (copied). */
export type FloatsIn = Float32Array | ArrayLike<number>;

/** A weights file: a URL to fetch, or its bytes. */
export type WeightsSource = string | URL | ArrayBuffer | ArrayBufferView | Blob;

/** How the wasm module is obtained; only the first initLatentlab/loadModel call uses these. */
export interface InitOptions {
  /** URL of latentlab_core.wasm (default: build/latentlab_core.wasm next to latentlab.js). */
  moduleUrl?: string | URL;
  /** The .wasm bytes instead of fetching them (e.g. in Node, whose fetch cannot read files). */
  wasmBinary?: BufferSource;
}

export interface LoadModelOptions extends InitOptions {
  /** Largest accepted file in bytes (default MAX_WEIGHTS_BYTES); a larger one is refused before it is read. */
  maxBytes?: number;
}

/** What a loaded model is and can do. Code that uses a model reads the capabilities, not the kind. */
export interface ModelInfo {
  /** The kind's name in the file's __metadata__, e.g. 'vae', 'gan'. */
  readonly kind: string;
  /** The kind for people, e.g. 'VAE'. */
  readonly label: string;
  /** encode() works. */
  readonly hasEncoder: boolean;
  /** Number of classes of a conditional model; 0 for an unconditional one. */
  readonly classes: number;
  /** classes > 0. */
  readonly conditional: boolean;
  readonly latentDim: number;
  /** Pixels per image (784 for 28 × 28). */
  readonly imageSize: number;
  /** [height, width] of an image. */
  readonly imageShape: readonly [number, number];
  /** Trained values in the file. */
  readonly params: number;
  /** Size of the weights file in bytes. */
  readonly bytes: number;
  /** Storage dtype of the file, e.g. 'F32', 'F16'. */
  readonly dtype: string;
  /** The file's __metadata__ (string → string). */
  readonly metadata: Readonly<Record<string, string>>;
  /** The engine runs WebAssembly SIMD128. */
  readonly simd: boolean;
  readonly simdArch: string;
}

export interface Encoding {
  mu: Float32Array;
  logvar: Float32Array;
}

export type LatentPath = 'slerp' | 'lerp';

/** The class of every image a conditional model makes (info.classes > 0); an integer in [0, classes − 1]. */
export interface SampleOptions {
  /** Default: the classes in turn (image k is class k mod classes). An unconditional model refuses any label. */
  label?: number;
}

/** The classes of the n images, one per image (conditional models). */
export interface LabelsOptions {
  /** n integers in [0, classes − 1]; decode defaults to the classes in turn, encode requires them for a conditional model. */
  labels?: ArrayLike<number>;
}

/** A loaded generative model (loadModel). Pixels are in [0, 1], images one after another, row-major. */
export interface Model {
  readonly info: ModelInfo;
  /**
   * n images from seed → Float32Array(n · imageSize); n in [1, 4096]. Equals `latentlab sample --seed`
   * (and `--class L` with options.label = L).
   */
  sample(n: number, seed: Seed, options?: SampleOptions): Float32Array;
  /** The latents sample(n, seed) decodes → Float32Array(n · latentDim). */
  sampleLatents(n: number, seed: Seed): Float32Array;
  /** z (n · latentDim) → Float32Array(n · imageSize); n defaults to z.length / latentDim. */
  decode(z: FloatsIn, n?: number, options?: LabelsOptions): Float32Array;
  decode(z: FloatsIn, options: LabelsOptions): Float32Array;
  /** Models with info.hasEncoder: images (n · imageSize) → { mu, logvar } (n · latentDim each). */
  encode(images: FloatsIn, n?: number, options?: LabelsOptions): Encoding;
  encode(images: FloatsIn, options: LabelsOptions): Encoding;
  /** steps latents from zA (t = 0) to zB (t = 1) → Float32Array(steps · latentDim). */
  interpolateLatents(zA: FloatsIn, zB: FloatsIn, steps: number, mode?: LatentPath): Float32Array;
  /** The decoded interpolation → Float32Array(steps · imageSize); options.label: every frame's class. */
  interpolate(zA: FloatsIn, zB: FloatsIn, steps: number, mode?: LatentPath, options?: SampleOptions): Float32Array;
  /**
   * Training build only; a VAE with an MLP decoder: restores the pixels where mask is 0 by gradient
   * steps on z (from the encoder's guess) against the pixels where mask > 0.
   */
  repair(images: FloatsIn, mask: FloatsIn, n: number, options?: RepairOptions): Repair;
  /** Frees the model's wasm memory; later calls throw. Safe to call twice. */
  dispose(): void;
  readonly disposed: boolean;
}

/** Loads and validates a latentlab safetensors file; rejects with an Error saying what is wrong. */
export function loadModel(source: WeightsSource, options?: LoadModelOptions): Promise<Model>;

/** The shared wasm instance's RNG helpers (the same streams as the native CLI) and build facts. */
export interface Runtime {
  readonly simd: boolean;
  readonly simdArch: string;
  rngU32(seed: Seed, stream: Seed, n: number): Uint32Array;
  rngUniform(seed: Seed, stream: Seed, n: number): Float32Array;
  rngNormal(seed: Seed, stream: Seed, n: number): Float32Array;
  rngBelow(seed: Seed, stream: Seed, bound: number, n: number): Uint32Array;
  rngFillUniform(seed: Seed, stream: Seed, n: number, low: number, high: number): Float32Array;
  rngShuffle(seed: Seed, stream: Seed, n: number): Uint32Array;
  portableLog(x: number): number;
}

/** Instantiates the wasm module once per page; options are used only by the first call. */
export function initLatentlab(options?: InitOptions): Promise<Runtime>;

/** true when this engine can compile WebAssembly SIMD128 (which the module needs). */
export function wasmSimdSupported(): boolean;
/** true when the engine also compiles relaxed SIMD: initLatentlab then loads the relaxed (FMA) build by default. */
export function wasmRelaxedSimdSupported(): boolean;

/** Largest weights file loadModel accepts by default (128 MiB). */
export const MAX_WEIGHTS_BYTES: number;

/** The training build (the default module plus the trainers): pass it to initLatentlab first. */
export const TRAINING_MODULE_URL: URL;
/** The training build with relaxed SIMD (FMA): use it instead where wasmRelaxedSimdSupported(). */
export const RELAXED_TRAINING_MODULE_URL: URL;

export interface VaeTrainerConfig {
  input?: number;
  hidden?: number[];
  latent?: number;
  beta?: number;
  /** > 0: a conditional VAE; step() then needs the images' labels. */
  classes?: number;
  lr?: number;
  seed?: Seed;
}

export interface GanTrainerConfig {
  image?: number;
  latent?: number;
  generatorHidden?: number[];
  discriminatorHidden?: number[];
  generatorLeaky?: boolean;
  generatorBatchnorm?: boolean;
  batchnormEps?: number;
  classes?: number;
  lr?: number;
  seed?: Seed;
}

export interface DcganTrainerConfig {
  image?: number;
  latent?: number;
  generatorChannels?: number[];
  discriminatorChannels?: number[];
  classes?: number;
  /** 'bce' (default), 'lsgan' or 'hinge'; wgan-gp trains only natively. */
  ganLoss?: 'bce' | 'lsgan' | 'hinge';
  lr?: number;
  seed?: Seed;
}

export interface GanStepLosses {
  /** Batch means. */
  discriminator: number;
  generator: number;
  realScore: number;
  fakeScore: number;
}

export interface RepairOptions {
  /** The images' classes (conditional models). */
  labels?: ArrayLike<number>;
  /** Weight λ of the N(0, I) prior ½ λ ‖z‖² (default 1). */
  prior?: number;
  /** Adam's learning rate on z (default 0.05). */
  lr?: number;
}

export interface Repair {
  readonly n: number;
  readonly latentDim: number;
  /** k Adam steps on z → L(z) per image before the last one. */
  step(k?: number): { loss: number; reconstruction: number; prior: number };
  /** The current z (n · latentDim): decode it with model.decode. */
  latents(): Float32Array;
  dispose(): void;
}

export interface StepLosses {
  /** Per image, nats. */
  loss: number;
  reconstruction: number;
  kl: number;
}

/** A VAE trained in the page (needs initLatentlab({ moduleUrl: TRAINING_MODULE_URL }) first). */
export interface VaeTrainer {
  readonly imageSize: number;
  readonly params: number;
  /** One Adam step on n images in [0, 1] (n · imageSize); labels: required when conditional. */
  step(images: FloatsIn, n?: number, labels?: ArrayLike<number> | null): StepLosses;
  /** The current parameters as a weights file, for loadModel or a download. */
  save(): Uint8Array;
  dispose(): void;
}

export function createVaeTrainer(config?: VaeTrainerConfig, options?: InitOptions): Promise<VaeTrainer>;

/** The MLP GAN trained in the page (one D step then one G step per call). */
export interface GanTrainer {
  readonly imageSize: number;
  readonly params: number;
  step(images: FloatsIn, n?: number, labels?: ArrayLike<number> | null): GanStepLosses;
  save(): Uint8Array;
  dispose(): void;
}

export function createGanTrainer(config?: GanTrainerConfig, options?: InitOptions): Promise<GanTrainer>;

/** The DCGAN trained in the page: the GAN trainer's step on the conv model. */
export function createDcganTrainer(config?: DcganTrainerConfig, options?: InitOptions): Promise<GanTrainer>;
