#!/usr/bin/python3
"""Writes the ONNX files ONNX Runtime Web runs in the browser benchmark (scripts/bench-web).

   /usr/bin/python3 bench/web/make_onnx.py OUT_DIR [web/models]

Builds the VAE decoder (20→400 ReLU→784 sigmoid) and the GAN's "stable" generator
(100→128 LeakyReLU, then Linear→BatchNorm(eval)→LeakyReLU to 256, 512, 1024, then →784 tanh)
in PyTorch with the weights of web/models/{vae,gan}.safetensors (the shipped models, which our
wasm and the tfjs page use too), appends the same map to [0, 1] pixels as latentlab's decode
((tanh + 1) / 2 for the GAN), and exports them with a fixed batch of 64 (opset 13).
The conv models' decoders come from tools/latentlab_torch.py (the module of any latentlab file,
its decode() in [0, 1]): web/models/conv-vae.safetensors and OUT_DIR/dcgan.safetensors (written
by make_dcgan.py, run first) → conv_vae_decoder.onnx and dcgan_generator.onnx (NCHW inside).
Debian's python3-torch (1.13) only; no network. The files are build outputs, never committed.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent / "tools"))
import latentlab_torch as lt  # noqa: E402

BATCH = 64


def read_safetensors(path):
    """name → float32 tensor, and the __metadata__ map (F32/F16/BF16 storage)."""
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n :]
    tensors = {}
    for name, t in header.items():
        a, b = t["data_offsets"]
        if t["dtype"] == "F32":
            v = np.frombuffer(data[a:b], dtype="<f4")
        elif t["dtype"] == "F16":
            v = np.frombuffer(data[a:b], dtype="<f2").astype(np.float32)
        elif t["dtype"] == "BF16":
            v = (np.frombuffer(data[a:b], dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise SystemExit(f"{path}: unsupported dtype {t['dtype']} for {name}")
        tensors[name] = torch.from_numpy(v.reshape(t["shape"]).copy())
    return tensors, meta


def linear(tensors, name):
    w = tensors[name + ".weight"]
    layer = nn.Linear(w.shape[1], w.shape[0])
    layer.weight.data.copy_(w)
    layer.bias.data.copy_(tensors[name + ".bias"])
    return layer


def vae_decoder(tensors):
    return nn.Sequential(linear(tensors, "decoder.fc1"), nn.ReLU(), linear(tensors, "decoder.out"), nn.Sigmoid())


class ToUnit(nn.Module):
    """(x + 1) / 2: the generator's tanh range [−1, 1] as pixels in [0, 1], as latentlab's decode."""

    def forward(self, x):
        return (x + 1.0) * 0.5


def gan_generator(tensors, meta):
    slope = float(meta.get("leaky_slope", "0.2"))
    eps = float(meta.get("batchnorm_eps", "0.8"))
    widths = [int(w) for w in meta["generator_hidden"].split(",")]
    layers = []
    for i in range(len(widths)):
        name = f"generator.fc{i + 1}"
        layers.append(linear(tensors, name))
        if name + ".bn.weight" in tensors:
            bn = nn.BatchNorm1d(widths[i], eps=eps)
            bn.weight.data.copy_(tensors[name + ".bn.weight"])
            bn.bias.data.copy_(tensors[name + ".bn.bias"])
            bn.running_mean.copy_(tensors[name + ".bn.running_mean"])
            bn.running_var.copy_(tensors[name + ".bn.running_var"])
            layers.append(bn)
        layers.append(nn.LeakyReLU(slope))
    layers += [linear(tensors, "generator.out"), nn.Tanh(), ToUnit()]
    return nn.Sequential(*layers)


class Decode(nn.Module):
    """z → pixels in [0, 1]: a latentlab_torch module's decode() as the module ONNX exports."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, z):
        return self.model.decode(z)


def export(model, latent, path):
    model.eval()
    z = torch.randn(BATCH, latent)
    torch.onnx.export(model, z, str(path), input_names=["z"], output_names=["pixels"], opset_version=13)
    print(f"make_onnx: {path} ({path.stat().st_size} bytes)")


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    out = Path(sys.argv[1])
    models = Path(sys.argv[2] if len(sys.argv) == 3 else "web/models")
    out.mkdir(parents=True, exist_ok=True)
    vae, vae_meta = read_safetensors(models / "vae.safetensors")
    gan, gan_meta = read_safetensors(models / "gan.safetensors")
    export(vae_decoder(vae), int(vae_meta["latent"]), out / "vae_decoder.onnx")
    export(gan_generator(gan, gan_meta), int(gan_meta["latent"]), out / "gan_generator.onnx")
    for source, name in ((models / "conv-vae.safetensors", "conv_vae_decoder.onnx"),
                         (out / "dcgan.safetensors", "dcgan_generator.onnx")):
        model, _ = lt.load_module(str(source))
        export(Decode(model), model.latent, out / name)


if __name__ == "__main__":
    main()
