// latentlab-models.js — loading and using models: the part of latentlab's JavaScript API that the
// page's first grid and <latent-digits> need (trainers: latentlab-train.js). The API, the sampling
// contract and how the wasm module is loaded are described once, in latentlab.js, which exports both.

const DEFAULT_MODULE_URL = new URL('./build/latentlab_core.wasm', import.meta.url);
// The same with relaxed SIMD (FMA), where the engine has it (docs/benchmarks.md).
const RELAXED_MODULE_URL = new URL('./build/latentlab_core_relaxed.wasm', import.meta.url);
/** The training build (the default module plus the trainers): pass it to initLatentlab first. */
export const TRAINING_MODULE_URL = new URL('./build/latentlab_core_train.wasm', import.meta.url);
const MAX_BATCH = 4096;  // per call; the page never needs more and it bounds heap growth
/**
 * Largest weights file loadModel accepts by default (128 MiB; the shipped models are 1–3 MB, a
 * full-size F32 GAN with its discriminator 12 MB). A larger file is refused from its size alone,
 * before it is read or copied into wasm memory. Override per call with { maxBytes }.
 */
export const MAX_WEIGHTS_BYTES = 128 * 1024 * 1024;
const TWO_POW_32 = 4294967296;

// A minimal module using one SIMD instruction (i8x16.splat, i8x16.popcnt), as wasm-feature-detect does.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// The same with f32x4.relaxed_madd.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2,
  253, 133, 2, 11,
]);

function validates(bytes) {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** true when this JS engine can compile WebAssembly SIMD128 (which our builds need). */
export const wasmSimdSupported = () => validates(SIMD_PROBE);
export const wasmRelaxedSimdSupported = () => validates(RELAXED_PROBE);

let runtimePromise = null;

/**
 * Instantiates the wasm module once. Options are used only by the first call:
 *   moduleUrl   URL (or string) of latentlab_core.wasm; default ./build/latentlab_core.wasm next to this
 *               file (latentlab_core_relaxed.wasm where wasmRelaxedSimdSupported())
 *   wasmBinary  the .wasm bytes instead of fetching them (Node tests: Node's fetch cannot read files)
 * Resolves to the runtime: RNG helpers (the same streams as native) and build facts.
 */
export function initLatentlab(options = {}) {
  if (!runtimePromise) {
    runtimePromise = instantiate(options).catch((err) => {
      runtimePromise = null;  // let a later call retry (e.g. after a network error)
      throw err;
    });
  }
  return runtimePromise;
}

// The module's only imports (it is built with -sSTANDALONE_WASM, see wasm/CMakeLists.txt). `memory`
// is the instance's, set once it exists (ll_parse_decimal reads its argument from there).
function moduleImports(instance) {
  return {
    env: {
      emscripten_notify_memory_growth() {},  // heap views are re-made when the buffer changes
      // A metadata float (core/src/io/metadata.cpp has checked that it is a plain decimal of at most
      // 20 significant digits): Number() rounds it to the nearest double, as strtod does natively.
      ll_parse_decimal(ptr, len) {
        const bytes = new Uint8Array(instance.exports.memory.buffer, ptr, len);
        return Number(String.fromCharCode(...bytes));
      },
    },
    wasi_snapshot_preview1: {
      proc_exit(code) {
        throw new Error(`the latentlab wasm module aborted (exit code ${code})`);
      },
      // wasi-libc's stdio in the relaxed training build: never called; ENOSYS.
      fd_close: () => 52, fd_seek: () => 52, fd_write: () => 52,
    },
  };
}

async function instantiate({ moduleUrl = wasmRelaxedSimdSupported() ? RELAXED_MODULE_URL : DEFAULT_MODULE_URL, wasmBinary } = {}) {
  if (!wasmSimdSupported()) {
    throw new Error(
      'This browser cannot run WebAssembly SIMD, which latentlab needs (Chrome/Edge 91+, Firefox 89+, Safari 16.4+).',
    );
  }
  let result;
  const holder = {};  // { exports } once instantiated, for the imports that read its memory
  const IMPORTS = moduleImports(holder);
  try {
    if (wasmBinary) {
      result = await WebAssembly.instantiate(wasmBinary, IMPORTS);
    } else {
      const response = await fetch(moduleUrl);
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
      // Streaming compiles while the bytes arrive; it needs the application/wasm MIME type.
      result = (response.headers.get('content-type') || '').startsWith('application/wasm')
        ? await WebAssembly.instantiateStreaming(response, IMPORTS)
        : await WebAssembly.instantiate(await response.arrayBuffer(), IMPORTS);
    }
  } catch (err) {
    throw new Error(`could not load the latentlab wasm module from ${moduleUrl}: ${err && err.message ? err.message : err}`);
  }
  holder.exports = result.instance.exports;
  const exports = result.instance.exports;
  exports._initialize();  // static constructors
  return new Runtime(wasmApi(exports));
}

// The exports plus typed-array views of the heap. A view is re-made when memory has grown (growth
// replaces the ArrayBuffer), so read M.HEAPF32 etc. after any call that may allocate.
function wasmApi(exports) {
  let buffer = null;
  let views = null;
  const view = (name) => {
    if (exports.memory.buffer !== buffer) {
      buffer = exports.memory.buffer;
      views = { HEAPU8: new Uint8Array(buffer), HEAPU32: new Uint32Array(buffer), HEAPF32: new Float32Array(buffer) };
    }
    return views[name];
  };
  const utf8 = new TextDecoder();
  return Object.create(exports, {
    HEAPU8: { get: () => view('HEAPU8') },
    HEAPU32: { get: () => view('HEAPU32') },
    HEAPF32: { get: () => view('HEAPF32') },
    // The NUL-terminated UTF-8 string at ptr.
    UTF8ToString: {
      value: (ptr) => {
        const heap = view('HEAPU8');
        let end = ptr;
        while (heap[end]) ++end;
        return utf8.decode(heap.subarray(ptr, end));
      },
    },
  });
}

// ---- argument checks (every public entry point validates before touching the heap) ----
// checkCount, split64 and toFloat32 are exported for latentlab-train.js; latentlab.js does not
// re-export them (not part of the API).

export function checkCount(name, n, max = MAX_BATCH) {
  if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`${name} must be an integer in [1, ${max}], got ${n}`);
}

// A 64-bit unsigned integer (number ≤ 2^53 − 1, BigInt or decimal string < 2^64) → [lo, hi] uint32 halves.
export function split64(name, value) {
  if (typeof value === 'string' && /^[0-9]{1,20}$/.test(value)) value = BigInt(value);  // e.g. seeds read from JSON
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << 64n) throw new RangeError(`${name} must be in [0, 2^64), got ${value}`);
    return [Number(value & 0xffffffffn), Number(value >> 32n)];
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer (≤ 2^53 − 1, or a BigInt), got ${value}`);
  }
  return [value % TWO_POW_32, Math.floor(value / TWO_POW_32)];
}

export function toFloat32(name, values, expectedLength) {
  if (!(values instanceof Float32Array)) {
    if (values == null || typeof values.length !== 'number') throw new TypeError(`${name} must be a Float32Array or an array of numbers`);
    values = Float32Array.from(values);
  }
  if (expectedLength !== undefined && values.length !== expectedLength) {
    throw new RangeError(`${name} must hold ${expectedLength} numbers, got ${values.length}`);
  }
  return values;
}

// ---- the runtime: one wasm instance, heap helpers ----

class Runtime {
  constructor(M) {
    this.M = M;
    this.simd = M.ll_simd_enabled() === 1 && wasmSimdSupported();
    this.simdArch = M.UTF8ToString(M.ll_simd_arch());
  }

  // Allocates byte sizes, runs fn(pointers), frees them whatever happens.
  withHeap(byteSizes, fn) {
    const M = this.M;
    const ptrs = [];
    try {
      for (const size of byteSizes) {
        const p = M.malloc(Math.max(size, 1));
        if (!p) throw new Error(`out of memory: could not allocate ${size} bytes in the wasm heap`);
        ptrs.push(p);
      }
      return fn(ptrs);
    } finally {
      for (const p of ptrs) M.free(p);
    }
  }

  // Views must be re-read after any call that may grow memory: M.HEAPF32 is replaced on growth.
  writeF32(ptr, values) {
    this.M.HEAPF32.set(values, ptr >>> 2);
  }

  readF32(ptr, length) {
    return this.M.HEAPF32.slice(ptr >>> 2, (ptr >>> 2) + length);
  }

  rngCall(fnName, seed, stream, n, extra, typed) {
    checkCount('n', n, 1 << 20);
    const [slo, shi] = split64('seed', seed);
    const [tlo, thi] = split64('stream', stream);
    return this.withHeap([n * 4], ([out]) => {
      if (extra === undefined) this.M[fnName](slo, shi, tlo, thi, n, out);
      else this.M[fnName](slo, shi, tlo, thi, extra, n, out);
      const heap = typed === 'u32' ? this.M.HEAPU32 : this.M.HEAPF32;
      return heap.slice(out >>> 2, (out >>> 2) + n);
    });
  }

  /** n successive next_u32() of Rng(seed, stream) → Uint32Array. */
  rngU32(seed, stream, n) {
    return this.rngCall('ll_rng_u32', seed, stream, n, undefined, 'u32');
  }

  /** n successive uniform() → Float32Array in [0, 1). */
  rngUniform(seed, stream, n) {
    return this.rngCall('ll_rng_uniform', seed, stream, n, undefined, 'f32');
  }

  /** fill_normal(n) of Rng(seed, stream) → Float32Array. */
  rngNormal(seed, stream, n) {
    return this.rngCall('ll_rng_normal', seed, stream, n, undefined, 'f32');
  }

  /** n successive below(bound) → Uint32Array. */
  rngBelow(seed, stream, bound, n) {
    if (!Number.isInteger(bound) || bound < 1 || bound >= TWO_POW_32) throw new RangeError(`bound must be in [1, 2^32), got ${bound}`);
    return this.rngCall('ll_rng_below', seed, stream, n, bound, 'u32');
  }

  /** fill_uniform(out, n, low, high) of Rng(seed, stream) → Float32Array. */
  rngFillUniform(seed, stream, n, low, high) {
    checkCount('n', n, 1 << 20);
    const [slo, shi] = split64('seed', seed);
    const [tlo, thi] = split64('stream', stream);
    return this.withHeap([n * 4], ([out]) => {
      this.M.ll_rng_fill_uniform(slo, shi, tlo, thi, low, high, n, out);
      return this.readF32(out, n);
    });
  }

  /** shuffle() of the indices 0 … n − 1 with Rng(seed, stream) → Uint32Array. */
  rngShuffle(seed, stream, n) {
    return this.rngCall('ll_rng_shuffle', seed, stream, n, undefined, 'u32');
  }

  /** The RNG's portable natural logarithm (double). */
  portableLog(x) {
    return this.M.ll_portable_log(x);
  }
}

// ---- models ----

function tooLarge(size, maxBytes) {
  const mb = (n) => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return new Error(
    `weights file is too large: ${mb(size)} (${size} bytes), the limit is ${mb(maxBytes)}; ` +
      'pass { maxBytes } to loadModel to raise it',
  );
}

// The file's bytes; its size is checked against maxBytes before anything is read or copied.
async function readSource(source, maxBytes) {
  const checked = (size) => {
    if (size > maxBytes) throw tooLarge(size, maxBytes);
  };
  if (source instanceof ArrayBuffer) {
    checked(source.byteLength);
    return new Uint8Array(source);
  }
  if (ArrayBuffer.isView(source)) {
    checked(source.byteLength);
    return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    checked(source.size);
    return new Uint8Array(await source.arrayBuffer());
  }
  if (typeof source === 'string' || source instanceof URL) {
    let response;
    try {
      response = await fetch(source);
    } catch (err) {
      throw new Error(`could not fetch ${source}: ${err.message}`);
    }
    if (!response.ok) throw new Error(`could not fetch ${source}: HTTP ${response.status} ${response.statusText}`.trim());
    const announced = Number(response.headers.get('content-length'));
    if (Number.isFinite(announced) && announced > maxBytes) {
      response.body?.cancel?.();
      throw tooLarge(announced, maxBytes);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    checked(bytes.length);  // no (or a wrong) Content-Length
    return bytes;
  }
  throw new TypeError('loadModel expects a URL string, a URL, an ArrayBuffer, a typed array or a Blob');
}

// ---- the safetensors header, parsed by the browser ----
//
// [u64 little-endian header length N][N bytes of JSON header][data]. Here: the framing and the
// JSON types (the module has no JSON parser); the core checks every value — dtype, rank,
// dimensions, offsets in range, the exact tiling of the data section, finite values — with the
// same code as the native decoder (core/src/io/safetensors_checks.cpp), then builds the model.

const MAX_HEADER_BYTES = 1048576;  // as the core (safetensors_checks.hpp): refused before JSON.parse
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function headerError(message) {
  return new Error(`invalid weights file: safetensors: ${message}`);
}

// A JSON value for a message, without serialising it (only numbers are printed).
function describe(value) {
  if (typeof value === 'number') return `the number ${value}`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// A non-negative integer from the header, as the core takes it (beyond 2^53 it is out of every
// range the core accepts, so it is passed as 2^53 and refused there).
const isCount = (v) => Number.isInteger(v) && v >= 0;
const clamp53 = (v) => Math.min(v, 2 ** 53);

// → { metadata, tensors: [{ name, dtype, shape, begin, end }], dataOffset }; throws for a file
// whose framing or JSON is broken.
function parseHeader(bytes) {
  if (bytes.length < 8) throw headerError(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getBigUint64(0, true);
  const available = bytes.length - 8;
  if (length > BigInt(available)) {
    throw headerError(`header length ${length} exceeds the ${available} bytes that follow the length field`);
  }
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw headerError(`header length ${length} exceeds the limit of ${MAX_HEADER_BYTES} bytes (a latentlab header is a few KB; this one would list thousands of tensors)`);
  }
  const end = 8 + Number(length);
  let header;
  try {
    header = JSON.parse(strictUtf8.decode(bytes.subarray(8, end)));
  } catch (err) {
    // The engine's message quotes the file: keep it short and ASCII.
    const why = String(err.message).replace(/[^\x20-\x7e]/g, '?').slice(0, 240);
    throw headerError(`header is not valid JSON (or not UTF-8): ${why}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw headerError(`header must be a JSON object, found ${describe(header)}`);
  }
  let metadata = {};
  const tensors = [];
  // Sorted as the native decoder's std::map, so both report the same first problem.
  for (const name of Object.keys(header).sort()) {
    const entry = header[name];
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
        throw headerError(`"__metadata__" must be an object of strings, found ${describe(entry)}`);
      }
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string') {
          throw headerError(`"__metadata__" value of key ${JSON.stringify(key)} must be a string, found ${describe(value)}`);
        }
      }
      metadata = entry;
      continue;
    }
    const label = `tensor ${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name)}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw headerError(`${label}: entry must be an object, found ${describe(entry)}`);
    }
    const { dtype, shape, data_offsets: offsets } = entry;
    if (dtype === undefined) throw headerError(`${label}: missing "dtype"`);
    if (typeof dtype !== 'string') throw headerError(`${label}: "dtype" must be a string, found ${describe(dtype)}`);
    if (shape === undefined) throw headerError(`${label}: missing "shape"`);
    if (!Array.isArray(shape)) throw headerError(`${label}: "shape" must be an array, found ${describe(shape)}`);
    shape.forEach((d, i) => {
      if (!isCount(d)) throw headerError(`${label}: shape dimension ${i} is ${describe(d)}, expected a non-negative integer`);
    });
    if (offsets === undefined) throw headerError(`${label}: missing "data_offsets"`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) || !isCount(offsets[1])) {
      throw headerError(`${label}: "data_offsets" must be two non-negative integers [begin, end], found ${describe(offsets)}`);
    }
    tensors.push({ name, dtype, shape: shape.map(clamp53), begin: clamp53(offsets[0]), end: clamp53(offsets[1]) });
  }
  return { metadata, tensors, dataOffset: end };
}

// The parsed header as the table wasm/model_abi.cpp reads (read_header_table): little-endian
// uint32 words; a string is its UTF-8 byte length then the bytes; a 64-bit number two words, low first.
function headerTable({ metadata, tensors }) {
  const encoder = new TextEncoder();
  const parts = [];  // numbers (one word each) and byte arrays
  const text = (s) => {
    const b = encoder.encode(s);
    parts.push(b.length, b);
  };
  const wide = (v) => parts.push(v % TWO_POW_32, Math.floor(v / TWO_POW_32));
  const keys = Object.keys(metadata);
  parts.push(keys.length);
  for (const key of keys) {
    text(key);
    text(metadata[key]);
  }
  parts.push(tensors.length);
  for (const t of tensors) {
    text(t.name);
    text(t.dtype);
    parts.push(t.shape.length);
    t.shape.forEach(wide);
    wide(t.begin);
    wide(t.end);
  }
  const table = new Uint8Array(parts.reduce((n, p) => n + (typeof p === 'number' ? 4 : p.length), 0));
  const view = new DataView(table.buffer);
  let at = 0;
  for (const p of parts) {
    if (typeof p === 'number') {
      view.setUint32(at, p, true);
      at += 4;
    } else {
      table.set(p, at);
      at += p.length;
    }
  }
  return table;
}

/**
 * Loads a latentlab safetensors file (VAE or GAN). Everything in it is validated by the core before
 * use; a bad file rejects with an Error whose message says what is wrong.
 *   source   URL string | URL | ArrayBuffer | typed array | Blob/File
 *   options  { maxBytes } (default MAX_WEIGHTS_BYTES: a larger file is refused before it is read),
 *            and what initLatentlab uses on first use ({ moduleUrl, wasmBinary })
 */
export async function loadModel(source, options = {}) {
  const { maxBytes = MAX_WEIGHTS_BYTES } = options;
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
  // The weights download while the module compiles (on a first load both are on the critical path).
  const [runtime, bytes] = await Promise.all([initLatentlab(options), readSource(source, maxBytes)]);
  if (bytes.length === 0) throw new Error('not a weights file: it is empty (0 bytes)');
  const header = parseHeader(bytes);
  const table = headerTable(header);
  const data = bytes.subarray(header.dataOffset);
  const M = runtime.M;
  const handle = runtime.withHeap([table.length, data.length], ([tp, dp]) => {
    M.HEAPU8.set(table, tp);
    M.HEAPU8.set(data, dp);
    return M.ll_model_load(tp, table.length, dp, data.length);
  });
  if (!handle) throw new Error('out of memory while loading the model');
  const error = M.UTF8ToString(M.ll_model_error(handle));
  if (error) {
    M.ll_model_free(handle);
    throw new Error(`invalid weights file: ${error}`);
  }
  return new Model(runtime, handle, bytes.length, header.metadata);
}

function imageShapeOf(metadata, imageSize) {
  const h = Number(metadata.image_height);
  const w = Number(metadata.image_width);
  if (Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0 && h * w === imageSize) return [h, w];
  const side = Math.round(Math.sqrt(imageSize));
  return side * side === imageSize ? [side, side] : [imageSize, 1];
}

// Model.repair's work is in latentlab-train.js (it needs the training build), which hands it over
// here when it is imported (latentlab.js imports it); the first grid does not download it.
let startRepair = null;
export function provideRepair(start) {
  startRepair = start;
}

class Model {
  #runtime;
  #handle;

  constructor(runtime, handle, bytes, metadata) {
    this.#runtime = runtime;
    this.#handle = handle;
    const M = runtime.M;
    const imageSize = M.ll_model_image_size(handle);
    const classes = M.ll_model_classes(handle);
    this.info = Object.freeze({
      kind: M.UTF8ToString(M.ll_model_kind(handle)),
      label: M.UTF8ToString(M.ll_model_label(handle)),
      hasEncoder: M.ll_model_has_encoder(handle) === 1,
      classes,
      conditional: classes > 0,
      latentDim: M.ll_model_latent_dim(handle),
      imageSize,
      imageShape: imageShapeOf(metadata, imageSize),
      params: M.ll_model_parameter_count(handle),
      bytes,
      dtype: M.UTF8ToString(M.ll_model_dtype(handle)),
      metadata: Object.freeze(metadata),
      simd: runtime.simd,
      simdArch: runtime.simdArch,
    });
  }

  #live() {
    if (!this.#handle) throw new Error('this model has been disposed');
    return this.#handle;
  }

  // A class label for a conditional model (-1: none); throws for a bad one or an unconditional model.
  #label(label) {
    if (label === undefined || label === null) return -1;
    const c = this.info.classes;
    if (c === 0) throw new Error(`this ${this.info.label} is not conditional: it takes no class label`);
    if (!Number.isInteger(label) || label < 0 || label >= c) throw new RangeError(`label must be an integer in [0, ${c - 1}], got ${label}`);
    return label;
  }

  /**
   * n digits from seed (the sampling contract at the top of this file) → Float32Array(n·imageSize).
   * options.label: the class of every digit (conditional models; default: the classes in turn).
   */
  sample(n, seed, options = {}) {
    const handle = this.#live();
    checkCount('n', n);
    const [lo, hi] = split64('seed', seed);
    const label = this.#label(options.label);
    const rt = this.#runtime;
    const count = n * this.info.imageSize;
    return rt.withHeap([count * 4], ([out]) => {
      const rc = rt.M.ll_model_sample(handle, n, lo, hi, label, out);
      if (rc !== 0) throw new Error(`sample failed (code ${rc})`);
      return rt.readF32(out, count);
    });
  }

  /** The latents sample(n, seed) decodes: Rng(seed, 0).fill_normal(n·latentDim). */
  sampleLatents(n, seed) {
    this.#live();
    checkCount('n', n);
    return this.#runtime.rngNormal(seed, 0, n * this.info.latentDim);
  }

  /**
   * z (n·latentDim, row-major) → pixels in [0, 1] (n·imageSize). n defaults to z.length / latentDim.
   * options.labels: n classes (conditional models; default: the classes in turn). decode(z, n, options)
   * and decode(z, options) both work.
   */
  decode(z, n, options = {}) {
    const handle = this.#live();
    if (n !== null && typeof n === 'object') [n, options] = [undefined, n];
    const d = this.info.latentDim;
    if (n === undefined && z != null && typeof z.length === 'number') n = z.length / d;
    checkCount('n', n);
    z = toFloat32('z', z, n * d);
    const labels = options.labels == null ? null : Int32Array.from(options.labels, (y) => this.#label(y));
    if (labels && labels.length !== n) throw new RangeError(`labels must hold ${n} classes, got ${labels.length}`);
    const rt = this.#runtime;
    const count = n * this.info.imageSize;
    return rt.withHeap([z.length * 4, count * 4, labels ? n * 4 : 4], ([zp, out, lp]) => {
      rt.writeF32(zp, z);
      if (labels) rt.M.HEAPU32.set(labels, lp >> 2);
      const rc = rt.M.ll_model_decode(handle, zp, labels ? lp : 0, n, out);
      if (rc !== 0) throw new Error(`decode failed (code ${rc})`);
      return rt.readF32(out, count);
    });
  }

  /**
   * Models with an encoder (info.hasEncoder): images in [0, 1] (n·imageSize) → { mu, logvar } (n·latentDim each).
   * options.labels: the images' n classes (required by a conditional model).
   */
  encode(images, n, options = {}) {
    const handle = this.#live();
    if (!this.info.hasEncoder) {
      throw new Error(`encode needs a model with an encoder: this ${this.info.label} has no encoder (it only maps latents to images)`);
    }
    const size = this.info.imageSize;
    if (n !== null && typeof n === 'object') [n, options] = [undefined, n];
    if (n === undefined && images != null && typeof images.length === 'number') n = images.length / size;
    checkCount('n', n);
    images = toFloat32('images', images, n * size);
    const labels = options.labels == null ? null : Int32Array.from(options.labels, (y) => this.#label(y));
    if (this.info.conditional && !labels) throw new Error(`encode: this conditional ${this.info.label} needs options.labels`);
    if (labels && labels.length !== n) throw new RangeError(`labels must hold ${n} classes, got ${labels.length}`);
    const rt = this.#runtime;
    const count = n * this.info.latentDim;
    return rt.withHeap([images.length * 4, count * 4, count * 4, labels ? n * 4 : 4], ([xp, mup, lvp, lp]) => {
      rt.writeF32(xp, images);
      if (labels) rt.M.HEAPU32.set(labels, lp >> 2);
      const rc = rt.M.ll_model_encode(handle, xp, labels ? lp : 0, n, mup, lvp);
      if (rc !== 0) throw new Error(`encode failed (code ${rc})`);
      return { mu: rt.readF32(mup, count), logvar: rt.readF32(lvp, count) };
    });
  }

  /**
   * steps latents from zA (t = 0) to zB (t = 1), t_i = i/(steps − 1) → Float32Array(steps·latentDim).
   * 'slerp' (default): spherical interpolation, lerp when zA, zB are (anti)parallel; 'lerp': linear.
   */
  interpolateLatents(zA, zB, steps, mode = 'slerp') {
    this.#live();
    if (mode !== 'slerp' && mode !== 'lerp') throw new RangeError(`mode must be 'slerp' or 'lerp', got ${mode}`);
    checkCount('steps', steps);
    const d = this.info.latentDim;
    zA = toFloat32('zA', zA, d);
    zB = toFloat32('zB', zB, d);
    const rt = this.#runtime;
    return rt.withHeap([d * 4, d * 4, steps * d * 4], ([ap, bp, out]) => {
      rt.writeF32(ap, zA);
      rt.writeF32(bp, zB);
      const rc = rt.M.ll_interpolate_latents(ap, bp, d, steps, mode === 'slerp' ? 1 : 0, out);
      if (rc !== 0) throw new Error(`interpolate failed (code ${rc})`);
      return rt.readF32(out, steps * d);
    });
  }

  /** The decoded interpolation: Float32Array(steps·imageSize); options.label: every frame's class. */
  interpolate(zA, zB, steps, mode = 'slerp', options = {}) {
    const labels = options.label == null ? undefined : new Array(steps).fill(options.label);
    return this.decode(this.interpolateLatents(zA, zB, steps, mode), steps, { labels });
  }

  /**
   * Repairs n damaged images (inpainting, denoising, super-resolution; training build only, and a
   * VAE with an MLP decoder): z starts at the encoder's μ(images) and each repair.step() moves it
   * by Adam along −dL/dz of L(z) = Σ mask ⊙ BCE(decode(z), images) + ½ prior ‖z‖². mask (n·imageSize)
   * weighs each pixel: 1 observed, 0 missing. options: { labels (conditional models), prior = 1, lr = 0.05 }.
   * Returns a Repair: step(k), latents(), dispose().
   */
  repair(images, mask, n, options = {}) {
    const handle = this.#live();
    if (!startRepair || typeof this.#runtime.M.ll_repair_create !== 'function') {
      throw new Error('repair needs the training build: import latentlab.js and call initLatentlab({ moduleUrl: TRAINING_MODULE_URL }) first');
    }
    return startRepair(this.#runtime, handle, this.info, (y) => this.#label(y), images, mask, n, options);
  }

  /** Frees the model's wasm memory; any later call throws. Safe to call twice. */
  dispose() {
    if (this.#handle) {
      this.#runtime.M.ll_model_free(this.#handle);
      this.#handle = 0;
    }
  }

  get disposed() {
    return !this.#handle;
  }
}
