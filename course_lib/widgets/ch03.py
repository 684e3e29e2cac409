"""Chapter 03 widget: basins of attraction under network size, load and noise, recomputed on every control.

The computation is :func:`course_lib.theory.basin_profile` (tested in tests/test_theory.py); this module
draws its result and connects the controls. Every change of a control runs the dynamics again.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np

from ..theory import BasinProfile, basin_profile
from . import figure_with_controls

__all__ = ["NOISE_GRID", "basin_figure", "basin_explorer"]

NOISE_GRID = np.linspace(0.0, 0.5, 11)
SLIDER_LAYOUT = {"width": "420px"}  # 25 steps of 0.01 (or 0.02): each step is a visible move
DESCRIPTION = {"description_width": "90px"}


def _patterns(n: int, alpha: float, seed: int) -> np.ndarray:
    p = max(1, int(round(alpha * n)))
    return np.random.default_rng([seed, n, p]).choice(np.array([-1.0, 1.0]), size=(p, n))


@lru_cache(maxsize=64)
def _grid(n: int, alpha: float, trials: int, seed: int) -> BasinProfile:
    """The curves against noise for one network (cached: they do not depend on the noise slider)."""
    return basin_profile(_patterns(n, alpha, seed), NOISE_GRID, trials=trials, rng=seed)


def basin_figure(n: int, alpha: float, noise: float, trials: int = 2, seed: int = 0, threshold: float = 0.95):
    """Left: every probe's final overlap at this ``noise``, run now. Right: fixed points, recall (m >= threshold)
    and exact recall against noise for p = alpha N random patterns stored with Hebb's rule."""
    X = _patterns(int(n), float(alpha), int(seed))
    p = X.shape[0]
    now = basin_profile(X, [float(noise)], trials=max(2, int(trials)) * 2,
                        rng=1000 * int(seed) + int(round(1000 * noise)), threshold=threshold)
    grid = _grid(int(n), round(float(alpha), 3), int(trials), int(seed))
    fig, (ax_h, ax_c) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [1, 1.3]})
    ax_h.hist(now.overlaps[0], bins=np.linspace(-1, 1, 41), color="C0")
    ax_h.axvline(threshold, color="crimson", ls=":", label=f"m = {threshold}")
    ax_h.set_xlabel("final overlap m with the pattern")
    ax_h.set_ylabel("probes")
    ax_h.set_title(f"noise {noise:.2f}, run now: {now.recalled[0]:.0%} recalled (m >= {threshold}), "
                   f"{now.exact[0]:.0%} exactly", fontsize=9)
    ax_h.legend(fontsize=8, loc="upper left")
    ax_c.axhline(grid.fixed_fraction, color="k", ls="--", lw=1,
                 label=f"patterns that are fixed points: {grid.fixed_fraction:.0%}")
    ax_c.plot(NOISE_GRID, grid.recalled, "o-", color="C0", label=f"recalled (m >= {threshold})")
    ax_c.plot(NOISE_GRID, grid.exact, "s-", color="C1", ms=4, label="recalled exactly")
    ax_c.plot([noise], [now.recalled[0]], "o", color="crimson", ms=9, label="this noise, run now")
    ax_c.set_ylim(-0.03, 1.03)
    ax_c.set_xlabel("fraction of units flipped in the probe")
    ax_c.set_ylabel("fraction of probes")
    ax_c.set_title(f"Hebb, N = {n}, p = {p} (alpha = {p / n:.3f})", fontsize=9)
    ax_c.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def basin_explorer(n: int = 200, trials: int = 2, seed: int = 0):
    """Controls for N, the load alpha = p/N and the probe noise; every change runs the dynamics again."""
    import ipywidgets as w

    controls = {
        "n": w.Dropdown(options=[100, 200, 400], value=n if n in (100, 200, 400) else 200, description="N",
                        style=DESCRIPTION),
        "alpha": w.FloatSlider(value=0.08, min=0.01, max=0.25, step=0.01, description="load p/N",
                               continuous_update=False, layout=SLIDER_LAYOUT, style=DESCRIPTION),
        "noise": w.FloatSlider(value=0.2, min=0.0, max=0.5, step=0.02, description="noise",
                               continuous_update=False, layout=SLIDER_LAYOUT, style=DESCRIPTION),
    }
    return figure_with_controls(lambda n, alpha, noise: basin_figure(n, alpha, noise, trials, seed), controls,
                                title="How wide is the valley? Fixed points and recall against size, load and noise")
