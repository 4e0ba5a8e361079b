// The page's Train and repair section: its two parts, each in its own file. Both start workers
// (train-worker.js) that load the training build of the wasm core only when used.
import './train.js';
import './repair.js';
