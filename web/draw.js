// The demo page's draw: a digit drawn with the pointer, centred as MNIST digits are, encoded and decoded, imported by app.js after the first grid: wire() once, setup() per model.

import { $, guarded, state } from './app.js';
import { paintDigits } from './digit-canvas.js';
import { setMorph } from './morph.js';

const DRAW_SIZE = 28;         // the drawing grid (MNIST)
const BRUSH_RADIUS = 2.0;     // in drawing-grid pixels: full ink inside BRUSH_CORE, fading to 0 at the radius
const BRUSH_CORE = 1.0;

state.draw = { ink: new Float32Array(DRAW_SIZE * DRAW_SIZE), mu: null, last: null };

export function setup() {
  setupDraw();
}

function setupDraw() {
  const info = state.model.info;
  const mnistShaped = info.imageShape[0] === DRAW_SIZE && info.imageShape[1] === DRAW_SIZE;
  const canEncode = info.hasEncoder && mnistShaped;
  // A conditional VAE encodes and decodes with the class of the drawing, which the visitor names.
  $('draw-class-label').hidden = !(canEncode && info.conditional);
  $('draw-class').replaceChildren(...Array.from({ length: info.classes }, (_, c) => new Option(String(c), String(c))));
  $('encode').disabled = !canEncode;
  $('morph-from').disabled = true;
  $('morph-to').disabled = true;
  state.draw.mu = null;
  $('draw-note').textContent = canEncode
    ? `Draw a digit: when you lift the pen, the ${info.label} maps it to a latent vector and decodes it back.`
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

// The class the visitor says the drawing is (conditional models; 0 otherwise).
function drawClass() {
  return state.model.info.conditional ? Number($('draw-class').value) : 0;
}

function encodeDrawing() {
  const m = state.model;
  if (!m.info.hasEncoder) throw new Error(`A ${m.info.label} has no encoder: switch to the VAE to encode a drawing.`);
  const input = centerLikeMnist(state.draw.ink);
  if (!input) {
    $('draw-note').textContent = 'Draw a digit first.';
    return;
  }
  const labels = m.info.conditional ? [drawClass()] : undefined;
  const { mu } = m.encode(input, 1, { labels });
  const recon = m.decode(mu, 1, { labels });
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

export function wire() {
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
  $('draw-class').addEventListener('change', guarded(() => state.draw.ink.some((v) => v > 0) && encodeDrawing()));
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
    setMorph(state.draw.mu, state.morph.zB, 'A: your drawing → B: previous B', drawClass());
  }));
  $('morph-to').addEventListener('click', guarded(() => {
    setMorph(state.morph.zA, state.draw.mu, 'A: previous A → B: your drawing', drawClass());
  }));
  paintDrawing();
  clearCanvas($('draw-input'));
  clearCanvas($('recon'));
}
