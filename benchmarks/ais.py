"""Time AIS for log Z (100 chains, 500 hidden, 784 visible) against its own GEMM floor and a plain loop.

The floor is the two products per inverse temperature (v W for the weights and p(h|v), h W^T for
p(v|h)) at the same shapes; the plain loop is the same algorithm written from the equations
(allocating every intermediate, torch.rand for each sample). Interleaved in one run; writes
build/benchmarks/ais.json. ``--device cuda`` times it on a GPU.
"""

from __future__ import annotations

import argparse

import torch
from support.rbm_common import ROOT, D, H, ais_floor, interleaved_best, mnist_bits, plain_ais, write_json


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--betas", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=100)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=str(ROOT / "build" / "benchmarks" / "ais.json"))
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    from course_lib import rbm

    device = torch.device(args.device)
    X = mnist_bits(device)
    model = rbm.RBM(D, H, device=device, rng=0).init_visible_bias_(X)
    rbm.train_rbm(model, X[:2000], epochs=1, progress=False, rng=1)      # a model with some structure
    base = rbm.base_rate_bias(X)
    betas = rbm.ais_betas(args.betas)
    found = {}

    def ours():
        found["ours"] = rbm.ais_log_partition(model, n_chains=args.chains, betas=betas, base_bias=base, rng=2).log_z

    def plain():
        found["plain"] = plain_ais(model.W, model.b, model.c, base, betas, args.chains,
                                   torch.Generator(device=device).manual_seed(2))

    t = interleaved_best({"ais_log_partition": ours, "plain_torch_loop": plain,
                          "gemm_floor": ais_floor(device, args.chains, args.betas)}, args.repeats, device)
    result = {
        "shape": {"n_visible": D, "n_hidden": H, "n_chains": args.chains, "n_betas": args.betas},
        "device": str(device), "seconds": t,
        "ratio_to_floor": t["ais_log_partition"] / t["gemm_floor"],
        "plain_loop_to_floor": t["plain_torch_loop"] / t["gemm_floor"],
        "ratio_to_plain_loop": t["ais_log_partition"] / t["plain_torch_loop"],
        "log_z": {"ais_log_partition": found["ours"], "plain_torch_loop": found["plain"]},
        "repeats": args.repeats,
        "note": "best of interleaved repeats in one run; the two estimates must agree within AIS noise",
    }
    out = write_json(result, args.out)
    print(f"AIS ({args.chains} chains x {args.betas} betas, {device}): {t['ais_log_partition']:.2f} s, plain loop "
          f"{t['plain_torch_loop']:.2f} s, GEMM floor {t['gemm_floor']:.2f} s: {result['ratio_to_floor']:.2f}x the "
          f"floor (plain {result['plain_loop_to_floor']:.2f}x); log Z {found['ours']:.2f} vs {found['plain']:.2f} "
          f"-> {out}")
    return result


if __name__ == "__main__":
    main()
