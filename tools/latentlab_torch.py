#!/usr/bin/python3
"""latentlab weights ⇄ PyTorch, from docs/weights-format.md alone.

Knows every kind latentlab writes: vae, gan, classifier, dcgan, conv-vae, and the conditional vae,
gan, dcgan and conv-vae (metadata "classes": the class enters as one-hot input columns; the
conditional dcgan's discriminator also has a class projection, discriminator.embed.weight), with
every discriminator the trainer makes: spectral norm ("spectral_norm" = "1": torch.nn.utils.spectral_norm
on every D layer, the file's "<layer>.weight" being torch's weight_orig), the dcgan's critic without
BatchNorm ("discriminator_batchnorm" = "0"), any "gan_loss". Needs Debian's
python3-torch and python3-numpy (no safetensors package: the format is read and written here).
As a module:

    import latentlab_torch as lt
    model, meta = lt.load_module("web/models/gan.safetensors")    # a torch.nn.Module, loaded strictly
    z = lt.sample_latents(seed=7, n=16, latent=model.latent)     # bit for bit `latentlab sample --seed 7`
    pixels = model.decode(torch.from_numpy(z))                    # n × image in [0, 1]
    pixels = cond.decode(torch.from_numpy(z), lt.cycle_labels(cond.classes, 16))   # a conditional model
    lt.save_module("mine.safetensors", model, meta)               # and back (dtype="F16" for half size)

    # A new model from PyTorch: metadata first, then the module it describes, then your weights.
    meta = lt.dcgan_metadata(784, 100, [128, 64], [64, 128])
    model = lt.from_state_dict(meta, my_dcgan.state_dict())      # latentlab's tensor names, checked
    lt.save_module("dcgan.safetensors", model, meta, dtype="F16")
    meta = lt.gan_metadata(784, 100, [128, 256], [256, 128], gan_loss="hinge", spectral_norm=True)
    d_scores = lt.build_module(meta, ["discriminator."]).discriminate(images)   # D under spectral norm

    # The pytorch/examples VAE (fc1, fc21, fc22, fc3, fc4) as a latentlab file:
    lt.save_example_vae("vae.safetensors", example_vae.state_dict())

From the command line:

    tools/latentlab_torch.py check FILE                  build the module, load strictly, list tensors
    tools/latentlab_torch.py sample FILE --seed S --n N [--class C | --classes A-B] [--raw OUT.json]
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
#
# One nn.Module per kind, whose state_dict keys are the file's tensor names (docs/weights-format.md,
# "Tensors of each kind"). Each has .latent, .image and .classes (0: unconditional) and
# decode(z, labels=None) → pixels in [0, 1]. tools/ owns these definitions so that it runs from
# tools/ alone; tests/reference/models.py keeps the training twins of the parity fixtures (losses,
# pre-activation hooks, the PyTorch examples' bias=False convs). Both are held to latentlab's C++:
# those by the Catch2 parity tests, these by tools/test_roundtrip.py.

LOGVAR_LIMIT = 30.0  # latentlab clamps log σ² to ±30 (VaeConfig::logvar_limit)
KERNEL, STRIDE, PADDING = 4, 2, 1  # every conv layer of dcgan and conv-vae (side ×2 or ÷2)


def widths(text):
    return [int(w) for w in text.split(",")]


def square_shape(size):
    side = int(round(math.sqrt(size)))
    return (side, side) if side * side == size else (size, 1)


def conv_side(image, layers):
    """The image side of a conv kind, checked as latentlab checks it (square, divisible by 2^layers)."""
    side = int(round(math.sqrt(image)))
    if side * side != image or side % (1 << layers) != 0:
        raise ValueError(f"metadata describes a conv model of {image} pixels and {layers} stride-2 layers: "
                         f"the images must be square with a side divisible by {1 << layers}")
    return side


def classes_of(meta):
    """The metadata's "classes" (a conditional model) or 0."""
    return int(meta.get("classes", "0"))


def with_labels(x, labels, classes):
    """[x | onehot(labels)]: how a class enters a conditional model (latentlab's LabelInput; no
    tensor of its own: the first Linear has `classes` more input columns, the last ones). x itself
    for an unconditional model."""
    labels = checked_labels(labels, x.shape[0], classes)
    if labels is None:
        return x
    return torch.cat([x, nn.functional.one_hot(labels, classes).to(x.dtype)], dim=1)


def checked_labels(labels, rows, classes):
    """The labels as a long tensor, one per row in [0, classes); None for an unconditional model
    (classes 0), which refuses labels, as a conditional model refuses their absence."""
    if classes == 0:
        if labels is not None:
            raise ValueError("this model is not conditional (its metadata has no \"classes\"): it takes no labels")
        return None
    if labels is None:
        raise ValueError(f"a conditional model ({classes} classes) needs one label per row "
                         "(`latentlab sample` asks row k for class k mod classes: see cycle_labels)")
    labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
    if labels.numel() != rows:
        raise ValueError(f"{labels.numel()} labels for {rows} rows")
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ValueError(f"labels must be in [0, {classes})")
    return labels


def cycle_labels(classes, n):
    """The labels `latentlab sample` gives n images of a conditional model without --class: k mod classes."""
    return [k % classes for k in range(n)]


GAN_LOSSES = ("bce", "lsgan", "hinge", "wgan-gp")


def adversarial_keys(meta, switches):
    """The discriminator's switches ({key: default}: "spectral_norm", default "0", and the dcgan's
    "discriminator_batchnorm", default "1") as booleans, after checking them and "gan_loss" as
    latentlab does. gan_loss changes training only, not a tensor: D's output is a logit (bce) or a
    critic score (lsgan, hinge, wgan-gp)."""
    loss = meta.get("gan_loss", "bce")
    if loss not in GAN_LOSSES:
        raise ValueError(f"metadata \"gan_loss\" is {loss!r} (expected {', '.join(GAN_LOSSES)})")
    values = {}
    for key, default in switches.items():
        value = meta.get(key, default)
        if value not in ("0", "1"):
            raise ValueError(f"metadata \"{key}\" must be \"0\" or \"1\", not {value!r}")
        values[key] = value == "1"
    return values


def with_spectral_norm(layer):
    """`layer` with torch.nn.utils.spectral_norm on its weight, as latentlab's SpectralNorm
    (core/src/nn/spectral_norm.cpp) normalises it: W viewed as rows × cols, rows = dim 0 (a
    Linear's out × in, a Conv2d's out × in·k·k: PyTorch's dim 0 for both), one power iteration
    per training forward, eps 1e-12; in eval mode σ = uᵀ W v from the stored u, v (no iteration),
    as latentlab's discriminate(). The state_dict then holds weight_orig (W itself, not W/σ: the
    file's "<layer>.weight"), weight_u [rows] and weight_v [cols] (the file's names). Its random
    u, v are overwritten by the file's when loaded."""
    return nn.utils.spectral_norm(layer, n_power_iterations=1, eps=1e-12, dim=0)


PROJECTION = "projection"  # the discriminator_conditioning this tool reads (and writes)
CHANNELS = "channels"  # latentlab's other one: D reads the label as input planes (not read here yet)


def discriminator_conditioning(meta, tensor_names=()):
    """Checks a dcgan's "discriminator_conditioning" as latentlab does (core/src/models/registry.cpp):
    required and "projection" or "channels" when "classes" is present, absent otherwise. A
    "channels" discriminator (conv1 reads the image and one plane per class) is refused while the
    file holds it; its generator is a projection model's and loads alone."""
    how = meta.get("discriminator_conditioning")
    if classes_of(meta) and how is None:
        raise ValueError("metadata has no \"discriminator_conditioning\" (required for a conditional DCGAN)")
    if how is not None and (not classes_of(meta) or how not in (PROJECTION, CHANNELS)):
        raise ValueError(f"metadata \"discriminator_conditioning\" must be \"{PROJECTION}\" or \"{CHANNELS}\" and "
                         f"only in a conditional DCGAN (with \"classes\"), not {how!r}")
    if how == CHANNELS and any(n.startswith("discriminator.") for n in tensor_names):
        raise ValueError(f"metadata \"discriminator_conditioning\" = \"{CHANNELS}\" (a discriminator that reads the "
                         "label as input planes): tools/latentlab_torch.py does not read such a discriminator yet "
                         "(the generator alone, `latentlab export --generator-only`, it reads)")


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
    """kind vae. Conditional (classes C > 0): the encoder reads [x | onehot(y)], the decoder [z | onehot(y)]."""

    def __init__(self, meta, tensor_names=()):
        super().__init__()
        n_in, hidden, latent = int(meta["input"]), widths(meta["hidden"]), int(meta["latent"])
        self.latent, self.image, self.classes = latent, n_in, classes_of(meta)
        self.depth = len(hidden)
        chain = [n_in + self.classes] + hidden
        self.encoder = nn.Module()
        for i in range(len(hidden)):
            setattr(self.encoder, f"fc{i + 1}", nn.Linear(chain[i], chain[i + 1]))
        self.encoder.mu = nn.Linear(hidden[-1], latent)
        self.encoder.logvar = nn.Linear(hidden[-1], latent)
        back = [latent + self.classes] + hidden[::-1]
        layers = [(f"fc{i + 1}", nn.Linear(back[i], back[i + 1])) for i in range(len(hidden))]
        layers.append(("out", nn.Linear(back[-1], n_in)))
        self.decoder = Sequence(layers, torch.relu, torch.sigmoid)

    def label_inputs(self):
        """The weights whose last `classes` input columns are the one-hot class code."""
        return ["encoder.fc1.weight", "decoder.fc1.weight"]

    def encode(self, x, labels=None):
        """(μ, log σ² clamped to ±30) of images x (n × input, pixels in [0, 1])."""
        h = with_labels(x, labels, self.classes)
        for i in range(self.depth):
            h = torch.relu(getattr(self.encoder, f"fc{i + 1}")(h))
        return self.encoder.mu(h), self.encoder.logvar(h).clamp(-LOGVAR_LIMIT, LOGVAR_LIMIT)

    def decode(self, z, labels=None):
        """Pixels in [0, 1]: sigmoid(decoder(z)), or sigmoid(decoder([z | onehot(labels)]))."""
        return self.decoder(with_labels(z, labels, self.classes))


class Gan(nn.Module):
    """kind gan. Conditional: G reads [z | onehot(y)], D reads [x | onehot(y)]. The discriminator is
    built when the file holds any of its tensors (a file holds it all or not at all); with
    "spectral_norm" = "1" every D Linear (fc1 … out) is spectral-normalised (with_spectral_norm)."""

    def __init__(self, meta, tensor_names=()):
        super().__init__()
        image, latent = int(meta["image"]), int(meta["latent"])
        hidden = widths(meta["generator_hidden"])
        slope = float(meta.get("leaky_slope", "0.2"))
        for key in ("generator_activation", "generator_batchnorm"):
            if key not in meta:
                raise ValueError(f"metadata has no \"{key}\" (required for a GAN)")
        leaky = meta["generator_activation"] == "leaky_relu"
        batchnorm = meta["generator_batchnorm"] == "1"
        eps = float(meta["batchnorm_eps"]) if batchnorm else 1e-5
        self.latent, self.image, self.classes = latent, image, classes_of(meta)
        chain = [latent + self.classes] + hidden
        layers = []
        for i in range(len(hidden)):
            bn = batchnorm and i > 0  # BatchNorm after every hidden Linear but the first
            layers.append((f"fc{i + 1}", LinearBatchNorm(chain[i], chain[i + 1], eps) if bn
                           else nn.Linear(chain[i], chain[i + 1])))
        layers.append(("out", nn.Linear(hidden[-1], image)))
        act = (lambda x: nn.functional.leaky_relu(x, slope)) if leaky else torch.relu
        self.generator = Sequence(layers, act, torch.tanh)
        has_discriminator = any(n.startswith("discriminator.") for n in tensor_names)
        self.spectral_norm = adversarial_keys(meta, {"spectral_norm": "0"})["spectral_norm"]
        if has_discriminator:
            d = [image + self.classes] + widths(meta["discriminator_hidden"])
            dl = [(f"fc{i + 1}", nn.Linear(d[i], d[i + 1])) for i in range(len(d) - 1)]
            dl.append(("out", nn.Linear(d[-1], 1)))
            if self.spectral_norm:  # every D weight, fc1 … out
                dl = [(name, with_spectral_norm(layer)) for name, layer in dl]
            self.discriminator = Sequence(dl, lambda x: nn.functional.leaky_relu(x, slope), lambda x: x)

    def label_inputs(self):
        """The weights whose last `classes` input columns are the one-hot class code."""
        return ["generator.fc1.weight", "discriminator.fc1.weight"]

    def decode(self, z, labels=None):
        """Pixels in [0, 1]: (G(z) + 1) / 2, or (G([z | onehot(labels)]) + 1) / 2."""
        return (self.generator(with_labels(z, labels, self.classes)) + 1.0) * 0.5

    def discriminate(self, images, labels=None):
        """D's scores of images in [-1, 1] (n × image): logits (gan_loss bce) or critic scores. In
        eval mode, as latentlab's Gan::discriminate (spectral norm: σ from the stored u, v)."""
        return self.discriminator(with_labels(images, labels, self.classes))


class Classifier(nn.Module):
    def __init__(self, meta, tensor_names=()):
        super().__init__()
        chain = [int(meta["input"])] + widths(meta["hidden"]) + [int(meta["classes"])]
        self.image = chain[0]
        self.classifier = Sequence([(f"fc{i + 1}", nn.Linear(chain[i], chain[i + 1])) for i in range(len(chain) - 1)],
                                   torch.relu, lambda x: x)

    def forward(self, x):
        """Logits of images x (n × input, pixels in [0, 1])."""
        return self.classifier(x)


class DcganGenerator(nn.Module):
    """fc: Linear(latent → g₁·b·b), viewed as g₁ × b × b; per stage i: bn{i} (BatchNorm2d) → ReLU →
    deconv{i} (ConvTranspose2d k4 s2 p1 to g_{i+1} channels, the last to 1 channel, then tanh).
    Conditional: `latent` is the latent size + classes (fc reads [z | onehot(y)])."""

    def __init__(self, latent, channels, side, eps):
        super().__init__()
        self.channels, self.base = channels, side >> len(channels)
        self.fc = nn.Linear(latent, channels[0] * self.base * self.base)
        for i, c in enumerate(channels):
            out = channels[i + 1] if i + 1 < len(channels) else 1
            self.add_module(f"bn{i + 1}", nn.BatchNorm2d(c, eps=eps))
            self.add_module(f"deconv{i + 1}", nn.ConvTranspose2d(c, out, KERNEL, STRIDE, PADDING))

    def forward(self, z):
        h = self.fc(z).view(z.shape[0], self.channels[0], self.base, self.base)
        for i in range(len(self.channels)):
            h = getattr(self, f"deconv{i + 1}")(torch.relu(getattr(self, f"bn{i + 1}")(h)))
        return torch.tanh(h).flatten(1)


class DcganDiscriminator(nn.Module):
    """conv1 (Conv2d k4 s2 p1) → LeakyReLU; per further stage i: conv{i} → bn{i} → LeakyReLU;
    out: Linear → 1 logit. Without BatchNorm (discriminator_batchnorm 0, the wgan-gp critic):
    conv{i} → LeakyReLU at every stage, no bn{i}, every conv bias trained. With spectral norm:
    every conv{i} and out spectral-normalised (with_spectral_norm; the class embedding is not).
    Conditional (classes > 0), the projection of Miyato & Koyama (2018):
    logit = out(h) + ⟨E[y], h⟩, h the flattened features out reads, E = embed.weight
    [classes, features] (nn.Embedding's layout; latentlab's ClassProjection)."""

    def __init__(self, channels, side, slope, eps, classes=0, batchnorm=True, spectral_norm=False):
        super().__init__()
        self.channels, self.side, self.slope, self.batchnorm = channels, side, slope, batchnorm
        sn = with_spectral_norm if spectral_norm else (lambda layer: layer)
        for i, c in enumerate(channels):
            self.add_module(f"conv{i + 1}", sn(nn.Conv2d(channels[i - 1] if i else 1, c, KERNEL, STRIDE, PADDING)))
            if i and batchnorm:
                self.add_module(f"bn{i + 1}", nn.BatchNorm2d(c, eps=eps))
        base = side >> len(channels)
        self.out = sn(nn.Linear(channels[-1] * base * base, 1))
        if classes:  # after out: latentlab saves discriminator.embed.weight after discriminator.out.bias
            self.embed = nn.Embedding(classes, channels[-1] * base * base)

    def forward(self, x, labels=None):
        h = x.view(x.shape[0], 1, self.side, self.side)
        for i in range(len(self.channels)):
            h = getattr(self, f"conv{i + 1}")(h)
            if i and self.batchnorm:
                h = getattr(self, f"bn{i + 1}")(h)
            h = nn.functional.leaky_relu(h, self.slope)
        h = h.flatten(1)
        if labels is None:
            return self.out(h)
        return self.out(h) + (self.embed(labels) * h).sum(dim=1, keepdim=True)


class Dcgan(nn.Module):
    """kind dcgan. A conv whose output a BatchNorm normalises keeps its bias in the file, held at 0
    (the PyTorch DCGAN example has bias=False there): built as zeros here, listed by
    biases_held_at_zero(). The discriminator is built when the file holds any of its tensors.
    Conditional ("classes", "discriminator_conditioning" = "projection"): G's fc reads
    [z | onehot(y)]; D adds the class projection ⟨E[y], h⟩ to its logit (DcganDiscriminator).
    "discriminator_batchnorm" = "0" (the wgan-gp critic) and "spectral_norm" = "1" change D as
    DcganDiscriminator says; as latentlab, wgan-gp needs a critic without BatchNorm (or of one
    conv) and an unconditional one."""

    def __init__(self, meta, tensor_names=()):
        super().__init__()
        discriminator_conditioning(meta, tensor_names)
        image, latent = int(meta["image"]), int(meta["latent"])
        g, d = widths(meta["generator_channels"]), widths(meta["discriminator_channels"])
        slope = float(meta.get("leaky_slope", "0.2"))
        eps = float(meta.get("batchnorm_eps", "1e-5"))
        self.latent, self.image, self.classes = latent, image, classes_of(meta)
        self.generator = DcganGenerator(latent + self.classes, g, conv_side(image, len(g)), eps)
        has_discriminator = any(n.startswith("discriminator.") for n in tensor_names)
        switches = adversarial_keys(meta, {"spectral_norm": "0", "discriminator_batchnorm": "1"})
        self.spectral_norm, batchnorm = switches["spectral_norm"], switches["discriminator_batchnorm"]
        if meta.get("gan_loss") == "wgan-gp" and batchnorm and len(d) > 1:  # latentlab's check_config
            raise ValueError("metadata \"gan_loss\" = \"wgan-gp\" needs \"discriminator_batchnorm\" = \"0\" "
                             "(the gradient penalty needs a critic without BatchNorm)")
        if meta.get("gan_loss") == "wgan-gp" and self.classes:
            raise ValueError("metadata \"gan_loss\" = \"wgan-gp\" with \"classes\": latentlab has no conditional "
                             "wgan-gp critic")
        if has_discriminator:
            self.discriminator = DcganDiscriminator(d, conv_side(image, len(d)), slope, eps, self.classes,
                                                    batchnorm, self.spectral_norm)
        with torch.no_grad():
            for name in self.biases_held_at_zero():
                self.get_parameter(name).zero_()

    def biases_held_at_zero(self):
        names = [f"generator.deconv{i + 1}.bias" for i in range(len(self.generator.channels) - 1)]
        if hasattr(self, "discriminator") and self.discriminator.batchnorm:
            names += [f"discriminator.conv{i + 1}.bias" for i in range(1, len(self.discriminator.channels))]
        return names

    def label_inputs(self):
        """The weights whose last `classes` input columns are the one-hot class code."""
        return ["generator.fc.weight"]

    def decode(self, z, labels=None):
        """Pixels in [0, 1]: (G(z) + 1) / 2, or (G([z | onehot(labels)]) + 1) / 2."""
        return (self.generator(with_labels(z, labels, self.classes)) + 1.0) * 0.5

    def discriminate(self, images, labels=None):
        """D's scores of images in [-1, 1] (n × image): logits (gan_loss bce) or critic scores; a
        conditional D adds ⟨E[y], h⟩. In eval mode, as latentlab's Dcgan::discriminate (BatchNorm's
        running statistics; spectral norm: σ from the stored u, v)."""
        return self.discriminator(images, checked_labels(labels, images.shape[0], self.classes))


class ConvVae(nn.Module):
    """kind conv-vae. encoder: conv{i} (Conv2d k4 s2 p1, ReLU), fc (Linear, ReLU), mu, logvar;
    decoder: fc1 (ReLU), fc2 (ReLU, viewed as c_n × b × b), deconv{i} (ConvTranspose2d k4 s2 p1,
    ReLU but the last: logits, 1 channel). Conditional: encoder.fc reads [flattened conv features |
    onehot(y)], decoder.fc1 reads [z | onehot(y)]; the convolutions read no label."""

    def __init__(self, meta, tensor_names=()):
        super().__init__()
        n_in, channels, fc, latent = int(meta["input"]), widths(meta["channels"]), int(meta["fc"]), int(meta["latent"])
        self.latent, self.image, self.classes = latent, n_in, classes_of(meta)
        self.side, self.channels = conv_side(n_in, len(channels)), channels
        self.base = self.side >> len(channels)
        code = channels[-1] * self.base * self.base
        self.encoder = nn.Module()
        for i, c in enumerate(channels):
            self.encoder.add_module(f"conv{i + 1}", nn.Conv2d(channels[i - 1] if i else 1, c, KERNEL, STRIDE, PADDING))
        self.encoder.fc = nn.Linear(code + self.classes, fc)
        self.encoder.mu = nn.Linear(fc, latent)
        self.encoder.logvar = nn.Linear(fc, latent)
        self.decoder = nn.Module()
        self.decoder.fc1 = nn.Linear(latent + self.classes, fc)
        self.decoder.fc2 = nn.Linear(fc, code)
        back = channels[::-1] + [1]
        for i in range(len(channels)):
            self.decoder.add_module(f"deconv{i + 1}", nn.ConvTranspose2d(back[i], back[i + 1], KERNEL, STRIDE, PADDING))

    def label_inputs(self):
        """The weights whose last `classes` input columns are the one-hot class code."""
        return ["encoder.fc.weight", "decoder.fc1.weight"]

    def encode(self, x, labels=None):
        """(μ, log σ² clamped to ±30) of images x (n × input, pixels in [0, 1])."""
        h = x.view(x.shape[0], 1, self.side, self.side)
        for i in range(len(self.channels)):
            h = torch.relu(getattr(self.encoder, f"conv{i + 1}")(h))
        h = torch.relu(self.encoder.fc(with_labels(h.flatten(1), labels, self.classes)))
        return self.encoder.mu(h), self.encoder.logvar(h).clamp(-LOGVAR_LIMIT, LOGVAR_LIMIT)

    def decode(self, z, labels=None):
        """Pixels in [0, 1]: σ(decoder(z)), or σ(decoder([z | onehot(labels)]))."""
        d = self.decoder
        h = torch.relu(d.fc2(torch.relu(d.fc1(with_labels(z, labels, self.classes)))))
        h = h.view(z.shape[0], self.channels[-1], self.base, self.base)
        for i in range(len(self.channels)):
            h = getattr(d, f"deconv{i + 1}")(h)
            if i + 1 < len(self.channels):
                h = torch.relu(h)
        return torch.sigmoid(h.flatten(1))


# The kinds this tool knows: the metadata's "kind" → the module's class.
KINDS = {"vae": Vae, "gan": Gan, "classifier": Classifier, "dcgan": Dcgan, "conv-vae": ConvVae}


def build_module(meta, tensor_names=()):
    """The torch.nn.Module a latentlab file's __metadata__ describes (untrained, in eval mode).
    A GAN or DCGAN gets its discriminator only when tensor_names holds some of its tensors."""
    kind = meta.get("kind")
    if kind not in KINDS:
        raise ValueError(f"__metadata__ kind {kind!r}: this tool knows {', '.join(KINDS)}")
    try:
        return KINDS[kind](meta, tensor_names).eval()
    except KeyError as e:
        raise ValueError(f"metadata has no {e} (required for a {kind})") from None


def is_counter(name):
    return name.endswith(".num_batches_tracked")


SN_WEIGHT = ".weight_orig"  # torch's spectral_norm keeps W under this name; a latentlab file under ".weight"


def file_name(state_name):
    """A module's state_dict key as the file names it: torch's spectral-norm "<layer>.weight_orig"
    (W itself) is the file's "<layer>.weight"; "<layer>.weight_u" and "<layer>.weight_v" are the
    same names in both. Every other key is the file's name already."""
    return state_name[:-len(SN_WEIGHT)] + ".weight" if state_name.endswith(SN_WEIGHT) else state_name


def file_state(module):
    """The module's state_dict under the file's tensor names (file_name), in its own order."""
    return {file_name(k): v for k, v in module.state_dict().items()}


def state_names(module):
    """{file name: the module's state_dict key} (they differ only for spectral-normalised weights)."""
    return {file_name(k): k for k in module.state_dict()}


def is_sn_vector(name):
    return name.endswith((".weight_u", ".weight_v"))


def key_hint(meta, name, present):
    """Why a discriminator tensor may be unknown (present) or missing: the metadata switch that
    decides it (spectral_norm for the power-iteration vectors, discriminator_batchnorm for bn{i})."""
    if not name.startswith("discriminator."):
        return ""
    if is_sn_vector(name):
        return (" (spectral norm's power-iteration vector: the file's metadata has no \"spectral_norm\" = \"1\")"
                if present else " (\"spectral_norm\" = \"1\": every discriminator weight has its u and v)")
    if ".bn" in name and meta.get("kind") == "dcgan":
        return (" (the metadata's \"discriminator_batchnorm\" = \"0\": the critic has no BatchNorm)"
                if present else " (\"discriminator_batchnorm\" is \"1\" or absent: the discriminator has BatchNorm)")
    return ""


def columns_hint(module, name, meta, file_shape, module_shape):
    """Why the weight of a layer that reads the one-hot class columns may have the wrong number of
    input columns: the "classes" key."""
    if (name not in getattr(module, "label_inputs", lambda: [])() or len(file_shape) != 2
            or file_shape[0] != module_shape[0]):
        return ""
    extra = file_shape[1] - module_shape[1]
    if extra > 0 and "classes" not in meta:
        return (f" ({extra} more input columns than the metadata describes: a conditional model's file "
                f"records them as \"classes\" = \"{extra}\")")
    if "classes" in meta:
        return f" (the metadata's \"classes\" = \"{meta['classes']}\" adds that many input columns)"
    return ""


def check_tensors(path, module, meta, tensors):
    """Every problem between a file's tensors and the module its metadata describes, in one
    ValueError naming each tensor: an unknown tensor, a missing one, a wrong shape or dtype."""
    expected = {name: tuple(v.shape) for name, v in file_state(module).items() if not is_counter(name)}
    held_at_zero = set(getattr(module, "biases_held_at_zero", lambda: [])())
    problems, hinted = [], set()

    def once(hint):  # a metadata key's hint, given with the first tensor it explains
        if hint in hinted:
            return ""
        hinted.add(hint)
        return hint

    for name, (dtype, values) in tensors.items():
        if is_counter(name):
            if name[:-len("num_batches_tracked")] + "running_mean" not in expected:
                problems.append(f"tensor {name!r} ({dtype} {list(values.shape)}) counts batches of a "
                                "BatchNorm this model does not have")
        elif name not in expected:
            problems.append(f"tensor {name!r} ({dtype} {list(values.shape)}) is not part of this {meta['kind']}"
                            + once(key_hint(meta, name, present=True)))
        elif dtype in INTEGER_DTYPES:
            problems.append(f"tensor {name!r} is {dtype}: latentlab's parameters are float (F32, F16, BF16)")
        elif tuple(values.shape) != expected[name]:
            problems.append(f"tensor {name!r} has shape {list(values.shape)}, the metadata describes "
                            f"{list(expected[name])}" + columns_hint(module, name, meta, values.shape, expected[name]))
    for name, shape in expected.items():
        if name not in tensors:
            hint = (" (a conv that BatchNorm follows keeps its bias in a latentlab file, held at 0: "
                    "write zeros where your model has bias=False)") if name in held_at_zero else ""
            hint = hint or once(key_hint(meta, name, present=False))
            problems.append(f"missing tensor {name!r} {list(shape)}" + hint)
    if problems:
        described = ", ".join(f"{k} {meta[k]}" for k in DESCRIBING_KEYS if k in meta)
        raise ValueError(f"{path}: does not hold the {meta['kind']} its metadata describes ({described}): "
                         + "; ".join(problems))


DESCRIBING_KEYS = ("input", "image", "hidden", "latent", "classes", "generator_hidden", "discriminator_hidden",
                   "generator_activation", "generator_batchnorm", "generator_channels",
                   "discriminator_channels", "channels", "fc", "spectral_norm", "discriminator_batchnorm", "gan_loss")


def module_from_tensors(where, meta, tensors):
    """The module of `meta` holding `tensors` ({file name: (dtype, array)}), checked strictly by
    check_tensors. BatchNorm's batch counters, which latentlab does not store, are set to 0. A
    spectral-normalised weight W goes to torch's weight_orig, its u and v to weight_u, weight_v:
    load_state_dict(strict=True) with the three keys and no "weight" is torch's current
    (version 1) layout, taken as it is."""
    module = build_module(meta, tensors.keys())
    check_tensors(where, module, meta, tensors)
    names = state_names(module)
    state = {}
    for name, (dtype, values) in tensors.items():
        if is_counter(name):
            state[name] = torch.tensor(int(values), dtype=torch.long)
        else:
            state[names[name]] = torch.from_numpy(np.array(values, dtype=np.float32))
    for name, value in module.state_dict().items():
        if is_counter(name) and name not in state:
            state[name] = torch.zeros_like(value)
    module.load_state_dict(state, strict=True)
    return module


def load_module(path):
    """(module, metadata): the module of a latentlab file with every tensor loaded strictly — the
    file's float tensors must be exactly the module's state_dict, by name and shape (an error names
    each tensor that is unknown, missing or mis-shaped)."""
    meta, tensors = read_safetensors(path)
    if "kind" not in meta:
        raise ValueError(f"{path}: __metadata__ has no \"kind\": not a latentlab file")
    return module_from_tensors(path, meta, tensors), meta


def from_state_dict(meta, state_dict):
    """The module of `meta` holding your PyTorch model's weights, ready for save_module. The
    state_dict's keys are latentlab's tensor names; BatchNorm counters may be there or not; a conv
    that BatchNorm follows may lack its bias (bias=False: written as the zeros latentlab holds it
    at). A discriminator under torch.nn.utils.spectral_norm (metadata "spectral_norm" = "1") may
    give its weights as torch names them, "<layer>.weight_orig", or as the file does, "<layer>.weight".
    Strict otherwise: a ValueError names every unknown, missing or mis-shaped tensor."""
    module = build_module(meta, state_dict.keys())
    sn_weights = {k for k in module.state_dict() if k.endswith(SN_WEIGHT)}  # renamed only where the module has them
    tensors = {}
    for name, value in state_dict.items():
        array = value.detach().cpu().numpy()
        name = file_name(name) if name in sn_weights else name
        tensors[name] = ("F32", array.astype(np.float32)) if value.is_floating_point() else ("I64", array)
    for name in getattr(module, "biases_held_at_zero", lambda: [])():
        if name not in tensors:
            tensors[name] = ("F32", np.zeros(tuple(module.get_parameter(name).shape), np.float32))
    return module_from_tensors("state_dict", meta, tensors)


def common_metadata(kind, image_size, pixel_range):
    h, w = square_shape(image_size)
    return {"format": "latentlab", "format_version": "1", "kind": kind, "image_height": str(h),
            "image_width": str(w), "pixel_range": pixel_range}


def join(values):
    return ",".join(map(str, values))


def put_classes(m, classes):
    if classes:  # recorded only for a conditional model, as latentlab does
        m["classes"] = str(classes)
    return m


def vae_metadata(n_in, hidden, latent, beta=1.0, classes=0):
    m = common_metadata("vae", n_in, "0,1")
    m.update({"input": str(n_in), "hidden": join(hidden), "latent": str(latent), "beta": repr(float(beta))})
    return put_classes(m, classes)


def put_adversarial(m, gan_loss, spectral_norm):
    """gan_loss and spectral_norm, each written only when it is not the default, as latentlab does."""
    if gan_loss not in GAN_LOSSES:
        raise ValueError(f"gan_loss {gan_loss!r} (expected {', '.join(GAN_LOSSES)})")
    if gan_loss != "bce":
        m["gan_loss"] = gan_loss
    if spectral_norm:
        m["spectral_norm"] = "1"


def gan_metadata(image, latent, generator_hidden, discriminator_hidden, leaky=True, batchnorm=True,
                 batchnorm_eps=0.8, leaky_slope=0.2, classes=0, gan_loss="bce", spectral_norm=False):
    m = common_metadata("gan", image, "-1,1")
    m.update({"image": str(image), "latent": str(latent),
              "generator_hidden": join(generator_hidden), "discriminator_hidden": join(discriminator_hidden),
              "leaky_slope": repr(float(leaky_slope)),
              "generator_activation": "leaky_relu" if leaky else "relu",
              "generator_batchnorm": "1" if batchnorm else "0", "batchnorm_eps": repr(float(batchnorm_eps))})
    put_adversarial(m, gan_loss, spectral_norm)
    return put_classes(m, classes)


def dcgan_metadata(image, latent, generator_channels, discriminator_channels, leaky_slope=0.2, batchnorm_eps=1e-5,
                   classes=0, gan_loss="bce", spectral_norm=False, discriminator_batchnorm=True):
    m = common_metadata("dcgan", image, "-1,1")
    m.update({"image": str(image), "latent": str(latent), "generator_channels": join(generator_channels),
              "discriminator_channels": join(discriminator_channels), "leaky_slope": repr(float(leaky_slope)),
              "batchnorm_eps": repr(float(batchnorm_eps))})
    put_adversarial(m, gan_loss, spectral_norm)
    if not discriminator_batchnorm:
        m["discriminator_batchnorm"] = "0"
    if classes:  # the one way latentlab's DCGAN discriminator reads a label
        m["discriminator_conditioning"] = PROJECTION
    return put_classes(m, classes)


def conv_vae_metadata(n_in, channels, fc, latent, beta=1.0, classes=0):
    m = common_metadata("conv-vae", n_in, "0,1")
    m.update({"input": str(n_in), "channels": join(channels), "fc": str(fc), "latent": str(latent),
              "beta": repr(float(beta))})
    return put_classes(m, classes)


def latentlab_order(module):
    """The module's tensors, by file name, in latentlab's save order: per network (encoder, decoder,
    generator, discriminator, classifier), its parameters layer by layer (weight, then bias), then
    its buffers: BatchNorm statistics, then spectral norm's u, v layer by layer (latentlab declares
    those after every layer). torch's spectral_norm re-registers the weight (weight_orig) after the
    bias, and its buffers sit among the layers': both put back in latentlab's order here."""
    names = []
    for child, network in module.named_children():
        params, statistics, vectors = [], [], []
        for path, layer in network.named_modules():
            prefix = f"{child}.{path}." if path else f"{child}."
            own = [n for n, _ in layer.named_parameters(recurse=False)]
            own.sort(key=lambda n: n != SN_WEIGHT[1:])  # weight_orig first; the rest as declared
            params += [file_name(prefix + n) for n in own]
            for n, _ in layer.named_buffers(recurse=False):
                (vectors if is_sn_vector("." + n) else statistics).append(prefix + n)
        names += params + statistics + vectors
    return names


def save_module(path, module, meta, dtype="F32", extra=None, keep_counters=False):
    """Writes a module built by build_module (or any module whose state_dict has latentlab's names)
    as a latentlab file (dtype "F32" or "F16"), tensors in latentlab's save order. BatchNorm's
    integer batch counters are left out unless keep_counters (latentlab skips them with a note)."""
    state = file_state(module)
    order = [n for n in latentlab_order(module) if n in state]
    order += [n for n in state if n not in order]
    tensors = {name: state[name].detach().cpu().numpy() for name in order if keep_counters or not is_counter(name)}
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


def class_range(text, classes):
    """The classes of `--classes A-B` (or `--classes A`), checked as latentlab checks them."""
    first, _, last = text.partition("-")
    if not (first.isdigit() and (last or first).isdigit()):
        raise ValueError(f"--classes {text}: not a range A-B of classes in [0, {classes})")
    bounds = [int(first), int(last or first)]
    if any(c < 0 or c >= classes for c in bounds) or bounds[1] < bounds[0]:
        raise ValueError(f"--classes {text}: not a range of classes in [0, {classes})")
    return list(range(bounds[0], bounds[1] + 1))


def sample(path, seed, n, class_=None, classes=None):
    """The `latentlab sample --raw` record of a file, computed by PyTorch. A conditional model's
    images are asked for class k mod classes (image k), every one for `class_` (--class C), or,
    with `classes` (a list, --classes A-B), the same n latents once per class, a row each."""
    module, meta = load_module(path)
    if (class_ is not None or classes is not None) and not module.classes:
        raise ValueError(f"{path}: this model is not conditional, so it cannot be asked for a class")
    z = sample_latents(seed, n, module.latent)
    labels = None
    if classes is not None:
        z = np.concatenate([z] * len(classes))
        labels = [c for c in classes for _ in range(n)]
    elif class_ is not None:
        labels = [class_] * n
    elif module.classes:
        labels = cycle_labels(module.classes, n)
    with torch.no_grad():
        pixels = module.decode(torch.from_numpy(z), labels).numpy().astype(np.float32)
    rows, cols = int(meta.get("image_height", 0)), int(meta.get("image_width", 0))
    if rows * cols != module.image:
        rows, cols = square_shape(module.image)
    record = {"weights": path, "kind": meta["kind"], "seed": seed, "n": len(z)}
    if labels is not None:
        record["labels"] = labels
    record.update({"latent": module.latent, "rows": rows, "cols": cols, "latents": [float(v) for v in z.ravel()],
                   "pixels": [float(v) for v in pixels.ravel()]})
    return record


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="build the module of a file, load it strictly, list its tensors")
    p.add_argument("file")
    p = sub.add_parser("sample", help="`latentlab sample --raw` computed by PyTorch")
    p.add_argument("file")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=64)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--class", dest="class_", type=int, help="conditional models: the class of every image")
    group.add_argument("--classes", help="conditional models: a range A-B, one row of the n latents per class")
    p.add_argument("--raw", default="-", help="JSON output file ('-': stdout)")
    p = sub.add_parser("from-example-vae", help="pytorch/examples VAE state_dict (torch.save) → latentlab file")
    p.add_argument("state_dict")
    p.add_argument("out")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            module, meta = load_module(args.file)
            _, tensors = read_safetensors(args.file)
            print(f"{args.file}: {meta['kind']}, loaded strictly into {type(module).__name__}")
            for name in latentlab_order(module):
                if name in tensors:
                    dtype, values = tensors[name]
                    print(f"  {name:40s} {dtype:4s} {list(values.shape)}")
        elif args.command == "sample":
            classes = None
            if args.class_ is not None or args.classes is not None:  # usage errors (exit 2), as latentlab's
                n_classes = classes_of(read_safetensors(args.file)[0])
                flag = "--class" if args.class_ is not None else "--classes"
                if not n_classes:
                    parser.error(f"{flag}: {args.file} is not a conditional model, so it cannot be asked for a class")
                if args.class_ is not None and not 0 <= args.class_ < n_classes:
                    parser.error(f"--class {args.class_}: not a class of this model (0 to {n_classes - 1})")
                if args.classes is not None:
                    try:
                        classes = class_range(args.classes, n_classes)
                    except ValueError as e:
                        parser.error(str(e))
            text = json.dumps(sample(args.file, args.seed, args.n, args.class_, classes))
            if args.raw == "-":
                print(text)
            else:
                with open(args.raw, "w") as f:
                    f.write(text + "\n")
        elif args.command == "from-example-vae":
            save_example_vae(args.out, torch.load(args.state_dict, map_location="cpu"))
            print(f"wrote {args.out}")
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
