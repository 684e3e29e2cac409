"""Hidden cases for chapter 02 (Hebbian learning)."""

from __future__ import annotations

import numpy as np

from course_lib import hopfield
from course_lib.checks._core import expect, expect_match, random_spins, rng_for


def _sync_recall(W, probes, max_steps):
    """Chapter 02's synchronous recall, as the lecture runs it (ties keep the unit)."""
    return hopfield.recall(W, probes, mode="sync", max_sweeps=max_steps).states


def hebbian_weights(fn):
    rng = rng_for("hebbian_weights", 100)

    def more_patterns_than_units():
        P = random_spins(rng, 25, 8)
        expect_match(fn(P), hopfield.hebbian_weights(P), "wrong when p > N (25 patterns of 8 units)")

    def integer_patterns():
        P = random_spins(rng, 3, 7).astype(np.int64)
        expect_match(fn(P), hopfield.hebbian_weights(P.astype(float)),
                     "wrong for integer patterns: integer division or an integer array truncates W")

    return [("hidden: p > N", more_patterns_than_units), ("hidden: integer patterns", integer_patterns)]


def crosstalk(fn):
    rng = rng_for("crosstalk", 100)

    def more_patterns_than_units():
        P = random_spins(rng, 20, 9)
        expect_match(fn(P), hopfield.crosstalk(P), "wrong when p > N (20 patterns of 9 units)")

    def identical_patterns():
        x = random_spins(rng, 1, 10)
        P = np.repeat(x, 3, axis=0)
        expect_match(fn(P), hopfield.crosstalk(P), "wrong for three copies of one pattern: each copy adds the "
                     "same signal again")

    return [("hidden: p > N", more_patterns_than_units), ("hidden: repeated pattern", identical_patterns)]


def recall_sync(fn):
    rng = rng_for("recall_sync", 100)

    def mixed_convergence():
        X = random_spins(rng, 6, 40)
        W = hopfield.hebbian_weights(X)
        probes = np.vstack([X[:2], random_spins(rng, 5, 40)])
        for steps in (1, 2, 30):
            expect_match(fn(W, probes, steps), _sync_recall(W, probes, steps),
                         f"wrong with max_steps = {steps} for probes that converge at different times")

    def non_symmetric():
        W = rng.normal(size=(12, 12))
        probes = random_spins(rng, 4, 12)
        expect_match(fn(W, probes, 7), _sync_recall(W, probes, 7), "wrong for a non-symmetric W: h = W s uses "
                     "row i of W for unit i")

    return [("hidden: mixed convergence", mixed_convergence), ("hidden: non-symmetric W", non_symmetric)]


def pseudoinverse_weights(fn):
    rng = rng_for("pseudoinverse_weights", 100)

    def nearly_dependent():
        base = random_spins(rng, 1, 60)
        P = np.where(rng.random((8, 60)) < 0.1, -base, base)
        while np.linalg.matrix_rank(P) < len(P):       # distinct, linearly independent patterns only
            P = np.where(rng.random((8, 60)) < 0.1, -base, base)
        X = P
        full = np.linalg.pinv(X) @ X
        np.fill_diagonal(full, 0.0)
        got = np.asarray(fn(P), dtype=float)
        expect_match(got, full, "wrong for 8 strongly correlated patterns (10 % of units differ): solve with the "
                     "p x p overlap matrix, not an N x N one", rtol=1e-5, atol=1e-7)

    def mnist_like_size():
        P = random_spins(rng, 40, 300)
        W = np.asarray(fn(P), dtype=float)
        expect(W.shape == (300, 300), f"expected (300, 300), got {W.shape}")
        expect(np.all(P * (P @ W.T) >= -1e-9), "some stored pattern is not a fixed point of your W")
        expect_match(W, hopfield.pseudoinverse_weights(P), "wrong for 40 patterns of 300 units",
                     rtol=1e-6, atol=1e-9)

    return [("hidden: nearly dependent patterns", nearly_dependent), ("hidden: larger network", mnist_like_size)]

def projection_margin(fn):
    rng = rng_for("projection_margin", 100)

    def near_capacity():
        P = random_spins(rng, 45, 50)
        full = np.linalg.pinv(P) @ P
        expect_match(fn(P), 1.0 - np.max(np.diag(full)), "wrong at p/N = 0.9", rtol=1e-6, atol=1e-8)

    def orthogonal():
        H = np.array([[1.0]])
        for _ in range(5):
            H = np.block([[H, H], [H, -H]])
        P = H[:8]
        expect_match(fn(P), 1.0 - 8 / 32, "wrong for 8 orthogonal patterns of 32 units")

    return [("hidden: near capacity", near_capacity), ("hidden: orthogonal patterns", orthogonal)]


def crosstalk_spread(fn):
    def exact():
        for p, n in ((5, 50), (200, 100)):
            expect_match(fn(p, n), np.sqrt((p - 1) * (n - 1)) / n, f"wrong prediction for p = {p}, N = {n}")

    return [("hidden: other sizes", exact)]


HIDDEN = {"hebbian_weights": hebbian_weights, "crosstalk": crosstalk, "recall_sync": recall_sync,
          "pseudoinverse_weights": pseudoinverse_weights,
          "projection_margin": projection_margin,
          "crosstalk_spread": crosstalk_spread}
