"""Shared by the RBM benchmarks: the data, plain-torch loops of the same algorithms, GEMM floors, timing.

The plain loops are what a careful reader would write from the equations (allocating each
intermediate, ``torch.rand(...) < p`` for each sample, separate updates of W, b and c): the
baseline that course_lib.rbm's fused loops must beat or match.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

N, D, H, B = 10_000, 784, 500, 100


def mnist_bits(device) -> torch.Tensor:
    """The 10,000 MNIST test images, thresholded at 127, as a float32 (10000, 784) tensor on ``device``."""
    from course_lib.datasets import load_mnist

    images, _ = load_mnist("test")
    return torch.from_numpy((images.reshape(len(images), -1) > 127).astype(np.float32)).to(device)


def sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def interleaved_best(fns: dict, repeats: int, device) -> dict:
    """Best wall time of each function over ``repeats`` rounds, the functions interleaved within a round
    so that a busy machine slows them alike; one warm-up call each first."""
    for fn in fns.values():
        fn()
        sync(device)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            sync(device)
            t0 = time.perf_counter()
            fn()
            sync(device)
            times[name].append(time.perf_counter() - t0)
    return {name: min(ts) for name, ts in times.items()}


@torch.no_grad()
def plain_cd1_epoch(W, b, c, X, lr, momentum, weight_decay, gen, batch_size=B) -> None:
    """One epoch of CD-1 with momentum and weight decay, written plainly (updates W, b, c in place)."""
    vW, vb, vc = torch.zeros_like(W), torch.zeros_like(b), torch.zeros_like(c)
    order = torch.randperm(len(X), generator=gen, device=X.device)
    for i in range(len(X) // batch_size):
        v0 = X[order[i * batch_size:(i + 1) * batch_size]]
        ph0 = torch.sigmoid(v0 @ W + c)
        h0 = (torch.rand(ph0.shape, generator=gen, device=X.device) < ph0).float()
        pv = torch.sigmoid(h0 @ W.T + b)
        v1 = (torch.rand(pv.shape, generator=gen, device=X.device) < pv).float()
        ph1 = torch.sigmoid(v1 @ W + c)
        vW.mul_(momentum).add_((v0.T @ ph0 - v1.T @ ph1) / batch_size - weight_decay * W, alpha=lr)
        vb.mul_(momentum).add_((v0 - v1).mean(0), alpha=lr)
        vc.mul_(momentum).add_((ph0 - ph1).mean(0), alpha=lr)
        W.add_(vW)
        b.add_(vb)
        c.add_(vc)


def cd1_floor(device, n_batches=N // B):
    """The five products of a CD-1 batch at the benchmark's shapes, on preallocated operands, nothing else."""
    g = torch.Generator(device=device).manual_seed(2)
    W = torch.randn(D, H, generator=g, device=device) * 0.01
    v0, v1 = (torch.rand(B, D, generator=g, device=device).round() for _ in range(2))
    hh, ph0, ph1 = (torch.rand(B, H, generator=g, device=device) for _ in range(3))
    out_h, out_v, out_w = torch.empty(B, H, device=device), torch.empty(B, D, device=device), \
        torch.empty(D, H, device=device)

    def floor():
        for _ in range(n_batches):
            torch.mm(v0, W, out=out_h)
            torch.mm(hh, W.T, out=out_v)
            torch.mm(v1, W, out=out_h)
            torch.mm(v0.T, ph0, out=out_w)
            torch.mm(v1.T, ph1, out=out_w)
    return floor


@torch.no_grad()
def plain_ais(W, b, c, bA, betas, n_chains, gen) -> float:
    """AIS for log Z written plainly (as in Salakhutdinov & Murray's Matlab code), one run."""
    import math

    import torch.nn.functional as F

    dev = W.device
    v = (torch.rand(n_chains, len(b), generator=gen, device=dev) < torch.sigmoid(bA)).float()
    logw = torch.zeros(n_chains, dtype=torch.float64, device=dev)
    for k in range(1, len(betas)):
        bk, bp = float(betas[k]), float(betas[k - 1])
        x = v @ W + c
        logw += ((bk - bp) * (v @ (b - bA)) + F.softplus(bk * x).sum(-1) - F.softplus(bp * x).sum(-1)).double()
        if k < len(betas) - 1:
            h = (torch.rand(x.shape, generator=gen, device=dev) < torch.sigmoid(bk * x)).float()
            pv = torch.sigmoid((1 - bk) * bA + bk * (h @ W.T + b))
            v = (torch.rand(pv.shape, generator=gen, device=dev) < pv).float()
    lw = logw.cpu().numpy()
    m = lw.max()
    return float(len(W[0]) * math.log(2) + F.softplus(bA.double()).sum() + m + math.log(np.exp(lw - m).mean()))


def ais_floor(device, n_chains, n_betas):
    """The two products per inverse temperature of AIS (v W and h W^T), nothing else."""
    g = torch.Generator(device=device).manual_seed(3)
    W = torch.randn(D, H, generator=g, device=device) * 0.01
    v = torch.rand(n_chains, D, generator=g, device=device).round()
    h = torch.rand(n_chains, H, generator=g, device=device).round()
    out_h, out_v = torch.empty(n_chains, H, device=device), torch.empty(n_chains, D, device=device)

    def floor():
        for _ in range(n_betas - 1):
            torch.mm(v, W, out=out_h)
            torch.mm(h, W.T, out=out_v)
    return floor


def write_json(result: dict, out: str | Path) -> Path:
    result.setdefault("torch", torch.__version__)
    result.setdefault("threads", torch.get_num_threads())
    result.setdefault("cpus", os.cpu_count())
    result.setdefault("machine", platform.machine())
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return out
