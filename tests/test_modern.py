"""course_lib.modern: the modern Hopfield energy and update, dense associative memories (NumPy)."""

import math

import numpy as np
import pytest
import torch

from course_lib import attention, hopfield, modern


def naive_lse(beta, x):
    return np.log(np.sum(np.exp(beta * np.asarray(x, dtype=np.float64)), axis=-1)) / beta


# ------------------------------------------------------------------------------- energy and update

def test_energy_matches_the_formula_and_its_bounds():
    rng = np.random.default_rng(2)
    X, xi, beta = rng.normal(size=(5, 3)), rng.normal(size=(40, 3)) * 3, 1.7
    M = np.linalg.norm(X, axis=1).max()
    want = -naive_lse(beta, xi @ X.T) + 0.5 * np.sum(xi**2, axis=1) + math.log(5) / beta + 0.5 * M**2
    E = modern.modern_energy(X, xi, beta)
    assert E.shape == (40,) and np.allclose(E, want)
    assert np.all(E >= 0)  # 0 <= E everywhere (Ramsauer et al. 2020, Lemma A1)
    inside = xi / np.maximum(1, np.linalg.norm(xi, axis=1, keepdims=True) / M)  # pulled into the ball |xi| <= M
    assert np.all(modern.modern_energy(X, inside, beta) <= 2 * M**2 + 1e-12)
    assert np.ndim(modern.modern_energy(X, xi[0], beta)) == 0


def test_energy_never_rises_under_the_update():
    rng = np.random.default_rng(3)
    for trial in range(20):
        p, n = rng.integers(2, 30), rng.integers(2, 20)
        X = rng.normal(size=(p, n)) * rng.uniform(0.2, 3)
        xi = rng.normal(size=(16, n)) * 2
        for beta in (0.01, 0.1, 1.0, 3.0, 30.0):
            s, E = xi, [modern.modern_energy(X, xi, beta)]
            for _ in range(8):
                s = modern.modern_update(X, s, beta)
                E.append(modern.modern_energy(X, s, beta))
            rises = np.diff(np.array(E), axis=0)
            assert rises.max() <= 1e-10 * (1 + np.abs(E[0]).max()), (trial, beta, rises.max())


def test_update_is_the_softmax_combination_and_the_attention_step():
    rng = np.random.default_rng(4)
    X, xi = rng.normal(size=(6, 5)), rng.normal(size=(3, 5))
    z = 0.7 * xi @ X.T
    w = np.exp(z - z.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    assert np.allclose(modern.modern_update(X, xi, 0.7), w @ X)
    o32 = modern.modern_update(X.astype(np.float32), xi.astype(np.float32), 0.7)
    assert o32.dtype == np.float64 and np.allclose(o32, w @ X, atol=1e-5)  # NumPy in, float64 out
    # chapter 07's torch layer op is the same step (Ramsauer et al. 2020, section 3)
    Xt = torch.tensor(X)
    out, weights = attention.hopfield_attention(torch.tensor(xi), Xt, Xt, beta=0.7)
    assert np.allclose(out.numpy(), modern.modern_update(X, xi, 0.7), rtol=1e-12, atol=1e-12)
    assert np.allclose(weights.numpy(), modern.attention_weights(X, xi, 0.7), rtol=1e-12, atol=1e-12)
    one = attention.hopfield_attention(torch.tensor(xi[0]), Xt, Xt, beta=np.float32(0.7))[0]
    assert np.allclose(one.numpy(), modern.modern_update(X, xi[0], 0.7))


def test_small_beta_averages_large_beta_retrieves():
    rng = np.random.default_rng(5)
    X = rng.choice([-1.0, 1.0], size=(10, 100))
    q = X[3] * np.where(rng.random(100) < 0.2, -1, 1)
    assert np.allclose(modern.modern_update(X, q, 1e-9), X.mean(0), atol=1e-6)
    assert np.array_equal(np.sign(modern.modern_update(X, q, 1.0)), X[3])


def test_one_step_retrieval_within_the_bound():
    """Ramsauer et al. (2020), Theorem 5: |T(xi) - x_i| <= 2 (p-1) M exp(-beta (Delta_i - 2 M |xi - x_i|))."""
    rng = np.random.default_rng(6)
    for _ in range(10):
        p, n = 12, 64
        X = rng.choice([-1.0, 1.0], size=(p, n))
        delta = modern.separation(X)
        M = np.sqrt(n)
        idx = rng.integers(0, p, size=50)
        radius = rng.uniform(0, 0.25, size=50) * delta[idx] / (2 * M)  # keep Delta_i - 2 M r > 0
        dirs = rng.normal(size=(50, n))
        q = X[idx] + dirs / np.linalg.norm(dirs, axis=1, keepdims=True) * radius[:, None]
        for beta in (0.02, 0.1, 0.5):
            err = np.linalg.norm(modern.modern_update(X, q, beta) - X[idx], axis=1)
            bound = modern.one_step_error_bound(X, q, idx, beta)
            assert np.all(err <= bound * (1 + 1e-9) + 1e-12)
        # large beta: the bound is tiny, and one step has retrieved the pattern
        bound = modern.one_step_error_bound(X, q, idx, 1.0)
        assert bound.max() < 1e-6
        one = modern.modern_update(X, q, 1.0)
        assert np.linalg.norm(one - X[idx], axis=1).max() < 1e-6
        assert np.allclose(modern.modern_update(X, one, 1.0), one, atol=1e-6)  # and it is (numerically) fixed


def test_separation_values():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    # G = [[1,0,1],[0,1,1],[1,1,2]]: Delta = [1-1, 1-1, 2-1]
    assert modern.separation(X).tolist() == [0.0, 0.0, 1.0]


def test_effective_patterns_and_weights():
    X = np.eye(4)
    w = modern.attention_weights(X, np.zeros(4), 1.0)
    assert np.allclose(w, 0.25) and modern.effective_patterns(w) == pytest.approx(4.0)
    assert modern.effective_patterns(np.array([0.0, 1.0, 0.0])) == pytest.approx(1.0)


def test_retrieval_rate():
    rng = np.random.default_rng(7)
    X = rng.choice([-1.0, 1.0], size=(30, 200))
    t = np.arange(30)
    assert modern.retrieval_rate(X, X, t, beta=1.0) == 1.0
    assert modern.retrieval_rate(X, X, (t + 1) % 30, beta=1.0) == 0.0
    assert modern.retrieval_rate(X, X, t, beta=1e-8) == 0.0  # the global average is no stored pattern


def test_landscape_fixed_points():
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    hot = modern.landscape(X, beta=0.1, resolution=41)
    assert hot.energy.shape == (41, 41) and len(hot.fixed_points) == 1
    assert np.allclose(hot.fixed_points[0], X.mean(0), atol=0.05)  # small beta: one minimum near the mean
    cold = modern.landscape(X, beta=20.0, resolution=41)
    fp = cold.fixed_points[cold.minima]
    assert len(fp) == 3 and all(np.min(np.linalg.norm(fp - x, axis=1)) < 1e-3 for x in X)
    # every reported fixed point is one: T(xi) = xi
    assert np.allclose(modern.modern_update(X, cold.fixed_points, 20.0), cold.fixed_points, atol=1e-3)


# --------------------------------------------------------------------------------- dense memories

def test_dense_energy_values():
    X = np.array([[1.0, 1.0, -1.0], [1.0, -1.0, 1.0]])
    s = np.array([1.0, 1.0, 1.0])  # overlaps 1 and 1
    assert modern.dense_energy(X, s, 3) == -2.0
    assert modern.dense_energy(X, X, 2).tolist() == [-10.0, -10.0]  # 9 + 1 each
    assert modern.dense_energy(X, X[0], "exp") == pytest.approx(-(math.e**3 + math.e**-1))


def test_dense_update_never_raises_the_energy():
    rng = np.random.default_rng(8)
    for F in (2, 3, 4, 5, "exp"):
        X = rng.choice([-1.0, 1.0], size=(40, 24))
        S = rng.choice([-1.0, 1.0], size=(30, 24))
        E = [modern.dense_energy(X, S, F)]
        for _ in range(4):
            S = modern.dense_update(X, S, F, sweeps=1, rng=rng)
            E.append(modern.dense_energy(X, S, F))
        assert np.all(np.diff(np.array(E), axis=0) <= 1e-9 * np.abs(E[0]).max())
        fixed = modern.dense_update(X, S, F, sweeps=20, rng=5)  # converged: more sweeps, in any order, keep it
        assert np.array_equal(modern.dense_update(X, fixed, F, sweeps=3, rng=6), fixed)


def test_dense_n2_is_classical_hebb():
    rng = np.random.default_rng(9)
    X = rng.choice([-1.0, 1.0], size=(9, 50))
    probes = np.where(rng.random((30, 50)) < 0.2, -1.0, 1.0) * X[rng.integers(0, 9, 30)]
    dense = modern.dense_update(X, probes, 2, sweeps=30, rng=np.random.default_rng(1))
    hebb = hopfield.recall(hopfield.hebbian_weights(X), probes, max_sweeps=30, rng=np.random.default_rng(1)).states
    assert np.array_equal(dense, hebb)  # F(x) = x^2 is chapter 03's network, unit order for unit order


def test_dense_capacity_above_classical_at_equal_n():
    loads = np.array([2, 4, 8, 16, 32, 64, 128])
    rates = modern.dense_capacity_curve(32, loads, [2, 3, "exp"], trials=2, rng=np.random.default_rng(10)).rates
    caps = {F: modern.capacity_from_curve(loads, r) for F, r in rates.items()}
    assert caps[2] < caps[3] <= caps["exp"]
    assert caps[2] <= 0.138 * 32  # classical: below the Amit-Gutfreund-Sompolinsky limit
    assert caps[3] > 0.138 * 32


def test_capacity_helpers():
    assert modern.capacity_from_curve([1, 2, 4, 8], [1.0, 0.95, 0.5, 0.95]) == 2
    assert modern.capacity_from_curve([1, 2], [0.1, 1.0]) == 0
    assert modern.krotov_hopfield_capacity(100, 2) == pytest.approx(100 / (2 * math.log(100)))
    assert modern.krotov_hopfield_capacity(100, 3) == pytest.approx(100**2 / (2 * 3 * math.log(100)))


def test_dense_update_does_not_overflow_for_huge_powers():
    """F(x) = x^200 at N = 1000: every term is ~1000^200 = 1e600, beyond float64; the sign of the energy
    difference is still computed (in the log domain), so a damaged pattern is recalled, not left as is."""
    rng = np.random.default_rng(11)
    X = rng.choice([-1.0, 1.0], size=(200, 1000))
    probes = X[:4].copy()
    probes[:, :150] *= -1
    out = modern.dense_update(X, probes, 200, sweeps=2, rng=0)
    assert np.array_equal(out, X[:4])


def test_large_power_gain_sign_agrees_with_exact_integers():
    """The log-domain branch of the unit rule against Python's exact big integers."""
    rng = np.random.default_rng(14)
    for _ in range(30):
        plus = rng.integers(-60, 61, size=(1, 7)).astype(float)
        minus = plus - 2 * rng.choice([-1.0, 1.0], size=(1, 7))
        for F in (15, 16, 40):
            exact = sum(int(a) ** F - int(b) ** F for a, b in zip(plus[0], minus[0], strict=True))
            got = modern._unit_gain(plus, minus, F)[0]
            assert np.sign(got) == np.sign(exact), (plus, minus, F)


def test_dense_update_rng_and_order():
    rng = np.random.default_rng(15)
    X, S = rng.choice([-1.0, 1.0], size=(8, 20)), rng.choice([-1.0, 1.0], size=(5, 20))
    assert np.array_equal(modern.dense_update(X, S, 3, rng=4), modern.dense_update(X, S, 3, rng=4))
    assert np.array_equal(modern.dense_update(X, S, 3, order=np.arange(20)),
                          modern.dense_update(X, S, 3, order=list(range(20))))
    with pytest.raises(ValueError, match="not both"):
        modern.dense_update(X, S, 3, rng=1, order=np.arange(20))
    with pytest.raises(ValueError, match="permutation"):
        modern.dense_update(X, S, 3, order=np.arange(10))


# ------------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("call,match", [
    (lambda: modern.modern_energy(np.ones((3, 4)), np.ones(5), 1.0), "N = 4"),
    (lambda: modern.modern_update(np.ones((0, 4)), np.ones(4), 1.0), "p >= 1"),
    (lambda: modern.modern_update(np.ones((3, 0)), np.ones(0), 1.0), "N >= 1"),
    (lambda: modern.modern_update(np.ones((3, 4)), np.ones(4), np.nan), "beta"),
    (lambda: modern.modern_update(np.ones((3, 4)), [1, 2, np.inf, 0], 1.0), "states contains NaN"),
    (lambda: modern.retrieval_rate(np.ones((3, 4)), np.ones((2, 4)), [0, -1], 1.0), "targets"),
    (lambda: modern.retrieval_rate(np.ones((3, 4)), np.ones((2, 4)), [0, 3], 1.0), "targets"),
    (lambda: modern.retrieval_rate(np.ones((3, 4)), np.ones((0, 4)), [], 1.0), "non-empty"),
    (lambda: modern.dense_capacity_curve(16, [2, 4], [2], trials=0), "trials"),
    (lambda: modern.dense_capacity_curve(16, [2, 4], [2], trials=1, noise=np.nan), "noise"),
    (lambda: modern.dense_update(np.ones((0, 3)), np.ones(3), 2), "at least one pattern"),
    (lambda: modern.effective_patterns([0.5, np.nan]), "NaN"),
    (lambda: modern.capacity_from_curve([1, 2], [1.0]), "same length"),
    (lambda: modern.modern_energy(np.ones(4), np.ones(4), 1.0), r"shape \(p, N\)"),
    (lambda: modern.modern_update(np.ones((3, 4)), np.ones((2, 2, 4)), 1.0), r"\(N,\) or \(B, N\)"),
    (lambda: modern.modern_update(np.ones((3, 4)), np.ones(4), 1.0, steps=0), "steps"),
    (lambda: modern.separation(np.ones((1, 4))), "p >= 2"),
    (lambda: modern.one_step_error_bound(np.eye(3), np.ones((2, 3)), 0, 1.0), "one per state"),
    (lambda: modern.one_step_error_bound(np.eye(3), np.ones(3), 5, 1.0), "index"),
    (lambda: modern.dense_energy(np.ones((2, 3)), np.array([1.0, 0.0, 1.0]), 2), r"\+1 and -1"),
    (lambda: modern.dense_energy(np.ones((2, 3)), np.ones(3), 0), "positive integer n"),
    (lambda: modern.dense_update(np.ones((2, 3)), np.ones(3), "cosh"), "'exp'"),
    (lambda: modern.dense_update(np.ones((2, 3)), np.ones(4), 3), "expected N = 3"),
    (lambda: modern.landscape(np.ones((3, 3)), 1.0), r"\(p, 2\)"),
])
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_each_update_lowers_the_energy_by_half_the_squared_step():
    """Concave-convex procedure: E(xi) - E(T(xi)) >= |T(xi) - xi|^2 / 2 (E_1 = xi.xi/2 has unit curvature)."""
    rng = np.random.default_rng(12)
    X = rng.normal(size=(25, 6)) * 1.5
    xi = rng.normal(size=(100, 6)) * 3
    for beta in (0.05, 0.5, 5.0, 50.0):
        new = modern.modern_update(X, xi, beta)
        drop = modern.modern_energy(X, xi, beta) - modern.modern_energy(X, new, beta)
        assert np.all(drop >= 0.5 * np.sum((new - xi) ** 2, axis=1) - 1e-9)
        # and the inequality is not slack everywhere: it is an equality up to the concave part's curvature
        assert np.min(drop - 0.5 * np.sum((new - xi) ** 2, axis=1)) < 0.5 * np.max(drop)


def test_torch_input_is_not_switched_on():
    """modern is NumPy-only: a tensor is read as an array and the result is a NumPy array."""
    rng = np.random.default_rng(13)
    X, xi = rng.choice([-1.0, 1.0], size=(8, 30)), rng.normal(size=(5, 30))
    out = modern.modern_update(torch.tensor(X), torch.tensor(xi), 0.3)
    assert isinstance(out, np.ndarray) and np.allclose(out, modern.modern_update(X, xi, 0.3))


def test_result_is_a_frozen_dataclass():
    view = modern.landscape(np.array([[1.0, 0.0], [0.0, 1.0]]), 2.0, resolution=11)
    with pytest.raises(AttributeError):
        view.minima = None


def test_widget_draws_the_landscape():
    import matplotlib.pyplot as plt

    from course_lib.widgets import ch06

    X = np.array([[1.0, 0.25], [1.0, -0.25], [-0.7, 0.8], [-0.6, -0.9]])
    fig = ch06.draw_landscape(X, 5.0, resolution=41)
    assert "3 minima" in fig.axes[0].get_title()
    plt.close(fig)
    box = ch06.beta_explorer(X, beta=0.5)
    assert box.children[1].children[0].value == pytest.approx(0.5)
