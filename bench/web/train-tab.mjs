// One MNIST epoch of the MLP VAE (hidden 400, latent 20, batch 128: 469 steps) in the page's Train
// section, end to end as a visitor sees it: from the Start click (the training module fetched and
// compiled, MNIST fetched from data/mnist/ and parsed, every step, the sample grids every 2 s) to
// the "finished" state. Headless Chromium on the served page.
//   node bench/web/train-tab.mjs [preset=vae] [epochs=1] [seconds]
// With seconds (for a preset whose epoch takes minutes, e.g. dcgan): reads the step count and the
// worker's clock 10 s after the first step and again `seconds` later, then stops; prints the steps
// per second between the two readings and the epoch time they project (steps of an MNIST epoch /
// that rate; module, data and the first steps' warm-up excluded).
// Needs scripts/build-wasm, MNIST in data/mnist and tests/node_modules (playwright-core).
import { openPage, start } from '../../tests/browser/harness.mjs';

const preset = process.argv[2] || 'vae';
const epochs = process.argv[3] || '1';
const seconds = Number(process.argv[4] || 0);
const BATCH = { vae: 128, cvae: 128, gan: 64, dcgan: 64 };
const EPOCH_STEPS = preset.endsWith('gan') ? Math.floor(60000 / BATCH[preset]) : Math.ceil(60000 / BATCH[preset]);

// #train-rate: "step S · epoch E (P%) · R steps/s · T s" → { step: S, t: T }
async function reading(page) {
  await page.waitForFunction(() => /^step \d+/.test(document.getElementById('train-rate').textContent), null, { timeout: 120000 });
  const text = await page.locator('#train-rate').innerText();
  return { step: Number(/^step (\d+)/.exec(text)[1]), t: Number(/([\d.]+) s$/.exec(text)[1]) };
}
const env = await start();
try {
  const { page, problems } = await openPage(env.browser, `${env.server.url}index.html`);
  await page.waitForSelector('html[data-model]', { timeout: 60000 });
  await page.waitForSelector('#lab[data-ready="true"]', { timeout: 60000 });
  await page.selectOption('#train-kind', preset);
  await page.fill('#train-epochs', epochs);
  // A visitor sees the section before clicking Start: it has started its worker by then (train.js).
  await page.locator('#train-start').scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);
  const t0 = Date.now();
  await page.click('#train-start');
  if (seconds > 0) {
    await reading(page);
    await page.waitForTimeout(10000);
    const a = await reading(page);
    await page.waitForTimeout(seconds * 1000);
    const b = await reading(page);
    await page.click('#train-stop');
    const rate = (b.step - a.step) / (b.t - a.t);
    console.log(`${preset}: steps ${a.step} → ${b.step} in ${(b.t - a.t).toFixed(1)} s of the worker's clock: ` +
      `${rate.toFixed(2)} steps/s, ${(1000 / rate).toFixed(0)} ms a step; an MNIST epoch (${EPOCH_STEPS} steps) ≈ ` +
      `${(EPOCH_STEPS / rate / 60).toFixed(1)} min`);
  } else {
    // Polled every animation frame: waitForSelector's polling backs off to 500 ms after the first
    // second, and added 0.2–0.5 s to an epoch of a few seconds.
    await page.waitForFunction(() => document.getElementById('train').dataset.done === 'finished', null, { polling: 'raf', timeout: 600000 });
    const wall = (Date.now() - t0) / 1000;
    const inPage = await page.getAttribute('#train', 'data-seconds');
    const rate = await page.locator('#train-rate').innerText();
    const last = await page.getAttribute('#train', 'data-last-terms');
    const timings = await page.getAttribute('#train', 'data-timings');
    const clickSeconds = await page.getAttribute('#train', 'data-click-seconds');
    console.log(`training build: ${await page.getAttribute('#train', 'data-module')}`);
    console.log(`${preset}, ${epochs} epoch(s): ${inPage} s in the worker (module + data + steps), ${wall.toFixed(2)} s from the click ` +
      `(${clickSeconds} s by the page's clock, from the click event to the done message)`);
    console.log(`seconds of it in: ${timings}`);
    console.log(`last progress: ${rate}; last terms ${last}`);
  }
  if (problems.length) console.log('page problems:', problems);
} finally {
  await env.close();
}
