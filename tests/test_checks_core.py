import numpy as np
import pytest

from course_lib import hopfield
from course_lib import hopfield as hop_alias
from course_lib.checks import ch01
from course_lib.checks._core import CheckFailed, NotAttempted, expect, run_cases


def good_energy(W, states, b=None):
    s = np.asarray(states, dtype=float)
    e = -0.5 * np.sum((s @ W.T) * s, axis=-1)
    return e if b is None else e - s @ b


def test_a_correct_answer_passes(capsys):
    ch01.energy(good_energy)
    assert "[pass] energy: 5/5" in capsys.readouterr().out


def test_partial_credit_counts_independent_cases():
    def no_bias_energy(W, states, b=None):
        return good_energy(W, states)

    with pytest.raises(CheckFailed) as info:
        ch01.energy(no_bias_energy)
    assert (info.value.passed, info.value.total) == (4, 5)
    assert "the bias is ignored" in str(info.value)


def test_missing_half_gets_a_teaching_message_not_the_answer():
    def no_half(W, states, b=None):
        return 2 * good_energy(W, states, b)

    with pytest.raises(CheckFailed) as info:
        ch01.energy(no_half)
    assert info.value.passed == 0
    assert "factor 1/2" in str(info.value)


def test_stub_is_not_attempted():
    def stub(W, states, b=None):
        raise NotImplementedError

    with pytest.raises(NotAttempted):
        ch01.energy(stub)


def test_library_function_itself_earns_nothing():
    with pytest.raises(CheckFailed, match="imported rather than written"):
        ch01.energy(hopfield.energy)


def test_calling_the_library_earns_nothing():
    def wrapper(W, states, b=None):
        return hop_alias.energy(W, states, b)

    with pytest.raises(CheckFailed, match="calls course_lib"):
        ch01.energy(wrapper)


def test_crash_in_learner_code_becomes_feedback():
    def crashes(W, states, i, b=None):
        return {}[i]

    with pytest.raises(CheckFailed) as info:
        ch01.flip_energy_change(crashes)
    assert "raised KeyError" in str(info.value)


def test_run_cases_reports_each_failure():
    def case_ok():
        expect(True, "never")

    def case_bad():
        expect(False, "told you so")

    with pytest.raises(CheckFailed) as info:
        run_cases("demo", lambda: None, [("a", case_ok), ("b", case_bad), ("c", case_bad)])
    assert (info.value.passed, info.value.total) == (1, 3)
    assert info.value.feedback == ["b: told you so", "c: told you so"]


def test_not_a_function():
    with pytest.raises(CheckFailed, match="expected a function"):
        ch01.local_field(42)
