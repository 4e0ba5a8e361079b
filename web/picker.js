// The demo page's model picker: a radio per entry of the models manifest (app.js reads it, lowest
// FD first) before the user's file. Imported by app.js after the first grid: wire() once, setup()
// per model; app.js handles the radios' changes. A ?model=FILE that names no entry (app.js then
// opens the lowest FD) is said here, so that its wording is not part of the first grid's download.

import { $, restoreKindRadio, showError, state } from './app.js';

export function wire() {
  const wanted = new URLSearchParams(location.search).get('model');
  if (wanted && !state.models.some((e) => e.file === wanted)) {
    showError(`The address asks for the model "${wanted}", which is not in the list: showing the lowest FD instead.`,
      `?model= names an entry's file: ${state.models.map((e) => e.file).join(', ')}`);
  }
  $('file-kind-label').parentElement.before(...state.models.map((e) => {
    const label = document.createElement('label');
    const radio = Object.assign(document.createElement('input'), { type: 'radio', name: 'kind', value: e.url });
    const fd = Number.isFinite(e.fd) ? ` · FD ${e.fd}` : '';
    const note = Object.assign(document.createElement('small'), { textContent: fd + (e.classes > 0 ? ' · ask for a digit' : '') });
    label.append(radio, ` ${e.label}`, note);
    return label;
  }));
}

export function setup() {
  restoreKindRadio();
}
