"""Dynamics and capacity of chapter 03: sync/async updates, recall, spurious states, capacity theory."""

import itertools
import math

import numpy as np
import pytest

from course_lib import hopfield


def spins(rng, *shape):
    return rng.choice([-1.0, 1.0], size=shape)


def sym(rng, n, diag=0.0):
    a = rng.normal(size=(n, n))
    W = (a + a.T) / 2
    np.fill_diagonal(W, diag)
    return W


def per_unit_loop(W, S, order, b=None):
    """The seed's dynamics: one probe and one unit at a time, field recomputed from scratch."""
    S = np.array(S, dtype=float)
    b = np.zeros(len(W)) if b is None else b
    for s in S:
        for i in order:
            h = W[i] @ s + b[i]
            if h != 0:
                s[i] = 1.0 if h > 0 else -1.0
    return S


def test_async_sweep_equals_the_per_unit_loop():
    rng = np.random.default_rng(0)
    W, b = sym(rng, 30, diag=0.3), rng.normal(size=30)
    S = spins(rng, 12, 30)
    order = rng.permutation(30)
    got = hopfield.async_sweep(W, S, b=b, order=order)
    assert np.array_equal(got, per_unit_loop(W, S, order, b))
    assert np.array_equal(hopfield.async_sweep(W, S[0], b=b, order=order), got[0])
    assert np.array_equal(hopfield.async_sweep(W, S, order=np.arange(30)), per_unit_loop(W, S, range(30)))
    r1, r2 = np.random.default_rng(7), np.random.default_rng(7)
    assert np.array_equal(hopfield.async_sweep(W, S, rng=r1), per_unit_loop(W, S, r2.permutation(30)))
    seeded = per_unit_loop(W, S, np.random.default_rng(7).permutation(30))
    assert np.array_equal(hopfield.async_sweep(W, S, rng=7), seeded)


def test_async_sweep_equals_the_per_unit_loop_with_many_flips_and_partial_orders():
    """The block-and-jump sweep visits exactly what a per-unit loop visits: random starts (half the units
    flip), orders longer than one block, orders with repeats or only some units."""
    rng = np.random.default_rng(10)
    W, b = sym(rng, 150), rng.normal(size=150)
    S = spins(rng, 40, 150)
    for order in (rng.permutation(150), np.r_[rng.permutation(150), rng.permutation(150)], np.array([5, 3, 5, 149])):
        assert np.array_equal(hopfield.async_sweep(W, S, b=b, order=order), per_unit_loop(W, S, order, b))


def test_rng_none_is_fresh_randomness_and_a_seed_is_reproducible():
    rng = np.random.default_rng(11)
    W = sym(rng, 60)
    S = spins(rng, 30, 60)
    assert np.array_equal(hopfield.async_sweep(W, S, rng=3), hopfield.async_sweep(W, S, rng=3))
    runs = {hopfield.async_sweep(W, S).tobytes() for _ in range(5)}  # five fresh random orders
    assert len(runs) > 1


def test_async_updates_never_raise_the_energy():
    rng = np.random.default_rng(1)
    for diag in (0.0, 0.5):  # the Lyapunov argument needs W symmetric with W_ii >= 0
        W, b = sym(rng, 25, diag), rng.normal(size=25)
        states, energies, units = hopfield.recall_steps(W, spins(rng, 25), rng=rng, b=b)
        assert np.all(np.diff(energies) <= 1e-12)
        assert np.allclose(energies, hopfield.energy(W, states, b))
        assert len(units) == len(states) - 1 and np.all(np.abs(np.diff(states, axis=0)).sum(axis=1) <= 2)
        assert np.all(hopfield.sync_step(W, states[-1], b) == states[-1])  # ends in a fixed point


def test_negative_self_coupling_can_raise_the_energy():
    # why the Lyapunov argument needs W_ii >= 0: h_0 = -2 + 1 < 0 flips unit 0, and E goes 0 -> 2
    W = np.array([[-2.0, 1.0], [1.0, 0.0]])
    s = np.array([1.0, 1.0])
    after = hopfield.async_sweep(W, s, order=[0])
    assert after.tolist() == [-1.0, 1.0]
    assert (hopfield.energy(W, s), hopfield.energy(W, after)) == (0.0, 2.0)


def test_sync_two_cycle_and_async_convergence():
    W = np.array([[0.0, -1.0], [-1.0, 0.0]])  # units want to disagree
    s = np.array([1.0, 1.0])
    assert np.array_equal(hopfield.sync_step(W, s), [-1.0, -1.0])
    assert np.array_equal(hopfield.sync_step(W, hopfield.sync_step(W, s)), s)  # period 2
    res = hopfield.recall(W, s, mode="sync", max_sweeps=10)
    assert not res.converged and res.sweeps == 10 and np.array_equal(res.states, s)
    res = hopfield.recall(W, s, mode="async")
    assert res.converged and res.states[0] == -res.states[1]


def test_recall_batch_results_are_fixed_points_with_monotone_energy():
    rng = np.random.default_rng(2)
    X = spins(rng, 8, 100)
    W = hopfield.hebbian_weights(X)
    probes = spins(rng, 50, 100)
    res = hopfield.recall(W, probes, rng=rng)
    final, converged, energies = res
    assert converged.all() and final.shape == (50, 100) and energies.shape[1] == 50
    assert np.array_equal(hopfield.sync_step(W, final), final)
    assert np.all(np.diff(energies, axis=0) <= 1e-9)
    assert np.allclose(energies[0], hopfield.energy(W, probes)) and np.allclose(energies[-1], hopfield.energy(W, final))
    assert np.array_equal(hopfield.recall(W, X, rng=rng).states, X)  # low load: patterns are fixed points


def test_overlap_and_overlap_matrix():
    a = np.array([1.0, 1.0, -1.0, -1.0])
    assert hopfield.overlap(a, a) == 1.0 and hopfield.overlap(a, -a) == -1.0
    assert hopfield.overlap(a, np.array([1.0, -1.0, -1.0, 1.0])) == 0.0
    assert np.allclose(hopfield.overlap(np.vstack([a, -a]), a), [1.0, -1.0])
    assert np.allclose(hopfield.overlap_matrix(np.vstack([a, -a]), a[None]), [[1.0], [-1.0]])
    with pytest.raises(ValueError, match="expected N = 4"):
        hopfield.overlap(a, np.ones(3))


def test_classify_states_finds_patterns_inversions_and_mixtures():
    rng = np.random.default_rng(3)
    X = spins(rng, 5, 201)
    mix = np.sign(X[0] - X[2] + X[4])
    labels = hopfield.classify_states(np.vstack([X[1], -X[3], mix, spins(rng, 201)]), X)
    assert labels.tolist() == ["pattern", "inverted", "mixture", "other"]


def test_mixture_states_are_fixed_points_at_low_load():
    # Amit, Gutfreund and Sompolinsky (1985): symmetric 3-mixtures are stable at low load
    rng = np.random.default_rng(4)
    X = spins(rng, 3, 999)
    W = hopfield.hebbian_weights(X)
    mix = np.sign(X.sum(axis=0))
    assert np.array_equal(hopfield.sync_step(W, mix), mix)
    assert np.allclose(hopfield.overlap_matrix(mix, X), 0.5, atol=0.06)  # m = 1/2 each, in expectation


def test_one_step_error_exact_by_enumeration():
    n, p = 4, 3
    wrong = total = 0
    for bits in itertools.product([-1.0, 1.0], repeat=n * p):
        X = np.array(bits).reshape(p, n)
        unstable = X * hopfield.local_field(hopfield.hebbian_weights(X), X) < 0
        wrong += unstable.sum()
        total += unstable.size
    assert hopfield.one_step_error_exact(n, p) == pytest.approx(wrong / total, abs=1e-12)


def test_one_step_error_theories_agree_at_large_n_and_with_measurement():
    assert hopfield.one_step_error(0.138) == pytest.approx(0.5 * math.erfc(1 / math.sqrt(2 * 0.138)))
    assert hopfield.one_step_error_exact(2000, 201) == pytest.approx(hopfield.one_step_error(0.1), rel=0.1)
    assert hopfield.one_step_error_exact(10, 1) == 0.0
    rng = np.random.default_rng(5)
    curve = hopfield.capacity_curve(400, [0.1, 0.2], trials=6, rng=rng, n_probes=4, max_sweeps=3)
    exact = [hopfield.one_step_error_exact(400, p) for p in curve.p]
    assert np.allclose(curve.bit_error, exact, rtol=0.15)


def test_mceliece_bound():
    assert hopfield.mceliece_capacity(1000) == pytest.approx(1000 / (2 * math.log(1000)))
    assert hopfield.mceliece_capacity(1000) == pytest.approx(72.38, abs=0.01)
    with pytest.raises(ValueError):
        hopfield.mceliece_capacity(1)


def test_capacity_curve_shows_the_transition():
    rng = np.random.default_rng(6)
    c = hopfield.capacity_curve(500, [0.04, 0.3], trials=3, rng=rng, n_probes=16)
    assert c.p.tolist() == [20, 150]
    assert c.stable_fraction[0] == 1.0 and c.overlap[0] == 1.0 and c.recalled[0] == 1.0
    # Amit, Gutfreund and Sompolinsky (1985): no retrieval state above alpha_c = 0.138
    assert c.stable_fraction[1] == 0.0 and c.overlap[1] < 0.6
    again = hopfield.capacity_curve(500, [0.04, 0.3], trials=3, rng=np.random.default_rng(6), n_probes=16)
    assert np.array_equal(again.overlap_trials, c.overlap_trials)


def test_pseudoinverse_capacity_beyond_hebb():
    rng = np.random.default_rng(7)
    c = hopfield.capacity_curve(200, [0.3, 0.5], trials=2, rng=rng, rule="pseudoinverse", noise=0.05)
    assert np.all(c.stable_fraction == 1.0)  # every pattern is a fixed point for p < N
    assert c.overlap[0] > 0.99


def test_basin_curve_shrinks_with_noise():
    rng = np.random.default_rng(8)
    X = spins(rng, 10, 200)
    W = hopfield.hebbian_weights(X)
    frac = hopfield.basin_curve(W, X, [0.0, 0.1, 0.45], trials=3, rng=rng)
    assert frac[0] == 1.0 and frac[1] > 0.9 and frac[2] < 0.5
    with pytest.raises(ValueError, match="noise_levels"):
        hopfield.basin_curve(W, X, [1.5], trials=1, rng=rng)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: hopfield.recall(np.zeros((3, 3)), np.ones(3), mode="fast"), ValueError, "mode"),
    (lambda: hopfield.recall(np.zeros((3, 3)), np.ones(3), max_sweeps=0), ValueError, "max_sweeps"),
    (lambda: hopfield.recall(np.zeros((3, 3)), np.ones(4)), ValueError, "expected N = 3"),
    (lambda: hopfield.sync_step(np.zeros((3, 3)), np.array([1.0, 0.5, 1.0])), ValueError, r"\+1 and -1"),
    (lambda: hopfield.async_sweep(np.zeros((3, 3)), np.ones(3), order=[0, 3]), ValueError, "order"),
    (lambda: hopfield.async_sweep(np.zeros((3, 3)), np.ones(3), rng="seed"), ValueError, "rng"),
    (lambda: hopfield.async_sweep(np.zeros((3, 3)), np.ones(3), rng=1, order=[0, 1, 2]), ValueError, "not both"),
    (lambda: hopfield.capacity_curve(100, [0.1], rule="hopfield"), ValueError, "rule"),
    (lambda: hopfield.capacity_curve(100, [-0.1]), ValueError, "alphas"),
    (lambda: hopfield.capacity_curve(100, [np.nan]), ValueError, "alphas contains NaN"),
    (lambda: hopfield.capacity_curve(100, [0.1], trials=0), ValueError, "trials"),
    (lambda: hopfield.capacity_curve(100, [0.1], n_probes=0), ValueError, "n_probes"),
    (lambda: hopfield.capacity_curve(100, [0.1], noise=np.nan), ValueError, "noise"),
    (lambda: hopfield.capacity_curve(60000, [0.1]), ValueError, r"capacity_curve\(n=60000\).* GiB"),
    (lambda: hopfield.capacity_curve(1, [0.1]), ValueError, "n must be"),
    (lambda: hopfield.recall(np.zeros((3, 3)), np.ones(3), order=[0, 1]), ValueError, "permutation"),
    (lambda: hopfield.recall(np.zeros((3, 3)), np.ones(3), order=[0, 1, 1]), ValueError, "permutation"),
    (lambda: hopfield.recall_steps(np.zeros((3, 3)), np.ones(3), order=[2, 2, 2]), ValueError, "permutation"),
    (lambda: hopfield.recall(np.full((2, 2), np.inf), np.ones(2)), ValueError, "W contains NaN"),
    (lambda: hopfield.recall(np.zeros((2, 2)), np.ones(2), b=[np.nan, 0]), ValueError, "b contains NaN"),
    (lambda: hopfield.sync_step(np.zeros((2, 2)), np.ones(2), b=[np.inf, 0]), ValueError, "b contains NaN"),
    (lambda: hopfield.async_sweep(np.zeros((2, 2)), np.ones(2), b=[np.nan, 0]), ValueError, "b contains NaN"),
    (lambda: hopfield.energy(np.zeros((2, 2)), np.ones(2), b=[np.nan, 0]), ValueError, "b contains NaN"),
    (lambda: hopfield.energy(np.array([[0, np.nan], [np.nan, 0]]), np.ones(2)), ValueError, "W contains NaN"),
    (lambda: hopfield.hebbian_weights(np.ones((0, 5))), ValueError, "at least one pattern"),
    (lambda: hopfield.hebbian_weights(np.ones((3, 0))), ValueError, "at least one unit"),
    (lambda: hopfield.energy(np.zeros((0, 0)), np.ones(0)), ValueError, "N >= 1"),
    (lambda: hopfield.one_step_error(np.nan), ValueError, "alpha contains NaN"),
    (lambda: hopfield.one_step_error_exact(10, 0), ValueError, "p must be"),
    (lambda: hopfield.basin_curve(np.zeros((3, 3)), np.ones((1, 3)), [0.1], trials=0), ValueError, "trials"),
    (lambda: hopfield.crosstalk(np.ones((2, 3)), W=np.zeros((4, 4))), ValueError, "N = 3"),
    (lambda: hopfield.one_step_error(0.0), ValueError, "positive"),
    (lambda: hopfield.recall_steps(np.zeros((3, 3)), np.ones((2, 3))), ValueError, "one state"),
])
def test_bad_input_gets_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
