// The page's models manifest and "Ask for a digit", in headless Chromium. The test makes its own
// models with the native CLI (one training step on 64 MNIST images: a conditional MLP GAN, a DCGAN,
// a conv VAE and a conditional MLP VAE, under a second each) and serves them with its own manifest at /t/models.json, which the page reads from
// index.html?models=/t/models.json; web/models/ is not touched. The manifest's FDs are made up here
// so that the order is known: the conditional GAN (FD 5) first, the DCGAN (30), the conv VAE (50),
// the conditional VAE (60), the shipped VAE (65.78), an entry without an FD last.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROOT, canvasSignature, canvasStats, meanAbsDiff, openPage, screenshot, start, withoutUnusedPreload } from './harness.mjs';

const CLI = path.join(ROOT, 'build/native/bin/latentlab');
const SEED = 7;

function trainTiny(dir, name, args) {
  execFileSync(CLI, ['train', ...args, '--epochs', '1', '--limit', '64', '--test-limit', '64', '--eval-every', '0', '-q',
    '--data', path.join(ROOT, 'data/mnist'), '--seed', '3', '--out', path.join(dir, name)], { stdio: 'pipe' });
  return fs.readFileSync(path.join(dir, name, 'model.safetensors'));
}

let env;
let page;
let problems;
let tmp;

const MANIFEST = {
  models: [
    { file: '../models/vae.safetensors', kind: 'vae', label: 'MLP VAE', fd: 65.78, classes: 0, command: 'latentlab train --model vae' },
    { file: 'nofd.safetensors', kind: 'conv-vae', label: 'Conv VAE, not measured', classes: 0, command: 'latentlab train --model conv-vae' },
    { file: 'cgan.safetensors', kind: 'gan', label: 'Conditional GAN', fd: 5, classes: 10, command: 'latentlab train --model gan --conditional' },
    { file: 'dcgan.safetensors', kind: 'dcgan', label: 'DCGAN', fd: 30, classes: 0, command: 'latentlab train --model dcgan' },
    { file: 'convvae.safetensors', kind: 'conv-vae', label: 'Conv VAE', fd: 50, classes: 0, command: 'latentlab train --model conv-vae' },
    { file: 'cvae.safetensors', kind: 'vae', label: 'Conditional VAE', fd: 60, classes: 10, command: 'latentlab train --model vae --conditional' },
  ],
};

before(async () => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run scripts/build native`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'latentlab-models-'));
  const cgan = trainTiny(tmp, 'cgan', ['--model', 'gan', '--conditional', '--hidden', '16,32', '--disc-hidden', '16', '--latent', '6']);
  const dcgan = trainTiny(tmp, 'dcgan', ['--model', 'dcgan', '--hidden', '8,4', '--disc-hidden', '4,8', '--latent', '6']);
  const convvae = trainTiny(tmp, 'convvae', ['--model', 'conv-vae', '--hidden', '4,8', '--latent', '4']);
  const cvae = trainTiny(tmp, 'cvae', ['--model', 'vae', '--conditional', '--hidden', '32', '--latent', '4']);
  env = await start({
    overlay: {
      '/t/models.json': Buffer.from(JSON.stringify(MANIFEST)),
      '/t/unconditional.json': Buffer.from(JSON.stringify({ models: MANIFEST.models.filter((e) => !e.classes) })),
      '/t/cgan.safetensors': cgan,
      '/t/dcgan.safetensors': dcgan,
      '/t/convvae.safetensors': convvae,
      '/t/nofd.safetensors': convvae,
      '/t/cvae.safetensors': cvae,
    },
  });
  ({ page, problems } = await openPage(env.browser, `${env.server.url}index.html?models=/t/models.json`));
  await page.waitForSelector('html[data-model]', { timeout: 30000 });
});

after(async () => {
  if (env) await env.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// The cells (28 px + 2 px gaps, ×2) of one of the Ask card's canvases.
async function cells(selector, count) {
  return (await canvasStats(page, selector, { cell: 56, stride: 60, count })).cells;
}

test('the page opens on the lowest FD and the picker lists every model, lowest FD first', async () => {
  assert.equal(await page.getAttribute('html', 'data-model'), 'gan');
  const labels = await page.$$eval('#models label', (ls) => ls.map((l) => l.textContent.trim()));
  assert.deepEqual(labels.map((l) => l.split(' · ')[0]),
    ['Conditional GAN', 'DCGAN', 'Conv VAE', 'Conditional VAE', 'MLP VAE', 'Conv VAE, not measured', 'your file']);
  assert.match(labels[0], /FD 5 · ask for a digit/);
  assert.match(await page.$eval('#models input:checked', (r) => r.value), /\/t\/cgan\.safetensors$/);
  assert.equal(await page.locator('#fact-fd').innerText(), '5');
  assert.equal(await page.locator('#fact-command').innerText(), 'latentlab train --model gan --conditional');
  assert.ok((await canvasStats(page, '#grid')).std > 10, 'the conditional GAN draws the grid');
  await screenshot(page, 'models-cgan');
});

test('ask for a digit: one row per class, each column one latent, the class changes the digit', async () => {
  assert.equal(await page.locator('#ask').isVisible(), true);
  assert.equal(await page.getAttribute('#ask-grid', 'data-choice'), 'rows');
  const grid = await canvasStats(page, '#ask-grid');
  assert.equal(grid.height, (10 * 30 - 2) * 2, 'ten rows, one per class');
  const rows = await cells('#ask-grid', 80);
  const strip = await cells('#ask-strip', 10);
  // Column 0 of the rows grid is latent 0 of the seed with the classes 0 … 9, as is the strip.
  for (let c = 0; c < 10; ++c) assert.ok(meanAbsDiff(rows[c * 8], strip[c]) < 0.5, `class ${c}: grid and strip agree`);
  // The label is used: the same latent with classes 0 and 5 gives different pixels.
  assert.ok(meanAbsDiff(strip[0], strip[5]) > 0.5, 'the class label changes the digit');
  // Against the native CLI: `sample --classes 0-9 --n 8 --seed 7` draws the same grid (pixels ×255).
  execFileSync(CLI, ['sample', '--weights', path.join(tmp, 'cgan/model.safetensors'), '--classes', '0-9', '--n', '8',
    '--seed', String(SEED), '--out', path.join(tmp, 'rows.png'), '--raw', path.join(tmp, 'rows.json')], { stdio: 'pipe' });
  const raw = JSON.parse(fs.readFileSync(path.join(tmp, 'rows.json'), 'utf8'));
  for (const k of [0, 9, 42, 79]) {
    const native = raw.pixels.slice(k * 784, (k + 1) * 784);
    // The canvas cell holds each pixel as a 2×2 block: compare its top-left pixels.
    const page28 = Array.from({ length: 784 }, (_, i) => rows[k][(Math.floor(i / 28) * 2) * 56 + (i % 28) * 2]);
    assert.ok(meanAbsDiff(page28, native.map((v) => Math.round(v * 255))) < 1, `digit ${k} differs from the CLI's`);
  }
});

test('ask for a digit: a class picked gives a grid of that class', async () => {
  await page.check('#ask-classes input[value="3"]');
  assert.equal(await page.getAttribute('#ask-grid', 'data-choice'), '3');
  const three = await cells('#ask-grid', 32);
  const strip = await cells('#ask-strip', 10);
  // Digit 1 of "class 3" is latent 0 asked for a 3: the strip's fourth digit.
  assert.ok(meanAbsDiff(three[0], strip[3]) < 0.5);
  assert.ok(meanAbsDiff(three[0], strip[4]) > 0.5);
  await page.check('#ask-classes input[value="rows"]');
  assert.equal(await page.getAttribute('#ask-grid', 'data-choice'), 'rows');
});

test('ask for a digit: the same latent animates through the classes, and follows a picked grid digit', async () => {
  const seen = new Set();
  for (let i = 0; i < 4; ++i) {
    seen.add(await page.locator('#ask-style-label').innerText());
    await page.waitForTimeout(400);
  }
  assert.ok(seen.size >= 2, `the style animation did not move: ${[...seen]}`);
  const before = await canvasSignature(page, '#ask-strip');
  await page.locator('#grid').scrollIntoViewIfNeeded();
  const box = await page.locator('#grid').boundingBox();
  const scale = box.width / ((8 * 30 - 2) * 3);
  await page.mouse.click(box.x + (5 * 90 + 42) * scale, box.y + 42 * scale);  // digit 6
  assert.match(await page.locator('#ask-style-label').innerText(), /^Latent of digit 6 of the Samples grid/);
  assert.notEqual(await canvasSignature(page, '#ask-strip'), before);
  // A morph between two picked digits keeps A's class (digit k has class k mod 10): 6 → 13 in class 5.
  await page.mouse.click(box.x + (4 * 90 + 42) * scale, box.y + (90 + 42) * scale);  // digit 13
  assert.match(await page.locator('#morph-label').innerText(), /digit 6 → B: digit 13 .*class 5\)$/);
  await screenshot(page, 'ask');
});

test('an unconditional model hides the class tools and offers the conditional one', async () => {
  await page.check('#models input[value$="/t/dcgan.safetensors"]');
  await page.waitForSelector('html[data-model="dcgan"]');
  assert.ok((await canvasStats(page, '#grid')).std > 10, 'the DCGAN draws the grid');
  assert.equal(await page.locator('#encode').isDisabled(), true, 'a GAN has no encoder');
  await page.check('#models input[value$="/t/convvae.safetensors"]');
  await page.waitForSelector('html[data-model="conv-vae"]');
  assert.ok((await canvasStats(page, '#grid')).std > 10, 'the conv VAE draws the grid');
  assert.equal(await page.locator('#encode').isEnabled(), true, 'a conv VAE encodes drawings');
  assert.equal(await page.locator('#ask-tools').isHidden(), true);
  await page.click('#ask-note button');
  await page.waitForSelector('html[data-model="gan"]');
  assert.equal(await page.locator('#ask-tools').isVisible(), true);
  assert.match(await page.$eval('#models input:checked', (r) => r.value), /\/t\/cgan/);
});

test('a conditional VAE encodes a drawing with the class the visitor names', async () => {
  await page.check('#models input[value$="/t/cvae.safetensors"]');
  await page.waitForFunction(() => document.querySelector('#fact-fd')?.textContent === '60');
  await page.waitForSelector('#draw-class-label:not([hidden])');
  assert.equal(await page.locator('#encode').isEnabled(), true);
  await page.click('#clear');
  await page.locator('#draw').scrollIntoViewIfNeeded();
  const box = await page.locator('#draw').boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await page.mouse.down();
  for (let i = 1; i <= 12; ++i) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.2 + 0.05 * i));
  await page.mouse.up();
  const asOne = await canvasSignature(page, '#recon');
  assert.ok((await canvasStats(page, '#recon')).std > 1, 'a reconstruction appears');
  await page.selectOption('#draw-class', '7');
  assert.notEqual(await canvasSignature(page, '#recon'), asOne, 'the class changes the reconstruction');
  assert.equal(await page.locator('#error').isHidden(), true);
});

test('no console errors, uncaught exceptions or failed requests during the session', () => {
  // The page preloads models/models.json and the shipped best model, which ?models= replaces:
  // Chromium's note that they went unused is expected.
  assert.deepEqual(withoutUnusedPreload(problems), []);
});

test('without a conditional model in the list the Ask card stays hidden; a bad list is explained', async () => {
  const { page: plain, context } = await openPage(env.browser, `${env.server.url}index.html?models=/t/unconditional.json`);
  await plain.waitForSelector('html[data-model]', { timeout: 30000 });
  assert.equal(await plain.locator('#ask').isHidden(), true);
  await context.close();
  const { page: bad, context: badContext } = await openPage(env.browser, `${env.server.url}index.html?models=/t/missing.json`);
  await bad.locator('#error').waitFor({ state: 'visible' });
  assert.match(await bad.locator('#error').innerText(), /The list of models could not be read[^]*HTTP 404/);
  await badContext.close();
});
