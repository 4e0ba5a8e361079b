// Every kind of bad weights file must be rejected by loadModel with an Error that says what is
// wrong — never a crash, a hang or a model built from garbage — and the module must keep working.
import test from 'node:test';
import assert from 'node:assert/strict';

import { loadModel } from './runtime.mjs';
import { encodeSafetensors, joinSafetensors, makeGan, makeVae, prng, splitSafetensors } from './weights.mjs';

const good = makeVae({ hidden: [8], latent: 3, seed: 21 });

// Returns a copy of the good file with its header changed by edit(header) (data unchanged).
function withHeader(edit) {
  const { header, data } = splitSafetensors(good.bytes);
  edit(header);
  return joinSafetensors(header, data);
}

function f32Offset(name) {
  const { header, headerLength } = splitSafetensors(good.bytes);
  return 8 + headerLength + header[name].data_offsets[0];
}

const cases = [
  ['zero-length file', () => new Uint8Array(0), /empty/i],
  ['shorter than the 8-byte length prefix', () => good.bytes.subarray(0, 5), /too short|header length/i],
  ['truncated inside the header', () => good.bytes.subarray(0, 40), /header length|exceeds|truncat/i],
  ['truncated inside the data', () => good.bytes.subarray(0, good.bytes.length - 100), /data|offsets|bytes/i],
  ['header length larger than the file', () => {
    const b = good.bytes.slice();
    new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
    return b;
  }, /header length/i],
  ['header is not JSON', () => {
    const b = good.bytes.slice();
    b[8] = '#'.charCodeAt(0);
    return b;
  }, /JSON|syntax|parse/i],
  ['header is a JSON array', () => {
    const json = new TextEncoder().encode('[1, 2, 3]       ');
    const b = new Uint8Array(8 + json.length);
    new DataView(b.buffer).setBigUint64(0, BigInt(json.length), true);
    b.set(json, 8);
    return b;
  }, /object/i],
  ['unsupported dtype', () => withHeader((h) => { h['decoder.out.weight'].dtype = 'I64'; }), /dtype|I64/],
  ['dtype F64 (sizes no longer match)', () => withHeader((h) => { h['encoder.fc1.bias'].dtype = 'F64'; }), /dtype|F64/],
  ['shape disagrees with the byte length', () => withHeader((h) => { h['decoder.out.bias'].shape = [783]; }),
    /decoder\.out\.bias|shape|bytes/],
  ['overlapping data_offsets', () => withHeader((h) => {
    h['encoder.fc1.bias'].data_offsets = h['encoder.fc1.weight'].data_offsets.slice();
  }), /offset|overlap|hole|bytes/i],
  ['missing tensor', () => {
    const { header, data } = splitSafetensors(good.bytes);
    const [b, e] = header['decoder.out.bias'].data_offsets;
    // Drop the last tensor and its bytes (it is stored last), keeping a consistent file.
    assert.equal(e, data.length);
    delete header['decoder.out.bias'];
    return joinSafetensors(header, data.subarray(0, b));
  }, /decoder\.out\.bias/],
  ['tensor with the wrong shape for the model', () => {
    const t = makeVae({ hidden: [9], latent: 3, seed: 1 });  // metadata says hidden 8 below
    const { header, data } = splitSafetensors(t.bytes);
    header.__metadata__.hidden = '8';
    return joinSafetensors(header, data);
  }, /shape|expects/],
  ['NaN weight', () => {
    const b = good.bytes.slice();
    new DataView(b.buffer).setFloat32(f32Offset('decoder.out.weight') + 4 * 17, NaN, true);
    return b;
  }, /NaN|finite/i],
  ['infinite weight', () => {
    const b = good.bytes.slice();
    new DataView(b.buffer).setFloat32(f32Offset('encoder.mu.bias'), -Infinity, true);
    return b;
  }, /inf|finite/i],
  ['no __metadata__ (not a latentlab file)', () => withHeader((h) => { delete h.__metadata__; }), /kind|metadata/i],
  ['unknown model kind', () => withHeader((h) => { h.__metadata__.kind = 'transformer'; }), /transformer|kind/],
  ['kind says GAN but the tensors are a VAE\'s', () => withHeader((h) => {
    Object.assign(h.__metadata__, { kind: 'gan', image: '784', latent: '3', generator_hidden: '8', discriminator_hidden: '8',
      generator_activation: 'relu', generator_batchnorm: '0' });
  }), /generator/],
  ['kind says VAE but the tensors are a GAN\'s', () => {
    const g = makeGan({ latent: 4, generatorHidden: [8], discriminatorHidden: [8], seed: 2 });
    const { header, data } = splitSafetensors(g.bytes);
    Object.assign(header.__metadata__, { kind: 'vae', input: '784', hidden: '8', latent: '4' });
    return joinSafetensors(header, data);
  }, /encoder/],
  ['latent size in metadata is not a number', () => withHeader((h) => { h.__metadata__.latent = 'twenty'; }), /latent/],
  ['absurd layer sizes in metadata', () => withHeader((h) => { h.__metadata__.hidden = '65536,65536,65536'; }),
    /parameters|limit|outside/i],
  ['a valid safetensors file with no tensors', () => encodeSafetensors([], { format: 'latentlab', kind: 'vae' }), /./],
];

for (const [name, make, pattern] of cases) {
  test(`rejects: ${name}`, async () => {
    const bytes = make();
    await assert.rejects(loadModel(bytes), (err) => {
      assert.ok(err instanceof Error, 'an Error');
      assert.match(err.message, pattern);
      assert.ok(err.message.length < 600, 'a readable message, not a dump');
      return true;
    });
  });
}

// A GAN file holding only the discriminator: a consistent file (its tensors tile the data) that
// is not a usable model, since the page needs the generator.
function discriminatorOnly() {
  const { header, data } = splitSafetensors(makeGan({ latent: 4, generatorHidden: [8], discriminatorHidden: [8], seed: 5 }).bytes);
  const tensors = Object.entries(header)
    .filter(([name]) => name.startsWith('discriminator.'))
    .sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0])
    .map(([name, t]) => ({ name, shape: t.shape, raw: data.slice(t.data_offsets[0], t.data_offsets[1]) }));
  return encodeSafetensors(tensors, header.__metadata__);
}

test('rejects a GAN file with the discriminator only, naming the missing generator tensor', async () => {
  await assert.rejects(loadModel(discriminatorOnly()), /invalid weights file: .*(no tensor "generator\.|needing \d+ parameters but the file holds only)/);
});

test('rejects a file over the size limit from its size alone, before reading it', async () => {
  const { MAX_WEIGHTS_BYTES } = await import('../../web/latentlab.js');
  assert.equal(MAX_WEIGHTS_BYTES, 128 * 1024 * 1024);
  // A Blob that claims to be 3 GB and fails if it is ever read: refused on its size.
  class HugeFile extends Blob {
    get size() { return 3 * 1024 ** 3; }
    arrayBuffer() { throw new Error('the oversized file was read'); }
  }
  await assert.rejects(loadModel(new HugeFile([])), /too large: 3072\.0 MiB .*limit is 128\.0 MiB/);
  // The limit applies to buffers too, and can be lowered (or raised) per call.
  await assert.rejects(loadModel(good.bytes, { maxBytes: good.bytes.length - 1 }), /too large/);
  const m = await loadModel(good.bytes, { maxBytes: good.bytes.length });
  assert.equal(m.info.kind, 'vae');
  m.dispose();
  await assert.rejects(loadModel(good.bytes, { maxBytes: 0 }), RangeError);
});

test('rejects 200 random byte strings (some with a plausible length prefix)', async () => {
  const rand = prng(7);
  for (let i = 0; i < 200; ++i) {
    const n = 1 + Math.floor(rand() * 400);
    const b = Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    if (i % 2 === 0 && n > 8) new DataView(b.buffer).setBigUint64(0, BigInt(Math.floor(rand() * (n - 8))), true);
    await assert.rejects(loadModel(b), Error);
  }
});

test('rejects every truncation of a small GAN file', async () => {
  const g = makeGan({ latent: 2, generatorHidden: [3], discriminatorHidden: [2], image: 16, seed: 9 }).bytes;
  for (let cut = 0; cut < g.length; cut += 7) await assert.rejects(loadModel(g.subarray(0, cut)), Error);
  const m = await loadModel(g);  // while the whole file loads
  assert.equal(m.info.kind, 'gan');
  m.dispose();
});

test('after all the rejections the module still loads and samples a good file', async () => {
  const m = await loadModel(good.bytes);
  const px = m.sample(2, 1);
  assert.equal(px.length, 2 * 784);
  assert.ok(px.every((v) => v >= 0 && v <= 1));
  m.dispose();
});

test('fetching a missing URL rejects with the HTTP status', async (t) => {
  // Node 20 has fetch; serve one 404 from a throwaway server.
  const http = await import('node:http');
  const server = http.createServer((req, res) => {
    res.writeHead(404, { Connection: 'close' });
    res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const url = `http://127.0.0.1:${server.address().port}/models/nothing.safetensors`;
  await assert.rejects(loadModel(url), /404/);
});
