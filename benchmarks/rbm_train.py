"""Time one epoch of CD-1 training (10,000 x 784 binary MNIST, 500 hidden, batch 100) on the CPU.

Against, in the same run and on the same data, interleaved so that a busy machine slows all
alike: the machine's GEMM floor (exactly the five products of a CD-1 batch at the same shapes,
v0 W, h W^T, v1 W, v0^T ph0, v1^T ph1: 5 x 2 x 100 x 784 x 500 flops per batch), a plain-torch
loop of the same algorithm, and scikit-learn's BernoulliRBM (float32, when it is installed).
Writes build/benchmarks/rbm_train.json. Target (issue 18): at most 1.25x the floor on 2 cores,
2x on 16. ``--threads`` sets torch's thread count (default: torch's own).
"""

from __future__ import annotations

import argparse

import torch
from support.rbm_common import ROOT, B, D, H, N, cd1_floor, interleaved_best, mnist_bits, plain_cd1_epoch, write_json


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "build" / "benchmarks" / "rbm_train.json"))
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from course_lib.rbm import RBM, train_rbm

    device = torch.device("cpu")
    X = mnist_bits(device)
    start = RBM(D, H, device=device, rng=0).init_visible_bias_(X)
    model = RBM(D, H, device=device, rng=0)
    W, b, c = model.W.clone(), model.b.clone(), model.c.clone()

    def ours():
        model.load_state_dict(start.state_dict())
        train_rbm(model, X, epochs=1, k=1, lr=0.05, momentum=0.5, weight_decay=2e-4, batch_size=B,
                  progress=False, rng=1)

    def plain():
        W.copy_(start.W)
        b.copy_(start.b)
        c.copy_(start.c)
        plain_cd1_epoch(W, b, c, X, 0.05, 0.5, 2e-4, torch.Generator().manual_seed(1))

    fns = {"train_rbm": ours, "plain_torch_loop": plain, "gemm_floor": cd1_floor(device)}
    Xnp = X.numpy()
    try:
        from sklearn.neural_network import BernoulliRBM
    except ImportError:
        BernoulliRBM = None
    else:
        fns["sklearn_bernoulli_rbm_float32"] = lambda: BernoulliRBM(
            n_components=H, learning_rate=0.05, batch_size=B, n_iter=1, random_state=0).fit(Xnp)
    t = interleaved_best(fns, args.repeats, device)
    result = {
        "shape": {"n": N, "n_visible": D, "n_hidden": H, "batch_size": B, "k": 1, "epochs": 1},
        "seconds": t,
        "ratio_to_floor": t["train_rbm"] / t["gemm_floor"],
        "plain_loop_to_floor": t["plain_torch_loop"] / t["gemm_floor"],
        "ratio_to_plain_loop": t["train_rbm"] / t["plain_torch_loop"],
        "gemm_gflops": 5 * 2 * B * D * H * (N // B) / t["gemm_floor"] / 1e9,
        "targets": {"ratio_to_floor": 1.25 if torch.get_num_threads() <= 2 else 2.0},
        "repeats": args.repeats,
        "note": "best of interleaved repeats in one run; on a shared machine the ratios matter, not the seconds",
    }
    if BernoulliRBM is not None:
        result["ratio_to_sklearn"] = t["train_rbm"] / t["sklearn_bernoulli_rbm_float32"]
    else:
        result["sklearn"] = "not installed (requirements-bench.txt): skipped"
    out = write_json(result, args.out)
    print(f"CD-1 epoch on {torch.get_num_threads()} thread(s): train_rbm {t['train_rbm']:.3f} s, plain loop "
          f"{t['plain_torch_loop']:.3f} s, GEMM floor {t['gemm_floor']:.3f} s ({result['gemm_gflops']:.0f} GFLOP/s): "
          f"{result['ratio_to_floor']:.2f}x the floor (plain loop {result['plain_loop_to_floor']:.2f}x) -> {out}")
    return result


if __name__ == "__main__":
    main()
