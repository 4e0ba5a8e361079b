#!/usr/bin/env python3
"""Compares the F32 tensors of two safetensors files (Python standard library only).

  compare_tensors.py A B --identical      exit 0 iff every tensor of A is in B with the same bits
  compare_tensors.py A B --within TOL     exit 0 iff max |a - b| <= TOL over every element
  compare_tensors.py A B --differ         exit 0 iff some element differs (the test's control)
  compare_tensors.py A B --beyond TOL FRACTION
                                          exit 0 iff at most FRACTION of the elements (0.05 = 5 %)
                                          differ by more than TOL

Prints the largest absolute difference, the tensor holding it, and how many elements differ.
"""
import array
import json
import struct
import sys


def read_tensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    body = data[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {info['dtype']}, not F32")
        begin, end = info["data_offsets"]
        values = array.array("f")
        values.frombytes(body[begin:end])
        if sys.byteorder != "little":
            values.byteswap()
        tensors[name] = (body[begin:end], values)
    return tensors


def main():
    modes = {"--identical": 0, "--within": 1, "--differ": 0, "--beyond": 2}
    if len(sys.argv) < 4 or sys.argv[3] not in modes or len(sys.argv) != 4 + modes[sys.argv[3]]:
        raise SystemExit(__doc__)
    beyond_tol = float(sys.argv[4]) if sys.argv[3] == "--beyond" else float("inf")
    a, b = read_tensors(sys.argv[1]), read_tensors(sys.argv[2])
    if sorted(a) != sorted(b):
        print(f"different tensor names: {sorted(set(a) ^ set(b))}")
        return 1
    worst, worst_name, differing, beyond, total, bit_equal = 0.0, "", 0, 0, 0, True
    for name in sorted(a):
        raw_a, va = a[name]
        raw_b, vb = b[name]
        if len(va) != len(vb):
            print(f"{name}: {len(va)} vs {len(vb)} elements")
            return 1
        bit_equal = bit_equal and raw_a == raw_b
        for x, y in zip(va, vb):
            total += 1
            d = abs(x - y)
            if d != d:  # NaN
                d = float("inf")
            if x != y:
                differing += 1
            if d > beyond_tol:
                beyond += 1
            if d > worst:
                worst, worst_name = d, name
    print(f"{differing} of {total} elements differ; max |a - b| = {worst:.3g}" + (f" ({worst_name})" if worst_name else ""))
    mode = sys.argv[3]
    if mode == "--beyond":
        fraction = beyond / max(total, 1)
        print(f"{beyond} of {total} elements ({100 * fraction:.2f} %) differ by more than {beyond_tol:.3g}")
        return 0 if fraction <= float(sys.argv[5]) else 1
    if mode == "--identical":
        return 0 if bit_equal else 1
    if mode == "--differ":
        return 0 if differing > 0 else 1
    tol = float(sys.argv[4])
    return 0 if worst <= tol else 1


if __name__ == "__main__":
    sys.exit(main())
