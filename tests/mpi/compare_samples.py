#!/usr/bin/env python3
"""Compares the pixels of two `latentlab sample --raw` files (Python standard library only).

  compare_samples.py A.json B.json --within TOL   exit 0 iff every pixel (in [0, 1]) of A is within TOL of B's

The two files must hold the same latents (the same `sample --n N --seed S`), so that the pixels
compare two models as functions: the same z in, images out. Prints the largest and the mean
absolute difference.
"""
import json
import sys


def main():
    if len(sys.argv) != 5 or sys.argv[3] != "--within":
        raise SystemExit(__doc__)
    a, b = (json.load(open(path)) for path in sys.argv[1:3])
    if a["latents"] != b["latents"] or len(a["pixels"]) != len(b["pixels"]):
        print("the two files do not hold the same latents and image count")
        return 1
    d = [abs(x - y) for x, y in zip(a["pixels"], b["pixels"])]
    worst = max(d)
    print(f"{len(d)} pixels: max |a - b| = {worst:.3g}, mean {sum(d) / len(d):.3g}")
    return 0 if worst <= float(sys.argv[4]) else 1


if __name__ == "__main__":
    sys.exit(main())
