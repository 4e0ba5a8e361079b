// End-to-end tests of the page's Train and repair section (web/train.js, repair.js, train-worker.js)
// in headless Chromium: training in a worker from dropped IDX files (a few hundred steps, not an
// epoch), the live chart and samples, no main-thread task over 50 ms while it trains, the download
// (read back by the native CLI) and loading it into the page; a bad drop; and the repair of a test
// digit with its right half erased.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { ARTIFACTS, ROOT, canvasStats, openPage, screenshot, start } from './harness.mjs';

const CLI = path.join(ROOT, 'build/native/bin/latentlab');

let env;
let page;
let problems;
const requests = [];  // every URL the page and its workers request after the first grid

// Times every main-thread callback the Train section runs while training: the worker's messages
// (train.js onMessage) and animation frames (the loss chart), in window.mainThreadWork as [what, ms].
function timeMainThreadWork() {
  window.mainThreadWork = [];
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    set onmessage(fn) {
      super.onmessage = (e) => {
        const t = performance.now();
        try {
          fn(e);
        } finally {
          window.mainThreadWork.push([e.data?.type, performance.now() - t]);
        }
      };
    }
  };
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (fn) => raf((ts) => {
    const t = performance.now();
    try {
      fn(ts);
    } finally {
      window.mainThreadWork.push(['frame', performance.now() - t]);
    }
  });
}

before(async () => {
  env = await start();
  ({ page, problems } = await openPage(env.browser, `${env.server.url}index.html`,
    { acceptDownloads: true, initScript: timeMainThreadWork }));
  await page.waitForSelector('html[data-model]', { timeout: 30000 });  // any model: the section trains its own
  await page.waitForSelector('#lab[data-ready="true"]', { timeout: 30000 });
  page.on('request', (r) => requests.push(r.url()));
});

after(async () => {
  if (env) await env.close();
});

// The first `count` MNIST training images (and labels) as IDX files, as a visitor would drop them.
function idxFiles(count) {
  const images = fs.readFileSync(path.join(ROOT, 'data/mnist/train-images-idx3-ubyte'));
  const labels = fs.readFileSync(path.join(ROOT, 'data/mnist/train-labels-idx1-ubyte'));
  const head = Buffer.alloc(16);
  head.writeUInt32BE(2051, 0);
  head.writeUInt32BE(count, 4);
  head.writeUInt32BE(28, 8);
  head.writeUInt32BE(28, 12);
  const lhead = Buffer.alloc(8);
  lhead.writeUInt32BE(2049, 0);
  lhead.writeUInt32BE(count, 4);
  return [
    { name: 'train-images-idx3-ubyte', mimeType: 'application/octet-stream', buffer: Buffer.concat([head, images.subarray(16, 16 + count * 784)]) },
    { name: 'train-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: Buffer.concat([lhead, labels.subarray(8, 8 + count)]) },
  ];
}

async function trainOn(kind, count, { gzip = false } = {}) {
  const files = idxFiles(count).map((f) => (gzip ? { ...f, name: `${f.name}.gz`, buffer: zlib.gzipSync(f.buffer) } : f));
  await page.setInputFiles('#train-files', files);
  await page.waitForFunction((n) => document.getElementById('train-data').textContent.includes('labels'), count);
  await page.selectOption('#train-kind', kind);
  // Long tasks (> 50 ms) and our own main-thread work from the Start click on.
  await page.evaluate(() => {
    window.longTasks = [];
    window.mainThreadWork.length = 0;
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: 'longtask' });
  });
  await page.click('#train-start');
  await page.waitForSelector('#train[data-done="finished"]', { timeout: 120000 });
  return {
    first: JSON.parse(await page.getAttribute('#train', 'data-first-terms')),
    last: JSON.parse(await page.getAttribute('#train', 'data-last-terms')),
  };
}

test('the MLP VAE trains in a worker: live chart and samples, no long main-thread task, loss falls', async (t) => {
  // The first grid did not load the training build; Start does (in the worker).
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  assert.ok(loaded.some((u) => /\/build\/latentlab_core(_relaxed)?\.wasm$/.test(u)), 'the page module is in the page timeline');
  assert.ok(!loaded.some((u) => u.includes('latentlab_core_train')), 'no training build before Start');
  await page.locator('#train').scrollIntoViewIfNeeded();
  // In view, the section starts its worker ahead of the click (JS only), still no training build.
  await page.waitForSelector('#train[data-spare-worker="started"]', { timeout: 10000 });
  await page.waitForTimeout(300);  // its imports
  assert.ok(!requests.some((u) => u.includes('latentlab_core_train')), 'no training build before Start');
  const { first, last } = await trainOn('vae', 25600);  // 200 steps of 128
  assert.ok(requests.some((u) => /\/build\/latentlab_core_train(_relaxed)?\.wasm$/.test(u)), 'Start fetched the training build');
  // From ≈543 nats per image at init (784·ln 2) an MLP VAE gets well below 250 in 200 steps
  // (measured ≈160). The first report averages however many steps fit in its 250 ms, so it is
  // only known to be higher than the last.
  assert.ok(last.loss < 250, `last logged loss ${last.loss}`);
  assert.ok(last.loss < first.loss, `loss ${first.loss} → ${last.loss}`);
  assert.ok(Number(await page.getAttribute('#train-chart', 'data-points')) >= 2, 'the chart got points');
  assert.ok(Number(await page.getAttribute('#train-samples', 'data-updates')) >= 1, 'samples were drawn');
  const samples = await canvasStats(page, '#train-samples');
  assert.ok(samples.std > 10, `samples std ${samples.std}`);
  assert.match(await page.locator('#train-rate').innerText(), /steps\/s/);
  // The section's main-thread work (every worker message handled, every animation frame): none
  // over 50 ms while training (measured: mostly under 3 ms). Chromium's long tasks (PerformanceObserver
  // 'longtask': also GC, layout and the scheduler's stretches, which are not ours) are held to 250 ms:
  // a single 56 ms one showed up on an otherwise idle 2-core machine while the worker held the other
  // core, and at load 12 a handful of 51–139 ms ones appeared, with our callbacks under 3 ms. Either
  // bound fails a page that trains or parses data on the main thread (seconds).
  // LATENTLAB_LONGTASK_MS sets both bounds explicitly.
  const ours = Number(process.env.LATENTLAB_LONGTASK_MS || 50);
  const chromium = Number(process.env.LATENTLAB_LONGTASK_MS || 250);
  const work = await page.evaluate(() => window.mainThreadWork);
  assert.ok(work.length > 10, `only ${work.length} callbacks timed`);
  assert.deepEqual(work.filter(([, ms]) => ms > ours), [], `main-thread callbacks over ${ours} ms`);
  const longTasks = await page.evaluate(() => window.longTasks);
  if (longTasks.some((d) => d > 50)) t.diagnostic(`Chromium long tasks over 50 ms: ${longTasks.filter((d) => d > 50)}`);
  assert.deepEqual(longTasks.filter((d) => d > chromium), [], `main-thread tasks over ${chromium} ms: ${longTasks}`);
  await screenshot(page, 'train-vae');
  assert.deepEqual(problems, []);
});

test('the trained weights download as a file the native CLI reads, and load into the page', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
  const file = path.join(ARTIFACTS, 'trained-vae.safetensors');
  await download.saveAs(file);
  const info = execFileSync(CLI, ['info', file], { encoding: 'utf8' });
  assert.match(info, /vae/i);
  const png = path.join(ARTIFACTS, 'trained-vae-samples.png');
  execFileSync(CLI, ['sample', '--weights', file, '--n', '4', '--seed', '1', '--out', png]);
  assert.ok(fs.statSync(png).size > 100);
  await page.click('#train-use');
  // The page's own loader took it: its status names the file, its facts the model.
  await page.waitForFunction(() => /trained-vae/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
  assert.match(await page.locator('#fact-kind').innerText(), /VAE/);
  assert.equal(await page.locator('#error').isHidden(), true);
});

test('Pause holds the step count, Resume continues, Stop ends the run early with weights', async () => {
  await page.setInputFiles('#train-files', idxFiles(25600));
  await page.waitForFunction(() => document.getElementById('train-data').textContent.includes('labels'));
  await page.selectOption('#train-kind', 'vae');
  await page.click('#train-start');
  await page.waitForFunction(() => /step [1-9]/.test(document.getElementById('train-rate').textContent), null, { timeout: 60000 });
  await page.click('#train-pause');
  assert.equal(await page.locator('#train-pause').innerText(), 'Resume');
  await page.waitForTimeout(400);  // a message in flight may still land
  const held = await page.locator('#train-rate').innerText();
  await page.waitForTimeout(1200);
  assert.equal(await page.locator('#train-rate').innerText(), held, 'no progress while paused');
  await page.click('#train-pause');
  await page.waitForFunction((h) => document.getElementById('train-rate').textContent !== h, held, { timeout: 30000 });
  await page.click('#train-stop');
  await page.waitForSelector('#train[data-done="stopped"]', { timeout: 30000 });
  assert.match(await page.locator('#train-status').innerText(), /Training stopped after \d+ steps/);
  assert.equal(await page.locator('#train-download').isDisabled(), false, 'the weights of a stopped run can be downloaded');
});

test('the conditional VAE and the GAN train too (a few dozen steps each)', async () => {
  const cvae = await trainOn('cvae', 6400, { gzip: true });  // .gz files, as Debian ships Fashion-MNIST
  assert.ok(cvae.last.loss < cvae.first.loss, `conditional VAE ${cvae.first.loss} → ${cvae.last.loss}`);
  const gan = await trainOn('gan', 3200);
  for (const v of Object.values(gan.last)) assert.ok(Number.isFinite(v));
  assert.ok('discriminator' in gan.last && 'generator' in gan.last);
  assert.ok((await canvasStats(page, '#train-samples')).std > 1, 'GAN samples drawn');
});

test('the DCGAN trains in the tab (4 steps of 64) and its weights load into the page', async () => {
  const dcgan = await trainOn('dcgan', 256);
  for (const v of Object.values(dcgan.last)) assert.ok(Number.isFinite(v));
  assert.ok('discriminator' in dcgan.last && 'generator' in dcgan.last);
  assert.ok((await canvasStats(page, '#train-samples')).std > 1, 'DCGAN samples drawn');
  await page.click('#train-use');
  await page.waitForFunction(() => /trained-dcgan/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
  assert.match(await page.locator('#fact-kind').innerText(), /DCGAN/);
});

test('a bad data drop is refused with a clear message', async () => {
  await page.setInputFiles('#train-files', [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a data set at all') }]);
  await page.selectOption('#train-kind', 'vae');
  await page.click('#train-start');
  await page.waitForSelector('#train-error:not([hidden])', { timeout: 30000 });
  assert.match(await page.locator('#train-error').innerText(), /notes\.txt is not an IDX file/);
  assert.equal(await page.locator('#error').isHidden(), true, "the page's weights loader did not see the drop");
});

test('repair restores an erased half better than encode → decode, step by step', async () => {
  await page.locator('#repair').scrollIntoViewIfNeeded();
  await page.waitForSelector('#repair-run:not([disabled])', { timeout: 30000 });
  await page.selectOption('#repair-kind', 'right-half');
  await page.click('#repair-run');
  await page.waitForSelector('#repair[data-done="true"]', { timeout: 60000 });
  assert.equal(await page.getAttribute('#repair', 'data-steps'), '90');
  const { baseline, repair } = JSON.parse(await page.getAttribute('#repair', 'data-errors'));
  assert.ok(repair < baseline, `repair ${repair} vs encode → decode ${baseline}`);
  assert.ok((await canvasStats(page, '#repair-result')).std > 10, 'the repaired digit is not blank');
  await screenshot(page, 'repair');
  // A 7×7 version: every pixel observed at weight 1/16; the repair still draws a digit.
  await page.selectOption('#repair-kind', 'low-7');
  await page.click('#repair-run');
  await page.waitForSelector('#repair[data-done="true"]', { timeout: 60000 });
  assert.ok((await canvasStats(page, '#repair-result')).std > 10, 'the super-resolved digit is not blank');
  // The conditional VAE trained above (the last VAE of the Train section) repairs too, given the
  // test digit's class (MNIST test digit 0 is a 7).
  assert.match(await page.locator('#repair-index').innerText(), /test digit 0 \(a 7\)/);
  assert.equal(await page.inputValue('#repair-class'), '7');
  await page.check('#repair-trained');
  await page.selectOption('#repair-kind', 'right-half');
  await page.click('#repair-run');
  await page.waitForSelector('#repair[data-done="true"]', { timeout: 60000 });
  assert.equal(await page.locator('#repair-error').isHidden(), true);
  assert.deepEqual(problems, []);
});
