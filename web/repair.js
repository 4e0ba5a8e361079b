// The page's Repair section (index.html #repair): damage an MNIST test digit (erase half of it, erase
// with a brush, add noise, or keep only a 14×14 / 7×7 version) and let a VAE restore it by moving its
// latent code z to explain the pixels that are left (model.repair: gradient steps on z through the
// decoder, from the encoder's guess), shown step by step beside a plain encode → decode.
// The work runs in a worker (train-worker.js) on the training build of the wasm core, loaded on the
// first Repair; the test digits are fetched when the section first comes into view.
import { digitsToImageData } from './digit-canvas.js';

const $ = (id) => document.getElementById(id);
const SIZE = 28;
const PIXELS = SIZE * SIZE;
const TEST_URL = new URL('data/mnist/t10k-images-idx3-ubyte', document.baseURI).href;

const state = { worker: null, digits: null, index: 0, original: null, damaged: null, mask: null, brushing: false, trained: null, busy: false };

function worker() {
  if (!state.worker) {
    state.worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
    state.worker.onmessage = onMessage;
    state.worker.onerror = (e) => setError(`The repair worker failed: ${e.message || 'it could not start'}.`);
  }
  return state.worker;
}

function setError(message) {
  const box = $('repair-error');
  box.textContent = message || '';
  box.hidden = !message;
  if (message) setBusy(false);
}

function setBusy(busy) {
  state.busy = busy;
  $('repair-run').disabled = busy || !state.damaged;
}

function paint(id, pixels) {
  const canvas = $(id);
  const image = digitsToImageData(pixels, 1, 1, [SIZE, SIZE]);
  canvas.width = SIZE;
  canvas.height = SIZE;
  canvas.getContext('2d').putImageData(image, 0, 0);
}

// The damaged digit with its missing pixels tinted, so the visitor sees what the model may not use.
function paintDamaged() {
  const canvas = $('repair-damaged');
  const image = digitsToImageData(state.damaged, 1, 1, [SIZE, SIZE]);
  for (let i = 0; i < PIXELS; ++i) {
    if (state.mask[i] === 0) {
      image.data[4 * i] = 90;
      image.data[4 * i + 1] = 30;
      image.data[4 * i + 2] = 40;
    }
  }
  canvas.width = SIZE;
  canvas.height = SIZE;
  canvas.getContext('2d').putImageData(image, 0, 0);
}

// A deterministic generator for the noise (mulberry32), so a damage can be repeated.
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// original → { damaged, mask }: mask 1 where the pixel is observed, 0 where missing; a low-resolution
// version is observed everywhere as its block means upsampled, each pixel weighted 1/f² (the
// f×f block then counts as one observation).
export function damage(original, kind) {
  const damaged = Float32Array.from(original);
  const mask = new Float32Array(PIXELS).fill(1);
  if (kind === 'right-half' || kind === 'bottom-half') {
    for (let y = 0; y < SIZE; ++y) {
      for (let x = 0; x < SIZE; ++x) {
        if (kind === 'right-half' ? x >= SIZE / 2 : y >= SIZE / 2) {
          damaged[y * SIZE + x] = 0;
          mask[y * SIZE + x] = 0;
        }
      }
    }
  } else if (kind === 'noise') {
    const u = random(7);
    for (let i = 0; i < PIXELS; ++i) if (u() < 0.3) damaged[i] = u() < 0.5 ? 0 : 1;
  } else if (kind === 'low-14' || kind === 'low-7') {
    const f = kind === 'low-14' ? 2 : 4;
    for (let by = 0; by < SIZE; by += f) {
      for (let bx = 0; bx < SIZE; bx += f) {
        let s = 0;
        for (let y = by; y < by + f; ++y) for (let x = bx; x < bx + f; ++x) s += original[y * SIZE + x];
        for (let y = by; y < by + f; ++y) for (let x = bx; x < bx + f; ++x) damaged[y * SIZE + x] = s / (f * f);
      }
    }
    mask.fill(1 / (f * f));
  }
  return { damaged, mask };
}

function applyDamage() {
  if (!state.original) return;
  const kind = $('repair-kind').value;
  ({ damaged: state.damaged, mask: state.mask } = damage(state.original, kind === 'brush' ? 'none' : kind));
  paintDamaged();
  $('repair-steps').textContent = kind === 'brush' ? 'Erase with the pointer on the damaged digit, then Repair.' : '';
  setBusy(state.busy);
}

function showDigit(i) {
  if (!state.digits) return;
  state.index = ((i % state.digits.n) + state.digits.n) % state.digits.n;
  state.original = state.digits.pixels.slice(state.index * PIXELS, (state.index + 1) * PIXELS);
  paint('repair-original', state.original);
  const label = state.digits.labels?.[state.index];
  $('repair-index').textContent = label === undefined ? `test digit ${state.index}` : `test digit ${state.index} (a ${label})`;
  if (label !== undefined) $('repair-class').value = String(label);  // the class a conditional VAE is given
  applyDamage();
}

function onMessage({ data: msg }) {
  if (msg.type === 'error') setError(msg.message);
  else if (msg.type === 'digits') {
    state.digits = msg;
    showDigit(0);
  } else if (msg.type === 'repair-step') {
    paint('repair-result', msg.pixels);
    $('repair-steps').textContent = `step ${msg.step}: L(z) = ${msg.loss.toFixed(1)}`;
    $('repair').dataset.steps = String(msg.step);
  } else if (msg.type === 'repair-done') {
    paint('repair-baseline', msg.baseline);
    paint('repair-result', msg.pixels);
    // Error on the missing pixels (mask 0) against the original, for each method.
    const err = (p) => {
      let s = 0;
      let k = 0;
      for (let i = 0; i < PIXELS; ++i) {
        if (state.mask[i] === 0) {
          s += Math.abs(p[i] - state.original[i]);
          ++k;
        }
      }
      return k ? s / k : NaN;
    };
    const eb = err(msg.baseline);
    const er = err(msg.pixels);
    $('repair-note').textContent = Number.isNaN(er)
      ? 'Done.'
      : `Mean error on the missing pixels: encode → decode ${eb.toFixed(3)}, repair ${er.toFixed(3)}.`;
    $('repair').dataset.errors = JSON.stringify({ baseline: eb, repair: er });
    $('repair').dataset.done = 'true';
    setBusy(false);
  }
}

function run() {
  if (!state.damaged || state.busy) return;
  setError('');
  delete $('repair').dataset.done;
  setBusy(true);
  const useTrained = $('repair-trained').checked && state.trained;
  worker().postMessage({
    type: 'repair', weights: useTrained ? state.trained.slice(0) : undefined, images: state.damaged, mask: state.mask, n: 1,
    label: Number($('repair-class').value) || 0, steps: 90, every: 3, prior: 1, lr: 0.05,
  });
}

function brush(e) {
  if (!state.brushing || $('repair-kind').value !== 'brush' || !state.damaged) return;
  const c = $('repair-damaged');
  const r = c.getBoundingClientRect();
  const cx = ((e.clientX - r.left) / r.width) * SIZE;
  const cy = ((e.clientY - r.top) / r.height) * SIZE;
  for (let y = Math.floor(cy - 2); y <= cy + 2; ++y) {
    for (let x = Math.floor(cx - 2); x <= cx + 2; ++x) {
      if (x < 0 || y < 0 || x >= SIZE || y >= SIZE || (x - cx) ** 2 + (y - cy) ** 2 > 6.25) continue;
      state.damaged[y * SIZE + x] = 0;
      state.mask[y * SIZE + x] = 0;
    }
  }
  paintDamaged();
}

function wire() {
  const section = $('repair');
  if (!section) return;
  $('repair-run').addEventListener('click', run);
  $('repair-kind').addEventListener('change', applyDamage);
  $('repair-next').addEventListener('click', () => showDigit(state.index + 1));
  const damaged = $('repair-damaged');
  damaged.addEventListener('pointerdown', (e) => {
    state.brushing = true;
    damaged.setPointerCapture(e.pointerId);
    brush(e);
  });
  damaged.addEventListener('pointermove', brush);
  damaged.addEventListener('pointerup', () => { state.brushing = false; });
  // A model trained in the Train section can do the repair (train.js announces its weights).
  document.addEventListener('latentlab-trained', (e) => {
    if (!e.detail?.hasEncoder) return;
    state.trained = e.detail.bytes;
    $('repair-trained').disabled = false;
  });
  // The test digits (7.8 MB) are fetched when the section first comes into view, never before the first grid.
  const load = () => worker().postMessage({ type: 'test-digits', url: TEST_URL });
  if ('IntersectionObserver' in window) {
    const io = new IntersectionObserver((entries) => {
      if (entries.some((en) => en.isIntersecting)) {
        io.disconnect();
        load();
      }
    });
    io.observe(section);
  } else load();
  setBusy(false);
}

wire();
