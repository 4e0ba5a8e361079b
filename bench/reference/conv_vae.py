"""PyTorch reference for the conv VAE benchmark and quality bar: the same model, batch and
optimizer as `latentlab train --model conv-vae` (defaults): encoder Conv(1→32, k4 s2 p1) ReLU →
Conv(32→64) ReLU → Linear(3136→256) ReLU → μ, logvar (20); decoder Linear(20→256) ReLU →
Linear(256→3136) ReLU → ConvT(64→32) ReLU → ConvT(32→1) → logits (models.ConvVae from
tests/reference/models.py, PyTorch's default init); loss BCE(sum) + KL(sum); Adam(lr 1e-3);
batch 128, last partial batch kept; pixels in [0, 1].

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX \\
      /usr/bin/python3 bench/reference/conv_vae.py --threads 1 --epochs 1
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import models  # noqa: E402
from mnist import load_train_images, parse_args, run  # noqa: E402

BATCH, CHANNELS, FC, LATENT = 128, [32, 64], 256, 20


def main():
    args = parse_args("PyTorch conv VAE epoch timing", 1)
    images = load_train_images(args.data, 1.0, 0.0)
    if args.limit:
        images = images[: args.limit]
    n = images.shape[0]
    torch.manual_seed(args.seed)
    model = models.ConvVae(784, CHANNELS, FC, LATENT)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def epoch():
        total = 0.0
        order = torch.randperm(n)
        for first in range(0, n, BATCH):
            x = images[order[first:first + BATCH]]
            loss = model(x, torch.randn(x.shape[0], LATENT))["loss"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
        return total / n

    run("conv-vae", args, epoch, (n + BATCH - 1) // BATCH, n)


if __name__ == "__main__":
    main()
