"""Checks for chapter 01 (energy)."""

from __future__ import annotations

import numpy as np

from .. import hopfield
from ._core import CheckResult, expect, expect_close, random_spins, rng_for, run_cases


def _symmetric(rng: np.random.Generator, n: int, zero_diag: bool = True) -> np.ndarray:
    a = rng.normal(size=(n, n))
    w = (a + a.T) / 2
    if zero_diag:
        np.fill_diagonal(w, 0.0)
    return w


def energy(fn) -> CheckResult:
    """The learner's ``energy(W, states, b)`` for one state or a batch."""
    rng = rng_for("energy")

    def single():
        W, s = _symmetric(rng, 7), random_spins(rng, 7)
        got = fn(W, s)
        expect(np.ndim(got) == 0, f"one state (N,) should give one number, got shape {np.shape(got)}")
        expect(np.isclose(float(got), hopfield.energy(W, s)),
               "wrong energy of a single state: E(s) = -1/2 s^T W s (check the factor 1/2 and the sign)")

    def batch():
        W, S = _symmetric(rng, 9), random_spins(rng, 5, 9)
        got = np.asarray(fn(W, S))
        expect(got.shape == (5,), f"a batch (B, N) = {S.shape} should give B = 5 energies, got shape {got.shape}")
        expect_close(got, hopfield.energy(W, S),
                     "batch energies are wrong though single states may work: use one row per state")

    def with_bias():
        W, s, b = _symmetric(rng, 6), random_spins(rng, 3, 6), rng.normal(size=6)
        expect_close(np.asarray(fn(W, s, b)), hopfield.energy(W, s, b),
                     "wrong energy with a bias: the bias term is -b^T s")

    def no_bias_default():
        W, s = _symmetric(rng, 4), random_spins(rng, 4)
        expect(np.isclose(float(fn(W, s, None)), hopfield.energy(W, s)),
               "b=None should mean no bias term")

    def nonzero_diagonal():
        W, s = _symmetric(rng, 5, zero_diag=False), random_spins(rng, 5)
        expect(np.isclose(float(fn(W, s)), hopfield.energy(W, s)),
               "wrong when W has a non-zero diagonal: keep every term of the double sum")

    return run_cases("energy", fn, [("single state", single), ("batch of states", batch),
                             ("with bias", with_bias), ("b=None", no_bias_default),
                             ("non-zero diagonal", nonzero_diagonal)],
              library_twin=hopfield.energy)


def local_field(fn) -> CheckResult:
    """The learner's ``local_field(W, states, b)``."""
    rng = rng_for("local_field")

    def single():
        W, s = _symmetric(rng, 8), random_spins(rng, 8)
        expect_close(fn(W, s), hopfield.local_field(W, s), "wrong field: h_i = sum_j W_ij s_j")

    def batch():
        W, S = _symmetric(rng, 6), random_spins(rng, 4, 6)
        got = np.asarray(fn(W, S))
        expect(got.shape == S.shape, f"a batch {S.shape} should give fields of the same shape, got {got.shape}")
        expect_close(got, hopfield.local_field(W, S), "batch fields are wrong: each row is W s for one state")

    def asymmetric():
        W, s = rng.normal(size=(5, 5)), random_spins(rng, 5)
        expect_close(fn(W, s), hopfield.local_field(W, s),
                     "wrong for a non-symmetric W: h_i sums W_ij s_j over j (row i of W)")

    def with_bias():
        W, s, b = _symmetric(rng, 5), random_spins(rng, 2, 5), rng.normal(size=5)
        expect_close(fn(W, s, b), hopfield.local_field(W, s, b), "with a bias, h = W s + b")

    return run_cases("local_field", fn, [("single state", single), ("batch", batch),
                                  ("non-symmetric W", asymmetric), ("with bias", with_bias)],
              library_twin=hopfield.local_field)


def flip_energy_change(fn) -> CheckResult:
    """The learner's ``flip_energy_change(W, s, i, b)``, against the full energy difference."""
    rng = rng_for("flip_energy_change")

    def full_difference(W, s, i, b=None):
        t = s.copy()
        t[..., i] *= -1
        return hopfield.energy(W, t, b) - hopfield.energy(W, s, b)

    def every_unit():
        W, s = _symmetric(rng, 10), random_spins(rng, 10)
        for i in range(10):
            got = float(fn(W, s, i))
            expect(np.isclose(got, full_difference(W, s, i)),
                   f"wrong change for unit {i}: compare with E(flipped) - E(s); "
                   "only the terms that contain s_i change")

    def with_bias():
        W, s, b = _symmetric(rng, 6), random_spins(rng, 6), rng.normal(size=6)
        expect(np.isclose(float(fn(W, s, 2, b)), full_difference(W, s, 2, b)),
               "wrong with a bias: the bias contributes -b_i s_i, which also flips")

    def self_coupling():
        W, s = _symmetric(rng, 6, zero_diag=False), random_spins(rng, 6)
        expect(np.isclose(float(fn(W, s, 4)), full_difference(W, s, 4)),
               "wrong when W_ii != 0: the term W_ii s_i^2 does not change when s_i flips")

    def batch():
        W, S = _symmetric(rng, 7), random_spins(rng, 5, 7)
        got = np.asarray(fn(W, S, 3))
        expect(got.shape == (5,), f"a batch of 5 states should give 5 changes, got shape {got.shape}")
        expect_close(got, full_difference(W, S, 3), "batch changes are wrong: one change per row")

    def unchanged_input():
        W, s = _symmetric(rng, 5), random_spins(rng, 5)
        before = s.copy()
        fn(W, s, 1)
        expect(np.array_equal(s, before), "your function changed the state passed in: work on a copy")

    return run_cases("flip_energy_change", fn,
              [("every unit", every_unit), ("with bias", with_bias), ("self-coupling", self_coupling),
               ("batch", batch), ("input untouched", unchanged_input)],
              library_twin=hopfield.flip_energy_change)
