"""Shared pieces of the PyTorch reference benchmarks: MNIST from the IDX files, the epoch timer.

The IDX format: a big-endian header (magic, then one uint32 per dimension) followed by the raw
uint8 values. Read directly with numpy so the reference needs nothing beyond Debian's
python3-torch (and its numpy).
"""
import argparse
import json
import os
import re
import sys
import time

import numpy as np
import torch


def read_idx_images(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, count, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    if magic != 2051:
        sys.exit(f"{path}: not an IDX image file (magic {magic})")
    return np.frombuffer(data[16:], dtype=np.uint8).reshape(count, rows * cols)


def load_train_images(data_dir, scale, shift):
    """Training images as one float32 tensor, pixel p ↦ scale·p/255 + shift."""
    pixels = read_idx_images(os.path.join(data_dir, "train-images-idx3-ubyte"))
    return torch.from_numpy(pixels.astype(np.float32) * (scale / 255.0) + shift)


def parse_args(description, default_epochs):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", default="data/mnist", help="directory with the MNIST IDX files")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads(N)")
    p.add_argument("--epochs", type=int, default=default_epochs, help="epochs to time")
    p.add_argument("--limit", type=int, default=0, help="use only the first N training images (0: all)")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


def blas_in_use():
    """The BLAS torch was built against / loaded, from torch.__config__.show() and /proc/self/maps."""
    built = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    return {"built_with": built.group(1) if built else "?", "loaded": libs}


def run(model, args, epoch_fn, steps_per_epoch, images_per_epoch):
    """Times args.epochs calls of epoch_fn() and prints one JSON line with the results."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    seconds, losses = [], []
    for _ in range(args.epochs):
        start = time.perf_counter()
        loss = epoch_fn()
        seconds.append(time.perf_counter() - start)
        losses.append(loss)
    print(json.dumps({
        "impl": "pytorch", "model": model, "threads": torch.get_num_threads(),
        "torch": torch.__version__, "blas": blas_in_use(),
        "steps_per_epoch": steps_per_epoch, "images_per_epoch": images_per_epoch,
        "epoch_seconds": seconds, "train_loss": losses,
    }))
