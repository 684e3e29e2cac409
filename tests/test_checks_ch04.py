"""Chapter 04 checkers: the solutions pass, typical mistakes get their message, the library is refused."""

import numpy as np
import pytest

from course_lib import boltzmann
from course_lib.boltzmann import all_states
from course_lib.checks import ch04
from course_lib.checks._core import CheckFailed, NotAttempted

# ----------------------------------------------------------------------------- the solutions (as in the notebook)

def flip_probability(h, T):
    return 0.5 * (1.0 + np.tanh(np.asarray(h, dtype=float) / T))


def gibbs_sweep(W, b, states, T, u):
    s = np.array(states, dtype=float)
    bias = np.zeros(W.shape[0]) if b is None else b
    for i in range(W.shape[0]):
        h = s @ W[i] - W[i, i] * s[..., i] + bias[i]
        s[..., i] = np.where(u[..., i] < flip_probability(h, T), 1.0, -1.0)
    return s


def exact_distribution(W, b, T):
    S = all_states(W.shape[0])
    E = -0.5 * np.sum((S @ W) * S, axis=1) - (0 if b is None else S @ b)
    w = np.exp(-(E - E.min()) / T)
    return w / w.sum()


def bm_gradient(W, b, data, n_visible):
    n = W.shape[0]
    S = all_states(n)
    E = -0.5 * np.sum((S @ W) * S, axis=1) - S @ b
    p = np.exp(-(E - E.min()))
    p /= p.sum()
    neg_ss, neg_s = (S * p[:, None]).T @ S, p @ S
    H = all_states(n - n_visible) if n > n_visible else np.zeros((1, 0))
    pos_ss, pos_s = np.zeros((n, n)), np.zeros(n)
    for v in np.asarray(data, dtype=float):
        X = np.hstack([np.tile(v, (len(H), 1)), H])
        e = -0.5 * np.sum((X @ W) * X, axis=1) - X @ b
        q = np.exp(-(e - e.min()))
        q /= q.sum()
        pos_ss += (X * q[:, None]).T @ X / len(data)
        pos_s += q @ X / len(data)
    dW = pos_ss - neg_ss
    np.fill_diagonal(dW, 0.0)
    return dW, pos_s - neg_s


@pytest.mark.parametrize("name,fn,total", [("flip_probability", flip_probability, 5),
                                           ("gibbs_sweep", gibbs_sweep, 4),
                                           ("exact_distribution", exact_distribution, 4),
                                           ("bm_gradient", bm_gradient, 3)])
def test_the_solution_passes(capsys, name, fn, total):
    getattr(ch04, name)(fn)
    assert f"[pass] {name}: {total}/{total}" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["flip_probability", "gibbs_sweep", "exact_distribution", "bm_gradient"])
def test_the_library_twin_is_refused(name):
    twin = {"flip_probability": "probability_up"}.get(name, name)  # the exercise keeps its own name
    with pytest.raises(CheckFailed, match="imported rather than written"):
        getattr(ch04, name)(getattr(boltzmann, twin))


@pytest.mark.parametrize("name", ["flip_probability", "gibbs_sweep", "exact_distribution", "bm_gradient"])
def test_a_stub_is_not_attempted(name):
    def stub(*args):
        raise NotImplementedError

    with pytest.raises(NotAttempted):
        getattr(ch04, name)(stub)


def failure(check, fn):
    with pytest.raises(CheckFailed) as info:
        check(fn)
    return info.value


# ----------------------------------------------------------------------------- typical mistakes

def test_flip_probability_mistakes():
    def zero_one_rule(h, T):
        with np.errstate(over="ignore"):
            return 1 / (1 + np.exp(-np.asarray(h, dtype=float) / T))

    wrong = failure(ch04.flip_probability, zero_one_rule)
    assert "sigma(h/T), the rule for 0/1 units" in str(wrong)

    def overflowing(h, T):
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(2 * np.asarray(h, dtype=float) / T)
            return e / (1 + e)

    naive = failure(ch04.flip_probability, overflowing)
    assert naive.passed == 4 and "overflow" in str(naive)
    minus = failure(ch04.flip_probability, lambda h, T: 1 - flip_probability(h, T))
    assert "P(s_i = -1)" in str(minus)


def test_gibbs_sweep_mistakes():
    def parallel(W, b, states, T, u):
        s = np.asarray(states, dtype=float)
        h = s @ W.T + (0 if b is None else b)
        return np.where(u < flip_probability(h, T), 1.0, -1.0)

    assert "all units at once" in str(failure(ch04.gibbs_sweep, parallel))

    def half_field(W, b, states, T, u):
        return gibbs_sweep(W, b, states, 2 * T, u)

    assert "sigma(h/T)" in str(failure(ch04.gibbs_sweep, half_field))

    def in_place(W, b, states, T, u):
        states[...] = gibbs_sweep(W, b, states, T, u)
        return states

    err = failure(ch04.gibbs_sweep, in_place)
    assert err.passed == 3 and "work on a copy" in str(err)


def test_exact_distribution_mistakes():
    def unnormalised(W, b, T):
        S = all_states(W.shape[0])
        E = -0.5 * np.sum((S @ W) * S, axis=1) - (0 if b is None else S @ b)
        return np.exp(-(E - E.min()) / T)

    assert "divide by Z" in str(failure(ch04.exact_distribution, unnormalised))

    def plus_sign(W, b, T):
        return exact_distribution(-W, None if b is None else -b, T)

    assert "with the minus" in str(failure(ch04.exact_distribution, plus_sign))

    def naive(W, b, T):
        S = all_states(W.shape[0])
        E = -0.5 * np.sum((S @ W) * S, axis=1) - (0 if b is None else S @ b)
        with np.errstate(over="ignore", invalid="ignore"):
            w = np.exp(-E / T)
            return w / w.sum()

    err = failure(ch04.exact_distribution, naive)
    assert err.passed == 3 and "Subtract the smallest energy" in str(err)

    def reversed_order(W, b, T):
        return exact_distribution(W, b, T)[::-1]

    assert "wrong order" in str(failure(ch04.exact_distribution, reversed_order))


def test_bm_gradient_mistakes():
    def flipped(W, b, data, nv):
        dW, db = bm_gradient(W, b, data, nv)
        return -dW, -db

    assert "wrong sign" in str(failure(ch04.bm_gradient, flipped))

    def uniform_hidden(W, b, data, nv):  # forgets that P(h | v) depends on the weights
        n = W.shape[0]
        H = all_states(n - nv) if n > nv else np.zeros((1, 0))
        X = np.vstack([np.hstack([np.tile(v, (len(H), 1)), H]) for v in np.asarray(data, dtype=float)])
        S = all_states(n)
        E = -0.5 * np.sum((S @ W) * S, axis=1) - S @ b
        p = np.exp(-(E - E.min()))
        p /= p.sum()
        dW = X.T @ X / len(X) - (S * p[:, None]).T @ S
        np.fill_diagonal(dW, 0.0)
        return dW, X.mean(axis=0) - p @ S

    err = failure(ch04.bm_gradient, uniform_hidden)
    assert err.passed == 1 and "P(h | v)" in str(err)


def test_solution_notebook_verdicts():
    from conftest import ROOT

    from course_lib.checking import check_notebook

    verdicts = check_notebook(ROOT / "solutions" / "04_boltzmann.ipynb")
    assert [(v.exercise, v.status) for v in verdicts] == [
        ("flip_probability", "passed"), ("gibbs_sweep", "passed"), ("exact_distribution", "passed"),
        ("bm_gradient", "passed"), ("ground_state_temperature", "passed"),
        ("pair_correlation", "passed")]


def _failure(checker, fn):
    with pytest.raises(CheckFailed) as info:
        checker(fn)
    return info.value


def test_gibbs_sweep_from_the_old_state_is_named_in_every_case():
    def all_fields_from_old_state(W, b, states, T, u):
        s = np.array(states, dtype=float)
        h = s @ W.T + (0 if b is None else b)
        return np.where(u < flip_probability(h, T), 1.0, -1.0)

    err = _failure(ch04.gibbs_sweep, all_fields_from_old_state)
    assert "updated all units at once" in str(err)
    assert "b=None" not in str(err)  # the single-state case has b=None, but that is not the cause


def test_bm_gradient_without_posterior_weighting_is_not_blamed_on_repeated_rows():
    def uniform_hidden(W, b, data, n_visible):   # every hidden state counts equally in the positive phase
        n = W.shape[0]
        S = all_states(n)
        E = -0.5 * np.sum((S @ W) * S, axis=1) - S @ b
        p = np.exp(-(E - E.min()))
        p /= p.sum()
        H = all_states(n - n_visible) if n > n_visible else np.zeros((1, 0))
        X = np.vstack([np.hstack([np.tile(v, (len(H), 1)), H]) for v in np.asarray(data, dtype=float)])
        dW = X.T @ X / len(X) - (S * p[:, None]).T @ S
        np.fill_diagonal(dW, 0.0)
        return dW, X.mean(0) - p @ S

    err = _failure(ch04.bm_gradient, uniform_hidden)
    assert "follow P(h | v)" in str(err)
    assert "repeated rows included" not in str(err)
