// Canvas helpers for drawing digits, shared by the page (app.js) and <latent-digits>:
//   digitsToImageData(pixels, n, cols, [h, w], gap = 1) → ImageData of n digits in a grid
//   paintDigits(canvas, pixels, n, cols, [h, w], { scale = 4, gap = 1 }) → { scale, cellWidth, cellHeight, gap }
// Pixel conventions: `pixels` holds n images of h×w values in [0, 1] (clamped), row-major, one after
// another (what model.decode returns). 0 is black, 1 white (white ink on black, as MNIST); the gaps
// between cells are opaque dark grey (39, 39, 42). paintDigits scales by an integer factor with
// image smoothing off, so each source pixel is a crisp scale×scale block; the cell sizes it returns
// are in source pixels (multiply by scale for canvas pixels).

/**
 * Lays out n images (pixels in [0, 1], each h×w, row-major, concatenated) in a grid of `cols`
 * columns with `gap` grey pixels between them; white ink on black, as MNIST.
 */
export function digitsToImageData(pixels, n, cols, [h, w], gap = 1) {
  const rows = Math.ceil(n / cols);
  const W = cols * w + (cols - 1) * gap;
  const H = rows * h + (rows - 1) * gap;
  const image = new ImageData(W, H);
  const data = image.data;
  for (let i = 0; i < data.length; i += 4) {  // the gaps: opaque dark grey, so cells stand apart
    data[i] = 39;
    data[i + 1] = 39;
    data[i + 2] = 42;
    data[i + 3] = 255;
  }
  for (let k = 0; k < n; ++k) {
    const x0 = (k % cols) * (w + gap);
    const y0 = Math.floor(k / cols) * (h + gap);
    const base = k * h * w;
    for (let y = 0; y < h; ++y) {
      for (let x = 0; x < w; ++x) {
        const v = Math.round(Math.min(1, Math.max(0, pixels[base + y * w + x])) * 255);
        const o = ((y0 + y) * W + x0 + x) * 4;
        data[o] = v;
        data[o + 1] = v;
        data[o + 2] = v;
      }
    }
  }
  return image;
}

/**
 * Paints digits onto `canvas`, scaled up by an integer `scale` with crisp (unsmoothed) pixels.
 * Returns the geometry { scale, cellWidth: w + gap, cellHeight: h + gap, gap } so callers can map clicks to cells.
 */
let scratch = null;  // one reusable 1:1 canvas (animations paint every frame)

export function paintDigits(canvas, pixels, n, cols, shape, { scale = 4, gap = 1 } = {}) {
  const image = digitsToImageData(pixels, n, cols, shape, gap);
  if (!scratch) scratch = document.createElement('canvas');
  const small = scratch;
  if (small.width !== image.width) small.width = image.width;
  if (small.height !== image.height) small.height = image.height;
  small.getContext('2d').putImageData(image, 0, 0);
  if (canvas.width !== image.width * scale) canvas.width = image.width * scale;
  if (canvas.height !== image.height * scale) canvas.height = image.height * scale;
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  return { scale, cellWidth: shape[1] + gap, cellHeight: shape[0] + gap, gap };
}
