// Native ⇔ wasm parity of the default (SIMD128) module: the cases and their fixture are described in
// parity_cases.mjs.
import { loadModel } from './runtime.mjs';
import { parityTests } from './parity_cases.mjs';

parityTests(loadModel);
