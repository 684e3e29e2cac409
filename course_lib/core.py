"""The shared core of the science modules: input checks, beta, softmax / lse, and the rng rule.

Every public function of course_lib validates what it is given with these helpers, so a bad
input gets the same clear ValueError everywhere. Later chapters build on earlier ones; all of
them build on this module.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["as_spins", "as_weights", "as_bias", "as_patterns", "as_finite", "as_count", "as_positive",
           "as_beta", "lse", "softmax", "as_rng", "torch_generator"]


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
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def as_patterns(patterns, name: str = "patterns") -> np.ndarray:
    """Return stored patterns as a (p, N) float array of +-1; a single (N,) pattern becomes (1, N)."""
    arr = as_spins(patterns, name=name)
    return arr[None, :] if arr.ndim == 1 else arr


# ----------------------------------------------------------------------------------------------
# numbers, counts, temperatures
# ----------------------------------------------------------------------------------------------

def as_finite(a, name: str = "x") -> np.ndarray:
    """``a`` as a float64 NumPy array; ValueError if it is not numeric or holds NaN/inf."""
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def as_count(value, name: str, minimum: int = 1) -> int:
    """An integer >= ``minimum`` (bools refused); ValueError naming ``name`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def as_positive(value, name: str) -> float:
    """A finite number > 0 (0-d arrays and tensors accepted, any float dtype); ValueError otherwise."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}") from None
    if isinstance(value, bool) or not (math.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return x


def as_beta(beta) -> float:
    """An inverse temperature: a positive finite number."""
    return as_positive(beta, "beta")


# ----------------------------------------------------------------------------------------------
# softmax and log-sum-exp (NumPy; torch code uses torch.softmax / torch.logsumexp)
# ----------------------------------------------------------------------------------------------

def lse(z, beta: float = 1.0, axis: int = -1) -> np.ndarray:
    """beta^-1 log sum_i exp(beta z_i) along ``axis``, computed without overflow.

    max_i z_i <= lse(z, beta) <= max_i z_i + log(k) / beta for k entries.
    """
    b = as_beta(beta)
    z = as_finite(z, "z")
    if z.ndim == 0 or z.shape[axis] == 0:
        raise ValueError(f"z must have at least one entry along axis {axis}, got shape {z.shape}")
    m = z.max(axis=axis, keepdims=True)
    out = np.squeeze(m, axis=axis) + np.log(np.exp(b * (z - m)).sum(axis=axis)) / b
    return out[()] if out.ndim == 0 else out


def softmax(z, beta: float = 1.0, axis: int = -1) -> np.ndarray:
    """exp(beta z_i) / sum_j exp(beta z_j) along ``axis``, computed without overflow."""
    b = as_beta(beta)
    z = as_finite(z, "z")
    if z.ndim == 0 or z.shape[axis] == 0:
        raise ValueError(f"z must have at least one entry along axis {axis}, got shape {z.shape}")
    e = np.exp(b * (z - z.max(axis=axis, keepdims=True)))
    return e / e.sum(axis=axis, keepdims=True)


# ----------------------------------------------------------------------------------------------
# randomness: one rule for the whole library
# ----------------------------------------------------------------------------------------------
# Every function that draws random numbers takes ``rng``: an integer seed, a generator, or None.
# None means fresh, unseeded randomness (NumPy's own convention); a seed or a generator makes the
# call reproducible. NumPy modules take np.random.Generator, torch modules torch.Generator.

def as_rng(rng) -> np.random.Generator:
    """``rng`` (None, an int seed or a np.random.Generator) as a np.random.Generator."""
    if rng is None or isinstance(rng, np.random.Generator):
        return np.random.default_rng(rng)  # default_rng(Generator) returns it unchanged
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)) or rng < 0:
        raise ValueError(f"rng must be None, a non-negative integer seed or a np.random.Generator, got {rng!r}")
    return np.random.default_rng(int(rng))


def torch_generator(rng, device=None):
    """``rng`` (None, an int seed or a torch.Generator) as a torch.Generator on ``device``.

    A generator must live where the numbers are drawn: one on another device raises ValueError.
    None gives a generator seeded from fresh entropy.
    """
    import torch

    device = torch.device("cpu" if device is None else device)
    if isinstance(rng, torch.Generator):
        same_index = device.index is None or rng.device.index in (None, device.index)
        if rng.device.type != device.type or not same_index:
            raise ValueError(f"rng is a torch.Generator on {rng.device}, but the numbers are drawn on {device}: "
                             f"make it with torch.Generator(device={str(device)!r})")
        return rng
    gen = torch.Generator(device=device)
    if rng is None:
        gen.seed()
        return gen
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)) or rng < 0:
        raise ValueError(f"rng must be None, a non-negative integer seed or a torch.Generator, got {rng!r}")
    gen.manual_seed(int(rng))
    return gen
