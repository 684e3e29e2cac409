"""The shared core of the science modules: input checks, beta, softmax / lse, and the rng rule.

Every public function of course_lib validates what it is given with these helpers, so a bad
input gets the same clear ValueError everywhere. Later chapters build on earlier ones; all of
them build on this module.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["as_spins", "as_vectors", "as_weights", "as_bias", "as_patterns", "as_finite", "as_count", "as_positive",
           "as_beta", "as_temperature", "as_temperatures", "as_probability", "as_index", "as_order",
           "check_memory", "MEMORY_LIMIT_BYTES", "lse", "softmax", "as_rng", "torch_generator"]


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
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one unit (N >= 1), got shape {arr.shape}")
    if n is not None and arr.shape[-1] != n:
        raise ValueError(f"{name} has {arr.shape[-1]} units on its last axis, expected N = {n}")
    if arr.size and not np.all((arr == 1) | (arr == -1)):
        bad = arr[(arr != 1) & (arr != -1)].ravel()[:3]
        raise ValueError(f"{name} must contain only +1 and -1 values, found e.g. {bad.tolist()}")
    return arr.astype(np.float64, copy=False)


def as_weights(W, name: str = "W", symmetric: bool = False) -> np.ndarray:
    """Return ``W`` as a float (N, N) array, N >= 1; ValueError if it is not square, not finite, or
    (with ``symmetric=True``) not symmetric."""
    arr = as_finite(W, name)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a square (N, N) matrix with N >= 1, got shape {arr.shape}")
    if symmetric and not np.allclose(arr, arr.T):
        raise ValueError(f"{name} must be symmetric: the energy only sees (W + W^T)/2")
    return arr


def as_bias(b, n: int, name: str = "b") -> np.ndarray | None:
    """Return the bias as a float (N,) array, or None when ``b`` is None."""
    if b is None:
        return None
    arr = as_finite(b, name)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {arr.shape}")
    return arr


def as_vectors(a, n: int | None = None, name: str = "states") -> np.ndarray:
    """Real-valued states: one vector (N,) or a batch (B, N) of finite numbers, N >= 1 (float64)."""
    arr = as_finite(a, name)
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
        raise ValueError(f"{name} must have shape (N,) or (B, N) with N >= 1, got shape {arr.shape}")
    if n is not None and arr.shape[-1] != n:
        raise ValueError(f"{name} has {arr.shape[-1]} units on its last axis, expected N = {n}")
    return arr


def as_patterns(patterns, name: str = "patterns") -> np.ndarray:
    """Return stored patterns as a (p, N) float array of +-1, p >= 1; a single (N,) pattern becomes (1, N)."""
    arr = as_spins(patterns, name=name)
    arr = arr[None, :] if arr.ndim == 1 else arr
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one pattern (p >= 1), got shape {arr.shape}")
    return arr


# ----------------------------------------------------------------------------------------------
# numbers, counts, temperatures
# ----------------------------------------------------------------------------------------------

def as_finite(a, name: str = "x") -> np.ndarray:
    """``a`` as a float64 NumPy array; ValueError if it is not numeric or holds NaN/inf."""
    arr = np.asarray(a)
    if arr.dtype == object or np.iscomplexobj(arr) or not (np.issubdtype(arr.dtype, np.number)
                                                           or arr.dtype == bool):
        raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
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
        x = float(value) if not isinstance(value, (str, bytes)) else math.nan
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}") from None
    if isinstance(value, bool) or not (math.isfinite(x) and x > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return x


def as_beta(beta) -> float:
    """An inverse temperature: a positive finite number."""
    return as_positive(beta, "beta")


def as_temperature(T, name: str = "T") -> float:
    """A temperature: a positive finite number."""
    return as_positive(T, name)


def as_temperatures(T, name: str = "temperatures") -> np.ndarray:
    """One or more temperatures as a non-empty 1-D float array of positive finite numbers."""
    arr = np.atleast_1d(as_finite(T, name))
    if arr.ndim != 1 or arr.size == 0 or np.any(arr <= 0):
        raise ValueError(f"{name} must be positive, finite numbers, got {T!r}")
    return arr


def as_probability(value, name: str) -> float:
    """A number in [0, 1] (a probability or a fraction); ValueError naming ``name`` otherwise."""
    try:
        x = float(value) if not isinstance(value, (str, bytes)) else math.nan
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}") from None
    if isinstance(value, bool) or not 0.0 <= x <= 1.0:  # NaN fails both comparisons
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return x


def as_index(i, n: int, name: str = "i") -> int:
    """An integer index in [0, n); ValueError naming ``name`` otherwise (negative indices refused)."""
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
        raise ValueError(f"{name} must be an integer in [0, {n}), got {i!r}")
    return int(i)


def as_order(order, n: int, name: str = "order", permutation: bool = False) -> np.ndarray:
    """A 1-D integer array of unit indices in [0, n): the order of an asynchronous sweep.

    With ``permutation=True`` every unit must appear exactly once (needed wherever "a sweep changed
    nothing" is read as "a fixed point": a unit left out is never checked).
    """
    arr = np.asarray(order)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0) \
            or arr.min(initial=0) < 0 or arr.max(initial=0) >= n:
        raise ValueError(f"{name} must be a 1-D array of unit indices in [0, {n}), got {order!r}")
    arr = arr.astype(np.int64, copy=False)
    if permutation and (arr.size != n or np.unique(arr).size != n):
        raise ValueError(f"{name} must be a permutation of the {n} units (each exactly once), got {arr.size} "
                         f"entries with {np.unique(arr).size} distinct units")
    return arr


# ----------------------------------------------------------------------------------------------
# sizes that cannot fit
# ----------------------------------------------------------------------------------------------

MEMORY_LIMIT_BYTES = 4 * 2**30   # the largest single working set a course function may allocate


def check_memory(n_bytes: float, what: str, hint: str = "") -> None:
    """Refuse, before allocating, a computation that would need more than ``MEMORY_LIMIT_BYTES``.

    The ValueError says how much it would need, so the learner can shrink it.
    """
    if n_bytes > MEMORY_LIMIT_BYTES:
        raise ValueError(f"{what} would need {n_bytes / 2**30:,.1f} GiB of memory, more than the "
                         f"{MEMORY_LIMIT_BYTES / 2**30:.0f} GiB this course allows for one computation"
                         + (f": {hint}" if hint else ""))


# ----------------------------------------------------------------------------------------------
# softmax and log-sum-exp (NumPy; torch code uses torch.softmax / torch.logsumexp)
# ----------------------------------------------------------------------------------------------

def _scores(z, axis: int) -> np.ndarray:
    """Scores for softmax / lse: real, no NaN or +inf (-inf is allowed: a weight exp(-inf) = 0)."""
    arr = np.asarray(z)
    if arr.dtype == object or np.iscomplexobj(arr) or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"z must be a real numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if np.any(np.isnan(arr) | (arr == np.inf)):
        raise ValueError("z contains NaN or +inf values")
    if arr.ndim == 0 or arr.shape[axis] == 0:
        raise ValueError(f"z must have at least one entry along axis {axis}, got shape {arr.shape}")
    return arr


def lse(z, beta: float = 1.0, axis: int = -1) -> np.ndarray:
    """beta^-1 log sum_i exp(beta z_i) along ``axis``, computed without overflow.

    max_i z_i <= lse(z, beta) <= max_i z_i + log(k) / beta for k entries. Entries of -inf count
    for nothing (all -inf gives -inf).
    """
    b = as_beta(beta)
    z = _scores(z, axis)
    m = z.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore", over="ignore"):  # z - m may overflow to -inf: a weight of 0
        out = np.squeeze(m, axis=axis) + np.log(np.exp(b * (z - m)).sum(axis=axis)) / b
    return out[()] if out.ndim == 0 else out


def softmax(z, beta: float = 1.0, axis: int = -1) -> np.ndarray:
    """exp(beta z_i) / sum_j exp(beta z_j) along ``axis``, computed without overflow.

    Entries of -inf get weight 0 (a mask); a slice with every entry -inf raises ValueError.
    """
    b = as_beta(beta)
    z = _scores(z, axis)
    m = z.max(axis=axis, keepdims=True)
    if np.any(np.isneginf(m)):
        raise ValueError(f"z has a slice along axis {axis} whose entries are all -inf: nothing to normalise")
    with np.errstate(over="ignore"):  # z - m may overflow to -inf: a weight of 0
        e = np.exp(b * (z - m))
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
