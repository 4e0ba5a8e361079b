"""Writes a .npy file of images the way a PyTorch user hands their samples to `latentlab eval --images`:

    np.save(path, images.detach().cpu().numpy())   # images: float32 torch tensor (N, 1, 28, 28) in [0, 1]

The images are the first N of an IDX u8 images file (e.g. MNIST's t10k-images-idx3-ubyte) divided
by 255 in torch, so the C++ test can check that the same images given as IDX score identically.

    /usr/bin/python3 tests/reference/write_npy_images.py IDX_IMAGES N OUT.npy [--noise]

--noise writes uniform noise of the same shape instead (torch.rand, seed 0): a file that must score
far worse. Run by tests/unit/native/cli/test_cli_eval_images.cpp (Debian's python3-torch).
"""
import sys

import numpy as np
import torch


def read_idx_images(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x00\x00\x08\x03":
        raise SystemExit(f"{path}: not an IDX u8 images file")
    count, rows, cols = (int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows, cols)


def main():
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__)
    source, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    raw = torch.from_numpy(read_idx_images(source)[:n].copy()).unsqueeze(1)  # (n, 1, 28, 28) uint8
    if len(sys.argv) == 5 and sys.argv[4] == "--noise":
        images = torch.rand(raw.shape, generator=torch.Generator().manual_seed(0))
    else:
        images = raw.to(torch.float32) / 255
    np.save(out, images.detach().cpu().numpy())


if __name__ == "__main__":
    main()
