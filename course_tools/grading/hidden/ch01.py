"""Hidden cases for chapter 01 (energy)."""

from __future__ import annotations

import numpy as np

from course_lib import hopfield
from course_lib.boltzmann import all_states
from course_lib.checks._core import expect, expect_match, random_spins, rng_for
from course_lib.checks.ch01 import _energy_mistakes, _symmetric


def energy(fn):
    rng = rng_for("energy", 100)

    def one_unit():
        W, s = np.array([[0.7]]), np.array([-1.0])
        got = fn(W, s)
        expect(np.ndim(got) == 0, f"one state of one unit should give one number, got shape {np.shape(got)}")
        expect_match(got, hopfield.energy(W, s), "wrong energy for N = 1 (W_11 = 0.7)", _energy_mistakes(W, s))

    def everything():
        W, S, b = _symmetric(rng, 12, zero_diag=False), random_spins(rng, 9, 12), rng.normal(size=12)
        expect_match(fn(W, S, b), hopfield.energy(W, S, b), "wrong for a batch with a bias and a diagonal",
                     _energy_mistakes(W, S, b))

    def integer_states():
        W, S = _symmetric(rng, 6), random_spins(rng, 4, 6).astype(np.int64)
        expect_match(fn(W, S), hopfield.energy(W, S), "wrong for integer states (+1/-1 as int)",
                     _energy_mistakes(W, S.astype(float)))

    def large_batch():
        W, S = _symmetric(rng, 40, zero_diag=False), random_spins(rng, 64, 40)
        expect_match(fn(W, S), hopfield.energy(W, S), "wrong energies for a larger batch (64 states of 40 units)",
                     _energy_mistakes(W, S))

    return [("hidden: one unit", one_unit), ("hidden: batch, bias and diagonal", everything),
            ("hidden: integer states", integer_states), ("hidden: larger batch", large_batch)]


def local_field(fn):
    rng = rng_for("local_field", 100)

    def asymmetric_batch_with_bias():
        W, S, b = rng.normal(size=(7, 7)), random_spins(rng, 5, 7), rng.normal(size=7)
        expect_match(fn(W, S, b), hopfield.local_field(W, S, b), "wrong for a non-symmetric W, a batch and a bias",
                     [(hopfield.local_field(W.T, S, b), "you used column i of W: h_i = sum_j W_ij s_j uses row i")])

    def one_unit():
        expect_match(fn(np.array([[0.0]]), np.array([1.0]), np.array([0.5])), np.array([0.5]),
                     "wrong for N = 1: the field is just the bias")

    return [("hidden: non-symmetric batch with bias", asymmetric_batch_with_bias), ("hidden: one unit", one_unit)]


def flip_energy_change(fn):
    rng = rng_for("flip_energy_change", 100)

    def batch_everything():
        W, S, b = _symmetric(rng, 9, zero_diag=False), random_spins(rng, 6, 9), rng.normal(size=9)
        for i in (0, 8):
            T = S.copy()
            T[:, i] *= -1
            want = hopfield.energy(W, T, b) - hopfield.energy(W, S, b)
            expect_match(fn(W, S, i, b), want, f"wrong for unit {i} of a batch with a bias and a diagonal")

    def last_unit_negative_index():
        W, s = _symmetric(rng, 5), random_spins(rng, 5)
        t = s.copy()
        t[4] *= -1
        expect_match(fn(W, s, 4), hopfield.energy(W, t) - hopfield.energy(W, s), "wrong for the last unit")

    return [("hidden: batch, bias and diagonal", batch_everything), ("hidden: last unit", last_unit_negative_index)]



def energy_from_overlap(fn):
    rng = rng_for("energy_from_overlap", 100)

    def extremes():
        for n, m in ((1000, -1.0), (500, 0.0), (3, 1.0 / 3)):
            x = random_spins(rng, n)
            s = x.copy()
            s[: int(round((1 - m) * n / 2))] *= -1
            want = float(hopfield.energy(hopfield.hebbian_weights(x[None]), s))
            expect_match(fn(m, n), want, f"wrong prediction for N = {n}, m = {m:.3g}")

    return [("hidden: other sizes and overlaps", extremes)]


def unique_minimum(fn):
    rng = rng_for("unique_minimum", 100)

    def ten_units():
        target = random_spins(rng, 10)
        out = fn(target.copy())
        expect(isinstance(out, (tuple, list)) and len(out) == 2, "return a pair (W, b)")
        W, b = (np.asarray(a, dtype=float) for a in out)
        expect(W.shape == (10, 10) and b.shape == (10,), "for N = 10: W (10, 10) and b (10,)")
        expect(np.allclose(W, W.T) and np.all(np.abs(b) <= 0.1 + 1e-12), "W symmetric and |b_i| <= 0.1")
        flips = np.where(np.eye(10, dtype=bool), -target, target)
        cost = hopfield.energy(W, flips, b) - hopfield.energy(W, target, b)
        expect(np.all(cost >= 1 - 1e-9), "N = 10: some single flip of the target costs less than 1")
        E = hopfield.energy(W, all_states(10), b)
        best = np.flatnonzero(np.isclose(E, E.min()))
        expect(len(best) == 1 and np.array_equal(all_states(10)[best[0]], target),
               "N = 10: the target is not the unique lowest-energy state")

    return [("hidden: ten units", ten_units)]


HIDDEN = {"energy": energy, "local_field": local_field, "flip_energy_change": flip_energy_change,
          "energy_from_overlap": energy_from_overlap, "unique_minimum": unique_minimum}
