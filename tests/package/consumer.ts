// A TypeScript consumer of the npm package, type-checked (tsc --noEmit, strict) against the
// installed tarball's declarations by tests/package/npm.test.mjs. It is never run.
import { loadModel, initLatentlab, type Model, type ModelInfo } from 'latentlab';
import { LatentDigits } from 'latentlab/latent-digits';
import { paintDigits } from 'latentlab/digit-canvas';

export async function firstDigits(canvas: HTMLCanvasElement): Promise<ModelInfo> {
  const runtime = await initLatentlab();
  const model: Model = await loadModel('models/vae.safetensors', { maxBytes: 1 << 24 });
  const pixels: Float32Array = model.sample(16, 7n);
  paintDigits(canvas, pixels, 16, 4, model.info.imageShape, { scale: 3 });
  const z = runtime.rngNormal(1, 0, model.info.latentDim);
  const frames = model.interpolate(z, model.sampleLatents(1, '42'), 8, 'lerp');
  if (model.info.hasEncoder) model.encode(frames.subarray(0, model.info.imageSize)).mu.length;
  if (model.info.conditional) {
    // Ask for a digit: the class as an argument (issue 15).
    model.sample(8, 7, { label: 3 });
    model.decode(z, 1, { labels: [5] });
    model.decode(z, { labels: new Int32Array([5]) });
    model.encode(frames.subarray(0, model.info.imageSize), 1, { labels: [2] });
    model.interpolate(z, z, 4, 'slerp', { label: 9 });
  }
  model.dispose();
  return model.info;
}

const widget = document.createElement('latent-digits');  // typed LatentDigits via HTMLElementTagNameMap
widget.setAttribute('src', 'models/gan.safetensors');
widget.addEventListener('load', (event) => console.log(event.detail.label, event.detail.latentDim));
widget.addEventListener('error', (event) => console.log(event.detail.message));
widget.addEventListener('click', (event) => console.log(event.clientX));
const mode: 'grid' | 'morph' | 'explore' = widget.mode;
const isClass: boolean = widget instanceof LatentDigits && widget.model === null && mode === 'grid';
console.log(isClass);

// @ts-expect-error: a class is a number, not a string
loadModel('x').then((m) => m.sample(1, 1, { label: '3' }));
// @ts-expect-error: sample needs a count and a seed
loadModel('x').then((m) => m.sample());
