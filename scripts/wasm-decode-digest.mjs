// SHA-256 of the pixels a latentlab wasm module decodes, for scripts/check-unchanged.
//   node scripts/wasm-decode-digest.mjs MODULE.wasm MODEL.safetensors...
// prints one line per (model, call): "<model> sample seed=S n=N <sha256>" or
// "<model> decode latents=L n=N <sha256>", the hash being over the Float32 pixel bytes.
//
// Self-contained on purpose: it must drive an old (reference) module and a new one alike, so it
// uses neither web/latentlab.js nor any export that might be renamed, only the long-standing C ABI
// (wasm/bindings.cpp): malloc, free, _initialize, ll_model_load (header table), ll_model_error,
// ll_model_latent_dim, ll_model_image_size, ll_model_sample, ll_model_decode.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [wasmPath, ...models] = process.argv.slice(2);
if (!wasmPath || models.length === 0) {
  console.error('usage: node wasm-decode-digest.mjs MODULE.wasm MODEL.safetensors...');
  process.exit(2);
}

// The module's only imports (standalone wasm, no Emscripten glue). ll_parse_decimal: a metadata
// float, as web/latentlab.js answers it (modules before it did not import it; extra imports are ignored).
let M = null;
const imports = {
  env: {
    emscripten_notify_memory_growth() {},
    ll_parse_decimal: (ptr, len) => Number(String.fromCharCode(...new Uint8Array(M.memory.buffer, ptr, len))),
  },
  wasi_snapshot_preview1: { proc_exit(code) { throw new Error(`wasm module aborted (exit code ${code})`); } },
};
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), imports);
M = instance.exports;
M._initialize();
const heap = () => new Uint8Array(M.memory.buffer);  // re-made after every call: memory may grow
const cString = (ptr) => {
  const h = heap();
  let end = ptr;
  while (h[end]) ++end;
  return new TextDecoder().decode(h.subarray(ptr, end));
};
const copyIn = (bytes) => {
  const p = M.malloc(bytes.length);
  if (!p) throw new Error('malloc failed');
  heap().set(bytes, p);
  return p;
};

// The header table read_header_table (wasm/bindings.cpp) expects: little-endian uint32 words;
// a string is its UTF-8 byte length then the bytes; a 64-bit number two words, low first.
function headerTable(header) {
  const words = [];
  const enc = new TextEncoder();
  const text = (s) => { const b = enc.encode(s); words.push(b.length, b); };
  const wide = (v) => words.push(v % 2 ** 32, Math.floor(v / 2 ** 32));
  const meta = header.__metadata__ || {};
  words.push(Object.keys(meta).length);
  for (const [k, v] of Object.entries(meta)) { text(k); text(v); }
  const tensors = Object.entries(header).filter(([name]) => name !== '__metadata__');
  words.push(tensors.length);
  for (const [name, t] of tensors) {
    text(name);
    text(t.dtype);
    words.push(t.shape.length);
    t.shape.forEach(wide);
    t.data_offsets.forEach(wide);
  }
  const out = new Uint8Array(words.reduce((n, w) => n + (typeof w === 'number' ? 4 : w.length), 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const w of words) {
    if (typeof w === 'number') { view.setUint32(at, w, true); at += 4; } else { out.set(w, at); at += w.length; }
  }
  return out;
}

// Deterministic latents without transcendental functions (identical in any JS engine):
// xorshift32 uniforms, 4 summed (Irwin–Hall) → roughly N(0, 1), rounded to float32.
function latents(seed, count) {
  let s = seed >>> 0 || 1;
  const u = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
  return Float32Array.from({ length: count }, () => (u() + u() + u() + u() - 2) * Math.sqrt(3));
}

const sha = (floats) => createHash('sha256').update(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength)).digest('hex');

for (const file of models) {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const table = headerTable(JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')));
  const data = bytes.subarray(8 + n);
  const [tp, dp] = [copyIn(table), copyIn(data)];
  const m = M.ll_model_load(tp, table.length, dp, data.length);
  M.free(tp);
  M.free(dp);
  const error = m ? cString(M.ll_model_error(m)) : 'out of memory';
  if (error) throw new Error(`${file}: ${error}`);
  const latent = M.ll_model_latent_dim(m);
  const image = M.ll_model_image_size(m);
  const pixels = (count, call) => {
    const p = M.malloc(count * image * 4);
    const rc = call(p);
    if (rc !== 0) throw new Error(`${file}: call returned ${rc}`);
    const out = new Float32Array(M.memory.buffer.slice(p, p + count * image * 4));
    M.free(p);
    return out;
  };
  const samples = [[1, 64], [2, 64], [3, 64], [42, 1], [42, 3], [42, 5], [2 ** 32 + 5, 7]];
  for (const [seed, count] of samples) {
    const digest = sha(pixels(count, (p) => M.ll_model_sample(m, count, seed % 2 ** 32, Math.floor(seed / 2 ** 32), p)));
    console.log(`${file} sample seed=${seed} n=${count} ${digest}`);
  }
  for (const [seed, count] of [[11, 1], [12, 7], [13, 64], [0, 2]]) {
    const z = seed ? latents(seed, count * latent) : new Float32Array(count * latent);  // seed 0: all-zero latents
    const zp = copyIn(new Uint8Array(z.buffer));
    const digest = sha(pixels(count, (p) => M.ll_model_decode(m, zp, count, p)));
    M.free(zp);
    console.log(`${file} decode latents=${seed || 'zeros'} n=${count} ${digest}`);
  }
}
