// The demo page's Facts: what the model is (kind, file, sizes, FD and command from the models
// manifest), its warm decode time and the SIMD build. Imported by app.js after the first grid:
// wire() once, setup() per model.

import { $, state } from './app.js';

// The decode time of a warm model: the median of 5 decodes of the grid's 64 latents, after the
// first call (which packs the weights and runs before the JIT has tiered up) is done.
const TIMED_DECODES = 5;

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MB`;
}

function measureDecode() {
  const m = state.model;
  const n = state.grid.latents.length / m.info.latentDim;
  const times = [];
  for (let k = 0; k < TIMED_DECODES; ++k) {
    const t0 = performance.now();
    m.decode(state.grid.latents, n);
    times.push((performance.now() - t0) / n);
  }
  const ms = times.sort((a, b) => a - b)[TIMED_DECODES >> 1];
  $('fact-ms').textContent = `${ms < 0.1 ? ms.toFixed(3) : ms.toFixed(2)} ms per digit, warm ` +
    `(median of ${TIMED_DECODES} decodes of a ${n}-digit batch, in WebAssembly, without drawing)`;
}

export function wire() {}

export function setup() {
  measureDecode();
  const info = state.model.info;
  $('fact-kind').textContent = `${info.label} · ${state.label} (${info.dtype})`;
  $('fact-latent').textContent = String(info.latentDim);
  $('fact-params').textContent = info.params.toLocaleString('en-US');
  $('fact-bytes').textContent = formatBytes(info.bytes);
  $('fact-simd').textContent = info.simd ? `on (${info.simdArch})` : 'off';
  const entry = state.models.find((e) => e.url === state.source);
  $('fact-fd').textContent = entry?.fd ?? '–';
  $('fact-command').textContent = entry?.command ?? '–';
}
