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


def test_recall_stepper_builds_headless():
    letters, _ = letter_patterns(["X", "H"])
    box = ch02.recall_stepper(hopfield.hebbian_weights(letters), letters[1], (5, 5), rng=np.random.default_rng(0))
    assert "course-widget" in box._dom_classes
    slider = box.children[1].children[1]
    assert slider.max >= 25 and slider.value == 0


def test_basin_figure_marks_the_recall_fraction():
    fig = ch03.basin_figure(100, 0.05, 0.0, trials=1, seed=3)
    label = fig.axes[0].get_legend().get_texts()[1].get_text()
    assert label == "noise 0.00: 100% recalled"  # low load, no noise: every pattern is a fixed point
    plt.close(fig)
    p, frac = ch03._curve(100, 0.05, 1, 3)
    assert p == 5 and frac.shape == ch03.NOISE_GRID.shape and frac[-1] < 0.5


def test_basin_explorer_builds_headless():
    box = ch03.basin_explorer(n=60, trials=1)
    assert "course-widget" in box._dom_classes and len(box.children[1].children) == 2
