"""Figures: functions that take data and return a matplotlib Figure (no plt.show here)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torchvision.utils import make_grid

__all__ = ["pattern_grid", "energy_trace"]

__all__ = ["pattern_grid", "energy_trace"]


def pattern_grid(patterns, shape: tuple[int, int], titles: Sequence[str] | None = None,
                 ncols: int | None = None, suptitle: str | None = None, size: float = 1.3) -> Figure:
    """Show each row of ``patterns`` (k, H*W) as an H x W image; +1 is dark ink, -1 is white.

    The images are tiled into one picture by ``torchvision.utils.make_grid`` and drawn with a single
    ``imshow`` (one axes however many images: a grid of 100 MNIST digits draws in a fraction of the time of
    100 subplots); each title sits in the gap above its image.
    """
    arr = np.atleast_2d(np.asarray(patterns, dtype=float))
    h, w = shape
    if arr.shape[1] != h * w:
        raise ValueError(f"patterns have {arr.shape[1]} units, shape {shape} needs {h * w}")
    k = arr.shape[0]
    if k == 0:
        raise ValueError("patterns: no images to show (shape (0, N))")
    if titles is not None and len(titles) != k:
        raise ValueError(f"titles: {len(titles)} titles for {k} images")
    ncols = min(ncols or min(k, 10), k)
    nrows = int(np.ceil(k / ncols))
    lo, hi = min(arr.min(), -1.0), max(arr.max(), 1.0)
    # a gap tall enough for an 8-point title above each image when there are titles, one pixel otherwise
    pad = max(1, int(np.ceil(11 * h / (72 * size - 11)))) if titles is not None else 1
    tiles = torch.as_tensor(arr.reshape(k, 1, h, w))
    grid = make_grid(tiles, nrow=ncols, padding=pad, pad_value=lo)[0].numpy()
    fig, ax = plt.subplots(figsize=(size * ncols, size * nrows * (h + pad) / (w + pad) + (0.4 if suptitle else 0)))
    ax.imshow(grid, cmap="gray_r", vmin=lo, vmax=hi, interpolation="nearest")
    ax.set_axis_off()
    for idx, title in enumerate(titles or []):
        row, col = divmod(idx, ncols)
        ax.text(pad + col * (w + pad) + w / 2, pad + row * (h + pad) - 0.5, str(title), fontsize=8,
                ha="center", va="bottom")
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
