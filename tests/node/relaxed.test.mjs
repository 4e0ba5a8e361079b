// The relaxed-SIMD page module (latentlab_core_relaxed.wasm, clang-19; wasm/CMakeLists.txt): the
// same native ⇔ wasm parity cases as the SIMD128 module (parity_cases.mjs), and the same bits when
// a decode is repeated. Node 20 compiles relaxed SIMD only behind a V8 flag, set here before the
// module is compiled (Chromium runs it without one).
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';

import { ROOT, wasmFiles } from './wasm_files.mjs';
import { parityTests } from './parity_cases.mjs';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const api = await import(pathToFileURL(path.join(ROOT, 'web/latentlab.js')).href);
const rt = await api.initLatentlab(wasmFiles('latentlab_core_relaxed'));

test('this engine validates relaxed SIMD (the flag took effect)', () => {
  assert.equal(api.wasmRelaxedSimdSupported(), true);  // latentlab.js's probe: f32x4.relaxed_madd
  assert.equal(rt.simd, true);
});

test('the module is the relaxed-SIMD build (f32x4.relaxed_madd in its code)', () => {
  assert.match(rt.simdArch, /relaxed madd/);
  // 0xfd 0x85 0x02 is f32x4.relaxed_madd; a SIMD128 build has no such sequence in its code.
  const bytes = wasmFiles('latentlab_core_relaxed').wasmBinary;
  assert.ok(bytes.includes(Buffer.from([0xfd, 0x85, 0x02])), 'no f32x4.relaxed_madd opcode in latentlab_core_relaxed.wasm');
});

parityTests(api.loadModel, 'relaxed');

// FMA or mul + add is the engine's choice per CPU, not per call: a repeated decode is bit-identical.
for (const weights of ['web/models/vae.safetensors', 'tests/fixtures/dcgan_small.safetensors']) {
  test(`relaxed: the same decode twice gives the same bits (${path.basename(weights)})`, async () => {
    const model = await api.loadModel(fs.readFileSync(path.join(ROOT, weights)));
    try {
      const z = model.sampleLatents(64, 11);
      const a = model.decode(z, 64);
      const b = model.decode(z, 64);
      assert.deepEqual(new Uint32Array(b.buffer, b.byteOffset, b.length), new Uint32Array(a.buffer, a.byteOffset, a.length));
    } finally {
      model.dispose();
    }
  });
}
