// The demo page: the models, the sample grid and the facts. Ask, morph, explore and draw (ask.js,
// morph.js, explore.js, draw.js) are imported after the first grid is on screen, so that the first
// grid needs only this file, latentlab-models.js, digit-canvas.js and the wasm module (tests/browser
// checks their gzipped total). Plain DOM + canvas; the model work happens in WebAssembly behind
// ./latentlab-models.js (the model half of latentlab.js).
//
// The models come from a manifest, models/models.json (or ?models=URL on this origin): a list of
// { file, kind, label, fd, classes, command }, file relative to the manifest. The page opens on the
// lowest FD (Fréchet distance, docs/evaluation.md: lower is closer to real digits).
//
// Every latent here follows the shared sampling contract (see latentlab.js): the digits of seed s
// are decode(Rng(s, 0).fill_normal(n · latentDim)), the same as the native CLI's.

import { initLatentlab, loadModel, wasmSimdSupported } from './latentlab-models.js';
import { paintDigits } from './digit-canvas.js';

const GRID_COLS = 8;
const GRID_N = 64;
const GRID_SCALE = 3;
const GRID_GAP = 2;

export const $ = (id) => document.getElementById(id);

// The page's state; morph.js, explore.js and draw.js add state.morph, state.explore, state.draw.
export const state = {
  model: null,
  source: '',                 // the manifest entry's url, or 'file'
  label: '',
  models: [],                 // the manifest's entries, lowest FD first, each with its absolute url
  builtins: new Map(),        // url → loaded model (kept, so switching back is instant)
  customModel: null,          // the last user file that loaded
  customLabel: '',
  loading: 0,                 // generation counter: only the latest load may take effect
  grid: { seed: 7, latents: null, pixels: null, focus: 0, picks: [], geometry: null },
};

// ---------------------------------------------------------------- helpers

export function readSeed(input) {
  const s = Number(input.value);
  if (!Number.isSafeInteger(s) || s < 0) {
    input.setAttribute('aria-invalid', 'true');
    throw new Error(`A seed is a whole number ≥ 0 (got "${input.value}").`);
  }
  input.removeAttribute('aria-invalid');
  return s;
}

// The alert: a sentence for the visitor and, when given, the technical detail underneath.
export function showError(message, detail = '') {
  const box = $('error');
  const summary = document.createElement('p');
  summary.textContent = message;
  box.replaceChildren(summary);
  if (detail) {
    const more = document.createElement('p');
    more.className = 'detail';
    more.textContent = `Details: ${detail}`;
    box.append(more);
  }
  box.hidden = false;
}

// A load error as a sentence for visitors (load-errors.js, imported only when one happens) and the
// Error's own message, written for developers, underneath.
export async function showLoadError(what, err) {
  const { explainLoadError } = await import('./load-errors.js');
  showError(`${what}: ${explainLoadError(err.message)}` + (state.model ? ' The previous model is still in use.' : ''), err.message);
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
export function guarded(fn) {
  return (...args) => {
    try {
      const r = fn(...args);
      if (r && typeof r.catch === 'function') r.catch((err) => showError(err.message));
    } catch (err) {
      showError(err.message);
    }
  };
}

export function latentRow(latents, i, d) {
  return latents.slice(i * d, (i + 1) * d);
}

// ---------------------------------------------------------------- models

const params = new URLSearchParams(location.search);

// The manifest's entries, lowest FD first (an entry without an FD last); a file's url is resolved
// against the manifest's. Only this origin: the page fetches nothing from elsewhere.
async function readManifest() {
  const url = new URL(params.get('models') || 'models/models.json', location.href);
  if (url.origin !== location.origin) throw new Error(`the list of models must be on this site, not ${url.origin}`);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch ${url.pathname}: HTTP ${response.status}`);
  const { models } = await response.json();
  if (!Array.isArray(models) || !models.every((e) => typeof e?.file === 'string')) {
    throw new Error(`${url.pathname} must hold { "models": [{ "file": … }, …] }`);
  }
  const fd = (e) => (Number.isFinite(e.fd) ? e.fd : Infinity);
  return models.map((e) => ({ ...e, label: String(e.label || e.file), url: new URL(e.file, url).href }))
    .sort((a, b) => fd(a) - fd(b));
}

export async function selectBuiltin(url) {
  const generation = ++state.loading;
  const entry = state.models.find((e) => e.url === url);
  let model = state.builtins.get(url);
  if (!model) {
    setStatus(`Loading the ${entry.label}…`);
    document.documentElement.dataset.busy = 'true';
    try {
      model = await loadModel(url);
    } catch (err) {
      if (generation === state.loading) {
        await showLoadError(`Could not load the ${entry.label} (${entry.file})`, err);
        restoreKindRadio();
        setStatus(state.model ? `Using ${state.label}.` : 'No model loaded.');
        delete document.documentElement.dataset.busy;
      }
      return;
    }
    state.builtins.set(url, model);
  }
  if (generation !== state.loading) return;
  return setModel(model, url, entry.file.split('/').pop());
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
      await showLoadError(`${file.name} is not usable`, err);
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
  return setModel(model, 'file', file.name);
}

export function restoreKindRadio() {
  for (const radio of document.querySelectorAll('input[name="kind"]')) radio.checked = radio.value === state.source;
}

async function setModel(model, source, label) {
  // Built-in models stay cached in state.builtins; a user file lives in state.customModel until the
  // next user file replaces it (see loadFile). So nothing is disposed here.
  state.model = model;
  state.source = source;
  state.label = label;
  const { kind, label: kindLabel, latentDim } = model.info;
  // The grid first: it is what the visitor waits for; status, then the tools (facts.js, whose
  // number formatting initialises Intl on a first load, explore, draw, morph…) follow.
  renderGrid();
  clearError();
  restoreKindRadio();
  setStatus(`Using ${label}: a ${kindLabel} with ${latentDim} latent dimensions.`);
  delete document.documentElement.dataset.busy;
  const extras = await loadTools();
  if (state.model !== model) return;  // another model took over meanwhile
  for (const tool of extras) tool.setup();
  document.documentElement.dataset.model = kind;  // what the browser tests wait for: everything is set up
}

// The picker, the facts, morph, explore, draw, ask (and lab.js), imported once (after the first grid) and
// wired; each has setup(), run for every model.
let tools = null;
export function loadTools() {
  if (!tools) {
    // The Train and repair section wires itself (lab.js); it is not needed before the first grid.
    import('./lab.js').catch((err) => console.error(`the Train and repair section could not load: ${err.message}`));
    tools = Promise.all(['./morph.js', './explore.js', './draw.js', './ask.js', './picker.js', './facts.js'].map((m) => import(m))).then((modules) => {
      for (const m of modules) m.wire();
      return modules;
    });
  }
  return tools;
}

// ---------------------------------------------------------------- grid

function renderGrid() {
  const m = state.model;
  const g = state.grid;
  g.latents = m.sampleLatents(GRID_N, g.seed);
  g.pixels = m.decode(g.latents, GRID_N);
  g.picks = [];
  $('seed').value = String(g.seed);
  $('grid').setAttribute('aria-label',
    `${GRID_N} digits sampled by the ${m.info.label} from seed ${g.seed}`);
  paintGrid();
  document.dispatchEvent(new CustomEvent('latentlab:grid', { detail: {} }));
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
    const zA = latentRow(g.latents, a, d);
    const zB = latentRow(g.latents, b, d);
    // A conditional model morphs with A's class (grid digit k has class k mod classes).
    loadTools().then(([morph]) => morph.setMorph(zA, zB, `A: digit ${a + 1} → B: digit ${b + 1} of seed ${g.seed}`, a));
  } else {
    $('morph-label').textContent = `A: digit ${i + 1} of seed ${g.seed} — now pick B.`;
  }
  paintGrid();
  document.dispatchEvent(new CustomEvent('latentlab:grid', { detail: { pick: i } }));
}

// ---------------------------------------------------------------- wiring

function wire() {
  // Model choice, file picker, drag and drop.
  $('models').addEventListener('change', guarded(({ target: radio }) => {
    if (!radio.checked) return;
    if (radio.value === 'file') {
      return state.customModel ? setModel(state.customModel, 'file', state.customLabel) : undefined;
    }
    return selectBuiltin(radio.value);
  }));
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
}

async function init() {
  $('fact-simd').textContent = wasmSimdSupported()
    ? 'supported by this browser'
    : 'not supported by this browser — latentlab ships only a SIMD build, so it cannot run here';
  wire();
  // The module compiles while the list of models arrives (a failure is reported by loadModel, which retries).
  initLatentlab().catch(() => {});
  try {
    state.models = await readManifest();
  } catch (err) {
    showError('The list of models could not be read: load a .safetensors file instead.', err.message);
    setStatus('No model loaded.');
    return;
  }
  // ?model=FILE (e.g. vae.safetensors) opens that entry instead; picker.js says when none has that file.
  if (state.models.length) await selectBuiltin((state.models.find((e) => e.file === params.get('model')) || state.models[0]).url);
  else setStatus('No models listed: load a .safetensors file.');
}

init().catch((err) => showError(err.message));
