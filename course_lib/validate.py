"""Input checks shared by the library: every public function validates what it is given."""

from __future__ import annotations

import numpy as np


def as_spins(states, n: int | None = None, name: str = "states") -> np.ndarray:
    """Return ``states`` as a float array of +-1 values, one state (N,) or a batch (B, N).

    Raises ValueError naming the problem when the array is not 1-D or 2-D, when its last
    axis does not have length ``n``, or when a value is not exactly +1 or -1.
    """
    arr = np.asarray(states)
    if arr.dtype == object:
        raise ValueError(f"{name} must be a numeric array, got dtype object")
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (N,) or (B, N), got shape {arr.shape}")
    if n is not None and arr.shape[-1] != n:
        raise ValueError(f"{name} has {arr.shape[-1]} units on its last axis, expected N = {n}")
    if arr.size and not np.all((arr == 1) | (arr == -1)):
        bad = arr[(arr != 1) & (arr != -1)].ravel()[:3]
        raise ValueError(f"{name} must contain only +1 and -1 values, found e.g. {bad.tolist()}")
    return arr.astype(np.float64, copy=False)


def as_weights(W, name: str = "W") -> np.ndarray:
    """Return ``W`` as a float (N, N) array; raise ValueError if it is not square or not finite."""
    arr = np.asarray(W, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square (N, N) matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def as_bias(b, n: int, name: str = "b") -> np.ndarray | None:
    """Return the bias as a float (N,) array, or None when ``b`` is None."""
    if b is None:
        return None
    arr = np.asarray(b, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
    return arr


def as_patterns(patterns, name: str = "patterns") -> np.ndarray:
    """Return stored patterns as a (p, N) float array of +-1; a single (N,) pattern becomes (1, N)."""
    arr = as_spins(patterns, name=name)
    return arr[None, :] if arr.ndim == 1 else arr
