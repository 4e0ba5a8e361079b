#!/usr/bin/env python3
"""Tensor digests of safetensors files, for scripts/check-unchanged (standard library only).

  safetensors_digest.py FILE        one line per tensor: name dtype shape sha256(raw bytes)
  safetensors_digest.py REF CUR     compares two files: prints one status line
                                    ("identical: ..." or "DIFFERENT: ..."); exits 1 if any
                                    tensor's name, dtype, shape or bytes differ, or any metadata
                                    value (settings, metrics, steps, RNG and Adam state) differs,
                                    except the VOLATILE keys (command line, paths, times, the
                                    program version), whose differences are listed as information.
"""
import hashlib
import json
import struct
import re
import sys

# Metadata that legitimately differs between two builds/runs of the same computation.
VOLATILE = re.compile(r"command|path|time|sec|date|trained_by|exported_from")


def read(path):
    """(metadata dict, {name: (dtype, shape, sha256)}) of a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    data = blob[8 + n :]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        tensors[name] = (t["dtype"], "x".join(map(str, t["shape"])) or "scalar",
                         hashlib.sha256(data[begin:end]).hexdigest())
    return metadata, tensors


def main(args):
    if len(args) == 1:
        for name, (dtype, shape, digest) in sorted(read(args[0])[1].items()):
            print(name, dtype, shape, digest)
        return 0
    if len(args) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    (ref_meta, ref), (cur_meta, cur) = read(args[0]), read(args[1])
    names = sorted(set(ref) | set(cur))
    bad = [n for n in names if ref.get(n) != cur.get(n)]
    keys = sorted(set(ref_meta) | set(cur_meta))
    changed = [k for k in keys if ref_meta.get(k) != cur_meta.get(k)]
    bad_meta = [k for k in changed if not VOLATILE.search(k)]
    info = [k for k in changed if VOLATILE.search(k)]

    def listed(items, total, what, a, b):
        note = lambda n: " (only in cur)" if n not in a else " (only in ref)" if n not in b else ""
        shown = ", ".join(n + note(n) for n in items[:6]) + (", ..." if len(items) > 6 else "")
        return f"{len(items)} of {total} {what} ({shown})"

    if bad or bad_meta:
        parts = ([listed(bad, len(names), "tensors", ref, cur)] if bad else []) + \
                ([listed(bad_meta, len(keys), "metadata keys", ref_meta, cur_meta)] if bad_meta else [])
        print("DIFFERENT: " + "; ".join(parts))
    else:
        print(f"identical: {len(names)} tensors, {len(keys) - len(info)} metadata keys"
              + (f" (differ, ignored: {', '.join(info)})" if info else ""))
    return 1 if bad or bad_meta else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
