"""Chapter 01 widget: damage a stored letter unit by unit and watch its energy and where descent takes it.

Wiring only: what is drawn comes from ``course_lib.hopfield.damage_view`` (tested in tests/test_widgets_ch01.py).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..datasets import letter_patterns
from ..hopfield import damage_view
from . import figure_with_controls

__all__ = ["draw_damage", "damage_explorer"]

SHAPE = (5, 5)


def draw_damage(pattern, d: int, order=None, name: str = "x") -> Figure:
    """Three panels: the letter with d units flipped, energy against damage (this d marked), where descent ends."""
    view = damage_view(pattern, d, order)
    n = view.state.size
    ends = {"x": name, "-x": f"-{name} (its negative)", "other": "another state"}
    fig, axes = plt.subplots(1, 3, figsize=(9.5, 3.0), gridspec_kw={"width_ratios": [1, 2.2, 1]})
    axes[0].imshow(view.state.reshape(SHAPE), cmap="gray_r", vmin=-1, vmax=1)
    axes[0].set_title(f"{name}, {d} of {n} flipped", fontsize=9)
    ax = axes[1]
    ax.plot(range(n + 1), view.energies, ".-", color="0.6")
    ax.plot([d], [view.energy], "o", color="crimson", ms=9)
    ax.axvline(n / 2, color="k", ls=":", lw=1)
    ax.set_xlabel("number of flipped units d")
    ax.set_ylabel("energy E(s)")
    ax.set_title(f"d = {d}: E = {view.energy:.2f}, m = {view.overlap:+.2f}", fontsize=9)
    axes[2].imshow(view.end.reshape(SHAPE), cmap="gray_r", vmin=-1, vmax=1)
    axes[2].set_title(f"descent: {len(view.path) - 1} flips,\nends in {ends[view.recalled]}", fontsize=9)
    for a in (axes[0], axes[2]):
        a.set_xticks([])
        a.set_yticks([])
    fig.tight_layout()
    return fig


def damage_explorer(letter: str = "A", d: int = 6, seed: int = 0):
    """A slider for the number of flipped units (in a fixed random order) and a letter menu; returns the box."""
    import ipywidgets as w

    patterns, names = letter_patterns()
    n = patterns.shape[1]
    order = np.random.default_rng(seed).permutation(n)
    slider = w.IntSlider(value=d, min=0, max=n, step=1, description="flipped d", continuous_update=False)
    menu = w.Dropdown(options=names, value=letter, description="letter")

    def draw(letter: str, d: int) -> Figure:
        return draw_damage(patterns[names.index(letter)], d, order, name=letter)

    return figure_with_controls(draw, {"letter": menu, "d": slider},
                                title="Damage a stored letter: its energy, and where descent takes it")
