// The demo page: samples, morph, explore, draw, load your own weights, facts.
// Plain DOM + canvas; the model work happens in WebAssembly behind ./latentlab.js.
//
// Every latent here follows the shared sampling contract (see latentlab.js): the digits of seed s
// are decode(Rng(s, 0).fill_normal(n · latentDim)), the same as the native CLI's.

import { loadModel, wasmSimdSupported } from './latentlab.js';
import { paintDigits } from './digit-canvas.js';

const BUILTIN = { vae: 'models/vae.safetensors', gan: 'models/gan.safetensors' };
const GRID_COLS = 8;
const GRID_N = 64;
const GRID_SCALE = 3;
const GRID_GAP = 2;
const MORPH_STEPS = 60;
const MORPH_MS = 2000;        // one way, A → B
const STRIP_N = 10;
const PAD_RANGE = 3;          // the explore pad and sliders span [−3, 3] per dimension
const DRAW_SIZE = 28;         // the drawing grid (MNIST)
const BRUSH_RADIUS = 2.0;     // in drawing-grid pixels: full ink inside BRUSH_CORE, fading to 0 at the radius
const BRUSH_CORE = 1.0;

const $ = (id) => document.getElementById(id);

const state = {
  model: null,
  source: '',                 // 'vae' | 'gan' | 'file'
  label: '',
  builtins: new Map(),        // kind → loaded model (kept, so switching back is instant)
  customModel: null,          // the last user file that loaded
  customLabel: '',
  loading: 0,                 // generation counter: only the latest load may take effect
  grid: { seed: 7, latents: null, pixels: null, focus: 0, picks: [], geometry: null },
  morph: { zA: null, zB: null, label: '', frames: null, playing: true, start: 0, shown: -1, raf: 0 },
  explore: { z: null, dimX: 0, dimY: 1, pending: false, pointer: false },
  draw: { ink: new Float32Array(DRAW_SIZE * DRAW_SIZE), mu: null, last: null },
};

// ---------------------------------------------------------------- helpers

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MB`;
}

function readSeed(input) {
  const s = Number(input.value);
  if (!Number.isSafeInteger(s) || s < 0) {
    input.setAttribute('aria-invalid', 'true');
    throw new Error(`A seed is a whole number ≥ 0 (got "${input.value}").`);
  }
  input.removeAttribute('aria-invalid');
  return s;
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
}

function clearError() {
  const box = $('error');
  box.hidden = true;
  box.textContent = '';
}

function setStatus(text) {
  $('status').textContent = text;
}

// Runs a UI action; any Error becomes the page's alert instead of an uncaught exception.
function guarded(fn) {
  return (...args) => {
    try {
      const r = fn(...args);
      if (r && typeof r.catch === 'function') r.catch((err) => showError(err.message));
    } catch (err) {
      showError(err.message);
    }
  };
}

function latentRow(latents, i, d) {
  return latents.slice(i * d, (i + 1) * d);
}

// ---------------------------------------------------------------- models

async function selectBuiltin(kind) {
  const generation = ++state.loading;
  let model = state.builtins.get(kind);
  if (!model) {
    setStatus(`Loading the ${kind.toUpperCase()}…`);
    document.documentElement.dataset.busy = 'true';
    try {
      model = await loadModel(BUILTIN[kind]);
    } catch (err) {
      if (generation === state.loading) {
        showError(`Could not load the ${kind.toUpperCase()} (${BUILTIN[kind]}): ${err.message}` +
          (state.model ? ' The previous model is still in use.' : ''));
        restoreKindRadio();
        setStatus(state.model ? `Using ${state.label}.` : 'No model loaded.');
        delete document.documentElement.dataset.busy;
      }
      return;
    }
    state.builtins.set(kind, model);
  }
  if (generation !== state.loading) return;
  setModel(model, kind, BUILTIN[kind].split('/').pop());
}

async function loadFile(file) {
  const generation = ++state.loading;
  setStatus(`Reading ${file.name}…`);
  document.documentElement.dataset.busy = 'true';
  let model;
  try {
    model = await loadModel(file);
  } catch (err) {
    if (generation === state.loading) {
      showError(`${file.name} is not usable: ${err.message}` + (state.model ? ' The previous model is still in use.' : ''));
      restoreKindRadio();
      setStatus(state.model ? `Using ${state.label}.` : 'No model loaded.');
      delete document.documentElement.dataset.busy;
    }
    return;
  }
  if (generation !== state.loading) {
    model.dispose();
    return;
  }
  if (state.customModel) state.customModel.dispose();  // replaced: free its wasm memory
  state.customModel = model;
  state.customLabel = file.name;
  const fileRadio = document.querySelector('input[name="kind"][value="file"]');
  fileRadio.disabled = false;
  $('file-kind-label').textContent = file.name;
  setModel(model, 'file', file.name);
}

function restoreKindRadio() {
  const radio = document.querySelector(`input[name="kind"][value="${state.source || 'vae'}"]`);
  if (radio && !radio.disabled) radio.checked = true;
}

function setModel(model, source, label) {
  // Built-in models stay cached in state.builtins; a user file lives in state.customModel until the
  // next user file replaces it (see loadFile). So nothing is disposed here.
  state.model = model;
  state.source = source;
  state.label = label;
  const { kind, label: kindLabel, latentDim } = model.info;
  model.decode(new Float32Array(8 * latentDim), 8);  // warm-up, so the first timing is not the JIT's
  // The grid first: it is what the visitor waits for; status, facts (whose number formatting
  // initialises Intl on a first load), explore, draw and morph follow.
  renderGrid();
  clearError();
  restoreKindRadio();
  setStatus(`Using ${label}: a ${kindLabel} with ${latentDim} latent dimensions.`);
  document.documentElement.dataset.model = kind;
  delete document.documentElement.dataset.busy;
  updateFacts();
  setupExplore();
  setupDraw();
  morphFromSeeds();
}

function updateFacts() {
  const info = state.model.info;
  $('fact-kind').textContent = `${info.label} · ${state.label} (${info.dtype})`;
  $('fact-latent').textContent = String(info.latentDim);
  $('fact-params').textContent = info.params.toLocaleString('en-US');
  $('fact-bytes').textContent = formatBytes(info.bytes);
  $('fact-simd').textContent = info.simd ? `on (${info.simdArch})` : 'off';
}

// ---------------------------------------------------------------- grid

function renderGrid() {
  const m = state.model;
  const g = state.grid;
  g.latents = m.sampleLatents(GRID_N, g.seed);
  const t0 = performance.now();
  g.pixels = m.decode(g.latents, GRID_N);
  const ms = (performance.now() - t0) / GRID_N;
  $('fact-ms').textContent = `${ms < 0.1 ? ms.toFixed(3) : ms.toFixed(2)} ms per digit (batch of ${GRID_N})`;
  g.picks = [];
  $('seed').value = String(g.seed);
  $('grid').setAttribute('aria-label',
    `${GRID_N} digits sampled by the ${m.info.label} from seed ${g.seed}`);
  paintGrid();
}

function paintGrid() {
  const g = state.grid;
  const canvas = $('grid');
  const shape = state.model.info.imageShape;
  g.geometry = paintDigits(canvas, g.pixels, GRID_N, GRID_COLS, shape, { scale: GRID_SCALE, gap: GRID_GAP });
  // Time from navigation to the first grid on screen, read by scripts/bench-web.
  if (!performance.getEntriesByName('latentlab:first-grid').length) performance.mark('latentlab:first-grid');
  const ctx = canvas.getContext('2d');
  const outline = (i, color, dash) => {
    const { cellWidth, cellHeight } = g.geometry;
    const x = (i % GRID_COLS) * cellWidth * GRID_SCALE;
    const y = Math.floor(i / GRID_COLS) * cellHeight * GRID_SCALE;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = 3;
    ctx.setLineDash(dash);
    ctx.strokeRect(x + 1.5, y + 1.5, shape[1] * GRID_SCALE - 3, shape[0] * GRID_SCALE - 3);
    ctx.restore();
  };
  const colors = ['#f59e0b', '#22d3ee'];
  g.picks.forEach((i, k) => outline(i, colors[k], []));
  if (document.activeElement === canvas) outline(g.focus, '#f4f4f5', [6, 4]);
}

function cellAt(event) {
  const canvas = $('grid');
  const r = canvas.getBoundingClientRect();
  const x = ((event.clientX - r.left) / r.width) * canvas.width;
  const y = ((event.clientY - r.top) / r.height) * canvas.height;
  const { cellWidth, cellHeight } = state.grid.geometry;
  const col = Math.floor(x / (cellWidth * GRID_SCALE));
  const row = Math.floor(y / (cellHeight * GRID_SCALE));
  if (col < 0 || col >= GRID_COLS || row < 0 || row * GRID_COLS + col >= GRID_N) return -1;
  return row * GRID_COLS + col;
}

function pickCell(i) {
  const g = state.grid;
  g.focus = i;
  g.picks = g.picks.length >= 2 ? [i] : [...g.picks, i];
  const d = state.model.info.latentDim;
  if (g.picks.length === 2) {
    const [a, b] = g.picks;
    setMorph(latentRow(g.latents, a, d), latentRow(g.latents, b, d),
      `A: digit ${a + 1} → B: digit ${b + 1} of seed ${g.seed}`);
  } else {
    $('morph-label').textContent = `A: digit ${i + 1} of seed ${g.seed} — now pick B.`;
  }
  paintGrid();
}

// ---------------------------------------------------------------- morph

function morphFromSeeds() {
  const m = state.model;
  const a = readSeed($('seed-a'));
  const b = readSeed($('seed-b'));
  setMorph(m.sampleLatents(1, a), m.sampleLatents(1, b), `A: seed ${a} → B: seed ${b}`);
}

function setMorph(zA, zB, label) {
  const mo = state.morph;
  mo.zA = zA;
  mo.zB = zB;
  mo.label = label;
  rebuildMorph();
}

function rebuildMorph() {
  const m = state.model;
  const mo = state.morph;
  const mode = $('interp').value;
  mo.frames = m.interpolate(mo.zA, mo.zB, MORPH_STEPS, mode);
  $('morph-label').textContent = `${mo.label} (${mode})`;
  const size = m.info.imageSize;
  const strip = new Float32Array(STRIP_N * size);
  for (let k = 0; k < STRIP_N; ++k) {
    const i = Math.round((k * (MORPH_STEPS - 1)) / (STRIP_N - 1));
    strip.set(mo.frames.subarray(i * size, (i + 1) * size), k * size);
  }
  paintDigits($('strip'), strip, STRIP_N, STRIP_N, m.info.imageShape, { scale: 2, gap: 2 });
  mo.start = performance.now();
  mo.shown = -1;
  showMorphFrame(0);
  if (mo.playing && !mo.raf) mo.raf = requestAnimationFrame(morphTick);
}

function showMorphFrame(i) {
  const mo = state.morph;
  if (i === mo.shown) return;
  mo.shown = i;
  const { imageSize, imageShape } = state.model.info;
  paintDigits($('morph'), mo.frames.subarray(i * imageSize, (i + 1) * imageSize), 1, 1, imageShape, { scale: 8, gap: 0 });
}

// Ping-pong A → B → A with t running linearly in time.
function morphTick(now) {
  const mo = state.morph;
  mo.raf = 0;
  if (!mo.playing || !mo.frames) return;
  const phase = ((now - mo.start) % (2 * MORPH_MS)) / MORPH_MS;
  const t = phase <= 1 ? phase : 2 - phase;
  showMorphFrame(Math.round(t * (MORPH_STEPS - 1)));
  mo.raf = requestAnimationFrame(morphTick);
}

function setPlaying(on) {
  const mo = state.morph;
  mo.playing = on;
  $('play').textContent = on ? 'Pause' : 'Play';
  if (on && !mo.raf) {
    mo.start = performance.now();
    mo.raf = requestAnimationFrame(morphTick);
  }
  if (!on && mo.raf) {
    cancelAnimationFrame(mo.raf);
    mo.raf = 0;
  }
}

// ---------------------------------------------------------------- explore

function setupExplore() {
  const d = state.model.info.latentDim;
  const ex = state.explore;
  ex.z = new Float32Array(d);
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

// ---------------------------------------------------------------- draw

function setupDraw() {
  const info = state.model.info;
  const mnistShaped = info.imageShape[0] === DRAW_SIZE && info.imageShape[1] === DRAW_SIZE;
  const canEncode = info.hasEncoder && mnistShaped;
  $('encode').disabled = !canEncode;
  $('morph-from').disabled = true;
  $('morph-to').disabled = true;
  state.draw.mu = null;
  $('draw-note').textContent = canEncode
    ? `Draw a digit, then Encode: the ${info.label} maps it to a latent vector and decodes it back.`
    : !info.hasEncoder
      ? `A ${info.label} has no encoder, so it cannot read your drawing: switch to the VAE to encode.`
      : `This model's images are ${info.imageShape.join('×')}, not 28×28: drawing is disabled.`;
  clearCanvas($('draw-input'));
  clearCanvas($('recon'));
  paintDrawing();
}

function clearCanvas(canvas) {
  const size = DRAW_SIZE * 4;
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, size, size);
}

function paintDrawing() {
  paintDigits($('draw'), state.draw.ink, 1, 1, [DRAW_SIZE, DRAW_SIZE], { scale: 10, gap: 0 });
}

// A soft round brush: full ink within BRUSH_CORE of (cx, cy), fading linearly to 0 at BRUSH_RADIUS.
function stamp(cx, cy) {
  const ink = state.draw.ink;
  const r = BRUSH_RADIUS;
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(DRAW_SIZE - 1, Math.ceil(cy + r)); ++y) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(DRAW_SIZE - 1, Math.ceil(cx + r)); ++x) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      const a = Math.max(0, Math.min(1, (r - d) / (r - BRUSH_CORE)));
      const k = y * DRAW_SIZE + x;
      if (a > ink[k]) ink[k] = a;
    }
  }
}

function drawPoint(event) {
  const canvas = $('draw');
  const rect = canvas.getBoundingClientRect();
  return [((event.clientX - rect.left) / rect.width) * DRAW_SIZE, ((event.clientY - rect.top) / rect.height) * DRAW_SIZE];
}

function strokeTo(point) {
  const last = state.draw.last || point;
  const dist = Math.hypot(point[0] - last[0], point[1] - last[1]);
  const n = Math.max(1, Math.ceil(dist / 0.25));
  for (let i = 1; i <= n; ++i) stamp(last[0] + ((point[0] - last[0]) * i) / n, last[1] + ((point[1] - last[1]) * i) / n);
  state.draw.last = point;
}

// Bilinear sample of a size×size image at continuous coordinates (pixel centres at k + 0.5); 0 outside.
function bilinear(img, size, u, v) {
  const x = u - 0.5;
  const y = v - 0.5;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx, yy) => (xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : img[yy * size + xx]);
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

// MNIST's preprocessing: scale the digit's bounding box to fit 20×20 (keeping its aspect ratio),
// at most 3× up,
// then shift it so that its centre of mass sits at the centre of the 28×28 field.
// Returns null for an empty drawing.
function centerLikeMnist(src, size = DRAW_SIZE, box = 20) {
  let x0 = size;
  let y0 = size;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < size; ++y) {
    for (let x = 0; x < size; ++x) {
      if (src[y * size + x] > 0.05) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const s = Math.min(box / Math.max(bw, bh), 3);  // MNIST fits 20×20; a tiny dot is not blown up more than 3×
  const ox = (size - bw * s) / 2;
  const oy = (size - bh * s) / 2;
  const scaled = new Float32Array(size * size);
  const SS = 4;  // 4×4 supersamples per output pixel: an area filter when shrinking
  for (let Y = 0; Y < size; ++Y) {
    for (let X = 0; X < size; ++X) {
      let acc = 0;
      for (let sy = 0; sy < SS; ++sy) {
        for (let sx = 0; sx < SS; ++sx) {
          const u = x0 + (X + (sx + 0.5) / SS - ox) / s;
          const v = y0 + (Y + (sy + 0.5) / SS - oy) / s;
          if (u >= x0 && u <= x1 + 1 && v >= y0 && v <= y1 + 1) acc += bilinear(src, size, u, v);
        }
      }
      scaled[Y * size + X] = Math.min(1, acc / (SS * SS));
    }
  }
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < size; ++y) {
    for (let x = 0; x < size; ++x) {
      const v = scaled[y * size + x];
      mass += v;
      mx += (x + 0.5) * v;
      my += (y + 0.5) * v;
    }
  }
  const dx = Math.round(size / 2 - mx / mass);
  const dy = Math.round(size / 2 - my / mass);
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; ++y) {
    for (let x = 0; x < size; ++x) {
      const sx = x - dx;
      const sy = y - dy;
      if (sx >= 0 && sy >= 0 && sx < size && sy < size) out[y * size + x] = scaled[sy * size + sx];
    }
  }
  return out;
}

function encodeDrawing() {
  const m = state.model;
  if (!m.info.hasEncoder) throw new Error(`A ${m.info.label} has no encoder: switch to the VAE to encode a drawing.`);
  const input = centerLikeMnist(state.draw.ink);
  if (!input) {
    $('draw-note').textContent = 'Draw a digit first.';
    return;
  }
  const { mu } = m.encode(input, 1);
  const recon = m.decode(mu, 1);
  paintDigits($('draw-input'), input, 1, 1, [DRAW_SIZE, DRAW_SIZE], { scale: 4, gap: 0 });
  paintDigits($('recon'), recon, 1, 1, m.info.imageShape, { scale: 4, gap: 0 });
  state.draw.mu = mu;
  $('morph-from').disabled = false;
  $('morph-to').disabled = false;
  $('draw-note').textContent = 'The reconstruction is decode(μ), the mean of q(z | your digit). Use it as an end of the morph.';
}

function useSelectedSample() {
  const info = state.model.info;
  if (info.imageShape[0] !== DRAW_SIZE || info.imageShape[1] !== DRAW_SIZE) return;
  const g = state.grid;
  const i = g.picks.length ? g.picks[g.picks.length - 1] : g.focus;
  state.draw.ink.set(g.pixels.subarray(i * info.imageSize, (i + 1) * info.imageSize));
  paintDrawing();
  $('draw-note').textContent = `Copied digit ${i + 1} of seed ${g.seed}. Encode it to see what the VAE makes of it.`;
}

// ---------------------------------------------------------------- wiring

function wire() {
  // Model choice, file picker, drag and drop.
  for (const radio of document.querySelectorAll('input[name="kind"]')) {
    radio.addEventListener('change', guarded(() => {
      if (!radio.checked) return;
      if (radio.value === 'file') {
        if (state.customModel) setModel(state.customModel, 'file', state.customLabel);
        return;
      }
      return selectBuiltin(radio.value);
    }));
  }
  $('file-input').addEventListener('change', guarded(async (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (file) await loadFile(file);
  }));
  const drop = $('drop');
  document.addEventListener('dragover', (e) => {
    if (![...(e.dataTransfer?.types || [])].includes('Files')) return;
    e.preventDefault();
    drop.classList.add('dragging');
  });
  document.addEventListener('dragleave', (e) => {
    if (e.relatedTarget === null) drop.classList.remove('dragging');
  });
  document.addEventListener('drop', guarded(async (e) => {
    drop.classList.remove('dragging');
    const file = e.dataTransfer?.files?.[0];
    if (!file) return;
    e.preventDefault();
    await loadFile(file);
  }));

  // Grid.
  $('seed-form').addEventListener('submit', guarded((e) => {
    e.preventDefault();
    state.grid.seed = readSeed($('seed'));
    renderGrid();
  }));
  $('new-seed').addEventListener('click', guarded(() => {
    state.grid.seed += 1;
    renderGrid();
  }));
  const grid = $('grid');
  grid.addEventListener('click', guarded((e) => {
    const i = cellAt(e);
    if (i >= 0) pickCell(i);
  }));
  grid.addEventListener('keydown', guarded((e) => {
    const g = state.grid;
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -GRID_COLS, ArrowDown: GRID_COLS };
    if (e.key in moves) {
      e.preventDefault();
      g.focus = Math.max(0, Math.min(GRID_N - 1, g.focus + moves[e.key]));
      paintGrid();
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      pickCell(g.focus);
    }
  }));
  grid.addEventListener('focus', () => state.model && paintGrid());
  grid.addEventListener('blur', () => state.model && paintGrid());

  // Morph.
  $('morph-form').addEventListener('submit', guarded((e) => {
    e.preventDefault();
    morphFromSeeds();
  }));
  $('interp').addEventListener('change', guarded(() => rebuildMorph()));
  $('play').addEventListener('click', () => setPlaying(!state.morph.playing));

  // Explore.
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

  // Draw.
  const draw = $('draw');
  draw.addEventListener('pointerdown', (e) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    draw.setPointerCapture(e.pointerId);
    state.draw.last = null;
    strokeTo(drawPoint(e));
    paintDrawing();
  });
  draw.addEventListener('pointermove', (e) => {
    if (!draw.hasPointerCapture(e.pointerId)) return;
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) strokeTo(drawPoint(ev));
    paintDrawing();
  });
  const endStroke = guarded((e) => {
    if (!draw.hasPointerCapture(e.pointerId)) return;
    draw.releasePointerCapture(e.pointerId);
    state.draw.last = null;
    if (state.model && !$('encode').disabled) encodeDrawing();
  });
  draw.addEventListener('pointerup', endStroke);
  draw.addEventListener('pointercancel', endStroke);
  $('encode').addEventListener('click', guarded(encodeDrawing));
  $('clear').addEventListener('click', guarded(() => {
    state.draw.ink.fill(0);
    paintDrawing();
    clearCanvas($('draw-input'));
    clearCanvas($('recon'));
    state.draw.mu = null;
    $('morph-from').disabled = true;
    $('morph-to').disabled = true;
  }));
  $('use-sample').addEventListener('click', guarded(useSelectedSample));
  $('morph-from').addEventListener('click', guarded(() => {
    setMorph(state.draw.mu, state.morph.zB, 'A: your drawing → B: previous B');
  }));
  $('morph-to').addEventListener('click', guarded(() => {
    setMorph(state.morph.zA, state.draw.mu, 'A: previous A → B: your drawing');
  }));
}

function init() {
  $('fact-simd').textContent = wasmSimdSupported()
    ? 'supported by this browser'
    : 'not supported by this browser — latentlab ships only a SIMD build, so it cannot run here';
  if (matchMedia('(prefers-reduced-motion: reduce)').matches) setPlaying(false);
  wire();
  paintDrawing();
  clearCanvas($('draw-input'));
  clearCanvas($('recon'));
  selectBuiltin('vae').catch((err) => showError(err.message));
}

init();
