// wasm/sse_conversions.hpp (the training build's float → int32 conversions) against x86's
// definitions and Emscripten's scalar emulation: sse_conversions_check.cpp, built with em++ as the
// wasm build compiles the core (-msimd128 -msse4.1) and run here. Skipped without em++.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROOT } from './wasm_files.mjs';

const haveEmcc = spawnSync('em++', ['--version'], { stdio: 'ignore' }).status === 0;

test('SIMD128 float → int32 conversions give x86 results', { skip: !haveEmcc && 'em++ not found' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latentlab-sse-'));
  try {
    const out = path.join(dir, 'check.js');
    execFileSync('em++', ['-O2', '-msimd128', '-msse4.1', '-sSINGLE_FILE=1', '-o', out,
      path.join(ROOT, 'tests/node/sse_conversions_check.cpp')], { env: { ...process.env, NODE_PATH: process.env.NODE_PATH || '/usr/share/nodejs' } });
    const run = spawnSync(process.execPath, [out], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^mismatches 0$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
