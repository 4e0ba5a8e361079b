// A metadata float in the page's module is parsed by the browser (web/latentlab.js answers the
// module's ll_parse_decimal import with Number()), natively by strtod: the same grammar decides
// what is accepted (tests/unit/core/io/test_metadata.cpp runs these cases natively).
import test from 'node:test';
import assert from 'node:assert/strict';

import { loadModel } from './runtime.mjs';
import { makeVae } from './weights.mjs';

const vaeWithBeta = (beta) => makeVae({ hidden: [8], latent: 3, seed: 4, extraMetadata: { beta } }).bytes;

test('plain decimals are read as metadata floats', async () => {
  for (const beta of ['0.2', '2e-1', '2E-1', '+0.2', '1e-05', '0.00001', '.5', '5.', '0', '0.30000001192092896', '1e3']) {
    const model = await loadModel(vaeWithBeta(beta));
    assert.equal(model.info.metadata.beta, beta);
    model.dispose();
  }
});

test('anything else is refused, naming the key', async () => {
  for (const beta of ['', ' 0.2', '0.2 ', '0x1p-3', 'inf', 'nan', 'Infinity', '0b11', '-', '.', 'e5', '1e', '1e99999',
    '0.1234567890123456789012', '1,5', '-1']) {
    await assert.rejects(loadModel(vaeWithBeta(beta)), /metadata "beta"/, `beta "${beta}"`);
  }
});
