"""Checks for chapter 02 (Hebbian learning)."""

from __future__ import annotations

import numpy as np

from .. import hopfield
from ._core import CheckResult, expect, expect_close, expect_match, random_spins, rng_for, run_cases


def _sylvester(k: int) -> np.ndarray:
    H = np.array([[1.0]])
    for _ in range(k):
        H = np.block([[H, H], [H, -H]])
    return H


def _correlated(rng: np.random.Generator, p: int, n: int, flip: float) -> np.ndarray:
    """p linearly independent patterns, each a copy of one random pattern with a share ``flip`` of units flipped."""
    base = random_spins(rng, 1, n)
    while True:
        P = np.where(rng.random((p, n)) < flip, -base, base)
        if np.linalg.matrix_rank(P) == p:
            return P


def _sync_recall(W, probes, max_steps):
    """The lecture's synchronous recall (``hopfield.recall``), stopped after ``max_steps`` updates."""
    return hopfield.recall(W, probes, mode="sync", max_sweeps=max_steps).states


def hebbian_weights(fn) -> CheckResult:
    """The learner's ``hebbian_weights(patterns)``: W = X^T X / N with a zero diagonal."""
    rng = rng_for("hebbian_weights")

    def values():
        P = random_spins(rng, 4, 11)
        W = np.asarray(fn(P), dtype=float)
        expect(W.shape == (11, 11), f"4 patterns of N = 11 units should give an 11 x 11 matrix, got {W.shape}")
        expect(np.allclose(W, W.T), "W is not symmetric: each pattern adds an outer product x x^T")
        expect(np.allclose(np.diag(W), 0), "the diagonal must be zero: a neuron does not feed itself")
        ref = hopfield.hebbian_weights(P)
        expect(not np.allclose(W, ref * 11), "right pattern of signs, but 11 times too big: divide by N")
        expect(not np.allclose(W, ref * 11 / 4), "you divided by the number of patterns p; divide by N")
        expect_close(W, ref, "right shape and symmetry, wrong values: W_ij = (1/N) sum_mu x^mu_i x^mu_j")

    def one_pattern():
        P = random_spins(rng, 1, 6)
        expect_close(fn(P), hopfield.hebbian_weights(P), "wrong for a single pattern (p = 1): W = (x x^T - I) / N")

    def orthogonal():
        P = _sylvester(4)[1:5]
        W = np.asarray(fn(P), dtype=float)
        expect_close(P @ W, (1 - 4 / 16) * P,
                     "for orthogonal patterns W x should equal (1 - p/N) x: check the sum over patterns")

    def many_units():
        P = random_spins(rng, 30, 200)
        expect_close(fn(P), hopfield.hebbian_weights(P), "wrong on a larger case (p = 30, N = 200)")

    def untouched():
        P = random_spins(rng, 3, 5)
        before = P.copy()
        fn(P)
        expect(np.array_equal(P, before), "your function changed the patterns passed in")

    return run_cases("hebbian_weights", fn, [("random patterns", values), ("one pattern", one_pattern),
                                      ("orthogonal patterns", orthogonal), ("larger network", many_units),
                                      ("input untouched", untouched)],
              library_twin=hopfield.hebbian_weights)


def crosstalk(fn) -> CheckResult:
    """The learner's ``crosstalk(patterns)``: C = x_i h_i - (N - 1)/N under Hebb, shape (p, N)."""
    rng = rng_for("crosstalk")

    def values():
        P = random_spins(rng, 5, 40)
        got = np.asarray(fn(P), dtype=float)
        expect(got.shape == P.shape, f"one crosstalk per unit of each pattern: shape {P.shape}, got {got.shape}")
        ref = hopfield.crosstalk(P)
        expect(not np.allclose(got, ref + (40 - 1) / 40), "you returned x_i h_i: subtract the signal (N - 1)/N")
        expect(not np.allclose(got, ref + (40 - 1) / 40 - 1),
               "you subtracted 1 as the signal: with a zero diagonal the pattern's own term is (N - 1)/N")
        expect_close(got, ref, "wrong crosstalk: compute h = W x with Hebb's W (zero diagonal), then x_i h_i - (N-1)/N")

    def orthogonal():
        P = _sylvester(5)[3:10]
        expect_close(fn(P), np.full(P.shape, -(7 - 1) / 32),
                     "for orthogonal patterns the crosstalk is the same on every unit: -(p - 1)/N")

    def one_pattern():
        P = random_spins(rng, 1, 9)
        expect_close(fn(P), np.zeros((1, 9)), "with a single stored pattern there is nothing to cross-talk: C = 0")

    def parity():
        P = random_spins(rng, 8, 61)
        got = np.asarray(fn(P), dtype=float) * 61
        expect_close(got, hopfield.crosstalk(P) * 61, "wrong on a larger case (p = 8, N = 61)")

    return run_cases("crosstalk", fn, [("random patterns", values), ("orthogonal patterns", orthogonal),
                                ("one pattern", one_pattern), ("larger case", parity)],
              library_twin=hopfield.crosstalk)


def recall_sync(fn) -> CheckResult:
    """The learner's ``recall_sync(W, probes, max_steps)``: s <- sign(W s) until nothing changes."""
    rng = rng_for("recall_sync")

    def letters_like():
        X = random_spins(rng, 3, 50)
        W = hopfield.hebbian_weights(X)
        probes = np.where(rng.random((6, 50)) < 0.1, -np.repeat(X, 2, axis=0), np.repeat(X, 2, axis=0))
        got = np.asarray(fn(W, probes, 20), dtype=float)
        expect(got.shape == probes.shape, f"a batch of probes {probes.shape} should give final states of that "
               f"shape, got {got.shape}")
        expect_close(got, _sync_recall(W, probes, 20), "wrong final states: repeat s <- sign(W s) for the whole "
                     "batch until s stops changing")

    def ties_keep():
        W = np.array([[0.0, 1.0, -1.0], [1.0, 0.0, 1.0], [-1.0, 1.0, 0.0]])
        s = np.array([[1.0, 1.0, 1.0], [-1.0, 1.0, 1.0]])
        one = np.asarray(fn(W, s, 1), dtype=float)
        expect(np.all(np.isin(one, [-1.0, 1.0])), "after one step a state has a 0 in it: np.sign(0) = 0, so "
               "where h_i = 0 keep the unit's current value")
        got = np.asarray(fn(W, s, 10), dtype=float)
        expect_close(got, _sync_recall(W, s, 10), "wrong where a field is exactly 0: a tie keeps the unit")

    def two_cycle():
        W = np.array([[0.0, -1.0], [-1.0, 0.0]])
        s = np.array([[1.0, 1.0]])
        for steps in (3, 4):
            got = np.asarray(fn(W, s, steps), dtype=float)
            expect_close(got, _sync_recall(W, s, steps),
                         f"with max_steps={steps} on a 2-cycle, stop after exactly max_steps updates")

    def untouched():
        X = random_spins(rng, 2, 20)
        W = hopfield.hebbian_weights(X)
        probes = random_spins(rng, 3, 20)
        before = probes.copy()
        fn(W, probes, 5)
        expect(np.array_equal(probes, before), "your function changed the probes passed in: work on a copy")

    return run_cases("recall_sync", fn, [("corrupted patterns", letters_like), ("zero fields", ties_keep),
                                  ("2-cycle", two_cycle), ("input untouched", untouched)],
              library_twin=hopfield.recall)


def pseudoinverse_weights(fn) -> CheckResult:
    """The learner's ``pseudoinverse_weights(patterns)``: the projection rule with zero diagonal."""
    rng = rng_for("pseudoinverse_weights")

    def values():
        P = random_spins(rng, 5, 16)
        W = np.asarray(fn(P), dtype=float)
        expect(W.shape == (16, 16), f"expected a 16 x 16 matrix, got {W.shape}")
        expect(np.allclose(np.diag(W), 0), "set the diagonal to zero after building the projection")
        ref = hopfield.pseudoinverse_weights(P)
        expect(not np.allclose(W, ref / 16), "do not divide by N: the projection already has the right scale")
        expect_close(W, ref,
                     "wrong values: W = X^T (X X^T)^-1 X for patterns as rows X (p, N), then zero the diagonal")

    def correlated():
        for _ in range(50):  # six patterns close to one another, no unit inside their span (P_ii < 1)
            P = _correlated(rng, 6, 30, 0.15)
            if np.linalg.matrix_rank(P) == 6 and \
                    np.max(np.diag(hopfield.pseudoinverse_weights(P, zero_diagonal=False))) < 0.99:
                break
        W = np.asarray(fn(P), dtype=float)
        h = P @ W.T
        expect(np.all(np.sign(h) == P), "strongly correlated patterns must still be fixed points: "
               "check the inverse of the p x p overlap matrix X X^T")

    def orthogonal():
        P = _sylvester(4)[2:6]
        expect_close(fn(P), hopfield.hebbian_weights(P),
                     "for orthogonal patterns the projection rule must equal Hebb's rule")

    return run_cases("pseudoinverse_weights", fn, [("random patterns", values), ("correlated patterns", correlated),
                                            ("orthogonal patterns", orthogonal)],
              library_twin=hopfield.pseudoinverse_weights)


# --------------------------------------------------------------------------- explain with a number

def projection_margin(fn) -> CheckResult:
    """The learner's ``projection_margin(patterns)``: the smallest aligned field x_i h_i over every stored pattern
    and unit under the projection rule (zero diagonal), found without computing the fields pattern by pattern;
    checked against the fields measured with the lecture's functions."""
    rng = rng_for("projection_margin")

    def measured(P):
        W = hopfield.pseudoinverse_weights(P)
        return float(np.min(P * hopfield.local_field(W, P)))

    def mistakes(P):
        full = hopfield.pseudoinverse_weights(P, zero_diagonal=False)
        hebb = hopfield.hebbian_weights(P)
        return [(float(np.max(np.diag(full))), "that is the largest diagonal entry of the projection itself: "
                 "what does removing it do to the field of a stored pattern?"),
                (float(1 - np.min(np.diag(full))), "you took the smallest diagonal entry: the weakest unit is the "
                 "one whose diagonal entry is largest"),
                (float(np.min(P * hopfield.local_field(hebb, P))), "that is the margin of Hebb's rule, not of the "
                 "projection rule"),
                (1.0, "with the diagonal kept every aligned field is exactly 1: the projection maps each stored "
                      "pattern onto itself. The diagonal is zeroed, though: what does that take away?")]

    def random_patterns():
        P = random_spins(rng, 10, 50)
        got = fn(P)
        expect(np.ndim(got) == 0, f"return one number, got shape {np.shape(got)}")
        expect_match(got, measured(P), "your number differs from the smallest x_i h_i measured over the stored "
                     "patterns: write the field of a stored pattern under the projection with its diagonal "
                     "removed", mistakes(P))

    def correlated():
        P = _correlated(rng, 8, 40, 0.1)
        expect_match(fn(P), measured(P), "wrong for 8 strongly correlated patterns (Hebb fails here; the "
                     "projection rule does not)", mistakes(P))

    def crowded():
        P = random_spins(rng, 30, 40)
        got = fn(P)
        expect_match(got, measured(P), "wrong at load p/N = 0.75", mistakes(P))

    return run_cases("projection_margin", fn, [("random patterns", random_patterns),
                                               ("correlated patterns", correlated), ("high load", crowded)])


def crosstalk_spread(fn) -> CheckResult:
    """The learner's prediction ``crosstalk_spread(p, N)``: the standard deviation of Hebb's crosstalk for p random
    patterns of N units, checked against the spread measured with the lecture's ``hopfield.crosstalk``."""
    rng = rng_for("crosstalk_spread")

    def measured(p, n, draws):
        return float(np.std(np.concatenate([hopfield.crosstalk(random_spins(rng, p, n)).ravel()
                                            for _ in range(draws)])))

    def mistakes(p, n):
        return [(np.sqrt(p / n), "you counted the pattern itself among the sources of crosstalk: only the other "
                                 "p - 1 patterns add noise"),
                ((p - 1) / n, "that is the variance: return the standard deviation"),
                (np.sqrt((p - 1) / n) / np.sqrt(n), "too small by sqrt(N): each of the N - 1 terms of the sum "
                                                    "adds variance of order 1/N^2, and there are about N of them "
                                                    "per other pattern")]

    def verify(p, n, draws):
        got = fn(p, n)
        expect(np.ndim(got) == 0, f"one (p, N) should give one number, got shape {np.shape(got)}")
        got, want = float(got), measured(p, n, draws)
        for wrong, why in mistakes(p, n):
            if abs(got - wrong) <= 0.02 * abs(wrong) and abs(wrong - want) > 0.08 * want:
                expect(False, why)
        expect(abs(got - want) <= 0.06 * want, f"for p = {p}, N = {n} you predict {got:.4f}, the measured spread "
               f"is {want:.4f}: the crosstalk is a sum of many +-1/N terms, one for each other pattern and each "
               "other unit; how many, and what is the variance of such a sum?")

    # few patterns: the spread comes mostly from one draw of patterns to the next, so measure over many draws
    return run_cases("crosstalk_spread", fn, [("p = 3, N = 100", lambda: verify(3, 100, 2000)),
                                              ("p = 40, N = 200", lambda: verify(40, 200, 20)),
                                              ("p = 2, N = 60", lambda: verify(2, 60, 3000))])
