// IDX files (MNIST's format, also Fashion-MNIST's and any "their own" data set) in the browser:
//   readIdx(bytes, name) → { dims, data: Uint8Array }   plain or gzip (.gz, read with DecompressionStream)
//   parseIdxPair(images, labels|null) → { pixels, count, size, labels, classes }
// Format: big-endian magic 0x00000800 | type << 8 | rank, with type 0x08 (unsigned byte), then
// `rank` big-endian uint32 dimensions, then the bytes. Images are rank 3 (count × rows × cols),
// labels rank 1. Every check throws an Error that says what is wrong with the file.

async function gunzip(bytes, name) {
  if (typeof DecompressionStream !== 'function') throw new Error(`${name} is gzip-compressed and this browser cannot unpack it: drop the uncompressed file`);
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    throw new Error(`${name} looks gzip-compressed but does not unpack (the file is damaged or cut short)`);
  }
}

export async function readIdx(bytes, name = 'the file') {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes, name);
  if (bytes.length < 4) throw new Error(`${name} is not an IDX file: it is only ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const rank = magic & 0xff;
  if (magic >>> 16 !== 0 || (magic >>> 8 & 0xff) !== 0x08 || rank < 1 || rank > 3) {
    throw new Error(`${name} is not an IDX file of bytes (MNIST's format): it starts with 0x${magic.toString(16).padStart(8, '0')}`);
  }
  if (bytes.length < 4 + 4 * rank) throw new Error(`${name} is cut short: its header is incomplete`);
  const dims = [];
  for (let i = 0; i < rank; ++i) dims.push(view.getUint32(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  const data = bytes.subarray(4 + 4 * rank);
  if (data.length < expected) throw new Error(`${name} is cut short: its header promises ${expected} bytes of data, it holds ${data.length}`);
  return { dims, data: data.subarray(0, expected) };
}

export function parseIdxPair(images, labels) {
  if (images.dims.length !== 3) {
    throw new Error(`the images file must hold count × rows × columns bytes; this one has ${images.dims.length} dimension(s) (is it a labels file?)`);
  }
  const [count, rows, cols] = images.dims;
  if (count < 1 || rows * cols < 4 || rows * cols > 4096) throw new Error(`the images file holds ${count} images of ${rows}×${cols}: nothing to train on`);
  let y = null;
  let classes = 0;
  if (labels) {
    if (labels.dims.length !== 1) throw new Error('the labels file must hold one byte per image (an IDX file of rank 1)');
    if (labels.dims[0] !== count) throw new Error(`the labels file has ${labels.dims[0]} labels for ${count} images`);
    y = labels.data;
    for (const c of y) classes = Math.max(classes, c + 1);
  }
  return { pixels: images.data, count, size: rows * cols, shape: [rows, cols], labels: y, classes };
}
