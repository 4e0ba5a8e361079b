// Types of digit-canvas.js: the canvas helpers the page and <latent-digits> share.

/** n images (each h × w values in [0, 1], row-major, concatenated) as a grid of `cols` columns. */
export function digitsToImageData(pixels: ArrayLike<number>, n: number, cols: number, shape: readonly [number, number],
  gap?: number): ImageData;

export interface PaintOptions {
  /** Integer upscaling of each source pixel (default 4). */
  scale?: number;
  /** Grey pixels between cells (default 1). */
  gap?: number;
}

export interface PaintedGrid {
  scale: number;
  /** Cell sizes and gap in source pixels (multiply by scale for canvas pixels). */
  cellWidth: number;
  cellHeight: number;
  gap: number;
}

/** Draws the grid into `canvas`, resizing it. */
export function paintDigits(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, n: number, cols: number,
  shape: readonly [number, number], options?: PaintOptions): PaintedGrid;
