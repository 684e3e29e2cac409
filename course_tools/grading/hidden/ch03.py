"""Hidden cases for chapter 03 (dynamics and capacity)."""

from __future__ import annotations

import math

import numpy as np

from course_lib import hopfield
from course_lib.checks._core import expect, expect_match, random_spins, rng_for
from course_lib.checks.ch03 import _sym


def _async_reference(W, S, order):
    S = np.array(S, dtype=float)
    for i in order:
        h = S @ W[i]
        S[..., i] = np.where(h > 0, 1.0, np.where(h < 0, -1.0, S[..., i]))
    return S


def async_sweep(fn):
    rng = rng_for("async_sweep", 100)

    def repeated_units():
        W, S = _sym(rng, 8), random_spins(rng, 5, 8)
        order = np.array([3, 3, 0, 7, 3])
        expect_match(fn(W, S, order), _async_reference(W, S, order),
                     "wrong when `order` visits a unit twice: each visit is one more update")

    def empty_order():
        W, s = _sym(rng, 6), random_spins(rng, 6)
        expect_match(fn(W, s, np.array([], dtype=int)), s, "an empty order updates nothing")

    return [("hidden: repeated units", repeated_units), ("hidden: empty order", empty_order)]


def is_fixed_point(fn):
    rng = rng_for("is_fixed_point", 100)

    def integer_batch():
        X = random_spins(rng, 4, 50)
        W = X.T @ X          # integer fields: ties are exact
        np.fill_diagonal(W, 0)
        S = np.vstack([X, random_spins(rng, 6, 50)]).astype(np.int64)
        got = np.asarray(fn(W, S))
        want = np.all(S * (S @ W.T) >= 0, axis=1)
        expect(got.shape == want.shape, f"expected {want.shape}, got {got.shape}")
        expect(np.array_equal(got.astype(bool), want), "wrong verdicts for integer weights and states")

    def not_fixed():
        W = np.array([[0.0, -1.0], [-1.0, 0.0]])
        expect(not bool(fn(W, np.array([1.0, 1.0]))), "a state in a 2-cycle is not a fixed point")

    return [("hidden: integer weights", integer_batch), ("hidden: 2-cycle state", not_fixed)]


def one_step_error(fn):
    def grid():
        a = np.array([[0.01, 0.1], [1.0, 10.0]])
        want = 0.5 * np.vectorize(math.erfc)(1 / np.sqrt(2 * a))
        expect_match(fn(a), want, "wrong for a 2 x 2 array of loads")

    return [("hidden: 2-D loads", grid)]


def stable_fraction(fn):
    rng = rng_for("stable_fraction", 100)

    def one_pattern():
        P = random_spins(rng, 1, 30)
        expect_match(fn(P), 1.0, "a single stored pattern is always stable")

    def orthogonal():
        H = np.array([[1.0]])
        for _ in range(4):
            H = np.block([[H, H], [H, -H]])
        P = H[1:9]
        W = P.T @ P / 16
        np.fill_diagonal(W, 0.0)
        want = float(np.mean(np.all(P * (P @ W) >= 0, axis=1)))
        expect_match(fn(P), want, "wrong for 8 orthogonal patterns of 16 units")

    return [("hidden: one pattern", one_pattern), ("hidden: orthogonal patterns", orthogonal)]

def two_cycle(fn):
    def sizes():
        for n in (3, 25):
            out = fn(n)
            expect(isinstance(out, (tuple, list)) and len(out) == 2, "return a pair (W, s0)")
            W, s0 = np.asarray(out[0], dtype=float), np.asarray(out[1], dtype=float)
            expect(W.shape == (n, n) and s0.shape == (n,) and np.allclose(W, W.T), f"n = {n}: symmetric (n, n) W "
                   "and a state (n,)")
            s1 = hopfield.sync_step(W, s0)
            expect(not np.array_equal(s1, s0) and np.array_equal(hopfield.sync_step(W, s1), s0),
                   f"n = {n}: not a 2-cycle of the synchronous dynamics")

    return [("hidden: n = 3 and n = 25", sizes)]


def spurious_state(fn):
    from course_lib.checks.ch03 import _mixtures_of_three

    rng = rng_for("spurious_state", 100)

    def eleven_patterns():
        P = random_spins(rng, 11, 100)
        s = np.asarray(fn(P.copy()), dtype=float)
        expect(s.shape == (100,) and np.all(np.isin(s, [-1.0, 1.0])), "return one +-1 state of 100 units")
        W = hopfield.hebbian_weights(P)
        expect(np.array_equal(hopfield.sync_step(W, s), s), "11 patterns of 100 units: not a fixed point")
        expect(np.max(np.abs(P @ s)) < 100, "11 patterns of 100 units: a stored pattern, not a spurious state")
        expect(not any(np.array_equal(s, m) for m in _mixtures_of_three(P)), "11 patterns: a 3-mixture")

    return [("hidden: 11 patterns of 100 units", eleven_patterns)]


HIDDEN = {"async_sweep": async_sweep, "is_fixed_point": is_fixed_point, "one_step_error": one_step_error,
          "stable_fraction": stable_fraction,
          "two_cycle": two_cycle, "spurious_state": spurious_state}
