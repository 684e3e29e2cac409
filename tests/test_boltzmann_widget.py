"""Chapter 04 widget: builds headless, draws once, and redraws when the temperature slider moves."""

import matplotlib.pyplot as plt
import numpy as np

from course_lib import boltzmann as bz
from course_lib import hopfield
from course_lib.widgets import ch04


def hopfield6():
    rng = np.random.default_rng(0)
    return hopfield.hebbian_weights(rng.choice([-1.0, 1.0], size=(2, 6)))


def test_draw_distribution_shows_the_exact_distribution():
    W = hopfield6()
    fig = ch04.draw_distribution(W, None, 0.5)
    bars = fig.axes[0].patches
    heights = np.array([bar.get_height() for bar in bars])
    assert len(bars) == 64 and np.allclose(heights, bz.temperature_view(W, None, 0.5).probabilities)
    assert "T = 0.50" in fig.axes[0].get_title()
    plt.close(fig)


def test_moving_the_slider_redraws_at_the_new_temperature(monkeypatch):
    seen = []
    real = ch04.draw_distribution

    def spy(W, b, T):
        seen.append(T)
        return real(W, b, T)

    monkeypatch.setattr(ch04, "draw_distribution", spy)
    box = ch04.temperature_explorer(hopfield6(), T=1.0)
    slider = box.children[1].children[0]
    assert seen == [1.0] and slider.description == "T"
    slider.value = 4.0
    assert len(seen) == 2 and np.isclose(seen[-1], 4.0)
    plt.close("all")
