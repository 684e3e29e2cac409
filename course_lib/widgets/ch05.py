"""Chapter 05 widget: an RBM's samples across Gibbs steps.

Wiring only: the frames come from ``course_lib.rbm.gibbs_frames`` (tested there); they are
computed once when the widget is built, and the slider only chooses which one to show.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..plotting import pattern_grid
from ..rbm import RBM, gibbs_frames
from . import figure_with_controls

__all__ = ["draw_frame", "gibbs_explorer"]

def draw_frame(frames: np.ndarray, steps: Sequence[int], index: int, shape: tuple[int, int], ncols: int = 8):
    """The figure for one recorded step: each chain's p(v | h) as an image (black = 1)."""
    return pattern_grid(2 * frames[index] - 1, shape, ncols=ncols,
                        suptitle=f"p(v | h) after {steps[index]} Gibbs step{'s' if steps[index] != 1 else ''}")


def gibbs_explorer(model: RBM, v0, steps: Sequence[int], shape: tuple[int, int], rng=None, ncols: int = 8):
    """A slider over the recorded Gibbs steps ``steps`` of chains started at ``v0``; returns the widget box."""
    import ipywidgets as w

    frames = gibbs_frames(model, v0, steps, rng=rng).cpu().numpy()
    slider = w.SelectionSlider(options=[(str(s), i) for i, s in enumerate(steps)], value=len(steps) - 1,
                               description="Gibbs step", continuous_update=False)
    return figure_with_controls(lambda index: draw_frame(frames, steps, index, shape, ncols), {"index": slider},
                                title="RBM samples along the Gibbs chains")
