// The wasm build's RNG must reproduce tests/fixtures/rng_golden.json bit for bit: those values come
// from make_rng_golden.py (the specification, in Python), not from latentlab's C++.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT, rt } from './runtime.mjs';

const golden = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/rng_golden.json'), 'utf8'));

const hex32 = (u) => `0x${(u >>> 0).toString(16).padStart(8, '0')}`;
const f32bits = (arr) => Array.from(new Uint32Array(Float32Array.from(arr).buffer), hex32);
const f64bits = (x) => {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return `0x${v.getBigUint64(0).toString(16).padStart(16, '0')}`;
};

test('PCG32 reference vector: Rng(42, 54)', () => {
  // From the PCG reference implementation's demo output (pcg32-demo, seed 42, stream 54).
  assert.deepEqual(Array.from(rt.rngU32(42, 54, 6), hex32),
    ['0xa15c02b7', '0x7b47f409', '0xba1d3330', '0x83d2f293', '0xbfa4784b', '0xcbed606e']);
});

for (const s of golden.streams) {
  const label = `Rng(${s.seed}, ${s.stream})`;
  const seed = String(s.seed);
  const stream = String(s.stream);

  test(`${label} next_u32 matches the golden words`, () => {
    assert.deepEqual(Array.from(rt.rngU32(seed, stream, s.next_u32.length), hex32), s.next_u32);
  });

  test(`${label} uniform() matches bit for bit`, () => {
    assert.deepEqual(f32bits(rt.rngUniform(seed, stream, s.uniform_bits.length)), s.uniform_bits);
  });

  test(`${label} normal() matches bit for bit`, () => {
    assert.deepEqual(f32bits(rt.rngNormal(seed, stream, s.normal_bits.length)), s.normal_bits);
  });

  test(`${label} below(10), below(7) and shuffle(10)`, () => {
    assert.deepEqual(Array.from(rt.rngBelow(seed, stream, 10, s.below_10.length)), s.below_10);
    assert.deepEqual(Array.from(rt.rngBelow(seed, stream, 7, s.below_7.length)), s.below_7);
    assert.deepEqual(Array.from(rt.rngShuffle(seed, stream, s.shuffle_10.length)), s.shuffle_10);
  });

  test(`${label} fill_uniform(-1, 1) matches bit for bit`, () => {
    const n = s.fill_uniform_m1_1_bits.length;
    assert.deepEqual(f32bits(rt.rngFillUniform(seed, stream, n, -1, 1)), s.fill_uniform_m1_1_bits);
  });
}

test('portable_log matches the golden float64 bit patterns', () => {
  assert.ok(golden.portable_log.length > 0);
  for (const c of golden.portable_log) {
    const v = new DataView(new ArrayBuffer(8));
    v.setBigUint64(0, BigInt(c.x_bits));
    const x = v.getFloat64(0);
    assert.equal(f64bits(rt.portableLog(x)), c.log_bits, `portable_log(${c.x})`);
  }
});

test('seeds above 2^32 and BigInt seeds reach the core intact', () => {
  // Rng(seed, stream) depends on all 64 bits of the seed: 2^32 + 1 must differ from 1, and the
  // three spellings of the same 64-bit seed must agree.
  const big = 2 ** 32 + 1;
  assert.notDeepEqual(Array.from(rt.rngU32(big, 0, 4)), Array.from(rt.rngU32(1, 0, 4)));
  assert.deepEqual(Array.from(rt.rngU32(big, 0, 4)), Array.from(rt.rngU32(BigInt(big), 0n, 4)));
  assert.deepEqual(Array.from(rt.rngU32('18446744073709551615', 0, 4)), Array.from(rt.rngU32(2n ** 64n - 1n, 0, 4)));
  assert.throws(() => rt.rngU32(-1, 0, 4), RangeError);
  assert.throws(() => rt.rngU32(2n ** 64n, 0, 4), RangeError);
});
