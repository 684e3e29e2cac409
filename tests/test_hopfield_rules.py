"""Learning rules of chapter 02: Hebb, centred Hebb, pseudoinverse (projection), Storkey."""

import itertools

import numpy as np
import pytest

from course_lib import hopfield
from course_lib.datasets import binarize, load_mnist


def spins(rng, *shape):
    return rng.choice([-1.0, 1.0], size=shape)


def sylvester(k):
    """Hadamard matrix of order 2^k: rows are mutually orthogonal +-1 patterns."""
    H = np.array([[1.0]])
    for _ in range(k):
        H = np.block([[H, H], [H, -H]])
    return H


def test_hebb_is_the_sum_of_outer_products_over_n():
    rng = np.random.default_rng(0)
    X = spins(rng, 4, 9)
    loop = np.zeros((9, 9))
    for x in X:
        for i in range(9):
            for j in range(9):
                if i != j:
                    loop[i, j] += x[i] * x[j] / 9
    W = hopfield.hebbian_weights(X)
    assert np.array_equal(W, W.T) and np.all(np.diag(W) == 0)
    assert np.allclose(W, loop)
    assert np.allclose(np.diag(hopfield.hebbian_weights(X, zero_diagonal=False)), 4 / 9)
    assert np.allclose(hopfield.hebbian_weights(X[0]), hopfield.hebbian_weights(X[:1]))


def test_hebb_orthogonal_patterns_have_field_one_minus_load():
    X = sylvester(5)[1:9]  # 8 orthogonal patterns, N = 32
    W = hopfield.hebbian_weights(X)
    # W x = (1/N) sum_mu x^mu (x^mu . x) - (p/N) x = x - (p/N) x: no crosstalk at all
    assert np.allclose(hopfield.local_field(W, X), (1 - 8 / 32) * X)
    assert np.all(hopfield.crosstalk(X) == pytest.approx(-(8 - 1) / 32))


def test_crosstalk_statistics_match_the_binomial_prediction():
    rng = np.random.default_rng(1)
    n, p = 400, 40
    C = hopfield.crosstalk(spins(rng, p, n))
    # N C_i is a sum of (p - 1)(N - 1) independent +-1 terms: mean 0, variance (p - 1)(N - 1) / N^2
    var = (p - 1) * (n - 1) / n**2
    assert abs(C.mean()) < 4 * np.sqrt(var / C.size)
    assert C.var() == pytest.approx(var, rel=0.05)
    assert np.allclose((C * n) % 2, ((p - 1) * (n - 1)) % 2)  # parity of a sum of +-1 terms


def test_centered_hebb_field_is_w_times_deviation_from_mean():
    rng = np.random.default_rng(2)
    X = spins(rng, 5, 12)
    W, b = hopfield.centered_hebbian_weights(X)
    a = X.mean(axis=0)
    D = X - a
    expect = D.T @ D / 12
    np.fill_diagonal(expect, 0)
    assert np.allclose(W, expect)
    s = spins(rng, 3, 12)
    assert np.allclose(hopfield.local_field(W, s, b), (s - a) @ W.T)
    assert np.allclose(hopfield.local_field(W, X, b).sum(axis=0), 0)  # W sum_nu (x^nu - a) = 0


def test_pseudoinverse_is_a_projection_onto_the_patterns():
    rng = np.random.default_rng(3)
    X = spins(rng, 6, 20)
    P = hopfield.pseudoinverse_weights(X, zero_diagonal=False)
    assert np.allclose(P @ P, P) and np.allclose(P, P.T)
    assert np.allclose(X @ P, X)  # every pattern is left unchanged
    assert np.trace(P) == pytest.approx(6)  # rank p
    W = hopfield.pseudoinverse_weights(X)
    # zero diagonal: h = P x - diag(P) x = (1 - P_ii) x_i, same sign as x_i since P_ii < 1
    assert np.allclose(hopfield.local_field(W, X), (1 - np.diag(P)) * X)
    assert np.all(hopfield.sync_step(W, X) == X)


def test_pseudoinverse_equals_hebb_for_orthogonal_patterns_and_handles_duplicates():
    X = sylvester(4)[2:7]
    assert np.allclose(hopfield.pseudoinverse_weights(X), hopfield.hebbian_weights(X))
    rng = np.random.default_rng(4)
    Y = spins(rng, 3, 10)
    assert np.allclose(hopfield.pseudoinverse_weights(np.vstack([Y, Y[:1]])), hopfield.pseudoinverse_weights(Y))


def storkey_by_the_book(X):
    """Storkey (1997) written as loops over i, j and k, straight from the formula."""
    p, n = X.shape
    W = np.zeros((n, n))
    for x in X:
        new = W.copy()
        for i, j in itertools.product(range(n), range(n)):
            if i == j:
                continue
            h_ij = sum(W[i, k] * x[k] for k in range(n) if k not in (i, j))
            h_ji = sum(W[j, k] * x[k] for k in range(n) if k not in (i, j))
            new[i, j] = W[i, j] + (x[i] * x[j] - x[i] * h_ji - h_ij * x[j]) / n
        W = new
    return W


def test_storkey_matches_the_formula_written_as_loops():
    rng = np.random.default_rng(5)
    X = spins(rng, 4, 7)
    assert np.allclose(hopfield.storkey_weights(X), storkey_by_the_book(X))
    assert np.allclose(hopfield.storkey_weights(X[:1]), hopfield.hebbian_weights(X[:1]))  # first step = Hebb
    assert np.allclose(hopfield.storkey_weights(X[2:], initial=hopfield.storkey_weights(X[:2])),
                       hopfield.storkey_weights(X))
    with pytest.raises(ValueError, match="initial must be"):
        hopfield.storkey_weights(X, initial=np.ones((7, 7)))


def test_mnist_digits_collapse_under_hebb_but_not_under_pseudoinverse():
    images, labels = load_mnist()
    first = [int(np.flatnonzero(labels == d)[0]) for d in range(10)]
    X = binarize(images[first])
    W = hopfield.hebbian_weights(X)
    values, vectors = np.linalg.eigh(W)
    mean = X.mean(axis=0)
    assert values[-1] > 5 * values[-2]  # one eigenvalue far above the rest
    assert abs(vectors[:, -1] @ mean) / np.linalg.norm(mean) > 0.99
    assert not np.any(np.all(hopfield.sync_step(W, X) == X, axis=1))  # not one digit is a fixed point
    final = hopfield.recall(W, X, mode="sync").states
    assert len(np.unique(final, axis=0)) <= 2  # ten digits, at most two end states
    Wp = hopfield.pseudoinverse_weights(X)
    assert np.array_equal(hopfield.recall(Wp, X, mode="sync").states, X)


@pytest.mark.parametrize("fn", [hopfield.hebbian_weights, hopfield.pseudoinverse_weights,
                                hopfield.storkey_weights, hopfield.centered_hebbian_weights])
@pytest.mark.parametrize("bad,match", [
    (np.array([[1.0, 0.0, -1.0]]), r"\+1 and -1"),
    (np.ones((2, 2, 2)), r"shape \(N,\) or \(B, N\)"),
])
def test_rules_refuse_bad_patterns(fn, bad, match):
    with pytest.raises(ValueError, match=match):
        fn(bad)
