// <latent-digits> — a generative-digits widget for any page:
//
//   <script type="module" src="latent-digits.js"></script>
//   <latent-digits src="models/vae.safetensors" mode="grid" seed="7"></latent-digits>
//
// Attributes
//   src      weights file (latentlab safetensors, VAE or GAN), resolved against the page URL
//   mode     grid (default) | morph | explore
//   seed     non-negative integer (default 0): the grid's digits, the morph's first endpoint
//   cols, rows   grid size (default 4 × 4)
//   interp   morph interpolation: slerp (default) | lerp
//   class    a conditional model's digit class (0–9 for MNIST); absent: the classes in turn
// Everything renders inside a Shadow DOM with its own styles: nothing leaks in or out.
// Instances that name the same src share one loaded model (and all share one wasm module).
//
// It imports latentlab.js and digit-canvas.js: keep both (and build/) next to this file.

import { loadModel } from './latentlab-models.js';
import { paintDigits } from './digit-canvas.js';

// ---- shared models (by absolute URL), released when the last widget using one goes away ----

const shared = new Map();  // url → { promise, users }

function acquireModel(url) {
  let entry = shared.get(url);
  if (!entry) {
    entry = { promise: loadModel(url), users: 0 };
    shared.set(url, entry);
    entry.promise.catch(() => shared.delete(url));  // let a later widget retry
  }
  entry.users += 1;
  return entry.promise;
}

function releaseModel(url) {
  const entry = shared.get(url);
  if (!entry) return;
  entry.users -= 1;
  if (entry.users <= 0) {
    shared.delete(url);
    entry.promise.then((m) => m.dispose(), () => {});
  }
}

// ---- the element ----

const STYLE = `
  :host { display: inline-block; font: 14px/1.4 system-ui, sans-serif; color: #e5e7eb; }
  :host([hidden]) { display: none; }
  .frame { display: inline-flex; flex-direction: column; gap: 6px; padding: 8px; border-radius: 8px;
           background: #18181b; max-width: 100%; box-sizing: border-box; }
  canvas { display: block; image-rendering: pixelated; image-rendering: crisp-edges;
           max-width: 100%; height: auto; border-radius: 4px; background: #000; }
  .bar { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
  button { font: inherit; color: inherit; background: #27272a; border: 1px solid #52525b; border-radius: 6px;
           padding: 2px 10px; cursor: pointer; }
  button:focus-visible, canvas:focus-visible { outline: 2px solid #60a5fa; outline-offset: 2px; }
  .pad { touch-action: none; cursor: crosshair; }
  .error { color: #fecaca; background: #450a0a; padding: 6px 8px; border-radius: 6px; max-width: 28em; }
  .status { color: #a1a1aa; font-size: 12px; }
`;

const PAD_RANGE = 3;  // the explore pad spans [−3, 3]² (≈ 99.7 % of N(0, 1) per axis)

function parseSeed(text) {
  const s = Number(text);
  return Number.isSafeInteger(s) && s >= 0 ? s : 0;
}

export class LatentDigits extends HTMLElement {
  static get observedAttributes() {
    return ['src', 'mode', 'seed', 'cols', 'rows', 'interp', 'class'];
  }

  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.model = null;
    this._url = null;
    this._raf = 0;
    this._generation = 0;  // invalidates stale async loads
  }

  connectedCallback() {
    this._load();
  }

  disconnectedCallback() {
    this._generation += 1;  // a load still in flight must not render into a detached element
    this._stop();
    if (this._url) releaseModel(this._url);
    this._url = null;
    this.model = null;
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (!this.isConnected || oldValue === newValue) return;
    if (name === 'src') this._load();
    else this._render();
  }

  get mode() {
    const m = this.getAttribute('mode');
    return m === 'morph' || m === 'explore' ? m : 'grid';
  }

  get seed() {
    return parseSeed(this.getAttribute('seed') ?? '0');
  }

  // The class attribute as the options of sample/interpolate (a bad value is the model's error to report).
  get _classOptions() {
    const c = this.getAttribute('class');
    return c === null || c === '' ? {} : { label: Number(c) };
  }

  _int(name, fallback, max) {
    const v = Number(this.getAttribute(name));
    return Number.isInteger(v) && v >= 1 && v <= max ? v : fallback;
  }

  _stop() {
    if (this._raf) cancelAnimationFrame(this._raf);
    this._raf = 0;
  }

  _shell(body) {
    this._stop();
    this.shadowRoot.innerHTML = `<style>${STYLE}</style><div class="frame" part="frame">${body}</div>`;
    return this.shadowRoot.querySelector('.frame');
  }

  async _load() {
    const generation = ++this._generation;
    const src = this.getAttribute('src');
    if (this._url) releaseModel(this._url);
    this._url = null;
    this.model = null;
    if (!src) {
      this._showError('No model: set the src attribute to a latentlab .safetensors file.');
      return;
    }
    const url = new URL(src, document.baseURI).href;
    this._url = url;
    this._shell('<div class="status" role="status">Loading model…</div>');
    try {
      const model = await acquireModel(url);
      if (generation !== this._generation) return;
      this.model = model;
      this._render();
      this.dispatchEvent(new CustomEvent('load', { detail: model.info }));
    } catch (err) {
      if (generation !== this._generation) return;
      this._showError(err.message);
      this.dispatchEvent(new CustomEvent('error', { detail: err }));
    }
  }

  _showError(message) {
    const frame = this._shell('<div class="error" role="alert"></div>');
    frame.querySelector('.error').textContent = `latent-digits: ${message}`;
  }

  _render() {
    if (!this.model) return;
    try {
      if (this.mode === 'morph') this._renderMorph();
      else if (this.mode === 'explore') this._renderExplore();
      else this._renderGrid();
    } catch (err) {
      this._showError(err.message);
    }
  }

  _renderGrid() {
    const frame = this._shell(`
      <canvas part="canvas" role="img"></canvas>
      <div class="bar"><button type="button" part="button">New digits</button>
      <span class="status"></span></div>`);
    const canvas = frame.querySelector('canvas');
    const status = frame.querySelector('.status');
    const cols = this._int('cols', 4, 16);
    const rows = this._int('rows', 4, 16);
    let seed = this.seed;
    const draw = () => {
      const { label, imageShape } = this.model.info;
      const pixels = this.model.sample(cols * rows, seed, this._classOptions);
      paintDigits(canvas, pixels, cols * rows, cols, imageShape, { scale: 3, gap: 1 });
      canvas.setAttribute('aria-label', `${cols * rows} digits sampled by a ${label} from seed ${seed}`);
      status.textContent = `${label} · seed ${seed}`;
    };
    frame.querySelector('button').addEventListener('click', () => {
      seed += 1;
      draw();
    });
    draw();
  }

  // A walk through latent space: seed, seed + 1, seed + 2, … as successive endpoints.
  _renderMorph() {
    const frame = this._shell(`
      <canvas part="canvas" role="img"></canvas>
      <div class="bar"><button type="button" part="button" aria-pressed="false">Pause</button>
      <span class="status"></span></div>`);
    const canvas = frame.querySelector('canvas');
    const button = frame.querySelector('button');
    const status = frame.querySelector('.status');
    const model = this.model;
    const { label, imageShape } = model.info;
    const mode = this.getAttribute('interp') === 'lerp' ? 'lerp' : 'slerp';
    const steps = 48;
    const msPerLeg = 1600;
    let leg = 0;
    let frames = null;
    const buildLeg = () => {
      const za = model.sampleLatents(1, this.seed + leg);
      const zb = model.sampleLatents(1, this.seed + leg + 1);
      frames = model.interpolate(za, zb, steps, mode, this._classOptions);
      status.textContent = `${label} · ${mode} seed ${this.seed + leg} → ${this.seed + leg + 1}`;
    };
    const size = imageShape[0] * imageShape[1];
    const show = (i) => paintDigits(canvas, frames.subarray(i * size, (i + 1) * size), 1, 1, imageShape, { scale: 6, gap: 0 });
    canvas.setAttribute('aria-label', `Animated ${mode} interpolation between digits of a ${label}`);
    buildLeg();
    show(0);
    let playing = !matchMedia('(prefers-reduced-motion: reduce)').matches;
    let start = performance.now();
    let pausedAt = 0;
    const tick = (now) => {
      let t = (now - start) / msPerLeg;
      while (t >= 1) {
        t -= 1;
        start += msPerLeg;
        leg += 1;
        buildLeg();
      }
      show(Math.min(steps - 1, Math.floor(t * steps)));
      this._raf = requestAnimationFrame(tick);
    };
    const setPlaying = (on) => {
      playing = on;
      button.textContent = on ? 'Pause' : 'Play';
      button.setAttribute('aria-pressed', String(!on));
      if (on) {
        start = performance.now() - pausedAt;
        this._raf = requestAnimationFrame(tick);
      } else {
        pausedAt = performance.now() - start;
        this._stop();
      }
    };
    button.addEventListener('click', () => setPlaying(!playing));
    setPlaying(playing);
  }

  // Two latent dimensions under the pointer (or arrow keys); the others stay at 0 (the prior's mean).
  _renderExplore() {
    const frame = this._shell(`
      <div class="bar">
        <canvas class="pad" part="pad" tabindex="0" role="application" aria-roledescription="latent pad" width="168" height="168"></canvas>
        <canvas class="digit" part="canvas" role="img"></canvas>
      </div>
      <span class="status" aria-live="polite"></span>`);
    const pad = frame.querySelector('.pad');
    const digit = frame.querySelector('.digit');
    const status = frame.querySelector('.status');
    const model = this.model;
    const { latentDim, imageShape, label } = model.info;
    const dx = 0;
    const dy = Math.min(1, latentDim - 1);
    const z = new Float32Array(latentDim);
    pad.setAttribute('aria-label', `Latent pad for ${label} dimensions z${dx} (arrow left/right) and z${dy} (arrow up/down)`);
    digit.setAttribute('aria-label', 'Decoded digit at the pad position');
    const draw = () => {
      const { label: y } = this._classOptions;
      paintDigits(digit, model.decode(z, 1, { labels: y === undefined ? undefined : [y] }), 1, 1, imageShape, { scale: 6, gap: 0 });
      const ctx = pad.getContext('2d');
      const W = pad.width;
      ctx.fillStyle = '#09090b';
      ctx.fillRect(0, 0, W, W);
      ctx.strokeStyle = '#3f3f46';
      ctx.beginPath();
      ctx.moveTo(W / 2, 0);
      ctx.lineTo(W / 2, W);
      ctx.moveTo(0, W / 2);
      ctx.lineTo(W, W / 2);
      ctx.stroke();
      const px = ((z[dx] + PAD_RANGE) / (2 * PAD_RANGE)) * W;
      const py = ((PAD_RANGE - z[dy]) / (2 * PAD_RANGE)) * W;
      ctx.fillStyle = '#60a5fa';
      ctx.beginPath();
      ctx.arc(px, py, 6, 0, 2 * Math.PI);
      ctx.fill();
      status.textContent = `z${dx} = ${z[dx].toFixed(2)}, z${dy} = ${z[dy].toFixed(2)}`;
    };
    const clamp = (v) => Math.max(-PAD_RANGE, Math.min(PAD_RANGE, v));
    const fromPointer = (e) => {
      const r = pad.getBoundingClientRect();
      z[dx] = clamp(((e.clientX - r.left) / r.width) * 2 * PAD_RANGE - PAD_RANGE);
      if (dy !== dx) z[dy] = clamp(PAD_RANGE - ((e.clientY - r.top) / r.height) * 2 * PAD_RANGE);
      draw();
    };
    pad.addEventListener('pointerdown', (e) => {
      pad.setPointerCapture(e.pointerId);
      fromPointer(e);
    });
    pad.addEventListener('pointermove', (e) => {
      if (pad.hasPointerCapture(e.pointerId)) fromPointer(e);
    });
    pad.addEventListener('keydown', (e) => {
      const step = e.shiftKey ? 0.5 : 0.1;
      const moves = { ArrowLeft: [dx, -step], ArrowRight: [dx, step], ArrowUp: [dy, step], ArrowDown: [dy, -step] };
      const move = moves[e.key];
      if (!move) return;
      e.preventDefault();
      z[move[0]] = clamp(z[move[0]] + move[1]);
      draw();
    });
    draw();
  }
}

if (!customElements.get('latent-digits')) customElements.define('latent-digits', LatentDigits);
