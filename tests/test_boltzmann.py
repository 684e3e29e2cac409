"""Chapter 04: every probabilistic claim of course_lib.boltzmann against exact enumeration."""

import itertools

import numpy as np
import pytest

from course_lib import boltzmann as bz
from course_lib import hopfield


def sym(rng, n, scale=1.0):
    a = rng.normal(scale=scale, size=(n, n))
    w = (a + a.T) / 2
    np.fill_diagonal(w, 0.0)
    return w


@pytest.fixture
def small():
    rng = np.random.default_rng(4)
    return sym(rng, 5), rng.normal(scale=0.5, size=5)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ----------------------------------------------------------------------------- enumeration

def test_all_states_order_and_inverse():
    S = bz.all_states(4)
    assert S.shape == (16, 4) and len({tuple(r) for r in S}) == 16
    assert S[0].tolist() == [-1, -1, -1, -1] and S[1].tolist() == [1, -1, -1, -1] and S[-1].tolist() == [1] * 4
    assert np.array_equal(bz.state_index(S), np.arange(16))
    assert bz.state_index(S[5]) == 5


def test_exact_distribution_matches_a_loop_over_states(small):
    W, b = small
    T = 0.7
    brute = np.array([np.exp(-hopfield.energy(W, np.array(s), b) / T)
                      for s in itertools.product([-1.0, 1.0], repeat=5)])
    order = bz.state_index(np.array(list(itertools.product([-1.0, 1.0], repeat=5))))
    p = bz.exact_distribution(W, b, T)
    assert np.isclose(p.sum(), 1.0)
    assert np.allclose(p[order], brute / brute.sum())
    assert np.isclose(bz.log_partition(W, b, T), np.log(brute.sum()))


def test_low_temperature_does_not_overflow_and_finds_the_ground_state(small):
    W, b = small
    e = bz.state_energies(W, b)
    p = bz.exact_distribution(W, b, 1e-3)
    assert np.all(np.isfinite(p)) and p[np.argmin(e)] > 0.999
    assert np.isfinite(bz.log_partition(W * 1e4, b, 1e-2))


def test_thermodynamics_identities(small):
    W, b = small
    Ts = np.array([0.3, 0.8, 1.5, 1e4])
    th = bz.thermodynamics(W, b, Ts)
    for k, T in enumerate(Ts):  # S = -sum p ln p and F = U - T S
        p = bz.exact_distribution(W, b, T)
        assert np.isclose(th.entropy[k], -np.sum(p * np.log(p)))
        assert np.isclose(-T * th.log_Z[k], th.mean_energy[k] - T * th.entropy[k])
    assert np.isclose(th.entropy[-1], 5 * np.log(2), atol=1e-6)  # T -> infinity: all 32 states equally likely
    # C = dU/dT (fluctuation-dissipation), against a central difference
    T, dT = 0.9, 1e-5
    u = bz.thermodynamics(W, b, [T - dT, T + dT]).mean_energy
    assert np.isclose(bz.thermodynamics(W, b, [T]).heat_capacity[0], (u[1] - u[0]) / (2 * dT), rtol=1e-6)


def test_entropy_at_low_temperature_counts_the_ground_states():
    rng = np.random.default_rng(0)
    W = sym(rng, 6)  # no bias: E(s) = E(-s), so the ground state is (at least) doubly degenerate
    assert np.isclose(bz.thermodynamics(W, None, [1e-3]).entropy[0], np.log(2), atol=1e-6)


# ----------------------------------------------------------------------------- the flip rule

def test_probability_up_is_the_exact_conditional(small):
    W, b = small
    S = bz.all_states(5)
    h = hopfield.local_field(W, S, b)
    for T in (0.4, 1.0, 3.0):
        for i in range(5):
            assert np.allclose(bz.conditional_on(W, b, T, i), bz.probability_up(h[:, i], T))
            assert np.allclose(bz.probability_up(h[:, i], T), sigmoid(2 * h[:, i] / T))
            assert not np.allclose(bz.conditional_on(W, b, T, i), sigmoid(h[:, i] / T))


def test_probability_up_limits_and_symmetry():
    h = np.array([-800.0, -1.0, 0.0, 1.0, 800.0])
    p = bz.probability_up(h, 0.5)
    assert p.tolist()[0] == 0.0 and p[2] == 0.5 and p.tolist()[-1] == 1.0
    assert np.allclose(p + bz.probability_up(-h, 0.5), 1.0)
    assert np.isclose(p[3] / (1 - p[3]), np.exp(2 * 1.0 / 0.5))  # odds exp(2h/T)
    assert isinstance(bz.probability_up(0.3, 1.0), float)


# ----------------------------------------------------------------------------- kernels

@pytest.mark.parametrize("kernel", ["gibbs", "metropolis"])
@pytest.mark.parametrize("T", [0.5, 2.0])
def test_detailed_balance_of_each_single_site_kernel(small, kernel, T):
    W, b = small
    pi = bz.exact_distribution(W, b, T)
    for site in [*range(5), None]:
        P = bz.transition_matrix(W, b, T, kernel, site=site)
        assert np.allclose(P.sum(axis=1), 1.0) and P.min() >= 0
        flow = pi[:, None] * P
        assert np.allclose(flow, flow.T, atol=1e-15)      # pi_i P_ij = pi_j P_ji
        assert np.allclose(pi @ P, pi, atol=1e-15)        # hence stationarity
        if site is not None:  # a single-site move changes at most unit `site`
            changed = bz.all_states(5)[:, None, :] != bz.all_states(5)[None, :, :]
            assert np.all(P[changed.sum(axis=2) > 1] == 0)
            assert np.all(P[changed[:, :, site] & (changed.sum(axis=2) == 1)] > 0)


def test_a_whole_sequential_sweep_keeps_pi_stationary(small):
    W, b = small
    pi = bz.exact_distribution(W, b, 1.0)
    sweep = np.linalg.multi_dot([bz.transition_matrix(W, b, 1.0, "gibbs", site=i) for i in range(5)])
    assert np.allclose(pi @ sweep, pi)
    assert np.isclose(bz.total_variation(bz.stationary_distribution(sweep), pi), 0.0, atol=1e-10)


def test_the_wrong_rule_samples_temperature_2T(small):
    """sigma(h/T) for +-1 spins: detailed balance fails at T and holds exactly at 2T."""
    W, b = small
    T = 0.8
    P = bz.transition_matrix(W, b, T, "gibbs", up_rule=lambda h, t: sigmoid(h / t))
    for target, ok in ((T, False), (2 * T, True), (T / 2, False)):
        pi = bz.exact_distribution(W, b, target)
        flow = pi[:, None] * P
        assert np.allclose(flow, flow.T, atol=1e-14) is ok
    stat = bz.stationary_distribution(P)
    assert bz.total_variation(stat, bz.exact_distribution(W, b, 2 * T)) < 1e-10
    assert bz.total_variation(stat, bz.exact_distribution(W, b, T)) > 0.1
    assert bz.total_variation(stat, bz.exact_distribution(W, b, T / 2)) > 0.1
    assert np.allclose(bz.wrong_probability_up(np.linspace(-3, 3, 7), T), sigmoid(np.linspace(-3, 3, 7) / T))


# ----------------------------------------------------------------------------- samplers

def test_sweep_functions_follow_their_definition():
    rng = np.random.default_rng(7)
    W, b = sym(rng, 4), rng.normal(size=4)
    s, u = rng.choice([-1.0, 1.0], size=(3, 4)), rng.random((3, 4))
    want = s.copy()
    for i in range(4):
        want[:, i] = np.where(u[:, i] < sigmoid(2 * (want @ W[i] + b[i]) / 0.9), 1.0, -1.0)
    before = s.copy()
    assert np.array_equal(bz.gibbs_sweep(W, b, s, 0.9, u), want) and np.array_equal(s, before)
    want = s.copy()
    for i in range(4):
        d_e = 2 * want[:, i] * (want @ W[i] + b[i])
        want[:, i] = np.where(u[:, i] < np.minimum(1, np.exp(-d_e / 0.9)), -want[:, i], want[:, i])
    assert np.array_equal(bz.metropolis_sweep(W, b, s, 0.9, u), want)


# Bound on the sampled distribution. 400 chains x 200 sweeps = 80,000 correlated samples over
# 32 states. For n independent samples E[TV] ~ sum_k sqrt(p_k / (2 pi n)) ~ 0.01 here; the
# correlation between sweeps costs a factor of a few, so 0.03 is the stated bound at seed 0.
TV_BOUND = 0.03


@pytest.mark.parametrize("chain", [bz.gibbs_chain, bz.metropolis_chain])
def test_sampled_histogram_matches_the_exact_distribution(small, chain):
    W, b = small
    pi = bz.exact_distribution(W, b, 1.0)
    trace = chain(W, b, 1.0, n_sweeps=200, n_chains=400, rng=np.random.default_rng(0), trace=True)
    assert trace.shape == (201, 400, 5)
    tv = bz.total_variation(bz.empirical_distribution(trace[20:]), pi)  # 20 sweeps of burn-in
    assert tv < TV_BOUND
    # the bound is tight enough to catch a different temperature
    assert bz.total_variation(bz.empirical_distribution(trace[20:]), bz.exact_distribution(W, b, 1.3)) > 3 * TV_BOUND


def test_running_total_variation_matches_a_direct_histogram(small):
    W, b = small
    pi = bz.exact_distribution(W, b, 1.0)
    trace = bz.gibbs_chain(W, b, 1.0, 30, 7, np.random.default_rng(3), trace=True)
    run = bz.running_total_variation(trace, pi)
    assert run.shape == (31,)
    for t in (0, 5, 30):
        assert np.isclose(run[t], bz.total_variation(bz.empirical_distribution(trace[: t + 1]), pi))


def test_sweep_matrix_is_what_a_sweep_does(small):
    """Row k of the sweep matrix is the law of one metropolis_sweep started in state k."""
    W, b = small
    P = bz.sweep_matrix(W, b, 0.7, "metropolis")
    assert np.allclose(P.sum(axis=1), 1.0)
    start = bz.all_states(5)[[3, 17]]
    many = np.repeat(start, 20000, axis=0)
    out = bz.metropolis_sweep(W, b, many, 0.7, np.random.default_rng(1).random(many.shape))
    for r, k in enumerate((3, 17)):
        freq = bz.empirical_distribution(out[r * 20000:(r + 1) * 20000])
        assert bz.total_variation(freq, P[k]) < 0.02   # 20,000 draws of one row


def test_the_wrong_rule_chain_is_caught_by_sampling(small):
    W, b = small
    trace = bz.gibbs_chain(W, b, 1.0, 200, 400, np.random.default_rng(0), trace=True,
                           up_rule=bz.wrong_probability_up)
    q = bz.empirical_distribution(trace[20:])
    assert bz.total_variation(q, bz.exact_distribution(W, b, 2.0)) < TV_BOUND
    assert bz.total_variation(q, bz.exact_distribution(W, b, 1.0)) > 5 * TV_BOUND


def test_chain_shapes_init_and_reproducibility(small):
    W, b = small
    a = bz.gibbs_chain(W, b, 1.0, 5, 3, np.random.default_rng(1))
    assert a.shape == (3, 5) and np.array_equal(a, bz.gibbs_chain(W, b, 1.0, 5, 3, np.random.default_rng(1)))
    start = np.ones(5)
    assert np.array_equal(bz.metropolis_chain(W, b, 1.0, 0, 2, np.random.default_rng(0), init=start), np.ones((2, 5)))


# ----------------------------------------------------------------------------- descent and annealing

def test_greedy_descent_stops_in_local_minima_and_never_climbs():
    rng = np.random.default_rng(2)
    W = sym(rng, 30)
    S = rng.choice([-1.0, 1.0], size=(50, 30))
    out = bz.greedy_descent(W, None, S)
    assert np.all(out * hopfield.local_field(W, out) >= 0)
    assert np.all(hopfield.energy(W, out) <= hopfield.energy(W, S) + 1e-12)


def test_schedules():
    g = bz.geometric_schedule(2.0, 0.02, 5)
    assert np.isclose(g[0], 2.0) and np.isclose(g[-1], 0.02) and np.allclose(g[1:] / g[:-1], 0.01 ** 0.25)
    lin = bz.linear_schedule(2.0, 0.5, 4)
    assert lin.tolist() == [2.0, 1.5, 1.0, 0.5]
    lg = bz.logarithmic_schedule(1.0, 3)
    assert np.allclose(lg, [1.0, np.log(2) / np.log(3), 0.5])


def test_annealing_beats_greedy_descent_on_a_fixed_instance():
    """N = 16 Hopfield net storing 10 random patterns (far beyond capacity): its ground state is known exactly."""
    rng = np.random.default_rng(0)
    W = hopfield.hebbian_weights(rng.choice([-1.0, 1.0], size=(10, 16)))
    ground = bz.state_energies(W).min()
    starts = np.random.default_rng(1).choice([-1.0, 1.0], size=(200, 16))
    e_greedy = hopfield.energy(W, bz.greedy_descent(W, None, starts))
    s, trace = bz.anneal(W, None, bz.geometric_schedule(2.0, 0.05, 200), np.random.default_rng(2),
                         n_chains=200, init=starts)
    assert trace.shape == (202, 200) and np.allclose(trace[-1], hopfield.energy(W, s))
    assert np.all(e_greedy >= ground - 1e-9) and np.all(trace[-1] >= ground - 1e-9)
    hit_greedy, hit_anneal = np.isclose(e_greedy, ground).mean(), np.isclose(trace[-1], ground).mean()
    assert trace[-1].mean() < e_greedy.mean() - 0.2
    assert hit_anneal > hit_greedy + 0.2


# ----------------------------------------------------------------------------- learning

def parity_data():
    """Three visible units with v3 = -v1 v2: every pairwise correlation is zero."""
    return np.array([[a, c, -a * c] for a in (-1.0, 1.0) for c in (-1.0, 1.0)])


def test_learning_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    n, nv = 5, 3
    A = rng.normal(scale=0.5, size=(n, n))
    W, b = np.triu(A, 1) + np.triu(A, 1).T, rng.normal(scale=0.3, size=n)
    V = parity_data()[:3]
    dW, db = bz.bm_gradient(W, b, V, nv)
    assert np.allclose(dW, dW.T) and np.all(np.diag(dW) == 0)
    eps = 1e-5

    def ll(W_, b_):
        return bz.bm_log_likelihood(W_, b_, V, nv)

    for i, j in itertools.combinations(range(n), 2):  # W_ij and W_ji move together
        E = np.zeros((n, n))
        E[i, j] = E[j, i] = eps
        assert np.isclose((ll(W + E, b) - ll(W - E, b)) / (2 * eps), dW[i, j], atol=1e-8)
    for i in range(n):
        e = np.eye(n)[i] * eps
        assert np.isclose((ll(W, b + e) - ll(W, b - e)) / (2 * eps), db[i], atol=1e-8)


def test_sampled_gradient_estimates_the_exact_one():
    rng = np.random.default_rng(5)
    n, nv = 5, 3
    A = rng.normal(scale=0.3, size=(n, n))  # weak couplings: 20 sweeps mix well
    W, b = np.triu(A, 1) + np.triu(A, 1).T, rng.normal(scale=0.3, size=n)
    dW, db = bz.bm_gradient(W, b, parity_data(), nv)
    sW, sb = bz.bm_gradient_sampled(W, b, parity_data(), nv, np.random.default_rng(0), n_sweeps=20, n_chains=2000)
    # each entry is a difference of two means of +-1 products over 2000 samples: s.d. <= 0.03
    assert np.abs(sW - dW).max() < 0.1 and np.abs(sb - db).max() < 0.1


def test_kl_is_log_likelihood_up_to_the_data_entropy():
    rng = np.random.default_rng(6)
    A = rng.normal(size=(5, 5))
    W, b = np.triu(A, 1) + np.triu(A, 1).T, rng.normal(size=5)
    V = parity_data()
    assert np.isclose(bz.kl_to_data(W, b, V, 3), -np.log(4) - bz.bm_log_likelihood(W, b, V, 3))
    assert np.isclose(bz.model_visible_distribution(W, b, 3).sum(), 1.0)


def test_hidden_units_are_needed_for_parity():
    V = parity_data()
    visible_only = bz.fit_boltzmann_machine(V, 0, n_epochs=300, lr=0.3, rng=np.random.default_rng(0))
    hidden = bz.fit_boltzmann_machine(V, 2, n_epochs=300, lr=0.3, rng=np.random.default_rng(0))
    # without hidden units the best model matches zero means and correlations: uniform, KL = ln 2
    assert np.isclose(visible_only.kl[-1], np.log(2), atol=1e-4)
    assert hidden.kl[-1] < 0.1 * np.log(2)
    assert np.all(np.diff(hidden.kl) <= 1e-12)   # small exact-gradient steps: the likelihood never falls


# ----------------------------------------------------------------------------- widget logic

def test_temperature_view(small):
    W, b = small
    cold, hot = bz.temperature_view(W, b, 0.01), bz.temperature_view(W, b, 50.0)
    assert np.all(np.diff(cold.energies) >= 0) and np.isclose(cold.probabilities.sum(), 1)
    assert np.isclose(cold.p_ground, bz.exact_distribution(W, b, 0.01).max()) and cold.p_ground > 0.99
    assert cold.entropy < hot.entropy <= 5 * np.log(2)
    assert np.isclose(hot.mean_energy, bz.thermodynamics(W, b, [50.0]).mean_energy[0])
    assert cold.probabilities[0] == cold.probabilities.max()


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call,match", [
    (lambda: bz.all_states(21), "too many to enumerate"),
    (lambda: bz.all_states(0), "integer >= 1"),
    (lambda: bz.exact_distribution(np.zeros((21, 21))), "N = 21 units is too many"),
    (lambda: bz.transition_matrix(np.zeros((11, 11))), "transition matrix"),
    (lambda: bz.exact_distribution(np.zeros((3, 3)), T=0), "positive"),
    (lambda: bz.probability_up(1.0, -1.0), "positive"),
    (lambda: bz.exact_distribution(np.array([[0.0, 1.0], [0.0, 0.0]])), "symmetric"),
    (lambda: bz.gibbs_chain(np.zeros((3, 3)), None, 1.0, 5, 2, rng="0"), "rng must be"),
    (lambda: bz.gibbs_chain(np.full((3, 3), np.nan), None, 1.0, 5, 2), "W contains NaN"),
    (lambda: bz.gibbs_chain(np.zeros((3, 3)), [np.inf, 0, 0], 1.0, 5, 2), "b contains NaN"),
    (lambda: bz.greedy_descent(np.zeros((3, 3)), [np.nan, 0, 0], np.ones(3)), "b contains NaN"),
    (lambda: bz.greedy_descent(np.full((3, 3), np.inf), None, np.ones(3)), "W contains NaN"),
    (lambda: bz.gibbs_chain(np.zeros((3, 3)), None, np.nan, 5, 2), "T must be"),
    (lambda: bz.kl_to_data(np.zeros((3, 3)), None, np.ones((0, 2)), 2), "at least one row"),
    (lambda: bz.fit_boltzmann_machine(np.ones((0, 3)), 1), "at least one row"),
    (lambda: bz.fit_boltzmann_machine(np.ones((2, 3)), 1, lr=np.nan), "lr"),
    (lambda: bz.empirical_distribution(np.ones((0, 3))), "at least one"),
    (lambda: bz.gibbs_sweep(np.zeros((2, 2)), None, np.ones(2), 1.0, [np.nan, 0.5]), "u contains NaN"),
    (lambda: bz.conditional_on(np.zeros((2, 2)), None, 1.0, -1), "unit index"),
    (lambda: bz.probability_up(np.nan, 1.0), "h contains NaN"),
    (lambda: bz.thermodynamics(np.zeros((2, 2)), None, [1.0, np.nan]), "temperatures"),
    (lambda: bz.gibbs_chain(np.zeros((3, 3)), None, 1.0, 5, 0, np.random.default_rng()), "n_chains"),
    (lambda: bz.gibbs_chain(np.zeros((3, 3)), None, 1.0, 2, 2, np.random.default_rng(), init=np.ones((3, 3))),
     "init must have shape"),
    (lambda: bz.gibbs_sweep(np.zeros((3, 3)), None, np.ones(3), 1.0, np.ones(2)), "u must have"),
    (lambda: bz.transition_matrix(np.zeros((3, 3)), kernel="glauber"), "kernel"),
    (lambda: bz.total_variation(np.ones(3) / 3, np.ones(4) / 4), "same shape"),
    (lambda: bz.bm_gradient(np.zeros((4, 4)), None, np.ones((2, 5)), 5), "exceeds"),
    (lambda: bz.fit_boltzmann_machine(np.ones((2, 3)), 1, gradient="magic"), "gradient must be"),
    (lambda: bz.anneal(np.zeros((3, 3)), None, [1.0, 0.0]), "positive"),
])
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_energies_of_huge_magnitude_give_a_distribution_not_nan():
    e = np.array([1e308, -1e308, 0.0])
    assert np.allclose(bz.boltzmann_probabilities(e, 1.0), [0.0, 1.0, 0.0])


def test_greedy_descent_is_chapter_03s_recall_in_order_without_self_coupling():
    rng = np.random.default_rng(12)
    W = sym(rng, 10)
    np.fill_diagonal(W, 0.7)
    S = rng.choice([-1.0, 1.0], size=(20, 10))
    W0 = W.copy()
    np.fill_diagonal(W0, 0.0)
    want = hopfield.recall(W0, S, order=np.arange(10)).states
    assert np.array_equal(bz.greedy_descent(W, None, S), want)


def test_result_dataclasses_are_frozen(small):
    W, b = small
    th = bz.thermodynamics(W, b, [1.0])
    with pytest.raises(AttributeError):
        th.log_Z = None


def test_thermodynamics_in_chunks_equals_one_temperature_at_a_time():
    rng = np.random.default_rng(9)
    W, b = sym(rng, 12), rng.normal(size=12)     # 4096 states: 1024 temperatures per chunk
    Ts = np.geomspace(0.1, 10, 1500)
    obs = rng.normal(size=(4096, 2))
    th = bz.thermodynamics(W, b, Ts, observables=obs)
    for k in (0, 1023, 1024, 1499):
        one = bz.thermodynamics(W, b, [Ts[k]], observables=obs)
        for key in ("log_Z", "mean_energy", "entropy", "heat_capacity", "abs_magnetisation", "observables"):
            assert np.allclose(getattr(th, key)[k], getattr(one, key)[0])
    assert th.observables.shape == (1500, 2)
    p = bz.exact_distribution(W, b, Ts[700])
    assert np.isclose(th.abs_magnetisation[700], p @ np.abs(bz.all_states(12).mean(axis=1)))
