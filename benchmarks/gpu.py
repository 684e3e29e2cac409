"""GPU checks of chapters 05 and 07: the RBM CD-1 epoch and AIS on CUDA against plain-torch loops of the
same algorithms, then notebooks 05 and 07 (lecture and assignment) run FULL with COURSE_DEVICE=cuda.

Skips cleanly (exit 0, JSON saying why) without CUDA. Writes build/benchmarks/gpu.json (or --out),
the executed notebooks under --notebook-out, and prints every figure. ``--no-notebooks`` times only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from support.rbm_common import (
    ROOT,
    B,
    D,
    H,
    cd1_floor,
    interleaved_best,
    mnist_bits,
    plain_ais,
    plain_cd1_epoch,
    write_json,
)


def cell_times(executed: Path) -> list[tuple[float, str]]:
    """(seconds, first source line) of every code cell of an executed notebook (papermill's metadata)."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    out = []
    for cell in nb.get("cells", []):
        pm = cell.get("metadata", {}).get("papermill", {})
        if cell.get("cell_type") == "code" and pm.get("duration") is not None:
            src = "".join(cell.get("source", "")).strip().splitlines()
            out.append((float(pm["duration"]), src[0][:70] if src else ""))
    return out


NOTEBOOKS = ("notebooks/05_rbm.ipynb", "solutions/05_rbm.ipynb", "notebooks/07_attention.ipynb",
             "solutions/07_attention.ipynb")


def run_notebooks_plain(out_dir: Path, timeout: int, env: dict) -> dict:
    """Without papermill: each notebook's code cells run in a fresh process by _run_plain.py (FULL, SEED 0)."""
    t0 = time.perf_counter()
    result = {"runner": "benchmarks/support/run_plain.py (papermill is not installed)", "notebooks": {}, "ok": True}
    cells = []
    for nb in NOTEBOOKS:
        out = out_dir / (Path(nb).stem + "_" + Path(nb).parent.name + ".json")
        cmd = [sys.executable, str(ROOT / "benchmarks" / "support" / "run_plain.py"), str(ROOT / nb), str(out),
               "FAST=False", "SEED=0"]
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
            rc, tail = proc.returncode, (proc.stdout + proc.stderr)[-2000:]
        except subprocess.TimeoutExpired:
            rc, tail = -1, f"timed out after {timeout} s"
        record = json.loads(out.read_text()) if out.is_file() else {}
        result["notebooks"][nb] = {"returncode": rc, "seconds": record.get("seconds"), "tail": tail}
        result["ok"] &= rc == 0
        cells += [(c["seconds"], f"{nb}: {c['first_line']} ({c['outcome']})") for c in record.get("cells", [])]
    result["seconds"] = time.perf_counter() - t0
    result["slowest_cells"] = sorted(cells, reverse=True)[:10]
    return result


def run_notebooks(out_dir: Path, timeout: int) -> dict:
    """``course run --full --only 05,07 --no-html`` with COURSE_DEVICE=cuda (papermill), else the plain runner;
    per-notebook and slowest-cell times."""
    env = dict(os.environ, COURSE_DEVICE="cuda", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        import ipykernel  # noqa: F401
        import papermill  # noqa: F401
    except ImportError:
        return run_notebooks_plain(out_dir, timeout, env)
    cmd = [sys.executable, "-m", "course_tools.cli", "run", "--full", "--only", "05,07", "--no-html",
           "--out", str(out_dir)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        return {"ok": False, "error": f"timed out after {timeout} s", "stdout": str(err.stdout)[-3000:]}
    result = {"ok": proc.returncode == 0, "returncode": proc.returncode, "seconds": time.perf_counter() - t0,
              "stdout": proc.stdout[-4000:], "stderr": proc.stderr[-4000:], "slowest_cells": []}
    cells = []
    for nb in sorted((out_dir / "executed").rglob("*.ipynb")):
        cells += [(s, f"{nb.name}: {src}") for s, src in cell_times(nb)]
    result["slowest_cells"] = sorted(cells, reverse=True)[:10]
    return result


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--betas", type=int, default=14500)
    parser.add_argument("--no-notebooks", action="store_true")
    parser.add_argument("--notebook-timeout", type=int, default=420)
    parser.add_argument("--out", default=str(ROOT / "build" / "benchmarks" / "gpu.json"))
    parser.add_argument("--notebook-out", default=str(ROOT / "build" / "gpu"))
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        out = write_json({"skipped": "no CUDA GPU here (torch.cuda.is_available() is False)"}, args.out)
        print(f"gpu.py: no CUDA GPU, skipped -> {out}")
        return {}
    from course_lib import rbm

    device = torch.device("cuda")
    X = mnist_bits(device)
    start = rbm.RBM(D, H, device=device, rng=0).init_visible_bias_(X)
    model = rbm.RBM(D, H, device=device, rng=0)
    W, b, c = model.W.clone(), model.b.clone(), model.c.clone()

    def ours():
        model.load_state_dict(start.state_dict())
        rbm.train_rbm(model, X, epochs=1, k=1, lr=0.05, momentum=0.5, weight_decay=2e-4, batch_size=B,
                      progress=False, rng=torch.Generator(device="cuda").manual_seed(1))

    def plain():
        W.copy_(start.W)
        b.copy_(start.b)
        c.copy_(start.c)
        plain_cd1_epoch(W, b, c, X, 0.05, 0.5, 2e-4, torch.Generator(device="cuda").manual_seed(1))

    t_cd = interleaved_best({"train_rbm": ours, "plain_torch_loop": plain, "gemm_floor": cd1_floor(device)},
                            args.repeats, device)
    print(f"GPU CD-1 epoch: train_rbm {t_cd['train_rbm']:.4f} s, plain loop {t_cd['plain_torch_loop']:.4f} s, "
          f"five-product floor {t_cd['gemm_floor']:.4f} s", flush=True)

    trained = rbm.RBM(D, H, device=device, rng=0).init_visible_bias_(X)
    rbm.train_rbm(trained, X, epochs=2, progress=False, rng=1)
    base = rbm.base_rate_bias(X)
    betas = rbm.ais_betas(args.betas)
    found = {}

    def ais():
        found["ours"] = rbm.ais_log_partition(trained, n_chains=100, betas=betas, base_bias=base, rng=2).log_z

    def ais_plain():
        found["plain"] = plain_ais(trained.W, trained.b, trained.c, base, betas, 100,
                                   torch.Generator(device="cuda").manual_seed(2))

    t_ais = interleaved_best({"ais_log_partition": ais, "plain_torch_loop": ais_plain}, 2, device)
    print(f"GPU AIS (100 chains x {args.betas} betas): ours {t_ais['ais_log_partition']:.2f} s, plain loop "
          f"{t_ais['plain_torch_loop']:.2f} s; log Z {found['ours']:.2f} vs {found['plain']:.2f}", flush=True)
    result = {"device": torch.cuda.get_device_name(0), "cd1_epoch_seconds": t_cd,
              "cd1_ratio_to_plain_loop": t_cd["train_rbm"] / t_cd["plain_torch_loop"],
              "ais_seconds": t_ais, "ais_ratio_to_plain_loop": t_ais["ais_log_partition"] / t_ais["plain_torch_loop"],
              "ais_log_z": found, "ais_betas": args.betas,
              "targets": {"cd1_ratio_to_plain_loop": 1.0}}
    if not args.no_notebooks:
        nb = run_notebooks(Path(args.notebook_out), args.notebook_timeout)
        result["notebooks_05_07_full_cuda"] = nb
        print(f"notebooks 05 and 07 FULL on cuda: {'ok' if nb.get('ok') else 'FAILED'} in "
              f"{nb.get('seconds', float('nan')):.1f} s", flush=True)
        for s, where in nb.get("slowest_cells", []):
            print(f"  {s:7.1f} s  {where}")
        if not nb.get("ok"):
            print(nb.get("stdout", ""), nb.get("stderr", ""), sep="\n")
    out = write_json(result, args.out)
    print(f"-> {out}")
    return result


if __name__ == "__main__":
    main()
