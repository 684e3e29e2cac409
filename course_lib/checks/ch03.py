"""Checks for chapter 03 (dynamics and capacity)."""

from __future__ import annotations

import math

import numpy as np

from .. import hopfield
from ._core import CheckResult, expect, expect_close, expect_match, random_spins, rng_for, run_cases


def _sym(rng: np.random.Generator, n: int, diag: float = 0.0) -> np.ndarray:
    a = rng.normal(size=(n, n))
    W = (a + a.T) / 2
    np.fill_diagonal(W, diag)
    return W


def async_sweep(fn) -> CheckResult:
    """The learner's ``async_sweep(W, states, order)``: units updated one by one, energy never rising."""
    rng = rng_for("async_sweep")

    def one_state():
        W, s = _sym(rng, 12), random_spins(rng, 12)
        order = rng.permutation(12)
        got = np.asarray(fn(W, s, order), dtype=float)
        expect(got.shape == s.shape, f"one state (N,) in, one state out: expected shape {s.shape}, got {got.shape}")
        sync = hopfield.sync_step(W, s)
        want = hopfield.async_sweep(W, s, order=order)
        expect(not (np.array_equal(got, sync) and not np.array_equal(sync, want)),
               "this is a synchronous update: unit i must already see the new values of the units updated "
               "before it (recompute its field from the current state)")
        expect_close(got, want, "wrong state after the sweep: update units in the given order, "
                     "s_i <- sign(sum_j W_ij s_j)")

    def energy_check():
        W = _sym(rng, 20, diag=0.2)
        S = random_spins(rng, 8, 20)
        got = np.asarray(fn(W, S, np.arange(20)), dtype=float)
        expect(got.shape == S.shape, f"a batch {S.shape} should give states of the same shape, got {got.shape}")
        rise = hopfield.energy(W, got) - hopfield.energy(W, S)
        expect(np.all(rise <= 1e-9), f"the energy rose by up to {rise.max():.3g} during your sweep: an "
               "asynchronous update with symmetric W and W_ii >= 0 can never raise it")
        expect_close(got, hopfield.async_sweep(W, S, order=np.arange(20)),
                     "energy fine, but not the states the sweep should reach: batch rows are independent probes")

    def ties():
        W = np.array([[0.0, 1.0, -1.0], [1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
        s = np.array([-1.0, 1.0, 1.0])  # h_0 = 1 - 1 = 0: a tie
        got = np.asarray(fn(W, s, np.array([0, 1, 2])), dtype=float)
        expect(np.all(np.isin(got, [-1.0, 1.0])), "a unit became 0: where h_i = 0 keep its current value")
        expect_close(got, hopfield.async_sweep(W, s, order=[0, 1, 2]), "wrong when a field is exactly zero")

    def partial_order():
        W, s = _sym(rng, 9), random_spins(rng, 9)
        order = np.array([4, 1])
        got = np.asarray(fn(W, s, order), dtype=float)
        expect(np.array_equal(np.delete(got, order), np.delete(s, order)),
               "units not in `order` must not change")
        expect_close(got, hopfield.async_sweep(W, s, order=order), "update only the units listed in order")

    def untouched():
        W, S = _sym(rng, 6), random_spins(rng, 3, 6)
        before = S.copy()
        fn(W, S, np.arange(6))
        expect(np.array_equal(S, before), "your function changed the states passed in: work on a copy")

    return run_cases("async_sweep", fn, [("one state", one_state), ("energy never rises", energy_check),
                                  ("zero field", ties), ("some units only", partial_order),
                                  ("input untouched", untouched)],
              library_twin=hopfield.async_sweep)


def is_fixed_point(fn) -> CheckResult:
    """The learner's ``is_fixed_point(W, states)``: True where no unit would change."""
    rng = rng_for("is_fixed_point")

    def patterns():
        X = random_spins(rng, 3, 60)
        W = hopfield.hebbian_weights(X)
        S = np.vstack([X, -X, random_spins(rng, 4, 60)])
        got = np.asarray(fn(W, S))
        expect(got.shape == (10,), f"one answer per state: expected shape (10,), got {got.shape}")
        want = np.all(hopfield.sync_step(W, S) == S, axis=1)
        expect(np.array_equal(got.astype(bool), want), "wrong verdicts: a state is fixed when every unit "
               "agrees with the sign of its field")

    def ties():
        W = np.zeros((2, 2))
        got = np.asarray(fn(W, np.array([[1.0, -1.0]])))
        expect(bool(np.all(got)), "with all fields zero nothing moves (a tie keeps the unit): that is a fixed point")

    def single():
        X = random_spins(rng, 2, 30)
        W = hopfield.hebbian_weights(X)
        got = fn(W, X[0])
        expect(np.ndim(got) == 0, f"one state (N,) should give one True/False, got shape {np.shape(got)}")
        expect(bool(got), "a single stored pattern at low load is a fixed point")

    return run_cases("is_fixed_point", fn, [("patterns and random states", patterns), ("zero fields", ties),
                                     ("one state", single)])


def one_step_error(fn) -> CheckResult:
    """The learner's ``one_step_error(alpha)``: Phi(-1/sqrt(alpha)) for Gaussian crosstalk."""

    def mistakes(a):
        a = np.asarray(a, dtype=float)
        return [(0.5 * np.vectorize(math.erfc)(1 / np.sqrt(a)),
                 "you used erfc(1/sqrt(alpha))/2: Phi(-x) = erfc(x / sqrt(2)) / 2"),
                (1 - hopfield.one_step_error(a), "that is the probability of NO error: use the tail"),
                (0.5 * np.vectorize(math.erfc)(1 / (a * math.sqrt(2))),
                 "you divided the signal by alpha, the crosstalk's variance: a Gaussian's tail is measured in "
                 "standard deviations, so the signal 1 is compared with sqrt(alpha)"),
                (0.5 * np.vectorize(math.erfc)(np.sqrt(a) / math.sqrt(2)),
                 "you used Phi(-sqrt(alpha)): the signal-to-noise ratio is 1 / sqrt(alpha), not sqrt(alpha)")]

    def values():
        for a in (0.05, 0.138, 0.5, 2.0):
            got = fn(a)
            expect(np.ndim(got) == 0, f"one load should give one number, got shape {np.shape(got)}")
            expect_match(got, hopfield.one_step_error(a), f"wrong at alpha = {a}: the crosstalk is Gaussian with "
                         "variance alpha, the signal is 1", mistakes(a))

    def limits():
        expect(float(fn(1e-3)) < 1e-100, "at tiny load there should be (almost) no errors")
        expect(abs(float(fn(1e6)) - 0.5) < 1e-3, "at huge load the crosstalk swamps the signal: error -> 1/2")

    def array_in():
        a = np.array([0.1, 0.2, 0.3])
        got = np.asarray(fn(a), dtype=float)
        expect(got.shape == a.shape, f"an array of {a.size} loads should give an array of {a.size} errors, got "
               f"shape {got.shape}: use NumPy functions that work elementwise (scipy.special.erfc or np.vectorize)")
        expect_match(got, hopfield.one_step_error(a), "an array of loads gives the right shape but wrong values "
                     "(see the 'values' case)", mistakes(a))

    return run_cases("one_step_error", fn, [("values", values), ("limits", limits), ("array input", array_in)],
                     library_twin=hopfield.one_step_error)


def stable_fraction(fn) -> CheckResult:
    """The learner's ``stable_fraction(patterns)``: share of Hebbian patterns that are fixed points."""
    rng = rng_for("stable_fraction")

    def fixed_share(W, P) -> float:
        return float(np.mean(np.all(hopfield.sync_step(W, P) == P, axis=1)))

    def reference(P):
        return fixed_share(hopfield.hebbian_weights(P), P)

    def mistakes(P):
        W = hopfield.hebbian_weights(P)
        return [(fixed_share(hopfield.hebbian_weights(P, zero_diagonal=False), P),
                 "too many patterns count as stable at this load: something props every unit up in its own "
                 "direction. Which term of x_i h_i comes from unit i itself, and should it be there?"),
                (float(np.mean(np.all(P * hopfield.local_field(W, P) > 0, axis=1))),
                 "a zero field keeps the unit (a tie), so x_i h_i = 0 counts as stable"),
                (float(np.mean(P * hopfield.local_field(W, P) >= 0)),
                 "you returned the fraction of stable UNITS: a pattern is stable only when all of its units are"),
                (float(np.sum(np.all(hopfield.sync_step(W, P) == P, axis=1))),
                 "you returned the number of stable patterns: return their fraction")]

    def low_load():
        P = random_spins(rng, 5, 200)
        expect_match(fn(P), reference(P), "at low load (p = 5, N = 200) every pattern is stable", mistakes(P))

    def high_load():
        P = random_spins(rng, 60, 100)
        got = fn(P)
        expect(np.ndim(got) == 0, f"return one number (a fraction), got shape {np.shape(got)}")
        got = float(got)
        expect(0 <= got <= 1, f"a fraction lies in [0, 1], got {got}")
        expect_match(got, reference(P), "wrong fraction at high load: count the patterns whose every unit "
                     "agrees with its field under Hebb's rule", mistakes(P))

    def medium_load():
        P = random_spins(rng, 40, 200)
        expect_match(fn(P), reference(P), "wrong fraction at load p/N = 0.2: count the patterns whose every "
                     "unit agrees with its field under Hebb's rule", mistakes(P))

    def ties():
        P = np.array([[1.0, 1.0, 1.0], [1.0, -1.0, -1.0]])  # unit 0 of each pattern has h_0 = 0
        expect_match(fn(P), reference(P),
                     "wrong when some fields are exactly zero: a tie keeps the unit, so it counts as stable",
                     mistakes(P))

    return run_cases("stable_fraction", fn, [("low load", low_load), ("medium load", medium_load),
                                             ("high load", high_load), ("zero fields", ties)])


# --------------------------------------------------------------------------- exercises that construct and search

def two_cycle(fn) -> CheckResult:
    """The learner's construction ``two_cycle(n) -> (W, s0)``: symmetric W, synchronous dynamics of period 2."""

    def verify(n):
        out = fn(n)
        expect(isinstance(out, (tuple, list)) and len(out) == 2, "return a pair (W, s0)")
        W, s0 = np.asarray(out[0], dtype=float), np.asarray(out[1], dtype=float)
        expect(W.shape == (n, n) and s0.shape == (n,), f"for n = {n}: W must be ({n}, {n}) and s0 ({n},), got "
               f"{W.shape} and {s0.shape}")
        expect(np.all(np.isin(s0, [-1.0, 1.0])), "s0 must contain only +1 and -1")
        expect(np.allclose(W, W.T), "W must be symmetric (W_ij = W_ji): the point is that even a symmetric "
               "network, whose asynchronous dynamics always settles, can cycle when updated synchronously")
        s1 = hopfield.sync_step(W, s0)
        expect(not np.array_equal(s1, s0), "s0 is a fixed point: one synchronous step leaves it unchanged")
        s2 = hopfield.sync_step(W, s1)
        expect(np.array_equal(s2, s0), f"from s0 two synchronous steps do not come back to s0 ({int(np.sum(s2 != s0))}"
               " units differ): you need s(t + 2) = s(t) with s(t + 1) != s(t)")

    def small():
        verify(2)

    def larger():
        verify(10)

    def odd():
        verify(7)

    return run_cases("two_cycle", fn, [("n = 2", small), ("n = 10", larger), ("n = 7", odd)],
                     allowed=("hebbian_weights", "sync_step", "energy"))


def _mixtures_of_three(P: np.ndarray) -> np.ndarray:
    """Every state sign(+-x_a +- x_b +- x_c) for distinct stored patterns a < b < c."""
    out = []
    p = len(P)
    for a in range(p):
        for b in range(a + 1, p):
            for c in range(b + 1, p):
                for sb in (1, -1):
                    for sc in (1, -1):
                        m = np.sign(P[a] + sb * P[b] + sc * P[c])
                        out += [m, -m]
    return np.array(out).reshape(-1, P.shape[1])


def spurious_state(fn) -> CheckResult:
    """The learner's search ``spurious_state(patterns) -> s``: a fixed point of Hebb's network that is neither a
    stored pattern (or its negative) nor a mixture of three of them."""

    def verify(P, what):
        s = np.asarray(fn(P.copy()), dtype=float)
        expect(s.shape == (P.shape[1],), f"{what}: return one state of shape ({P.shape[1]},), got {s.shape}")
        expect(np.all(np.isin(s, [-1.0, 1.0])), f"{what}: the state must contain only +1 and -1")
        W = hopfield.hebbian_weights(P)
        moved = int(np.sum(hopfield.sync_step(W, s) != s))
        expect(moved == 0, f"{what}: your state is not a fixed point of Hebb's network ({moved} units would "
               "flip): run the dynamics until nothing changes")
        near = np.abs(P @ s) / P.shape[1]
        expect(not np.any(near == 1), f"{what}: this is stored pattern {int(np.argmax(near))} (or its negative), "
               "not a spurious state")
        expect(not any(np.array_equal(s, m) for m in _mixtures_of_three(P)),
               f"{what}: a fixed point, but a mixture of three stored patterns (sign(+-x_a +- x_b +- x_c)): look "
               "for another kind of spurious state")

    rng = rng_for("spurious_state")

    def few_patterns():
        verify(random_spins(rng, 5, 60), "5 random patterns of 60 units")

    def more_patterns():
        verify(random_spins(rng, 9, 80), "9 random patterns of 80 units")

    return run_cases("spurious_state", fn, [("5 patterns", few_patterns), ("9 patterns", more_patterns)],
                     allowed=("hebbian_weights", "sync_step", "async_sweep", "recall", "classify_states",
                              "overlap_matrix"))
