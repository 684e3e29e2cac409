"""Chapter 06 checkers: the solutions pass, typical mistakes get the intended message, the library is refused."""

import numpy as np
import pytest

from course_lib import core, modern
from course_lib.checks import ch06
from course_lib.checks._core import CheckFailed, NotAttempted

# ------------------------------------------------------------- the solutions (as in solutions/06_modern_hopfield.ipynb)


def lse(beta, x):
    x = np.asarray(x, dtype=float)
    m = np.max(x, axis=-1, keepdims=True)
    return m[..., 0] + np.log(np.sum(np.exp(beta * (x - m)), axis=-1)) / beta


def modern_energy(X, xi, beta):
    M = np.max(np.linalg.norm(X, axis=1))
    return -lse(beta, xi @ X.T) + 0.5 * np.sum(xi * xi, axis=-1) + np.log(len(X)) / beta + 0.5 * M**2


def modern_update(X, xi, beta):
    z = beta * (xi @ X.T)
    w = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return (w / np.sum(w, axis=-1, keepdims=True)) @ X


def dense_sweep(X, s, n):
    S = np.atleast_2d(np.array(s, dtype=float))
    m = S @ X.T
    for i in range(X.shape[1]):
        base = m - S[:, i:i + 1] * X[:, i]
        gain = np.sum((base + X[:, i]) ** n - (base - X[:, i]) ** n, axis=1)
        new = np.where(gain > 0, 1.0, np.where(gain < 0, -1.0, S[:, i]))
        m += (new - S[:, i])[:, None] * X[:, i]
        S[:, i] = new
    return S if np.ndim(s) == 2 else S[0]


SOLUTIONS = {"lse": lse, "modern_energy": modern_energy, "modern_update": modern_update, "dense_sweep": dense_sweep}
TWINS = {"lse": core.lse, "modern_energy": modern.modern_energy, "modern_update": modern.modern_update,
         "dense_sweep": modern.dense_update}


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_solution_passes(name, capsys):
    getattr(ch06, name)(SOLUTIONS[name])
    assert f"[pass] {name}" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_library_twin_is_refused(name):
    with pytest.raises(CheckFailed, match="imported rather than written"):
        getattr(ch06, name)(TWINS[name])


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_stub_is_not_attempted(name):
    def stub(*args):
        raise NotImplementedError

    with pytest.raises(NotAttempted):
        getattr(ch06, name)(stub)


def failure(checker, fn) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        checker(fn)
    return info.value


def test_naive_lse_fails_only_on_large_values():
    def naive(beta, x):
        return np.log(np.sum(np.exp(beta * np.asarray(x, dtype=float)), axis=-1)) / beta

    with np.errstate(over="ignore", divide="ignore"):
        err = failure(ch06.lse, naive)
    assert (err.passed, err.total) == (2, 6)  # the batch has rows near 2000 too
    assert "Subtract the maximum" in str(err)


def test_lse_without_beta_division():
    def no_div(beta, x):
        x = np.asarray(x, dtype=float)
        m = x.max(-1, keepdims=True)
        return m[..., 0] + np.log(np.exp(beta * (x - m)).sum(-1))

    assert "divide the log by beta" in str(failure(ch06.lse, no_div))


def test_energy_without_constants():
    def bare(X, xi, beta):
        return -lse(beta, xi @ X.T) + 0.5 * np.sum(xi * xi, axis=-1)

    err = failure(ch06.modern_energy, bare)
    assert "left out the constants" in str(err) and "never negative" in str(err)


def test_update_with_wrong_softmax_axis():
    def wrong_axis(X, xi, beta):
        z = beta * (np.atleast_2d(xi) @ X.T)
        w = np.exp(z - z.max(0, keepdims=True))
        out = (w / w.sum(0, keepdims=True)) @ X
        return out if np.ndim(xi) == 2 else out[0]

    err = failure(ch06.modern_update, wrong_axis)
    assert "softmax runs over the patterns" in str(err)


def test_update_that_overflows():
    def naive(X, xi, beta):
        w = np.exp(beta * (xi @ X.T))
        return (w / w.sum(-1, keepdims=True)) @ X

    with np.errstate(over="ignore", invalid="ignore"):
        err = failure(ch06.modern_update, naive)
    assert "inf or nan" in str(err)


def test_synchronous_sweep_is_caught():
    def synchronous(X, s, n):
        S = np.atleast_2d(np.array(s, dtype=float))
        m = S @ X.T
        new = S.copy()
        for i in range(X.shape[1]):
            base = m - S[:, i:i + 1] * X[:, i]
            gain = np.sum((base + X[:, i]) ** n - (base - X[:, i]) ** n, axis=1)
            new[:, i] = np.where(gain > 0, 1.0, np.where(gain < 0, -1.0, S[:, i]))
        return new if np.ndim(s) == 2 else new[0]

    assert "synchronously" in str(failure(ch06.dense_sweep, synchronous))


def test_sweep_that_breaks_ties_is_caught():
    def no_ties(X, s, n):
        S = np.atleast_2d(np.array(s, dtype=float))
        m = S @ X.T
        for i in range(X.shape[1]):
            base = m - S[:, i:i + 1] * X[:, i]
            gain = np.sum((base + X[:, i]) ** n - (base - X[:, i]) ** n, axis=1)
            new = np.where(gain >= 0, 1.0, -1.0)
            m += (new - S[:, i])[:, None] * X[:, i]
            S[:, i] = new
        return S if np.ndim(s) == 2 else S[0]

    err = failure(ch06.dense_sweep, no_ties)
    assert "keeps its value" in str(err)


def test_lse_that_forgets_to_reduce_gets_a_shape_message_not_a_crash_report():
    def elementwise(beta, x):           # returns one value per entry: the checker must not call float() on it
        x = np.asarray(x, dtype=float)
        return np.log(np.exp(beta * x)) / beta

    err = failure(ch06.lse, elementwise)
    assert "should give one number" in str(err)
    assert "your code raised" not in str(err) and "could not use" not in str(err)


def test_lse_shift_mistakes():
    def forgets_to_add_back(beta, x):
        x = np.asarray(x, dtype=float)
        m = x.max(-1, keepdims=True)
        return np.log(np.exp(beta * (x - m)).sum(-1)) / beta

    def global_max(beta, x):
        x = np.asarray(x, dtype=float)
        m = x.max()
        return m + np.log(np.exp(beta * (x - m)).sum(-1)) / beta

    assert "did not add m back" in str(failure(ch06.lse, forgets_to_add_back))
    with np.errstate(divide="ignore"):
        assert "not of the whole array" in str(failure(ch06.lse, global_max))

