"""PyTorch reference for the GAN benchmark: the same model, batch and optimizer as
`latentlab train --model gan` (defaults, the "stable" generator): G 100-128-256-512-1024-784
with LeakyReLU(0.2), BatchNorm (eps 1e-5, momentum 0.1) after every hidden Linear but the
first, tanh output; D 784-1024-512-256-1 with LeakyReLU(0.2); Adam(lr 2e-4, betas 0.5/0.999)
for each; batch 64, incomplete last batch dropped; images mapped to [−1, 1]. One step: D on
real and detached fake images as one batch of 128 (L_D = mean softplus(−D(real)) + mean
softplus(D(fake))), then G with the non-saturating loss mean softplus(−D(G(z))), D's
parameters frozen so no D gradients are computed for the G step (as latentlab does). The models
are models.Gan from tests/reference/models.py (latentlab's layer names).

Run on OpenBLAS (see scripts/bench):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX \\
      /usr/bin/python3 bench/reference/gan.py --threads 1 --epochs 3
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import models  # noqa: E402  (tests/reference/models.py: the one PyTorch VAE / GAN / classifier)
from mnist import load_train_images, parse_args, run  # noqa: E402

BATCH, LATENT = 64, 100
G_HIDDEN, D_HIDDEN = [128, 256, 512, 1024], [1024, 512, 256]


def main():
    args = parse_args("PyTorch GAN epoch timing", 3)
    images = load_train_images(args.data, 2.0, -1.0)
    if args.limit:
        images = images[: args.limit]
    n = images.shape[0]
    torch.manual_seed(args.seed)
    gan = models.Gan({"image": 784, "latent": LATENT, "generator_hidden": G_HIDDEN, "discriminator_hidden": D_HIDDEN,
                      "leaky_slope": 0.2, "generator_leaky": True, "generator_batchnorm": True, "batchnorm_eps": 1e-5})
    G, D = gan.generator, gan.discriminator
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    steps = n // BATCH

    def epoch():
        total = 0.0
        order = torch.randperm(n)
        for s in range(steps):
            real = images[order[s * BATCH:(s + 1) * BATCH]]
            fake = G(torch.randn(BATCH, LATENT))
            logits = D(torch.cat([real, fake.detach()]))
            loss_d = F.softplus(-logits[:BATCH]).mean() + F.softplus(logits[BATCH:]).mean()
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            D.requires_grad_(False)
            loss_g = F.softplus(-D(fake)).mean()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            D.requires_grad_(True)
            total += loss_d.item()
        return total / max(steps, 1)

    run("gan", args, epoch, steps, steps * BATCH)


if __name__ == "__main__":
    main()
