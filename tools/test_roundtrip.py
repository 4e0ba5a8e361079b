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
  new kinds             dcgan, conv-vae, and the conditional vae, gan, dcgan and conv-vae: tiny models trained by the CLI in a
                        second on a random 16×16 IDX data set written here (no MNIST needed), and
                        their F16 exports, load strictly and sample alike (the same labels: k mod
                        classes, and --classes A-B); file → module → file is exact, in latentlab's
                        tensor order; random PyTorch modules of each kind, written F16, sample alike
                        in the CLI; the committed dcgan_small fixture (F16, generator only); the
                        parity fixtures' own PyTorch twins (tests/reference/models.py: a DCGAN with
                        bias=False convs, a conditional VAE, a conditional DCGAN whose projection
                        discriminator the tool's must equal, a conditional conv VAE whose encoder
                        the tool's must equal) moved by from_state_dict
  discriminators        gan and dcgan with --spectral-norm (and a conditional dcgan), dcgan --gan-loss
                        wgan-gp (no BatchNorm in D), trained by the CLI: D's mean test score in
                        summary.json (latentlab's discriminate, first 32 test images) = the tool's
                        eval-mode D within 1e-5, and the check can tell σ(stored u, v) from σ after a
                        power iteration; file → module → file exact, F32 and F16 (export with D);
                        random PyTorch modules written F16 come back from `latentlab export --dtype
                        f32` with the same tensors, names and order; one refused file each; the
                        four gan_loss values load, another is refused
  label channels        a conditional DCGAN whose D reads the label as input planes: refused by the
                        tool while the file holds D (by the metadata key), its generator-only
                        export loads and samples alike
  strictness            a file with an extra tensor is refused by the CLI naming it, and read with
                        --allow-extra-tensors; a GAN file without generator_batchnorm is refused;
                        one hazard per new kind, refused by the tool's loader and by the CLI, both
                        naming the tensor
Prints one line per check and "N passed, M failed"; exits 1 on any failure.
"""
import contextlib
import copy
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import types

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
    return subprocess.run([LATENTLAB] + args, capture_output=True, text=True, cwd=ROOT)


def cli_sample(path, seed, n, extra=()):
    out = os.path.join(TMP, "raw.json")
    r = run(["sample", "--weights", path, "--seed", str(seed), "--n", str(n), "--raw", out] + list(extra))
    if r.returncode != 0:
        raise RuntimeError(f"latentlab sample {path}: {r.stderr.strip()}")
    with open(out) as f:
        return json.load(f), r.stderr


def compare_sample(path, module, seed, n, what, classes=None):
    """`latentlab sample` of `path` against `module` (the same weights in PyTorch). A conditional
    model's labels follow the contract: image k asks for class k mod classes, or with `classes`
    (`--classes A-B`) the n latents are drawn once and decoded once per class, a row each."""
    extra = ["--classes", f"{classes[0]}-{classes[-1]}"] if classes else []
    ours, _ = cli_sample(path, seed, n, extra)
    z = lt.sample_latents(seed, n, module.latent)
    labels = None
    if classes:
        z, labels = np.concatenate([z] * len(classes)), [c for c in classes for _ in range(n)]
    elif getattr(module, "classes", 0):
        labels = [k % module.classes for k in range(n)]
    z_cli = np.array(ours["latents"], dtype=np.float32).reshape(z.shape)
    check(z.tobytes() == z_cli.tobytes(), f"{what}: z of seed {seed} bit for bit ({z.size} values)")
    if labels is not None:
        check(ours.get("labels") == labels,
              f"{what}: the CLI's labels are the contract's ({labels[:3]}…{labels[-1]})")
    with torch.no_grad():
        zt = torch.from_numpy(z)
        pixels = (module.decode(zt) if labels is None else module.decode(zt, labels)).numpy()
    diff = float(np.abs(pixels.ravel() - np.array(ours["pixels"], dtype=np.float32)).max())
    label_text = f", classes {classes[0]}-{classes[-1]}" if classes else ""
    check(diff <= TOLERANCE,
          f"{what}: pixels of seed {seed}{label_text}, max |latentlab − PyTorch| = {diff:.2e} (≤ {TOLERANCE:g})")


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
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
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
    back = lt.latentlab_to_example_vae(file_contents(path)[1])
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


# ---------------------------------------------------------------- the kinds added since: dcgan, conv-vae, conditional

SIDE = 16  # the tiny data set's images: 16 × 16, so two stride-2 layers end at 4 × 4
TINY_KINDS = {  # name → the CLI's train flags: every kind small enough to train in well under a second
    "dcgan": ["--model", "dcgan", "--hidden", "8,4", "--disc-hidden", "4,8", "--latent", "6"],
    "conv-vae": ["--model", "conv-vae", "--hidden", "4,8", "--latent", "5"],
    "conditional vae": ["--model", "vae", "--conditional", "--hidden", "24,12", "--latent", "3"],
    "conditional gan": ["--model", "gan", "--conditional", "--hidden", "16,32", "--disc-hidden", "24", "--latent", "5"],
    "conditional dcgan": ["--model", "dcgan", "--conditional", "--hidden", "8,4", "--disc-hidden", "4,8", "--latent", "6"],
    "conditional conv-vae": ["--model", "conv-vae", "--conditional", "--hidden", "4,8", "--latent", "5"],
}


def write_idx_data(directory, n=64, classes=10):
    """The four IDX files of a random data set (n training and n test images of SIDE × SIDE, labels
    k mod classes): what `train --data DIR` reads, so this test needs no MNIST."""
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(3)
    for split in ("train", "t10k"):
        images = rng.integers(0, 256, size=(n, SIDE, SIDE), dtype=np.uint8)
        labels = (np.arange(n) % classes).astype(np.uint8)
        with open(os.path.join(directory, f"{split}-images-idx3-ubyte"), "wb") as f:
            f.write(struct.pack(">IIII", 0x803, n, SIDE, SIDE) + images.tobytes())
        with open(os.path.join(directory, f"{split}-labels-idx1-ubyte"), "wb") as f:
            f.write(struct.pack(">II", 0x801, n) + labels.tobytes())


def train_tiny(name, data):
    """model.safetensors of a CLI run of two steps (BatchNorm statistics moved, biases trained)."""
    out = os.path.join(TMP, "run-" + name.replace(" ", "-"))
    flags = ["--data", data, "--limit", "64", "--batch", "32", "--epochs", "1", "--eval-every", "0",
             "--test-limit", "32", "--seed", "2", "-q", "--out", out]
    r = run(["train"] + TINY_KINDS[name] + flags)
    if r.returncode != 0:
        raise RuntimeError(f"latentlab train {name}: {r.stderr.strip()}")
    return os.path.join(out, "model.safetensors")


def same_tensors(a_path, b_path):
    """True when two files hold the same tensors (names in the same order, dtypes, values bit for bit)."""
    _, a = lt.read_safetensors(a_path)
    _, b = lt.read_safetensors(b_path)
    return list(a) == list(b) and all(a[k][0] == b[k][0] and a[k][1].tobytes() == b[k][1].tobytes() for k in a)


def random_module(meta, seed):
    """A module of every tensor of `meta` (the discriminator too), PyTorch's default init, BatchNorm
    statistics and affine parameters random, the conv biases BatchNorm follows held at 0."""
    torch.manual_seed(seed)
    module = lt.build_module(meta, ["discriminator."])
    randomise_batchnorm(module, torch.Generator().manual_seed(seed))
    return module


def new_kinds():
    data = os.path.join(TMP, "idx16")
    write_idx_data(data)
    image = SIDE * SIDE
    made = {  # the metadata a PyTorch user writes for each kind (the tool's helpers)
        "dcgan": lt.dcgan_metadata(image, 7, [6, 5], [3, 6], batchnorm_eps=1e-3),
        "conv-vae": lt.conv_vae_metadata(image, [3, 5], 20, 4),
        "conditional vae": lt.vae_metadata(image, [20, 10], 4, classes=10),
        "conditional gan": lt.gan_metadata(image, 6, [12, 24], [16], batchnorm_eps=0.8, classes=10),
        "conditional dcgan": lt.dcgan_metadata(image, 7, [6, 5], [3, 6], batchnorm_eps=1e-3, classes=10),
        "conditional conv-vae": lt.conv_vae_metadata(image, [3, 5], 20, 4, classes=10),
    }
    files = {}
    for name in TINY_KINDS:
        # latentlab → PyTorch: the CLI's F32 file (with the discriminator for the GANs), then its F16 export.
        path = train_tiny(name, data)
        files[name] = path
        module, meta = lt.load_module(path)
        check(True, f"{name} (trained by the CLI, F32): loaded strictly into {type(module).__name__}")
        compare_sample(path, module, seed=7, n=12, what=f"{name} F32 → PyTorch")
        if module.classes:
            compare_sample(path, module, seed=9, n=3, what=f"{name} F32 → PyTorch", classes=[2, 3, 4])
        f16 = os.path.join(TMP, name.replace(" ", "-") + "-f16.safetensors")
        r = run(["export", path, "--out", f16] + (["--generator-only"] if "gan" in name else []))
        check(r.returncode == 0, f"{name}: `latentlab export` F16 " + r.stderr.strip())
        half, _ = lt.load_module(f16)
        compare_sample(f16, half, seed=2**40 + 3, n=4, what=f"{name} F16 export → PyTorch")
        # file → module → file: the same tensors, in latentlab's order, bit for bit.
        again = os.path.join(TMP, "again.safetensors")
        lt.save_module(again, module, meta)
        check(same_tensors(path, again), f"{name}: CLI file → module → file: same tensors, order and bits")
        # PyTorch → latentlab: a random module of the tool's metadata, written F16, sampled by the CLI.
        made_path = os.path.join(TMP, name.replace(" ", "-") + "-torch-f16.safetensors")
        lt.save_module(made_path, random_module(made[name], seed=len(name)), made[name], dtype="F16")
        read_back, _ = lt.load_module(made_path)  # holds the F16-rounded values latentlab reads
        compare_sample(made_path, read_back, seed=11, n=10, what=f"{name} PyTorch (F16) → latentlab")

    # The tool's own `sample` (its command line's --raw record) against the CLI's record.
    path = files["conditional gan"]
    ours, _ = cli_sample(path, 9, 3, ["--classes", "2-4"])
    theirs = lt.sample(path, 9, 3, classes=[2, 3, 4])
    same = {k: ours[k] for k in ours if k != "pixels"} == {k: theirs[k] for k in theirs if k != "pixels"}
    diff = float(np.abs(np.array(ours["pixels"]) - np.array(theirs["pixels"])).max())
    check(same and diff <= TOLERANCE, f"latentlab_torch.py sample --classes 2-4: the CLI's --raw record "
          f"(keys, labels, latents equal; pixels within {diff:.2e})")
    try:
        with contextlib.redirect_stderr(io.StringIO()) as err:
            lt.main(["sample", files["dcgan"], "--class", "3"])
        code = 0
    except SystemExit as e:
        code = e.code
    check(code == 2 and "not a conditional model" in err.getvalue(),
          "latentlab_torch.py sample --class on an unconditional DCGAN: usage error (exit 2), as latentlab's")

    fixture = os.path.join(ROOT, "tests", "fixtures", "dcgan_small.safetensors")
    module, _ = lt.load_module(fixture)
    check(not hasattr(module, "discriminator"),
          "dcgan_small fixture (F16, generator only): loaded strictly, no discriminator")
    compare_sample(fixture, module, seed=5, n=4, what="dcgan_small fixture → PyTorch")
    return files


def twins_to_latentlab():
    """A PyTorch user's own modules → latentlab with from_state_dict: the parity fixtures' twins
    (tests/reference/models.py, written apart from tools/) — a DCGAN whose convs before BatchNorm
    have bias=False, as PyTorch's example, and a conditional VAE — sampled alike by the CLI."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
    import models  # noqa: E402 (tests/reference, not part of tools/)
    image = SIDE * SIDE
    torch.manual_seed(5)
    cfg = {"image": image, "latent": 7, "generator_channels": [6, 5], "discriminator_channels": [3, 6],
           "leaky_slope": 0.2, "batchnorm_eps": 1e-3}
    twin = models.Dcgan(cfg).eval()
    randomise_batchnorm(twin, torch.Generator().manual_seed(5))
    meta = lt.dcgan_metadata(image, 7, [6, 5], [3, 6], batchnorm_eps=1e-3)
    path = os.path.join(TMP, "twin-dcgan.safetensors")
    lt.save_module(path, lt.from_state_dict(meta, twin.state_dict()), meta, keep_counters=True)
    _, stderr = cli_sample(path, 1, 1)
    check("skipped tensor \"generator.bn1.num_batches_tracked\" (I64 [])" in stderr,
          "DCGAN with I64 num_batches_tracked: latentlab skips the counters with a note")
    shim = types.SimpleNamespace(latent=7, classes=0, decode=lambda z: (twin.generator(z) + 1.0) * 0.5)
    compare_sample(path, shim, seed=13, n=5,
                   what="PyTorch DCGAN with bias=False convs → from_state_dict → latentlab")

    twin = models.Vae(image, [20, 10], 4, classes=10).eval()
    meta = lt.vae_metadata(image, [20, 10], 4, classes=10)
    path = os.path.join(TMP, "twin-cvae.safetensors")
    lt.save_module(path, lt.from_state_dict(meta, twin.state_dict()), meta, dtype="F16")
    half, _ = lt.load_module(path)
    twin.load_state_dict(half.state_dict())  # the F16-rounded values latentlab reads
    shim = types.SimpleNamespace(latent=4, classes=10, decode=lambda z, labels: torch.sigmoid(
        twin.decoder(models.with_labels(z, torch.as_tensor(labels), 10))))
    compare_sample(path, shim, seed=17, n=12, what="PyTorch conditional VAE (F16) → from_state_dict → latentlab")

    # The conditional DCGAN twin (projection discriminator, bias=False convs): G sampled by the CLI;
    # the tool's D (its projection term) against the twin's, whose D the Catch2 parity fixtures
    # hold to latentlab's C++.
    torch.manual_seed(6)
    cfg = {"image": image, "latent": 7, "generator_channels": [6, 5], "discriminator_channels": [3, 6],
           "leaky_slope": 0.2, "batchnorm_eps": 1e-3, "classes": 10}
    twin = models.Dcgan(cfg).eval()
    randomise_batchnorm(twin, torch.Generator().manual_seed(6))
    meta = lt.dcgan_metadata(image, 7, [6, 5], [3, 6], batchnorm_eps=1e-3, classes=10)
    path = os.path.join(TMP, "twin-cdcgan.safetensors")
    lt.save_module(path, lt.from_state_dict(meta, twin.state_dict()), meta)
    mine, _ = lt.load_module(path)
    shim = types.SimpleNamespace(latent=7, classes=10, decode=lambda z, labels: (twin.generator(
        z, labels=torch.as_tensor(labels)) + 1.0) * 0.5)
    compare_sample(path, shim, seed=19, n=10, what="PyTorch conditional DCGAN → from_state_dict → latentlab")
    images = torch.rand(10, image, generator=torch.Generator().manual_seed(6)) * 2 - 1
    labels = [(3 * k) % 10 for k in range(10)]
    with torch.no_grad():
        d_tool = mine.discriminate(images, labels)
        d_twin = twin.discriminator(images, labels=torch.as_tensor(labels))
        d_plain = mine.discriminator(images)  # out(h) alone: the projection must move the scores
    diff, moved = float((d_tool - d_twin).abs().max()), float((d_tool - d_plain).abs().max())
    check(diff <= TOLERANCE and moved > 1e-3, f"conditional DCGAN: the tool's D = the twin's projection D "
          f"(max |difference| {diff:.2e}; the class term moves the logits by up to {moved:.2f})")

    # The conditional conv VAE twin, F16: the CLI samples it; the tool's encoder = the twin's.
    torch.manual_seed(7)
    twin = models.ConvVae(image, [3, 5], 20, 4, classes=10).eval()
    meta = lt.conv_vae_metadata(image, [3, 5], 20, 4, classes=10)
    path = os.path.join(TMP, "twin-cconv-vae.safetensors")
    lt.save_module(path, lt.from_state_dict(meta, twin.state_dict()), meta, dtype="F16")
    half, _ = lt.load_module(path)
    twin.load_state_dict(half.state_dict())  # the F16-rounded values latentlab reads
    with torch.no_grad():
        x = torch.rand(10, image, generator=torch.Generator().manual_seed(7))
        ys = torch.arange(10)
        twin_out = twin(x, torch.zeros(10, 4), labels=ys)
        mu, logvar = half.encode(x, ys)
    diff = max(float((mu - twin_out["mu"]).abs().max()), float((logvar - twin_out["logvar"]).abs().max()))
    check(diff <= TOLERANCE, f"conditional conv VAE (F16): the tool's encode(x, y) = the twin's μ, log σ² "
          f"(max |difference| {diff:.2e})")
    compare_sample(path, half, seed=23, n=10, what="PyTorch conditional conv VAE (F16) → from_state_dict → latentlab")


def refused(meta, tensors, name, what, tool_says, cli_says):
    """The file of `meta` and `tensors` is refused by the tool's loader and by `latentlab info`,
    each message containing its expected text."""
    path = os.path.join(TMP, "hazard.safetensors")
    lt.write_safetensors(path, tensors, meta)
    try:
        lt.load_module(path)
        message = "(loaded)"
    except ValueError as e:
        message = str(e)
    problems = message.split(" describes (", 1)[-1].split("): ", 1)[-1]  # the message after the metadata it quotes
    check(tool_says in message, f"{name}, {what}: the tool refuses it: {problems}")
    r = run(["info", path])
    check(r.returncode == 1 and cli_says in r.stderr, f"{name}, {what}: `latentlab info` refuses it too "
          f"({r.stderr.strip().rsplit(' weights: ', 1)[-1][:110]})")


def label_channels_dcgan():
    """A conditional DCGAN whose D reads the label as input planes (train --discriminator-conditioning
    channels), which the tool does not read yet: refused by the key while the file holds D; its
    generator alone (export --generator-only) loads strictly and samples alike."""
    out = os.path.join(TMP, "run-channels-dcgan")
    flags = ["--discriminator-conditioning", "channels", "--data", os.path.join(TMP, "idx16"), "--limit", "64",
             "--batch", "32", "--epochs", "1", "--eval-every", "0", "--test-limit", "32", "--seed", "2", "-q",
             "--out", out]
    r = run(["train"] + TINY_KINDS["conditional dcgan"] + flags)
    check(r.returncode == 0, f"train --discriminator-conditioning channels (tiny) {r.stderr.strip()[:100]}")
    path = os.path.join(out, "model.safetensors")
    try:
        lt.load_module(path)
        message = "(loaded)"
    except ValueError as e:
        message = str(e)
    check('"discriminator_conditioning" = "channels"' in message and "--generator-only" in message,
          f"label-channel DCGAN with its D: the tool refuses it by the key: {message.split(': ', 1)[-1][:120]}")
    g_only = os.path.join(TMP, "channels-g.safetensors")
    r = run(["export", path, "--out", g_only, "--dtype", "f32", "--generator-only"])
    check(r.returncode == 0, "label-channel DCGAN: export --generator-only")
    module, _ = lt.load_module(g_only)
    compare_sample(g_only, module, seed=29, n=10, what="label-channel DCGAN, generator only → PyTorch")


def file_contents(path):
    """A safetensors file's metadata and {name: tensor} (dtypes dropped), to edit into a bad file."""
    meta, tensors = lt.read_safetensors(path)
    return meta, {k: v for k, (_, v) in tensors.items()}


def new_kind_strictness(files):
    # dcgan: a PyTorch DCGAN's state_dict has no bias where BatchNorm follows (bias=False).
    meta, tensors = file_contents(files["dcgan"])
    del tensors["generator.deconv1.bias"]
    refused(meta, tensors, "dcgan", "without generator.deconv1.bias (bias=False)",
            "missing tensor 'generator.deconv1.bias' [4] (a conv that BatchNorm follows keeps its bias",
            "generator.deconv1.bias")
    # conv-vae: metadata that disagrees with the tensors (fc 128, the tensors are 256 wide).
    meta, tensors = file_contents(files["conv-vae"])
    meta["fc"] = "128"
    refused(meta, tensors, "conv-vae", "metadata fc 128 for 256-wide tensors",
            "tensor 'encoder.fc.weight' has shape [256, 128], the metadata describes [128, 128]", "encoder.fc.weight")
    # conditional vae: the "classes" key lost (e.g. metadata rebuilt by hand): 10 one-hot columns too many.
    meta, tensors = file_contents(files["conditional vae"])
    del meta["classes"]
    refused(meta, tensors, "conditional vae", "without its \"classes\" key",
            "tensor 'encoder.fc1.weight' has shape [24, 266], the metadata describes [24, 256] (10 more input "
            "columns than the metadata describes: a conditional model's file records them as \"classes\" = \"10\")",
            "encoder.fc1.weight")
    # conditional gan: a label embedding table (a PyTorch cGAN's nn.Embedding) instead of one-hot columns.
    meta, tensors = file_contents(files["conditional gan"])
    tensors["generator.label_embedding.weight"] = np.zeros((10, 10), np.float32)
    refused(meta, tensors, "conditional gan", "with an nn.Embedding label table",
            "tensor 'generator.label_embedding.weight' (F32 [10, 10]) is not part of this gan",
            "generator.label_embedding.weight")
    # conditional dcgan: a discriminator that reads the label another way than latentlab's projection.
    meta, tensors = file_contents(files["conditional dcgan"])
    meta["discriminator_conditioning"] = "concat"
    refused(meta, tensors, "conditional dcgan", "discriminator_conditioning \"concat\"",
            "\"discriminator_conditioning\" must be \"projection\"", "discriminator_conditioning")
    # The metadata says spectral norm, the discriminator has no u, v: each one is missing, by name.
    meta, tensors = file_contents(files["conditional dcgan"])
    meta["spectral_norm"] = "1"
    refused(meta, tensors, "conditional dcgan", "spectral_norm \"1\" (its u, v left out)",
            "missing tensor 'discriminator.conv1.weight_u' [4] (\"spectral_norm\" = \"1\": every discriminator "
            "weight has its u and v)", "weight_u")
    # conditional conv-vae: the "classes" key lost: the one-hot columns of encoder.fc and decoder.fc1.
    meta, tensors = file_contents(files["conditional conv-vae"])
    del meta["classes"]
    refused(meta, tensors, "conditional conv-vae", "without its \"classes\" key",
            "tensor 'encoder.fc.weight' has shape [256, 138], the metadata describes [256, 128] (10 more input "
            "columns than the metadata describes: a conditional model's file records them as \"classes\" = \"10\")",
            "encoder.fc.weight")
    # Labels: a conditional module needs them, an unconditional one refuses them.
    cond, _ = lt.load_module(files["conditional gan"])
    plain, _ = lt.load_module(files["dcgan"])
    z = torch.zeros(2, 6)
    for module, labels, expected, what in ((cond, None, "needs one label per row", "a conditional GAN without labels"),
                                           (cond, [0, 10], "labels must be in [0, 10)", "a label out of range"),
                                           (plain, [0, 1], "not conditional", "labels for the unconditional DCGAN")):
        try:
            module.decode(z[:, :module.latent], labels)
            message = "(decoded)"
        except ValueError as e:
            message = str(e)
        check(expected in message, f"decode: {what} is an error: {message}")


# ---------------------------------------------------------------- discriminators other than the default

ADVERSARIAL = {  # name → the CLI's train flags, and the metadata a PyTorch user writes for the same kind
    "gan + spectral norm": (["--model", "gan", "--hidden", "16,32", "--disc-hidden", "24", "--latent", "5",
                             "--spectral-norm"],
                            lambda image: lt.gan_metadata(image, 6, [12, 24], [16, 8], spectral_norm=True)),
    "dcgan + spectral norm": (["--model", "dcgan", "--hidden", "8,4", "--disc-hidden", "4,8", "--latent", "6",
                               "--spectral-norm"],
                              lambda image: lt.dcgan_metadata(image, 7, [6, 5], [3, 6], batchnorm_eps=1e-3,
                                                              spectral_norm=True)),
    "conditional dcgan + spectral norm": (["--model", "dcgan", "--conditional", "--hidden", "8,4", "--disc-hidden",
                                           "4,8", "--latent", "6", "--spectral-norm"],
                                          lambda image: lt.dcgan_metadata(image, 7, [6, 5], [3, 6], batchnorm_eps=1e-3,
                                                                          classes=10, spectral_norm=True)),
    "dcgan wgan-gp": (["--model", "dcgan", "--hidden", "8,4", "--disc-hidden", "4,8", "--latent", "6",
                       "--gan-loss", "wgan-gp"],
                      lambda image: lt.dcgan_metadata(image, 7, [6, 5], [3, 6], gan_loss="wgan-gp",
                                                      discriminator_batchnorm=False)),
}
SCORED = 32  # the test images train_tiny's --test-limit evaluates


def test_images(data, n):
    """The first n test images as the trainer's evaluation reads them: bytes p → 2·(p/255) − 1 in
    float32 (pixel_value, then the [-1, 1] map), n × SIDE²."""
    with open(os.path.join(data, "t10k-images-idx3-ubyte"), "rb") as f:
        u8 = np.frombuffer(f.read()[16:], np.uint8).reshape(-1, SIDE * SIDE)[:n]
    table = np.float32(2.0) * (np.arange(256, dtype=np.float32) / np.float32(255.0)) + np.float32(-1.0)
    return torch.from_numpy(table[u8])


def shown_scores(module, meta, images):
    """What latentlab's evaluation averages (AdversarialTrainer::evaluate): σ(D(x)) for bce, else the
    critic score D(x), each in double, D in eval mode; a conditional D reads the test labels
    (write_idx_data's k mod 10)."""
    labels = [k % 10 for k in range(images.shape[0])] if module.classes else None
    with torch.no_grad():
        scores = module.discriminate(images, labels).double().ravel()
    return torch.sigmoid(scores) if meta.get("gan_loss", "bce") == "bce" else scores


def one_more_power_iteration(module):
    """A copy of `module` whose spectral-norm u, v have taken one more power iteration
    (v ← n(Wᵀu), u ← n(Wv)): the σ a training forward would use instead of the stored one."""
    other = copy.deepcopy(module)
    with torch.no_grad():
        for layer in other.modules():
            if hasattr(layer, "weight_u"):
                w = layer.weight_orig.reshape(layer.weight_orig.shape[0], -1)
                layer.weight_v.copy_(nn.functional.normalize(w.t() @ layer.weight_u, dim=0, eps=1e-12))
                layer.weight_u.copy_(nn.functional.normalize(w @ layer.weight_v, dim=0, eps=1e-12))
    return other


def adversarial_discriminators(data):
    """Spectral norm (MLP GAN, DCGAN) and the wgan-gp DCGAN critic (no BatchNorm), both ways."""
    images = test_images(data, SCORED)
    files = {}
    for name, (flags, made) in ADVERSARIAL.items():
        TINY_KINDS[name] = flags
        path = train_tiny(name, data)
        files[name] = path
        module, meta = lt.load_module(path)
        keys = [f"{k} {meta[k]}" for k in ("gan_loss", "spectral_norm", "discriminator_batchnorm") if k in meta]
        check(True, f"{name} (trained by the CLI, F32): loaded strictly into {type(module).__name__} "
              f"({', '.join(keys)})")
        # D's scores: the trainer's last evaluation (summary.json, a double) averages latentlab's
        # Model::discriminate over the first SCORED test images, with the weights it then saved.
        with open(os.path.join(os.path.dirname(path), "summary.json")) as f:
            summary = json.load(f)
        key = "test_d_real" if meta.get("gan_loss", "bce") == "bce" else "test_critic_real"
        theirs = shown_scores(module, meta, images)
        diff = abs(float(theirs.mean()) - summary[key])
        check(diff <= TOLERANCE, f"{name}: D on {SCORED} test images, mean {key} latentlab {summary[key]:.7f}, "
              f"PyTorch (eval mode) {float(theirs.mean()):.7f}, |difference| {diff:.1e}")
        if module.spectral_norm:  # the check tells σ(stored u, v) from σ after a power iteration
            moved = float((shown_scores(one_more_power_iteration(module), meta, images) - theirs).abs().max())
            check(moved > 100 * TOLERANCE, f"{name}: with one more power iteration (a training forward's σ) "
                  f"the scores would move by up to {moved:.1e}: the comparison sees which σ is used")
        else:  # the check tells a trained conv bias from one held at 0 as before BatchNorm
            other = copy.deepcopy(module)
            with torch.no_grad():
                other.discriminator.conv2.bias.zero_()
            moved = float((shown_scores(other, meta, images) - theirs).abs().max())
            check(moved > 100 * TOLERANCE and float(module.discriminator.conv2.bias.abs().max()) > 0,
                  f"{name}: conv2's trained bias (no BatchNorm after it) moves the scores by up to {moved:.1e}")
        again = os.path.join(TMP, "again.safetensors")
        lt.save_module(again, module, meta)
        check(same_tensors(path, again), f"{name}: CLI file → module → file: same tensors, order and bits")
        # F16, the whole model (the discriminator and its u, v too): latentlab's export, read and written back.
        f16 = os.path.join(TMP, "adversarial-f16.safetensors")
        r = run(["export", path, "--out", f16])
        half, half_meta = lt.load_module(f16)
        lt.save_module(again, half, half_meta, dtype="F16")
        check(r.returncode == 0 and same_tensors(f16, again),
              f"{name}: `latentlab export` F16 (with D) → module → F16 file: same tensors, order and bits")
        # PyTorch → latentlab: a random module of the tool's metadata, its state_dict as PyTorch
        # keys it (spectral norm: weight_orig, weight_u, weight_v) through from_state_dict, F16; the
        # CLI re-encodes it as F32 from its own tensors (by name, in its order): the values the tool
        # meant, in the same order.
        made_meta = made(SIDE * SIDE)
        made_path = os.path.join(TMP, "adversarial-torch-f16.safetensors")
        state = random_module(made_meta, seed=len(name)).state_dict()
        lt.save_module(made_path, lt.from_state_dict(made_meta, state), made_meta, dtype="F16")
        read_back, _ = lt.load_module(made_path)
        lt.save_module(again, read_back, made_meta)
        f32 = os.path.join(TMP, "adversarial-cli-f32.safetensors")
        r = run(["export", made_path, "--dtype", "f32", "--out", f32])
        check(r.returncode == 0 and same_tensors(f32, again),
              f"{name}: PyTorch (F16) → latentlab → `export --dtype f32`: the tool's tensors, names, order "
              "and values " + r.stderr.strip())
        compare_sample(made_path, read_back, seed=3, n=4, what=f"{name} PyTorch (F16) → latentlab")
    return files


def adversarial_strictness(files):
    # gan + spectral norm: one power-iteration vector lost.
    meta, tensors = file_contents(files["gan + spectral norm"])
    del tensors["discriminator.out.weight_v"]
    refused(meta, tensors, "gan + spectral norm", "without discriminator.out.weight_v",
            "missing tensor 'discriminator.out.weight_v' [24]", "discriminator.out.weight_v")
    # dcgan + spectral norm: a PyTorch state_dict written as is (weight_orig, not the file's weight).
    meta, tensors = file_contents(files["dcgan + spectral norm"])
    tensors = {(k + "_orig" if k == "discriminator.conv2.weight" else k): v for k, v in tensors.items()}
    refused(meta, tensors, "dcgan + spectral norm", "with torch's name discriminator.conv2.weight_orig",
            "tensor 'discriminator.conv2.weight_orig' (F32 [8, 4, 4, 4]) is not part of this dcgan",
            "no tensor \"discriminator.conv2.weight\"")  # the CLI names the first problem: the missing weight
    # dcgan wgan-gp: the critic has no BatchNorm; a file holding one is refused.
    meta, tensors = file_contents(files["dcgan wgan-gp"])
    tensors["discriminator.bn2.weight"] = np.ones(8, np.float32)
    refused(meta, tensors, "dcgan wgan-gp", "with a discriminator.bn2.weight",
            "tensor 'discriminator.bn2.weight' (F32 [8]) is not part of this dcgan (the metadata's "
            "\"discriminator_batchnorm\" = \"0\": the critic has no BatchNorm)", "discriminator.bn2.weight")
    meta, tensors = file_contents(files["dcgan wgan-gp"])
    del meta["discriminator_batchnorm"]  # BatchNorm by default, which wgan-gp's penalty cannot have
    refused(meta, tensors, "dcgan wgan-gp", "without \"discriminator_batchnorm\" = \"0\"",
            "\"gan_loss\" = \"wgan-gp\" needs \"discriminator_batchnorm\" = \"0\"", "critic without BatchNorm")
    # gan_loss: the four objectives are metadata only; another value is refused by both.
    meta, tensors = file_contents(files["gan + spectral norm"])
    path = os.path.join(TMP, "loss.safetensors")
    for loss in lt.GAN_LOSSES:
        meta["gan_loss"] = loss
        lt.write_safetensors(path, tensors, meta)
        module, _ = lt.load_module(path)
        check(run(["info", path]).returncode == 0 and module.spectral_norm,
              f"gan + spectral norm, gan_loss {loss}: the tool and `latentlab info` load it")
    meta["gan_loss"] = "wasserstein"
    refused(meta, tensors, "gan + spectral norm", "gan_loss \"wasserstein\"",
            "metadata \"gan_loss\" is 'wasserstein' (expected bce, lsgan, hinge, wgan-gp)", "gan_loss")


def strictness(plain_path):
    meta, tensors = file_contents(plain_path)
    extra = dict(tensors)
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
    lt.write_safetensors(path, tensors, meta)
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
        new_kind_strictness(new_kinds())
        adversarial_strictness(adversarial_discriminators(os.path.join(TMP, "idx16")))
        label_channels_dcgan()
        twins_to_latentlab()
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)
