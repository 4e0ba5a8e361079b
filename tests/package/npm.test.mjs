// The npm package of web/ (web/package.json), as a web developer gets it: `npm pack` (its prepack
// runs scripts/build-wasm), the tarball installed into a scratch project under build/npm-package/,
// then
//   1. the tarball holds the module, the component, their .d.ts, both wasm builds and the default weights;
//   2. Node resolves every `exports` entry and the packed wasm samples the packed VAE exactly as web/ does;
//   3. a scratch page that imports the installed package renders <latent-digits> in headless Chromium;
//   4. tsc (tests/node_modules, or $TSC) type-checks consumer.ts against the installed declarations.
// Run: node --test tests/package/ (scripts/test's npm-package stage), after scripts/build wasm.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { canvasStats, openPage } from '../browser/harness.mjs';
import { startServer } from '../browser/server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const SCRATCH = path.join(ROOT, 'build/npm-package');
const APP = path.join(SCRATCH, 'app');
const INSTALLED = path.join(APP, 'node_modules/latentlab');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let packed;  // npm pack --json's entry: { filename, files: [{ path }] }

before(() => {
  fs.rmSync(SCRATCH, { recursive: true, force: true });
  fs.mkdirSync(APP, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', SCRATCH], {
    cwd: path.join(ROOT, 'web'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  packed = JSON.parse(out.slice(out.indexOf('[')))[0];
  fs.writeFileSync(path.join(APP, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', path.join(SCRATCH, packed.filename)], {
    cwd: APP, stdio: ['ignore', 'ignore', 'inherit'],
  });
});

test('the tarball holds the module, the component, their types, the four wasm builds and the default weights', () => {
  const files = packed.files.map((f) => f.path).sort();
  for (const f of ['package.json', 'README.md', 'latentlab.js', 'latentlab-models.js', 'latentlab-train.js', 'latentlab.d.ts', 'latent-digits.js', 'latent-digits.d.ts',
    'digit-canvas.js', 'digit-canvas.d.ts', 'build/latentlab_core.wasm', 'build/latentlab_core_relaxed.wasm', 'build/latentlab_core_train.wasm', 'build/latentlab_core_train_relaxed.wasm',
    'models/vae.safetensors', 'models/gan.safetensors']) {
    assert.ok(files.includes(f), `${f} is missing from ${packed.filename}: ${files.join(', ')}`);
  }
  for (const f of files) assert.doesNotMatch(f, /^(app\.js|index\.html|style\.css|embed-example\.html)$/, `${f} is the demo page, not the package`);
  assert.ok(fs.existsSync(path.join(INSTALLED, 'build/latentlab_core.wasm')));
  // The packed wasm is the one scripts/build-wasm made.
  assert.deepEqual(fs.readFileSync(path.join(INSTALLED, 'build/latentlab_core.wasm')),
    fs.readFileSync(path.join(ROOT, 'web/build/latentlab_core.wasm')));
});

test('Node resolves every export of the installed package and its wasm samples the packed VAE as web/ does', async () => {
  const script = `
    import fs from 'node:fs';
    import { initLatentlab, loadModel, MAX_WEIGHTS_BYTES } from 'latentlab';
    const url = (s) => new URL(import.meta.resolve(s));
    await initLatentlab({ wasmBinary: fs.readFileSync(url('latentlab/build/latentlab_core.wasm')) });
    const model = await loadModel(fs.readFileSync(url('latentlab/models/vae.safetensors')));
    const resolved = ['latentlab/latent-digits', 'latentlab/digit-canvas', 'latentlab/package.json',
      'latentlab/build/latentlab_core_train.wasm', 'latentlab/models/gan.safetensors'].map((s) => fs.existsSync(url(s)));
    console.log(JSON.stringify({ kind: model.info.kind, limit: MAX_WEIGHTS_BYTES, resolved,
      where: fileURLToPathLike(import.meta.resolve('latentlab')), pixels: Array.from(model.sample(4, 7)) }));
    function fileURLToPathLike(u) { return new URL(u).pathname; }`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: APP, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout);
  assert.equal(got.kind, 'vae');
  assert.equal(got.where, path.join(INSTALLED, 'latentlab.js'));
  assert.deepEqual(got.resolved, [true, true, true, true, true]);
  assert.equal(got.limit, 128 * 1024 * 1024);

  // The same four digits from the source tree's module and weights.
  const web = await import(path.join(ROOT, 'web/latentlab.js'));
  await web.initLatentlab({ wasmBinary: fs.readFileSync(path.join(ROOT, 'web/build/latentlab_core.wasm')) });
  const model = await web.loadModel(fs.readFileSync(path.join(ROOT, 'web/models/vae.safetensors')));
  assert.deepEqual(Float32Array.from(got.pixels), model.sample(4, 7));
});

test('a scratch page importing the installed package renders <latent-digits> in headless Chromium', async () => {
  fs.writeFileSync(path.join(APP, 'index.html'), `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<script type="importmap">
  { "imports": { "latentlab": "./node_modules/latentlab/latentlab.js",
                 "latentlab/latent-digits": "./node_modules/latentlab/latent-digits.js" } }
</script>
<script type="module">
  import 'latentlab/latent-digits';
  import { loadModel } from 'latentlab';
  const w = document.querySelector('latent-digits');
  w.addEventListener('load', (e) => { window.widgetInfo = e.detail; });
  loadModel('node_modules/latentlab/models/gan.safetensors').then((m) => { window.ganPixels = m.sample(2, 1).length; });
</script>
<latent-digits src="node_modules/latentlab/models/vae.safetensors" seed="3" cols="3" rows="2"></latent-digits>`);
  const { chromium } = await import('playwright-core');
  const server = await startServer({ root: APP });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const { page, problems } = await openPage(browser, `${server.url}index.html`);
    await page.waitForFunction(() => window.widgetInfo && window.ganPixels, null, { timeout: 30000 });
    assert.equal(await page.evaluate(() => window.widgetInfo.kind), 'vae');
    assert.equal(await page.evaluate(() => window.ganPixels), 2 * 784);
    let stats;
    for (let tries = 0; tries < 50; ++tries) {  // the first paint can read back blank for a frame
      stats = await canvasStats(page, 'canvas', { root: 'latent-digits' });
      if (stats.std > 5) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(stats.width, (3 * 29 - 1) * 3);  // 3 digits of 28 px + 1 px gaps, drawn × 3
    assert.ok(stats.std > 5, `blank widget: std ${stats.std}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.close();
  }
});

test('tsc type-checks a TypeScript consumer against the installed declarations', () => {
  const tsc = process.env.TSC || path.join(ROOT, 'tests/node_modules/.bin/tsc');
  assert.ok(fs.existsSync(tsc), `${tsc} is missing: run scripts/setup (npm install in tests/), or set TSC`);
  for (const f of ['consumer.ts', 'tsconfig.json']) fs.copyFileSync(path.join(HERE, f), path.join(APP, f));
  const ok = spawnSync(tsc, ['-p', APP], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  // The declarations are strict enough to catch a wrong call.
  fs.writeFileSync(path.join(APP, 'consumer.ts'), "import { loadModel } from 'latentlab';\nloadModel(42);\n");
  const bad = spawnSync(tsc, ['-p', APP], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /consumer\.ts.*error TS2345/);
});

