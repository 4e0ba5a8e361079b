#!/usr/bin/python3
"""Writes the DCGAN the browser benchmark (scripts/bench-web) runs, and PyTorch's losses of two
training steps on it, which the tfjs DCGAN step must reproduce before its timing counts.

   /usr/bin/python3 bench/web/make_dcgan.py OUT_DIR [data/mnist]

OUT_DIR/dcgan.safetensors: `latentlab train --model dcgan`'s default architecture (G: Linear
100→6272 viewed 128×7×7, BN, ReLU, ConvT 128→64 k4 s2 p1, BN, ReLU, ConvT 64→1, tanh; D: Conv
1→64, LeakyReLU 0.2, Conv 64→128, BN, LeakyReLU, Linear 6272→1), generator and discriminator,
F32, written by tools/latentlab_torch.py. Its weights are the PyTorch DCGAN example's init
(N(0, 0.02), BN γ ~ N(1, 0.02)) with seeded random BN running statistics, so that eval-mode
BatchNorm is not the identity: speed does not depend on the values, and the agreement checks
then see every layer. The biases latentlab holds at 0 (a conv that BatchNorm follows) stay 0.

OUT_DIR/dcgan_step_reference.json: latents z for two steps (64 × 100 each), and PyTorch's D and
G losses of those two steps from the file's weights on the first 64 MNIST training images
(pixels 2p − 1), with the recipe of bench/reference/dcgan.py (D on the real and on the fake batch,
each its own BatchNorm batch, BCE on logits, mean over the batch; D frozen for G's non-saturating
step; Adam lr 2e-4, β 0.5/0.999, ε 1e-8 for each). Step 2's losses depend on step 1's gradients
and Adam updates. Debian's python3-torch (1.13) only; build outputs, never committed.
"""
import json
import os
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tools"))
sys.path.insert(0, str(HERE.parent / "reference"))
import latentlab_torch as lt  # noqa: E402
from dcgan import train_step  # noqa: E402  (bench/reference/dcgan.py: the recipe the step follows)
from mnist import load_train_images  # noqa: E402

BATCH, LATENT, STEPS, SEED = 64, 100, 2, 15


def dcgan_module():
    meta = lt.dcgan_metadata(784, LATENT, [128, 64], [64, 128])
    model = lt.build_module(meta, ["discriminator.out.weight"])
    torch.manual_seed(SEED)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".bn" in name:  # γ ~ N(1, 0.02), β = 0
                p.copy_(torch.normal(1.0, 0.02, p.shape) if name.endswith("weight") else torch.zeros(p.shape))
            else:  # weights and biases ~ N(0, 0.02)
                p.copy_(torch.normal(0.0, 0.02, p.shape))
        for name in model.biases_held_at_zero():
            model.get_parameter(name).zero_()
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.normal(0.0, 0.1, b.shape))
            elif name.endswith("running_var"):
                b.copy_(torch.empty(b.shape).uniform_(0.5, 2.0))
    return model, meta


def two_steps(model, real, latents):
    """[(d_loss, g_loss)] of each step (bench/reference/dcgan.py's train_step)."""
    G, D = model.generator, model.discriminator
    G.train()
    D.train()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    losses = []
    for z in latents:
        loss_d, loss_g = train_step(G, D, opt_g, opt_d, real, z)
        losses.append((loss_d.item(), loss_g.item()))
    return losses


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    out = Path(sys.argv[1])
    data = sys.argv[2] if len(sys.argv) == 3 else "data/mnist"
    out.mkdir(parents=True, exist_ok=True)
    model, meta = dcgan_module()
    path = out / "dcgan.safetensors"
    lt.save_module(str(path), model.eval(), meta, dtype="F32")
    print(f"make_dcgan: {path} ({path.stat().st_size} bytes)")

    model, _ = lt.load_module(str(path))  # the file's values, as every framework reads them
    torch.manual_seed(SEED + 1)
    latents = [torch.randn(BATCH, LATENT) for _ in range(STEPS)]
    losses = two_steps(model, load_train_images(data, 2.0, -1.0)[:BATCH], latents)
    reference = {
        "about": "bench/web/make_dcgan.py: PyTorch 1.13's losses of two DCGAN steps on dcgan.safetensors",
        "batch": BATCH, "latent": LATENT,
        "z": [z.flatten().tolist() for z in latents],
        "d_loss": [d for d, _ in losses], "g_loss": [g for _, g in losses],
    }
    ref = out / "dcgan_step_reference.json"
    ref.write_text(json.dumps(reference))
    print(f"make_dcgan: {ref} (losses D {reference['d_loss']}, G {reference['g_loss']})")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
