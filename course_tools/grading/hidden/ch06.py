"""Hidden cases for chapter 06 (modern Hopfield networks)."""

from __future__ import annotations

import numpy as np

from course_lib import core, modern
from course_lib.checks._core import expect, expect_match, random_spins, rng_for


def lse(fn):
    rng = rng_for("lse", 100)

    def three_d():
        x = rng.normal(size=(2, 3, 5)) * 100
        expect_match(fn(1.5, x), core.lse(x, 1.5), "wrong for a 3-D array: reduce the last axis only",
                     rtol=1e-12)

    def one_entry():
        expect_match(fn(3.0, np.array([-2.5])), -2.5, "the lse of a single entry is that entry")

    return [("hidden: 3-D input", three_d), ("hidden: one entry", one_entry)]


def modern_energy(fn):
    rng = rng_for("modern_energy", 100)

    def one_pattern():
        X, xi = rng.normal(size=(1, 4)), rng.normal(size=4)
        expect_match(fn(X, xi, 2.0), modern.modern_energy(X, xi, 2.0), "wrong with a single stored pattern")

    def sharp():
        X, xi = rng.normal(size=(6, 5)), rng.normal(size=(3, 5))
        expect_match(fn(X, xi, 80.0), modern.modern_energy(X, xi, 80.0), "wrong at beta = 80")

    return [("hidden: one pattern", one_pattern), ("hidden: beta = 80", sharp)]


def modern_update(fn):
    rng = rng_for("modern_update", 100)

    def duplicates():
        x = rng.normal(size=(1, 6))
        X = np.vstack([x, x, rng.normal(size=(1, 6))])
        xi = rng.normal(size=(4, 6))
        expect_match(fn(X, xi, 1.5), modern.modern_update(X, xi, 1.5), "wrong with a repeated stored pattern")

    def huge_beta():
        X = random_spins(rng, 5, 30)
        xi = X[2] * np.where(rng.random(30) < 0.1, -1, 1)
        got = np.asarray(fn(X, xi, 500.0), dtype=float)
        expect(np.all(np.isfinite(got)), "NaN or inf at beta = 500: subtract the largest score first")
        expect_match(got, X[2], "at beta = 500 one step lands on the nearest pattern", atol=1e-6)

    return [("hidden: repeated pattern", duplicates), ("hidden: beta = 500", huge_beta)]


def dense_sweep(fn):
    rng = rng_for("dense_sweep", 100)

    def classical():
        X, S = random_spins(rng, 5, 24), random_spins(rng, 4, 24)
        expect_match(fn(X, S.copy(), 2), modern.dense_update(X, S, 2, sweeps=1, order=np.arange(X.shape[1])),
                     "wrong for n = 2 (the classical network)")

    def high_power():
        X, S = random_spins(rng, 50, 14), random_spins(rng, 3, 14)
        expect_match(fn(X, S.copy(), 6), modern.dense_update(X, S, 6, sweeps=1, order=np.arange(X.shape[1])),
                     "wrong for n = 6")

    return [("hidden: n = 2", classical), ("hidden: n = 6", high_power)]

def retrieval_beta(fn):
    rng = rng_for("retrieval_beta", 100)

    def larger():
        X = random_spins(rng, 40, 100)
        beta = float(np.asarray(fn(X.copy(), 0.01)))
        worst = [float(np.max(np.linalg.norm(modern.modern_update(X, X, bb) - X, axis=1)))
                 for bb in (beta, 0.95 * beta)]
        expect(worst[0] <= 0.01 + 1e-12 and worst[1] > 0.01, f"40 patterns of 100 units, eps = 0.01: beta = "
               f"{beta:.4g} is not the smallest that keeps every pattern within eps (within 5 %)")

    return [("hidden: 40 patterns, eps = 0.01", larger)]


def self_weight(fn):
    def cases():
        for beta, n, p in ((0.0, 16, 4), (1.0, 8, 2), (0.003, 256, 50)):
            expect_match(fn(beta, n, p), 1 / (1 + (p - 1) * np.exp(-beta * n)),
                         f"wrong prediction for beta = {beta}, N = {n}, p = {p}")

    return [("hidden: other sizes", cases)]


HIDDEN = {"lse": lse, "modern_energy": modern_energy, "modern_update": modern_update, "dense_sweep": dense_sweep,
          "retrieval_beta": retrieval_beta,
          "self_weight": self_weight}
