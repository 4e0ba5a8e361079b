// Driver of the browser benchmark (scripts/bench-web): serves the repository on 127.0.0.1, runs
// bench/web/bench.html in headless Debian Chromium (rounds of fresh pages, each timing latentlab,
// tfjs and ORT with interleaved calls, so a load spike hits every framework alike), measures the demo page's time to its first sampled
// grid and the gzipped downloads, prints the table and writes build/bench/web-results.json.
//   node bench/web/run.mjs [--quick] [--decodes]   (--decodes: only the four decode tasks, no first grid)
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

import { startServer } from '../../tests/browser/server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const QUICK = process.argv.includes('--quick');
const DECODES = process.argv.includes('--decodes');
const ROUNDS = QUICK ? 1 : 3;
const GRID_LOADS = QUICK ? 5 : 15;
const OUT = path.join(ROOT, 'build/bench/web-results.json');

const { chromium } = await import(path.join(HERE, 'node_modules/playwright-core/index.mjs'));
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// ---------------------------------------------------------------- work per task (flops)

const linearFlops = (rows, layers) => layers.reduce((s, [i, o]) => s + 2 * rows * i * o, 0);
const VAE_ENCODER = [[784, 400], [400, 20], [400, 20]];
const VAE_DECODER = [[20, 400], [400, 784]];
const GAN_GENERATOR = [[100, 128], [128, 256], [256, 512], [512, 1024], [1024, 784]];
// A training step: forward, then the weight gradient of every layer and the input gradient of every
// layer but the first (no gradient is needed for the pixels) — 3× the forward minus one GEMM.
const trainFlops = (b) => 3 * linearFlops(b, [...VAE_ENCODER, ...VAE_DECODER]) - linearFlops(b, [[784, 400]]);
// Multiply-adds per image of a k×k convolution: Cin·Cout·k²·Hout·Wout; of a transposed one the same
// with the input's side (each input pixel meets the whole filter): Cin·Cout·k²·Hin·Win.
const convMacs = (cin, cout, k, side) => cin * cout * k * k * side * side;
// Conv VAE decoder (web/models/conv-vae: channels 32,64, fc 256, latent 20): fc1 20→256, fc2
// 256→64·7·7, deconv1 64→32 (7×7 in), deconv2 32→1 (14×14 in).
const CONV_VAE_DECODER_MACS = 20 * 256 + 256 * 3136 + convMacs(64, 32, 4, 7) + convMacs(32, 1, 4, 14);
// DCGAN (make_dcgan.py, latentlab's default): G fc 100→128·7·7, deconv1 128→64 (7×7 in), deconv2
// 64→1 (14×14 in); D conv1 1→64 (14×14 out), conv2 64→128 (7×7 out), out 6272→1.
const G_MACS = { fc: 100 * 6272, deconv1: convMacs(128, 64, 4, 7), deconv2: convMacs(64, 1, 4, 14) };
const D_MACS = { conv1: convMacs(1, 64, 4, 14), conv2: convMacs(64, 128, 4, 7), out: 6272 };
// One GAN step as latentlab counts the DCGAN's (bench/run_bench.py dcgan_step_flops): G forward; D
// forward, dW and dX (no dX into the data) on the real and on the fake batch; the G step's D forward
// and dX, G's dW and dX (no dX into z) — ganStepFlops below. tfjs runs G's forward once more (its
// tape records its own forward): not counted, the work is the step's.
const sumMacs = (o) => Object.values(o).reduce((a, b) => a + b, 0);
// The MLP GAN step (ours only: tfjs has no reference of it here), counted the same way: G 100→128
// →256→512→1024→784, D 784→1024→512→256→1.
const MLP_G_MACS = { fc1: 100 * 128, fc2: 128 * 256, fc3: 256 * 512, fc4: 512 * 1024, out: 1024 * 784 };
const MLP_D_MACS = { fc1: 784 * 1024, fc2: 1024 * 512, fc3: 512 * 256, out: 256 };
function ganStepFlops(batch, gMacs, dMacs, gFirst, dFirst) {
  const g = sumMacs(gMacs);
  const d = sumMacs(dMacs);
  return 2 * batch * (g + 2 * (3 * d - dMacs[dFirst]) + 2 * d + (2 * g - gMacs[gFirst]));
}
const FLOPS = { vae_train_step: trainFlops(128), vae_decode: linearFlops(64, VAE_DECODER), gan_decode: linearFlops(64, GAN_GENERATOR),
  conv_vae_decode: 2 * 64 * CONV_VAE_DECODER_MACS, dcgan_decode: 2 * 64 * sumMacs(G_MACS),
  dcgan_train_step: ganStepFlops(64, G_MACS, D_MACS, 'fc', 'conv1'), gan_train_step: ganStepFlops(64, MLP_G_MACS, MLP_D_MACS, 'fc1', 'fc1') };

// The issue's targets (issue 15, "Speed and size"): ours ≥ target × each of `against`.
const TASKS = [
  { key: 'vae_train_step', label: 'VAE train step, batch 128', target: 4, against: ['tfjs'] },
  { key: 'vae_decode', label: 'VAE decode 64 digits', target: 1.5, against: ['tfjs', 'ort'] },
  { key: 'gan_decode', label: 'GAN decode 64 digits', target: 1.5, against: ['tfjs', 'ort'] },
  { key: 'conv_vae_decode', label: 'conv VAE decode 64 digits', target: 1.5, against: ['tfjs', 'ort'] },
  { key: 'dcgan_decode', label: 'DCGAN decode 64 digits', target: 1.5, against: ['tfjs', 'ort'] },
  { key: 'dcgan_train_step', label: 'DCGAN train step (D + G), batch 64', target: 3, against: ['tfjs'] },
  // No target: the MLP GAN step of the page's Train section (ours only).
  { key: 'gan_train_step', label: 'MLP GAN train step (D + G), batch 64, ours only', target: null, against: [] },
];
// Largest |Δ| between a reference's pixels (or DCGAN losses) and ours (PyTorch's) for its timing to count.
const AGREEMENT_LIMIT = 1e-3;

// ---------------------------------------------------------------- helpers

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))];
  return { median: q(0.5), min: s[0], p10: q(0.1), p90: q(0.9), max: s[s.length - 1], reps: s.length };
}

const gzipSize = (file) => zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;

function files(list) {
  const rows = list.map((f) => {
    const abs = path.join(ROOT, f);
    return { file: f, bytes: fs.statSync(abs).size, gzip: gzipSize(abs) };
  });
  return { files: rows, bytes: rows.reduce((s, r) => s + r.bytes, 0), gzip: rows.reduce((s, r) => s + r.gzip, 0) };
}

async function openPage(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`); });
  page.on('requestfinished', (r) => requests.push(new URL(r.url()).pathname));
  await page.goto(url);
  return { page, context, problems, requests };
}

async function runFramework(browser, base, fw) {
  const { page, context, problems, requests } = await openPage(browser, `${base}bench/web/bench.html?fw=${fw}${QUICK ? '&quick=1' : ''}`);
  try {
    await page.waitForFunction(() => typeof window.runBench === 'function', null, { timeout: 30000 });
    const result = await page.evaluate(() => window.runBench());
    return { ...result, problems, requests: [...new Set(requests)] };
  } catch (err) {
    throw new Error(`${fw}: ${err.message}${problems.length ? `\n  ${problems.join('\n  ')}` : ''}`);
  } finally {
    await context.close();
  }
}

// Navigation → performance mark 'latentlab:first-grid' (set by web/app.js when it paints the
// first sampled grid), each load in a fresh context (empty cache).
async function firstGrid(browser, base) {
  const ms = [];
  for (let i = 0; i < GRID_LOADS; ++i) {
    const { page, context, problems } = await openPage(browser, `${base}web/index.html`);
    try {
      await page.waitForFunction(() => performance.getEntriesByName('latentlab:first-grid').length > 0, null, { timeout: 20000 });
      ms.push(await page.evaluate(() => performance.getEntriesByName('latentlab:first-grid')[0].startTime));
      if (problems.length) throw new Error(problems.join('; '));
    } finally {
      await context.close();
    }
  }
  return stats(ms);
}

const fmt = (x, d = 2) => (x === undefined || x === null || Number.isNaN(x) ? '—' : x.toFixed(d));

// ---------------------------------------------------------------- run

const server = await startServer({ root: ROOT });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
const started = new Date();
const load = os.loadavg();
const rounds = [];
let peak;
let grid;
let chromiumVersion;
try {
  chromiumVersion = browser.version();
  peak = await runFramework(browser, server.url, 'peak');
  for (let r = 0; r < ROUNDS; ++r) {
    process.stderr.write(`bench-web: round ${r + 1}/${ROUNDS} (latentlab, tfjs, ORT interleaved)\n`);
    rounds.push(await runFramework(browser, server.url, `all${DECODES ? '&decodes=1' : ''}`));
  }
  if (!DECODES) {
    process.stderr.write('bench-web: time to first grid\n');
    grid = await firstGrid(browser, server.url);
  }
} finally {
  await browser.close();
  await server.close();
}
const raw = {};
// relaxed: the relaxed-SIMD page module on the decodes, when the browser validates relaxed SIMD.
for (const fw of ['ours', 'tfjs', 'ort', 'relaxed']) {
  if (rounds[0].frameworks[fw]) raw[fw] = rounds.map((round) => round.frameworks[fw]);
}

// Merge the rounds: all repetitions of a task, then the statistics over them.
const merged = {};
for (const [fw, runs] of Object.entries(raw)) {
  merged[fw] = { info: runs[0].info, results: {} };
  for (const key of Object.keys(runs[0].results)) merged[fw].results[key] = stats(runs.flatMap((r) => r.results[key].ms));
}

// Agreement: the page compared every pixel of each reference with ours (the worst round counts);
// the tfjs DCGAN step is compared with PyTorch's losses instead (ours starts from its own seeded
// init; the node tests match its steps to the native trainer's).
const agreement = {};
for (const key of Object.keys(rounds[0].agreement)) {
  agreement[key] = {};
  for (const fw of Object.keys(rounds[0].agreement[key])) agreement[key][fw] = Math.max(...rounds.map((r) => r.agreement[key][fw]));
}
const stepCheck = raw.tfjs[0].info.dcganStepCheck;
agreement.dcgan_train_step = { tfjs: Math.max(...raw.tfjs.map((r) => r.info.dcganStepCheck.maxDiff)) };
// true / false, or null for a task without a check (the VAE training step: ours starts from its own
// initialisation, tfjs from the shipped weights).
const agrees = (key, fw) => (agreement[key]?.[fw] === undefined ? null : agreement[key][fw] <= AGREEMENT_LIMIT);

const wasmPeak = peak.info.gflops;
// A ratio counts only when the reference agreed with ours (or has no check); a task ours cannot run has no ratio.
const rows = TASKS.map((t) => {
  const ours = merged.ours.results[t.key]?.median ?? null;
  const row = { task: t.key, label: t.label, target: t.target, ours_ms: ours, gflops: ours ? FLOPS[t.key] / (ours * 1e6) : null };
  for (const fw of ['tfjs', 'ort']) {
    const r = merged[fw].results[t.key];
    row[`${fw}_ms`] = r ? r.median : null;
    row[`${fw}_gflops`] = r ? FLOPS[t.key] / (r.median * 1e6) : null;
    row[`${fw}_ratio`] = r && ours ? r.median / ours : null;
    row[`${fw}_agrees`] = r ? agrees(t.key, fw) : null;
  }
  row.met = t.target !== null && t.against.every((fw) => row[`${fw}_ratio`] >= t.target && row[`${fw}_agrees`] !== false);
  return row;
});

// The relaxed-SIMD module's decodes: its times, its speed-up over the SIMD128 module, its ratios to
// the references (their agreement is with the SIMD128 module; the relaxed one's |Δ| to it is listed).
const relaxedRows = !merged.relaxed ? null : TASKS.filter((t) => merged.relaxed.results[t.key]).map((t) => {
  const ms = merged.relaxed.results[t.key].median;
  const row = { task: t.key, label: t.label, relaxed_ms: ms, gflops: FLOPS[t.key] / (ms * 1e6),
    simd128_ms: merged.ours.results[t.key].median, vs_simd128: merged.ours.results[t.key].median / ms,
    max_diff_vs_simd128: agreement[t.key]?.relaxed };
  for (const fw of ['tfjs', 'ort']) row[`${fw}_ratio`] = merged[fw].results[t.key] ? merged[fw].results[t.key].median / ms : null;
  row.met = t.target !== null && t.against.every((fw) => row[`${fw}_ratio`] >= t.target);
  return row;
});

// Downloads: ours = what the demo page needs to run the model (the standalone module + its JS API:
// latentlab.js re-exports latentlab-models.js, which loads and runs models); tfjs = its
// core + wasm backend runtime as loaded by the bench page (the SIMD .wasm: no threads here).
const NM = 'bench/web/node_modules';
const download = {
  ours: files(['web/build/latentlab_core.wasm', 'web/latentlab.js', 'web/latentlab-models.js']),
  tfjs: files([`${NM}/@tensorflow/tfjs-core/dist/tf-core.min.js`, `${NM}/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js`,
    `${NM}/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm`]),
  ort: files([`${NM}/onnxruntime-web/dist/ort.wasm.min.mjs`, `${NM}/onnxruntime-web/dist/ort-wasm-simd-threaded.mjs`,
    `${NM}/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm`]),
};
download.ratio = download.tfjs.gzip / download.ours.gzip;
download.met = download.ratio >= 10;
download.relaxed = files(['web/build/latentlab_core_relaxed.wasm', 'web/latentlab.js', 'web/latentlab-models.js']);
const wasmLoaded = rounds[0].requests.filter((p) => p.endsWith('.wasm'));
const tfjsWasmLoaded = wasmLoaded.filter((p) => p.includes('tfjs'));

const results = {
  date: started.toISOString(), quick: QUICK, rounds: ROUNDS, chromium: chromiumVersion, node: process.version,
  loadavg_at_start: load, cpus: os.cpus().length, flops: FLOPS,
  wasm_peak_gflops: wasmPeak, wasm_peak_by_variant: peak.info.gflops_by_variant,
  tasks: rows, frameworks: merged, page_problems: [...new Set(rounds.flatMap((r) => r.problems))], agreement,
  agreement_limit: AGREEMENT_LIMIT, dcgan_step_check: stepCheck, download, tfjs_wasm_loaded: tfjsWasmLoaded,
  first_grid_ms: grid ?? null, first_grid_met: grid ? grid.median < 300 : null, relaxed: relaxedRows,
};
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(OUT, JSON.stringify(results, null, 2));

// ---------------------------------------------------------------- table

const spread = (r) => (r ? `${fmt(r.median)} (${fmt(r.p10)}–${fmt(r.p90)})` : '—');
console.log(`Browser benchmark — ${chromiumVersion}, ${started.toISOString()}, ${ROUNDS} round(s), load ${load.map((l) => l.toFixed(1)).join(' ')}`);
const reps = (key) => (merged.tfjs.results[key] ?? merged.ours.results[key])?.reps ?? '—';
console.log(`ms per call: median (p10–p90); samples per framework: ${TASKS.map((t) => `${t.key} ${reps(t.key)}`).join(', ')} ` +
  '(a vae/gan decode sample is the mean of 4 calls)');
console.log('');
console.log('| task | latentlab | tfjs-wasm | ORT-web | × tfjs | × ORT | target | met |');
console.log('|---|---|---|---|---|---|---|---|');
const ratio = (r, fw) => (r[`${fw}_ratio`] === null ? '—' : `${fmt(r[`${fw}_ratio`])}${r[`${fw}_agrees`] === false ? ' (disagrees)' : ''}`);
for (const r of rows) {
  const t = TASKS.find((x) => x.key === r.task);
  const met = r.ours_ms === null ? 'not timed' : t.target === null ? '—' : r.met ? 'met' : 'NOT met';
  console.log(`| ${r.label} | ${spread(merged.ours.results[r.task])} | ${spread(merged.tfjs.results[r.task])} | ` +
    `${spread(merged.ort.results[r.task])} | ${ratio(r, 'tfjs')} | ${ratio(r, 'ort')} | ` +
    `${t.target === null ? '—' : `≥ ${t.target}× ${t.against.join(' & ')}`} | ${met} |`);
}
console.log('');
console.log(`GFLOP/s at the median (FLOPs: ${TASKS.map((t) => `${t.key} ${fmt(FLOPS[t.key] / 1e9, 3)} G`).join(', ')}; ` +
  'a conv 2·Cin·Cout·k²·Hout·Wout per image, a transposed conv the same with Hin·Win):');
for (const fw of ['ours', 'tfjs', 'ort']) {
  const key = fw === 'ours' ? 'gflops' : `${fw}_gflops`;
  console.log(`  ${fw === 'ours' ? 'latentlab' : fw}: ${rows.filter((r) => r[key] !== null).map((r) => `${r.task} ${fmt(r[key], 1)}`).join(', ')}`);
}
console.log(`wasm SIMD128 mul+add peak measured in the same browser: ${fmt(wasmPeak, 1)} GFLOP/s ` +
  `(${Object.entries(peak.info.gflops_by_variant).map(([k, v]) => `${k}: ${fmt(v, 1)}`).join(', ')})`);
const exp = (x) => (x === undefined ? '—' : x.toExponential(1));
console.log(`outputs against latentlab's, max |Δ| over all 64×784 pixels (limit ${AGREEMENT_LIMIT}): ` +
  ['vae_decode', 'gan_decode', 'conv_vae_decode', 'dcgan_decode'].map((k) => `${k} tfjs ${exp(agreement[k].tfjs)}, ORT ${exp(agreement[k].ort)}`).join('; '));
console.log(`tfjs DCGAN step against PyTorch 1.13 (make_dcgan.py), losses of steps 1–2: D ${stepCheck.d_loss.map((x) => fmt(x, 5)).join(', ')} ` +
  `(PyTorch ${stepCheck.pytorch_d_loss.map((x) => fmt(x, 5)).join(', ')}), G ${stepCheck.g_loss.map((x) => fmt(x, 5)).join(', ')} ` +
  `(PyTorch ${stepCheck.pytorch_g_loss.map((x) => fmt(x, 5)).join(', ')}): max |Δ| ${exp(agreement.dcgan_train_step.tfjs)}`);
const dcganRow = rows.find((r) => r.task === 'dcgan_train_step');
console.log(`DCGAN train step, batch 64, 1 thread (${fmt(FLOPS.dcgan_train_step / 1e9, 3)} GFLOP): latentlab ` +
  `(createDcganTrainer, training build) ${fmt(dcganRow.ours_ms, 0)} ms = ${fmt(dcganRow.gflops, 2)} GFLOP/s, tfjs-wasm ` +
  `${fmt(dcganRow.tfjs_ms, 0)} ms = ${fmt(dcganRow.tfjs_gflops, 2)} GFLOP/s: ${fmt(dcganRow.tfjs_ratio)}× tfjs ` +
  `(target ≥ 3×) ${dcganRow.met ? 'met' : 'NOT met'}`);
console.log(`training losses per image (first → last step, warm-up included): latentlab ${fmt(merged.ours.info.firstLoss, 1)} → ${fmt(merged.ours.info.lastLoss, 1)}, ` +
  `tfjs ${fmt(merged.tfjs.info.firstLoss, 1)} → ${fmt(merged.tfjs.info.lastLoss, 1)}`);
console.log(`tfjs ${merged.tfjs.info.version} backend ${merged.tfjs.info.backend}, SIMD ${merged.tfjs.info.simd}, ` +
  `multithread ${merged.tfjs.info.multithread}, loaded ${tfjsWasmLoaded.map((p) => path.basename(p)).join(', ')}; ` +
  `ORT ${merged.ort.info.version}, numThreads ${merged.ort.info.numThreads}, crossOriginIsolated ${merged.ort.info.crossOriginIsolated}`);
console.log('');
const dl = (d) => `${d.gzip.toLocaleString('en-US')} B gzipped (${d.bytes.toLocaleString('en-US')} B): ${d.files.map((f) => `${path.basename(f.file)} ${f.gzip.toLocaleString('en-US')}`).join(' + ')}`;
console.log(`download latentlab: ${dl(download.ours)}`);
console.log(`download tfjs core + backend-wasm: ${dl(download.tfjs)}`);
console.log(`download ORT web (wasm): ${dl(download.ort)}`);
console.log(`download ratio tfjs / latentlab: ${fmt(download.ratio, 1)}× (target ≥ 10×) ${download.met ? 'met' : 'NOT met'}`);
if (grid) {
  console.log(`time to first grid (demo page, fresh context, ${grid.reps} loads): median ${fmt(grid.median, 0)} ms ` +
    `(p10 ${fmt(grid.p10, 0)}, p90 ${fmt(grid.p90, 0)}) (target < 300 ms) ${results.first_grid_met ? 'met' : 'NOT met'}`);
}
if (relaxedRows) {
  console.log('');
  console.log(`latentlab relaxed SIMD (latentlab_core_relaxed.wasm, ${merged.relaxed.info.simdArch}): download ${dl(download.relaxed)}`);
  console.log('| task | relaxed | × SIMD128 module | × tfjs | × ORT | GFLOP/s | max |Δ| to SIMD128 | target | met |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of relaxedRows) {
    const t = TASKS.find((x) => x.key === r.task);
    console.log(`| ${r.label} | ${spread(merged.relaxed.results[r.task])} | ${fmt(r.vs_simd128)} | ${fmt(r.tfjs_ratio)} | ` +
      `${fmt(r.ort_ratio)} | ${fmt(r.gflops, 1)} | ${exp(r.max_diff_vs_simd128)} | ≥ ${t.target}× ${t.against.join(' & ')} | ${r.met ? 'met' : 'NOT met'} |`);
  }
} else {
  console.log('latentlab relaxed SIMD: not run (this browser does not validate relaxed SIMD)');
}
const problems = [...new Set([...peak.problems, ...rounds.flatMap((r) => r.problems)])];
if (problems.length) console.log(`page problems:\n  ${problems.join('\n  ')}`);
console.log(`results: ${path.relative(ROOT, OUT)}`);
