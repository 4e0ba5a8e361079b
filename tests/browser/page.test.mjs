// End-to-end tests of web/index.html in headless Chromium: what the user sees is checked in the
// canvases' pixels, not only in the DOM.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { ARTIFACTS, ROOT, canvasSignature, canvasStats, meanAbsDiff, openPage, screenshot, start, withoutUnusedPreload } from './harness.mjs';
import { encodeSafetensors, joinSafetensors, makeGan, splitSafetensors } from '../node/weights.mjs';

// These tests use the MLP VAE (and switch to the MLP GAN), whatever model the page opens on by
// default: index.html?model=vae.safetensors opens that entry of web/models/models.json.
const VAE_PAGE = 'index.html?model=vae.safetensors';

// Grid geometry of app.js: 28-px digits, 2-px gaps, drawn ×3.
const CELL = 28 * 3;
const STRIDE = 30 * 3;

let env;
let page;
let problems;

before(async () => {
  env = await start();
  ({ page, problems } = await openPage(env.browser, `${env.server.url}${VAE_PAGE}`));
  await page.waitForSelector('html[data-model="vae"]', { timeout: 30000 });
});

after(async () => {
  if (env) await env.close();
});

async function gridCells() {
  return (await canvasStats(page, '#grid', { cell: CELL, stride: STRIDE, count: 64 })).cells;
}

test('the page loads the VAE without console errors and fills in the facts', async () => {
  assert.deepEqual(withoutUnusedPreload(problems), []);
  assert.match(await page.$eval('#models input:checked', (r) => r.value), /\/models\/vae\.safetensors$/);
  assert.match(await page.locator('#fact-kind').innerText(), /^VAE/);
  assert.match(await page.locator('#fact-params').innerText(), /^[\d,]+$/);
  assert.match(await page.locator('#fact-bytes').innerText(), /(KB|MB)$/);
  // A warm figure, saying what it measures (issue 15: the first, cold call was shown before).
  assert.match(await page.locator('#fact-ms').innerText(), /^[\d.]+ ms per digit, warm \(median of 5 decodes of a 64-digit batch/);
  assert.match(await page.locator('#fact-simd').innerText(), /^on/);
  assert.equal(await page.locator('#error').isHidden(), true);
  await screenshot(page, 'page-loaded');
});

test('the grid shows 64 non-blank digits that differ from each other', async () => {
  const stats = await canvasStats(page, '#grid');
  assert.equal(stats.width, (8 * 30 - 2) * 3);
  assert.ok(stats.std > 10, `grid std ${stats.std}`);
  const cells = await gridCells();
  const means = cells.map((c) => c.reduce((s, v) => s + v, 0) / c.length);
  assert.ok(means.every((m) => m > 1), 'no cell is blank');
  // Every digit differs visibly from its right neighbour.
  for (let k = 0; k < 63; ++k) {
    if (k % 8 === 7) continue;
    assert.ok(meanAbsDiff(cells[k], cells[k + 1]) > 2, `cells ${k} and ${k + 1} look the same`);
  }
});

test('explore opens on the first grid digit, with every slider on the page (no inner scroll box)', async () => {
  // The sliders hold the grid's first latent (clamped to the pad's ±3), not z = 0.
  const values = await page.$$eval('#sliders input', (inputs) => inputs.map((i) => Number(i.value)));
  assert.ok(values.some((v) => Math.abs(v) > 0.05), `sliders ${values}`);
  const box = await page.$eval('#sliders', (el) => ({ scroll: el.scrollHeight, client: el.clientHeight, overflow: getComputedStyle(el).overflowY }));
  assert.ok(box.scroll <= box.client + 1 && box.overflow !== 'auto' && box.overflow !== 'scroll', `sliders box ${JSON.stringify(box)}`);
  // The explore digit is the grid's first digit: compare their means (×8 vs ×3).
  const cells = await gridCells();
  const digit = await canvasStats(page, '#explore-digit');
  const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
  assert.ok(digit.std > 10, 'the explore digit is not a blank or grey blob');
  assert.ok(Math.abs(digit.mean - mean(cells[0])) < 6, `explore mean ${digit.mean} vs first grid digit ${mean(cells[0])}`);
});

test('New seed redraws the grid; typing a seed is deterministic', async () => {
  const before7 = await canvasSignature(page, '#grid');
  await page.click('#new-seed');
  assert.equal(await page.inputValue('#seed'), '8');
  const seed8 = await canvasSignature(page, '#grid');
  assert.notEqual(seed8, before7);
  await page.fill('#seed', '7');
  await page.press('#seed', 'Enter');
  assert.equal(await canvasSignature(page, '#grid'), before7);
});

test('the morph animates', async () => {
  const a = await canvasSignature(page, '#morph');
  await page.waitForTimeout(350);
  const b = await canvasSignature(page, '#morph');
  await page.waitForTimeout(350);
  const c = await canvasSignature(page, '#morph');
  assert.ok(a !== b || b !== c, 'the morph canvas did not change over 700 ms');
  const strip = await canvasStats(page, '#strip');
  assert.ok(strip.std > 5);
});

test('clicking two grid digits morphs between them (first frame = digit A)', async () => {
  await page.click('#play');  // pause, so the first frame stays put
  await page.locator('#grid').scrollIntoViewIfNeeded();
  const cells = await gridCells();  // before the picks draw their outlines over the cells
  const box = await page.locator('#grid').boundingBox();
  const scale = box.width / ((8 * 30 - 2) * 3);
  const centre = (k) => [box.x + ((k % 8) * STRIDE + CELL / 2) * scale, box.y + (Math.floor(k / 8) * STRIDE + CELL / 2) * scale];
  await page.mouse.click(...centre(2));
  await page.mouse.click(...centre(13));
  assert.match(await page.locator('#morph-label').innerText(), /digit 3 → B: digit 14/);
  // The paused morph shows frame 0, i.e. digit 3 of the grid (pixels ×8 vs ×3: compare the means).
  const morph = await canvasStats(page, '#morph');
  const mean = (v) => v.reduce((s, x) => s + x, 0) / v.length;
  assert.ok(Math.abs(morph.mean - mean(cells[2])) < 3, `morph mean ${morph.mean} vs digit mean ${mean(cells[2])}`);
  await page.click('#play');
  await screenshot(page, 'morph-picked');
});

test('the grid is keyboard accessible: arrows + Enter pick digits', async () => {
  await page.focus('#grid');
  await page.keyboard.press('Enter');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  assert.match(await page.locator('#morph-label').innerText(), /digit \d+ → B: digit \d+/);
});

test('lerp and slerp are both selectable', async () => {
  await page.selectOption('#interp', 'lerp');
  assert.match(await page.locator('#morph-label').innerText(), /\(lerp\)/);
  await page.selectOption('#interp', 'slerp');
  assert.match(await page.locator('#morph-label').innerText(), /\(slerp\)/);
});

test('explore: arrow keys on the pad and the sliders change the decoded digit', async () => {
  const start = await canvasSignature(page, '#explore-digit');
  await page.focus('#pad');
  for (let i = 0; i < 10; ++i) await page.keyboard.press('Shift+ArrowRight');
  await page.waitForTimeout(100);
  const moved = await canvasSignature(page, '#explore-digit');
  assert.notEqual(moved, start);
  assert.equal(await page.inputValue('#z-0'), '3');
  await page.fill('#z-1', '-2');
  await page.waitForTimeout(100);
  assert.notEqual(await canvasSignature(page, '#explore-digit'), moved);
  // Pointer drag on the pad.
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const pad = await page.locator('#pad').boundingBox();
  await page.mouse.move(pad.x + pad.width * 0.2, pad.y + pad.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(pad.x + pad.width * 0.25, pad.y + pad.height * 0.3);
  await page.mouse.up();
  await page.waitForTimeout(100);
  assert.ok(Number(await page.inputValue('#z-0')) < -1);
});

test('drawing with the pointer produces a centred input and a reconstruction', async () => {
  await page.click('#clear');
  const blank = await canvasStats(page, '#recon');
  assert.ok(blank.std < 1);
  await page.locator('#draw').scrollIntoViewIfNeeded();
  const box = await page.locator('#draw').boundingBox();
  const at = (u, v) => [box.x + u * box.width, box.y + v * box.height];
  // A "7", drawn off-centre (top left) so that centring has work to do.
  await page.mouse.move(...at(0.15, 0.15));
  await page.mouse.down();
  for (let i = 1; i <= 10; ++i) await page.mouse.move(...at(0.15 + 0.04 * i, 0.15));
  for (let i = 1; i <= 12; ++i) await page.mouse.move(...at(0.55 - 0.025 * i, 0.15 + 0.045 * i));
  await page.mouse.up();
  const drawn = await canvasStats(page, '#draw');
  assert.ok(drawn.mean > 5, 'ink on the drawing canvas');
  // Lifting the pen encodes, as the note says (no Encode click needed).
  assert.match(await page.locator('#draw-note').innerText(), /decode\(μ\)/);
  assert.ok((await canvasStats(page, '#recon')).std > 1, 'the reconstruction appears when the stroke ends');
  await page.click('#encode');
  const input = await canvasStats(page, '#draw-input');
  const recon = await canvasStats(page, '#recon');
  assert.ok(input.std > 20, 'the centred input is not blank');
  assert.ok(recon.std > 1, `the reconstruction is not blank (std ${recon.std})`);
  // Centring: the ink's centre of mass is near the middle of the 28×28 input.
  const com = await page.evaluate(() => {
    const c = document.getElementById('draw-input');
    const { data, width, height } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let m = 0;
    let mx = 0;
    let my = 0;
    for (let y = 0; y < height; ++y) {
      for (let x = 0; x < width; ++x) {
        const v = data[(y * width + x) * 4];
        m += v;
        mx += (x + 0.5) * v;
        my += (y + 0.5) * v;
      }
    }
    return [mx / m / width, my / m / height];
  });
  assert.ok(Math.abs(com[0] - 0.5) < 0.05 && Math.abs(com[1] - 0.5) < 0.05, `centre of mass ${com}`);
  assert.equal(await page.locator('#morph-from').isEnabled(), true);
  await page.click('#morph-to');
  assert.match(await page.locator('#morph-label').innerText(), /your drawing/);
  await screenshot(page, 'drawn');
});

test('a corrupt file shows a readable error and the previous model keeps working', async () => {
  await page.setInputFiles('#file-input', {
    name: 'broken.safetensors',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('\x10\x00\x00\x00\x00\x00\x00\x00{"not": "closed"'),
  });
  const alert = page.locator('#error[role="alert"]');
  await alert.waitFor({ state: 'visible' });
  const text = await alert.innerText();
  assert.match(text, /broken\.safetensors/);
  assert.match(text, /previous model is still in use/);
  assert.equal(await page.getAttribute('html', 'data-model'), 'vae');
  await screenshot(page, 'corrupt-file');
  // Still renders: a new seed gives new, non-blank digits.
  const beforeSig = await canvasSignature(page, '#grid');
  await page.click('#new-seed');
  assert.notEqual(await canvasSignature(page, '#grid'), beforeSig);
  assert.ok((await canvasStats(page, '#grid')).std > 10);
});

// Drops a file made in the page (so an oversized one never crosses the test protocol).
async function dropFile(name, make) {
  await page.evaluate(async ({ name, make }) => {
    const bytes = make.size ? new Uint8Array(make.size) : new Uint8Array(make.bytes);
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { name, make });
}

test('an oversized or wrong-model file dropped on the page is refused and the previous model keeps sampling', async () => {
  const gan = splitSafetensors(makeGan({ latent: 4, generatorHidden: [8], discriminatorHidden: [8], seed: 5 }).bytes);
  // A GAN file without its generator: valid safetensors, but nothing the page can draw with.
  const discriminatorOnly = encodeSafetensors(
    Object.entries(gan.header)
      .filter(([n]) => n.startsWith('discriminator.'))
      .sort((x, y) => x[1].data_offsets[0] - y[1].data_offsets[0])
      .map(([name, t]) => ({ name, shape: t.shape, raw: gan.data.slice(t.data_offsets[0], t.data_offsets[1]) })),
    gan.header.__metadata__,
  );
  // Another kind of model (e.g. a digit classifier): refused by its kind.
  const classifier = joinSafetensors({ ...gan.header, __metadata__: { ...gan.header.__metadata__, kind: 'classifier' } }, gan.data);
  const cases = [
    ['huge.safetensors', { size: 129 * 1024 * 1024 }, /huge\.safetensors is not usable: the file is larger than any latentlab model[^]*Details: weights file is too large: 129\.0 MiB/],
    ['d-only.safetensors', { bytes: Array.from(discriminatorOnly) }, /d-only\.safetensors is not usable: [^]*Details: invalid weights file: GAN weights/],
    ['classifier.safetensors', { bytes: Array.from(classifier) }, /classifier\.safetensors is not usable: [^]*Details: .*"classifier"/],
  ];
  for (const [name, make, pattern] of cases) {
    const before = await canvasSignature(page, '#grid');
    await dropFile(name, make);
    await page.waitForFunction((n) => document.querySelector('#error')?.innerText.includes(n), name);
    const text = await page.locator('#error[role="alert"]').innerText();
    assert.match(text, pattern);
    assert.match(text, /previous model is still in use/);
    assert.equal(await page.getAttribute('html', 'data-model'), 'vae');
    assert.equal(await canvasSignature(page, '#grid'), before, 'the grid is untouched');
    await page.click('#new-seed');
    assert.notEqual(await canvasSignature(page, '#grid'), before, 'the previous model still samples');
    assert.ok((await canvasStats(page, '#grid')).std > 10);
  }
});

test('bad files are explained in words for visitors, with the technical detail underneath', async () => {
  const cases = [
    // Cut in the data section, and inside the header: "cut short", the core's detail underneath.
    ['cut.safetensors', -1000, /is not usable: the file is cut short/, /Details: .*beyond the data section/],
    ['cut-header.safetensors', 40, /is not usable: the file is cut short/, /Details: .*exceeds the \d+ bytes that follow/],
    // Empty: a sentence with its full stop before the next one.
    ['empty.safetensors', 0, /is not usable: the file is empty \(0 bytes\)\. The previous model is still in use\./, /Details: .*empty/],
  ];
  for (const [name, end, summary, detail] of cases) {
    // The served VAE file, cut in the page (bytes [0, end)).
    await page.evaluate(async ({ name, end }) => {
      const bytes = new Uint8Array(await (await fetch('models/vae.safetensors')).arrayBuffer()).slice(0, end);
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, { name, end });
    await page.waitForFunction((n) => document.querySelector('#error')?.innerText.includes(n), name);
    const [first, second] = await page.locator('#error p').allInnerTexts();
    assert.match(first, new RegExp(`^${name.replace('.', '\\.')} `));
    assert.match(first, summary);
    assert.match(second, detail);
    assert.equal(await page.getAttribute('html', 'data-model'), 'vae');
  }
});

test('a header of 200,000 tensors is refused from its length before it is parsed', async () => {
  // 13 MB of valid JSON, made in the page: it blocked the main thread for 1.5–2 s when parsed.
  await page.evaluate(() => {
    const parts = [];
    for (let i = 0; i < 200000; ++i) parts.push(`"t${i}":{"dtype":"F32","shape":[1],"data_offsets":[${4 * i},${4 * i + 4}]}`);
    const header = new TextEncoder().encode(`{${parts.join(',')}}`);
    const bytes = new Uint8Array(8 + header.length + 800000);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'many.safetensors', { type: 'application/octet-stream' }));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => document.querySelector('#error')?.innerText.includes('many.safetensors'));
  const [first, second] = await page.locator('#error p').allInnerTexts();
  assert.match(first, /many\.safetensors is not usable: its header lists far more than any latentlab model holds/);
  assert.match(second, /header length 1\d{7} exceeds the limit of 1048576 bytes/);
});

test('switching to the GAN renders GAN digits and disables encoding', async () => {
  await page.check('#models input[value$="/gan.safetensors"]');
  await page.waitForSelector('html[data-model="gan"]');
  assert.match(await page.locator('#fact-kind').innerText(), /^GAN/);
  assert.ok((await canvasStats(page, '#grid')).std > 10);
  assert.equal(await page.locator('#encode').isDisabled(), true);
  assert.match(await page.locator('#draw-note').innerText(), /GAN has no encoder/);
  assert.equal(await page.locator('#error').isHidden(), true);
  await screenshot(page, 'gan');
  await page.check('#models input[value$="/vae.safetensors"]');
  await page.waitForSelector('html[data-model="vae"]');
});

test('a valid file from the picker becomes the model', async () => {
  const bytes = makeGan({ latent: 5, generatorHidden: [12], discriminatorHidden: [4], seed: 33, gain: 3 }).bytes;
  await page.setInputFiles('#file-input', { name: 'mine.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
  await page.waitForSelector('html[data-model="gan"]');
  assert.equal(await page.isChecked('input[name="kind"][value="file"]'), true);
  assert.equal(await page.locator('#fact-latent').innerText(), '5');
  assert.equal(await page.locator('#sliders input').count(), 5);
  assert.ok((await canvasStats(page, '#grid')).std > 10);
  assert.match(await page.locator('#file-kind-label').innerText(), /mine\.safetensors/);
  assert.match(await page.locator('#fact-kind').innerText(), /mine\.safetensors/);
});

test('no console errors, uncaught exceptions or failed requests during the session', () => {
  assert.deepEqual(withoutUnusedPreload(problems), []);
});

test('?model= naming no entry of the list opens the lowest FD and says so', async () => {
  const { page: other, context, problems: otherProblems } = await openPage(env.browser, `${env.server.url}index.html?model=nope.safetensors`);
  await other.waitForSelector('html[data-model]', { timeout: 30000 });
  const { models } = JSON.parse(fs.readFileSync(path.join(ROOT, 'web/models/models.json'), 'utf8'));
  const best = models.reduce((a, b) => (b.fd < a.fd ? b : a));
  assert.match(await other.$eval('#models input:checked', (r) => r.value), new RegExp(`/models/${best.file.replace('.', '\\.')}$`));
  assert.match(await other.locator('#error').innerText(), /asks for the model "nope\.safetensors", which is not in the list: showing the lowest FD instead\.[^]*Details: \?model= names an entry's file: /);
  assert.deepEqual(otherProblems, []);
  await context.close();
});

test('a phone-sized viewport has no horizontal scrolling', async () => {
  // The page as a visitor opens it, on its default model.
  const { page: phone, context, problems: phoneProblems } = await openPage(env.browser, `${env.server.url}index.html`, {
    viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  });
  await phone.waitForSelector('html[data-model]', { timeout: 30000 });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
  // Touch drawing works too.
  await phone.locator('#draw').scrollIntoViewIfNeeded();
  const box = await phone.locator('#draw').boundingBox();
  await phone.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
  await screenshot(phone, 'phone');
  assert.deepEqual(phoneProblems, []);
  await context.close();
});

// Issue 15: on a 390 px wide phone (390 × 844 CSS px, an iPhone 12–15) the whole first grid is on
// the first screen, without scrolling.
test('on a 390 px phone the first grid is above the fold', async () => {
  const { page: phone, context } = await openPage(env.browser, `${env.server.url}index.html`, {
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  });
  await phone.waitForSelector('html[data-model]', { timeout: 30000 });
  const at = await phone.evaluate(() => ({ grid: document.getElementById('grid').getBoundingClientRect().toJSON(), height: innerHeight, scrollY }));
  assert.equal(at.scrollY, 0);
  assert.ok(at.grid.top >= 0 && at.grid.bottom <= at.height, `the grid spans ${at.grid.top}–${at.grid.bottom} px, the screen ${at.height} px`);
  assert.ok(at.grid.width >= 300, `the grid is ${at.grid.width} px wide`);
  assert.ok((await canvasStats(phone, '#grid')).std > 10, 'the grid shows digits');
  await phone.screenshot({ path: path.join(ARTIFACTS, 'phone-first-screen.png') });
  await context.close();
});

// The first model's weights download with the page (a preload link) instead of after the list of
// models: measured under load, the first grid came 250–350 ms later without it. So the preloaded
// file must be the one the page opens on, the lowest FD of the manifest.
test('index.html preloads the weights of the manifest\'s lowest-FD model, and only those', () => {
  const html = fs.readFileSync(path.join(ROOT, 'web/index.html'), 'utf8');
  const preloaded = [...html.matchAll(/<link rel="preload" href="(models\/[^"]+\.safetensors)"/g)].map((m) => m[1]);
  const { models } = JSON.parse(fs.readFileSync(path.join(ROOT, 'web/models/models.json'), 'utf8'));
  const fd = (e) => (Number.isFinite(e.fd) ? e.fd : Infinity);
  const best = [...models].sort((a, b) => fd(a) - fd(b))[0];
  assert.deepEqual(preloaded, [`models/${best.file}`], 'update the preload link of index.html to the best model');
});

// Issue 15: the JS and wasm the page fetches before its first grid is on screen stay ≤ 80 KB
// gzipped (gzip -9 of the served files, as scripts/bench-web counts downloads; weights, HTML and
// CSS are not code and are left out). Read from the browser's own resource timings, so a new
// script tag or an eager import that lands before the first grid counts.
const FIRST_GRID_BUDGET = 80000;

test('the JS and wasm needed for the first grid are at most 80 KB gzipped', async (t) => {
  const { page: fresh, context } = await openPage(env.browser, `${env.server.url}index.html`);
  await fresh.waitForFunction(() => performance.getEntriesByName('latentlab:first-grid').length > 0, null, { timeout: 30000 });
  const paths = await fresh.evaluate(() => {
    const grid = performance.getEntriesByName('latentlab:first-grid')[0].startTime;
    return performance.getEntriesByType('resource')
      .filter((r) => r.responseEnd <= grid)
      .map((r) => new URL(r.name).pathname)
      .filter((p) => /\.(m?js|wasm)$/.test(p));
  });
  await context.close();
  const files = [...new Set(paths)].map((p) => {
    const bytes = zlib.gzipSync(fs.readFileSync(path.join(ROOT, 'web', p)), { level: 9 }).length;
    return { file: p.slice(1), bytes };
  });
  const total = files.reduce((s, f) => s + f.bytes, 0);
  t.diagnostic(`first grid: ${total} B gzipped = ${files.map((f) => `${f.file} ${f.bytes}`).join(' + ')}`);
  // The relaxed-SIMD build where Chromium validates it (relaxed.test.mjs), the SIMD128 one otherwise.
  assert.ok(files.some((f) => /latentlab_core(_relaxed)?\.wasm$/.test(f.file)) && files.some((f) => f.file === 'app.js'),
    `the module and app.js are among the files: ${paths}`);
  assert.ok(total <= FIRST_GRID_BUDGET, `${total} B gzipped before the first grid, budget ${FIRST_GRID_BUDGET} B`);
});
