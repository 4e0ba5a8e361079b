#!/usr/bin/python3
"""latentlab weights ⇄ PyTorch, from docs/weights-format.md alone.

Needs Debian's python3-torch and python3-numpy (no safetensors package: the format is read and
written here). As a module:

    import latentlab_torch as lt
    model, meta = lt.load_module("web/models/gan.safetensors")    # a torch.nn.Module, loaded strictly
    z = lt.sample_latents(seed=7, n=16, latent=model.latent)     # bit for bit `latentlab sample --seed 7`
    pixels = model.decode(torch.from_numpy(z))                    # n × image in [0, 1]
    lt.save_module("mine.safetensors", model, meta)               # and back

    # The pytorch/examples VAE (fc1, fc21, fc22, fc3, fc4) as a latentlab file:
    lt.save_example_vae("vae.safetensors", example_vae.state_dict())

From the command line:

    tools/latentlab_torch.py check FILE                  build the module, load strictly, list tensors
    tools/latentlab_torch.py sample FILE --seed S --n N [--raw OUT.json]
                                                          the `latentlab sample --raw` JSON, from PyTorch
    tools/latentlab_torch.py from-example-vae IN.pt OUT.safetensors
                                                          a torch.save'd state_dict of pytorch/examples' VAE
"""
import argparse
import json
import math
import struct
import sys

import numpy as np
import torch
from torch import nn

# ---------------------------------------------------------------- safetensors

FLOAT_DTYPES = {"F32": np.float32, "F16": np.float16}
INTEGER_DTYPES = {"BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
                  "I32": np.int32, "U32": np.uint32, "I64": np.int64, "U64": np.uint64}


def read_safetensors(path):
    """(metadata dict, {name: (dtype, numpy array)}) of a safetensors file, tensors in file order."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dtype = entry["dtype"]
        begin, end = entry["data_offsets"]
        raw = body[begin:end]
        shape = tuple(entry["shape"])
        if dtype == "BF16":  # bfloat16 = the high half of a float32
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            values = bits.view(np.float32).reshape(shape)
        elif dtype in FLOAT_DTYPES:
            values = np.frombuffer(raw, dtype=np.dtype(FLOAT_DTYPES[dtype]).newbyteorder("<")).astype(np.float32)
            values = values.reshape(shape)
        elif dtype in INTEGER_DTYPES:
            values = np.frombuffer(raw, dtype=np.dtype(INTEGER_DTYPES[dtype]).newbyteorder("<")).reshape(shape)
        else:
            raise ValueError(f"{path}: tensor {name!r} has dtype {dtype}, which latentlab does not read")
        tensors[name] = (dtype, values)
    return metadata, tensors


def write_safetensors(path, tensors, metadata, dtype="F32"):
    """Writes {name: array} (in the given order), float arrays as `dtype` (F32 or F16), int64 arrays
    (BatchNorm's num_batches_tracked) as I64, with string metadata."""
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    chunks, offset = [], 0
    for name, values in tensors.items():
        values = np.asarray(values)
        if values.dtype == np.int64:
            stored, array = "I64", values.astype("<i8").copy(order="C")
        else:
            stored = dtype
            np_dtype = np.dtype(FLOAT_DTYPES[dtype]).newbyteorder("<")
            array = values.astype(np.float32).astype(np_dtype).copy(order="C")
        raw = array.tobytes()
        header[name] = {"dtype": stored, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)  # data 8-byte aligned, as latentlab writes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


# ---------------------------------------------------------------- the sampling contract

MASK32 = (1 << 32) - 1
MASK64 = (1 << 64) - 1


class Pcg32:
    """latentlab::Rng (core/src/rng.cpp): PCG32 XSH-RR, Marsaglia polar normals in double."""

    def __init__(self, seed, stream=0):
        self.state = 0
        self.inc = ((stream << 1) | 1) & MASK64
        self.next_u32()
        self.state = (self.state + seed) & MASK64
        self.next_u32()
        self.spare = None

    def next_u32(self):
        old = self.state
        self.state = (old * 6364136223846793005 + self.inc) & MASK64
        xorshifted = (((old >> 18) ^ old) >> 27) & MASK32
        rot = old >> 59
        return ((xorshifted >> rot) | (xorshifted << ((32 - rot) & 31))) & MASK32

    def uniform53(self):
        high = float(self.next_u32() >> 5)  # 27 bits
        low = float(self.next_u32() >> 6)   # 26 bits
        return (high * 67108864.0 + low) / 9007199254740992.0

    def normal(self):
        """One N(0, 1) as a float32; the second of each polar pair is returned by the next call."""
        if self.spare is not None:
            value, self.spare = self.spare, None
            return np.float32(value)
        while True:
            u = 2.0 * self.uniform53() - 1.0
            v = 2.0 * self.uniform53() - 1.0
            s = u * u + v * v
            if 0.0 < s < 1.0:
                break
        m = math.sqrt(-2.0 * portable_log(s) / s)
        self.spare = v * m
        return np.float32(u * m)


def portable_log(x):
    """latentlab::portable_log: ln x from IEEE-exact operations (frexp, +, −, ×, ÷)."""
    m, e = math.frexp(x)
    if m < 0.70710678118654752440:
        m = m * 2.0
        e = e - 1
    f = (m - 1.0) / (m + 1.0)
    f2 = f * f
    s = 0.0
    for k in range(12, -1, -1):
        s = s * f2 + 1.0 / float(2 * k + 1)
    de = float(e)
    return de * 0.693147180369123816490 + (2.0 * f * s + de * 1.90821492927058770002e-10)


def sample_latents(seed, n, latent):
    """z of `latentlab sample --seed seed --n n`: n × latent float32, row k = image k."""
    rng = Pcg32(seed, 0)
    return np.array([rng.normal() for _ in range(n * latent)], dtype=np.float32).reshape(n, latent)


# ---------------------------------------------------------------- models

def widths(text):
    return [int(w) for w in text.split(",")]


def square_shape(size):
    side = int(round(math.sqrt(size)))
    return (side, side) if side * side == size else (size, 1)


class Sequence(nn.Module):
    """Linear layers named as latentlab names them (fc1, fc2, …, out), applied in order."""

    def __init__(self, layers, hidden_activation, last_activation):
        super().__init__()
        self.names = [name for name, _ in layers]
        for name, layer in layers:
            setattr(self, name, layer)
        self.hidden_activation = hidden_activation
        self.last_activation = last_activation

    def forward(self, x):
        for i, name in enumerate(self.names):
            x = getattr(self, name)(x)
            x = self.last_activation(x) if i + 1 == len(self.names) else self.hidden_activation(x)
        return x


class LinearBatchNorm(nn.Module):
    """A generator layer with BatchNorm: state_dict keys weight, bias, bn.weight, bn.bias, bn.running_*."""

    def __init__(self, n_in, n_out, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.bn = nn.BatchNorm1d(n_out, eps=eps, momentum=0.1)

    def forward(self, x):
        return self.bn(nn.functional.linear(x, self.weight, self.bias))


class Vae(nn.Module):
    def __init__(self, meta):
        super().__init__()
        n_in, hidden, latent = int(meta["input"]), widths(meta["hidden"]), int(meta["latent"])
        self.latent, self.image = latent, n_in
        chain = [n_in] + hidden
        self.encoder = nn.Module()
        for i in range(len(hidden)):
            setattr(self.encoder, f"fc{i + 1}", nn.Linear(chain[i], chain[i + 1]))
        self.encoder.mu = nn.Linear(hidden[-1], latent)
        self.encoder.logvar = nn.Linear(hidden[-1], latent)
        back = [latent] + hidden[::-1]
        layers = [(f"fc{i + 1}", nn.Linear(back[i], back[i + 1])) for i in range(len(hidden))]
        layers.append(("out", nn.Linear(back[-1], n_in)))
        self.decoder = Sequence(layers, torch.relu, torch.sigmoid)

    def encode(self, x):
        """(μ, logvar) of images x (n × input, pixels in [0, 1])."""
        h = x
        for i in range(len([k for k in self.encoder._modules if k.startswith("fc")])):
            h = torch.relu(getattr(self.encoder, f"fc{i + 1}")(h))
        return self.encoder.mu(h), self.encoder.logvar(h)

    def decode(self, z):
        """Pixels in [0, 1]: sigmoid(decoder(z))."""
        return self.decoder(z)


class Gan(nn.Module):
    def __init__(self, meta, with_discriminator=True):
        super().__init__()
        image, latent = int(meta["image"]), int(meta["latent"])
        hidden = widths(meta["generator_hidden"])
        slope = float(meta.get("leaky_slope", "0.2"))
        leaky = meta["generator_activation"] == "leaky_relu"
        batchnorm = meta["generator_batchnorm"] == "1"
        eps = float(meta["batchnorm_eps"]) if batchnorm else 1e-5
        self.latent, self.image = latent, image
        chain = [latent] + hidden
        layers = []
        for i in range(len(hidden)):
            bn = batchnorm and i > 0  # BatchNorm after every hidden Linear but the first
            layers.append((f"fc{i + 1}", LinearBatchNorm(chain[i], chain[i + 1], eps) if bn
                           else nn.Linear(chain[i], chain[i + 1])))
        layers.append(("out", nn.Linear(hidden[-1], image)))
        act = (lambda x: nn.functional.leaky_relu(x, slope)) if leaky else torch.relu
        self.generator = Sequence(layers, act, torch.tanh)
        if with_discriminator:
            d = [image] + widths(meta["discriminator_hidden"])
            dl = [(f"fc{i + 1}", nn.Linear(d[i], d[i + 1])) for i in range(len(d) - 1)]
            dl.append(("out", nn.Linear(d[-1], 1)))
            self.discriminator = Sequence(dl, lambda x: nn.functional.leaky_relu(x, slope), lambda x: x)

    def decode(self, z):
        """Pixels in [0, 1]: (G(z) + 1) / 2."""
        return (self.generator(z) + 1.0) * 0.5


class Classifier(nn.Module):
    def __init__(self, meta):
        super().__init__()
        chain = [int(meta["input"])] + widths(meta["hidden"]) + [int(meta["classes"])]
        self.classifier = Sequence([(f"fc{i + 1}", nn.Linear(chain[i], chain[i + 1])) for i in range(len(chain) - 1)],
                                   torch.relu, lambda x: x)

    def forward(self, x):
        """Logits of images x (n × input, pixels in [0, 1])."""
        return self.classifier(x)


def build_module(meta, tensor_names=()):
    """The torch.nn.Module a latentlab file's __metadata__ describes (untrained, in eval mode).
    A GAN gets its discriminator only when tensor_names holds some of its tensors."""
    kind = meta.get("kind")
    if kind == "vae":
        module = Vae(meta)
    elif kind == "gan":
        module = Gan(meta, with_discriminator=any(n.startswith("discriminator.") for n in tensor_names))
    elif kind == "classifier":
        module = Classifier(meta)
    else:
        raise ValueError(f"__metadata__ kind {kind!r}: this tool knows vae, gan and classifier "
                         "(see docs/weights-format.md for the kinds added since)")
    return module.eval()


def is_counter(name):
    return name.endswith(".num_batches_tracked")


def load_module(path):
    """(module, metadata): the module of a latentlab file with every tensor loaded strictly — the
    file's float tensors must be exactly the module's state_dict (BatchNorm's batch counters,
    which latentlab does not store, are set to 0)."""
    meta, tensors = read_safetensors(path)
    module = build_module(meta, tensors.keys())
    state = {}
    for name, (dtype, values) in tensors.items():
        if dtype in INTEGER_DTYPES:
            if not is_counter(name):
                raise ValueError(f"{path}: integer tensor {name!r} ({dtype}) is not a BatchNorm counter")
            state[name] = torch.tensor(int(values), dtype=torch.long)
        else:
            state[name] = torch.from_numpy(values.copy())
    for name, value in module.state_dict().items():
        if is_counter(name) and name not in state:
            state[name] = torch.zeros_like(value)
    module.load_state_dict(state, strict=True)
    return module, meta


def common_metadata(kind, image_size, pixel_range):
    h, w = square_shape(image_size)
    return {"format": "latentlab", "format_version": "1", "kind": kind, "image_height": str(h),
            "image_width": str(w), "pixel_range": pixel_range}


def vae_metadata(n_in, hidden, latent, beta=1.0):
    m = common_metadata("vae", n_in, "0,1")
    m.update({"input": str(n_in), "hidden": ",".join(map(str, hidden)), "latent": str(latent),
              "beta": repr(float(beta))})
    return m


def gan_metadata(image, latent, generator_hidden, discriminator_hidden, leaky=True, batchnorm=True,
                 batchnorm_eps=0.8, leaky_slope=0.2):
    m = common_metadata("gan", image, "-1,1")
    m.update({"image": str(image), "latent": str(latent),
              "generator_hidden": ",".join(map(str, generator_hidden)),
              "discriminator_hidden": ",".join(map(str, discriminator_hidden)),
              "leaky_slope": repr(float(leaky_slope)),
              "generator_activation": "leaky_relu" if leaky else "relu",
              "generator_batchnorm": "1" if batchnorm else "0", "batchnorm_eps": repr(float(batchnorm_eps))})
    return m


def save_module(path, module, meta, dtype="F32", extra=None, keep_counters=False):
    """Writes a module built by build_module (or any module whose state_dict has latentlab's names)
    as a latentlab file. BatchNorm's integer batch counters are left out unless keep_counters
    (latentlab skips them with a note)."""
    tensors = {name: value.detach().cpu().numpy() for name, value in module.state_dict().items()
               if keep_counters or not is_counter(name)}
    metadata = dict(extra or {})
    metadata.update(meta)
    write_safetensors(path, tensors, metadata, dtype)


# pytorch/examples vae/main.py: fc1 784→400, fc21 (μ) and fc22 (logvar) 400→20, fc3 20→400, fc4 400→784.
EXAMPLE_VAE_NAMES = {"fc1": "encoder.fc1", "fc21": "encoder.mu", "fc22": "encoder.logvar",
                     "fc3": "decoder.fc1", "fc4": "decoder.out"}


def example_vae_to_latentlab(state_dict):
    """(tensors in latentlab's names and order, metadata) of the pytorch/examples VAE's state_dict."""
    tensors = {}
    for theirs, ours in EXAMPLE_VAE_NAMES.items():
        for part in ("weight", "bias"):
            tensors[f"{ours}.{part}"] = state_dict[f"{theirs}.{part}"].detach().cpu().numpy()
    hidden, n_in = tensors["encoder.fc1.weight"].shape
    latent = tensors["encoder.mu.weight"].shape[0]
    return tensors, vae_metadata(n_in, [hidden], latent)


def latentlab_to_example_vae(tensors):
    """The inverse: a latentlab single-hidden-layer VAE's tensors as the example's state_dict."""
    return {f"{theirs}.{part}": torch.from_numpy(np.array(tensors[f"{ours}.{part}"]))
            for theirs, ours in EXAMPLE_VAE_NAMES.items() for part in ("weight", "bias")}


def save_example_vae(path, state_dict, dtype="F32"):
    tensors, meta = example_vae_to_latentlab(state_dict)
    write_safetensors(path, tensors, meta, dtype)


def sample(path, seed, n):
    """The `latentlab sample --raw` record of a file, computed by PyTorch."""
    module, meta = load_module(path)
    z = sample_latents(seed, n, module.latent)
    with torch.no_grad():
        pixels = module.decode(torch.from_numpy(z)).numpy().astype(np.float32)
    rows, cols = int(meta.get("image_height", 0)), int(meta.get("image_width", 0))
    if rows * cols != module.image:
        rows, cols = square_shape(module.image)
    return {"weights": path, "kind": meta["kind"], "seed": seed, "n": n, "latent": module.latent,
            "rows": rows, "cols": cols, "latents": [float(v) for v in z.ravel()],
            "pixels": [float(v) for v in pixels.ravel()]}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="build the module of a file, load it strictly, list its tensors")
    p.add_argument("file")
    p = sub.add_parser("sample", help="`latentlab sample --raw` computed by PyTorch")
    p.add_argument("file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--raw", default="-", help="JSON output file ('-': stdout)")
    p = sub.add_parser("from-example-vae", help="pytorch/examples VAE state_dict (torch.save) → latentlab file")
    p.add_argument("state_dict")
    p.add_argument("out")
    args = parser.parse_args(argv)
    if args.command == "check":
        module, meta = load_module(args.file)
        print(f"{args.file}: {meta['kind']}, loaded strictly into {type(module).__name__}")
        for name, value in module.state_dict().items():
            print(f"  {name:40s} {str(value.dtype).replace('torch.', ''):8s} {list(value.shape)}")
    elif args.command == "sample":
        text = json.dumps(sample(args.file, args.seed, args.n))
        if args.raw == "-":
            print(text)
        else:
            with open(args.raw, "w") as f:
                f.write(text + "\n")
    elif args.command == "from-example-vae":
        save_example_vae(args.out, torch.load(args.state_dict, map_location="cpu"))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
