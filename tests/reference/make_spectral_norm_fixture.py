#!/usr/bin/python3
"""Writes tests/fixtures/spectral_norm_reference.json: torch.nn.utils.spectral_norm on a
Linear(4 → 5) for tests/unit/core/nn/test_spectral_norm.cpp (core/src/nn/spectral_norm.cpp).

Run with Debian's python3-torch (1.13), not the pyenv python:
    /usr/bin/python3 tests/reference/make_spectral_norm_fixture.py
The suite never needs torch: the JSON is committed with this script.

Start: torch.manual_seed(0); the Linear's default init, spectral_norm's own u, v; R, a fixed
5 × 4 matrix of randn. Three training-mode steps, each: forward (one power iteration updates u
and v), L = Σ R ⊙ W_sn (read through the layer's output on the identity input), backward, then
W_orig ← W_orig − 0.5 · dL/dW_orig; recorded per step: u, v after the iteration, σ = uᵀ W v,
W_sn and dL/dW_orig. Then one eval-mode forward (no power iteration): its W_sn.
All in float32, as the layer runs.
"""
import json
import os

import torch

torch.manual_seed(0)
layer = torch.nn.utils.spectral_norm(torch.nn.Linear(4, 5))
R = torch.randn(5, 4)
eye = torch.eye(4)

start = {
    "weight": layer.weight_orig.detach().flatten().tolist(),
    "u": layer.weight_u.detach().tolist(),
    "v": layer.weight_v.detach().tolist(),
}
steps = []
layer.train()
for _ in range(3):
    layer.zero_grad()
    y = layer(eye) - layer.bias  # = W_sn ᵀ
    loss = (y * R.t()).sum()
    loss.backward()
    w_sn = y.detach().t()
    u, v = layer.weight_u.detach(), layer.weight_v.detach()
    sigma = torch.dot(u, torch.mv(layer.weight_orig.detach(), v))
    steps.append({
        "u": u.tolist(), "v": v.tolist(), "sigma": sigma.item(),
        "weight_sn": w_sn.flatten().tolist(),
        "grad_weight": layer.weight_orig.grad.flatten().tolist(),
    })
    with torch.no_grad():
        layer.weight_orig -= 0.5 * layer.weight_orig.grad
layer.eval()
with torch.no_grad():
    eval_sn = (layer(eye) - layer.bias).t()

out = {"rows": 5, "cols": 4, "step_size": 0.5, "R": R.flatten().tolist(), "start": start, "steps": steps,
       "eval_weight_sn": eval_sn.flatten().tolist()}
path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures",
                    "spectral_norm_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", path)
