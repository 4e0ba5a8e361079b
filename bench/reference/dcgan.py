"""PyTorch reference for the DCGAN benchmark: the same model, batch and optimizer as
`latentlab train --model dcgan` (defaults): G z(100) → Linear → 128×7×7 → BN → ReLU →
ConvT(128→64, k4 s2 p1) → BN → ReLU → ConvT(64→1) → tanh; D Conv(1→64) → LeakyReLU(0.2) →
Conv(64→128) → BN → LeakyReLU(0.2) → Linear(6272→1) (models.Dcgan from tests/reference/models.py,
bias=False before each BatchNorm as the PyTorch DCGAN example); DCGAN init N(0, 0.02), BN γ ~
N(1, 0.02), β = 0; Adam(lr 2e-4, betas 0.5/0.999) for each; batch 64, incomplete last batch
dropped; images in [−1, 1]. One step as the example: D on the real batch, then on the detached
fake batch (each its own BatchNorm batch), then G with the non-saturating loss, D's parameters
frozen for the G step (no D weight gradients, as latentlab does).

Run on OpenBLAS (see scripts/bench):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX \\
      /usr/bin/python3 bench/reference/dcgan.py --threads 1 --epochs 1 --limit 6400
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import models  # noqa: E402
from mnist import load_train_images, parse_args, run  # noqa: E402

BATCH, LATENT = 64, 100


def weights_init(m):
    """The PyTorch DCGAN example's init (Linear added: latentlab's fc and out are N(0, 0.02) too)."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def train_step(G, D, opt_g, opt_d, real, z):
    """One step of the example's recipe (module docstring): D on the real and on the detached fake
    batch, then G's non-saturating step through D with D's parameters frozen. → (L_D, L_G)."""
    fake = G(z)
    loss_d = F.softplus(-D(real)).mean() + F.softplus(D(fake.detach())).mean()
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    D.requires_grad_(False)
    loss_g = F.softplus(-D(fake)).mean()
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    D.requires_grad_(True)
    return loss_d, loss_g


def main():
    args = parse_args("PyTorch DCGAN epoch timing", 1)
    images = load_train_images(args.data, 2.0, -1.0)
    if args.limit:
        images = images[: args.limit]
    n = images.shape[0]
    torch.manual_seed(args.seed)
    gan = models.Dcgan({"image": 784, "latent": LATENT, "generator_channels": [128, 64],
                        "discriminator_channels": [64, 128], "leaky_slope": 0.2})
    gan.apply(weights_init)
    G, D = gan.generator, gan.discriminator
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    steps = n // BATCH

    def epoch():
        total = 0.0
        order = torch.randperm(n)
        for s in range(steps):
            loss_d, _ = train_step(G, D, opt_g, opt_d, images[order[s * BATCH:(s + 1) * BATCH]],
                                   torch.randn(BATCH, LATENT))
            total += loss_d.item()
        return total / max(steps, 1)

    run("dcgan", args, epoch, steps, steps * BATCH)


if __name__ == "__main__":
    main()
