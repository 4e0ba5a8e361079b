// Writes the screenshots of docs/web.md (docs/images/web-*.png) with the browser tests' harness:
// the served page in headless Chromium, device scale 1 so that the files stay small.
//   node tests/browser/docs-screenshots.mjs [conditional.safetensors]
// The Ask card is shot on the page's default model (the shipped list opens on a conditional one), or
// with the conditional model given (e.g. runs/cgan/model.safetensors), served with a one-entry
// manifest (index.html?models=/shots/models.json): nothing is copied into web/models.
import fs from 'node:fs';
import path from 'node:path';

import { ROOT, openPage, start } from './harness.mjs';

const OUT = path.join(ROOT, 'docs/images');
const conditional = process.argv[2];
const overlay = {};
if (conditional) {
  overlay['/shots/models.json'] = Buffer.from(JSON.stringify({
    models: [{ file: 'conditional.safetensors', label: 'Conditional GAN', classes: 10 }],
  }));
  overlay['/shots/conditional.safetensors'] = fs.readFileSync(conditional);
}
const env = await start({ overlay });
try {
  const shoot = async (url, options, name, selector = null) => {
    const { page, context } = await openPage(env.browser, `${env.server.url}${url}`, { deviceScaleFactor: 1, ...options });
    await page.waitForSelector('html[data-model]', { timeout: 60000 });
    await page.evaluate(() => document.getElementById('play')?.click());  // pause the morph: a still frame
    const file = path.join(OUT, `${name}.png`);
    if (selector) await page.locator(selector).screenshot({ path: file });
    else await page.screenshot({ path: file });
    console.log(`wrote ${path.relative(ROOT, file)} (${fs.statSync(file).size} bytes)`);
    await context.close();
  };
  await shoot('index.html', { viewport: { width: 1100, height: 900 } }, 'web-page');
  await shoot('index.html', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }, 'web-phone');
  await shoot(conditional ? 'index.html?models=/shots/models.json' : 'index.html', { viewport: { width: 1100, height: 900 } }, 'web-ask', '#ask');
} finally {
  await env.close();
}
