"""Checks for chapter 05 (restricted Boltzmann machines). Units are 0/1; W is (D, H).

References come from the definitions the lecture gives, by brute-force enumeration of tiny
models: the joint weight exp(-E(v, h)) with E(v, h) = -v^T W h - b^T v - c^T h, summed or
normalised over the hidden states. States are enumerated in ``course_lib.boltzmann.all_states``
order (row k: unit i is on exactly when bit i of k is 1).
"""

from __future__ import annotations

import numpy as np

from .. import boltzmann, core, rbm
from ._core import CheckResult, expect, expect_close, expect_match, rng_for, run_cases


def _states(n: int) -> np.ndarray:
    """All 2^n binary (0/1) vectors, in ``boltzmann.all_states`` order."""
    return (boltzmann.all_states(n) + 1.0) / 2.0


def _model(rng: np.random.Generator, d: int, h: int, scale: float = 1.0):
    return rng.normal(0, scale, (d, h)), rng.normal(0, 1, d), rng.normal(0, 1, h)


def _minus_joint_energy(W, b, c, V) -> np.ndarray:
    """-E(v, h) for each row v of V (B, D) and every hidden state h: shape (B, 2^H)."""
    H = _states(W.shape[1])
    V = np.atleast_2d(np.asarray(V, dtype=float))
    return V @ W @ H.T + (V @ b)[:, None] + (H @ c)[None]


def _free_energy_by_definition(W, b, c, v) -> np.ndarray:
    """F(v) = -log sum_h exp(-E(v, h)), summed over every hidden state (no closed form used)."""
    out = -core.lse(_minus_joint_energy(W, b, c, v), axis=-1)
    return out[0] if np.ndim(v) == 1 else out


def _hidden_posterior(W, b, c, v) -> np.ndarray:
    """p(h_j = 1 | v) = sum over hidden states of h_j P(h | v), by enumeration: (B, H) or (H,)."""
    post = core.softmax(_minus_joint_energy(W, b, c, v), axis=-1)       # P(h | v): (B, 2^H)
    out = post @ _states(W.shape[1])
    return out[0] if np.ndim(v) == 1 else out


def _log_partition_by_definition(W, b, c) -> float:
    return float(core.lse(_minus_joint_energy(W, b, c, _states(W.shape[0])).ravel()))


def _row_by_row(fn, args, V, what: str) -> None:
    """Fail unless the batch result equals the results of the rows passed one at a time."""
    batch = np.asarray(fn(*args, V), dtype=float)
    rows = np.array([np.asarray(fn(*args, v), dtype=float) for v in V])
    expect(batch.shape == rows.shape[:1], f"a batch of {len(V)} vectors should give {len(V)} {what}, got shape "
           f"{batch.shape}: reduce over the hidden units only (the last axis), never over the batch")
    expect(np.allclose(batch, rows), f"the batch {what} differ from the same vectors passed one at a time: row n "
           "must depend on visible vector n only, so some sum runs over the batch (axis 0, or a sum with no axis)")


def free_energy(fn) -> CheckResult:
    """The learner's ``free_energy(W, b, c, v)``: F(v) = -b^T v - sum_j log(1 + exp(c_j + (v W)_j))."""
    rng = rng_for("free_energy")

    def mistakes(W, b, c, V):
        F = _free_energy_by_definition(W, b, c, V)
        vis = -(V @ b)
        hid = F - vis                      # -sum_j softplus(...) per row, from the definition
        return [(-F, "the sign is reversed: F(v) = -log sum_h exp(-E(v, h)), lower for likelier v"),
                (vis + hid.sum(), "the hidden term is summed over the whole batch: sum over the hidden units of "
                                  "each row only (axis -1)"),
                (vis.sum() + hid, "the visible term is summed over the whole batch: b^T v is one number per row"),
                (hid - vis, "the visible-bias term has the wrong sign: it is -b^T v"),
                (hid, "the visible-bias term -b^T v is missing")]

    def brute_force():
        W, b, c = _model(rng, 5, 3)
        V = _states(5)
        got = np.asarray(fn(W, b, c, V), dtype=float)
        expect(got.shape == (32,), f"a batch of 32 visible vectors (32, 5) should give 32 free energies, "
                                   f"got shape {got.shape}: sum over the hidden units only (axis -1)")
        expect_match(got, _free_energy_by_definition(W, b, c, V),
                     "F(v) does not equal -log sum_h exp(-E(v, h)): check the signs, and that each hidden unit "
                     "contributes log(1 + exp(c_j + (v W)_j))", mistakes(W, b, c, V))

    def single():
        W, b, c = _model(rng, 6, 4)
        v = rng.integers(0, 2, 6).astype(float)
        got = fn(W, b, c, v)
        expect(np.ndim(got) == 0, f"one visible vector (D,) should give one number, got shape {np.shape(got)}")
        expect_match(got, _free_energy_by_definition(W, b, c, v), "wrong free energy of a single vector",
                     mistakes(W, b, c, v))

    def batch_rows():
        W, b, c = _model(rng, 7, 5)
        V = rng.integers(0, 2, (4, 7)).astype(float)
        _row_by_row(fn, (W, b, c), V, "free energies")
        expect_match(fn(W, b, c, V), _free_energy_by_definition(W, b, c, V),
                     "batch values are wrong: row n must use only visible vector n", mistakes(W, b, c, V))

    def visible_bias():
        W, b, c = _model(rng, 4, 2)
        W[:] = 0.0
        V = _states(4)
        got = np.asarray(fn(W, b, c, V), dtype=float)
        expect(got.shape == (16,), f"16 visible vectors should give 16 values, got shape {got.shape}")
        expect_match(got, _free_energy_by_definition(W, b, c, V),
                     "with W = 0 the answer is wrong: each hidden unit then contributes log(1 + exp(c_j)), the "
                     "visible units -b^T v", mistakes(W, b, c, V))

    def large_fields():
        W, b, c = _model(rng, 4, 3, scale=400.0)
        V = _states(4)
        got = np.asarray(fn(W, b, c, V), dtype=float)
        expect(np.all(np.isfinite(got)), "infinite or NaN values for large weights: log(1 + exp(x)) overflows "
                                         "for x > 709; compute it stably (np.logaddexp(0, x))")
        expect_close(got, _free_energy_by_definition(W, b, c, V), "wrong values for large weights", rtol=1e-9)

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
        expect_close(p, _hidden_posterior(W, np.zeros(6), c, V),
                     "wrong probabilities: p(h_j = 1 | v) = sigmoid(c_j + sum_i v_i W_ij)")

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


def _exact_gradient(W, b, c, V0):
    """The exact gradient of the mean log-likelihood (what CD-k approaches as k grows), by enumeration."""
    ph0 = _hidden_posterior(W, b, c, V0)
    Vs, Hs = _states(W.shape[0]), _states(W.shape[1])
    joint = core.softmax(_minus_joint_energy(W, b, c, Vs).ravel()).reshape(len(Vs), len(Hs))  # P(v, h)
    pv, ph = joint.sum(1), joint.sum(0)
    return (V0.T @ ph0 / len(V0) - Vs.T @ joint @ Hs, V0.mean(0) - pv @ Vs, ph0.mean(0) - ph @ Hs)


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

    def compare(got, want, what, hint):
        for name, g, w in zip(("dW", "db", "dc"), got, want, strict=True):
            if np.allclose(g, -w, atol=0.02) and not np.allclose(g, w, atol=0.02):
                expect(False, f"{name} has the wrong sign: data statistics minus model (chain) statistics")
            expect(np.allclose(g, w, atol=0.02),
                   f"{name} {what} is off by up to {np.max(np.abs(g - w)):.3f} from its expected value: {hint}")

    def no_weights():
        W, b, c = _model(rng, 4, 3)
        W[:] = 0.0
        got = call(W, b, c, 1, 1)
        # with W = 0 the layers are independent: one Gibbs step forgets v0, so v_1 has p(v_i = 1) = the
        # visible marginal and the hidden probabilities are the same in both phases
        p_v = _hidden_posterior(W.T, c, b, np.zeros(3))
        p_h = _hidden_posterior(W, b, c, np.zeros(4))
        want = (np.outer(V0.mean(0) - p_v, p_h), V0.mean(0) - p_v, np.zeros(3))
        compare(got, want, "for W = 0", "positive phase from v0 with p(h | v0); the negative phase from the chain's "
                "v_k and p(h | v_k); average over the batch")

    def long_chain():
        W, b, c = _model(rng, 4, 3, scale=1.5)
        got = call(W, b, c, 40, 2)
        compare(got, _exact_gradient(W, b, c, V0), "for k = 40",
                "after many Gibbs steps v -> h -> v (sampled binary states) the chain reaches the model's "
                "distribution, so CD-k must approach the exact gradient <v h>_data - <v h>_model")

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

    return run_cases("cd_k_gradient", fn, [("W = 0", no_weights), ("long chain", long_chain),
                                           ("input untouched", shapes_and_inputs), ("uses rng", reproducible)],
                     library_twin=rbm.train_rbm)


def exact_log_partition(fn) -> CheckResult:
    """The learner's ``exact_log_partition(W, b, c)``: log Z of a small RBM."""
    rng = rng_for("exact_log_partition")

    brute = _log_partition_by_definition

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


# --------------------------------------------------------------------------- decide whether to trust an estimate

def ais_plausible(fn) -> CheckResult:
    """The learner's ``ais_plausible(W, b, c, log_z, data)``: False when the estimate ``log_z`` is impossible
    for this model given what can be computed exactly about its visible vectors ``data``, True otherwise."""
    rng = rng_for("ais_plausible")

    def setup(d=6, h=4, scale=1.5):
        W, b, c = _model(rng, d, h, scale)
        F = _free_energy_by_definition(W, b, c, _states(d))
        order = np.argsort(F)                           # the likeliest visible vectors first
        data = _states(d)[np.concatenate([order[:3], rng.permutation(order[3:])[:20]])]
        bound = float(np.max(-_free_energy_by_definition(W, b, c, data)))
        return W, b, c, data, bound, _log_partition_by_definition(W, b, c)

    def verdict(W, b, c, log_z, data):
        got = fn(W, b, c, log_z, data.copy())
        expect(isinstance(got, (bool, np.bool_)) or np.ndim(got) == 0, "return True or False")
        return bool(got)

    def exact_estimate():
        W, b, c, data, _, log_z = setup()
        expect(verdict(W, b, c, log_z, data), "the exact log Z was called impossible: an estimate can only be "
               "refuted by something that is certainly true of Z")

    def far_too_low():
        W, b, c, data, bound, _ = setup()
        expect(not verdict(W, b, c, bound - 5.0, data), "an estimate 5 nats below what a single visible vector "
               "of the data already contributes to Z was accepted: Z is a sum of positive terms, one per v")

    def just_too_low():
        W, b, c, data, bound, _ = setup()
        expect(not verdict(W, b, c, bound - 0.01, data), "an estimate just below what the likeliest vector of the "
               "data alone contributes to Z was accepted: which terms of the sum that defines Z can you compute "
               "exactly, and how large is the largest?")

    def too_high_cannot_be_refuted():
        W, b, c, data, _, log_z = setup()
        expect(verdict(W, b, c, log_z + 3.0, data), "an estimate above the truth was called impossible: the data "
               "give a LOWER bound on log Z only, so a high estimate cannot be refuted this way")

    def too_large_to_enumerate():
        W, b, c = _model(rng, 40, 40, scale=0.5)
        data = (rng.random((30, 40)) < 0.5).astype(float)
        bound = float(np.max(data @ b + np.logaddexp(0, data @ W + c).sum(-1)))   # max over the data of -F(v)
        expect(not verdict(W, b, c, bound - 1.0, data), "40 x 40 units (2^40 states in each layer): an estimate "
               "below what one visible vector of the data already contributes to Z was accepted")
        expect(verdict(W, b, c, bound + 40 * np.log(2), data), "40 x 40 units: an estimate above every bound the "
               "data give was called impossible")

    return run_cases("ais_plausible", fn, [("exact estimate", exact_estimate), ("far too low", far_too_low),
                                           ("just too low", just_too_low), ("too high", too_high_cannot_be_refuted),
                                           ("a model too large to enumerate", too_large_to_enumerate)])


def hidden_health(fn) -> CheckResult:
    """The learner's diagnostic ``hidden_health(W, c, data) -> (dead, saturated)``: how many hidden units are
    almost never on (mean p(h_j = 1 | v) < 0.01 over the data) and almost always on (> 0.99)."""
    rng = rng_for("hidden_health")

    def truth(W, c, data):
        mean = _hidden_posterior(W, np.zeros(W.shape[0]), c, data).mean(0)
        return int(np.sum(mean < 0.01)), int(np.sum(mean > 0.99))

    def verify(W, c, data, what):
        out = fn(W.copy(), c.copy(), data.copy())
        expect(isinstance(out, (tuple, list)) and len(out) == 2, "return a pair (dead, saturated) of counts")
        got = tuple(int(np.asarray(x)) for x in out)
        want = truth(W, c, data)
        expect(got == want, f"{what}: you counted {got[0]} dead and {got[1]} saturated units; the model has "
               f"{want[0]} and {want[1]}. A unit is judged by its probability of being on, averaged over the whole "
               "data set (not by one sample, nor by its bias alone)")

    def healthy():
        W, _, c = _model(rng, 8, 6, scale=0.3)
        verify(W, c * 0.3, (rng.random((50, 8)) < 0.5).astype(float), "a healthy model")

    def collapsed():
        W, _, c = _model(rng, 8, 10, scale=0.5)
        c[:4] = -12.0          # four units switched off
        c[4:6] = 12.0          # two stuck on
        verify(W, c, (rng.random((60, 8)) < 0.5).astype(float), "a collapsing model")

    def weights_decide():
        W = np.zeros((6, 4))
        W[:, 0] = -6.0         # off for almost any input: dead through its weights, not its bias
        W[:, 1] = 6.0
        W[5, 2] = 30.0          # on exactly when v_5 = 1: healthy on average, though each sample says 0 or 1
        c = np.array([0.0, 0.0, -15.0, 0.0])
        data = (rng.random((40, 6)) < 0.7).astype(float)
        data[:, :3] = 1.0
        data[0, 5], data[1, 5] = 1.0, 0.0
        verify(W, c, data, "units dead or saturated through their weights (zero biases)")

    return run_cases("hidden_health", fn, [("healthy", healthy), ("collapsing", collapsed),
                                           ("weights decide", weights_decide)])
