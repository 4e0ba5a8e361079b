// The demo page's explore: a 2-D pad over two latent dimensions and a slider per dimension, imported by app.js after the first grid: wire() once, setup() per model.

import { $, guarded, state } from './app.js';
import { paintDigits } from './digit-canvas.js';

const PAD_RANGE = 3;          // the explore pad and sliders span [−3, 3] per dimension

state.explore = { z: null, dimX: 0, dimY: 1, pending: false, pointer: false };

export function setup() {
  setupExplore();
}

function setupExplore() {
  const d = state.model.info.latentDim;
  const ex = state.explore;
  // A real sample to start from (the grid's first digit), not z = 0, which decodes to a grey blob.
  ex.z = state.grid.latents.slice(0, d).map(clampPad);
  ex.dimX = 0;
  ex.dimY = Math.min(1, d - 1);
  for (const [id, value] of [['dim-x', ex.dimX], ['dim-y', ex.dimY]]) {
    const select = $(id);
    select.replaceChildren(...Array.from({ length: d }, (_, i) => new Option(`z${i}`, String(i), false, i === value)));
  }
  const sliders = $('sliders');
  const rows = [];
  for (let i = 0; i < d; ++i) {
    const row = document.createElement('div');
    row.className = 'slider';
    const label = document.createElement('label');
    label.htmlFor = `z-${i}`;
    label.textContent = `z${i}`;
    const input = document.createElement('input');
    input.type = 'range';
    input.id = `z-${i}`;
    input.min = String(-PAD_RANGE);
    input.max = String(PAD_RANGE);
    input.step = '0.01';
    input.value = '0';
    input.dataset.dim = String(i);
    const out = document.createElement('output');
    out.htmlFor = input.id;
    out.textContent = '0.00';
    row.append(label, input, out);
    rows.push(row);
  }
  sliders.replaceChildren(...rows);
  scheduleExplore();
}

function syncSliders() {
  const z = state.explore.z;
  for (const input of $('sliders').querySelectorAll('input')) {
    const i = Number(input.dataset.dim);
    if (Number(input.value) !== z[i]) input.value = String(z[i]);
    input.nextElementSibling.textContent = z[i].toFixed(2);
  }
}

function scheduleExplore() {
  const ex = state.explore;
  if (ex.pending) return;
  ex.pending = true;
  requestAnimationFrame(() => {
    ex.pending = false;
    renderExplore();
  });
}

function renderExplore() {
  const m = state.model;
  const ex = state.explore;
  paintDigits($('explore-digit'), m.decode(ex.z, 1), 1, 1, m.info.imageShape, { scale: 8, gap: 0 });
  const pad = $('pad');
  const ctx = pad.getContext('2d');
  const W = pad.width;
  const H = pad.height;
  ctx.fillStyle = '#09090b';
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = '#27272a';
  ctx.lineWidth = 1;
  for (let v = -PAD_RANGE; v <= PAD_RANGE; ++v) {
    const x = ((v + PAD_RANGE) / (2 * PAD_RANGE)) * W;
    const y = ((PAD_RANGE - v) / (2 * PAD_RANGE)) * H;
    ctx.beginPath();
    ctx.moveTo(x + 0.5, 0);
    ctx.lineTo(x + 0.5, H);
    ctx.moveTo(0, y + 0.5);
    ctx.lineTo(W, y + 0.5);
    ctx.stroke();
  }
  ctx.fillStyle = '#a1a1aa';
  ctx.font = '12px system-ui, sans-serif';
  ctx.fillText(`z${ex.dimX} →`, W - 44, H - 6);
  ctx.fillText(`↑ z${ex.dimY}`, 6, 14);
  const px = ((ex.z[ex.dimX] + PAD_RANGE) / (2 * PAD_RANGE)) * W;
  const py = ((PAD_RANGE - ex.z[ex.dimY]) / (2 * PAD_RANGE)) * H;
  ctx.fillStyle = '#60a5fa';
  ctx.beginPath();
  ctx.arc(px, py, 7, 0, 2 * Math.PI);
  ctx.fill();
  pad.setAttribute('aria-label',
    `Latent pad: z${ex.dimX} = ${ex.z[ex.dimX].toFixed(2)} (left/right), z${ex.dimY} = ${ex.z[ex.dimY].toFixed(2)} (up/down)`);
  syncSliders();
}

function clampPad(v) {
  return Math.max(-PAD_RANGE, Math.min(PAD_RANGE, v));
}

function padFromPointer(event) {
  const ex = state.explore;
  const r = $('pad').getBoundingClientRect();
  ex.z[ex.dimX] = clampPad(((event.clientX - r.left) / r.width) * 2 * PAD_RANGE - PAD_RANGE);
  if (ex.dimY !== ex.dimX) ex.z[ex.dimY] = clampPad(PAD_RANGE - ((event.clientY - r.top) / r.height) * 2 * PAD_RANGE);
  scheduleExplore();
}

export function wire() {
  const pad = $('pad');
  pad.addEventListener('pointerdown', guarded((e) => {
    pad.setPointerCapture(e.pointerId);
    padFromPointer(e);
  }));
  pad.addEventListener('pointermove', guarded((e) => {
    if (pad.hasPointerCapture(e.pointerId)) padFromPointer(e);
  }));
  pad.addEventListener('keydown', guarded((e) => {
    const ex = state.explore;
    const step = e.shiftKey ? 0.5 : 0.1;
    const moves = { ArrowLeft: [ex.dimX, -step], ArrowRight: [ex.dimX, step], ArrowUp: [ex.dimY, step], ArrowDown: [ex.dimY, -step] };
    const move = moves[e.key];
    if (!move) return;
    e.preventDefault();
    ex.z[move[0]] = clampPad(ex.z[move[0]] + move[1]);
    scheduleExplore();
  }));
  $('dim-x').addEventListener('change', (e) => {
    state.explore.dimX = Number(e.target.value);
    scheduleExplore();
  });
  $('dim-y').addEventListener('change', (e) => {
    state.explore.dimY = Number(e.target.value);
    scheduleExplore();
  });
  $('sliders').addEventListener('input', (e) => {
    const i = Number(e.target.dataset.dim);
    if (!Number.isInteger(i)) return;
    state.explore.z[i] = Number(e.target.value);
    scheduleExplore();
  });
  $('explore-zero').addEventListener('click', () => {
    state.explore.z.fill(0);
    scheduleExplore();
  });
  $('explore-random').addEventListener('click', guarded(() => {
    const seed = Math.floor(Math.random() * 2 ** 32);
    state.explore.z = state.model.sampleLatents(1, seed).map(clampPad);
    scheduleExplore();
  }));
}
