"""Widgets of chapters 02 and 03: they build headless, draw once, and show what the pure functions compute."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from course_lib import hopfield  # noqa: E402
from course_lib.datasets import letter_patterns  # noqa: E402
from course_lib.widgets import ch02, ch03  # noqa: E402


def test_recall_steps_records_every_update_and_ends_in_the_letter():
    letters, names = letter_patterns(["X", "H", "T"])
    W = hopfield.hebbian_weights(letters)
    probe = letters[0].copy()
    probe[[0, 7, 12]] *= -1
    states, energies, units = hopfield.recall_steps(W, probe, order=np.arange(25))
    assert len(states) == len(energies) == len(units) + 1 and len(units) % 25 == 0
    assert np.array_equal(states[0], probe) and np.array_equal(states[-1], letters[0])
    changed = np.flatnonzero(np.any(np.diff(states, axis=0) != 0, axis=1))
    assert set(units[changed].tolist()) <= {0, 7, 12}  # only the damaged pixels ever flip back
    fig = ch02.step_figure(states, energies, units, changed[0] + 1, (5, 5), target=letters[0])
    assert "flipped" in fig.axes[0].get_title() and fig.axes[1].get_xlabel() == "single-unit update"
    plt.close(fig)


def test_step_figure_shows_the_field_that_decides_each_update():
    letters, _ = letter_patterns(["X", "H", "T"])
    W = hopfield.hebbian_weights(letters)
    probe = letters[1].copy()
    probe[[3, 11]] *= -1
    states, energies, units = hopfield.recall_steps(W, probe, order=np.arange(25))
    fields = hopfield.local_field(W, states)
    for step in (4, 12):  # unit 3 is visited at update 4 (it flips back), unit 11 at update 12
        unit = units[step - 1]
        fig = ch02.step_figure(states, energies, units, step, (5, 5), target=letters[1], fields=fields)
        title = fig.axes[1].get_title()
        assert f"h = {fields[step - 1][unit]:+.2f}" in title and "unit flips" in title
        assert "flipped" in fig.axes[0].get_title()
        plt.close(fig)
    fig = ch02.step_figure(states, energies, units, 6, (5, 5), fields=fields)  # unit 5 agrees with its field
    assert "unit keeps" in fig.axes[1].get_title() and "kept" in fig.axes[0].get_title()
    plt.close(fig)


def test_recall_explorer_builds_headless():
    letters, _ = letter_patterns(["X", "H"])
    box = ch02.recall_explorer(hopfield.hebbian_weights(letters), letters[1], (5, 5), rng=np.random.default_rng(0))
    assert "course-widget" in box._dom_classes
    slider = box.children[1].children[1]
    assert slider.max >= 25 and slider.value == 0


def test_basin_figure_separates_fixed_points_from_recall():
    fig = ch03.basin_figure(100, 0.05, 0.0, trials=1, seed=3)
    ax_h, ax_c = fig.axes
    assert "100% recalled" in ax_h.get_title() and "100% exactly" in ax_h.get_title()
    labels = [t.get_text() for t in ax_c.get_legend().get_texts()]
    assert labels[0] == "patterns that are fixed points: 100%"
    plt.close(fig)
    grid = ch03._grid(100, 0.05, 1, 3)
    assert grid.exact.shape == ch03.NOISE_GRID.shape and grid.recalled[-1] < 0.5


def test_the_noise_slider_recomputes_rather_than_moving_a_marker(monkeypatch):
    calls = []
    real = ch03.basin_profile

    def spy(X, levels, **kw):
        calls.append(list(np.atleast_1d(levels)))
        return real(X, levels, **kw)

    monkeypatch.setattr(ch03, "basin_profile", spy)
    ch03._grid.cache_clear()
    box = ch03.basin_explorer(n=100, trials=1)
    size, load, noise = box.children[1].children
    assert calls[0] == [0.2]                      # the selected noise, run on its own
    noise.value = 0.3
    assert calls[-1] == [0.3] and len(calls) == 3  # a fresh run at the new noise; the grid curve is cached
    load.value = 0.12
    assert calls[-2] == [0.3] and len(calls[-1]) == len(ch03.NOISE_GRID)  # a new network: both run again
    size.value = 200
    assert "course-widget" in box._dom_classes and noise.layout.width == "420px"
    plt.close("all")


def test_basin_explorer_builds_headless():
    box = ch03.basin_explorer(n=100, trials=1)
    assert "course-widget" in box._dom_classes and len(box.children[1].children) == 3
