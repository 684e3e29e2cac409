"""Time batched asynchronous recall against a per-neuron Python loop (N = 784, 100 probes, 10 sweeps).

Both run the same dynamics on the same probes with the same update orders (one random permutation of
the units per sweep, shared by all probes): the baseline, like the seed notebook's loop, visits one
probe and one unit at a time and recomputes the unit's field W[i] . s (in NumPy, and once more in
torch as the seed wrote it); the library
(``course_lib.hopfield.async_sweep``) updates all probes at once, keeps the fields up to date
incrementally (O(N) per flip) and skips probes that can no longer change. The final states must be
identical. The network stores 39 MNIST test images with the projection rule; probes are the stored
images with 20 % of the pixels flipped. Writes build/benchmarks/hopfield_recall.json.

BLAS runs on one thread unless BENCH_THREADS says otherwise (set before NumPy loads): on a small
shared machine a multi-threaded BLAS oversubscribes the cores and only adds noise; the baseline
does not use BLAS threads either.
"""

from __future__ import annotations

import os

THREADS = os.environ.get("BENCH_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, THREADS)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_lib import hopfield  # noqa: E402
from course_lib.datasets import binarize, corrupt, load_mnist  # noqa: E402

N_PROBES, SWEEPS, P = 100, 10, 39


def per_neuron_loop(W: np.ndarray, probes: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """The straightforward version: for each probe, each sweep, each unit, recompute its field."""
    out = probes.copy()
    for s in out:
        for order in orders:
            for i in order:
                h = W[i] @ s
                if h > 0:
                    s[i] = 1.0
                elif h < 0:
                    s[i] = -1.0
    return out


def seed_like_torch_loop(W: np.ndarray, probes: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """The seed notebook's style: torch tensors, one probe and one unit at a time."""
    import torch

    Wt = torch.from_numpy(W)
    out = torch.from_numpy(probes.copy())
    for s in out:
        for order in orders:
            for i in order.tolist():
                h = Wt[i] @ s
                if h > 0:
                    s[i] = 1.0
                elif h < 0:
                    s[i] = -1.0
    return out.numpy()


def library(W: np.ndarray, probes: np.ndarray, order_seed: int) -> np.ndarray:
    """course_lib: all probes at once, ``SWEEPS`` sweeps, the permutations drawn from the same seed."""
    return hopfield.async_sweep(W, probes, rng=np.random.default_rng(order_seed), sweeps=SWEEPS)


def best_of(fn, repeats: int) -> tuple[float, np.ndarray]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline-repeats", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "build" / "benchmarks" / "hopfield_recall.json"))
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    images, _ = load_mnist("test")
    X = binarize(images[:P])
    n = X.shape[1]
    W = hopfield.pseudoinverse_weights(X)
    probes = corrupt(X[rng.integers(0, P, size=N_PROBES)], 0.2, rng)
    order_seed = 1
    order_rng = np.random.default_rng(order_seed)
    orders = np.array([order_rng.permutation(n) for _ in range(SWEEPS)])  # what async_sweep will draw

    t_base, base = best_of(lambda: per_neuron_loop(W, probes, orders), args.baseline_repeats)
    t_api, api = best_of(lambda: library(W, probes, order_seed), args.repeats)
    t_torch, torch_out = best_of(lambda: seed_like_torch_loop(W, probes, orders), 1)
    identical = bool(np.array_equal(base, api) and np.array_equal(torch_out, api))
    if not identical:
        raise SystemExit("the batched recall and the per-neuron loop disagree: this is a bug")
    recalled = float(np.mean(np.all(api == X[np.argmax(hopfield.overlap_matrix(api, X), axis=1)], axis=1)))
    result = {
        "shape": {"n": n, "probes": N_PROBES, "sweeps": SWEEPS, "stored_patterns": P, "noise": 0.2},
        "seconds": {"per_neuron_loop": t_base, "async_sweep": t_api, "seed_like_torch_loop": t_torch},
        "speedup": t_base / t_api,
        "speedup_vs_seed_like_torch_loop": t_torch / t_api,
        "identical_states": identical,
        "probes_recalled_exactly": recalled,
        "target": {"speedup": 100},
        "repeats": args.repeats, "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "cpus": os.cpu_count(), "machine": platform.machine(),
        "numpy": np.__version__,
        "note": "best of repeats (baseline: best of --baseline-repeats); the machine may be shared",
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"per-neuron loop {t_base:.2f} s (torch, seed-like: {t_torch:.2f} s), async_sweep {t_api * 1e3:.1f} ms: "
          f"{result['speedup']:.0f}x ({result['speedup_vs_seed_like_torch_loop']:.0f}x vs torch); "
          f"identical states: {identical}; recalled exactly: {recalled:.2f} -> {out}")
    return result


if __name__ == "__main__":
    main()
