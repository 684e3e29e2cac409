"""Chapter 02 widget: step through an asynchronous recall, one unit update at a time.

The computation is :func:`course_lib.hopfield.recall_steps` (tested in tests/test_hopfield_dynamics.py);
this module only draws its result and connects a slider to it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import hopfield
from . import figure_with_controls

__all__ = ["step_figure", "recall_stepper"]


def step_figure(states, energies, units, step: int, shape: tuple[int, int], target=None):
    """The state after ``step`` updates (the unit just visited outlined) next to the energy so far."""
    step = int(np.clip(step, 0, len(states) - 1))
    fig, (ax_img, ax_e) = plt.subplots(1, 2, figsize=(7, 3), gridspec_kw={"width_ratios": [1, 1.6]})
    ax_img.imshow(states[step].reshape(shape), cmap="gray_r", vmin=-1, vmax=1)
    ax_img.set_xticks([])
    ax_img.set_yticks([])
    title = f"after {step} updates"
    if step > 0:
        r, c = divmod(int(units[step - 1]), shape[1])
        ax_img.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="crimson", lw=2))
        flipped = not np.array_equal(states[step], states[step - 1])
        title += f"\nunit {units[step - 1]} {'flipped' if flipped else 'kept'}"
    if target is not None:
        title += f", m = {hopfield.overlap(states[step], target):+.2f}"
    ax_img.set_title(title, fontsize=9)
    ax_e.plot(energies, color="0.7")
    ax_e.plot(np.arange(step + 1), energies[: step + 1], color="C0")
    ax_e.plot(step, energies[step], "o", color="crimson")
    ax_e.set_xlabel("single-unit update")
    ax_e.set_ylabel("energy E(s)")
    ax_e.set_title("energy never rises")
    fig.tight_layout()
    return fig


def recall_stepper(W, probe, shape: tuple[int, int], target=None, rng=None):
    """A slider over the updates of one asynchronous recall of ``probe`` (N,) with weights ``W``."""
    import ipywidgets as w

    states, energies, units = hopfield.recall_steps(W, probe, rng=rng)
    slider = w.IntSlider(value=0, min=0, max=len(states) - 1, step=1, description="update",
                         continuous_update=False)
    play = w.Play(value=0, min=0, max=len(states) - 1, step=1, interval=150)
    w.jslink((play, "value"), (slider, "value"))
    box = figure_with_controls(lambda step: step_figure(states, energies, units, step, shape, target),
                               {"step": slider}, title="Asynchronous recall, update by update")
    box.children = (box.children[0], w.HBox([play, slider]), *box.children[2:])
    return box
