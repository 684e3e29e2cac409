"""The exercises beyond re-implementation: the solution passes, the stub is not attempted, and each plausible
wrong answer gets the message that names its mistake (without the answer)."""

import numpy as np
import pytest
import torch
from answers import answers, checker

from course_lib.checks._core import CheckFailed, NotAttempted

NEW = {"01": ["energy_from_overlap", "unique_minimum"], "02": ["projection_margin", "crosstalk_spread"],
       "03": ["two_cycle", "spurious_state"], "04": ["ground_state_temperature", "pair_correlation"],
       "05": ["ais_plausible", "hidden_health"],
       "06": ["retrieval_beta", "self_weight"], "07": ["previous_token_projections", "score_spread"]}
CASES = [(ch, name) for ch, names in NEW.items() for name in names]


def failure(chapter, name, fn) -> str:
    with pytest.raises(CheckFailed) as info:
        getattr(checker(chapter), name)(fn)
    return str(info.value)


@pytest.mark.parametrize("chapter,name", CASES)
def test_solution_passes_and_stub_is_not_attempted(chapter, name, capsys):
    getattr(checker(chapter), name)(answers(chapter)[name])
    assert f"[pass] {name}" in capsys.readouterr().out
    with pytest.raises(NotAttempted):
        getattr(checker(chapter), name)(answers(chapter, stubs=True)[name])


def test_energy_from_overlap_mistakes():
    def with_diagonal(m, N):
        return -N * np.asarray(m, dtype=float) ** 2 / 2

    def per_unit(m, N):
        return -np.asarray(m, dtype=float) ** 2 / 2

    def linear(m, N):
        return -(N * np.asarray(m, dtype=float) - 1) / 2

    assert "off by exactly 1/2" in failure("01", "energy_from_overlap", with_diagonal)
    assert "energy per unit" in failure("01", "energy_from_overlap", per_unit)
    assert "quadratic in the overlap" in failure("01", "energy_from_overlap", linear)


def test_unique_minimum_mistakes():
    def couplings_only(target):
        t = np.asarray(target, dtype=float)
        W = np.outer(t, t)
        np.fill_diagonal(W, 0.0)
        return W, np.zeros_like(t)

    def bias_only(target):
        t = np.asarray(target, dtype=float)
        return np.zeros((t.size, t.size)), 0.1 * t

    def big_bias(target):
        t = np.asarray(target, dtype=float)
        return np.zeros((t.size, t.size)), 5 * t

    def one_sided(target):
        t = np.asarray(target, dtype=float)
        return np.triu(np.outer(t, t), 1), 0.1 * t

    msg = failure("01", "unique_minimum", couplings_only)
    assert "mirror image" in msg and "0.1 * t" not in msg
    assert "costs at least 1" in failure("01", "unique_minimum", bias_only) or \
        "changes the energy by only" in failure("01", "unique_minimum", bias_only)
    assert "at most 0.1" in failure("01", "unique_minimum", big_bias)
    assert "symmetric" in failure("01", "unique_minimum", one_sided)


def test_projection_margin_mistakes():
    def largest_diagonal(patterns):
        X = np.asarray(patterns, dtype=float)
        return float(np.max(np.diag(X.T @ np.linalg.solve(X @ X.T, X))))

    def smallest_diagonal(patterns):
        X = np.asarray(patterns, dtype=float)
        return float(1 - np.min(np.diag(X.T @ np.linalg.solve(X @ X.T, X))))

    def hebb(patterns):
        X = np.asarray(patterns, dtype=float)
        W = X.T @ X / X.shape[1]
        np.fill_diagonal(W, 0.0)
        return float(np.min(X * (X @ W)))

    assert "largest diagonal entry of the projection itself" in failure("02", "projection_margin", largest_diagonal)
    assert "smallest diagonal entry" in failure("02", "projection_margin", smallest_diagonal)
    assert "margin of Hebb's rule" in failure("02", "projection_margin", hebb)
    assert "exactly 1" in failure("02", "projection_margin", lambda P: 1.0)


def test_two_cycle_mistakes():
    def asymmetric(n):
        W = np.roll(np.eye(n), 1, axis=1) * -1
        return W, np.ones(n)

    def fixed(n):
        return np.ones((n, n)) - np.eye(n), np.ones(n)

    assert "must be symmetric" in failure("03", "two_cycle", asymmetric)
    assert "s0 is a fixed point" in failure("03", "two_cycle", fixed)


def test_spurious_state_mistakes():
    def a_pattern(patterns):
        return np.asarray(patterns, dtype=float)[0]

    def a_mixture(patterns):
        X = np.asarray(patterns, dtype=float)
        return np.sign(X[0] + X[1] + X[2])

    def random_state(patterns):
        return np.random.default_rng(0).choice([-1.0, 1.0], size=np.asarray(patterns).shape[1])

    assert "this is stored pattern 0" in failure("03", "spurious_state", a_pattern)
    msg = failure("03", "spurious_state", a_mixture)
    assert "mixture of three" in msg or "not a fixed point" in msg
    assert "not a fixed point" in failure("03", "spurious_state", random_state)


def test_ground_state_temperature_mistakes():
    assert "holds probability" in failure("04", "ground_state_temperature", lambda W, b, share: 1.0)
    assert "positive number" in failure("04", "ground_state_temperature", lambda W, b, share: -1.0)


def test_ais_plausible_mistakes():
    assert "was accepted" in failure("05", "ais_plausible", lambda *a: True)
    assert "was called impossible" in failure("05", "ais_plausible", lambda *a: False)

    def exact_only(W, b, c, log_z, data):   # trusts nothing but enumeration: fails on large models
        raise MemoryError("2^40 states")

    assert "your code raised MemoryError" in failure("05", "ais_plausible", exact_only)


def test_retrieval_beta_mistakes():
    solved = answers("06")["retrieval_beta"]
    assert "beta is too small" in failure("06", "retrieval_beta", lambda X, eps: 0.5 * solved(X, eps))
    assert "look for the smallest beta" in failure("06", "retrieval_beta", lambda X, eps: 3 * solved(X, eps))


def test_previous_token_projections_mistakes():
    solved = answers("07")["previous_token_projections"]

    def too_gentle(L, d):
        W_q, W_k = solved(L, d)
        return W_q / 50, W_k / 50

    def wrong_width(L, d):
        return torch.eye(L, dtype=torch.float64), torch.eye(L, dtype=torch.float64)

    assert "the weight on the previous token is as low as" in failure("07", "previous_token_projections",
                                                                          too_gentle)
    assert "must both be (d_k," in failure("07", "previous_token_projections", wrong_width)


def test_crosstalk_spread_mistakes():
    assert "only the other p - 1 patterns" in failure("02", "crosstalk_spread", lambda p, N: np.sqrt(p / N))
    assert "that is the variance" in failure("02", "crosstalk_spread", lambda p, N: (p - 1) / N)


def test_pair_correlation_mistakes():
    assert "twice too strong" in failure("04", "pair_correlation", lambda J, T: np.tanh(2 * J / T))
    assert "half the coupling" in failure("04", "pair_correlation", lambda J, T: np.tanh(J / (2 * T)))
    assert "P(agree) - P(disagree)" in failure("04", "pair_correlation", lambda J, T: 1 / (1 + np.exp(-2 * J / T)))
    assert "sign is reversed" in failure("04", "pair_correlation", lambda J, T: -np.tanh(J / T))


def test_hidden_health_mistakes():
    def from_bias_only(W, c, data):
        p = 1 / (1 + np.exp(-np.asarray(c, dtype=float)))
        return int(np.sum(p < 0.01)), int(np.sum(p > 0.99))

    def one_sample(W, c, data):
        p = 1 / (1 + np.exp(-(np.asarray(data, dtype=float)[0] @ W + c)))
        return int(np.sum(p < 0.01)), int(np.sum(p > 0.99))

    assert "nor by its bias alone" in failure("05", "hidden_health", from_bias_only)
    assert "averaged over the whole data set" in failure("05", "hidden_health", one_sample)


def test_self_weight_mistakes():
    assert "p - 1 other patterns" in failure("06", "self_weight", lambda b, N, p: 1 / (1 + p * np.exp(-b * N)))
    assert "with itself is N" in failure("06", "self_weight", lambda b, N, p: 1 / (1 + (p - 1) * np.exp(-b)))
    assert "at beta = 0 only" in failure("06", "self_weight", lambda b, N, p: 1 / p)


def test_score_spread_mistakes():
    assert "that is the variance" in failure("07", "score_spread", lambda d: float(d))
    msg = failure("07", "score_spread", lambda d: 1.0)
    assert "grows with d_k" in msg and "sqrt" not in msg
