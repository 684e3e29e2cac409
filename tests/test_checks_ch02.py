"""Chapter 02 checkers: the solution passes, typical mistakes fail with the intended message."""

import numpy as np
import pytest

from course_lib import hopfield
from course_lib.checks import ch02
from course_lib.checks._core import CheckFailed, NotAttempted


# --- the solutions, as in solutions/02_hebbian.ipynb ---------------------------------------
def hebbian_weights(patterns):
    X = np.asarray(patterns, dtype=float)
    W = X.T @ X / X.shape[1]
    np.fill_diagonal(W, 0.0)
    return W


def crosstalk(patterns):
    X = np.asarray(patterns, dtype=float)
    n = X.shape[1]
    W = X.T @ X / n
    np.fill_diagonal(W, 0.0)
    return X * (X @ W) - (n - 1) / n


def recall_sync(W, probes, max_steps):
    S = np.array(probes, dtype=float)
    for _ in range(max_steps):
        H = S @ W.T
        new = np.where(H > 0, 1.0, np.where(H < 0, -1.0, S))
        if np.array_equal(new, S):
            break
        S = new
    return S


def pseudoinverse_weights(patterns):
    X = np.asarray(patterns, dtype=float)
    W = X.T @ np.linalg.inv(X @ X.T) @ X
    np.fill_diagonal(W, 0.0)
    return W


SOLUTIONS = {"hebbian_weights": hebbian_weights, "crosstalk": crosstalk, "recall_sync": recall_sync,
             "pseudoinverse_weights": pseudoinverse_weights}


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_solution_passes(name, capsys):
    getattr(ch02, name)(SOLUTIONS[name])
    assert f"[pass] {name}" in capsys.readouterr().out


@pytest.mark.parametrize("name,twin", [("hebbian_weights", hopfield.hebbian_weights),
                                       ("crosstalk", hopfield.crosstalk),
                                       ("pseudoinverse_weights", hopfield.pseudoinverse_weights)])
def test_library_twin_is_refused(name, twin):
    with pytest.raises(CheckFailed, match="imported rather than written"):
        getattr(ch02, name)(twin)


def test_calling_the_library_is_refused():
    def lazy(W, probes, max_steps):
        return hopfield.recall(W, probes, mode="sync", max_sweeps=max_steps).states

    with pytest.raises(CheckFailed, match="calls course_lib"):
        ch02.recall_sync(lazy)


def test_stub_is_not_attempted():
    def stub(patterns):
        raise NotImplementedError

    with pytest.raises(NotAttempted):
        ch02.hebbian_weights(stub)


def failure(checker, fn):
    with pytest.raises(CheckFailed) as info:
        checker(fn)
    return info.value


def test_hebb_mistakes():
    def no_norm(P):
        return hebbian_weights(P) * np.asarray(P).shape[1]

    def by_p(P):
        return hebbian_weights(P) * np.asarray(P).shape[1] / np.asarray(P).shape[0]

    def keeps_diagonal(P):
        X = np.asarray(P, dtype=float)
        return X.T @ X / X.shape[1]

    assert "divide by N" in str(failure(ch02.hebbian_weights, no_norm))
    assert "number of patterns p" in str(failure(ch02.hebbian_weights, by_p))
    err = failure(ch02.hebbian_weights, keeps_diagonal)
    assert "diagonal must be zero" in str(err) and err.passed < err.total


def test_crosstalk_mistakes():
    def returns_aligned_field(P):
        n = np.asarray(P).shape[1]
        return crosstalk(P) + (n - 1) / n

    def subtracts_one(P):
        n = np.asarray(P).shape[1]
        return crosstalk(P) + (n - 1) / n - 1

    assert "subtract the signal" in str(failure(ch02.crosstalk, returns_aligned_field))
    assert "(N - 1)/N" in str(failure(ch02.crosstalk, subtracts_one))


def test_recall_mistakes():
    def plain_sign(W, probes, max_steps):
        S = np.array(probes, dtype=float)
        for _ in range(max_steps):
            S = np.sign(S @ W.T)
        return S

    def one_step_too_many(W, probes, max_steps):
        return recall_sync(W, probes, max_steps + 1)

    err = failure(ch02.recall_sync, plain_sign)
    assert "keep the unit's current value" in str(err)
    assert "stop after exactly max_steps" in str(failure(ch02.recall_sync, one_step_too_many))


def test_pseudoinverse_mistakes():
    def divides_by_n(P):
        return pseudoinverse_weights(P) / np.asarray(P).shape[1]

    def hebb_instead(P):
        return hebbian_weights(P)

    def keeps_diagonal(P):
        X = np.asarray(P, dtype=float)
        return X.T @ np.linalg.inv(X @ X.T) @ X

    assert "do not divide by N" in str(failure(ch02.pseudoinverse_weights, divides_by_n))
    assert "correlated patterns must still be fixed points" in str(failure(ch02.pseudoinverse_weights, hebb_instead))
    assert "diagonal to zero" in str(failure(ch02.pseudoinverse_weights, keeps_diagonal))
