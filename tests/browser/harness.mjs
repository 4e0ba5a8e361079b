// Shared set-up of the browser tests: a static server over web/ and headless Debian Chromium driven
// by playwright-core (tests/node_modules; `cd tests && npm install`).
//
// Models: web/models/{vae,gan}.safetensors when they exist (the shipped, trained weights). Until
// then the server answers those paths with small random-weight models written by
// tests/node/weights.mjs — enough to check that pixels flow, never committed anywhere.
// LATENTLAB_TEST_MODELS=dir overrides both with dir/vae.safetensors and dir/gan.safetensors.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer } from './server.mjs';
import { makeGan, makeVae } from '../node/weights.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'tests/browser/artifacts');

const { chromium } = await import('playwright-core').catch(() => {
  throw new Error('playwright-core is missing: run `cd tests && npm install` (or scripts/setup)');
});

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function placeholderModels() {
  const overlay = {};
  // LATENTLAB_TEST_MODELS=dir: serve dir/{vae,gan}.safetensors instead (e.g. freshly trained ones).
  const dir = process.env.LATENTLAB_TEST_MODELS;
  if (dir) {
    for (const kind of ['vae', 'gan']) overlay[`/models/${kind}.safetensors`] = fs.readFileSync(path.join(dir, `${kind}.safetensors`));
    return overlay;
  }
  if (!fs.existsSync(path.join(ROOT, 'web/models/vae.safetensors'))) {
    overlay['/models/vae.safetensors'] = makeVae({ hidden: [64], latent: 8, seed: 101, gain: 3 }).bytes;
  }
  if (!fs.existsSync(path.join(ROOT, 'web/models/gan.safetensors'))) {
    overlay['/models/gan.safetensors'] = makeGan({ latent: 16, generatorHidden: [32, 64], discriminatorHidden: [16], seed: 102, gain: 3 }).bytes;
  }
  return overlay;
}

// overlay: more in-memory files served by URL path (e.g. a test's own models and manifest).
export async function start({ overlay = {} } = {}) {
  const wasm = path.join(ROOT, 'web/build/latentlab_core.wasm');
  if (!fs.existsSync(wasm)) throw new Error('web/build/latentlab_core.wasm is missing: run scripts/build-wasm');
  const server = await startServer({ root: path.join(ROOT, 'web'), overlay: { ...placeholderModels(), ...overlay }, mounts: { '/data/': path.join(ROOT, 'data') } });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

// A page that records console errors, uncaught exceptions and failed requests.
// options: browser context options, and initScript (a function run in the page before its scripts).
export async function openPage(browser, url, { initScript, ...options } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    // Chromium's hint about repeated getImageData comes from the tests' own pixel readbacks.
    if (/willReadFrequently/.test(m.text())) return;
    problems.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(url);
  return { page, context, problems };
}

// index.html preloads the weights of the lowest-FD model (the one it opens on by default). A page
// opened on another model (?model=, ?models=) never uses them, and Chromium says so in a console
// warning; tests that open such a page leave that one warning out of their problems.
export function withoutUnusedPreload(problems) {
  return problems.filter((p) => !/^console\.warning: The resource \S+\/models\/[\w.-]+\.(safetensors|json) was preloaded using link preload but not used/.test(p));
}

export function screenshot(page, name) {
  return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// Statistics of a canvas, computed in the page (red channel, 0–255): overall mean and standard
// deviation, and per cell of a grid (cells of `cell` px at a stride of `stride` px) the mean.
export function canvasStats(page, selector, { cell = 0, stride = 0, count = 0, root = null } = {}) {
  return page.evaluate(({ selector, cell, stride, count, root }) => {
    const scope = root ? document.querySelector(root).shadowRoot : document;
    const c = scope.querySelector(selector);
    const { data, width, height } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < data.length; i += 4) {
      sum += data[i];
      sq += data[i] * data[i];
    }
    const n = data.length / 4;
    const mean = sum / n;
    const cells = [];
    if (cell) {
      const cols = Math.floor((width + stride - cell) / stride);
      for (let k = 0; k < count; ++k) {
        const x0 = (k % cols) * stride;
        const y0 = Math.floor(k / cols) * stride;
        const values = [];
        for (let y = y0; y < y0 + cell && y < height; ++y) {
          for (let x = x0; x < x0 + cell; ++x) values.push(data[(y * width + x) * 4]);
        }
        cells.push(values);
      }
    }
    return { width, height, mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)), cells };
  }, { selector, cell, stride, count, root });
}

// A canvas's pixels as a compact string (a hash would do; equality is all we need).
export function canvasSignature(page, selector, root = null) {
  return page.evaluate(({ selector, root }) => {
    const scope = root ? document.querySelector(root).shadowRoot : document;
    const c = scope.querySelector(selector);
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let h1 = 0x811c9dc5;
    let h2 = 0;
    for (let i = 0; i < data.length; i += 4) {
      h1 = Math.imul(h1 ^ data[i], 16777619);
      h2 = (h2 + data[i] * ((i >> 2) % 251 + 1)) % 1000000007;
    }
    return `${c.width}x${c.height}:${(h1 >>> 0).toString(16)}:${h2}`;
  }, { selector, root });
}

export function meanAbsDiff(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; ++i) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}
