#!/usr/bin/python3
"""Round trip latentlab ⇄ PyTorch through tools/latentlab_torch.py (a scripts/test stage).

    tools/test_roundtrip.py [path/to/latentlab]      (default build/native/bin/latentlab)

Checks, each against the latentlab CLI run here:
  latentlab → PyTorch   the shipped F16 VAE and GAN (web/models) and classifier load strictly into
                        torch modules; `sample --seed S` is reproduced: z bit for bit, pixels ≤ 1e-5
  PyTorch → latentlab   random modules written by the tool (the pytorch/examples VAE through its
                        fc1/fc21/fc22/fc3/fc4 mapping; a BatchNorm GAN with PyTorch's I64
                        num_batches_tracked; a plain generator-only GAN; F16) are read by
                        `latentlab sample`, same z, pixels ≤ 1e-5; file → module → file is exact
  strictness            a file with an extra tensor is refused by the CLI naming it, and read with
                        --allow-extra-tensors; a GAN file without generator_batchnorm is refused
Prints one line per check and "N passed, M failed"; exits 1 on any failure.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import latentlab_torch as lt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOLERANCE = 1e-5
results = {"passed": 0, "failed": 0}


def check(ok, what):
    results["passed" if ok else "failed"] += 1
    print(("ok    " if ok else "FAIL  ") + what, flush=True)


def run(args):
    return subprocess.run([LATENTLAB] + args, capture_output=True, text=True)


def cli_sample(path, seed, n, extra=()):
    out = os.path.join(TMP, "raw.json")
    r = run(["sample", "--weights", path, "--seed", str(seed), "--n", str(n), "--raw", out] + list(extra))
    if r.returncode != 0:
        raise RuntimeError(f"latentlab sample {path}: {r.stderr.strip()}")
    with open(out) as f:
        return json.load(f), r.stderr


def compare_sample(path, module, seed, n, what):
    """`latentlab sample` of `path` against `module` (the same weights in PyTorch)."""
    ours, _ = cli_sample(path, seed, n)
    z = lt.sample_latents(seed, n, module.latent)
    z_cli = np.array(ours["latents"], dtype=np.float32).reshape(z.shape)
    check(z.tobytes() == z_cli.tobytes(), f"{what}: z of seed {seed} bit for bit ({z.size} values)")
    with torch.no_grad():
        pixels = module.decode(torch.from_numpy(z)).numpy()
    diff = float(np.abs(pixels.ravel() - np.array(ours["pixels"], dtype=np.float32)).max())
    check(diff <= TOLERANCE, f"{what}: pixels of seed {seed}, max |latentlab − PyTorch| = {diff:.2e} (≤ {TOLERANCE:g})")


class ExampleVAE(nn.Module):
    """pytorch/examples vae/main.py, verbatim layer names."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def decode(self, z):
        h3 = torch.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))


def randomise_batchnorm(module, generator):
    for m in module.modules():
        if isinstance(m, nn.BatchNorm1d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5, generator=generator)
                m.bias.uniform_(-0.2, 0.2, generator=generator)
                m.running_mean.uniform_(-0.3, 0.3, generator=generator)
                m.running_var.uniform_(0.5, 2.0, generator=generator)
            m.num_batches_tracked.fill_(1234)


def latentlab_to_pytorch():
    for name in ("vae", "gan"):
        path = os.path.join(ROOT, "web", "models", f"{name}.safetensors")
        module, meta = lt.load_module(path)
        check(True, f"{name} (F16, web/models): loaded strictly into {type(module).__name__}")
        compare_sample(path, module, seed=7, n=16, what=f"{name} F16 → PyTorch")
        compare_sample(path, module, seed=2**40 + 3, n=3, what=f"{name} F16 → PyTorch")
    for name in ("mnist", "fashion"):
        path = os.path.join(ROOT, "native", "models", f"classifier-{name}.safetensors")
        module, _ = lt.load_module(path)
        check(isinstance(module, lt.Classifier), f"classifier-{name}: loaded strictly into Classifier")


def pytorch_to_latentlab():
    g = torch.Generator().manual_seed(17)
    torch.manual_seed(17)

    # The pytorch/examples VAE through the name mapping, and back.
    example = ExampleVAE().eval()
    path = os.path.join(TMP, "example_vae.safetensors")
    lt.save_example_vae(path, example.state_dict())
    info = run(["info", "--json", path])
    check(info.returncode == 0 and json.loads(info.stdout)["notes"] == [],
          "pytorch/examples VAE → latentlab: `latentlab info` loads it with no note " + info.stderr.strip())
    example.latent = 20
    compare_sample(path, example, seed=5, n=8, what="pytorch/examples VAE → latentlab")
    _, tensors = lt.read_safetensors(path)
    back = lt.latentlab_to_example_vae({k: v for k, (_, v) in tensors.items()})
    same = all(torch.equal(back[k], v) for k, v in example.state_dict().items())
    check(same and set(back) == set(example.state_dict()), "latentlab → pytorch/examples VAE names: exact state_dict")

    # A BatchNorm GAN as PyTorch saves it: num_batches_tracked (I64) included.
    meta = lt.gan_metadata(784, 16, [32, 64, 128], [64, 32], batchnorm_eps=0.8)
    gan = lt.build_module(meta, ["discriminator.out.weight"])
    randomise_batchnorm(gan, g)
    path = os.path.join(TMP, "gan_bn.safetensors")
    lt.save_module(path, gan, meta, keep_counters=True)
    _, stderr = cli_sample(path, 1, 2)
    check("skipped tensor \"generator.fc2.bn.num_batches_tracked\" (I64 [])" in stderr,
          "BatchNorm GAN with I64 num_batches_tracked: latentlab reads it, skipping the counters with a note")
    compare_sample(path, gan, seed=11, n=8, what="BatchNorm GAN → latentlab")
    again, _ = lt.load_module(path)
    check(all(torch.equal(a, b) for a, b in zip(gan.state_dict().values(), again.state_dict().values()) if a.dtype != torch.long),
          "BatchNorm GAN: module → file → module is exact")

    # A plain generator-only GAN, F16.
    meta = lt.gan_metadata(64, 5, [12], [8], leaky=False, batchnorm=False)
    plain = lt.build_module(meta)
    with torch.no_grad():
        plain.generator.out.weight.mul_(2.0)
    path = os.path.join(TMP, "gan_plain_f16.safetensors")
    lt.save_module(path, plain, meta, dtype="F16")
    f16, _ = lt.load_module(path)  # the module holding the F16-rounded values latentlab reads
    compare_sample(path, f16, seed=3, n=4, what="plain generator-only GAN (F16) → latentlab")
    return path


def strictness(plain_path):
    meta, tensors = lt.read_safetensors(plain_path)
    extra = {k: v for k, (_, v) in tensors.items()}
    extra["generator.fc1.weight_orig"] = np.zeros((2, 2), np.float32)
    path = os.path.join(TMP, "extra.safetensors")
    lt.write_safetensors(path, extra, meta)
    r = run(["sample", "--weights", path, "--n", "1", "--raw", os.path.join(TMP, "x.json")])
    check(r.returncode == 1 and "\"generator.fc1.weight_orig\"" in r.stderr,
          "an extra tensor: `latentlab sample` refuses the file, naming it")
    r = run(["sample", "--weights", path, "--n", "1", "--raw", os.path.join(TMP, "x.json"), "--allow-extra-tensors"])
    check(r.returncode == 0 and "ignored tensor \"generator.fc1.weight_orig\"" in r.stderr,
          "an extra tensor: read with --allow-extra-tensors, with a note")
    del meta["generator_batchnorm"]
    lt.write_safetensors(path, {k: v for k, (_, v) in tensors.items()}, meta)
    r = run(["info", path])
    check(r.returncode == 1 and "generator_batchnorm" in r.stderr,
          "a GAN file without generator_batchnorm: refused, naming the key")


if __name__ == "__main__":
    LATENTLAB = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/native/bin/latentlab"))
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as TMP:
        latentlab_to_pytorch()
        plain = pytorch_to_latentlab()
        strictness(plain)
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)
