"""course_lib.rbm, second part: the fused training step, the fast sampler, the rng rule and devices,
health diagnostics, the hard lower bound on log Z, AIS runs and traces, shipped weights, bad input."""

import dataclasses
import itertools
import math
import os

import numpy as np
import pytest
import torch

from course_lib import rbm
from course_lib.datasets import shapes_8x8

CUDA = torch.cuda.is_available()
DEVICE = os.environ.get("COURSE_DEVICE", "cpu") or "cpu"


from test_rbm import one_thread  # noqa: E402,F401  (autouse: tiny matrices run on one thread)


def shapes(repeat=1):
    return torch.tensor(shapes_8x8()[0], dtype=torch.float32).repeat(repeat, 1)


def all_binary(n):
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)))


def random_rbm(d, h, seed=0, scale=1.0, device="cpu"):
    m = rbm.RBM(d, h, device=device, rng=seed, weight_std=scale)
    g = torch.Generator(device=m.device).manual_seed(seed + 1)
    m.b.normal_(generator=g)
    m.c.normal_(generator=g)
    return m


# ----------------------------------------------------------------------------- the training step

def test_momentum_and_weight_decay_follow_the_formula_exactly():
    """Data all ones and b = +50: every v_k is all ones, so v0 = v_k, p(h|v0) = p(h|v_k) and the
    gradient is exactly 0; what moves W is weight decay through the velocity:
    vel_t = mom vel_{t-1} - lr wd W_{t-1}, W_t = W_{t-1} + vel_t. Biases do not decay."""
    m = random_rbm(6, 3, seed=2)
    m.b.fill_(50.0)
    W0, b0, c0 = m.W.clone().double(), m.b.clone(), m.c.clone()
    lr, wd, mom = 0.1, 0.2, 0.5
    rbm.train_rbm(m, torch.ones(4, 6), epochs=3, lr=lr, momentum=mom, weight_decay=wd, batch_size=4,
                  progress=False, rng=0)
    W, vel = W0, torch.zeros_like(W0)
    for _ in range(3):
        vel = mom * vel - lr * wd * W
        W = W + vel
    assert torch.allclose(m.W.double(), W, atol=1e-6)
    assert torch.equal(m.b, b0) and torch.equal(m.c, c0)


@pytest.mark.parametrize("persistent", [False, True])
def test_bias_updates_follow_the_exact_gradient(persistent):
    """One CD-30 / PCD-30 update on 30,000 copies of 6 patterns: db and dc divided by lr are the exact
    log-likelihood gradient (the fused product computes them with dW; PCD's 30,000 fresh chains have
    run 30 steps from the base rate, so they have mixed too)."""
    m = random_rbm(6, 4, seed=10, scale=0.5)
    data = torch.tensor([[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0],
                         [1, 1, 0, 0, 1, 1], [0, 1, 0, 1, 0, 1], [1, 1, 1, 1, 0, 0]], dtype=torch.float32)
    V = all_binary(6)
    p = (-m.free_energy(V).double() - rbm.exact_log_partition(m)).exp()
    ph_model = torch.sigmoid(V @ m.W + m.c).double()
    ph_data = torch.sigmoid(data @ m.W + m.c).double()
    grad_b = data.double().mean(0) - p @ V.double()
    grad_c = ph_data.mean(0) - p @ ph_model
    before_b, before_c = m.b.clone(), m.c.clone()
    lr = 1e-3
    big = data.repeat(5000, 1)
    rbm.train_rbm(m, big, epochs=1, k=30, persistent=persistent, lr=lr, momentum=0.0, batch_size=len(big),
                  progress=False, rng=11)
    assert float(((m.b - before_b).double() / lr - grad_b).abs().max()) < 0.03
    assert float(((m.c - before_c).double() / lr - grad_c).abs().max()) < 0.03


def test_lr_schedule_and_history():
    X = shapes(5)
    m = rbm.RBM(64, 8, device="cpu", rng=1).init_visible_bias_(X)
    hist = rbm.train_rbm(m, X, epochs=4, lr=rbm.linear_decay(0.1, 4), momentum=0.0, batch_size=10,
                         progress=False, rng=2)
    assert hist.lr == pytest.approx([0.1, 0.075, 0.05, 0.025]) and hist.momentum == [0.0] * 4
    assert len(hist.reconstruction_error) == 4 and all(r > 0 for r in hist.reconstruction_error)
    with pytest.raises(dataclasses.FrozenInstanceError):
        hist.lr = []
    # training continues the epoch count when handed the same history
    rbm.train_rbm(m, X, epochs=1, lr=0.05, batch_size=10, progress=False, rng=3, history=hist)
    assert hist.epoch == [0, 1, 2, 3, 4]


def test_callbacks_see_the_current_model_and_may_change_it():
    X = shapes(5)
    m = rbm.RBM(64, 8, device="cpu", rng=1).init_visible_bias_(X)
    seen = []

    def cb(epoch, model, history):
        seen.append(model.W.clone())
        model.c.fill_(0.0)     # a callback that edits the model: training must go on from the edit

    rbm.train_rbm(m, X, epochs=2, lr=0.1, batch_size=10, progress=False, rng=2, callbacks=[cb])
    assert not torch.equal(seen[0], seen[1]) and torch.equal(seen[1], m.W)
    assert torch.all(m.c == 0)


def test_fast_sampler_has_the_right_law():
    gen = torch.Generator().manual_seed(0)
    for bits in (16, 32):
        uni = rbm._Uniforms(gen, torch.device("cpu"), bits=bits)
        p = torch.tensor([0.0, 0.1, 0.5, 0.9, 1.0]).expand(200_000, 5).contiguous()
        out = torch.empty_like(p)
        x = uni.sample(p, uni.draw(p.numel()).view(p.shape), out)
        assert set(x.unique().tolist()) <= {0.0, 1.0}
        assert torch.allclose(x.mean(0), p[0], atol=0.005)
        assert x[:, 0].sum() == 0 and x[:, 4].sum() == len(x)
    # 16 bits: P(1) = ceil(65536 p) / 65536, so a probability of 1e-7 is sampled as 1/65536
    uni = rbm._Uniforms(torch.Generator().manual_seed(1), torch.device("cpu"), bits=16)
    p = torch.full((4_000_000,), 1e-7)
    freq = float(uni.sample(p, uni.draw(p.numel()), torch.empty_like(p)).mean())
    assert abs(freq - 2 ** -16) < 5e-6


def test_training_is_reproducible_from_an_int_seed():
    X = shapes(4)
    runs = []
    for _ in range(2):
        m = rbm.RBM(64, 8, device="cpu", rng=5).init_visible_bias_(X)
        rbm.train_rbm(m, X, epochs=2, k=2, persistent=True, batch_size=8, progress=False, rng=6)
        runs.append(m.W.clone())
    assert torch.equal(runs[0], runs[1])
    other = rbm.RBM(64, 8, device="cpu", rng=5).init_visible_bias_(X)
    rbm.train_rbm(other, X, epochs=2, k=2, persistent=True, batch_size=8, progress=False, rng=7)
    assert not torch.equal(runs[0], other.W)


# ----------------------------------------------------------------------------- devices and the rng rule

@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_generator_on_the_gpu_works_everywhere():
    gen = torch.Generator(device="cuda").manual_seed(0)
    m = rbm.RBM(64, 8, device="cuda", rng=gen).init_visible_bias_(shapes())
    X = shapes(5).cuda()
    hist = rbm.train_rbm(m, X, epochs=3, k=1, persistent=True, batch_size=10, progress=False, rng=gen)
    assert m.W.is_cuda and len(hist.epoch) == 3 and math.isfinite(hist.reconstruction_error[-1])
    est = rbm.ais_log_partition(m, n_chains=50, n_runs=2, betas=200, rng=gen)
    assert abs(est.log_z - rbm.exact_log_partition(m)) < 0.5
    assert m.gibbs(X[:3], k=2, rng=gen).is_cuda
    assert rbm.gibbs_frames(m, X[:2], [1, 2], rng=gen).shape == (2, 2, 64)
    rbm.pseudo_log_likelihood(m, X, rng=gen)
    with pytest.raises(ValueError, match="torch.Generator on cpu"):
        rbm.RBM(4, 3, device="cuda", rng=torch.Generator())


@pytest.mark.skipif(CUDA, reason="a CUDA GPU is present")
def test_cuda_without_a_gpu_gets_the_clear_message():
    with pytest.raises(ValueError, match="no CUDA GPU is available"):
        rbm.RBM(4, 3, device="cuda")


def test_rng_must_live_on_the_model_device():
    m = rbm.RBM(4, 3, device="cpu", rng=0)
    with pytest.raises(ValueError, match="rng must be None"):
        m.gibbs(torch.ones(4), rng="seed")
    assert torch.equal(m.gibbs(torch.ones(2, 4), k=3, rng=4), m.gibbs(torch.ones(2, 4), k=3, rng=4))


# ----------------------------------------------------------------------------- health

def test_diagnose_a_healthy_and_two_broken_models():
    X = shapes(10)
    good = rbm.RBM(64, 10, device="cpu", rng=12).init_visible_bias_(X)
    rbm.train_rbm(good, X, epochs=40, k=1, persistent=True, lr=rbm.linear_decay(0.1, 40), momentum=0.0,
                  batch_size=16, progress=False, rng=13)
    health = rbm.diagnose(good, X, gibbs_steps=100, rng=14)
    assert health.healthy and not health.warnings, (health.problems, health.warnings)
    assert abs(health.fe_gap) < 10 and health.dead == 0 and health.n_hidden == 10

    dead = rbm.RBM(64, 10, device="cpu", rng=12).init_visible_bias_(X)
    dead.c.fill_(-50.0)
    found = rbm.diagnose(dead, X, gibbs_steps=5, rng=0)
    assert found.dead == 10 and not found.healthy and "10 of 10 hidden units are dead" in found.problems[0]

    # probability far from the data: W = 0 and every pixel biased on, while the shapes are mostly off
    away = rbm.RBM(64, 10, device="cpu", rng=12, weight_std=0.0)
    away.b.fill_(3.0)
    found = rbm.diagnose(away, X, gibbs_steps=5, rng=0)
    assert found.fe_gap > 10 and found.healthy and any("free energy" in w for w in found.warnings)
    assert math.isclose(found.fe_data - found.fe_samples, found.fe_gap)


# ----------------------------------------------------------------------------- the hard bound on log Z

def test_free_energy_descent_reaches_a_local_minimum():
    m = random_rbm(8, 5, seed=20, scale=1.5)
    starts = all_binary(8)[::5]
    end = rbm.free_energy_descent(m, starts)
    F_end = m.free_energy(end)
    assert torch.all(F_end <= m.free_energy(starts) + 1e-5)
    for i in range(8):          # no single flip lowers F any more
        flipped = end.clone()
        flipped[:, i] = 1 - flipped[:, i]
        assert torch.all(m.free_energy(flipped) >= F_end - 1e-4)


def test_lower_bound_is_below_exact_log_z_and_rejects_impossible_estimates():
    m = random_rbm(10, 6, seed=21, scale=1.0)
    exact = rbm.exact_log_partition(m)
    bound = rbm.log_z_lower_bound(m, all_binary(10)[::37])
    assert bound.log_z_bound <= exact + 1e-6
    assert math.isclose(bound.log_z_bound, -float(m.free_energy(bound.state)), abs_tol=1e-5)
    # on 10 units the best local minimum is the global one: -F(v*) is the largest term of Z
    assert math.isclose(bound.log_z_bound, float(-m.free_energy(all_binary(10)).min()), abs_tol=1e-4)
    assert rbm.judge_log_z(exact, bound).ok
    verdict = rbm.judge_log_z(bound.log_z_bound - 1.0, bound)
    assert not verdict.ok and "impossible" in verdict.reasons[0]


def test_judge_flags_ais_runs_that_disagree():
    est = rbm.AISEstimate(100.0, (98.0, 101.0), np.zeros((2, 3)), 0.0, 10, np.array([]), np.zeros((0, 6)))
    verdict = rbm.judge_log_z(est, 50.0, max_spread=1.0)
    assert not verdict.ok and "spread over 3.0 nats" in verdict.reasons[0]
    assert rbm.judge_log_z(est, 50.0, max_spread=5.0).ok


def test_ais_runs_and_trace():
    m = random_rbm(12, 6, seed=22, scale=0.3)
    est = rbm.ais_log_partition(m, n_chains=50, n_runs=3, betas=300, rng=23, trace=10)
    assert est.log_weights.shape == (3, 50) and len(est.runs) == 3 and est.low <= est.log_z <= est.high + 1e-9
    assert est.trace.shape == (len(est.trace_betas), 150) and est.trace_betas[-1] == 1.0
    assert np.allclose(est.trace[-1], est.log_weights.ravel())
    assert abs(est.log_z - rbm.exact_log_partition(m)) < 0.1
    again = rbm.ais_log_partition(m, n_chains=50, n_runs=3, betas=300, rng=23)
    assert again.runs == est.runs


# ----------------------------------------------------------------------------- shipped weights

def test_weights_round_trip_with_checksum(tmp_path):
    m = random_rbm(7, 3, seed=24)
    digest = rbm.save_weights(m, tmp_path / "m.npz", trainer="CD-1", epochs=3)
    back, meta = rbm.load_weights(tmp_path / "m.npz", sha256=digest, device="cpu")
    assert torch.equal(back.W, m.W) and torch.equal(back.b, m.b) and torch.equal(back.c, m.c)
    assert meta == {"trainer": "CD-1", "epochs": 3}
    with pytest.raises(ValueError, match="sha256"):
        rbm.load_weights(tmp_path / "m.npz", sha256="0" * 64)
    with pytest.raises(FileNotFoundError, match="train_rbm_weights"):
        rbm.load_weights(tmp_path / "missing.npz")


# ----------------------------------------------------------------------------- bad input (issue 19)

@pytest.mark.parametrize("call,match", [
    (lambda m, X: rbm.train_rbm(m, X, lr=float("nan"), batch_size=5, progress=False), "lr must be a finite"),
    (lambda m, X: rbm.train_rbm(m, X, lr=float("inf"), batch_size=5, progress=False), "lr must be a finite"),
    (lambda m, X: rbm.train_rbm(m, X, lr=lambda e: float("nan"), batch_size=5, progress=False), "at epoch 0"),
    (lambda m, X: rbm.train_rbm(m, X, weight_decay=float("nan"), batch_size=5, progress=False), "weight_decay"),
    (lambda m, X: rbm.train_rbm(m, X, weight_decay=float("inf"), batch_size=5, progress=False), "weight_decay"),
    (lambda m, X: rbm.train_rbm(m, X, weight_decay=-1.0, batch_size=5, progress=False), "weight_decay"),
    (lambda m, X: rbm.train_rbm(m, X, momentum=float("nan"), batch_size=5, progress=False), "momentum"),
    (lambda m, X: rbm.train_rbm(m, X, batch_size=0, progress=False), "batch_size must be an integer >= 1"),
    (lambda m, X: rbm.log_likelihood(m, X, 1.0, batch_size=0), "batch_size must be an integer >= 1"),
    (lambda m, X: rbm.log_likelihood(m, X, 1.0, batch_size=-5), "batch_size must be an integer >= 1"),
    (lambda m, X: rbm.log_likelihood(m, X, float("nan")), "log_z"),
    (lambda m, X: rbm.pseudo_log_likelihood(m, X, exact=True, chunk=0), "chunk must be an integer >= 1"),
    (lambda m, X: rbm.pseudo_log_likelihood(m, X, exact=True, chunk=-1), "chunk must be an integer >= 1"),
    (lambda m, X: rbm.exact_log_partition(rbm.RBM(784, 22, device="cpu")), r"2\^22 = 4,194,304 states"),
    (lambda m, X: rbm.ais_log_partition(m, n_runs=0), "n_runs"),
    (lambda m, X: rbm.ais_log_partition(m, base_bias=torch.full((4,), float("nan"))), "base_bias"),
    (lambda m, X: rbm.diagnose(m, X, gibbs_steps=0), "gibbs_steps"),
    (lambda m, X: rbm.linear_decay(0.1, 0), "epochs"),
    (lambda m, X: rbm.RBM(4, 3, weight_std=float("nan")), "weight_std"),
])
def test_bad_input_gets_a_clear_error(call, match):
    m = rbm.RBM(4, 3, device="cpu", rng=0)
    X = torch.ones(10, 4)
    with pytest.raises(ValueError, match=match):
        call(m, X)


def test_exact_log_partition_accepts_its_documented_sizes():
    m = rbm.RBM(30, 12, device="cpu", rng=0)           # 2^12 states: instant
    assert math.isfinite(rbm.exact_log_partition(m))


def test_shipped_weights_match_their_manifest():
    """data/rbm holds chapter 05's FULL CD-10 and PCD-1 models, made by scripts/train_rbm_weights.py."""
    import json

    from course_lib.datasets import data_dir

    manifest = json.loads((data_dir() / "rbm" / "manifest.json").read_text())
    assert set(manifest["files"]) == {"CD-10", "PCD-1"}
    for name, entry in manifest["files"].items():
        model, meta = rbm.load_weights(data_dir() / "rbm" / entry["file"], sha256=entry["sha256"], device="cpu")
        assert (model.n_visible, model.n_hidden) == (784, 500) and meta["trainer"] == name and meta["epochs"] == 15
