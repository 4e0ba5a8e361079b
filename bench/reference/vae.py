"""PyTorch reference for the VAE benchmark: the same model, batch, optimizer and loss as
`latentlab train --model vae` (defaults): MLP 784-400-(20 μ, 20 logvar) encoder, 20-400-784
decoder, ReLU, logits + BCE-with-logits summed over pixels, closed-form KL, logvar clamped to
±30, Adam(lr 1e-3, betas 0.9/0.999), batch 128 with the last partial batch kept, shuffled
every epoch. Prints one JSON line (per-epoch seconds, mean loss per image). The model is
models.Vae from tests/reference/models.py (latentlab's layer names).

Run on OpenBLAS (see scripts/bench):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX \\
      /usr/bin/python3 bench/reference/vae.py --threads 1 --epochs 3
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import models  # noqa: E402  (tests/reference/models.py: the one PyTorch VAE / GAN / classifier)
from mnist import load_train_images, parse_args, run  # noqa: E402

BATCH, HIDDEN, LATENT = 128, 400, 20


def main():
    args = parse_args("PyTorch VAE epoch timing", 3)
    images = load_train_images(args.data, 1.0, 0.0)
    if args.limit:
        images = images[: args.limit]
    n = images.shape[0]
    torch.manual_seed(args.seed)
    model = models.Vae(784, [HIDDEN], LATENT)
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

    run("vae", args, epoch, (n + BATCH - 1) // BATCH, n)


if __name__ == "__main__":
    main()
