"""Chapter 03 widget: the basin of attraction under load and noise sliders.

The computation is :func:`course_lib.hopfield.basin_curve` (tested in tests/test_hopfield_dynamics.py);
this module draws its result and connects the sliders.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np

from .. import hopfield
from . import figure_with_controls

__all__ = ["NOISE_GRID", "basin_figure", "basin_explorer"]

NOISE_GRID = np.linspace(0.0, 0.5, 11)


@lru_cache(maxsize=32)
def _curve(n: int, alpha: float, trials: int, seed: int) -> tuple[int, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = max(1, int(round(alpha * n)))
    X = rng.choice(np.array([-1.0, 1.0]), size=(p, n))
    return p, hopfield.basin_curve(hopfield.hebbian_weights(X), X, NOISE_GRID, trials, rng)


def basin_figure(n: int, alpha: float, noise: float, trials: int = 2, seed: int = 0):
    """Recall fraction against noise for Hebb with p = alpha N random patterns; ``noise`` marked."""
    p, frac = _curve(int(n), round(float(alpha), 3), int(trials), int(seed))
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.plot(NOISE_GRID, frac, "o-", label=f"alpha = {alpha:.3f} (p = {p})")
    at = float(np.interp(noise, NOISE_GRID, frac))
    ax.axvline(noise, color="crimson", ls=":")
    ax.plot([noise], [at], "o", color="crimson", label=f"noise {noise:.2f}: {at:.0%} recalled")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("fraction of units flipped in the probe")
    ax.set_ylabel("fraction recalled exactly")
    ax.set_title(f"Basin of attraction, Hebb, N = {n}")
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def basin_explorer(n: int = 200, trials: int = 2, seed: int = 0):
    """Sliders for the load alpha = p/N and the probe noise; the figure recomputes on release."""
    import ipywidgets as w

    controls = {
        "alpha": w.FloatSlider(value=0.08, min=0.01, max=0.25, step=0.01, description="load p/N",
                               continuous_update=False),
        "noise": w.FloatSlider(value=0.2, min=0.0, max=0.5, step=0.05, description="noise",
                               continuous_update=False),
    }
    return figure_with_controls(lambda alpha, noise: basin_figure(n, alpha, noise, trials, seed), controls,
                                title="How wide is the valley? Recall against load and noise")
