"""PyTorch reference for the VAE benchmark: the same model, batch, optimizer and loss as
`latentlab train --model vae` (defaults): MLP 784-400-(20 μ, 20 logvar) encoder, 20-400-784
decoder, ReLU, logits + BCE-with-logits summed over pixels, closed-form KL, logvar clamped to
±30, Adam(lr 1e-3, betas 0.9/0.999), batch 128 with the last partial batch kept, shuffled
every epoch. Prints one JSON line (per-epoch seconds, mean loss per image).

Run on OpenBLAS (see scripts/bench):
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX \\
      /usr/bin/python3 bench/reference/vae.py --threads 1 --epochs 3
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mnist import load_train_images, parse_args, run

BATCH, HIDDEN, LATENT = 128, 400, 20


class Vae(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, HIDDEN)
        self.mu = nn.Linear(HIDDEN, LATENT)
        self.logvar = nn.Linear(HIDDEN, LATENT)
        self.dec1 = nn.Linear(LATENT, HIDDEN)
        self.out = nn.Linear(HIDDEN, 784)

    def loss(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.mu(h), self.logvar(h).clamp(-30.0, 30.0)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        logits = self.out(F.relu(self.dec1(z)))
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu * mu - logvar.exp())
        return recon + kl


def main():
    args = parse_args("PyTorch VAE epoch timing", 3)
    images = load_train_images(args.data, 1.0, 0.0)
    if args.limit:
        images = images[: args.limit]
    n = images.shape[0]
    torch.manual_seed(args.seed)
    model = Vae()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def epoch():
        total = 0.0
        order = torch.randperm(n)
        for first in range(0, n, BATCH):
            x = images[order[first:first + BATCH]]
            loss = model.loss(x)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
        return total / n

    run("vae", args, epoch, (n + BATCH - 1) // BATCH, n)


if __name__ == "__main__":
    main()
