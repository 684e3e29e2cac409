"""Chapter 04 widget: a temperature slider on the exact Boltzmann distribution of a small network.

Wiring only: what is drawn comes from ``course_lib.boltzmann.temperature_view`` (tested there).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..boltzmann import temperature_view
from . import figure_with_controls

__all__ = ["draw_distribution", "temperature_explorer"]


def draw_distribution(W, b, T: float):
    """The figure for one temperature: P(s) of every state, sorted by energy, next to the uniform level."""
    view = temperature_view(W, b, T)
    p, e = view.probabilities, view.energies
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.bar(np.arange(p.size), p, width=1.0, color=plt.cm.viridis((e - e.min()) / (np.ptp(e) or 1.0)))
    ax.axhline(1 / p.size, color="k", ls=":", lw=1, label=f"uniform, 1/{p.size}")
    ax.set_xlabel("state, sorted from lowest to highest energy")
    ax.set_ylabel("P(s)")
    ax.set_ylim(0, max(0.05, 1.05 * p.max()))
    ax.set_title(f"T = {T:.2f}: entropy {view.entropy:.2f} nats, <E> = {view.mean_energy:.2f}, "
                 f"P(ground) = {view.p_ground:.2f}", fontsize=10)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


# a track wide enough that each of the slider's 52 steps is a visible move (about 8 px)
SLIDER_LAYOUT = {"width": "560px"}


def temperature_explorer(W, b=None, T: float = 1.0):
    """A log-scale slider for T (0.05 to 20) above the exact distribution; returns the widget box."""
    import ipywidgets as w

    slider = w.FloatLogSlider(value=T, base=10, min=-1.3, max=1.3, step=0.05, description="T",
                              continuous_update=False, readout_format=".2f", layout=SLIDER_LAYOUT)
    return figure_with_controls(lambda T: draw_distribution(W, b, T), {"T": slider},
                                title="The Boltzmann distribution as the temperature changes")
