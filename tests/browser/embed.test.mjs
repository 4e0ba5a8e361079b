// web/embed-example.html: two <latent-digits> widgets (a VAE grid and a GAN morph) render pixels in
// their shadow roots, animate, and neither leaks styles in or out.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';

import { canvasSignature, canvasStats, openPage, screenshot, start } from './harness.mjs';

let env;
let page;
let problems;

before(async () => {
  env = await start();
  ({ page, problems } = await openPage(env.browser, `${env.server.url}embed-example.html`));
  // Rendered = a canvas inside each shadow root.
  await page.waitForFunction(() => ['#vae-grid', '#gan-morph'].every((id) => document.querySelector(id)?.shadowRoot?.querySelector('canvas')),
    null, { timeout: 30000 });
});

after(async () => {
  if (env) await env.close();
});

// A widget's canvas exists from its first render on, but in headless Chromium its first paint can
// read back blank for a frame or two (seen about 1 load in 4 for the morph, before and after the
// redesign alike); what counts is that the widget shows digits, so poll up to 5 s for them.
async function paintedStats(root) {
  let stats;
  for (let tries = 0; tries < 50; ++tries) {
    stats = await canvasStats(page, 'canvas', { root });
    if (stats.width > 0 && stats.std > 5) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return stats;
}

test('both widgets render non-blank pixels inside their shadow roots', async () => {
  for (const root of ['#vae-grid', '#gan-morph']) {
    const stats = await paintedStats(root);
    assert.ok(stats.width > 0 && stats.std > 5, `${root}: std ${stats.std}`);
  }
  // The grid widget is 4 × 4 digits of 28 px + 1 px gaps, drawn ×3.
  const grid = await canvasStats(page, 'canvas', { root: '#vae-grid' });
  assert.equal(grid.width, (4 * 29 - 1) * 3);
  // Nothing rendered into the light DOM.
  assert.equal(await page.locator('latent-digits canvas').count(), 2);  // Playwright pierces open shadow roots…
  assert.equal(await page.evaluate(() => document.querySelectorAll('canvas').length), 0);  // …the document does not
  await screenshot(page, 'embed');
});

test('the widgets say which model they run', async () => {
  const status = (id) => page.evaluate((id) => document.querySelector(id).shadowRoot.querySelector('.status').textContent, id);
  assert.match(await status('#vae-grid'), /VAE · seed 7/);
  // The morph walks seed 3 → 4 → 5 …, one leg every 1.6 s.
  const [, a, b] = (await status('#gan-morph')).match(/^GAN · slerp seed (\d+) → (\d+)$/);
  assert.ok(Number(a) >= 3 && Number(b) === Number(a) + 1);
});

test('the GAN morph animates and the VAE grid re-rolls', async () => {
  const a = await canvasSignature(page, 'canvas', '#gan-morph');
  await page.waitForTimeout(400);
  const b = await canvasSignature(page, 'canvas', '#gan-morph');
  assert.notEqual(a, b);
  const g = await canvasSignature(page, 'canvas', '#vae-grid');
  await page.locator('#vae-grid').getByRole('button').click();
  assert.notEqual(await canvasSignature(page, 'canvas', '#vae-grid'), g);
});

test('page styles do not leak into the shadow DOM', async () => {
  // embed-example.html outlines every canvas and button with red dots; the widgets must not show it.
  const outline = await page.evaluate(() => getComputedStyle(document.querySelector('#vae-grid').shadowRoot.querySelector('canvas')).outlineStyle);
  assert.equal(outline, 'none');
});

test('a widget with a bad src shows an error in its shadow root', async () => {
  await page.evaluate(() => {
    const el = document.createElement('latent-digits');
    el.id = 'broken';
    el.setAttribute('src', 'embed-example.html');  // exists, but is not a weights file
    document.body.append(el);
  });
  await page.waitForFunction(() => document.querySelector('#broken').shadowRoot?.querySelector('[role="alert"]'));
  const text = await page.evaluate(() => document.querySelector('#broken').shadowRoot.querySelector('[role="alert"]').textContent);
  assert.match(text, /latent-digits: invalid weights file/);
});

test('switching a widget\'s mode attribute re-renders it', async () => {
  await page.evaluate(() => document.querySelector('#vae-grid').setAttribute('mode', 'explore'));
  await page.waitForFunction(() => document.querySelector('#vae-grid').shadowRoot.querySelector('.pad'));
  const before = await canvasSignature(page, '.digit', '#vae-grid');
  await page.focus('#vae-grid >> .pad');
  for (let i = 0; i < 8; ++i) await page.keyboard.press('Shift+ArrowUp');
  assert.notEqual(await canvasSignature(page, '.digit', '#vae-grid'), before);
});

test('no console errors, uncaught exceptions or failed requests', () => {
  assert.deepEqual(problems, []);
});
