"""Chapter 02 widget: step through an asynchronous recall, one unit update at a time, with the field that decides.

The computation is :func:`course_lib.hopfield.recall_steps` and :func:`course_lib.hopfield.local_field`
(tested in tests/test_hopfield_dynamics.py); this module only draws their results and connects a slider.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import hopfield
from . import figure_with_controls

__all__ = ["step_figure", "recall_explorer"]


def step_figure(states, energies, units, step: int, shape: tuple[int, int], target=None, fields=None):
    """The state after ``step`` updates (the unit just visited outlined), the field map that decided that
    update (``fields`` (T+1, N): h = W s before each update; omitted if None), and the energy so far."""
    step = int(np.clip(step, 0, len(states) - 1))
    panels = 3 if fields is not None else 2
    ratios = [1, 1, 1.6] if fields is not None else [1, 1.6]
    fig, axes = plt.subplots(1, panels, figsize=(3.4 * panels + 0.6, 3.2), gridspec_kw={"width_ratios": ratios})
    ax_img, ax_e = axes[0], axes[-1]
    ax_img.imshow(states[step].reshape(shape), cmap="gray_r", vmin=-1, vmax=1)
    title = f"after {step} updates"
    unit = int(units[step - 1]) if step > 0 else None
    if unit is not None:
        r, c = divmod(unit, shape[1])
        for a in axes[:-1]:
            a.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, ec="crimson", lw=2))
        flipped = not np.array_equal(states[step], states[step - 1])
        title += f"\nunit {unit} {'flipped' if flipped else 'kept'}"
    if target is not None:
        title += f", m = {hopfield.overlap(states[step], target) + 0.0:+.2f}"
    ax_img.set_title(title, fontsize=9)
    if fields is not None:
        before = fields[step - 1] if step > 0 else fields[0]
        lim = float(np.max(np.abs(fields))) or 1.0
        im = axes[1].imshow(before.reshape(shape), cmap="RdBu_r", vmin=-lim, vmax=lim)
        fig.colorbar(im, ax=axes[1], fraction=0.046, pad=0.04)
        if unit is None:
            axes[1].set_title("field h = W s\n(red +, blue -)", fontsize=9)
        else:
            s_old, h = states[step - 1][unit] + 0.0, before[unit] + 0.0
            verdict = "keeps" if s_old * h >= 0 else "flips"
            agree = "agrees" if verdict == "keeps" else "disagrees"
            axes[1].set_title(f"field before: h = {h:+.2f}, s = {s_old:+.0f}\nsign(h) {agree}: unit {verdict}",
                              fontsize=9)
    for a in axes[:-1]:
        a.set_xticks([])
        a.set_yticks([])
    ax_e.plot(energies, color="0.7")
    ax_e.plot(np.arange(step + 1), energies[: step + 1], color="C0")
    ax_e.plot(step, energies[step], "o", color="crimson")
    ax_e.set_xlabel("single-unit update")
    ax_e.set_ylabel("energy E(s)")
    ax_e.set_title("energy never rises")
    fig.tight_layout()
    return fig


def recall_explorer(W, probe, shape: tuple[int, int], target=None, rng=None):
    """A slider over the updates of one asynchronous recall of ``probe`` (N,) with weights ``W``."""
    import ipywidgets as w

    states, energies, units = hopfield.recall_steps(W, probe, rng=rng)
    fields = hopfield.local_field(W, states)
    slider = w.IntSlider(value=0, min=0, max=len(states) - 1, step=1, description="update",
                         continuous_update=False, layout={"width": f"{min(900, 200 + 6 * len(states))}px"})
    play = w.Play(value=0, min=0, max=len(states) - 1, step=1, interval=150)
    w.jslink((play, "value"), (slider, "value"))
    box = figure_with_controls(lambda step: step_figure(states, energies, units, step, shape, target, fields),
                               {"step": slider}, title="Asynchronous recall, update by update")
    box.children = (box.children[0], w.HBox([play, slider]), *box.children[2:])
    return box
