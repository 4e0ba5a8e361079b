#!/usr/bin/python3
"""Why a conditional VAE's samples miss the class they are asked for (docs/evaluation.md,
"Why the conditional VAEs draw the wrong class").

    tools/cvae_diagnostics.py WEIGHTS [--data data/mnist] [--classifier FILE] [--n 10000] [--seed 1]

WEIGHTS is a conditional vae or conv-vae file (`latentlab train --model vae|conv-vae --conditional`);
the judge is the shipped classifier, as in `latentlab eval`. Prints, each a mean over the classes and
the worst class (accuracy = of the images meant to be class c, the fraction the classifier calls c):

  prior, temperature t   z = t·ε, ε ~ N(0, I) (torch's generator, not latentlab's stream, so t = 1 is
                         `eval`'s conditional accuracy up to the draw), decoded with the asked label
  reconstructions        test images encoded and decoded with their own label (z = μ, and z sampled)
  label swap             z = μ of a test image, decoded with another (random) label: how often the
                         label wins over what z says
  class in z             a least-squares linear probe of y from μ (fit on 10,000 training images)
  q(z|y) vs the prior    per class, KL(N(m_y, C_y) ‖ N(0, I)) of a Gaussian fitted to the sampled z of
                         that class's test images: the prior's mass that class y's decoder never saw
  confusions             for each asked class, what its wrong prior samples (t = 1) are taken for

Needs Debian's python3-torch and python3-numpy; runs in seconds on one thread.
"""
import argparse
import gzip
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import latentlab_torch as lt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_idx(path):
    """An IDX file (plain or gzip) as a numpy array of its shape."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    (magic,) = struct.unpack(">I", data[:4])
    dims = struct.unpack(">" + "I" * (magic & 0xFF), data[4:4 + 4 * (magic & 0xFF)])
    return np.frombuffer(data[4 + 4 * len(dims):], np.uint8).reshape(dims)


def images_and_labels(directory, split, n=None):
    """(n × 784 float pixels in [0, 1], n labels) of the IDX split 'train' or 't10k'."""
    x = read_idx(os.path.join(directory, f"{split}-images-idx3-ubyte"))
    y = read_idx(os.path.join(directory, f"{split}-labels-idx1-ubyte"))
    x, y = x[:n], y[:n]
    return (torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / 255),
            torch.from_numpy(y.astype(np.int64)))


class Judge:
    """The classifier's verdict on images meant to be of given classes."""

    def __init__(self, classifier, classes):
        self.classifier, self.classes = classifier, classes

    def predict(self, pixels):
        with torch.no_grad():
            p = self.classifier(pixels).softmax(1)
        return p.argmax(1), p.max(1).values.mean().item()

    def line(self, pixels, meant):
        predicted, confidence = self.predict(pixels)
        per = [(predicted[meant == c] == c).float().mean().item() for c in range(self.classes)]
        worst = int(np.argmin(per))
        return (f"mean {100 * np.mean(per):.1f} %  worst {100 * per[worst]:.1f} % (class {worst})  "
                f"confidence {confidence:.3f}")


def gaussian_kl_to_prior(z):
    """KL(N(m, C) ‖ N(0, I)) of the Gaussian fitted to the rows of z (n × d)."""
    z = z.double()
    d = z.shape[1]
    m = z.mean(0)
    c = torch.cov(z.T).reshape(d, d)
    return 0.5 * (torch.trace(c) + m @ m - d - torch.logdet(c)).item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("weights")
    parser.add_argument("--data", default=os.path.join(ROOT, "data", "mnist"), help="directory of the IDX files")
    parser.add_argument("--classifier", default=os.path.join(ROOT, "native", "models", "classifier-mnist.safetensors"))
    parser.add_argument("--n", type=int, default=10000, help="prior samples (asked for class k mod classes)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)

    model, _ = lt.load_module(args.weights)
    if not hasattr(model, "encode") or getattr(model, "classes", 0) == 0:  # a VAE's module encodes
        parser.error(f"{args.weights}: not a conditional VAE (train --model vae|conv-vae --conditional)")
    classifier, _ = lt.load_module(args.classifier)
    model.eval()
    classifier.eval()
    judge = Judge(classifier, model.classes)
    x, y = images_and_labels(args.data, "t10k")
    x_fit, y_fit = images_and_labels(args.data, "train", 10000)
    g = torch.Generator().manual_seed(args.seed)

    with torch.no_grad():
        eps = torch.randn(args.n, model.latent, generator=g)
        asked = torch.arange(args.n) % model.classes
        for t in (0.0, 0.5, 0.75, 1.0):
            print(f"prior, temperature {t:<4}           {judge.line(model.decode(t * eps, asked), asked)}")
        mu, logvar = model.encode(x, y)
        std = (0.5 * logvar).exp()
        z = mu + std * torch.randn(std.shape, generator=g)
        print(f"reconstructions, z = mu          {judge.line(model.decode(mu, y), y)}")
        print(f"reconstructions, z sampled       {judge.line(model.decode(z, y), y)}")
        other = (y + 1 + torch.randint(0, model.classes - 1, y.shape, generator=g)) % model.classes
        print(f"label swap (mu, another label)   {judge.line(model.decode(mu, other), other)}")

        mu_fit, _ = model.encode(x_fit, y_fit)
        ones = torch.ones(len(mu_fit), 1)
        w = torch.linalg.lstsq(torch.cat([mu_fit, ones], 1),
                               torch.nn.functional.one_hot(y_fit, model.classes).float()).solution
        probe = (torch.cat([mu, torch.ones(len(mu), 1)], 1) @ w).argmax(1)
        print(f"class in z: linear probe of y from mu, test accuracy {100 * (probe == y).float().mean().item():.1f} % "
              f"(chance {100 / model.classes:.0f} %)")
        kl_dims = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).mean(0)
        print(f"KL per latent dimension (test mean), active (> 0.1 nats): {int((kl_dims > 0.1).sum())} of {model.latent}")
        kls = [gaussian_kl_to_prior(z[y == c]) for c in range(model.classes)]
        print("q(z|y) vs N(0, I): KL of the Gaussian fit, nats  " +
              "  ".join(f"{c}: {k:.2f}" for c, k in enumerate(kls)))

        predicted, _ = judge.predict(model.decode(eps, asked))
        for c in range(model.classes):
            wrong = predicted[(asked == c) & (predicted != c)]
            if len(wrong) == 0:
                continue
            counts = torch.bincount(wrong, minlength=model.classes)
            top = [f"{int(k)} ×{int(counts[k])}" for k in counts.argsort(descending=True)[:3] if counts[k] > 0]
            print(f"asked {c}: {len(wrong)} of {int((asked == c).sum())} wrong, taken for " + ", ".join(top))


if __name__ == "__main__":
    main()
