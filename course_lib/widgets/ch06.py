"""Chapter 06 widget: a beta slider on the energy landscape of a 2-D modern Hopfield network.

Wiring only: what is drawn comes from ``course_lib.modern.landscape`` (tested there).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from ..modern import landscape
from . import figure_with_controls

__all__ = ["draw_landscape", "beta_explorer"]


def draw_landscape(X, beta: float, resolution: int = 81):
    """The figure for one beta: energy contours, stored patterns (x), fixed points (minima filled)."""
    view = landscape(X, beta, resolution=resolution)
    fig, ax = plt.subplots(figsize=(5, 4.4))
    cs = ax.contourf(view.xs, view.ys, view.energy, levels=30, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="energy E(xi)")
    ax.scatter(X[:, 0], X[:, 1], marker="x", s=80, c="white", label="stored patterns")
    fp, mins = view.fixed_points, view.minima
    ax.scatter(fp[mins, 0], fp[mins, 1], s=50, c="crimson", label="fixed point (minimum)")
    if (~mins).any():
        ax.scatter(fp[~mins, 0], fp[~mins, 1], s=50, facecolors="none", edgecolors="crimson",
                   label="fixed point (saddle)")
    ax.set_xlabel("xi_1")
    ax.set_ylabel("xi_2")
    n_min = int(mins.sum())
    ax.set_title(f"beta = {beta:.2f}: {n_min} {'minimum' if n_min == 1 else 'minima'}")
    ax.legend(loc="lower left", fontsize=7)
    fig.tight_layout()
    return fig


# a track wide enough that each of the slider's 60 steps is a visible move (about 8 px)
SLIDER_LAYOUT = {"width": "560px"}


def beta_explorer(X, beta: float = 1.0):
    """A log-scale slider for beta (0.1 to 100) above the 2-D landscape of patterns X (p, 2)."""
    import ipywidgets as w

    slider = w.FloatLogSlider(value=beta, base=10, min=-1, max=2, step=0.05, description="beta",
                              continuous_update=False, readout_format=".2f", layout=SLIDER_LAYOUT)
    return figure_with_controls(lambda beta: draw_landscape(X, beta), {"beta": slider},
                                title="The modern Hopfield energy as beta changes")
