// What a model-loading error means for a visitor, as one sentence; app.js shows it above the
// Error's own message (written for developers). Imported only when a load fails, so the first
// grid does not download it.

export function explainLoadError(message) {
  if (/empty \(0 bytes\)/.test(message)) return 'the file is empty (0 bytes).';
  if (/too large/.test(message)) return 'the file is larger than any latentlab model (the page takes up to 128 MiB).';
  if (/exceeds the limit of/.test(message)) return 'its header lists far more than any latentlab model holds, so it was not read.';
  if (/too short|exceeds the \d+ bytes that follow|beyond the data section|does not tile|end of the data/.test(message)) {
    return 'the file is cut short: it ends before the data its header announces (an interrupted download or copy?).';
  }
  if (/JSON|header must be/.test(message)) return 'this is not a safetensors weights file (its header cannot be read).';
  if (/could not fetch/.test(message)) return 'it could not be downloaded.';
  if (/kind|no "kind"|not a latentlab/.test(message)) return 'this is not a model the page can draw with.';
  return 'this weights file does not fit any model the page knows.';
}
