import itertools

import numpy as np
import pytest

from course_lib import hopfield


def sym(rng, n, zero_diag=True):
    a = rng.normal(size=(n, n))
    w = (a + a.T) / 2
    if zero_diag:
        np.fill_diagonal(w, 0)
    return w


def test_energy_matches_double_sum_on_every_state():
    rng = np.random.default_rng(1)
    W, b = sym(rng, 5, zero_diag=False), rng.normal(size=5)
    states = np.array(list(itertools.product([-1.0, 1.0], repeat=5)))
    loops = [-0.5 * sum(W[i, j] * s[i] * s[j] for i in range(5) for j in range(5)) - b @ s for s in states]
    assert np.allclose(hopfield.energy(W, states, b), loops)
    assert isinstance(hopfield.energy(W, states[0], b), float)


def test_energy_is_even_without_bias():
    rng = np.random.default_rng(2)
    W, s = sym(rng, 20), rng.choice([-1.0, 1.0], size=(10, 20))
    assert np.allclose(hopfield.energy(W, s), hopfield.energy(W, -s))


def test_local_field_uses_rows():
    W = np.array([[0.0, 2.0], [-1.0, 0.0]])
    assert hopfield.local_field(W, np.array([1.0, 1.0])).tolist() == [2.0, -1.0]
    assert hopfield.local_field(W, np.array([[1.0, -1.0]]), b=np.array([1.0, 0.0])).tolist() == [[-1.0, -1.0]]


def test_flip_energy_change_equals_full_difference():
    rng = np.random.default_rng(3)
    W, b = sym(rng, 12, zero_diag=False), rng.normal(size=12)
    S = rng.choice([-1.0, 1.0], size=(7, 12))
    for i in range(12):
        T = S.copy()
        T[:, i] *= -1
        assert np.allclose(hopfield.flip_energy_change(W, S, i, b), hopfield.energy(W, T, b) - hopfield.energy(W, S, b))


@pytest.mark.parametrize("call,match", [
    (lambda: hopfield.energy(np.zeros((3, 3)), np.array([1.0, 0.0, 1.0])), r"\+1 and -1"),
    (lambda: hopfield.energy(np.zeros((3, 3)), np.ones(4)), "expected N = 3"),
    (lambda: hopfield.energy(np.zeros((3, 4)), np.ones(3)), "square"),
    (lambda: hopfield.energy(np.zeros((3, 3)), np.ones((2, 2, 3))), r"shape \(N,\) or \(B, N\)"),
    (lambda: hopfield.energy(np.zeros((3, 3)), np.ones(3), b=np.ones(2)), r"b must have shape \(3,\)"),
    (lambda: hopfield.local_field(np.full((2, 2), np.nan), np.ones(2)), "NaN"),
    (lambda: hopfield.flip_energy_change(np.array([[0.0, 1.0], [0.0, 0.0]]), np.ones(2), 0), "symmetric"),
])
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_flip_index_out_of_range():
    for i in (3, -1, 1.0, True):
        with pytest.raises(ValueError, match="unit index"):
            hopfield.flip_energy_change(np.zeros((3, 3)), np.ones(3), i)


def test_flip_energy_change_of_every_unit_at_once():
    rng = np.random.default_rng(4)
    W, b = sym(rng, 9, zero_diag=False), rng.normal(size=9)
    S = rng.choice([-1.0, 1.0], size=(5, 9))
    every = hopfield.flip_energy_change(W, S, None, b)
    assert every.shape == S.shape
    assert np.allclose(every, np.stack([hopfield.flip_energy_change(W, S, i, b) for i in range(9)], axis=1))
