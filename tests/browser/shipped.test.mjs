// Every model the page ships (web/models/models.json), in headless Chromium: the page opens on the
// lowest FD; each listed model, picked in the picker, draws the grid that the native CLI draws from
// the same file and seed (`latentlab sample --weights web/models/F --n 64 --seed 7`), so the conv kinds
// decode correctly in wasm; and a conditional model's "Ask for a digit" gives the digits of the
// class asked for (`sample --class C --n 32 --seed 7`), different for another class.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROOT, meanAbsDiff, openPage, start } from './harness.mjs';

const CLI = path.join(ROOT, 'build/native/bin/latentlab');
const SEED = 7;  // the Samples seed the page opens with
const { models: MODELS } = JSON.parse(fs.readFileSync(path.join(ROOT, 'web/models/models.json'), 'utf8'));

let env;
let page;
let problems;
let tmp;

before(async () => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run scripts/build native`);
  for (const e of MODELS) {
    if (!fs.existsSync(path.join(ROOT, 'web/models', e.file))) throw new Error(`web/models/${e.file} (listed in models.json) is missing`);
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'latentlab-shipped-'));
  env = await start();
  ({ page, problems } = await openPage(env.browser, `${env.server.url}index.html`));
  await page.waitForSelector('html[data-model]', { timeout: 30000 });
});

after(async () => {
  if (env) await env.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// The CLI's pixels (0–255) of `sample --weights web/models/<file> --seed 7 ...args`, one array per digit.
function nativeDigits(file, args) {
  const raw = path.join(tmp, 'raw.json');
  execFileSync(CLI, ['sample', '--weights', path.join(ROOT, 'web/models', file), '--seed', String(SEED), ...args,
    '--out', path.join(tmp, 'grid.png'), '--raw', raw], { stdio: 'pipe' });
  const { pixels } = JSON.parse(fs.readFileSync(raw, 'utf8'));
  return Array.from({ length: pixels.length / 784 }, (_, k) => pixels.slice(k * 784, (k + 1) * 784).map((v) => Math.round(v * 255)));
}

// A canvas's digits (28 × 28 cells drawn ×scale with 2 × scale px gaps, 8 a row) as 28 × 28 arrays
// of the red channel: the top-left pixel of each scale × scale block, read in the page.
function pageDigits(selector, count, scale) {
  return page.evaluate(({ selector, count, scale }) => {
    const c = document.querySelector(selector);
    const { data, width } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    return Array.from({ length: count }, (_, k) => {
      const x0 = (k % 8) * 30 * scale;
      const y0 = Math.floor(k / 8) * 30 * scale;
      return Array.from({ length: 784 }, (_, i) => data[((y0 + Math.floor(i / 28) * scale) * width + x0 + (i % 28) * scale) * 4]);
    });
  }, { selector, count, scale });
}

const std = (v) => {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
};

test('the page opens on the lowest FD of web/models/models.json, the file index.html preloads', async () => {
  const best = MODELS.reduce((a, b) => (b.fd < a.fd ? b : a));
  assert.match(await page.$eval('#models input:checked', (r) => r.value), new RegExp(`/models/${best.file.replace('.', '\\.')}$`));
  assert.equal(await page.getAttribute('html', 'data-model'), best.kind);
  const labels = await page.$$eval('#models label', (ls) => ls.map((l) => l.textContent.trim().split(' · ')[0]));
  assert.deepEqual(labels, [...[...MODELS].sort((a, b) => a.fd - b.fd).map((e) => e.label), 'your file']);
});

for (const entry of MODELS) {
  test(`${entry.label} (${entry.file}): the grid is the CLI's${entry.classes ? ', and asking for a class gives that class' : ''}`, async () => {
    await page.check(`#models input[value$="/models/${entry.file}"]`);
    await page.waitForFunction((fd) => document.getElementById('fact-fd')?.textContent === fd, String(entry.fd));
    await page.waitForSelector(`html[data-model="${entry.kind}"]`);
    assert.equal(await page.locator('#error').isHidden(), true);
    // Drawn, not blank, not one grey blob: every digit has contrast, and neighbours differ.
    const grid = await pageDigits('#grid', 64, 3);
    for (let k = 0; k < 64; ++k) assert.ok(std(grid[k]) > 20, `digit ${k} is flat (std ${std(grid[k]).toFixed(1)})`);
    for (let k = 0; k < 63; ++k) assert.ok(meanAbsDiff(grid[k], grid[k + 1]) > 2, `digits ${k} and ${k + 1} look the same`);
    // Decoded as the native CLI decodes the same file (pixels 0–255; F16 weights, float sums in another order).
    const native = nativeDigits(entry.file, ['--n', '64']);
    for (const k of [0, 9, 42, 63]) assert.ok(meanAbsDiff(grid[k], native[k]) < 1, `digit ${k} differs from the CLI's by ${meanAbsDiff(grid[k], native[k])}`);

    assert.equal(await page.locator('#ask-tools').isVisible(), entry.classes > 0, 'the class tools show for a conditional model only');
    if (!entry.classes) return;
    const asked = {};
    for (const c of [3, 5]) {
      await page.check(`#ask-classes input[value="${c}"]`);
      assert.equal(await page.getAttribute('#ask-grid', 'data-choice'), String(c));
      asked[c] = await pageDigits('#ask-grid', 32, 2);
      const cli = nativeDigits(entry.file, ['--class', String(c), '--n', '32']);
      for (const k of [0, 31]) assert.ok(meanAbsDiff(asked[c][k], cli[k]) < 1, `class ${c}, digit ${k} differs from the CLI's`);
    }
    // The same latents asked for a 3 and for a 5 are different digits.
    for (let k = 0; k < 32; ++k) assert.ok(meanAbsDiff(asked[3][k], asked[5][k]) > 5, `digit ${k}: class 3 and 5 look the same`);
    await page.check('#ask-classes input[value="rows"]');
  });
}

test('no console errors, uncaught exceptions or failed requests', () => {
  assert.deepEqual(problems, []);
});
