"""Checks for chapter 05 (restricted Boltzmann machines). Units are 0/1; W is (D, H).

References are computed here by brute-force enumeration of tiny models, independently of
the learner's code and of course_lib.rbm's fast versions.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import rbm
from ._core import CheckResult, expect, expect_close, rng_for, run_cases


def _states(n: int) -> np.ndarray:
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _model(rng: np.random.Generator, d: int, h: int, scale: float = 1.0):
    return rng.normal(0, scale, (d, h)), rng.normal(0, 1, d), rng.normal(0, 1, h)


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def _log_joint(W, b, c):
    """-E(v, h) for all (v, h): (2^D, 2^H)."""
    V, H = _states(W.shape[0]), _states(W.shape[1])
    return V @ W @ H.T + (V @ b)[:, None] + (H @ c)[None]


def _logsumexp(a, axis=None):
    m = np.max(a, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True))
    return np.squeeze(out, axis=axis) if axis is not None else float(out.squeeze())


def _free_energy_ref(W, b, c, v):
    v = np.asarray(v, dtype=float)
    return -(v @ b) - np.logaddexp(0, v @ W + c).sum(-1)


def free_energy(fn) -> CheckResult:
    """The learner's ``free_energy(W, b, c, v)``: F(v) = -b^T v - sum_j log(1 + exp(c_j + (v W)_j))."""
    rng = rng_for("free_energy")

    def brute_force():
        W, b, c = _model(rng, 5, 3)
        V = _states(5)
        want = -_logsumexp(_log_joint(W, b, c), axis=1)
        got = np.asarray(fn(W, b, c, V), dtype=float)
        expect(got.shape == (32,), f"a batch of 32 visible vectors (32, 5) should give 32 free energies, "
                                   f"got shape {got.shape}: sum over the hidden units only (axis -1)")
        expect(np.allclose(got, want, atol=1e-8),
               "F(v) does not equal -log sum_h exp(-E(v, h)): check the signs, and that each hidden unit "
               "contributes log(1 + exp(c_j + (v W)_j))")

    def single():
        W, b, c = _model(rng, 6, 4)
        v = rng.integers(0, 2, 6).astype(float)
        got = fn(W, b, c, v)
        expect(np.ndim(got) == 0, f"one visible vector (D,) should give one number, got shape {np.shape(got)}")
        expect(np.isclose(float(got), _free_energy_ref(W, b, c, v)), "wrong free energy of a single vector")

    def batch_rows():
        W, b, c = _model(rng, 7, 5)
        V = rng.integers(0, 2, (4, 7)).astype(float)
        got = np.asarray(fn(W, b, c, V), dtype=float)
        expect(got.shape == (4,), f"a batch (4, 7) should give 4 values, got shape {got.shape}")
        expect_close(got, _free_energy_ref(W, b, c, V),
                     "batch values are wrong: row n must use only visible vector n (b^T v is one number per row)")

    def visible_bias():
        W, b, c = _model(rng, 4, 2)
        W[:] = 0.0
        V = _states(4)
        expect_close(np.asarray(fn(W, b, c, V), dtype=float), _free_energy_ref(W, b, c, V),
                     "with W = 0 the answer is wrong: the visible-bias term is -b^T v")

    def large_fields():
        W, b, c = _model(rng, 4, 3, scale=400.0)
        V = _states(4)
        got = np.asarray(fn(W, b, c, V), dtype=float)
        expect(np.all(np.isfinite(got)), "infinite or NaN values for large weights: log(1 + exp(x)) overflows "
                                         "for x > 709; compute it stably (np.logaddexp(0, x))")
        expect_close(got, _free_energy_ref(W, b, c, V), "wrong values for large weights", rtol=1e-9)

    return run_cases("free_energy", fn, [("brute force", brute_force), ("single vector", single),
                                  ("batch", batch_rows), ("visible bias", visible_bias),
                                  ("large fields", large_fields)],
              library_twin=rbm.RBM.free_energy)


def sample_hidden(fn) -> CheckResult:
    """The learner's ``sample_hidden(W, c, v, rng)`` -> (p(h=1|v), binary sample h)."""
    rng = rng_for("sample_hidden")

    def probabilities():
        W, _, c = _model(rng, 6, 4)
        V = rng.integers(0, 2, (5, 6)).astype(float)
        p, h = fn(W, c, V, np.random.default_rng(0))
        expect(np.shape(p) == (5, 4) and np.shape(h) == (5, 4),
               f"for 5 visible vectors and 4 hidden units expect two (5, 4) arrays, "
               f"got {np.shape(p)} and {np.shape(h)}")
        expect_close(p, _sigmoid(V @ W + c), "wrong probabilities: p(h_j = 1 | v) = sigmoid(c_j + sum_i v_i W_ij)")

    def binary():
        W, _, c = _model(rng, 5, 3)
        V = rng.integers(0, 2, (50, 5)).astype(float)
        _, h = fn(W, c, V, np.random.default_rng(1))
        h = np.asarray(h, dtype=float)
        expect(np.all((h == 0) | (h == 1)), "the sample must contain only 0 and 1: compare uniform numbers with p")

    def frequencies():
        W, _, c = _model(rng, 4, 3)
        v = rng.integers(0, 2, 4).astype(float)
        V = np.tile(v, (40000, 1))
        p, h = fn(W, c, V, np.random.default_rng(2))
        freq = np.asarray(h, dtype=float).mean(0)
        expect(np.allclose(freq, np.asarray(p)[0], atol=0.015),
               f"over 40,000 samples unit j is on with frequency {np.round(freq, 3).tolist()}, but p(h_j = 1 | v) "
               f"is {np.round(np.asarray(p)[0], 3).tolist()}: set h_j = 1 when a uniform number is below p_j")

    def uses_rng():
        W, _, c = _model(rng, 5, 6)
        V = rng.integers(0, 2, (30, 5)).astype(float)
        _, h1 = fn(W, c, V, np.random.default_rng(3))
        _, h2 = fn(W, c, V, np.random.default_rng(3))
        _, h3 = fn(W, c, V, np.random.default_rng(4))
        expect(np.array_equal(h1, h2) and not np.array_equal(h1, h3),
               "draw the random numbers from the rng argument: the same seed must give the same sample, "
               "another seed another sample")

    def single():
        W, _, c = _model(rng, 5, 3)
        v = rng.integers(0, 2, 5).astype(float)
        p, h = fn(W, c, v, np.random.default_rng(5))
        expect(np.shape(p) == (3,) and np.shape(h) == (3,),
               f"one visible vector (5,) should give arrays of shape (3,), got {np.shape(p)} and {np.shape(h)}")

    return run_cases("sample_hidden", fn, [("probabilities", probabilities), ("binary sample", binary),
                                    ("frequencies", frequencies), ("uses rng", uses_rng),
                                    ("single vector", single)],
              library_twin=rbm.RBM.sample_h)


def _expected_cd(W, b, c, V0, k):
    """The exact expectation of the CD-k statistics, from the visible transition matrix."""
    S = _states(W.shape[0])
    Hs = _states(W.shape[1])
    ph_s = _sigmoid(S @ W + c)                                        # (2^D, H)
    p_h = np.prod(np.where(Hs[None] == 1, ph_s[:, None], 1 - ph_s[:, None]), -1)   # p(h | v): (2^D, 2^H)
    pv_h = _sigmoid(Hs @ W.T + b)                                    # (2^H, D)
    p_v = np.prod(np.where(S[None] == 1, pv_h[:, None], 1 - pv_h[:, None]), -1)    # p(v' | h): (2^H, 2^D)
    T = p_h @ p_v                                                    # (2^D, 2^D)
    idx = (V0 * 2 ** np.arange(W.shape[0] - 1, -1, -1)).sum(1).astype(int)
    start = np.zeros((len(V0), len(S)))
    start[np.arange(len(V0)), idx] = 1
    dist = start @ np.linalg.matrix_power(T, k)                     # law of v_k for each row
    ph0 = _sigmoid(V0 @ W + c)
    q = dist.mean(0)                                                 # mixture over the data rows
    dW = V0.T @ ph0 / len(V0) - (S * q[:, None]).T @ ph_s
    db = V0.mean(0) - q @ S
    dc = ph0.mean(0) - q @ ph_s
    return dW, db, dc


def cd_k_gradient(fn) -> CheckResult:
    """The learner's ``cd_k_gradient(W, b, c, v0, k, rng)`` -> (dW, db, dc), the CD-k estimate."""
    rng = rng_for("cd_k_gradient")
    data = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0]], dtype=float)
    V0 = np.repeat(data, 8000, axis=0)          # 24,000 rows: sampling noise ~0.003 per entry

    def call(W, b, c, k, seed):
        out = fn(W.copy(), b.copy(), c.copy(), V0.copy(), k, np.random.default_rng(seed))
        expect(isinstance(out, (tuple, list)) and len(out) == 3, "return three arrays: (dW, db, dc)")
        dW, db, dc = (np.asarray(x, dtype=float) for x in out)
        expect(dW.shape == W.shape and db.shape == b.shape and dc.shape == c.shape,
               f"dW, db, dc must have the shapes of W, b, c: {W.shape}, {b.shape}, {c.shape}; got "
               f"{dW.shape}, {db.shape}, {dc.shape}")
        return dW, db, dc

    def compare(k, seed):
        W, b, c = _model(rng, 4, 3, scale=2.0)
        got = call(W, b, c, k, seed)
        want = _expected_cd(W, b, c, V0, k)
        for name, g, w in zip(("dW", "db", "dc"), got, want, strict=True):
            if np.allclose(g, -w, atol=0.02) and not np.allclose(g, w, atol=0.02):
                expect(False, f"{name} has the wrong sign: data statistics minus model (chain) statistics")
            expect(np.allclose(g, w, atol=0.02),
                   f"{name} for k = {k} is off by up to {np.max(np.abs(g - w)):.3f} from the CD-{k} expectation: "
                   "positive phase from v0, then k full Gibbs steps v -> h -> v with sampled binary states, "
                   "and average over the batch")

    def shapes_and_inputs():
        W, b, c = _model(rng, 4, 3)
        W0 = W.copy()
        fn(W, b, c, V0[:10].copy(), 1, np.random.default_rng(0))
        expect(np.array_equal(W, W0), "your function changed W: return the gradient, do not update in place")

    def reproducible():
        W, b, c = _model(rng, 4, 3)
        a = call(W, b, c, 2, 7)
        z = call(W, b, c, 2, 7)
        expect(all(np.array_equal(x, y) for x, y in zip(a, z, strict=True)),
               "the same rng seed should give the same estimate: take every random number from rng")

    return run_cases("cd_k_gradient", fn, [("CD-1", lambda: compare(1, 1)), ("CD-3", lambda: compare(3, 2)),
                                    ("CD-10", lambda: compare(10, 3)), ("input untouched", shapes_and_inputs),
                                    ("uses rng", reproducible)],
              library_twin=rbm.train_rbm)


def exact_log_partition(fn) -> CheckResult:
    """The learner's ``exact_log_partition(W, b, c)``: log Z of a small RBM."""
    rng = rng_for("exact_log_partition")

    def brute(W, b, c):
        return _logsumexp(_log_joint(W, b, c).ravel())

    def more_visible():
        W, b, c = _model(rng, 6, 3)
        expect(np.isclose(float(fn(W, b, c)), brute(W, b, c), atol=1e-8),
               "wrong log Z for a 6 x 3 model: sum exp(-F) over every state of one layer, then take the log")

    def more_hidden():
        W, b, c = _model(rng, 3, 6)
        expect(np.isclose(float(fn(W, b, c)), brute(W, b, c), atol=1e-8),
               "wrong log Z when there are more hidden than visible units: if you sum over one layer, "
               "the other must be summed out analytically with its own biases")

    def zero_weights():
        W, b, c = np.zeros((4, 5)), np.zeros(4), np.zeros(5)
        expect(np.isclose(float(fn(W, b, c)), 9 * np.log(2)),
               "with W = 0 and no biases every one of the 2^(D+H) joint states has weight 1: log Z = (D + H) log 2")

    def large_weights():
        W, b, c = _model(rng, 5, 4, scale=300.0)
        got = float(fn(W, b, c))
        expect(np.isfinite(got), "log Z is infinite or NaN for large weights: exp overflows; work in log space "
                                 "(subtract the maximum before exponentiating, or use logsumexp / logaddexp)")
        expect(np.isclose(got, brute(W, b, c), rtol=1e-9), "wrong log Z for large weights")

    return run_cases("exact_log_partition", fn, [("6 visible x 3 hidden", more_visible), ("3 x 6", more_hidden),
                                          ("zero weights", zero_weights), ("large weights", large_weights)],
              library_twin=rbm.exact_log_partition)
