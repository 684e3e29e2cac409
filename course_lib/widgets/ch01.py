"""Chapter 01 widget: store several letters, damage one unit by unit, watch its energy and where descent takes it.

Wiring only: what is drawn comes from ``course_lib.theory.damage_view_many`` (tested in tests/test_theory.py
and tests/test_widgets_ch01.py).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..datasets import letter_patterns
from ..theory import damage_view_many
from . import figure_with_controls

__all__ = ["draw_damage", "damage_explorer"]

SHAPE = (5, 5)
SLIDER_LAYOUT = {"width": "420px"}  # wide enough that each of the 26 steps of d is a visible move
DESCRIPTION = {"description_width": "110px"}


def draw_damage(patterns, names, target: str, d: int, order=None) -> Figure:
    """Three panels: letter ``target`` with d units flipped, energy against damage, where descent ends."""
    names = list(names)
    k = names.index(target)
    view = damage_view_many(patterns, k, d, order)
    n = view.state.size
    if view.end_pattern < 0:
        end = "another state (spurious)"
    else:
        end = names[view.end_pattern] if view.end_sign > 0 else f"-{names[view.end_pattern]} (a negative)"
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.1), gridspec_kw={"width_ratios": [1, 2.2, 1]})
    axes[0].imshow(view.state.reshape(SHAPE), cmap="gray_r", vmin=-1, vmax=1)
    axes[0].set_title(f"{target}, {d} of {n} flipped", fontsize=9)
    ax = axes[1]
    levels = np.arange(n + 1)
    ax.plot(levels, view.energies, ".-", color="0.5", label=f"stored: {', '.join(names)}")
    ax.plot(levels, -n / 2 * (1 - 2 * levels / n) ** 2 + 0.5, ":", color="0.3", lw=1,
            label=f"{target} stored alone")
    ax.plot([d], [view.energy], "o", color="crimson", ms=9)
    ax.set_xlabel("number of flipped units d")
    ax.set_ylabel("energy E(s)")
    m = ", ".join(f"{nm} {mv:+.2f}" for nm, mv in zip(names, view.overlaps, strict=True))
    ax.set_title(f"d = {d}: E = {view.energy + 0.0:.2f}; overlaps {m}", fontsize=8)
    ax.legend(fontsize=7, loc="lower center")
    axes[2].imshow(view.end.reshape(SHAPE), cmap="gray_r", vmin=-1, vmax=1)
    axes[2].set_title(f"descent: {len(view.path) - 1} flips,\nends in {end}", fontsize=9)
    for a in (axes[0], axes[2]):
        a.set_xticks([])
        a.set_yticks([])
    fig.tight_layout()
    return fig


def damage_explorer(stored: tuple[str, ...] = ("A", "X", "T"), letter: str = "A", d: int = 6, seed: int = 0):
    """Choose the stored letters, the one to damage and how many units to flip; returns the widget box."""
    import ipywidgets as w

    patterns, names = letter_patterns()
    if not stored or any(s not in names for s in stored) or letter not in stored:
        raise ValueError(f"stored must be a non-empty choice from {names} that includes letter={letter!r}")
    n = patterns.shape[1]
    order = np.random.default_rng(seed).permutation(n)
    chooser = w.SelectMultiple(options=names, value=tuple(stored), rows=5, description="stored letters",
                               style=DESCRIPTION)
    menu = w.Dropdown(options=names, value=letter, description="damage letter", style=DESCRIPTION)
    slider = w.IntSlider(value=d, min=0, max=n, step=1, description="flipped d", continuous_update=False,
                         layout=SLIDER_LAYOUT, style=DESCRIPTION)

    def draw(stored: tuple[str, ...], letter: str, d: int):
        chosen = [nm for nm in names if nm in stored or nm == letter]  # the damaged letter is always stored
        return draw_damage(patterns[[names.index(nm) for nm in chosen]], chosen, letter, d, order)

    return figure_with_controls(draw, {"stored": chooser, "letter": menu, "d": slider},
                                title="Damage a stored letter (several stored): its energy, and where descent takes it")
