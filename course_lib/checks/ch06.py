"""Checks for chapter 06 (modern Hopfield networks and dense associative memories).

Layout as in ``course_lib.modern``: stored patterns are the rows of X (p, N); queries are (N,) or (B, N).
"""

from __future__ import annotations

import numpy as np

from .. import core, modern
from ._core import CheckResult, expect, expect_close, expect_match, random_spins, rng_for, run_cases


def _finite(got, what: str) -> np.ndarray:
    arr = np.asarray(got, dtype=np.float64)
    expect(np.all(np.isfinite(arr)), f"{what} came out as inf or nan: an exp overflowed or a log saw 0. "
                                     "Subtract the maximum before exponentiating")
    return arr


def _one_number(got, what: str):
    expect(np.ndim(got) == 0, f"{what} should give one number, got shape {np.shape(got)}: reduce the last axis "
                              "(a sum over its entries)")
    return got


def lse(fn) -> CheckResult:
    """The learner's stable ``lse(beta, x) = beta^-1 log sum_i exp(beta x_i)`` along the last axis."""
    rng = rng_for("lse")

    def mistakes(beta, x):
        want = core.lse(x, beta)
        return [(beta * want, "the log is not divided by beta: lse = (1/beta) log sum_i exp(beta x_i)"),
                (core.lse(x, 1.0), "beta is ignored: it multiplies x inside the exp"),
                (np.max(x, axis=-1), "you returned the maximum only: the shift by m must be added back to "
                                     "m + (1/beta) log sum_i exp(beta (x_i - m)), the sum included"),
                (np.log(np.sum(np.exp(beta * (x - np.max(x, axis=-1, keepdims=True))), axis=-1)) / beta,
                 "you shifted x by its maximum m but did not add m back")]

    def small():
        x = rng.normal(size=6)
        got = _one_number(fn(1.0, x), "a vector (k,)")
        expect_match(got, core.lse(x, 1.0), "wrong value for beta = 1: lse = log sum_i exp(x_i)",
                     mistakes(1.0, x))

    def with_beta():
        x = rng.normal(size=5)
        for beta in (0.25, 4.0):
            got = _one_number(fn(beta, x), "a vector (k,)")
            expect_match(got, core.lse(x, beta),
                         f"wrong for beta = {beta}: multiply x by beta inside the exp and divide the log by beta",
                         mistakes(beta, x))

    def large_inputs():
        x = 800.0 + 5 * rng.normal(size=7)
        got = _finite(_one_number(fn(1.0, x), "a vector (k,)"), "lse of inputs near 800")
        expect_match(got, core.lse(x, 1.0), "wrong for large inputs: lse(x) = m + log sum exp(x - m) with "
                     "m = max x", mistakes(1.0, x), rtol=1e-12)

    def very_negative():
        x = -900.0 + rng.normal(size=4)
        got = _finite(_one_number(fn(1.0, x), "a vector (k,)"), "lse of inputs near -900")
        expect_match(got, core.lse(x, 1.0), "wrong for very negative inputs: every exp underflows to 0 unless "
                     "you shift by the maximum", mistakes(1.0, x), rtol=1e-12)

    def large_beta():
        x = rng.normal(size=5)
        got = _finite(_one_number(fn(2000.0, x), "a vector (k,)"), "lse with beta = 2000")
        expect_match(got, core.lse(x, 2000.0), "wrong for a large beta: shift by the maximum of x (then "
                     "beta (x - m) <= 0)", mistakes(2000.0, x), rtol=1e-12)

    def batch():
        x = rng.normal(size=(4, 6)) * 3 + np.array([[0.0], [-3000.0], [2000.0], [10.0]])  # rows far apart
        got = np.asarray(fn(0.5, x))
        expect(got.shape == (4,), f"x of shape (4, 6) should give 4 values (reduce the last axis), got {got.shape}")
        expect(np.all(np.isfinite(got)), "inf or nan for rows of very different size: the shift must be the "
               "maximum of each row (along the last axis, keepdims=True), not of the whole array")
        expect_match(got, core.lse(x, 0.5), "batch values are wrong: take the maximum of "
                     "each row, keepdims=True", mistakes(0.5, x), rtol=1e-12)

    return run_cases("lse", fn, [("small inputs", small), ("beta", with_beta), ("large inputs", large_inputs),
                                 ("very negative inputs", very_negative), ("large beta", large_beta),
                                 ("batch", batch)],
                     library_twin=core.lse)


def modern_energy(fn) -> CheckResult:
    """The learner's ``modern_energy(X, xi, beta)`` with the two constants."""
    rng = rng_for("modern_energy")

    def single():
        X, xi = rng.normal(size=(5, 3)), rng.normal(size=3)
        got = fn(X, xi, 1.0)
        expect(np.ndim(got) == 0, f"one query (N,) should give one energy, got shape {np.shape(got)}")
        want = modern.modern_energy(X, xi, 1.0)
        no_const = want - np.log(5) - 0.5 * np.linalg.norm(X, axis=1).max() ** 2
        expect(not np.isclose(float(got), no_const),
               "you left out the constants: add beta^-1 log p and M^2 / 2 with M the largest pattern norm")
        expect(np.isclose(float(got), want), "wrong energy: E = -lse(beta, X xi) + xi.xi / 2 + log(p) / beta + M^2 / 2")

    def beta_scaling():
        X, xi = rng.normal(size=(4, 3)), rng.normal(size=3)
        got = float(fn(X, xi, 3.0))
        expect(np.isclose(got, modern.modern_energy(X, xi, 3.0)),
               "right for beta = 1 only? lse carries its own 1/beta, and so does the constant log(p) / beta")

    def batch():
        X, xi = rng.normal(size=(6, 4)), rng.normal(size=(5, 4))
        got = np.asarray(fn(X, xi, 0.5))
        expect(got.shape == (5,), f"queries (5, 4) should give 5 energies, got shape {got.shape}")
        expect_close(got, modern.modern_energy(X, xi, 0.5),
                     "batch energies are wrong: similarities are xi @ X.T, shape (B, p); reduce the last axis")

    def large_patterns():
        X, xi = rng.choice([-1.0, 1.0], size=(8, 784)), rng.choice([-1.0, 1.0], size=784)
        got = _finite(fn(X, xi, 2.0), "the energy of 784-pixel patterns")
        expect(np.isclose(float(got), modern.modern_energy(X, xi, 2.0)),
               "wrong for large patterns (overlaps of hundreds): use a stable lse")

    def non_negative():
        X, xi = rng.normal(size=(7, 2)) * 2, rng.normal(size=(30, 2)) * 3
        got = np.asarray(fn(X, xi, 1.5), dtype=float)
        expect(np.all(got >= -1e-9), "with both constants the energy is never negative; yours is, somewhere")

    return run_cases("modern_energy", fn, [("one query", single), ("beta", beta_scaling), ("batch", batch),
                                    ("large patterns", large_patterns), ("E >= 0", non_negative)],
              library_twin=modern.modern_energy)


def modern_update(fn) -> CheckResult:
    """The learner's one-step ``modern_update(X, xi, beta) = softmax(beta xi X^T) X``."""
    rng = rng_for("modern_update")

    def single():
        X, xi = rng.normal(size=(5, 3)), rng.normal(size=3)
        got = np.asarray(fn(X, xi, 1.0))
        expect(got.shape == (3,), f"one query (N,) = (3,) should give a new state of shape (3,), got {got.shape}")
        expect_close(got, modern.modern_update(X, xi, 1.0),
                     "wrong new state: weights p = softmax(beta X xi) over the p patterns, then sum_mu p_mu x_mu")

    def batch():
        X, xi = rng.normal(size=(6, 4)), rng.normal(size=(5, 4))
        got = np.asarray(fn(X, xi, 2.0))
        expect(got.shape == (5, 4), f"queries (5, 4) should give new states (5, 4), got {got.shape}")
        expect_close(got, modern.modern_update(X, xi, 2.0),
                     "batch is wrong: the softmax runs over the patterns (the last axis of xi @ X.T), row by row")

    def convex():
        X, xi = rng.normal(size=(4, 3)), rng.normal(size=3)
        got = np.asarray(fn(X, xi, 0.3))
        expect(np.isclose(np.asarray(fn(X, np.zeros(3), 0.3)), X.mean(0)).all(),
               "from xi = 0 all patterns are equally similar: the update should give their average. "
               "Do your weights sum to 1?")
        expect_close(got, modern.modern_update(X, xi, 0.3), "wrong for beta = 0.3: the beta goes inside the softmax")

    def large():
        X = rng.choice([-1.0, 1.0], size=(10, 784))
        xi = X[3] * np.where(rng.random(784) < 0.2, -1, 1)
        got = _finite(fn(X, xi, 2.0), "the update with 784-pixel patterns")
        expect_close(got, X[3], "with beta = 2 and well separated patterns one step should land on the pattern")

    return run_cases("modern_update", fn, [("one query", single), ("batch", batch), ("weights and beta", convex),
                                    ("large patterns", large)],
              library_twin=modern.modern_update)


def dense_sweep(fn) -> CheckResult:
    """The learner's ``dense_sweep(X, s, n)``: one asynchronous sweep, units 0..N-1, F(x) = x^n."""
    rng = rng_for("dense_sweep")

    def reference(X, s, n):
        return modern.dense_update(X, s, n, sweeps=1, order=np.arange(X.shape[1]))

    def one_state():
        X, s = random_spins(rng, 12, 20), random_spins(rng, 20)
        got = np.asarray(fn(X, s.copy(), 3))
        expect(got.shape == (20,), f"one state (N,) = (20,) should give one new state, got shape {got.shape}")
        expect(np.all(np.abs(got) == 1), "the new state must contain only +1 and -1")
        expect_close(got, reference(X, s, 3),
                     "wrong new state for n = 3: unit i takes the value whose energy -sum_mu F(x_mu . s) is lower")

    def asynchronous():
        X, s = random_spins(rng, 30, 16), random_spins(rng, 16)
        got = np.asarray(fn(X, s.copy(), 4))
        # what updating every unit from the OLD state at once would give: each unit's lower-energy value,
        # judged with all the other units at their starting values (the energies from the lecture's dense_energy)
        up = np.where(np.eye(16, dtype=bool), 1.0, s)
        down = np.where(np.eye(16, dtype=bool), -1.0, s)
        e_up, e_down = modern.dense_energy(X, up, 4), modern.dense_energy(X, down, 4)
        sync = np.where(e_up < e_down, 1.0, np.where(e_up > e_down, -1.0, s))
        ref = reference(X, s, 4)
        if not np.array_equal(sync, ref):
            expect(not np.array_equal(got, sync),
                   "you updated every unit from the old state at once (synchronously): update the units one at "
                   "a time, in order 0..N-1, each seeing the units already updated")
        expect_close(got, ref, "wrong sweep for n = 4: go through units 0..N-1 in order, one at a time")

    def ties():
        X = np.array([[1.0, 1.0], [1.0, -1.0]])
        s = np.array([-1.0, 1.0])  # for both units the two values give the same energy
        got = np.asarray(fn(X, s.copy(), 2))
        expect_close(got, reference(X, s, 2),
                     "wrong when both values of a unit give the same energy: then the unit keeps its value")

    def batch():
        X, S = random_spins(rng, 25, 18), random_spins(rng, 6, 18)
        got = np.asarray(fn(X, S.copy(), 3))
        expect(got.shape == (6, 18), f"states (6, 18) should give new states (6, 18), got shape {got.shape}")
        expect_close(got, reference(X, S, 3), "batch is wrong: each row is its own state, swept independently")

    def energy_down():
        X, S = random_spins(rng, 40, 20), random_spins(rng, 8, 20)
        got = np.asarray(fn(X, S.copy(), 3), dtype=float)
        expect(got.shape == S.shape and np.all(np.abs(got) == 1), "new states must be +-1, of the input's shape")
        expect(np.all(modern.dense_energy(X, got, 3) <= modern.dense_energy(X, S, 3) + 1e-9),
               "the energy rose for some state: each single-unit step must pick the lower-energy value")

    def untouched():
        X, s = random_spins(rng, 5, 10), random_spins(rng, 10)
        before = s.copy()
        fn(X, s, 2)
        expect(np.array_equal(s, before), "your function changed the state passed in: work on a copy")

    return run_cases("dense_sweep", fn, [("one state", one_state), ("asynchronous", asynchronous), ("ties", ties),
                                  ("batch", batch), ("energy never rises", energy_down),
                                  ("input untouched", untouched)],
              library_twin=modern.dense_update)


# --------------------------------------------------------------------------- use the ideas

def retrieval_beta(fn) -> CheckResult:
    """The learner's ``retrieval_beta(X, eps)``: the smallest beta (within 5 %) at which one update from every
    stored pattern lands within distance eps of it, checked with the lecture's update at and below that beta."""
    rng = rng_for("retrieval_beta")

    def worst(X, beta):
        return float(np.max(np.linalg.norm(modern.modern_update(X, X, beta) - X, axis=1)))

    def verify(X, eps, what):
        beta = fn(X.copy(), eps)
        expect(np.ndim(beta) == 0, f"{what}: return one beta, got shape {np.shape(beta)}")
        beta = float(beta)
        expect(np.isfinite(beta) and beta > 0, f"{what}: beta must be a positive number, got {beta}")
        at, below = worst(X, beta), worst(X, 0.95 * beta)
        expect(at <= eps + 1e-12, f"{what}: at your beta = {beta:.4g} some stored pattern moves by {at:.3g} > "
               f"eps = {eps} in one step: beta is too small (the softmax still mixes in other patterns)")
        expect(below > eps, f"{what}: already at 0.95 x your beta every pattern stays within eps "
               f"(worst {below:.3g}): look for the smallest beta that works")

    def binary():
        verify(random_spins(rng, 20, 64), 0.1, "20 random +-1 patterns of 64 units, eps = 0.1")

    def correlated():
        base = random_spins(rng, 1, 50)
        X = np.where(rng.random((10, 50)) < 0.2, -base, base)
        verify(X, 0.05, "10 correlated patterns (20 % of units differ from a common one), eps = 0.05")

    return run_cases("retrieval_beta", fn, [("random patterns", binary), ("correlated patterns", correlated)])


def self_weight(fn) -> CheckResult:
    """The learner's prediction ``self_weight(beta, N, p)``: the softmax weight a stored pattern gives itself in one
    update from that pattern, for p mutually orthogonal +-1 patterns of N units, checked against the update."""

    def measured(beta, n, p):
        H = np.array([[1.0]])
        while H.shape[0] < n:
            H = np.block([[H, H], [H, -H]])
        X = H[1:p + 1]
        return float(modern.modern_update(X, X[0], beta) @ X[0] / n)   # orthogonal: the weight on x_0

    def verify(beta, n, p):
        got = fn(beta, n, p)
        expect(np.ndim(got) == 0, f"one (beta, N, p) should give one number, got shape {np.shape(got)}")
        expect_match(got, measured(beta, n, p), f"for beta = {beta}, N = {n}, p = {p} your prediction differs "
                     "from the weight measured with one update: write the p similarities x_mu . x_0 first",
                     [(1 / (1 + p * np.exp(-beta * n)), "you counted the pattern itself among the competitors: p - 1 "
                                                       "other patterns share the rest of the weight"),
                      (1 / (1 + (p - 1) * np.exp(-beta)), "the similarity of a +-1 pattern with itself is N, not 1"),
                      (1 / p, "that is the weight at beta = 0 only: beta sharpens the softmax")])

    return run_cases("self_weight", fn, [("sharp", lambda: verify(0.05, 64, 10)),
                                         ("soft", lambda: verify(0.01, 32, 20)),
                                         ("many patterns", lambda: verify(0.02, 128, 100))])
