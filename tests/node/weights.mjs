// Test helpers, independent of latentlab's C++: a safetensors writer, small random VAE/GAN weight
// files laid out as model_spec.md describes, and a float64 reference forward pass in plain JS.
// Used by the node tests and by the browser tests (placeholder models when web/models/ has none).

// mulberry32: a tiny deterministic PRNG for test data (not latentlab's RNG).
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function f32ToF16Bits(value) {
  // Round-to-nearest-even float32 → IEEE half, enough for finite test weights in range.
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half += 1;
    return sign | half;
  }
  if (exp >= 31) return sign | 0x7c00;
  let half = sign | (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half += 1;
  return half;
}

/**
 * tensors: [{ name, shape, values: Float32Array, dtype: 'F32' | 'F16' }] or { name, shape, dtype, raw: Uint8Array }
 * metadata: { key: string }. Returns the file as a Uint8Array (header padded with spaces to 8 bytes).
 */
export function encodeSafetensors(tensors, metadata = {}) {
  const header = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks = [];
  let offset = 0;
  for (const t of tensors) {
    let raw = t.raw;
    const dtype = t.dtype || 'F32';
    if (!raw) {
      if (dtype === 'F32') raw = new Uint8Array(new Float32Array(t.values).buffer);
      else if (dtype === 'F16') raw = new Uint8Array(new Uint16Array(Array.from(t.values, f32ToF16Bits)).buffer);
      else throw new Error(`encodeSafetensors: cannot encode ${dtype}`);
    }
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + raw.length] };
    chunks.push(raw);
    offset += raw.length;
  }
  let json = JSON.stringify(header);
  while (json.length % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** Splits a safetensors file into { header (parsed JSON), headerLength, data (Uint8Array) } for mutation tests. */
export function splitSafetensors(bytes) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  return { header, headerLength: n, data: bytes.subarray(8 + n) };
}

/** Reassembles a (possibly modified) header with a data section. */
export function joinSafetensors(header, data) {
  let json = JSON.stringify(header);
  while (json.length % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

// Layers of each network as [name, in, out, activation], in the order of model_spec.md.
export function vaeLayers({ input = 784, hidden = [16], latent = 4 } = {}) {
  const encoder = [];
  let prev = input;
  hidden.forEach((h, k) => {
    encoder.push([`encoder.fc${k + 1}`, prev, h, 'relu']);
    prev = h;
  });
  const heads = [
    ['encoder.mu', prev, latent, 'identity'],
    ['encoder.logvar', prev, latent, 'identity'],
  ];
  const decoder = [];
  prev = latent;
  [...hidden].reverse().forEach((h, k) => {
    decoder.push([`decoder.fc${k + 1}`, prev, h, 'relu']);
    prev = h;
  });
  decoder.push(['decoder.out', prev, input, 'sigmoid']);
  return { encoder, heads, decoder };
}

export function ganLayers({ image = 784, latent = 8, generatorHidden = [16, 32], discriminatorHidden = [8], classes = 0 } = {}) {
  const generator = [];
  let prev = latent + classes;  // a conditional generator reads [z | onehot(y)]
  generatorHidden.forEach((h, k) => {
    generator.push([`generator.fc${k + 1}`, prev, h, 'relu']);
    prev = h;
  });
  generator.push(['generator.out', prev, image, 'tanh']);
  const discriminator = [];
  prev = image + classes;
  discriminatorHidden.forEach((h, k) => {
    discriminator.push([`discriminator.fc${k + 1}`, prev, h, 'leaky']);
    prev = h;
  });
  discriminator.push(['discriminator.out', prev, 1, 'identity']);
  return { generator, discriminator };
}

// Random weights U(−gain/√in, gain/√in) (PyTorch's default init when gain = 1).
function randomTensors(layers, rand, gain) {
  const tensors = [];
  const weights = new Map();
  for (const [name, fanIn, fanOut] of layers) {
    const bound = gain / Math.sqrt(fanIn);
    const w = Float32Array.from({ length: fanIn * fanOut }, () => (2 * rand() - 1) * bound);
    const b = Float32Array.from({ length: fanOut }, () => (2 * rand() - 1) * bound);
    tensors.push({ name: `${name}.weight`, shape: [fanOut, fanIn], values: w });
    tensors.push({ name: `${name}.bias`, shape: [fanOut], values: b });
    weights.set(name, { w, b });
  }
  return { tensors, weights };
}

/**
 * A random VAE file. gain > 1 makes the decoder's outputs more contrasted (useful for pixel checks).
 * Returns { bytes, weights (Map name → {w, b}, float32 as stored), config, params }.
 */
export function makeVae({ input = 784, hidden = [16], latent = 4, seed = 1, gain = 1, dtype = 'F32', extraMetadata = {} } = {}) {
  const layers = vaeLayers({ input, hidden, latent });
  const all = [...layers.encoder, ...layers.heads, ...layers.decoder];
  const { tensors, weights } = randomTensors(all, prng(seed), gain);
  if (dtype === 'F16') {
    for (const t of tensors) {
      t.dtype = 'F16';
      // What the file holds after rounding: keep the reference forward pass exact.
      t.values = Float32Array.from(t.values, (v) => halfBitsToFloat(f32ToF16Bits(v)));
    }
    for (const t of tensors) {
      const [layer, kind] = [t.name.slice(0, t.name.lastIndexOf('.')), t.name.slice(t.name.lastIndexOf('.') + 1)];
      weights.get(layer)[kind === 'weight' ? 'w' : 'b'] = t.values;
    }
  }
  const side = Math.round(Math.sqrt(input));
  const metadata = {
    format: 'latentlab', format_version: '1', kind: 'vae',
    input: String(input), hidden: hidden.join(','), latent: String(latent), beta: '1',
    image_height: String(side * side === input ? side : input), image_width: String(side * side === input ? side : 1),
    pixel_range: '0,1', ...extraMetadata,
  };
  const params = all.reduce((s, [, i, o]) => s + i * o + o, 0);
  return { bytes: encodeSafetensors(tensors, metadata), weights, layers, metadata, params };
}

export function makeGan({ image = 784, latent = 8, generatorHidden = [16, 32], discriminatorHidden = [8], seed = 2, gain = 1,
  withDiscriminator = true, classes = 0 } = {}) {
  const layers = ganLayers({ image, latent, generatorHidden, discriminatorHidden, classes });
  const all = withDiscriminator ? [...layers.generator, ...layers.discriminator] : [...layers.generator];
  const { tensors, weights } = randomTensors(all, prng(seed), gain);
  const side = Math.round(Math.sqrt(image));
  const metadata = {
    format: 'latentlab', format_version: '1', kind: 'gan',
    image: String(image), latent: String(latent),
    generator_hidden: generatorHidden.join(','), discriminator_hidden: discriminatorHidden.join(','),
    leaky_slope: '0.2', generator_activation: 'relu', generator_batchnorm: '0',
    image_height: String(side), image_width: String(side), pixel_range: '-1,1',
    ...(classes > 0 ? { classes: String(classes) } : {}),
  };
  const params = all.reduce((s, [, i, o]) => s + i * o + o, 0);
  return { bytes: encodeSafetensors(tensors, metadata), weights, layers, metadata, params };
}

function halfBitsToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const ACTIVATIONS = {
  relu: (x) => (x > 0 ? x : 0),
  leaky: (x) => (x > 0 ? x : 0.2 * x),
  identity: (x) => x,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
};

/** Float64 forward pass of layers ([name, in, out, act]) on n rows of x. */
export function referenceForward(layers, weights, x, n) {
  let cur = Float64Array.from(x);
  for (const [name, fanIn, fanOut, act] of layers) {
    const { w, b } = weights.get(name);
    const f = ACTIVATIONS[act];
    const next = new Float64Array(n * fanOut);
    for (let r = 0; r < n; ++r) {
      for (let o = 0; o < fanOut; ++o) {
        let s = b[o];
        for (let i = 0; i < fanIn; ++i) s += cur[r * fanIn + i] * w[o * fanIn + i];
        next[r * fanOut + o] = f(s);
      }
    }
    cur = next;
  }
  return cur;
}
