"""Figures: functions that take data and return a matplotlib Figure (no plt.show here)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["pattern_grid", "energy_trace"]


def pattern_grid(patterns, shape: tuple[int, int], titles: Sequence[str] | None = None,
                 ncols: int | None = None, suptitle: str | None = None, size: float = 1.3) -> Figure:
    """Show each row of ``patterns`` (k, H*W) as an H x W image; +1 is dark ink, -1 is white."""
    arr = np.atleast_2d(np.asarray(patterns, dtype=float))
    if arr.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"patterns have {arr.shape[1]} units, shape {shape} needs {shape[0] * shape[1]}")
    k = arr.shape[0]
    ncols = ncols or min(k, 10)
    nrows = int(np.ceil(k / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)),
                             squeeze=False)
    lo, hi = (arr.min(), arr.max()) if arr.size else (0, 1)
    for idx, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if idx >= k:
            ax.axis("off")
            continue
        ax.imshow(arr[idx].reshape(shape), cmap="gray_r", vmin=min(lo, -1), vmax=max(hi, 1))
        if titles is not None:
            ax.set_title(str(titles[idx]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def energy_trace(energies, labels: Sequence[str] | None = None, xlabel: str = "step",
                 title: str = "Energy along the dynamics") -> Figure:
    """Plot one energy trace (T,) or several (k, T) against the step number."""
    arr = np.atleast_2d(np.asarray(energies, dtype=float))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for i, row in enumerate(arr):
        ax.plot(row, marker=".", label=None if labels is None else labels[i])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("energy E(s)")
    ax.set_title(title)
    if labels is not None:
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
