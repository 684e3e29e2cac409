"""course_lib.bridges: RBM free energy as a dense memory energy, Ramsauer's capacity, generalisation, static memory."""

import math

import numpy as np
import pytest
import torch

from course_lib import bridges, modern

# ------------------------------------------------------------------------- RBM <-> dense associative memory


@pytest.mark.parametrize("hidden", bridges.HIDDEN_UNITS)
def test_closed_form_equals_brute_force_marginal(hidden):
    rng = np.random.default_rng(0)
    W, c, a = rng.normal(size=(6, 9)), rng.normal(size=6), rng.normal(size=9)
    V = rng.integers(0, 2, size=(7, 9)).astype(float)
    closed = bridges.dense_memory_energy(W, V, hidden, shifts=c, bias=a)
    brute = bridges.marginal_free_energy(W, V, hidden, shifts=c, bias=a)
    assert closed.shape == (7,) and np.allclose(closed, brute, atol=1e-9)
    assert bridges.dense_memory_energy(W, V[0], hidden, c, a) == pytest.approx(closed[0])


def test_binary_hidden_units_give_chapter_05s_rbm_free_energy():
    from course_lib import rbm

    gen = torch.Generator().manual_seed(0)
    model = rbm.RBM(12, 5, generator=gen)
    model.W.normal_(0, 0.7, generator=gen)
    model.b.normal_(0, 0.3, generator=gen)
    model.c.normal_(0, 0.3, generator=gen)
    v = torch.randint(0, 2, (10, 12), generator=gen).float()
    ours = bridges.dense_memory_energy(model.W.T.double().numpy(), v.double().numpy(), "binary",
                                       shifts=model.c.double().numpy(), bias=model.b.double().numpy())
    assert np.allclose(ours, model.free_energy(v).double().numpy(), atol=1e-4)


def test_separation_functions_have_their_shapes():
    m = np.linspace(-30, 30, 13)
    assert np.allclose(bridges.separation_function(m, "binary"), np.log1p(np.exp(m)))
    assert np.allclose(bridges.separation_function(m, "spin"), np.log(2 * np.cosh(m)))
    assert np.allclose(bridges.separation_function(m, "gaussian"), m * m / 2)
    big = bridges.softplus(np.array([1000.0, -1000.0]))        # no overflow, the ReLU at large |m|
    assert np.allclose(big, [1000.0, 0.0])


def test_gaussian_hidden_units_give_the_hebbian_hopfield_energy():
    """Barra et al. (2012): Gaussian hidden units and +-1 visible units make a Hopfield network with
    the hidden weight vectors as patterns: E(s) = -1/2 sum_mu (x_mu . s)^2 = -N/2 s^T W_Hebb s - p/2."""
    from course_lib import hopfield

    rng = np.random.default_rng(1)
    X = rng.choice([-1.0, 1.0], size=(3, 10))
    S = rng.choice([-1.0, 1.0], size=(5, 10))
    E = bridges.dense_memory_energy(X, S, "gaussian")
    W = hopfield.hebbian_weights(X)
    classical = -0.5 * 10 * np.einsum("bi,ij,bj->b", S, W, S) - 0.5 * 3 * 10
    assert np.allclose(E, classical)


def test_rbm_bridges_refuse_bad_input():
    W = np.ones((2, 3))
    with pytest.raises(ValueError, match="hidden"):
        bridges.dense_memory_energy(W, np.ones(3), "ternary")
    with pytest.raises(ValueError, match="states"):
        bridges.dense_memory_energy(W, np.ones(4))
    with pytest.raises(ValueError, match="shifts"):
        bridges.dense_memory_energy(W, np.ones(3), shifts=np.ones(3))
    with pytest.raises(ValueError, match="bias"):
        bridges.marginal_free_energy(W, np.ones(3), bias=np.ones(2))
    with pytest.raises(ValueError, match="memories"):
        bridges.dense_memory_energy(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="H <= 16"):
        bridges.marginal_free_energy(np.ones((17, 2)), np.ones(2))
    with pytest.raises(ValueError, match="NaN"):
        bridges.dense_memory_energy(W, np.array([1.0, np.nan, 0.0]))

# ------------------------------------------------------------------------- Ramsauer et al.'s capacity


def test_lambert_w0_inverts_w_exp_w():
    for x in (-1 / math.e, -0.2, 0.0, 0.5, 1.0, 10.0, 1e6):
        w = bridges.lambert_w0(x)
        assert w >= -1 and w * math.exp(w) == pytest.approx(x, rel=1e-12, abs=1e-12)
    assert bridges.lambert_w0(1.0) == pytest.approx(0.5671432904097838, rel=1e-14)  # the omega constant
    with pytest.raises(ValueError, match="-1/e"):
        bridges.lambert_w0(-1.0)


def test_capacity_bound_reproduces_the_papers_examples():
    """Ramsauer et al. (2020), after Theorem 3: c >= 3.1546 for beta = 1, K = 3, d = 20, p = 0.001, and
    c >= 1.3718 for beta = 1, K = 1, d = 75, p = 0.001."""
    first = bridges.ramsauer_capacity_bound(20, 3.0, 1.0, 0.001)
    second = bridges.ramsauer_capacity_bound(75, 1.0, 1.0, 0.001)
    assert round(first.c, 4) == 3.1546 and round(second.c, 4) == 1.3719
    assert first.a + math.log(first.b) > 1.27 and second.a + math.log(second.b) < -0.94
    assert first.condition and second.condition
    assert first.patterns == pytest.approx(math.sqrt(0.001) * first.c ** (19 / 4))
    assert first.radius == pytest.approx(3 * math.sqrt(19))
    # exponential in d: the guarantee's log grows linearly once c has settled
    logs = [math.log(bridges.ramsauer_capacity_bound(d, 3.0, 1.0, 0.001).patterns) for d in (200, 400, 600)]
    assert logs[2] - logs[1] == pytest.approx(logs[1] - logs[0], rel=0.01) and logs[2] > logs[1] > 0
    with pytest.raises(ValueError, match="failure"):
        bridges.ramsauer_capacity_bound(20, 3.0, 1.0, 1.5)
    with pytest.raises(ValueError, match="beta"):
        bridges.ramsauer_capacity_bound(20, 3.0, 0.0, 0.1)


def test_well_separated_matches_the_definition_and_retrieval():
    rng = np.random.default_rng(2)
    X = bridges.random_sphere_patterns(50, 16, 3 * math.sqrt(15), rng)
    assert np.allclose(np.linalg.norm(X, axis=1), 3 * math.sqrt(15))
    ok = bridges.well_separated(X, 1.0)
    delta = modern.separation(X)
    assert np.array_equal(ok, delta >= bridges.separation_threshold(50, 1.0, 3 * math.sqrt(15)))
    assert ok.all()
    # well separated patterns are retrieved by one update from the pattern itself
    err = np.linalg.norm(modern.modern_update(X, X, 1.0) - X, axis=1)
    assert err.max() < 1e-6
    # two identical patterns are never well separated
    Y = np.vstack([X[:3], X[:1]])
    assert not bridges.well_separated(Y, 1.0)[[0, 3]].any()
    with pytest.raises(ValueError, match="p >= 2"):
        bridges.well_separated(X[:1], 1.0)


def test_sphere_capacity_grows_with_the_dimension():
    res = bridges.sphere_capacity([4, 12], 2 ** np.arange(1, 10), K=3.0, trials=1, rng=0)
    assert res.capacity[1] > res.capacity[0] >= 0
    row = res.fraction[1]
    measured = row[~np.isnan(row)]
    assert np.all(measured[:-1] == 1.0) and measured[-1] < 1.0 or np.all(row == 1.0)
    assert np.isnan(res.guaranteed).all()                      # d < 20: the theorem's condition fails
    with pytest.raises(ValueError, match="loads"):
        bridges.sphere_capacity([4], [8, 4])

# ------------------------------------------------------------------------- memorization -> generalization


def test_pseudoinverse_makes_every_unseen_mixture_a_fixed_point_once_the_span_is_covered():
    res = bridges.generalisation_experiment(100, 6, [0.5, 4.0], n_probe=10, rules=("hebbian", "pseudoinverse"),
                                            rng=np.random.default_rng(0))
    assert res.span == 6 + 20
    assert res.rank[-1] == res.span                            # the examples span every mixture
    assert res.fixed["pseudoinverse"]["unseen"][-1] == 1.0
    assert res.overlap["pseudoinverse"]["unseen"][-1] == 1.0
    assert res.fixed["pseudoinverse"]["stored"].min() == 1.0   # stored examples are always fixed points
    for rule in res.overlap:
        for kind, values in res.overlap[rule].items():
            assert values.shape == (2,) and np.all((values >= 0) & (values <= 1)), (rule, kind)


def test_unseen_probes_are_never_stored():
    from course_lib.attention import mix_features

    gen = np.random.default_rng(3)
    feats = gen.choice([-1.0, 1.0], size=(5, 30))
    stored = mix_features(feats, 60, 3, gen)
    unseen = bridges._unseen_mixtures(feats, stored, 5, 3, gen)
    assert not any((u == stored).all(axis=1).any() for u in unseen)
    all_of_them = mix_features(feats, 3000, 3, gen)          # 80 possible mixtures, all stored
    with pytest.raises(ValueError, match="not stored"):
        bridges._unseen_mixtures(feats, all_of_them, 5, 3, gen)


def test_generalisation_experiment_refuses_bad_input():
    with pytest.raises(ValueError, match="rules"):
        bridges.generalisation_experiment(20, 4, [1.0], rules=("storkey",))
    with pytest.raises(ValueError, match="n_mix"):
        bridges.generalisation_experiment(20, 4, [1.0], n_mix=2)
    with pytest.raises(ValueError, match="loads"):
        bridges.generalisation_experiment(20, 4, [0.0])
    with pytest.raises(ValueError, match="noise"):
        bridges.generalisation_experiment(20, 4, [1.0], noise=0.7)

# ------------------------------------------------------------------------- the learned static memory


def test_static_memory_softmax_is_one_hopfield_step_and_relu_is_a_feed_forward_layer():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, 7, generator=gen)
    soft = bridges.StaticMemory(7, 4, 3, kind="softmax", beta=0.5, rng=gen)
    w = soft.weights(x)
    assert torch.allclose(w.sum(1), torch.ones(5))
    assert torch.allclose(soft(x), torch.softmax(0.5 * x @ soft.keys.T, dim=1) @ soft.values, atol=1e-6)
    ffn = bridges.StaticMemory(7, 4, 3, kind="relu", rng=gen)
    with torch.no_grad():
        ffn.shift.fill_(0.1)
    ref = torch.relu(x @ ffn.keys.T + 0.1) @ ffn.values
    assert torch.allclose(ffn(x), ref, atol=1e-6)
    with pytest.raises(ValueError, match="kind"):
        bridges.StaticMemory(7, 4, 3, kind="tanh")
    with pytest.raises(ValueError, match="inputs"):
        soft(torch.randn(5, 6))
    a, b = bridges.StaticMemory(7, 4, 3, rng=3), bridges.StaticMemory(7, 4, 3, rng=3)
    assert torch.equal(a.keys, b.keys)                       # a seed makes the initial memory reproducible


def test_static_memory_learns_a_separable_task():
    gen = torch.Generator().manual_seed(1)
    centres = 3 * torch.randn(4, 10, generator=gen)
    labels = torch.randint(0, 4, (400,), generator=gen)
    inputs = centres[labels] + 0.3 * torch.randn(400, 10, generator=gen)
    torch.manual_seed(0)
    model = bridges.StaticMemory(10, 8, 4, rng=gen)
    losses = bridges.train_static_memory(model, inputs, labels, epochs=30, lr=0.03)
    assert losses[-1] < 0.5 * losses[0]
    with torch.no_grad():
        assert (model(inputs).argmax(1) == labels).float().mean() > 0.95


def test_fast_projection_equals_the_pseudoinverse_rule():
    from course_lib import hopfield
    from course_lib.attention import mix_features

    gen = np.random.default_rng(4)
    feats = gen.choice([-1.0, 1.0], size=(6, 80))
    for p in (10, 300):                                       # fewer and more examples than units
        X = mix_features(feats, p, 3, gen)
        W, rank = bridges._projection_and_rank(X)
        assert rank == np.linalg.matrix_rank(X)
        assert np.allclose(W, hopfield.pseudoinverse_weights(X), atol=1e-10)

# ------------------------------------------------------------------------- chapter 04: Hajek's depth, Peskun's order


def _brute_force_depth(E, n):
    """Minimax path energies by Floyd-Warshall on the hypercube, then the definition of the depth."""
    K = 2 ** n
    B = np.full((K, K), np.inf)
    for k in range(K):
        B[k, k] = E[k]
        for i in range(n):
            B[k, k ^ (1 << i)] = max(E[k], E[k ^ (1 << i)])
    for m in range(K):
        B = np.minimum(B, np.maximum(B[:, m:m + 1], B[m:m + 1, :]))
    depth = 0.0
    for k in range(K):
        is_min = all(E[k ^ (1 << i)] >= E[k] for i in range(n))
        lower = E < E[k] - 1e-12
        if is_min and lower.any():
            depth = max(depth, B[k, lower].min() - E[k])
    return depth


def test_critical_depth_matches_the_definition():
    rng = np.random.default_rng(5)
    for n in (3, 4, 5):
        for _ in range(5):
            E = rng.normal(size=2 ** n)
            assert bridges.critical_depth(E, n) == pytest.approx(_brute_force_depth(E, n), abs=1e-12)
    # a double well: two minima separated by a barrier of height 3 above the shallower one
    E = np.array([0.0, 3.0, 3.0, -1.0])                       # states 00, 10, 01, 11 of two units
    assert bridges.critical_depth(E, 2) == pytest.approx(3.0)
    assert bridges.critical_depth(np.array([0.0, 1.0, 1.0, 2.0]), 2) == 0.0   # one minimum: nothing to climb
    with pytest.raises(ValueError, match="energies"):
        bridges.critical_depth(np.zeros(5), 2)


def test_asymptotic_variance_orders_metropolis_below_gibbs_as_peskun_says():
    from course_lib import boltzmann as bz

    rng = np.random.default_rng(6)
    a = rng.normal(size=(5, 5)) / np.sqrt(5)
    W = np.triu(a, 1) + np.triu(a, 1).T
    S = bz.all_states(5)
    for T in (0.5, 2.0):
        P_gibbs, P_metro = (bz.transition_matrix(W, None, T, k) for k in ("gibbs", "metropolis"))
        off = ~np.eye(32, dtype=bool)
        assert np.all(P_metro[off] >= P_gibbs[off] - 1e-15)    # Peskun's condition holds
        for f in (S[:, 0], S.sum(1), rng.normal(size=32)):
            assert bridges.asymptotic_variance(P_metro, f) <= bridges.asymptotic_variance(P_gibbs, f) + 1e-9
    # independent draws from pi: sigma^2 is the plain variance
    pi = rng.random(6)
    pi /= pi.sum()
    f = rng.normal(size=6)
    iid = np.tile(pi, (6, 1))
    assert bridges.asymptotic_variance(iid, f) == pytest.approx(pi @ f ** 2 - (pi @ f) ** 2)
    with pytest.raises(ValueError, match="rows"):
        bridges.asymptotic_variance(np.ones((2, 2)), np.ones(2))
