"""Chapter 01's interactive figure: the pure functions behind it (hopfield.flip_units, hopfield.steepest_descent,
theory.damage_view_many) and its wiring."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib import hopfield, theory
from course_lib.datasets import letter_patterns
from course_lib.widgets import ch01

A = letter_patterns(["A"])[0][0]
N = A.size
ORDER = np.random.default_rng(3).permutation(N)


def test_one_memory_is_hebbs_rule_and_stores_the_pattern_as_a_minimum():
    W = hopfield.hebbian_weights(A)
    assert np.allclose(W, (np.outer(A, A) - np.eye(N)) / N)  # W = (x x^T - I) / N, the widget's network
    assert np.isclose(hopfield.energy(W, A), -(N - 1) / 2)  # E = -N/2 m^2 + 1/2 at m = 1


def test_flip_units_flips_exactly_the_first_d_of_the_order():
    for d in (0, 1, 7, N):
        s = hopfield.flip_units(A, d, ORDER)
        assert set(np.flatnonzero(s != A)) == set(ORDER[:d].tolist())
    assert np.array_equal(hopfield.flip_units(A, 3), np.r_[-A[:3], A[3:]])


@pytest.mark.parametrize("d", [-1, N + 1, 2.5, True])
def test_flip_units_refuses_a_bad_damage_level(d):
    with pytest.raises(ValueError, match="number of flipped units"):
        hopfield.flip_units(A, d)


def test_bad_input_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="permutation"):
        hopfield.flip_units(A, 2, order=np.zeros(N, dtype=int))
    with pytest.raises(ValueError, match=r"\+1 and -1"):
        theory.damage_view_many(np.where(A > 0, 1.0, 0.0), 0, 2)
    with pytest.raises(ValueError, match=r"shape \(N,\)"):
        hopfield.flip_units(np.stack([A, A]), 2)
    with pytest.raises(ValueError, match="symmetric"):
        hopfield.steepest_descent(np.triu(np.ones((3, 3)), 1), np.ones(3))


def test_damage_view_energy_follows_the_one_memory_formula():
    for d in range(N + 1):
        view = theory.damage_view_many(A[None], 0, d, ORDER)
        m = 1 - 2 * d / N
        assert np.isclose(view.overlaps[0], m)
        assert np.isclose(view.energy, -N / 2 * m**2 + 0.5)
        assert np.isclose(view.energies[d], view.energy)
    assert np.allclose(view.energies, -N / 2 * (1 - 2 * np.arange(N + 1) / N) ** 2 + 0.5)


def test_descent_recalls_the_memory_below_the_ridge_and_its_negative_above():
    for d in range(N + 1):
        view = theory.damage_view_many(A[None], 0, d, ORDER)
        expected = "x" if d < N / 2 else "-x"
        assert (view.end_pattern, view.end_sign) == (0, 1 if expected == "x" else -1), f"d = {d}"
        assert np.all(np.diff(view.path_energies) < 0)  # every flip goes strictly downhill
        assert len(view.path) - 1 == min(d, N - d)  # one flip per wrong unit, on the near side
        assert np.array_equal(view.end, A if expected == "x" else -A)


def test_steepest_descent_stops_in_a_local_minimum_of_any_symmetric_network():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(12, 12))
    W = (M + M.T) / 2
    np.fill_diagonal(W, 0)
    path = hopfield.steepest_descent(W, rng.choice([-1.0, 1.0], size=12))
    end = path[-1]
    assert np.all(end * hopfield.local_field(W, end) >= 0)
    assert np.all(np.diff(hopfield.energy(W, path)) < 0)


def test_draw_damage_titles_say_what_the_panels_show():
    fig = ch01.draw_damage(A[None, :], ["A"], "A", 14, ORDER)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "A, 14 of 25 flipped"
    assert titles[1].startswith("d = 14: E = 0.32; overlaps A -0.12")
    assert "ends in -A" in titles[2]
    assert np.allclose(fig.axes[1].lines[0].get_ydata(), theory.damage_view_many(A[None], 0, 14, ORDER).energies)
    plt.close(fig)


def test_with_several_letters_stored_the_curve_is_no_longer_the_parabola():
    letters, names = letter_patterns(["A", "X", "T"])
    fig = ch01.draw_damage(letters, names, "X", 3, ORDER)
    many, alone = fig.axes[1].lines[0].get_ydata(), fig.axes[1].lines[1].get_ydata()
    assert not np.allclose(many, alone) and "overlaps A" in fig.axes[1].get_title()
    assert fig.axes[2].get_title().endswith("ends in X")
    plt.close(fig)


def test_every_control_redraws(monkeypatch):
    seen = []
    real = ch01.draw_damage

    def spy(patterns, names, target, d, order=None):
        seen.append((tuple(names), target, d))
        return real(patterns, names, target, d, order)

    monkeypatch.setattr(ch01, "draw_damage", spy)
    box = ch01.damage_explorer(stored=("A", "X", "T"), letter="A", d=6)
    chooser, menu, slider = box.children[1].children
    assert seen == [(("X", "A", "T"), "A", 6)] and slider.max == N and "course-widget" in box._dom_classes
    slider.value = 20
    menu.value = "H"  # a letter that is not stored is stored as well
    chooser.value = ("A",)
    assert seen[1:] == [(("X", "A", "T"), "A", 20), (("X", "A", "H", "T"), "H", 20), (("A", "H"), "H", 20)]
    assert slider.layout.width == "420px"
    plt.close("all")


def test_the_explorer_refuses_a_letter_it_does_not_store():
    with pytest.raises(ValueError, match="stored"):
        ch01.damage_explorer(stored=("X",), letter="A")
