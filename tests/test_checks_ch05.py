"""Chapter 05 checkers: the solutions pass, typical mistakes get their message, the library earns nothing."""

import itertools

import numpy as np
import pytest

from course_lib import rbm
from course_lib.checks import ch05
from course_lib.checks._core import CheckFailed, NotAttempted


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def free_energy(W, b, c, v):
    v = np.asarray(v, dtype=float)
    return -(v @ b) - np.logaddexp(0, v @ W + c).sum(-1)


def sample_hidden(W, c, v, rng):
    p = sigmoid(np.asarray(v, dtype=float) @ W + c)
    return p, (rng.random(p.shape) < p).astype(float)


def sample_visible(W, b, h, rng):
    p = sigmoid(h @ W.T + b)
    return p, (rng.random(p.shape) < p).astype(float)


def cd_k_gradient(W, b, c, v0, k, rng):
    ph0, h = sample_hidden(W, c, v0, rng)
    v = v0
    for _ in range(k):
        _, v = sample_visible(W, b, h, rng)
        phk, h = sample_hidden(W, c, v, rng)
    n = len(v0)
    return (v0.T @ ph0 - v.T @ phk) / n, (v0 - v).mean(0), (ph0 - phk).mean(0)


def exact_log_partition(W, b, c):
    if W.shape[0] > W.shape[1]:
        W, b, c = W.T, c, b
    S = np.array(list(itertools.product([0.0, 1.0], repeat=W.shape[0])))
    a = S @ b + np.logaddexp(0, S @ W + c).sum(-1)
    m = a.max()
    return m + np.log(np.exp(a - m).sum())


@pytest.mark.parametrize("name,fn", [("free_energy", free_energy), ("sample_hidden", sample_hidden),
                                     ("cd_k_gradient", cd_k_gradient), ("exact_log_partition", exact_log_partition)])
def test_solutions_pass(name, fn, capsys):
    getattr(ch05, name)(fn)
    assert f"[pass] {name}" in capsys.readouterr().out


def expect_failure(checker, fn, message, passed=None):
    with pytest.raises(CheckFailed) as info:
        checker(fn)
    assert message in str(info.value), str(info.value)
    if passed is not None:
        assert info.value.passed == passed, str(info.value)
    return info.value


def test_free_energy_mistakes():
    # the batch-shape bug: summing softplus over every axis gives one number for the whole batch
    expect_failure(ch05.free_energy, lambda W, b, c, v: -(np.asarray(v) @ b).sum() - np.logaddexp(0, v @ W + c).sum(),
                   "sum over the hidden units only")
    with np.errstate(over="ignore"):
        expect_failure(ch05.free_energy, lambda W, b, c, v: -(v @ b) - np.log1p(np.exp(v @ W + c)).sum(-1),
                       "np.logaddexp(0, x)", passed=4)
    expect_failure(ch05.free_energy, lambda W, b, c, v: -np.logaddexp(0, v @ W + c).sum(-1),
                   "visible-bias term -b^T v is missing")
    # the softplus summed over the batch as well as the hidden units: the cause is the sum, not the bias
    err = expect_failure(ch05.free_energy, lambda W, b, c, v: -(v @ b) - np.logaddexp(0, v @ W + c).sum(),
                         "summed over the whole batch")
    assert "bias term" not in str(err)
    err = expect_failure(ch05.free_energy, lambda W, b, c, v: -(v @ b).sum() - np.logaddexp(0, v @ W + c).sum(-1),
                         "visible term is summed over the whole batch")
    expect_failure(ch05.free_energy, lambda W, b, c, v: (v @ b) + np.logaddexp(0, v @ W + c).sum(-1),
                   "the sign is reversed")


def test_sample_hidden_mistakes():
    def inverted(W, c, v, rng):
        p = sigmoid(v @ W + c)
        return p, (rng.random(p.shape) > p).astype(float)

    expect_failure(ch05.sample_hidden, inverted, "below p", passed=4)

    def global_rng(W, c, v, rng):
        p = sigmoid(v @ W + c)
        return p, (np.random.random(p.shape) < p).astype(float)

    expect_failure(ch05.sample_hidden, global_rng, "from the rng argument", passed=4)
    expect_failure(ch05.sample_hidden, lambda W, c, v, rng: (sigmoid(v @ W), sigmoid(v @ W)), "sigmoid(c_j")


def test_cd_mistakes():
    def only_one_step(W, b, c, v0, k, rng):
        return cd_k_gradient(W, b, c, v0, 1, rng)

    err = expect_failure(ch05.cd_k_gradient, only_one_step, "for k = 40")
    assert err.passed == 3   # right for W = 0, wrong where the chain must run long

    def flipped(W, b, c, v0, k, rng):
        return tuple(-x for x in cd_k_gradient(W, b, c, v0, k, rng))

    expect_failure(ch05.cd_k_gradient, flipped, "wrong sign", passed=2)

    def mean_field(W, b, c, v0, k, rng):   # probabilities instead of binary samples along the chain
        ph0 = sigmoid(v0 @ W + c)
        h, v = ph0, v0
        for _ in range(k):
            v = sigmoid(h @ W.T + b)
            h = sigmoid(v @ W + c)
        return (v0.T @ ph0 - v.T @ h) / len(v0), (v0 - v).mean(0), (ph0 - h).mean(0)

    expect_failure(ch05.cd_k_gradient, mean_field, "CD-")

    def in_place(W, b, c, v0, k, rng):
        out = cd_k_gradient(W, b, c, v0, k, rng)
        W += 0.1 * out[0]
        return out

    expect_failure(ch05.cd_k_gradient, in_place, "changed W", passed=3)


def test_exact_log_partition_mistakes():
    def naive(W, b, c):
        S = np.array(list(itertools.product([0.0, 1.0], repeat=W.shape[0])))
        with np.errstate(over="ignore"):
            return np.log(np.exp(S @ b + np.logaddexp(0, S @ W + c).sum(-1)).sum())

    expect_failure(ch05.exact_log_partition, naive, "work in log space", passed=3)

    def forgets_other_bias(W, b, c):
        return exact_log_partition(W, b, np.zeros_like(c))

    expect_failure(ch05.exact_log_partition, forgets_other_bias, "wrong log Z")


def test_library_twins_earn_nothing():
    with pytest.raises(CheckFailed, match="imported rather than written"):
        ch05.exact_log_partition(rbm.exact_log_partition)

    def wrapper(W, b, c):
        m = rbm.RBM(W.shape[0], W.shape[1], device="cpu")
        return rbm.exact_log_partition(m)

    with pytest.raises(CheckFailed, match="calls course_lib"):
        ch05.exact_log_partition(wrapper)


def test_stub_is_not_attempted():
    def stub(*args):
        raise NotImplementedError

    for name in ("free_energy", "sample_hidden", "cd_k_gradient", "exact_log_partition"):
        with pytest.raises(NotAttempted):
            getattr(ch05, name)(stub)


def test_solution_notebook_verdicts():
    from conftest import ROOT

    from course_lib.checking import check_notebook

    verdicts = check_notebook(ROOT / "solutions" / "05_rbm.ipynb")
    assert [(v.exercise, v.status) for v in verdicts] == [
        ("free_energy", "passed"), ("sample_hidden", "passed"), ("cd_k_gradient", "passed"),
        ("exact_log_partition", "passed"), ("ais_plausible", "passed"), ("hidden_health", "passed")]
