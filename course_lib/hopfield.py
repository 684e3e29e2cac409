"""The classical Hopfield network: energy, local fields and single-flip energy changes.

Spins are +-1. Every function takes one state (N,) or a batch (B, N) and returns the
matching leading shape. Chapters 02 and 03 add learning rules and dynamics here.
"""

from __future__ import annotations

import numpy as np

from .validate import as_bias, as_spins, as_weights


def energy(W, states, b=None) -> np.ndarray | float:
    """E(s) = -1/2 s^T W s - b^T s for one state (N,) -> float, or a batch (B, N) -> (B,)."""
    W = as_weights(W)
    s = as_spins(states, n=W.shape[0])
    b = as_bias(b, W.shape[0])
    e = -0.5 * np.einsum("...i,ij,...j->...", s, W, s)
    if b is not None:
        e = e - s @ b
    return float(e) if s.ndim == 1 else e


def local_field(W, states, b=None) -> np.ndarray:
    """h = W s + b for one state (N,) or a batch (B, N); returns the same shape as ``states``."""
    W = as_weights(W)
    s = as_spins(states, n=W.shape[0])
    b = as_bias(b, W.shape[0])
    h = s @ W.T
    return h if b is None else h + b


def flip_energy_change(W, states, i: int, b=None) -> np.ndarray | float:
    """E(s with s_i flipped) - E(s) = 2 s_i (h_i - W_ii s_i), in O(N) per state.

    Needs a symmetric W (the energy only sees W's symmetric part). ``i`` is a unit index.
    """
    W = as_weights(W)
    if not np.allclose(W, W.T):
        raise ValueError("flip_energy_change needs a symmetric W: the energy only sees (W + W^T)/2")
    s = as_spins(states, n=W.shape[0])
    n = W.shape[0]
    if not isinstance(i, (int, np.integer)) or not -n <= i < n:
        raise IndexError(f"unit index i must be an integer in [0, {n}), got {i!r}")
    b = as_bias(b, n)
    h_i = s @ W[i] + (0.0 if b is None else b[i])
    delta = 2.0 * s[..., i] * (h_i - W[i, i] * s[..., i])
    return float(delta) if s.ndim == 1 else delta
