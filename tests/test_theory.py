"""course_lib.theory: the AGS retrieval equations, the synchronous Lyapunov function, basins, recall scores."""

import math

import numpy as np
import pytest

from course_lib import hopfield, theory
from course_lib.datasets import letter_patterns

# ---------------------------------------------------------------------------------------------- AGS

def test_critical_load_is_the_published_value():
    # Amit, Gutfreund and Sompolinsky (1985): alpha_c = 0.138, with m = 0.967 at the transition
    # (Hertz, Krogh and Palmer 1991, section 2.5, quote alpha_c ~ 0.138 and m ~ 0.97).
    crit = theory.ags_critical_load()
    assert abs(crit.alpha_c - 0.1379) < 5e-4
    assert abs(crit.m_c - 0.967) < 2e-3
    assert math.isclose(crit.m_c, math.erf(crit.y_c))
    ys = np.linspace(0.3, 5, 2000)
    assert theory.ags_load(ys).max() <= crit.alpha_c + 1e-12  # it is the maximum


def test_retrieval_solutions_satisfy_the_self_consistent_equations():
    sol = theory.ags_retrieval(np.array([0.02, 0.05, 0.1, 0.13, 0.137]))
    assert sol.exists.all()
    a, m, C, r = sol.alpha, sol.m, sol.C, sol.r
    erf = np.vectorize(math.erf)
    assert np.allclose(erf(m / np.sqrt(2 * a * r)), m, atol=1e-10)          # m = erf(m / sqrt(2 alpha r))
    assert np.allclose(np.sqrt(2 / (np.pi * a * r)) * np.exp(-m**2 / (2 * a * r)), C, atol=1e-10)
    assert np.allclose(r, 1 / (1 - C) ** 2)
    assert np.all(np.diff(m) < 0) and m[0] > 0.9999 and m[-1] > theory.ags_critical_load().m_c
    # with no feedback (r = 1, m = 1 inside the erf) it is the one-step theory m = 1 - 2 Phi(-1/sqrt(alpha));
    # the errors' feedback (r > 1, m < 1) only lowers the overlap
    assert np.all(r > 1) and np.all(m[1:] < 1 - 2 * hopfield.one_step_error(a[1:]))


def test_no_retrieval_state_beyond_alpha_c():
    sol = theory.ags_retrieval([0.1, 0.139, 0.3])
    assert sol.exists.tolist() == [True, False, False]
    assert np.isnan(sol.m[1:]).all() and not np.isnan(sol.m[0])


@pytest.mark.parametrize("bad", [0.0, -0.1, np.nan, [0.1, np.inf]])
def test_bad_loads_are_refused(bad):
    with pytest.raises(ValueError, match="alpha"):
        theory.ags_retrieval(bad)


def test_ags_load_refuses_non_positive_y():
    with pytest.raises(ValueError, match="y must be positive"):
        theory.ags_load([1.0, 0.0])


# ---------------------------------------------------------------------------------------------- Lyapunov

def _random_couplings(n, seed):
    A = np.random.default_rng(seed).normal(size=(n, n))
    W = (A + A.T) / 2
    np.fill_diagonal(W, 0.0)
    return W


def test_sync_lyapunov_falls_strictly_unless_two_steps_agree():
    rng = np.random.default_rng(1)
    for seed in range(5):
        W = _random_couplings(30, seed)
        traj = theory.sync_trajectory(W, rng.choice([-1.0, 1.0], size=30), steps=40)
        L = theory.sync_lyapunov(W, traj)
        same = np.all(traj[2:] == traj[:-2], axis=1)           # s(t+1) == s(t-1)
        dL = np.diff(L)
        assert np.all(dL[~same] < 0) and np.allclose(dL[same], 0)
        assert same[-1]  # it has reached a fixed point or a 2-cycle


def test_ties_are_handled_by_the_small_self_coupling():
    # integer Hebbian weights of letters have zero fields; keep-on-tie still never lets L rise
    letters, _ = letter_patterns(["X", "H", "T", "L"])
    W = hopfield.hebbian_weights(letters) * 25
    rng = np.random.default_rng(0)
    saw_tie = False
    for _ in range(30):
        traj = theory.sync_trajectory(W, rng.choice([-1.0, 1.0], size=25), steps=20)
        saw_tie |= bool(np.any(traj @ W.T == 0))
        L = theory.sync_lyapunov(W, traj)
        same = np.all(traj[2:] == traj[:-2], axis=1)
        assert np.all(np.diff(L)[~same] < 0)
    assert saw_tie


def test_sync_lyapunov_refuses_bad_input():
    W = _random_couplings(4, 0)
    with pytest.raises(ValueError, match="at least two states"):
        theory.sync_lyapunov(W, np.ones((1, 4)))
    with pytest.raises(ValueError, match="eps"):
        theory.sync_lyapunov(W, np.ones((3, 4)), eps=-1.0)
    with pytest.raises(ValueError, match="steps"):
        theory.sync_trajectory(W, np.ones(4), steps=-1)


# ---------------------------------------------------------------------------------------------- basins, rules

def test_rule_weights_match_the_library_rules():
    X = np.random.default_rng(2).choice([-1.0, 1.0], size=(5, 40))
    W, b = theory.rule_weights(X, "hebb")
    assert np.array_equal(W, hopfield.hebbian_weights(X)) and b is None
    W, b = theory.rule_weights(X, "centred + threshold")
    Wc, bc = hopfield.centered_hebbian_weights(X)
    assert np.array_equal(W, Wc) and np.array_equal(b, bc)
    assert theory.rule_weights(X, "centred")[1] is None
    with pytest.raises(ValueError, match="rule must be one of"):
        theory.rule_weights(X, "covariance")


def test_basin_profile_separates_fixed_points_from_recall():
    rng = np.random.default_rng(3)
    X = rng.choice([-1.0, 1.0], size=(70, 500))  # alpha = 0.14: few patterns are fixed points
    prof = theory.basin_profile(X, [0.0, 0.1, 0.5], trials=1, rng=4)
    assert prof.exact[0] == pytest.approx(prof.fixed_fraction)  # no noise: exact recall = fixed points
    assert prof.fixed_fraction < 0.6
    assert np.all(prof.recalled >= prof.exact) and prof.recalled[0] > prof.exact[0]  # near misses count
    assert prof.recalled[-1] < 0.1 and prof.overlaps.shape == (3, 70)
    easy = theory.basin_profile(X[:5], [0.0, 0.1], trials=2, rng=4)
    assert easy.fixed_fraction == 1.0 and np.all(easy.exact == 1.0)


def test_basin_profile_and_recall_score_refuse_bad_input():
    X = np.ones((2, 10))
    with pytest.raises(ValueError, match="noise_levels"):
        theory.basin_profile(X, [0.1, 1.5])
    with pytest.raises(ValueError, match="trials"):
        theory.basin_profile(X, [0.1], trials=0)
    W = hopfield.hebbian_weights(X)
    with pytest.raises(ValueError, match="same shape"):
        theory.recall_score(W, X, X[:1])
    with pytest.raises(ValueError, match="threshold"):
        theory.recall_score(W, X, X, threshold=2.0)


def test_recall_score_counts_exact_and_near_recall():
    X = np.random.default_rng(5).choice([-1.0, 1.0], size=(3, 100))
    W = hopfield.hebbian_weights(X)
    score = theory.recall_score(W, X, X, rng=0)
    assert score.exact == 1.0 and score.recalled == 1.0 and score.mean_overlap == 1.0
    score = theory.recall_score(W, X, -X, rng=0)  # the inverted patterns are fixed points too
    assert score.exact == 0.0 and score.mean_overlap == -1.0


# ---------------------------------------------------------------------------------------------- chapter 01 widget

def test_damage_view_many_with_one_memory_is_the_one_memory_parabola():
    letters, names = letter_patterns(["A"])
    view = theory.damage_view_many(letters, 0, 6)
    n = 25
    m = 1 - 2 * np.arange(n + 1) / n
    assert np.allclose(view.energies, -n / 2 * m**2 + 0.5)
    assert view.end_pattern == 0 and view.end_sign == 1 and len(view.path) == 7


def test_damage_view_many_names_where_descent_ends():
    letters, names = letter_patterns(["X", "H", "T"])
    order = np.random.default_rng(0).permutation(25)
    view = theory.damage_view_many(letters, 1, 2, order)
    assert (view.end_pattern, view.end_sign) == (1, 1)
    assert np.allclose(view.overlaps, letters @ view.state / 25)
    assert np.all(np.diff(view.path_energies) < 0)
    far = theory.damage_view_many(letters, 1, 25, order)  # every unit flipped: the negative of H
    assert (far.end_pattern, far.end_sign) == (1, -1)
    with pytest.raises(ValueError, match="target"):
        theory.damage_view_many(letters, 3, 2)
    with pytest.raises(ValueError, match="number of flipped units"):
        theory.damage_view_many(letters, 0, 26)
