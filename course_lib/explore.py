"""Pure functions behind chapter 01's interactive figure: damage a stored memory, then let it roll downhill.

One pattern x (N,) is stored with W = (x x^T - I) / N, so E(s) = -N/2 m^2 + 1/2 with overlap m = x.s / N.
``damage_view`` says, for d flipped units, what the damaged state is, its energy and overlap, the energy of
every damage level, and where steepest descent from it ends. ``course_lib.widgets.ch01`` only draws this.
"""

from __future__ import annotations

import numpy as np

from . import hopfield
from .core import as_spins, as_weights


def one_memory_weights(pattern) -> np.ndarray:
    """W = (x x^T - I) / N: the weights that store the single pattern x (N,)."""
    x = as_spins(pattern, name="pattern")
    if x.ndim != 1:
        raise ValueError(f"pattern must be one state of shape (N,), got shape {x.shape}")
    n = x.size
    return (np.outer(x, x) - np.eye(n)) / n


def flip_units(pattern, d: int, order=None) -> np.ndarray:
    """The pattern (N,) with the units ``order[:d]`` flipped (default order: 0, 1, ..., N-1)."""
    x = as_spins(pattern, name="pattern")
    if x.ndim != 1:
        raise ValueError(f"pattern must be one state of shape (N,), got shape {x.shape}")
    n = x.size
    if not isinstance(d, (int, np.integer)) or isinstance(d, bool) or not 0 <= d <= n:
        raise ValueError(f"d, the number of flipped units, must be an integer in [0, {n}], got {d!r}")
    order = np.arange(n) if order is None else np.asarray(order)
    if sorted(order.tolist()) != list(range(n)):
        raise ValueError(f"order must be a permutation of the {n} unit indices")
    s = x.copy()
    s[order[:d]] *= -1
    return s


def steepest_descent(W, state, max_flips: int = 10_000) -> np.ndarray:
    """Flip the unit whose flip lowers E the most until none does; the visited states (T+1, N).

    Uses dE_i = 2 s_i (h_i - W_ii s_i) for all i at once; every step lowers E strictly, so it stops
    in a local minimum (ties go to the lowest index). ``max_flips`` bounds the loop all the same.
    """
    W = as_weights(W)
    s = as_spins(state, n=W.shape[0]).copy()
    if s.ndim != 1:
        raise ValueError(f"state must be one state of shape (N,), got shape {s.shape}")
    visited = [s.copy()]
    for _ in range(max_flips):
        changes = 2.0 * s * (hopfield.local_field(W, s) - np.diag(W) * s)
        i = int(np.argmin(changes))
        if changes[i] >= 0:
            break
        s[i] *= -1
        visited.append(s.copy())
    return np.array(visited)


def damage_view(pattern, d: int, order=None) -> dict:
    """What chapter 01's widget shows for one stored pattern with d of its N units flipped.

    Returns a dict: ``state`` (N,) the damaged pattern, ``energy`` and ``overlap`` m of that state,
    ``energies`` (N+1,) the energy at every damage level 0..N along the same ``order``, ``path``
    (T+1, N) the states visited by steepest descent from ``state`` and ``path_energies`` (T+1,),
    ``end`` the last state, and ``recalled``: "x" (the memory), "-x" (its negative) or "other".
    """
    x = as_spins(pattern, name="pattern")
    W = one_memory_weights(x)
    s = flip_units(x, d, order)
    n = x.size
    levels = np.array([flip_units(x, k, order) for k in range(n + 1)])
    path = steepest_descent(W, s)
    end = path[-1]
    recalled = "x" if np.array_equal(end, x) else "-x" if np.array_equal(end, -x) else "other"
    return {
        "state": s,
        "energy": hopfield.energy(W, s),
        "overlap": float(s @ x / n),
        "energies": hopfield.energy(W, levels),
        "path": path,
        "path_energies": hopfield.energy(W, path),
        "end": end,
        "recalled": recalled,
    }
