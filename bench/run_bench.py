#!/usr/bin/env python3
"""The side-by-side benchmark behind scripts/bench (run that, not this file directly).

Measures, in one run on this machine: the FMA peak (1 thread and all threads), the GEMM
kernels on the training shapes (Google Benchmark, GFLOP/s and % of the peak), latentlab's
per-epoch training time for the VAE and the GAN at 1 and 2 threads (with peak RSS), the same
epochs in PyTorch on OpenBLAS (bench/reference/*.py), then scripts/bench-web if present.
Prints one table of targets (ours, theirs, ratio, target, met) and writes
build/bench/results.json and docs/images/bench-epochs.svg.

Timing on a shared machine: every number is a median over several epochs/repetitions, shown
with its spread (min–max); the load average is printed at the start and the end.
"""
import argparse
import csv
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "native", "bin")
OUT = os.path.join(ROOT, "build", "bench")
SVG = os.path.join(ROOT, "docs", "images", "bench-epochs.svg")
OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
MNIST_TRAIN = 60000

# The targets: speed ratios (PyTorch ÷ ours), 2-thread speed-up, GEMM fraction of the
# peak, peak RSS in MB, the VAE's test loss after 10 epochs.
TARGETS = {
    "vae_1t": 3.0, "vae_2t": 2.5, "gan_1t": 2.5, "scaling": 1.7, "gemm": 0.75, "rss_mb": 150.0, "vae_loss": 106.0,
}


def log(msg):
    print(msg, flush=True)


def loadavg():
    return "%.2f %.2f %.2f" % os.getloadavg()


def run_child(cmd, env=None, cwd=ROOT):
    """Runs cmd, returns (stdout, peak RSS in MB of that child, seconds). Fails loudly."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    # communicate() reaped the child; its own rusage is not kept, so RSS is measured with
    # /usr/bin/time-like wait4 only where asked (see run_measured).
    if proc.returncode != 0:
        sys.exit(f"bench: command failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    return out, time.perf_counter() - start


def run_measured(cmd, env=None):
    """Runs cmd with os.wait4 so the peak RSS (ru_maxrss, KiB on Linux) is that child's own."""
    start = time.perf_counter()
    with open(os.path.join(OUT, "child.out"), "w+") as out, open(os.path.join(OUT, "child.err"), "w+") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    if proc.returncode != 0:
        sys.exit(f"bench: command failed ({proc.returncode}): {' '.join(cmd)}\n{errors[-2000:]}")
    return text, usage.ru_maxrss / 1024.0, time.perf_counter() - start


def stats(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values),
            "values": values}


def spread(s):
    return f"{s['min']:.3g}–{s['max']:.3g} (n={s['n']})"


# ---- FMA peak and GEMM kernels -------------------------------------------------------------

def fma_peak(threads, repeats):
    values = []
    for _ in range(repeats):
        out, _ = run_child([os.path.join(BIN, "fma_peak"), str(threads)])
        values.append(float(re.search(r"peak: ([0-9.]+) GFLOP/s", out).group(1)))
    return stats(values)


def gemm_kernels(repetitions):
    out, _ = run_child([os.path.join(BIN, "bench_kernels"), "--benchmark_filter=gemm/(vae|gan)",
                        f"--benchmark_repetitions={repetitions}", "--benchmark_min_time=0.05",
                        "--benchmark_format=json"])
    runs = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type") == "iteration":
            runs.setdefault(b["run_name"], []).append(b["GFLOP/s"])  # the counter is already GFLOP/s
    return {name: stats(v) for name, v in runs.items()}


def shape_flops(name):
    """2·M·N·K of a bench_kernels name gemm/<model>_b<batch>/<in>x<out>/<call>."""
    m = re.match(r"gemm/\w+_b(\d+)/(\d+)x(\d+)/", name)
    batch, fan_in, fan_out = map(int, m.groups())
    return 2.0 * batch * fan_in * fan_out


# ---- training epochs ----------------------------------------------------------------------

def ours(model, threads, epochs, limit):
    out_dir = os.path.join(OUT, "runs", f"{model}-t{threads}")
    cmd = [os.path.join(BIN, "latentlab"), "train", "--model", model, "--epochs", str(epochs), "--eval-every", "0",
           "--test-limit", "100", "--threads", str(threads), "--quiet", "--overwrite", "--out", out_dir]
    if limit:
        cmd += ["--limit", str(limit)]
    if model in ("gan", "dcgan"):  # bench/reference/'s PyTorch GANs train bce (the MLP GAN's default is wgan-gp)
        cmd += ["--gan-loss", "bce"]
    _, rss, _ = run_measured(cmd)
    with open(os.path.join(out_dir, "log.csv")) as f:
        seconds = [float(row["seconds"]) for row in csv.DictReader(f)]
    return {"epoch_seconds": seconds, "rss_mb": rss}


def torch_env():
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = OPENBLAS + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    env["OPENBLAS_CORETYPE"] = "SkylakeX"
    env["PYTHONPATH"] = os.path.join(ROOT, "bench", "reference")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ in the source tree
    return env


def pytorch(model, threads, epochs, limit):
    cmd = ["/usr/bin/python3", os.path.join(ROOT, "bench", "reference", f"{model}.py"), "--data",
           os.path.join(ROOT, "data", "mnist"), "--threads", str(threads), "--epochs", str(epochs)]
    if limit:
        cmd += ["--limit", str(limit)]
    out, rss, _ = run_measured(cmd, env=torch_env())
    result = json.loads(out.strip().splitlines()[-1])
    if not any("openblas-openmp" in lib for lib in result["blas"]["loaded"]):
        sys.exit(f"bench: PyTorch did not load OpenBLAS from {OPENBLAS}: {result['blas']}")
    if result["threads"] != threads:
        sys.exit(f"bench: torch.set_num_threads({threads}) gave {result['threads']} threads")
    result["rss_mb"] = rss
    return result


def per_full_epoch(seconds, model, limit):
    """Scales partial-epoch times (--limit) to a 60,000-image epoch (steps are equal-sized)."""
    if not limit:
        return seconds
    batch = 128 if model == "vae" else 64
    steps = (limit + batch - 1) // batch if model == "vae" else limit // batch
    full = (MNIST_TRAIN + batch - 1) // batch if model == "vae" else MNIST_TRAIN // batch
    return [s * full / steps for s in seconds]


def dcgan_step_flops(batch=64):
    """FLOPs of one default DCGAN step (2 per multiply-add; convolutions and Linears only), counted
    as latentlab runs it: G forward; D forward + backward (dW and dX, but no dX of conv1) on the real
    and on the fake batch; the G step's D forward + backward (dX only, conv1's included) and G's
    backward (dW and dX, but no dX of the fc). MACs per image of each layer's forward:"""
    g = {"fc": 100 * 6272, "deconv1": 49 * 128 * 64 * 16, "deconv2": 196 * 64 * 1 * 16}
    d = {"conv1": 196 * 64 * 1 * 16, "conv2": 49 * 128 * 64 * 16, "out": 6272}
    g_fwd, d_fwd = sum(g.values()), sum(d.values())
    d_train = 2 * (d_fwd + 2 * d_fwd - d["conv1"])     # real and fake: forward, dW + dX (no dX into the data)
    g_step = d_fwd + d_fwd + (2 * g_fwd - g["fc"])     # D forward, D dX only, G dW + dX (no dX into z)
    return 2.0 * batch * (g_fwd + d_train + g_step)


def cpu_family_model():
    info = {}
    for line in open("/proc/cpuinfo"):
        key = line.split(":", 1)[0].strip()
        if key in ("cpu family", "model") and key not in info:
            info[key] = line.split(":", 1)[1].strip()
    return f"family {info.get('cpu family', '?')} model {info.get('model', '?')}"


def vae_quality():
    """The trainer issue's quality bar: `latentlab train --model vae --seed 1` (10 epochs)."""
    out_dir = os.path.join(OUT, "runs", "vae-quality")
    run_child([os.path.join(BIN, "latentlab"), "train", "--model", "vae", "--seed", "1", "--threads", "2", "--quiet",
               "--overwrite", "--out", out_dir])
    with open(os.path.join(out_dir, "summary.json")) as f:
        summary = json.load(f)
    return summary


# ---- report -------------------------------------------------------------------------------

def svg_plot(epochs, path):
    """Horizontal bars: median epoch seconds per implementation × model × threads."""
    rows = []
    for model in ("vae", "gan"):
        for impl in ("latentlab", "pytorch"):
            for t in (1, 2):
                s = epochs.get(f"{impl}/{model}/t{t}")
                if s:
                    rows.append((f"{model.upper()} {impl} {t} thread{'s' if t > 1 else ''}", s, impl))
    width, left, bar_h, gap = 760, 230, 22, 8
    longest = max(r[1]["max"] for r in rows)
    scale = (width - left - 120) / longest
    height = 50 + len(rows) * (bar_h + gap)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="13">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="22" font-weight="bold">Seconds per MNIST epoch (median; whisker: min–max)</text>']
    y = 40
    for label, s, impl in rows:
        colour = "#2b6cb0" if impl == "latentlab" else "#c05621"
        w = s["median"] * scale
        parts.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{label}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>')
        x0, x1 = left + s["min"] * scale, left + s["max"] * scale
        parts.append(f'<line x1="{x0:.1f}" y1="{y + bar_h / 2}" x2="{x1:.1f}" y2="{y + bar_h / 2}" stroke="black"/>')
        parts.append(f'<text x="{left + max(w, s["max"] * scale) + 6:.1f}" y="{y + 16}">{s["median"]:.2f} s</text>')
        y += bar_h + gap
    parts.append("</svg>")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main():
    p = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="fewer repetitions; GAN epochs timed on 12,800 images (200 steps) and scaled to 60,000; "
                        "no 10-epoch VAE quality run")
    p.add_argument("--no-pytorch", action="store_true", help="skip the PyTorch reference runs")
    p.add_argument("--pytorch-threads", default="1,2",
                   help="thread counts for the PyTorch runs (default 1,2; OpenMP's spinning makes 2 threads "
                        "very slow on a machine already loaded by other processes)")
    args = p.parse_args()
    os.makedirs(OUT, exist_ok=True)
    quick = args.quick
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    results = {"date": started, "load_start": loadavg(), "quick": quick, "command": "scripts/bench" + (" --quick" if quick else ""),
               "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
               "cores": os.cpu_count(), "cpu_family_model": cpu_family_model()}
    log(f"bench: {started}, {results['cpu']} ({results['cpu_family_model']}), {results['cores']} cores, "
        f"load average {results['load_start']}")

    log("bench: FMA peak ...")
    results["peak_1t"] = fma_peak(1, 3 if quick else 5)
    results["peak_all"] = fma_peak(os.cpu_count(), 3 if quick else 5)
    log(f"  1 thread {results['peak_1t']['median']:.1f} GFLOP/s, {os.cpu_count()} threads {results['peak_all']['median']:.1f}")

    log("bench: GEMM kernels on the training shapes ...")
    gemm = gemm_kernels(5 if quick else 15)
    # The peak again after the GEMMs: on a shared machine one measurement can be disturbed,
    # and the ceiling is the best rate the core reached in this run.
    results["peak_1t_after"] = fma_peak(1, 3 if quick else 5)
    peak = max(results["peak_1t"]["max"], results["peak_1t_after"]["max"])
    log(f"  1-thread peak after the GEMMs {results['peak_1t_after']['median']:.1f} GFLOP/s; ceiling used {peak:.1f}")
    results["gemm"] = gemm

    epoch_counts = {"vae": 3 if quick else 5, "gan": 3}
    limits = {"vae": 0, "gan": 12800 if quick else 0}
    epochs = {}
    rss = {}
    for model in ("vae", "gan"):
        for t in (1, 2):
            log(f"bench: latentlab {model} {t} thread(s), {epoch_counts[model]} epochs ...")
            r = ours(model, t, epoch_counts[model], limits[model])
            epochs[f"latentlab/{model}/t{t}"] = stats(per_full_epoch(r["epoch_seconds"], model, limits[model]))
            rss[f"latentlab/{model}/t{t}"] = r["rss_mb"]
            log(f"  median {epochs[f'latentlab/{model}/t{t}']['median']:.3f} s/epoch, peak RSS {r['rss_mb']:.0f} MB")
    if not args.no_pytorch:
        for model in ("vae", "gan"):
            for t in [int(x) for x in args.pytorch_threads.split(",")]:
                log(f"bench: PyTorch {model} {t} thread(s), {epoch_counts[model]} epochs ...")
                r = pytorch(model, t, epoch_counts[model], limits[model])
                epochs[f"pytorch/{model}/t{t}"] = stats(per_full_epoch(r["epoch_seconds"], model, limits[model]))
                rss[f"pytorch/{model}/t{t}"] = r["rss_mb"]
                results.setdefault("pytorch_blas", r["blas"])
                log(f"  median {epochs[f'pytorch/{model}/t{t}']['median']:.3f} s/epoch")
    # The DCGAN step (issue 13), on partial epochs: 100 steps (quick: 20) per configuration.
    dcgan_limit = 1280 if quick else 6400
    steps = dcgan_limit // 64
    for t in (1, 2):
        log(f"bench: latentlab dcgan {t} thread(s), {steps} steps ...")
        r = ours("dcgan", t, 1, dcgan_limit)
        epochs[f"latentlab/dcgan/t{t}"] = stats([s / steps for s in r["epoch_seconds"]])
        log(f"  {epochs[f'latentlab/dcgan/t{t}']['median']:.4f} s/step")
    if not args.no_pytorch:
        for t in [int(x) for x in args.pytorch_threads.split(",")]:
            log(f"bench: PyTorch dcgan {t} thread(s), {steps} steps ...")
            r = pytorch("dcgan", t, 1, dcgan_limit)
            epochs[f"pytorch/dcgan/t{t}"] = stats([s / steps for s in r["epoch_seconds"]])
            log(f"  {epochs[f'pytorch/dcgan/t{t}']['median']:.4f} s/step")
    results["dcgan_step_gflop"] = dcgan_step_flops() / 1e9
    results["epochs"] = epochs
    results["rss_mb"] = rss
    if not quick:
        log("bench: latentlab train --model vae --seed 1 (10 epochs, quality bar) ...")
        results["vae_quality"] = vae_quality()

    web = os.path.join(ROOT, "scripts", "bench-web")
    if os.access(web, os.X_OK):
        log("bench: scripts/bench-web ...")
        web_out = subprocess.run([web] + (["--quick"] if quick else []), cwd=ROOT, capture_output=True, text=True)
        results["web"] = {"returncode": web_out.returncode, "stdout": web_out.stdout, "stderr": web_out.stderr[-4000:]}
    results["load_end"] = loadavg()
    results["gemm_peak_used"] = peak
    report(results)


def report(results):
    """Builds the target table from the measurements in `results`, prints it, writes the JSON
    and the SVG."""
    epochs, rss, gemm, peak = results["epochs"], results["rss_mb"], results["gemm"], results["gemm_peak_used"]
    rows = []

    def row(target, ours_v, theirs_v, ratio, wanted, met):
        rows.append({"target": target, "ours": ours_v, "theirs": theirs_v, "ratio": ratio, "wanted": wanted, "met": met})

    def epoch_row(model, t, wanted):
        a, b = epochs.get(f"latentlab/{model}/t{t}"), epochs.get(f"pytorch/{model}/t{t}")
        if not b:
            return
        ratio = b["median"] / a["median"]
        row(f"{model.upper()} epoch, {t} thread{'s' if t > 1 else ''} (s; PyTorch ÷ ours)",
            f"{a['median']:.3f} [{spread(a)}]", f"{b['median']:.3f} [{spread(b)}]", f"{ratio:.2f}×",
            f"≥ {wanted}×" if wanted else "–", (ratio >= wanted) if wanted else None)

    epoch_row("vae", 1, TARGETS["vae_1t"])
    epoch_row("vae", 2, TARGETS["vae_2t"])
    epoch_row("gan", 1, TARGETS["gan_1t"])
    epoch_row("gan", 2, None)
    for model in ("vae", "gan"):
        a, b = epochs[f"latentlab/{model}/t1"], epochs[f"latentlab/{model}/t2"]
        s = a["median"] / b["median"]
        row(f"{model.upper()} 2-thread speed-up (ours: 1 thread ÷ 2 threads)", f"2 threads {b['median']:.3f} s",
            f"(ours, 1 thread {a['median']:.3f} s)",
            f"{s:.2f}×", f"≥ {TARGETS['scaling']}×", s >= TARGETS["scaling"])
    gflop = results.get("dcgan_step_gflop")
    for t in (1, 2):
        a, b = epochs.get(f"latentlab/dcgan/t{t}"), epochs.get(f"pytorch/dcgan/t{t}")
        if not a:
            continue
        ceiling = peak if t == 1 else results["peak_all"]["max"]
        theirs = f"{b['median']:.4f} [{spread(b)}]; {gflop / b['median']:.0f} GFLOP/s" if b else "–"
        row(f"DCGAN step, {t} thread{'s' if t > 1 else ''} (s; {gflop:.2f} GFLOP; PyTorch ÷ ours)",
            f"{a['median']:.4f} [{spread(a)}]; {gflop / a['median']:.0f} GFLOP/s = "
            f"{100 * gflop / a['median'] / ceiling:.0f}% of the FMA peak {ceiling:.0f}",
            theirs, f"{b['median'] / a['median']:.2f}×" if b else "–", "≥ 85% of peak",
            gflop / a["median"] / ceiling >= 0.85)
    if epochs.get("latentlab/dcgan/t1") and epochs.get("latentlab/dcgan/t2"):
        s = epochs["latentlab/dcgan/t1"]["median"] / epochs["latentlab/dcgan/t2"]["median"]
        row("DCGAN 2-thread speed-up (ours: 1 thread ÷ 2 threads)", f"{s:.2f}×", "–", "–", "≥ 1.8×", s >= 1.8)
    below = []
    for name, s in sorted(gemm.items()):
        frac = s["median"] / peak
        if frac < TARGETS["gemm"]:
            below.append(name)
    total_flops = sum(shape_flops(n) for n in gemm)
    total_time = sum(shape_flops(n) / gemm[n]["median"] for n in gemm)
    overall = total_flops / total_time / peak
    row(f"GEMM on training shapes, % of 1-core peak {peak:.0f} GFLOP/s (per shape; overall flop-weighted)",
        f"{len(gemm) - len(below)}/{len(gemm)} shapes ≥ 75%; overall {100 * overall:.0f}%",
        f"lowest {min(gemm, key=lambda n: gemm[n]['median'])}: {100 * min(s['median'] for s in gemm.values()) / peak:.0f}%",
        "–", "≥ 75% each", not below)
    vae_rss = max(rss["latentlab/vae/t1"], rss["latentlab/vae/t2"])
    row("Peak RSS of a VAE training run (MB)", f"{vae_rss:.0f}",
        f"{rss.get('pytorch/vae/t1', float('nan')):.0f} (PyTorch)", "–", "≤ 150 MB", vae_rss <= TARGETS["rss_mb"])
    if "vae_quality" in results:
        loss = results["vae_quality"].get("test_loss")
        row("VAE test loss after 10 epochs (train --model vae --seed 1)", f"{loss}", "–", "–", "≤ 106.0",
            loss is not None and float(loss) <= TARGETS["vae_loss"])
    results["table"] = rows
    results["gemm_below_75"] = below

    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    svg_plot(epochs, SVG)

    log("")
    log(f"GEMM GFLOP/s per training shape (median of repetitions; % of the 1-core peak {peak:.1f}):")
    for name, s in sorted(gemm.items()):
        log(f"  {name:<44} {s['median']:7.1f}  [{spread(s)}]  {100 * s['median'] / peak:5.1f}%")
    log("")
    log(f"| target | latentlab | PyTorch 1.13 + OpenBLAS / reference | ratio | wanted | met |")
    log(f"|---|---|---|---|---|---|")
    for r in rows:
        met = "–" if r["met"] is None else ("met" if r["met"] else "NOT met")
        log(f"| {r['target']} | {r['ours']} | {r['theirs']} | {r['ratio']} | {r['wanted']} | {met} |")
    if "web" in results:
        log("")
        log("scripts/bench-web:")
        log(results["web"]["stdout"].rstrip())
        if results["web"]["returncode"] != 0:
            log(f"(scripts/bench-web exited with {results['web']['returncode']}: {results['web']['stderr'][-500:]})")
    log("")
    log(f"CPU: {results['cpu']} ({results['cpu_family_model']})")
    log(f"load average: start {results['load_start']}, end {results['load_end']}; "
        f"results in {os.path.relpath(os.path.join(OUT, 'results.json'), ROOT)}, plot in {os.path.relpath(SVG, ROOT)}")


if __name__ == "__main__":
    main()
