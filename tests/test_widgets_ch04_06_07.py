"""Chapters 04, 06, 07 widgets: titles that read right, slider tracks wide enough for their steps."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_lib.widgets import ch04, ch06, ch07

X2 = np.array([[1.0, 0.25], [1.0, -0.25], [-0.7, 0.8], [-0.6, -0.9]])


def test_landscape_title_says_minimum_in_the_singular():
    fig = ch06.draw_landscape(X2, 0.5, resolution=41)
    title = fig.axes[0].get_title()
    plt.close(fig)
    assert title.endswith("1 minimum") and "minima" not in title
    fig = ch06.draw_landscape(X2, 50.0, resolution=41)
    assert fig.axes[0].get_title().endswith("4 minima")
    plt.close(fig)


def _slider(box):
    return box.children[1].children[0]


@pytest.mark.parametrize("build", [
    lambda: ch04.temperature_explorer(np.zeros((3, 3)), None, T=1.0),
    lambda: ch06.beta_explorer(X2, beta=1.0),
    lambda: ch07.beta_explorer(np.ones(4), np.eye(4)),
])
def test_slider_tracks_leave_several_pixels_per_step(build):
    slider = _slider(build())
    plt.close("all")
    steps = round((slider.max - slider.min) / slider.step)
    width = int(slider.layout.width.removesuffix("px"))
    assert steps >= 40 and width / steps >= 8        # each step a visible move of the handle
