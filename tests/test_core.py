"""course_lib.core: the one softmax / lse, the input checks every module uses, and the rng rule."""

import math

import numpy as np
import pytest
import torch

from course_lib import core


def naive_lse(beta, x):
    return np.log(np.sum(np.exp(beta * np.asarray(x, dtype=np.float64)), axis=-1)) / beta


def test_lse_agrees_with_naive_on_small_inputs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 9))
    for beta in (0.1, 1.0, 7.0):
        assert np.allclose(core.lse(x, beta), naive_lse(beta, x), rtol=1e-12)


def test_lse_is_stable_where_naive_overflows():
    x = np.array([1000.0, 999.0, -50.0])
    with np.errstate(over="ignore"):
        assert not np.isfinite(naive_lse(1.0, x))  # the naive sum overflows to inf
    exact = 1000.0 + math.log(1 + math.exp(-1.0) + math.exp(-1050.0))
    assert core.lse(x, 1.0) == pytest.approx(exact, rel=1e-15)
    # large beta on moderate inputs: the same overflow, the same cure; lse -> max as beta grows
    y = np.array([3.0, 2.0])
    assert core.lse(y, 500.0) == pytest.approx(3.0 + math.log1p(math.exp(-500.0)) / 500.0, rel=1e-15)
    # underflow side: every exp(beta x) is 0 in the naive form, giving -inf
    z = np.array([-1000.0, -1001.0])
    with np.errstate(divide="ignore"):
        assert naive_lse(1.0, z) == -np.inf
    assert core.lse(z, 1.0) == pytest.approx(-1000.0 + math.log1p(math.exp(-1.0)), rel=1e-15)


def test_lse_bounds_and_dtypes():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 7)) * 10
    for beta in (0.01, 1.0, 100.0):
        v = core.lse(x, beta)
        assert np.all(v >= x.max(axis=1) - 1e-12)
        assert np.all(v <= x.max(axis=1) + math.log(7) / beta + 1e-12)
    assert np.allclose(core.lse(x, 2.0), torch.logsumexp(2.0 * torch.tensor(x), -1).numpy() / 2.0)
    assert isinstance(core.lse(np.array([1.0, 2.0]), 1.0), np.floating)



def test_softmax_sums_to_one_is_stable_and_masks_minus_infinity():
    z = np.array([[1000.0, 999.0, -np.inf], [0.0, 0.0, 0.0]])
    p = core.softmax(z)
    assert np.allclose(p.sum(axis=1), 1.0) and p[0, 2] == 0.0 and np.allclose(p[1], 1 / 3)
    assert np.allclose(p[0, :2], [1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1))])
    assert np.allclose(core.softmax(z[1], beta=5.0), 1 / 3)
    assert np.allclose(core.softmax(np.array([[1.0], [2.0]]), axis=0), [[1 / (1 + math.e)], [math.e / (1 + math.e)]])
    assert np.isneginf(core.lse(np.array([-np.inf, -np.inf])))
    assert core.lse(np.array([0.0, -np.inf])) == 0.0


@pytest.mark.parametrize("call,match", [
    (lambda: core.lse(np.ones(3), 0.0), "beta must be a positive"),
    (lambda: core.lse(np.ones(3), -1.0), "beta must be a positive"),
    (lambda: core.lse(np.ones((2, 0))), "at least one entry"),
    (lambda: core.lse(np.array([1.0, np.nan])), "NaN"),
    (lambda: core.lse(np.array([1.0, np.inf])), r"\+inf"),
    (lambda: core.softmax(np.array([-np.inf, -np.inf])), "all -inf"),
    (lambda: core.softmax(np.array(["a", "b"])), "real numeric"),
    (lambda: core.softmax(np.array([1 + 1j, 2.0])), "real numeric"),
    (lambda: core.as_spins(np.ones((2, 0))), "at least one unit"),
    (lambda: core.as_patterns(np.ones((0, 4))), "at least one pattern"),
    (lambda: core.as_weights(np.ones((0, 0))), "N >= 1"),
    (lambda: core.as_weights(np.array([[0.0, 1.0], [0.0, 0.0]]), symmetric=True), "symmetric"),
    (lambda: core.as_count(2.0, "trials"), "trials must be an integer"),
    (lambda: core.as_count(True, "trials"), "trials"),
    (lambda: core.as_count(0, "trials"), ">= 1"),
    (lambda: core.as_probability(np.nan, "noise"), "noise"),
    (lambda: core.as_probability(1.5, "noise"), "noise"),
    (lambda: core.as_temperature(0.0), "T must be"),
    (lambda: core.as_beta("1"), "beta must be"),
    (lambda: core.as_probability("0.1", "p"), "p must be"),
    (lambda: core.as_temperatures([1.0, -2.0]), "temperatures"),
    (lambda: core.as_index(-1, 3), "in \\[0, 3\\)"),
    (lambda: core.as_order([0, 3], 3), "order"),
    (lambda: core.as_order([0.0, 1.0], 3), "order"),
    (lambda: core.as_order([0, 1], 3, permutation=True), "permutation"),
    (lambda: core.as_order([0, 1, 1], 3, permutation=True), "permutation"),
    (lambda: core.as_vectors(np.ones((2, 2, 2))), r"\(N,\) or \(B, N\)"),
    (lambda: core.as_rng(-1), "rng"),
    (lambda: core.as_rng(1.5), "rng"),
    (lambda: core.check_memory(2 * core.MEMORY_LIMIT_BYTES, "a test"), "a test would need 8.0 GiB"),
])
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_rng_rule():
    g = np.random.default_rng(0)
    assert core.as_rng(g) is g
    assert core.as_rng(5).integers(1 << 30) == np.random.default_rng(5).integers(1 << 30)
    assert core.as_rng(None).integers(1 << 62) != core.as_rng(None).integers(1 << 62)  # fresh randomness
    t = core.torch_generator(3, "cpu")
    assert torch.equal(torch.rand(4, generator=t), torch.rand(4, generator=torch.Generator().manual_seed(3)))
    with pytest.raises(ValueError, match="rng"):
        core.torch_generator(np.random.default_rng(0), "cpu")


def test_accepted_input_is_returned_normalised():
    assert core.as_order(np.array([2, 0, 1]), 3, permutation=True).dtype == np.int64
    assert core.as_count(np.int32(4), "k") == 4 and isinstance(core.as_count(np.int32(4), "k"), int)
    assert core.as_beta(np.float32(2.0)) == 2.0 and core.as_beta(torch.tensor(0.5)) == 0.5
    assert core.as_patterns(np.ones(3)).shape == (1, 3)
    core.check_memory(core.MEMORY_LIMIT_BYTES, "at the limit")  # no error
