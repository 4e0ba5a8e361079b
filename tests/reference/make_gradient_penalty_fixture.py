#!/usr/bin/python3
"""Writes tests/fixtures/gradient_penalty_reference.json: WGAN-GP's gradient penalty and its
double backward (core/src/nn/gradient_penalty.cpp, Mlp::input_gradient[_backward]) in PyTorch,
for tests/unit/core/nn/test_gradient_penalty.cpp.

Run with Debian's python3-torch (1.13), not the pyenv python:
    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tests/reference/make_gradient_penalty_fixture.py
The suite never needs torch: the JSON is committed with this script.

Critic: models.Discriminator(image 6, hidden [5, 4], LeakyReLU 0.2) — latentlab's MLP critic
and tensor names — with PyTorch's default init under torch.manual_seed(3); interpolates x̂: 4×6
values of randn. Recorded, in float64 from the float32 start:
  g = torch.autograd.grad(D(x̂).sum(), x̂, create_graph=True)       (every row's ∇ₓD)
  P = λ · mean_i (‖g_i‖₂ − 1)²,  λ = 10
  dP/dθ for every parameter (P.backward(): the double backward; biases come out 0)
Every LeakyReLU pre-activation is at least 1e-3 away from 0 (asserted), so rounding cannot
flip a unit between the two sides.

"conv": the same for the DCGAN's BatchNorm-free critic (models/dcgan.hpp with
discriminator_batchnorm false; Dcgan::input_gradient[_backward], Conv2d::tangent_forward /
weight_gradient) on 8×8 images: Conv2d(1→3, k4 s2 p1) → LeakyReLU(0.2) → Conv2d(3→4, k4 s2 p1)
→ LeakyReLU(0.2) → Linear(4·2·2 → 1), PyTorch's default init under torch.manual_seed(5),
interpolates 3×64 values of randn, tensor names discriminator.conv1 … and discriminator.out.
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import models  # noqa: E402

LAMBDA = 10.0
torch.manual_seed(3)
critic = models.Discriminator(6, [5, 4], slope=0.2)
x32 = torch.randn(4, 6)
start = {n: p.detach().clone() for n, p in models.named('discriminator', critic)}

critic64 = critic.double()
x = x32.double().clone().requires_grad_(True)
pre = []
out = critic64(x, pre)
for a in pre:
    assert a.abs().min().item() > 1e-3, a.abs().min().item()
g, = torch.autograd.grad(out.sum(), x, create_graph=True)
penalty = LAMBDA * ((g.norm(2, dim=1) - 1) ** 2).mean()
critic64.zero_grad()
penalty.backward()

result = {
    "lambda": LAMBDA,
    "input": 6,
    "hidden": [5, 4],
    "slope": 0.2,
    "interpolates": [float(v) for v in x32.flatten().tolist()],
    "parameters": {n: [float(v) for v in t.flatten().tolist()] for n, t in start.items()},
    "scores": [float(v) for v in out.detach().flatten().tolist()],
    "input_gradients": [float(v) for v in g.detach().flatten().tolist()],
    "penalty": penalty.item(),
    "gradients": {n: [float(v) for v in (p.grad if p.grad is not None else torch.zeros_like(p)).flatten().tolist()]
                  for n, p in models.named('discriminator', critic64)},
}


class ConvCritic(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 3, 4, 2, 1)
        self.conv2 = torch.nn.Conv2d(3, 4, 4, 2, 1)
        self.out = torch.nn.Linear(4 * 2 * 2, 1)

    def forward(self, x, pre):
        h = x.view(-1, 1, 8, 8)
        for conv in (self.conv1, self.conv2):
            h = conv(h)
            pre.append(h)
            h = torch.nn.functional.leaky_relu(h, 0.2)
        return self.out(h.flatten(1))


torch.manual_seed(5)
conv_critic = ConvCritic()
cx32 = torch.randn(3, 64)
conv_start = {"discriminator." + n: p.detach().clone() for n, p in conv_critic.named_parameters()}
conv64 = conv_critic.double()
cx = cx32.double().clone().requires_grad_(True)
pre = []
cout = conv64(cx, pre)
for a in pre:
    assert a.abs().min().item() > 1e-3, a.abs().min().item()
cg, = torch.autograd.grad(cout.sum(), cx, create_graph=True)
cpenalty = LAMBDA * ((cg.norm(2, dim=1) - 1) ** 2).mean()
conv64.zero_grad()
cpenalty.backward()
result["conv"] = {
    "image": 64,
    "channels": [3, 4],
    "slope": 0.2,
    "interpolates": [float(v) for v in cx32.flatten().tolist()],
    "parameters": {n: [float(v) for v in t.flatten().tolist()] for n, t in conv_start.items()},
    "scores": [float(v) for v in cout.detach().flatten().tolist()],
    "input_gradients": [float(v) for v in cg.detach().flatten().tolist()],
    "penalty": cpenalty.item(),
    "gradients": {"discriminator." + n: [float(v) for v in (p.grad if p.grad is not None else torch.zeros_like(p)).flatten().tolist()]
                  for n, p in conv64.named_parameters()},
}

path = os.path.join(os.path.dirname(HERE), "fixtures", "gradient_penalty_reference.json")
with open(path, "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")
print("wrote", path)
