"""Chapter 01 checkers: one plausible wrong answer per common mistake, and the message that names it."""

import numpy as np
import pytest
from answers import answers

from course_lib.checks import ch01
from course_lib.checks._core import CheckFailed

SOLVED = answers("01")
energy, local_field, flip_energy_change = (SOLVED[n] for n in ("energy", "local_field", "flip_energy_change"))


def failure(checker, fn) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        checker(fn)
    return info.value


@pytest.mark.parametrize("name", ["energy", "local_field", "flip_energy_change"])
def test_solution_passes(name, capsys):
    getattr(ch01, name)(SOLVED[name])
    assert f"[pass] {name}" in capsys.readouterr().out


def test_energy_without_the_half_is_not_blamed_on_the_bias():
    def no_half(W, states, b=None):
        s = np.asarray(states, dtype=float)
        e = -np.sum((s @ W.T) * s, axis=-1)
        return e if b is None else e - s @ b

    err = failure(ch01.energy, no_half)
    assert err.passed == 0 and str(err).count("factor 1/2") == 5
    messages = [line.split(": ", 1)[1] for line in err.feedback]
    assert not any("bias" in m or "b=None" in m for m in messages)


@pytest.mark.parametrize("wrong,cause", [
    (lambda W, s, b=None: -energy(W, s, b), "wrong sign"),
    (lambda W, s, b=None: energy(W, s), "the bias is ignored"),
    (lambda W, s, b=None: energy(W, s) + (0 if b is None else np.asarray(s) @ b), "bias term has the wrong sign"),
    (lambda W, s, b=None: energy(W - np.diag(np.diag(W)), s, b), "diagonal terms W_ii s_i^2 are missing"),
    (lambda W, s, b=None: np.sum(energy(W, s, b)), "should give B = 5 energies"),
    (lambda W, s, b=None: -0.5 * np.einsum("ni,ij,mj->nm", np.atleast_2d(s), W, np.atleast_2d(s)).sum(-1).squeeze()
     - (0 if b is None else np.asarray(s) @ b), "depend on state n only"),
])
def test_energy_mistakes(wrong, cause):
    assert cause in str(failure(ch01.energy, wrong))


@pytest.mark.parametrize("wrong,cause", [
    (lambda W, s, b=None: np.asarray(s, dtype=float) @ W + (0 if b is None else b), "column i of W"),
    (lambda W, s, b=None: local_field(W, s), "the bias is missing"),
    (lambda W, s, b=None: local_field(W, s) - (0 if b is None else b), "bias enters with the wrong sign"),
])
def test_local_field_mistakes(wrong, cause):
    assert cause in str(failure(ch01.local_field, wrong))


def test_flip_energy_change_mistakes():
    def keeps_self_coupling(W, states, i, b=None):
        s = np.asarray(states, dtype=float)
        return 2.0 * s[..., i] * (s @ W[i] + (0.0 if b is None else b[i]))

    def reversed_sign(W, states, i, b=None):
        return -flip_energy_change(W, states, i, b)

    def no_factor_two(W, states, i, b=None):
        return flip_energy_change(W, states, i, b) / 2

    def ignores_bias(W, states, i, b=None):
        return flip_energy_change(W, states, i)

    def flips_in_place(W, states, i, b=None):
        out = flip_energy_change(W, states, i, b)
        states[..., i] *= -1
        return out

    err = failure(ch01.flip_energy_change, keeps_self_coupling)
    assert (err.passed, err.total) == (4, 5) and "self-coupling W_ii is counted" in str(err)
    assert "sign is reversed" in str(failure(ch01.flip_energy_change, reversed_sign))
    assert "half the right change" in str(failure(ch01.flip_energy_change, no_factor_two))
    assert "bias is ignored" in str(failure(ch01.flip_energy_change, ignores_bias))
    assert "changed the state passed in" in str(failure(ch01.flip_energy_change, flips_in_place))
