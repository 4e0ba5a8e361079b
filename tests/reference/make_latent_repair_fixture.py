#!/usr/bin/python3
"""Writes tests/fixtures/latent_repair_reference.json: the latent repair's objective and its
gradient with respect to z (core/src/infer/latent_repair.cpp, LatentRepair::gradient) in PyTorch,
for tests/unit/core/infer/test_latent_repair.cpp.

Run with Debian's python3-torch (1.13), not the pyenv python:
    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tests/reference/make_latent_repair_fixture.py

Model: models.Vae(input 12, hidden [6, 5], latent 3, classes 3) — latentlab's conditional VAE and
tensor names — with PyTorch's default init under torch.manual_seed(11). Images: 4 rows of x in
[0, 1], pixel weights m (mostly 0/1, some fractional), labels, z of randn, prior weight λ = 0.7.
Recorded, in float64 from the float32 values:
  logits = decoder([z | onehot(y)])
  L = Σ m ⊙ BCE_with_logits(logits, x) + ½ λ ‖z‖²
  dL/dz = torch.autograd.grad(L, z)
Every decoder ReLU pre-activation is at least 1e-3 away from 0 (asserted), so rounding cannot
flip a unit between PyTorch and latentlab.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import models  # noqa: E402

INPUT, HIDDEN, LATENT, CLASSES, N, PRIOR = 12, [6, 5], 3, 3, 4, 0.7
torch.manual_seed(11)
vae = models.Vae(INPUT, HIDDEN, LATENT, classes=CLASSES)
start = {n: p.detach().clone() for n, p in vae.named_parameters()}
x32 = torch.rand(N, INPUT)
mask32 = (torch.rand(N, INPUT) < 0.6).float()
mask32[0, :4] = torch.tensor([0.25, 0.5, 0.75, 1.0])
labels = torch.tensor([0, 2, 1, 2])
z32 = torch.randn(N, LATENT)

vae64 = vae.double()
z = z32.double().clone().requires_grad_(True)
pre = []
logits = vae64.decoder(models.with_labels(z, labels, CLASSES), pre)
for a in pre:
    assert a.abs().min().item() > 1e-3, a.abs().min().item()
x, mask = x32.double(), mask32.double()
recon = (mask * F.binary_cross_entropy_with_logits(logits, x, reduction='none')).sum()
prior = 0.5 * PRIOR * (z ** 2).sum()
grad_z, = torch.autograd.grad(recon + prior, z)

floats = lambda t: [float(v) for v in t.detach().flatten().tolist()]  # noqa: E731
result = {
    "input": INPUT, "hidden": HIDDEN, "latent": LATENT, "classes": CLASSES, "prior": PRIOR,
    "parameters": [{"name": n, "shape": list(t.shape), "values": floats(t)} for n, t in start.items()],
    "x": floats(x32), "mask": floats(mask32), "labels": labels.tolist(), "z": floats(z32),
    "logits": floats(logits),
    "reconstruction": recon.item(), "prior_term": prior.item(), "grad_z": floats(grad_z),
}
path = os.path.join(os.path.dirname(HERE), "fixtures", "latent_repair_reference.json")
with open(path, "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")
print("wrote", path)
