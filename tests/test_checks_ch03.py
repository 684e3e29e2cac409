"""Chapter 03 checkers: the solution passes, typical mistakes fail with the intended message."""

import math

import numpy as np
import pytest

from course_lib import hopfield
from course_lib.checks import ch03
from course_lib.checks._core import CheckFailed, NotAttempted


# --- the solutions, as in solutions/03_dynamics.ipynb --------------------------------------
def async_sweep(W, states, order):
    S = np.array(states, dtype=float)
    S2 = np.atleast_2d(S)
    for i in order:
        h = S2 @ W[i]
        S2[:, i] = np.where(h > 0, 1.0, np.where(h < 0, -1.0, S2[:, i]))
    return S


def is_fixed_point(W, states):
    S = np.asarray(states, dtype=float)
    return np.all(S * (S @ W.T) >= 0, axis=-1)


def one_step_error(alpha):
    a = np.asarray(alpha, dtype=float)
    return 0.5 * np.vectorize(math.erfc)(1 / np.sqrt(2 * a))


def stable_fraction(patterns):
    X = np.asarray(patterns, dtype=float)
    W = X.T @ X / X.shape[1]
    np.fill_diagonal(W, 0.0)
    return float(np.mean(np.all(X * (X @ W) >= 0, axis=1)))


SOLUTIONS = {"async_sweep": async_sweep, "is_fixed_point": is_fixed_point, "one_step_error": one_step_error,
             "stable_fraction": stable_fraction}


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_solution_passes(name, capsys):
    getattr(ch03, name)(SOLUTIONS[name])
    assert f"[pass] {name}" in capsys.readouterr().out


@pytest.mark.parametrize("name,twin", [("async_sweep", hopfield.async_sweep),
                                       ("one_step_error", hopfield.one_step_error)])
def test_library_twin_is_refused(name, twin):
    with pytest.raises(CheckFailed, match="imported rather than written"):
        getattr(ch03, name)(twin)


def test_calling_the_library_is_refused():
    def lazy(W, states):
        return np.all(hopfield.sync_step(W, states) == states, axis=-1)

    with pytest.raises(CheckFailed, match="calls course_lib"):
        ch03.is_fixed_point(lazy)


def test_stub_is_not_attempted():
    def stub(W, states, order):
        raise NotImplementedError

    with pytest.raises(NotAttempted):
        ch03.async_sweep(stub)


def failure(checker, fn):
    with pytest.raises(CheckFailed) as info:
        checker(fn)
    return info.value


def test_async_mistakes():
    def synchronous(W, states, order):
        S = np.array(states, dtype=float)
        H = S @ W.T
        new = np.where(H > 0, 1.0, np.where(H < 0, -1.0, S))
        S[..., order] = new[..., order]
        return S

    def plain_sign(W, states, order):
        S = np.array(states, dtype=float)
        S2 = np.atleast_2d(S)
        for i in order:
            S2[:, i] = np.sign(S2 @ W[i])
        return S

    err = failure(ch03.async_sweep, synchronous)
    assert "synchronous update" in str(err) and "energy rose" in str(err)
    assert "keep its current value" in str(failure(ch03.async_sweep, plain_sign))


def test_fixed_point_mistakes():
    def strict(W, states):
        S = np.asarray(states, dtype=float)
        return np.all(S * (S @ W.T) > 0, axis=-1)

    assert "a tie keeps the unit" in str(failure(ch03.is_fixed_point, strict))


def test_one_step_error_mistakes():
    def no_sqrt2(alpha):
        return 0.5 * np.vectorize(math.erfc)(1 / np.sqrt(np.asarray(alpha, dtype=float)))

    def complement(alpha):
        return 1 - one_step_error(alpha)

    assert "Phi(-x) = erfc(x / sqrt(2)) / 2" in str(failure(ch03.one_step_error, no_sqrt2))
    assert "probability of NO error" in str(failure(ch03.one_step_error, complement))


def test_stable_fraction_mistakes():
    def strict(patterns):
        X = np.asarray(patterns, dtype=float)
        W = X.T @ X / X.shape[1]
        np.fill_diagonal(W, 0.0)
        return float(np.mean(np.all(X * (X @ W) > 0, axis=1)))

    def unit_fraction(patterns):
        X = np.asarray(patterns, dtype=float)
        W = X.T @ X / X.shape[1]
        np.fill_diagonal(W, 0.0)
        return float(np.mean(X * (X @ W) >= 0))

    def keeps_diagonal(patterns):
        X = np.asarray(patterns, dtype=float)
        W = X.T @ X / X.shape[1]
        return float(np.mean(np.all(X * (X @ W) >= 0, axis=1)))

    err = failure(ch03.stable_fraction, strict)
    assert (err.passed, err.total) == (3, 4) and "a zero field keeps the unit" in str(err)
    assert "fraction of stable UNITS" in str(failure(ch03.stable_fraction, unit_fraction))
    err = failure(ch03.stable_fraction, keeps_diagonal)
    assert "comes from unit i itself" in str(err)
    assert "zero diagonal" not in str(err) and "fill_diagonal" not in str(err)  # the cause, not the fix


def test_one_step_error_names_the_cause():
    import math

    erfc = np.vectorize(math.erfc)

    def alpha_not_sqrt(alpha):
        return 0.5 * erfc(1 / (np.asarray(alpha, dtype=float) * math.sqrt(2)))

    def scalar_only(alpha):
        return 0.5 * math.erfc(1 / math.sqrt(2 * alpha))

    def no_sqrt2(alpha):
        return 0.5 * erfc(1 / np.sqrt(np.asarray(alpha, dtype=float)))

    err = failure(ch03.one_step_error, alpha_not_sqrt)
    assert "compared with sqrt(alpha)" in str(err)
    assert "array of loads should give an array" not in str(err)
    err = failure(ch03.one_step_error, scalar_only)
    assert (err.passed, err.total) == (2, 3) and "array input: your code raised TypeError" in str(err)
    assert "Phi(-x) = erfc(x / sqrt(2)) / 2" in str(failure(ch03.one_step_error, no_sqrt2))
