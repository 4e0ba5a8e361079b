// The demo page's "Ask for a digit", for conditional models (info.classes > 0): a class picker, a
// grid of the asked class or one row per class, and one latent decoded with every class label in
// turn (the style stays, the digit changes). Imported by app.js after the first grid: wire() once,
// setup() per model.
//
// The latents follow the sampling contract (latentlab.js): the grid's column j is latent j of the
// Samples seed, so `latentlab sample --weights F --classes 0-9 --n 8 --seed S` draws the same
// rows-per-class grid, and `--class C --n 32 --seed S` the same grid of one class.

import { $, guarded, latentRow, selectBuiltin, state } from './app.js';
import { paintDigits } from './digit-canvas.js';

const COLS = 8;
const ONE_CLASS_N = 32;       // the grid of one asked class: 4 rows of 8
const STYLE_MS = 700;         // each class of the style animation stays this long

state.ask = { choice: 'rows', z: null, zIndex: 0, frames: null, shown: 0, timer: 0 };

export function setup() {
  const m = state.model;
  const ask = state.ask;
  stopStyle();
  const card = $('ask');
  const classes = m.info.classes;
  const conditional = state.models.find((e) => e.classes > 0);
  card.hidden = classes === 0 && !conditional;
  $('ask-tools').hidden = classes === 0;
  const note = $('ask-note');
  if (classes === 0) {
    note.textContent = `The ${m.info.label} is not conditional: it draws whatever digit its latent lands on. ` +
      'A conditional model also takes the class you ask for. ';
    if (conditional) {
      const use = document.createElement('button');
      use.type = 'button';
      use.textContent = `Use the ${conditional.label}`;
      use.addEventListener('click', guarded(() => selectBuiltin(conditional.url)));
      note.append(use);
    }
    return;
  }
  note.textContent = `The ${m.info.label} is conditional: besides the latent vector it takes the class of the digit (${classes} classes).`;
  if (ask.choice !== 'rows' && ask.choice >= classes) ask.choice = 'rows';
  const options = [['rows', 'one row per class'], ...Array.from({ length: classes }, (_, c) => [c, String(c)])];
  $('ask-classes').replaceChildren($('ask-classes').firstElementChild, ...options.map(([value, text]) => {
    const label = document.createElement('label');
    const radio = Object.assign(document.createElement('input'), { type: 'radio', name: 'ask-class', value: String(value) });
    radio.checked = value === ask.choice;
    label.append(radio, ` ${text}`);
    return label;
  }));
  setStyleLatent(0);
  renderAskGrid();
}

// The asked grid: 32 digits of one class, or one row per class with latent j in column j.
function renderAskGrid() {
  const m = state.model;
  const { classes, latentDim: d, imageShape } = m.info;
  const seed = state.grid.seed;
  const canvas = $('ask-grid');
  if (state.ask.choice === 'rows') {
    const z0 = m.sampleLatents(COLS, seed);
    const z = new Float32Array(classes * COLS * d);
    const labels = [];
    for (let c = 0; c < classes; ++c) {
      z.set(z0, c * COLS * d);
      for (let j = 0; j < COLS; ++j) labels.push(c);
    }
    paintDigits(canvas, m.decode(z, classes * COLS, { labels }), classes * COLS, COLS, imageShape, { scale: 2, gap: 2 });
    canvas.setAttribute('aria-label', `One row per class, 0 to ${classes - 1}; each column keeps one latent of seed ${seed}`);
  } else {
    const c = state.ask.choice;
    paintDigits(canvas, m.sample(ONE_CLASS_N, seed, { label: c }), ONE_CLASS_N, COLS, imageShape, { scale: 2, gap: 2 });
    canvas.setAttribute('aria-label', `${ONE_CLASS_N} digits of class ${c} from seed ${seed}`);
  }
  canvas.dataset.choice = String(state.ask.choice);  // what the browser tests read
}

// Latent i of the Samples grid, decoded with every class: the strip, and the animation over it.
function setStyleLatent(i) {
  const m = state.model;
  const ask = state.ask;
  const { classes, latentDim: d, imageShape } = m.info;
  ask.zIndex = i;
  ask.z = latentRow(state.grid.latents, i, d);
  const z = new Float32Array(classes * d);
  for (let c = 0; c < classes; ++c) z.set(ask.z, c * d);
  ask.frames = m.decode(z, classes, { labels: Array.from({ length: classes }, (_, c) => c) });
  paintDigits($('ask-strip'), ask.frames, classes, classes, imageShape, { scale: 2, gap: 2 });
  $('ask-strip').setAttribute('aria-label', `Digit ${i + 1} of the Samples grid's latent with the classes 0 to ${classes - 1}`);
  ask.shown = 0;
  showStyle();
  stopStyle();
  if (!matchMedia('(prefers-reduced-motion: reduce)').matches) {
    ask.timer = setInterval(() => {
      ask.shown = (ask.shown + 1) % classes;
      showStyle();
    }, STYLE_MS);
  }
}

function showStyle() {
  const { frames, shown, zIndex } = state.ask;
  const { imageSize, imageShape } = state.model.info;
  paintDigits($('ask-style'), frames.subarray(shown * imageSize, (shown + 1) * imageSize), 1, 1, imageShape, { scale: 8, gap: 0 });
  $('ask-style-label').textContent = `Latent of digit ${zIndex + 1} of the Samples grid, class ${shown}`;
}

function stopStyle() {
  clearInterval(state.ask.timer);
  state.ask.timer = 0;
}

export function wire() {
  $('ask-classes').addEventListener('change', guarded(({ target }) => {
    state.ask.choice = target.value === 'rows' ? 'rows' : Number(target.value);
    renderAskGrid();
  }));
  // The Samples grid was redrawn (a new seed) or a digit of it picked (app.js).
  document.addEventListener('latentlab:grid', guarded(({ detail }) => {
    if (!state.model?.info.classes || !state.ask.frames) return;
    if (detail.pick === undefined) {
      renderAskGrid();
      setStyleLatent(state.ask.zIndex);
    } else {
      setStyleLatent(detail.pick);
    }
  }));
}
