"""Hidden cases for chapter 04 (Boltzmann machines)."""

from __future__ import annotations

import numpy as np

from course_lib import boltzmann
from course_lib.checks._core import expect, expect_match, random_spins, rng_for
from course_lib.checks.ch04 import _symmetric


def flip_probability(fn):
    rng = rng_for("flip_probability", 100)

    def grid():
        h = rng.normal(scale=3.0, size=(3, 4))
        expect_match(fn(h, 0.6), boltzmann.probability_up(h, 0.6), "wrong for a 2-D array of fields")

    def hot():
        h = rng.normal(size=5)
        expect_match(fn(h, 1e6), np.full(5, 0.5), "at a huge temperature every probability is 1/2", atol=1e-5)

    return [("hidden: 2-D fields", grid), ("hidden: hot", hot)]


def gibbs_sweep(fn):
    rng = rng_for("gibbs_sweep", 100)

    def one_unit():
        W, b = np.zeros((1, 1)), np.array([0.4])
        S, u = random_spins(rng, 5, 1), rng.random((5, 1))
        expect_match(fn(W, b, S.copy(), 0.9, u), boltzmann.gibbs_sweep(W, b, S, 0.9, u),
                     "wrong for N = 1 with a bias", rtol=0, atol=0)

    def larger_batch():
        W, b, S, u = _symmetric(rng, 10, 0.6), rng.normal(size=10), random_spins(rng, 12, 10), rng.random((12, 10))
        expect_match(fn(W, b, S.copy(), 2.0, u), boltzmann.gibbs_sweep(W, b, S, 2.0, u),
                     "wrong for 12 chains of 10 units", rtol=0, atol=0)

    return [("hidden: one unit", one_unit), ("hidden: larger batch", larger_batch)]


def exact_distribution(fn):
    rng = rng_for("exact_distribution", 100)

    def one_unit():
        expect_match(fn(np.zeros((1, 1)), np.array([0.3]), 1.0), boltzmann.exact_distribution(
            np.zeros((1, 1)), np.array([0.3]), 1.0), "wrong for N = 1: two states, (-1,) then (+1,)")

    def eight_units_hot():
        W, b = _symmetric(rng, 8), rng.normal(size=8)
        expect_match(fn(W, b, 50.0), boltzmann.exact_distribution(W, b, 50.0), "wrong for N = 8 at T = 50")

    return [("hidden: one unit", one_unit), ("hidden: eight units", eight_units_hot)]


def bm_gradient(fn):
    rng = rng_for("bm_gradient", 100)

    def every_visible_state():
        a = rng.normal(scale=0.5, size=(4, 4))
        W, b = np.triu(a, 1) + np.triu(a, 1).T, rng.normal(scale=0.3, size=4)
        V = boltzmann.all_states(2)
        got = fn(W, b, V, 2)
        expect(isinstance(got, tuple) and len(got) == 2, "return a pair (dW, db)")
        want = boltzmann.bm_gradient(W, b, V, 2)
        expect_match(got[1], want[1], "db is wrong when the data hold every visible state once")
        expect_match(got[0], want[0], "dW is wrong when the data hold every visible state once")

    def one_hidden():
        a = rng.normal(scale=0.8, size=(3, 3))
        W, b = np.triu(a, 1) + np.triu(a, 1).T, rng.normal(scale=0.3, size=3)
        V = random_spins(rng, 3, 2)
        got = fn(W, b, V, 2)
        want = boltzmann.bm_gradient(W, b, V, 2)
        expect(isinstance(got, tuple) and len(got) == 2, "return a pair (dW, db)")
        expect_match(got[0], want[0], "dW is wrong with one hidden unit")
        expect_match(got[1], want[1], "db is wrong with one hidden unit")

    return [("hidden: every visible state", every_visible_state), ("hidden: one hidden unit", one_hidden)]

def ground_state_temperature(fn):
    rng = rng_for("ground_state_temperature", 100)

    def verify(W, b, share, what):
        T = float(np.asarray(fn(W, b, share)))
        E = boltzmann.state_energies(W, b)
        got = float(boltzmann.exact_distribution(W, b, T)[np.isclose(E, E.min())].sum())
        expect(abs(got - share) < 1e-3, f"{what}: at T = {T:.4g} the ground states hold {got:.4f}, not {share}")

    def cases():
        verify(_symmetric(rng, 8), rng.normal(size=8), 0.2, "eight units, share 0.2")
        verify(_symmetric(rng, 4, 3.0), None, 0.99, "four strongly coupled units, share 0.99")

    return [("hidden: other shares", cases)]


def pair_correlation(fn):
    def cases():
        for J, T in ((0.0, 1.0), (5.0, 0.5), (-3.0, 2.0)):
            expect_match(fn(J, T), np.tanh(J / T), f"wrong prediction for J = {J}, T = {T}")

    return [("hidden: other couplings", cases)]


HIDDEN = {"flip_probability": flip_probability, "gibbs_sweep": gibbs_sweep,
          "exact_distribution": exact_distribution, "bm_gradient": bm_gradient,
          "ground_state_temperature": ground_state_temperature,
          "pair_correlation": pair_correlation}
