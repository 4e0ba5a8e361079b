// The demo page's morph: an animated interpolation between two latents, and its strip of ten steps, imported by app.js after the first grid: wire() once, setup() per model.

import { $, guarded, readSeed, state } from './app.js';
import { paintDigits } from './digit-canvas.js';

const MORPH_STEPS = 60;
const MORPH_MS = 2000;        // one way, A → B
const STRIP_N = 10;

state.morph = { zA: null, zB: null, label: '', index: 0, frames: null, playing: true, start: 0, shown: -1, raf: 0 };

export function setup() {
  morphFromSeeds();
}

function morphFromSeeds() {
  const m = state.model;
  const a = readSeed($('seed-a'));
  const b = readSeed($('seed-b'));
  setMorph(m.sampleLatents(1, a), m.sampleLatents(1, b), `A: seed ${a} → B: seed ${b}`);
}

// index: A's place in its batch, which gives a conditional model's class (index mod classes, the
// default labels of the sampling contract), kept for every frame so that only the style morphs.
export function setMorph(zA, zB, label, index = 0) {
  const mo = state.morph;
  mo.zA = zA;
  mo.zB = zB;
  mo.label = label;
  mo.index = index;
  rebuildMorph();
}

function rebuildMorph() {
  const m = state.model;
  const mo = state.morph;
  const mode = $('interp').value;
  const classes = m.info.classes;
  const label = classes ? mo.index % classes : undefined;
  mo.frames = m.interpolate(mo.zA, mo.zB, MORPH_STEPS, mode, { label });
  $('morph-label').textContent = `${mo.label} (${mode}${classes ? `, class ${label}` : ''})`;
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

export function wire() {
  if (matchMedia('(prefers-reduced-motion: reduce)').matches) setPlaying(false);
  $('morph-form').addEventListener('submit', guarded((e) => {
    e.preventDefault();
    morphFromSeeds();
  }));
  $('interp').addEventListener('change', guarded(() => rebuildMorph()));
  $('play').addEventListener('click', () => setPlaying(!state.morph.playing));
}
