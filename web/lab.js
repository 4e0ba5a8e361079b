// The page's Train and repair section: its two parts, each in its own file, imported once the page
// has loaded (after the first grid: the grid never waits for them). Both start workers
// (train-worker.js) that load the training build of the wasm core only when used. #lab gets
// data-ready once its buttons work.
function load() {
  Promise.all([import('./train.js'), import('./repair.js')]).then(
    () => { document.getElementById('lab').dataset.ready = 'true'; },
    (err) => { console.error(`the Train and repair section could not load: ${err.message}`); },
  );
}

if (document.readyState === 'complete') load();
else window.addEventListener('load', load, { once: true });
