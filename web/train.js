// The page's Train section (index.html #train): train a model in this tab. Everything heavy runs in
// a module Web Worker (train-worker.js), which loads the training build of the wasm core only when
// Start is pressed; this file only draws what the worker reports and passes the buttons on. The
// worker itself (its JS, no wasm) is started ahead, when the section comes into view or the pointer
// or focus reaches Start, so that the click does not wait for its start and imports.
//   data       MNIST served next to the page (data/mnist/, which scripts/demo fetches), or IDX
//              files dropped on the section (images, and labels for the conditional model)
//   live       a loss chart per term, samples every 2 s, steps/s; Pause/Resume, Stop
//   afterwards Download (.safetensors: `latentlab info` / `sample` read it) and Use in the page
//              (handed to the page's own file loader, #file-input)
import { digitsToImageData } from './digit-canvas.js';
import { lossChart } from './loss-chart.js';

const $ = (id) => document.getElementById(id);
const MNIST_URL = new URL('data/mnist/', document.baseURI).href;

const state = {
  worker: null, spare: null, running: false, paused: false, weights: null, dropped: null, chart: null, preset: 'vae',
  clickedAt: 0,
};

function newWorker() {
  const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e) => {
    if (worker === state.worker) onMessage(e);
  };
  worker.onerror = (e) => {
    if (worker === state.spare) state.spare = null;  // Start makes a new one, which reports the failure
    if (worker !== state.worker) return;
    setError(`The training worker failed: ${e.message || 'it could not start'}.`);
    setRunning(false);
  };
  return worker;
}

// The worker the next Start will use, started now (JS only: it fetches no wasm before Start).
// #train[data-spare-worker] says so (for the tests).
function spareWorker() {
  if (state.spare) return;
  state.spare = newWorker();
  $('train').dataset.spareWorker = 'started';
}

function setError(message) {
  const box = $('train-error');
  box.textContent = message || '';
  box.hidden = !message;
}

function setRunning(running) {
  state.running = running;
  $('train-start').disabled = running;
  $('train-pause').disabled = !running;
  $('train-stop').disabled = !running;
  $('train-kind').disabled = running;
  if (!running) $('train-pause').textContent = 'Pause';
}

function paintSamples({ pixels, n, cols, shape }) {
  const canvas = $('train-samples');
  const image = digitsToImageData(pixels, n, cols, shape);
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d').putImageData(image, 0, 0);
  canvas.dataset.updates = String(Number(canvas.dataset.updates || 0) + 1);
}

function onMessage({ data: msg }) {
  if (msg.type === 'status') $('train-status').textContent = msg.text;
  else if (msg.type === 'error') {
    setError(msg.message);
    setRunning(false);
  } else if (msg.type === 'progress') {
    state.chart.add(msg.step, msg.terms);
    // The first and latest means of every term, for people reading the DOM (and the browser tests).
    const section = $('train');
    if (!section.dataset.firstTerms) section.dataset.firstTerms = JSON.stringify(msg.terms);
    section.dataset.lastTerms = JSON.stringify(msg.terms);
    const pct = ((msg.epoch % 1) * 100 || (msg.images === msg.epochImages ? 100 : 0)).toFixed(0);
    $('train-rate').textContent = `step ${msg.step} · epoch ${msg.epoch.toFixed(2)} (${pct}%) · ${msg.stepsPerSecond.toFixed(1)} steps/s · ${msg.elapsed.toFixed(1)} s`;
  } else if (msg.type === 'samples') paintSamples(msg);
  else if (msg.type === 'weights') {
    state.weights = msg.bytes;
    $('train-download').disabled = false;
    $('train-use').disabled = false;
    if (msg.final) document.dispatchEvent(new CustomEvent('latentlab-trained', { detail: { bytes: msg.bytes, hasEncoder: msg.hasEncoder } }));
  } else if (msg.type === 'done') {
    setRunning(false);
    $('train-status').textContent = `Training ${msg.reason} after ${msg.step} steps in ${msg.elapsed.toFixed(1)} s (end to end, data included).`;
    $('train').dataset.done = msg.reason;
    $('train').dataset.seconds = msg.elapsed.toFixed(2);
    // Where the time went (module, data, batches, steps, samples: seconds), for the benchmark; and
    // around the worker's own clock: from the click to the worker's creation (worker), to its
    // imports loaded (imports), to its train message taken (message); from its done to here (report).
    const seconds = { ...msg.seconds };
    if (msg.clock && state.clickedAt) {
      const { created, loaded, started, done } = msg.clock;
      Object.assign(seconds, {
        worker: (created - state.clickedAt) / 1000, imports: (loaded - created) / 1000, message: (started - loaded) / 1000,
        report: (performance.timeOrigin + performance.now() - done) / 1000,
      });
      $('train').dataset.module = msg.module;
      $('train').dataset.clickSeconds = ((performance.timeOrigin + performance.now() - state.clickedAt) / 1000).toFixed(2);
    }
    $('train').dataset.timings = JSON.stringify(Object.fromEntries(Object.entries(seconds).map(([k, v]) => [k, Number(v.toFixed(2))])));
  }
}

function start(event) {
  // The click, on the clock the worker's report uses (ms since the epoch).
  state.clickedAt = performance.timeOrigin + (event?.timeStamp ?? performance.now());
  setError('');
  state.worker?.terminate();
  state.worker = state.spare ?? newWorker();
  state.spare = null;
  state.weights = null;
  $('train-download').disabled = true;
  $('train-use').disabled = true;
  for (const key of ['done', 'firstTerms', 'lastTerms', 'timings', 'clickSeconds', 'module']) delete $('train').dataset[key];
  state.preset = $('train-kind').value;
  state.chart = lossChart($('train-chart'));
  const epochs = Math.max(1, Math.min(50, Number($('train-epochs').value) || 1));
  const source = state.dropped
    ? { images: state.dropped.images.slice(0), imagesName: state.dropped.imagesName, labels: state.dropped.labels?.slice(0), labelsName: state.dropped.labelsName }
    : { url: MNIST_URL };
  state.worker.postMessage({ type: 'train', preset: state.preset, seed: Number($('train-seed').value) || 1, epochs, source });
  $('train-status').textContent = 'Loading the training module…';
  setRunning(true);
}

function download() {
  if (!state.weights) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([state.weights], { type: 'application/octet-stream' }));
  a.download = `latentlab-${state.preset}-trained.safetensors`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// Hands the weights to the page's own loader: the file input that "Load .safetensors…" uses.
function useInPage() {
  const input = $('file-input');
  if (!input || !state.weights) {
    setError('This page has no model loader to hand the weights to: download them and load the file instead.');
    return;
  }
  const dt = new DataTransfer();
  dt.items.add(new File([state.weights], `trained-${state.preset}.safetensors`, { type: 'application/octet-stream' }));
  input.files = dt.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

// Dropped IDX files: the images file (rank 3) and optionally the labels file, told apart by name
// ("labels" / "idx1") — the worker checks the contents and says what is wrong.
async function onDrop(files) {
  setError('');
  const list = [...files];
  const labels = list.find((f) => /label|idx1/i.test(f.name));
  const images = list.find((f) => f !== labels);
  if (!images) {
    setError('Drop the images file (e.g. train-images-idx3-ubyte or .gz), and the labels file for the conditional model.');
    return;
  }
  state.dropped = {
    images: await images.arrayBuffer(), imagesName: images.name,
    labels: labels ? await labels.arrayBuffer() : null, labelsName: labels?.name,
  };
  $('train-data').textContent = `Data: ${images.name}${labels ? ` + ${labels.name}` : ' (no labels)'}`;
}

function wire() {
  const section = $('train');
  if (!section) return;
  $('train-start').addEventListener('click', start);
  for (const type of ['pointerenter', 'focus']) $('train-start').addEventListener(type, spareWorker);
  if ('IntersectionObserver' in window) {
    const seen = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      spareWorker();
      seen.disconnect();
    });
    seen.observe($('train-start'));
  }
  $('train-pause').addEventListener('click', () => {
    state.paused = !state.paused;
    state.worker?.postMessage({ type: state.paused ? 'pause' : 'resume' });
    $('train-pause').textContent = state.paused ? 'Resume' : 'Pause';
    section.dataset.paused = String(state.paused);
  });
  $('train-stop').addEventListener('click', () => {
    state.paused = false;
    state.worker?.postMessage({ type: 'stop' });
  });
  $('train-download').addEventListener('click', download);
  $('train-use').addEventListener('click', useInPage);
  $('train-files').addEventListener('change', async (e) => {
    await onDrop(e.target.files);
    e.target.value = '';
  });
  // Drops on this section are data, not weights: keep them from the page's drop handler.
  section.addEventListener('dragover', (e) => {
    e.preventDefault();
    e.stopPropagation();
  });
  section.addEventListener('drop', async (e) => {
    e.preventDefault();
    e.stopPropagation();
    if (e.dataTransfer?.files?.length) await onDrop(e.dataTransfer.files);
  });
  setRunning(false);
}

wire();
