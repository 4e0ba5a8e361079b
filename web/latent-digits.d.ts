// Types of latent-digits.js: the <latent-digits> custom element. Importing the module defines the
// element (once per page). Attributes, as latent-digits.js documents them:
//   src     weights file (VAE or GAN), resolved against the page URL
//   mode    'grid' (default) | 'morph' | 'explore'
//   seed    non-negative integer (default 0)
//   cols, rows   grid size, 1…16 (default 4 × 4)
//   interp  morph interpolation: 'slerp' (default) | 'lerp'
//   class   a conditional model's digit class (0–9 for MNIST); absent: the classes in turn
import type { Model, ModelInfo } from './latentlab.js';

export type LatentDigitsMode = 'grid' | 'morph' | 'explore';

/** The element's attributes (strings in HTML); a new attribute is a new optional key here. */
export interface LatentDigitsAttributes {
  src: string;
  mode?: LatentDigitsMode;
  seed?: number | string;
  cols?: number | string;
  rows?: number | string;
  interp?: 'slerp' | 'lerp';
  /** A conditional model's class for every digit (0–9 for MNIST); absent: the classes in turn. */
  class?: number | string;
}

/** The element's own events, beside every HTMLElement event (its 'error' is a CustomEvent, not an ErrorEvent). */
export type LatentDigitsEventMap = Omit<HTMLElementEventMap, 'error'> & {
  /** The model loaded and the first frame was drawn; detail = model.info. */
  load: CustomEvent<ModelInfo>;
  /** The model could not be loaded; detail = the Error (its message is also shown in the widget). */
  error: CustomEvent<Error>;
};

export class LatentDigits extends HTMLElement {
  static readonly observedAttributes: string[];
  /** The loaded model (shared by every widget with the same src), or null while loading / after an error. */
  model: Model | null;
  /** The mode attribute, 'grid' when absent or unknown. */
  readonly mode: LatentDigitsMode;
  /** The seed attribute, 0 when absent or invalid. */
  readonly seed: number;
  addEventListener<K extends keyof LatentDigitsEventMap>(
    type: K,
    listener: (this: LatentDigits, event: LatentDigitsEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'latent-digits': LatentDigits;
  }
}
