#!/usr/bin/python3
"""Writes tests/fixtures/gan_objectives_reference.json: the four GAN objectives of
core/src/nn/gan_objectives.cpp (bce, lsgan, hinge, wgan-gp's critic loss), written here in
PyTorch's own terms, with their gradients from torch.autograd, for tests/unit/core/nn/test_gan_objectives.cpp.

Run with Debian's python3-torch (1.13), not the pyenv python:
    /usr/bin/python3 tests/reference/make_gan_objectives_fixture.py
The suite never needs torch: the JSON is committed with this script.

Scores: 7 real and 7 fake float32 values (torch.manual_seed(0), randn * 2), none within 0.05
of hinge's kinks at ±1 (asserted), so no subgradient choice matters. Everything is computed in
float64 from those float32 values:
  bce    L_D = BCEWithLogits(real, 1) + BCEWithLogits(fake, 0) (means), L_G = BCEWithLogits(fake, 1)
  lsgan  L_D = ½ MSE(real, 1) + ½ MSE(fake, 0),                       L_G = ½ MSE(fake, 1)
  hinge  L_D = mean relu(1 − real) + mean relu(1 + fake),             L_G = −mean fake
  wgan   L_D = mean fake − mean real,                                 L_G = −mean fake
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
real32 = (torch.randn(7) * 2).float()
fake32 = (torch.randn(7) * 2).float()
for s in torch.cat([real32, fake32]).tolist():
    assert abs(abs(s) - 1.0) > 0.05, s


def d_losses(real, fake):
    ones, zeros = torch.ones_like(real), torch.zeros_like(fake)
    return {
        "bce": F.binary_cross_entropy_with_logits(real, ones) + F.binary_cross_entropy_with_logits(fake, zeros),
        "lsgan": 0.5 * F.mse_loss(real, ones) + 0.5 * F.mse_loss(fake, zeros),
        "hinge": torch.relu(1 - real).mean() + torch.relu(1 + fake).mean(),
        "wgan-gp": fake.mean() - real.mean(),
    }


def g_losses(fake):
    return {
        "bce": F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake)),
        "lsgan": 0.5 * F.mse_loss(fake, torch.ones_like(fake)),
        "hinge": -fake.mean(),
        "wgan-gp": -fake.mean(),
    }


out = {"real": real32.tolist(), "fake": fake32.tolist(), "objectives": {}}
for name in ["bce", "lsgan", "hinge", "wgan-gp"]:
    real = real32.double().clone().requires_grad_(True)
    fake = fake32.double().clone().requires_grad_(True)
    ld = d_losses(real, fake)[name]
    ld.backward()
    fake_g = fake32.double().clone().requires_grad_(True)
    lg = g_losses(fake_g)[name]
    lg.backward()
    out["objectives"][name] = {
        "d_loss": ld.item(),
        "d_grad_real": real.grad.tolist(),
        "d_grad_fake": fake.grad.tolist(),
        "g_loss": lg.item(),
        "g_grad_fake": fake_g.grad.tolist(),
    }
path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures",
                    "gan_objectives_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", path)
