"""Train chapter 05's FULL-size RBMs (784 x 500, 15 epochs on 8,000 MNIST images) and ship them.

Writes data/rbm/<name>.npz (W, b, c and the recipe) and data/rbm/manifest.json (sha256 of each
file). The notebook loads them in FULL mode, because CD-10 training alone takes longer than a
learner should wait on a laptop; with ``RETRAIN = True`` it trains them itself with the same
recipe (course_lib.rbm.recipe) and seeds instead. Reproducible: the same seeds give the same
weights on the same machine (up to floating-point summation order across machines).

    python scripts/train_rbm_weights.py            # train and write
    python scripts/train_rbm_weights.py --check    # verify the shipped files against the manifest
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_lib import rbm  # noqa: E402

OUT = ROOT / "data" / "rbm"
# name -> (file, seed of the initial weights, seed of the training run): the notebook's seeds at SEED = 0
MODELS = {"CD-10": ("cd10.npz", 10, 14), "PCD-1": ("pcd1.npz", 10, 15)}
N_HIDDEN, EPOCHS = 500, 15


def train(name: str, device="cpu", epochs: int = EPOCHS, seed_offset: int = 0) -> rbm.RBM:
    """One of chapter 05's FULL models, trained with its recipe and the notebook's seeds."""
    _, init_seed, train_seed = MODELS[name]
    X_train, _ = rbm.mnist_split(device)
    model = rbm.RBM(784, N_HIDDEN, device=device, rng=seed_offset + init_seed).init_visible_bias_(X_train)
    rbm.train_rbm(model, X_train, rng=seed_offset + train_seed, **rbm.recipe(name, epochs))
    return model


def check() -> int:
    manifest = json.loads((OUT / "manifest.json").read_text())
    bad = [name for name, entry in manifest["files"].items()
           if hashlib.sha256((OUT / entry["file"]).read_bytes()).hexdigest() != entry["sha256"]]
    print("all shipped RBM weights match manifest.json" if not bad else f"checksum mismatch: {bad}")
    return 1 if bad else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the files against the manifest")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    if args.check:
        return check()
    files = {}
    for name, (file, init_seed, train_seed) in MODELS.items():
        t0 = time.perf_counter()
        model = train(name, args.device)
        seconds = time.perf_counter() - t0
        digest = rbm.save_weights(model, OUT / file, trainer=name, n_hidden=N_HIDDEN, epochs=EPOCHS,
                                  init_seed=init_seed, train_seed=train_seed, n_train=8000,
                                  made_by="scripts/train_rbm_weights.py")
        files[name] = {"file": file, "sha256": digest}
        print(f"{name}: trained in {seconds:.0f} s on {args.device} -> {OUT / file} ({digest[:12]})", flush=True)
    (OUT / "manifest.json").write_text(json.dumps({"files": files, "made_by": "scripts/train_rbm_weights.py"},
                                                  indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
