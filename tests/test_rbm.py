"""course_lib.rbm: free energy, log Z (exact and AIS), CD/PCD training, monitoring, bad input."""

import itertools
import math

import numpy as np
import pytest
import torch

from course_lib import rbm
from course_lib.datasets import shapes_8x8


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny matrices: one thread avoids barrier waits on a shared machine (restored afterwards)."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def gen(seed):
    return torch.Generator().manual_seed(seed)


def random_rbm(d, h, seed=0, scale=1.0):
    g = gen(seed)
    m = rbm.RBM(d, h, device="cpu", rng=g, weight_std=scale)
    m.b.data.normal_(generator=g)
    m.c.data.normal_(generator=g)
    return m


def all_binary(n):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)))


def joint_log_weights(m):
    """-E(v, h) for every (v, h) pair by brute force, float64: (2^D, 2^H)."""
    V, H = all_binary(m.n_visible).double(), all_binary(m.n_hidden).double()
    W, b, c = m.W.double(), m.b.double(), m.c.double()
    return V @ W @ H.T + (V @ b)[:, None] + (H @ c)[None]


def test_free_energy_is_minus_log_sum_over_hidden_states():
    m = random_rbm(6, 4)
    V = all_binary(6)
    want = -torch.logsumexp(joint_log_weights(m), 1)
    got = m.free_energy(V)
    assert got.shape == (64,)
    assert torch.allclose(got.double(), want, atol=1e-5)
    single = m.free_energy(V[5])
    assert single.shape == () and math.isclose(float(single), float(want[5]), abs_tol=1e-5)


def test_free_energy_of_a_batch_is_one_value_per_row():
    # the batch-shape bug of one write-up: v @ b must pair each row with b, softplus summed over hidden units
    m = random_rbm(7, 3, seed=1)
    V = torch.bernoulli(torch.full((5, 7), 0.5), generator=gen(2))
    rows = torch.stack([m.free_energy(v) for v in V])
    assert torch.allclose(m.free_energy(V), rows)


@pytest.mark.parametrize("d,h", [(6, 4), (4, 6), (5, 5)])
def test_exact_log_partition_matches_brute_force(d, h):
    m = random_rbm(d, h, seed=d * 10 + h)
    assert math.isclose(rbm.exact_log_partition(m), float(torch.logsumexp(joint_log_weights(m).flatten(), 0)),
                        rel_tol=0, abs_tol=1e-9)


def test_exact_log_partition_survives_large_weights():
    m = random_rbm(5, 3, seed=3, scale=200.0)      # exp(-E) overflows float64 without log space
    want = float(torch.logsumexp(joint_log_weights(m).flatten(), 0))
    assert want > 710 and math.isclose(rbm.exact_log_partition(m), want, rel_tol=1e-12)


def test_probabilities_sum_to_one_and_chunks_do_not_matter():
    m = random_rbm(8, 10, seed=4)
    log_z = rbm.exact_log_partition(m)
    assert math.isclose(rbm.exact_log_partition(m, chunk=7), log_z, abs_tol=1e-9)
    log_p = -m.free_energy(all_binary(8)).double() - log_z
    assert abs(float(torch.logsumexp(log_p, 0))) < 1e-5


def test_zero_weight_model_is_the_base_rate_model():
    X = torch.tensor(shapes_8x8()[0], dtype=torch.float32)
    m = rbm.RBM(64, 5, device="cpu", weight_std=0.0).init_visible_bias_(X)
    log_z = rbm.exact_log_partition(m)
    assert math.isclose(log_z, 5 * math.log(2) + float(torch.nn.functional.softplus(m.b.double()).sum()),
                        abs_tol=1e-9)
    assert math.isclose(rbm.log_likelihood(m, X, log_z), rbm.base_rate_log_likelihood(X, X), abs_tol=1e-4)
    # AIS is exact here: every intermediate distribution equals the base distribution
    est = rbm.ais_log_partition(m, n_chains=10, betas=50, base_bias=m.b, rng=gen(0))
    assert np.all(np.abs(est.log_weights) < 1e-4) and math.isclose(est.log_z, log_z, abs_tol=1e-4)


def test_init_follows_the_practical_guide():
    X = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    m = rbm.RBM(3, 2000, device="cpu", rng=gen(5)).init_visible_bias_(X, eps=0.01)
    assert abs(float(m.W.std()) - 0.01) < 0.0005 and abs(float(m.W.mean())) < 0.0005
    assert torch.allclose(m.b, torch.tensor([math.log(3), -math.log(3), -math.log(3)]))
    assert torch.all(m.c == 0)
    clipped = rbm.RBM(3, 1, device="cpu").init_visible_bias_(torch.zeros(4, 3), eps=0.01)
    assert torch.allclose(clipped.b, torch.full((3,), math.log(0.01 / 0.99)))


@pytest.mark.slow
def test_ais_agrees_with_exact_log_partition():
    """A 64 x 12 model trained on the 8x8 shapes (strong weights) and a random 100 x 14 model:
    4 runs of 250 chains x 3000 inverse temperatures: tolerance 0.1 nats, and the exact value inside
    the runs' range widened by 0.1 nats."""
    X = torch.tensor(shapes_8x8()[0], dtype=torch.float32).repeat(25, 1)
    trained = rbm.RBM(64, 12, device="cpu", rng=gen(6)).init_visible_bias_(X)
    rbm.train_rbm(trained, X, epochs=30, k=1, lr=0.05, momentum=0.5, batch_size=20, progress=False,
                  rng=gen(7))
    assert float(trained.W.abs().max()) > 1.0          # far from the base model: a real test of AIS
    models = [(trained, trained.b.clone()), (random_rbm(100, 14, seed=8, scale=0.3), None)]
    for m, base in models:
        exact = rbm.exact_log_partition(m)
        est = rbm.ais_log_partition(m, n_chains=250, n_runs=4, betas=3000, base_bias=base, rng=gen(9))
        assert abs(est.log_z - exact) < 0.1, (est.log_z, exact)
        assert len(est.runs) == 4 and est.low - 0.1 <= exact <= est.high + 0.1 and est.spread < 0.5


def test_bernoulli_sampler_has_the_right_law():
    p = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).expand(200_000, 5)
    x = rbm.bernoulli(p, rng=gen(30))
    assert set(x.unique().tolist()) <= {0.0, 1.0} and x.dtype == torch.float32
    assert torch.allclose(x.mean(0), p[0], atol=0.005)          # 5 sigma at p = 1/2 is 0.0056
    assert x[:, 0].sum() == 0 and x[:, 4].sum() == len(x)
    assert torch.equal(x, rbm.bernoulli(p, rng=gen(30)))


def test_ais_betas_schedule():
    b = rbm.ais_betas(14500)
    assert len(b) == 14500 and b[0] == 0 and b[-1] == 1 and np.all(np.diff(b) > 0)
    assert (b < 0.5).sum() == 500 and ((b >= 0.5) & (b < 0.9)).sum() == 4000


def exact_gradient(m, data):
    """d mean log p(data) / dW = <v p(h|v)>_data - <v h>_model, by enumeration."""
    V = all_binary(m.n_visible)
    log_p = -m.free_energy(V).double() - rbm.exact_log_partition(m)
    p = log_p.exp()
    ph_model = torch.sigmoid(V @ m.W + m.c).double()
    ph_data = torch.sigmoid(data @ m.W + m.c).double()
    return data.double().T @ ph_data / len(data) - (V.double() * p[:, None]).T @ ph_model


@pytest.mark.parametrize("k,min_cos", [(1, 0.9), (30, 0.995)])
def test_cd_update_points_along_the_exact_gradient(k, min_cos):
    """One CD-k step on a big batch (30,000 copies of 6 patterns), no momentum: dW / lr is the CD
    estimate. CD-1 is biased but well aligned; CD-30 has mixed and matches the exact gradient."""
    m = random_rbm(6, 4, seed=10, scale=0.5)
    data = torch.tensor([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0],
                         [1, 1, 0, 0, 1, 1], [0, 1, 0, 1, 0, 1], [1, 1, 1, 1, 0, 0]], dtype=torch.float32)
    grad = exact_gradient(m, data)
    big = data.repeat(5000, 1)
    before = m.W.clone()
    lr = 1e-3
    rbm.train_rbm(m, big, epochs=1, k=k, lr=lr, momentum=0.0, batch_size=len(big), progress=False,
                  rng=gen(11))
    step = (m.W - before).double() / lr
    cos = float((step * grad).sum() / (step.norm() * grad.norm()))
    assert cos > min_cos, cos
    if k == 30:
        assert float((step - grad).abs().max()) < 0.03


def test_training_raises_the_exact_log_likelihood_and_pcd_runs():
    X = torch.tensor(shapes_8x8()[0], dtype=torch.float32).repeat(10, 1)
    base = rbm.base_rate_log_likelihood(X, X)
    for persistent in (False, True):
        m = rbm.RBM(64, 10, device="cpu", rng=gen(12)).init_visible_bias_(X)
        calls = []
        hist = rbm.train_rbm(m, X, epochs=40, k=1, persistent=persistent, lr=0.1, momentum=0.5,
                             weight_decay=1e-4, batch_size=16, progress=False, rng=gen(13),
                             callbacks=[lambda e, model, h, calls=calls: calls.append(e)])
        assert calls == list(range(40)) and len(hist.reconstruction_error) == 40
        assert hist.reconstruction_error[-1] < hist.reconstruction_error[0]
        ll = rbm.log_likelihood(m, X, rbm.exact_log_partition(m))
        assert ll > base + 10, (persistent, ll, base)     # 8 shapes: base-rate is far from the best, -log 8


def test_training_is_reproducible_and_quiet(capsys):
    X = torch.tensor(shapes_8x8()[0], dtype=torch.float32).repeat(4, 1)
    runs = []
    for _ in range(2):
        m = rbm.RBM(64, 8, device="cpu", rng=gen(1)).init_visible_bias_(X)
        rbm.train_rbm(m, X, epochs=3, k=2, batch_size=8, progress=False, rng=gen(2))
        runs.append(m.W.clone())
    assert torch.equal(runs[0], runs[1])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_weight_decay_shrinks_weights():
    X = torch.tensor(shapes_8x8()[0], dtype=torch.float32).repeat(4, 1)
    norms = []
    for wd in (0.0, 0.05):
        m = rbm.RBM(64, 8, device="cpu", rng=gen(3)).init_visible_bias_(X)
        rbm.train_rbm(m, X, epochs=20, lr=0.1, weight_decay=wd, batch_size=8, progress=False, rng=gen(4))
        norms.append(float(m.W.norm()))
    assert norms[1] < 0.9 * norms[0]


def test_pseudo_likelihood_exact_and_estimate():
    m = random_rbm(6, 3, seed=14)
    V = all_binary(6)
    F = m.free_energy(V).double()
    # brute force: log p(v_i | v_-i) = -F(v) - logaddexp(-F(v), -F(v with i flipped))
    want = torch.zeros(64, dtype=torch.float64)
    for i in range(6):
        flipped = V.clone()
        flipped[:, i] = 1 - flipped[:, i]
        Ff = m.free_energy(flipped).double()
        want += -F - torch.logaddexp(-F, -Ff)
    data = V[[3, 17, 40, 63]]
    exact = rbm.pseudo_log_likelihood(m, data, exact=True, chunk=4)
    assert math.isclose(exact, float(want[[3, 17, 40, 63]].mean()), abs_tol=1e-5)
    estimate = rbm.pseudo_log_likelihood(m, data.repeat(20000, 1), rng=gen(15))
    assert abs(estimate - exact) < 0.05


def test_monitoring_helpers():
    X = torch.tensor(shapes_8x8()[0], dtype=torch.float32)
    m = rbm.RBM(64, 6, device="cpu", rng=gen(16)).init_visible_bias_(X)
    assert rbm.free_energy_gap(m, X, X) == 0.0
    m.c.data.fill_(50.0)
    assert rbm.hidden_activity(m, X).saturated == 6
    m.c.data.fill_(-50.0)
    act = rbm.hidden_activity(m, X)
    assert act.dead == 6 and act.mean.shape == (6,)
    m.W.data.zero_()
    m.b.data.fill_(0.0)
    # W = 0, b = 0: p(v|h) = 1/2 everywhere, so the error is D / 4 per binary image
    assert math.isclose(rbm.reconstruction_error(m, X), 64 / 4, rel_tol=1e-6)
    stats = rbm.weight_stats(m)
    assert stats.W_absmax == 0.0 and stats.c_mean == -50.0


def test_gibbs_chains_sample_the_model_distribution():
    m = random_rbm(5, 3, seed=17)
    log_p = -m.free_energy(all_binary(5)).double() - rbm.exact_log_partition(m)
    v = torch.zeros(20000, 5)
    v = m.gibbs(v, k=30, rng=gen(18))
    codes = (v * 2 ** torch.arange(4, -1, -1)).sum(1).long()   # all_binary's row order: first unit is the top bit
    empirical = torch.bincount(codes, minlength=32).double() / len(v)
    tv = 0.5 * float((empirical - log_p.exp()).abs().sum())
    assert tv < 0.03, tv


def test_gibbs_frames():
    X = torch.tensor(shapes_8x8()[0], dtype=torch.float32)
    m = rbm.RBM(64, 6, device="cpu", rng=gen(19)).init_visible_bias_(X)
    frames = rbm.gibbs_frames(m, X[:3], [1, 2, 5], rng=gen(20))
    assert frames.shape == (3, 3, 64) and float(frames.min()) >= 0 and float(frames.max()) <= 1
    again = rbm.gibbs_frames(m, X[:3], [1, 2, 5], rng=gen(20))
    assert torch.equal(frames, again)
    m.W.data.zero_()
    flat = rbm.gibbs_frames(m, X[:2], [1, 3], rng=gen(21))
    assert torch.allclose(flat, torch.sigmoid(m.b).expand(2, 2, 64))
    with pytest.raises(ValueError, match="increasing"):
        rbm.gibbs_frames(m, X[:2], [3, 2])


@pytest.mark.parametrize("call,match", [
    (lambda m: m.free_energy(torch.tensor([1.0, -1.0, 1.0, 1.0])), "only 0 and 1"),
    (lambda m: m.free_energy(torch.ones(3)), "expected 4"),
    (lambda m: m.free_energy(torch.ones(2, 2, 4)), r"shape \(D,\) or \(B, D\)"),
    (lambda m: m.sample_v(torch.ones(2)), "h has 2 units"),
    (lambda m: m.gibbs(torch.ones(4), k=-1), "k must be an integer >= 0"),
    (lambda m: rbm.train_rbm(m, torch.ones(10, 4), k=0, progress=False), "k must be an integer >= 1"),
    (lambda m: rbm.train_rbm(m, torch.ones(10, 4), batch_size=20, progress=False), "larger than the 10"),
    (lambda m: rbm.train_rbm(m, torch.ones(10, 4), lr=-1, batch_size=5, progress=False), "lr must be a finite"),
    (lambda m: rbm.train_rbm(m, torch.ones(10, 4), momentum=1.0, batch_size=5, progress=False),
     "momentum must be"),
    (lambda m: rbm.exact_log_partition(m, max_units=1), "use ais_log_partition"),
    (lambda m: rbm.ais_log_partition(m, betas=[0.0, 0.7, 0.5, 1.0]), "increase strictly"),
    (lambda m: rbm.ais_log_partition(m, betas=10, base_bias=torch.zeros(3)), r"base_bias must have shape \(4,\)"),
    (lambda m: rbm.RBM(0, 3), "n_visible must be an integer >= 1"),
    (lambda m: rbm.base_rate_bias(torch.ones(3, 4), eps=0.7), "eps"),
])
def test_bad_input_gets_a_clear_error(call, match):
    m = rbm.RBM(4, 3, device="cpu", rng=gen(0))
    with pytest.raises(ValueError, match=match):
        call(m)
