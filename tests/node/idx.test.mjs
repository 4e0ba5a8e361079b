// web/idx.js, the page's reader of dropped IDX files: plain and gzip files, Fashion-MNIST's Debian
// files as they are, and a clear sentence for every bad file.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';

import { ROOT } from './wasm_files.mjs';

const { readIdx, parseIdxPair } = await import(pathToFileURL(path.join(ROOT, 'web/idx.js')).href);

// An IDX file of unsigned bytes: magic 0x0800 | rank, the dimensions, then the data.
function idx(dims, data) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(0x0800 | dims.length, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return new Uint8Array(Buffer.concat([head, Buffer.from(data)]));
}

const pixels = Array.from({ length: 3 * 4 * 4 }, (_, i) => i);
const images = idx([3, 4, 4], pixels);
const labels = idx([3], [2, 0, 1]);

test('plain and gzip IDX files read the same, and pair up with their labels', async () => {
  const plain = await readIdx(images, 'x');
  const gz = await readIdx(new Uint8Array(zlib.gzipSync(images)), 'x.gz');
  assert.deepEqual(plain.dims, [3, 4, 4]);
  assert.deepEqual([...gz.data], pixels);
  const pair = parseIdxPair(plain, await readIdx(labels, 'y'));
  assert.equal(pair.count, 3);
  assert.equal(pair.size, 16);
  assert.equal(pair.classes, 3);
});

test('bad files get a sentence that says what is wrong', async () => {
  await assert.rejects(readIdx(new TextEncoder().encode('hello, world'), 'notes.txt'), /notes\.txt is not an IDX file/);
  await assert.rejects(readIdx(images.subarray(0, 30), 'cut'), /cut is cut short: its header promises 48 bytes of data, it holds 14/);
  await assert.rejects(readIdx(new Uint8Array(zlib.gzipSync(images)).subarray(0, 20), 'cut.gz'), /does not unpack/);
  await assert.rejects(readIdx(new Uint8Array(2), 'tiny'), /only 2 bytes/);
  assert.throws(() => parseIdxPair({ dims: [3], data: new Uint8Array(3) }, null), /is it a labels file/);
  const plain = await readIdx(images, 'x');
  assert.throws(() => parseIdxPair(plain, { dims: [2], data: new Uint8Array(2) }), /2 labels for 3 images/);
});

test("Fashion-MNIST's Debian files (gzip) read as they are", async (t) => {
  const dir = '/usr/share/datasets/fashion-mnist';
  if (!fs.existsSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'))) return t.skip('dataset-fashion-mnist is not installed');
  const y = await readIdx(new Uint8Array(fs.readFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'))), 'labels');
  assert.deepEqual(y.dims, [10000]);
  assert.equal(Math.max(...y.data), 9);
});
