"""Hidden cases for chapter 05 (RBMs), including the exact CD-k expectation (instructor-only)."""

from __future__ import annotations

import numpy as np

from course_lib import boltzmann
from course_lib.checks._core import expect, expect_match, rng_for
from course_lib.checks.ch05 import (
    _free_energy_by_definition,
    _hidden_posterior,
    _log_partition_by_definition,
    _model,
    _states,
)


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def _expected_cd(W, b, c, V0, k):
    """The exact expectation of the CD-k statistics, from the visible transition matrix."""
    S, Hs = _states(W.shape[0]), _states(W.shape[1])          # boltzmann.all_states order
    ph_s = _sigmoid(S @ W + c)                                                      # (2^D, H)
    p_h = np.prod(np.where(Hs[None] == 1, ph_s[:, None], 1 - ph_s[:, None]), -1)    # p(h | v): (2^D, 2^H)
    pv_h = _sigmoid(Hs @ W.T + b)                                                   # (2^H, D)
    p_v = np.prod(np.where(S[None] == 1, pv_h[:, None], 1 - pv_h[:, None]), -1)     # p(v' | h): (2^H, 2^D)
    T = p_h @ p_v
    idx = boltzmann.state_index(2 * V0 - 1)
    start = np.zeros((len(V0), len(S)))
    start[np.arange(len(V0)), idx] = 1
    q = (start @ np.linalg.matrix_power(T, k)).mean(0)
    ph0 = _sigmoid(V0 @ W + c)
    return (V0.T @ ph0 / len(V0) - (S * q[:, None]).T @ ph_s, V0.mean(0) - q @ S, ph0.mean(0) - q @ ph_s)


def free_energy(fn):
    rng = rng_for("free_energy", 100)

    def tiny():
        W, b, c = _model(rng, 1, 1)
        V = _states(1)
        expect_match(fn(W, b, c, V), _free_energy_by_definition(W, b, c, V), "wrong for one visible and one "
                     "hidden unit")

    def wide():
        W, b, c = _model(rng, 3, 9, scale=2.0)
        V = _states(3)
        expect_match(fn(W, b, c, V), _free_energy_by_definition(W, b, c, V), "wrong for 9 hidden units")

    return [("hidden: 1 x 1", tiny), ("hidden: 3 x 9", wide)]


def sample_hidden(fn):
    rng = rng_for("sample_hidden", 100)

    def one_row_batch():
        W, b, c = _model(rng, 3, 5)
        V = rng.integers(0, 2, (1, 3)).astype(float)
        p, h = fn(W, c, V, np.random.default_rng(11))
        expect(np.shape(p) == (1, 5) and np.shape(h) == (1, 5), f"a batch of one (1, 3) should give (1, 5) arrays, "
               f"got {np.shape(p)} and {np.shape(h)}")
        expect_match(p, _hidden_posterior(W, b, c, V), "wrong probabilities for a batch of one")

    def saturated():
        W, b, c = _model(rng, 4, 3, scale=100.0)
        V = rng.integers(0, 2, (20, 4)).astype(float)
        p, h = fn(W, c, V, np.random.default_rng(12))
        p = np.asarray(p, dtype=float)
        expect(np.all(np.isfinite(p)), "NaN or inf probabilities for large fields")
        sure = (p < 1e-12) | (p > 1 - 1e-12)
        expect(np.array_equal(np.asarray(h)[sure], np.round(p[sure])), "where p is 0 or 1 the sample must agree")

    return [("hidden: batch of one", one_row_batch), ("hidden: saturated", saturated)]


def cd_k_gradient(fn):
    rng = rng_for("cd_k_gradient", 100)
    data = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]], dtype=float)
    V0 = np.repeat(data, 8000, axis=0)

    def exact(k, seed):
        def case():
            W, b, c = _model(rng, 4, 3, scale=2.0)
            out = fn(W.copy(), b.copy(), c.copy(), V0.copy(), k, np.random.default_rng(seed))
            expect(isinstance(out, (tuple, list)) and len(out) == 3, "return three arrays: (dW, db, dc)")
            for name, g, w in zip(("dW", "db", "dc"), out, _expected_cd(W, b, c, V0, k), strict=True):
                g = np.asarray(g, dtype=float)
                expect(g.shape == w.shape, f"{name} should have shape {w.shape}, got {g.shape}")
                expect(np.allclose(g, w, atol=0.02),
                       f"{name} for k = {k} is off by up to {np.max(np.abs(g - w)):.3f} from the CD-{k} "
                       "expectation: positive phase from v0, then exactly k full Gibbs steps v -> h -> v with "
                       "sampled binary states, negative statistics from v_k and p(h | v_k)")
        return case

    return [("hidden: CD-1 exactly", exact(1, 21)), ("hidden: CD-3 exactly", exact(3, 22))]


def exact_log_partition(fn):
    rng = rng_for("exact_log_partition", 100)

    def square():
        W, b, c = _model(rng, 5, 5)
        expect_match(float(np.asarray(fn(W, b, c))), _log_partition_by_definition(W, b, c), "wrong for a 5 x 5 model")

    def one_by_one():
        W, b, c = _model(rng, 1, 1)
        expect_match(float(np.asarray(fn(W, b, c))), _log_partition_by_definition(W, b, c),
                     "wrong for one visible and one hidden unit (4 joint states)")

    return [("hidden: 5 x 5", square), ("hidden: 1 x 1", one_by_one)]

def ais_plausible(fn):
    rng = rng_for("ais_plausible", 100)

    def single_vector():
        W, b, c = _model(rng, 20, 30, scale=0.3)
        data = (rng.random((1, 20)) < 0.5).astype(float)
        bound = float(data[0] @ b + np.logaddexp(0, data[0] @ W + c).sum())
        expect(not bool(fn(W, b, c, bound - 0.1, data.copy())), "one data vector: an impossible estimate accepted")
        expect(bool(fn(W, b, c, bound + 0.1, data.copy())), "one data vector: a possible estimate refused")

    return [("hidden: one data vector", single_vector)]


def hidden_health(fn):
    rng = rng_for("hidden_health", 100)

    def mixed():
        W, _, c = _model(rng, 5, 12, scale=0.2)
        c[::3] = -20.0
        c[1::4] = 20.0
        data = (rng.random((30, 5)) < 0.5).astype(float)
        out = fn(W.copy(), c.copy(), data.copy())
        expect(isinstance(out, (tuple, list)) and len(out) == 2, "return a pair (dead, saturated)")
        mean = _sigmoid(data @ W + c).mean(0)
        want = (int(np.sum(mean < 0.01)), int(np.sum(mean > 0.99)))
        expect(tuple(int(np.asarray(x)) for x in out) == want, f"12 hidden units: expected {want}")

    return [("hidden: twelve units", mixed)]


HIDDEN = {"free_energy": free_energy, "sample_hidden": sample_hidden, "cd_k_gradient": cd_k_gradient,
          "exact_log_partition": exact_log_partition,
          "ais_plausible": ais_plausible,
          "hidden_health": hidden_health}
