"""Time chapter 03's capacity curve (N = 1000, 20 loads, 10 networks per load) against the previous version.

The lecture's FULL run calls ``hopfield.capacity_curve(1000, np.linspace(0.02, 0.25, 20), trials=10,
n_probes=32)``. The baseline is the same function as it was before this rewrite, read from git
(``--baseline-rev``, default the commit this work started from) and run in the same process, on the
same seed, right before or after the library (alternating over ``--repeats``), so both see the same
machine load. Both draw the same random numbers in the same order, so their curves agree except where
a field is exactly zero: the previous version summed float64 fields of 1/N-sized terms (rounding
decided those ties), the new one sums exact integers (a tie keeps the unit, as the docstring says).
Writes build/benchmarks/capacity_curve.json with wall and CPU seconds, their ratios, the agreement of
the curves, the load average and the BLAS thread count.

BLAS runs on one thread unless BENCH_THREADS says otherwise (set before NumPy loads): on a small
shared machine a multi-threaded BLAS oversubscribes the cores and only adds noise.
"""

from __future__ import annotations

import os

THREADS = os.environ.get("BENCH_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, THREADS)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_lib import hopfield  # noqa: E402

N, LOADS, TRIALS, PROBES, SEED = 1000, np.linspace(0.02, 0.25, 20), 10, 32, 0
BASELINE_REV = "271b5f1"  # the commit before the capacity curve's rewrite
TARGET_SECONDS = 5.0      # issue 18: at most 5 s on 2 cores


def baseline_module(rev: str) -> types.ModuleType | None:
    """course_lib/hopfield.py as it was at ``rev``, loaded as a module of the course_lib package."""
    try:
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:course_lib/hopfield.py"], capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        print(f"no baseline: cannot read course_lib/hopfield.py at {rev} ({err})", file=sys.stderr)
        return None
    module = types.ModuleType("course_lib._baseline_hopfield")
    module.__package__ = "course_lib"
    sys.modules[module.__name__] = module  # dataclasses look their module up here
    exec(compile(src, f"{rev}:course_lib/hopfield.py", "exec"), module.__dict__)
    return module


def timed(fn) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--baseline-rev", default=BASELINE_REV)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "build" / "benchmarks" / "capacity_curve.json"))
    args = parser.parse_args(argv)
    base_mod = None if args.no_baseline else baseline_module(args.baseline_rev)

    def run(module):
        return module.capacity_curve(N, LOADS, trials=TRIALS, rng=np.random.default_rng(SEED), n_probes=PROBES)

    load_before = os.getloadavg()
    times: dict[str, list[tuple[float, float]]] = {"library": [], "baseline": []}
    curves = {}
    for r in range(args.repeats):
        order = [("library", hopfield), ("baseline", base_mod)] if r % 2 == 0 else \
            [("baseline", base_mod), ("library", hopfield)]
        for name, module in order:
            if module is None:
                continue
            wall, cpu, curves[name] = timed(lambda module=module: run(module))
            times[name].append((wall, cpu))
            print(f"{name:8s} wall {wall:6.2f} s   cpu {cpu:6.2f} s", flush=True)
    load_after = os.getloadavg()
    best = {name: (min(w for w, _ in t), min(c for _, c in t)) for name, t in times.items() if t}
    lib = curves["library"]
    result = {
        "shape": {"n": N, "loads": len(LOADS), "alphas": [float(a) for a in LOADS], "trials": TRIALS,
                  "n_probes": PROBES, "seed": SEED},
        "seconds": {name: {"wall": w, "cpu": c} for name, (w, c) in best.items()},
        "target": {"wall_seconds": TARGET_SECONDS, "met": best["library"][0] <= TARGET_SECONDS},
        "curve": {"overlap": lib.overlap.tolist(), "stable_fraction": lib.stable_fraction.tolist()},
        "repeats": args.repeats, "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "load_average": {"before": list(load_before), "after": list(load_after)},
        "cpus": os.cpu_count(), "machine": platform.machine(), "numpy": np.__version__,
        "note": "best of repeats; the machine may be shared (see load_average): compare the ratios",
    }
    if "baseline" in curves:
        base = curves["baseline"]
        result["baseline_rev"] = args.baseline_rev
        result["speedup"] = {"wall": best["baseline"][0] / best["library"][0],
                             "cpu": best["baseline"][1] / best["library"][1]}
        result["agreement"] = {
            "same_stable_fraction": bool(np.array_equal(base.stable_fraction, lib.stable_fraction)),
            "same_bit_error": bool(np.allclose(base.bit_error, lib.bit_error)),
            "max_abs_overlap_difference": float(np.abs(base.overlap - lib.overlap).max()),
            "loads_with_identical_overlaps": int(np.all(base.overlap_trials == lib.overlap_trials, axis=1).sum()),
        }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    msg = f"capacity curve N = {N}: library {best['library'][0]:.2f} s wall / {best['library'][1]:.2f} s cpu"
    if "speedup" in result:
        msg += (f"; baseline {best['baseline'][0]:.2f} s / {best['baseline'][1]:.2f} s: "
                f"{result['speedup']['wall']:.2f}x wall, {result['speedup']['cpu']:.2f}x cpu")
    print(f"{msg}; load average {load_before[0]:.1f} -> {load_after[0]:.1f} -> {out}")
    return result


if __name__ == "__main__":
    main()
