// One MNIST epoch of the MLP VAE (hidden 400, latent 20, batch 128: 469 steps) in the page's Train
// section, end to end as a visitor sees it: from the Start click (the training module fetched and
// compiled, MNIST fetched from data/mnist/ and parsed, every step, the sample grids every 2 s) to
// the "finished" state. Headless Chromium on the served page.
//   node bench/web/train-tab.mjs [preset=vae] [epochs=1]
// Needs scripts/build-wasm, MNIST in data/mnist and tests/node_modules (playwright-core).
import { openPage, start } from '../../tests/browser/harness.mjs';

const preset = process.argv[2] || 'vae';
const epochs = process.argv[3] || '1';
const env = await start();
try {
  const { page, problems } = await openPage(env.browser, `${env.server.url}index.html`);
  await page.waitForSelector('html[data-model]', { timeout: 60000 });
  await page.waitForSelector('#lab[data-ready="true"]', { timeout: 60000 });
  await page.selectOption('#train-kind', preset);
  await page.fill('#train-epochs', epochs);
  const t0 = Date.now();
  await page.click('#train-start');
  await page.waitForSelector('#train[data-done="finished"]', { timeout: 600000 });
  const wall = (Date.now() - t0) / 1000;
  const inPage = await page.getAttribute('#train', 'data-seconds');
  const rate = await page.locator('#train-rate').innerText();
  const last = await page.getAttribute('#train', 'data-last-terms');
  console.log(`${preset}, ${epochs} epoch(s): ${inPage} s in the worker (module + data + steps), ${wall.toFixed(2)} s from the click`);
  console.log(`last progress: ${rate}; last terms ${last}`);
  if (problems.length) console.log('page problems:', problems);
} finally {
  await env.close();
}
