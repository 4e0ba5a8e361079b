// The relaxed-SIMD module on the page: where Chromium validates relaxed SIMD (156 does), the page
// loads latentlab_core_relaxed.wasm and draws its first grid with it; with relaxed SIMD reported
// missing (WebAssembly.validate stubbed to refuse the relaxed opcode) it falls back to
// latentlab_core.wasm. Both draw the same digits: FMA changes only the last bits of the pixels,
// at most one 8-bit level on the canvas. The same for the Train section's worker and the two
// training builds (latentlab_core_train_relaxed.wasm, latentlab_core_train.wasm).
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT, openPage, start, withoutUnusedPreload } from './harness.mjs';

let env;
before(async () => {
  env = await start();
});
after(async () => {
  if (env) await env.close();
});

// Runs in the page before its scripts: a validate that refuses any module containing
// f32x4.relaxed_madd (0xfd 0x85 0x02), as a browser without relaxed SIMD would.
function refuseRelaxedSimd() {
  const validate = WebAssembly.validate.bind(WebAssembly);
  WebAssembly.validate = (bytes) => {
    const u = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
    for (let i = 0; i + 2 < u.length; ++i) if (u[i] === 0xfd && u[i + 1] === 0x85 && u[i + 2] === 0x02) return false;
    return validate(bytes);
  };
}

// The first grid's red channel and the wasm files the page fetched.
async function firstGrid(initScript) {
  const { page, context, problems } = await openPage(env.browser, `${env.server.url}index.html`, { initScript });
  try {
    await page.waitForFunction(() => performance.getEntriesByName('latentlab:first-grid').length > 0, null, { timeout: 30000 });
    return await page.evaluate(() => {
      const c = document.querySelector('#grid');
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      return {
        red: Array.from(data.filter((_, i) => i % 4 === 0)),
        wasm: performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname).filter((p) => p.endsWith('.wasm')),
      };
    }).then((r) => ({ ...r, problems: withoutUnusedPreload(problems) }));
  } finally {
    await context.close();
  }
}

test('the page draws with the relaxed-SIMD module where relaxed SIMD validates, else with the SIMD128 one: same digits', async () => {
  const relaxed = await firstGrid();
  const fallback = await firstGrid(refuseRelaxedSimd);
  assert.deepEqual(relaxed.problems, []);
  assert.deepEqual(fallback.problems, []);
  assert.deepEqual(relaxed.wasm, ['/build/latentlab_core_relaxed.wasm']);
  assert.deepEqual(fallback.wasm, ['/build/latentlab_core.wasm']);
  assert.equal(relaxed.red.length, fallback.red.length);
  let worst = 0;
  let sum = 0;
  for (let i = 0; i < relaxed.red.length; ++i) {
    worst = Math.max(worst, Math.abs(relaxed.red[i] - fallback.red[i]));
    sum += relaxed.red[i];
  }
  assert.ok(sum / relaxed.red.length > 5, 'the grid is drawn (not blank)');
  assert.ok(worst <= 1, `the two modules' grids differ by up to ${worst} levels of 255`);
});

// The page's Train section on `count` dropped MNIST images (one epoch of the MLP VAE, batch 128):
// the training builds its worker fetched, the last logged loss and the worker's problems.
// refuseInWorker: the worker script is served with refuseRelaxedSimd run first (an init script
// reaches the page, not its workers), as in a browser without relaxed SIMD.
async function trainInTab(count, { refuseInWorker = false } = {}) {
  const { page, context, problems } = await openPage(env.browser, `${env.server.url}index.html`);
  try {
    if (refuseInWorker) {
      await page.route('**/train-worker.js', async (route) => {
        const response = await route.fetch();
        await route.fulfill({ response, body: `(${refuseRelaxedSimd})();\n${await response.text()}` });
      });
    }
    const requests = [];
    page.on('request', (r) => requests.push(new URL(r.url()).pathname));
    await page.waitForSelector('#lab[data-ready="true"]', { timeout: 30000 });
    const images = fs.readFileSync(path.join(ROOT, 'data/mnist/train-images-idx3-ubyte'));
    const head = Buffer.from(images.subarray(0, 16));
    head.writeUInt32BE(count, 4);
    await page.setInputFiles('#train-files', [{ name: 'train-images-idx3-ubyte', mimeType: 'application/octet-stream',
      buffer: Buffer.concat([head, images.subarray(16, 16 + count * 784)]) }]);
    await page.waitForFunction(() => document.getElementById('train-data').textContent.includes('no labels'));
    await page.selectOption('#train-kind', 'vae');
    await page.click('#train-start');
    await page.waitForSelector('#train[data-done="finished"]', { timeout: 60000 });
    return {
      wasm: requests.filter((p) => p.includes('latentlab_core_train')),
      last: JSON.parse(await page.getAttribute('#train', 'data-last-terms')),
      problems: withoutUnusedPreload(problems),
    };
  } finally {
    await context.close();
  }
}

test('the Train section trains with the relaxed-SIMD training build where relaxed SIMD validates, else with the SIMD128 one', async () => {
  const relaxed = await trainInTab(2560);  // 20 steps
  const fallback = await trainInTab(2560, { refuseInWorker: true });
  assert.deepEqual(relaxed.problems, []);
  assert.deepEqual(fallback.problems, []);
  assert.deepEqual(relaxed.wasm, ['/build/latentlab_core_train_relaxed.wasm']);
  assert.deepEqual(fallback.wasm, ['/build/latentlab_core_train.wasm']);
  // Both learn: from ≈543 nats per image at init (784·ln 2) to well below 400 in 20 steps (measured
  // 260–285; the logged mean covers whichever steps fell in the last progress report, so the two runs'
  // figures are not comparable to the bit: tests/node/relaxed-trainer.test.mjs checks the steps).
  for (const run of [relaxed, fallback]) assert.ok(run.last.loss < 400, `last loss ${run.last.loss} (${run.wasm})`);
});
