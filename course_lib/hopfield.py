"""The classical Hopfield network: energy, fields, learning rules, dynamics and capacity.

Spins are +-1. Every function takes one state (N,) or a batch (B, N) and returns the
matching leading shape; stored patterns are a (p, N) array. Chapter 01 uses the energy,
fields, flips and steepest descent; chapter 02 the learning rules
(Hebb, centred Hebb, pseudoinverse, Storkey); chapter 03 the dynamics (sync_step, async_sweep,
recall) and the capacity measurements. Later chapters reuse this module's Hebb rule
(:func:`hebbian_weights`) and zero-temperature sign dynamics (:func:`recall`): they are the
course's only copies.

Randomness follows ``course_lib.core.as_rng``: ``rng=None`` is fresh randomness, an int seeds
it; a deterministic asynchronous order is the explicit ``order=`` argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .core import (
    as_bias,
    as_count,
    as_finite,
    as_index,
    as_order,
    as_patterns,
    as_probability,
    as_rng,
    as_spins,
    as_weights,
    check_memory,
)

__all__ = [
    "energy", "local_field", "flip_energy_change", "flip_units", "steepest_descent",
    "hebbian_weights", "centered_hebbian_weights", "pseudoinverse_weights", "storkey_weights", "crosstalk",
    "overlap", "overlap_matrix", "sync_step", "async_sweep", "recall_steps", "RecallResult", "recall",
    "ALPHA_C_AGS", "classify_states", "basin_curve", "one_step_error", "one_step_error_exact",
    "mceliece_capacity", "CapacityCurve", "capacity_curve",
]


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


def flip_energy_change(W, states, i: int | None, b=None) -> np.ndarray | float:
    """E(s with s_i flipped) - E(s) = 2 s_i (h_i - W_ii s_i), in O(N) per state.

    Needs a symmetric W (the energy only sees W's symmetric part). ``i`` is a unit index in
    [0, N); ``i=None`` gives the change of every unit at once, with the shape of ``states``.
    """
    W = as_weights(W, symmetric=True)
    s = as_spins(states, n=W.shape[0])
    n = W.shape[0]
    b = as_bias(b, n)
    if i is None:
        return 2.0 * s * (local_field(W, s, b) - np.diag(W) * s)
    i = as_index(i, n, "unit index i")
    h_i = s @ W[i] + (0.0 if b is None else b[i])
    delta = 2.0 * s[..., i] * (h_i - W[i, i] * s[..., i])
    return float(delta) if s.ndim == 1 else delta


# ----------------------------------------------------------------------------------------------
# Chapter 01: the damage widget (one stored memory, damaged, then rolling downhill)
# ----------------------------------------------------------------------------------------------

def _one_state(x, name: str, n: int | None = None) -> np.ndarray:
    x = as_spins(x, n=n, name=name)
    if x.ndim != 1:
        raise ValueError(f"{name} must be one state of shape (N,), got shape {x.shape}")
    return x


def flip_units(pattern, d: int, order=None) -> np.ndarray:
    """The pattern (N,) with the units ``order[:d]`` flipped (``order`` a permutation; default 0, 1, ..., N-1)."""
    x = _one_state(pattern, "pattern")
    n = x.size
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or not 0 <= d <= n:
        raise ValueError(f"d, the number of flipped units, must be an integer in [0, {n}], got {d!r}")
    order = np.arange(n) if order is None else as_order(order, n, permutation=True)
    s = x.copy()
    s[order[:d]] *= -1
    return s


def steepest_descent(W, state, max_flips: int = 10_000) -> np.ndarray:
    """Flip the unit whose flip lowers E the most until none does; the visited states (T+1, N).

    Uses :func:`flip_energy_change` for all units at once; every step lowers E strictly, so it
    stops in a local minimum (ties go to the lowest index). ``max_flips`` bounds the loop.
    """
    W = as_weights(W, symmetric=True)
    s = _one_state(state, "state", W.shape[0]).copy()
    visited = [s.copy()]
    for _ in range(as_count(max_flips, "max_flips")):
        changes = flip_energy_change(W, s, None)
        i = int(np.argmin(changes))
        if changes[i] >= 0:
            break
        s[i] *= -1
        visited.append(s.copy())
    return np.array(visited)


# ----------------------------------------------------------------------------------------------
# Chapter 02: learning rules
# ----------------------------------------------------------------------------------------------

def _finish(W: np.ndarray, zero_diagonal: bool) -> np.ndarray:
    W = (W + W.T) / 2  # exact symmetry, whatever the rounding of the products
    if zero_diagonal:
        np.fill_diagonal(W, 0.0)
    return W


def hebbian_weights(patterns, zero_diagonal: bool = True) -> np.ndarray:
    """Hebb's rule W = (1/N) sum_mu x^mu (x^mu)^T = X^T X / N for patterns X (p, N) -> W (N, N).

    The diagonal is set to zero unless ``zero_diagonal=False``. A single pattern (N,) is allowed.
    """
    X = as_patterns(patterns)
    return _finish(X.T @ X / X.shape[1], zero_diagonal)


def centered_hebbian_weights(patterns, zero_diagonal: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Hebb on centred patterns: returns ``(W, b)`` with W = (1/N) sum (x - a)(x - a)^T, b = -W a.

    ``a`` (N,) is the mean pattern. The field is h = W s + b = W (s - a): the dynamics see a
    state's deviation from the mean. Shapes: patterns (p, N) -> W (N, N), b (N,).
    """
    X = as_patterns(patterns)
    a = X.mean(axis=0)
    D = X - a
    W = _finish(D.T @ D / X.shape[1], zero_diagonal)
    return W, -(W @ a)


def pseudoinverse_weights(patterns, zero_diagonal: bool = True) -> np.ndarray:
    """The projection rule W = X^T (X X^T)^+ X for patterns X (p, N): W projects onto their span.

    In the column convention (patterns as columns of an N x p matrix) this reads X (X^T X)^-1 X^T.
    With the full diagonal every stored pattern satisfies W x = x exactly. The Moore-Penrose
    inverse ``(X X^T)^+`` also covers linearly dependent patterns. Zero diagonal by default.
    """
    X = as_patterns(patterns)
    gram = X @ X.T
    return _finish(X.T @ np.linalg.pinv(gram, hermitian=True) @ X, zero_diagonal)


def storkey_weights(patterns, initial=None) -> np.ndarray:
    """Storkey's (1997) incremental rule, one pattern x at a time, starting from W = 0:

        W_ij += (x_i x_j - x_i h_ji - h_ij x_j) / N,   h_ij = sum_{k != i, j} W_ik x_k,

    with the weights of the patterns learnt so far. Patterns (p, N) -> W (N, N), always with a
    zero diagonal (the rule's sums leave out k = i). ``initial`` continues learning from an earlier
    result: storkey_weights(X[k:], initial=storkey_weights(X[:k])) == storkey_weights(X).
    """
    X = as_patterns(patterns)
    n = X.shape[1]
    if initial is None:
        W = np.zeros((n, n))
    else:
        W = as_weights(initial, name="initial").copy()
        if W.shape != (n, n) or not np.allclose(W, W.T) or np.any(np.diag(W) != 0):
            raise ValueError(f"initial must be a symmetric ({n}, {n}) matrix with zero diagonal, "
                             "as storkey_weights returns")
    for x in X:
        h = W @ x  # h_i = sum_{k != i} W_ik x_k, as W_ii = 0
        # h_ij = h_i - W_ij x_j, so x_i h_ji + h_ij x_j = x_i h_j + h_i x_j - 2 W_ij (x_i^2 = x_j^2 = 1)
        W *= 1.0 + 2.0 / n
        W += (np.outer(x, x - h) - np.outer(h, x)) / n
        np.fill_diagonal(W, 0.0)  # the rule never uses W_ii (k != i); keep it zero
    return _finish(W, True)


def crosstalk(patterns, W=None) -> np.ndarray:
    """Crosstalk of each stored pattern: C^nu_i = x^nu_i h^nu_i - (N - 1)/N, shape (p, N).

    With Hebb's rule and a zero diagonal, x_i h_i = (N - 1)/N + C_i: the signal of the pattern
    itself plus interference from all the others. Unit i of pattern nu is stable iff C_i >= -(N-1)/N.
    ``W`` defaults to the Hebbian weights of ``patterns``.
    """
    X = as_patterns(patterns)
    W = hebbian_weights(X) if W is None else as_weights(W)
    n = X.shape[1]
    if W.shape[0] != n:
        raise ValueError(f"W is {W.shape[0]} x {W.shape[0]} but the patterns have N = {n} units")
    return X * local_field(W, X) - (n - 1) / n


# ----------------------------------------------------------------------------------------------
# Chapter 03: dynamics
# ----------------------------------------------------------------------------------------------
# The zero-temperature rule, once: s_i <- sign(h_i), and a unit whose field is exactly 0 keeps its
# value. All units at once that is ``_sign_keep``; one unit at a time, a unit flips iff s_i h_i < 0
# (``_sweep_inplace``). Every sign dynamics of the course (boltzmann.greedy_descent, the classical
# baselines of chapters 06 and 07) goes through :func:`recall` or :func:`async_sweep`.

def _sign_keep(h: np.ndarray, s: np.ndarray) -> np.ndarray:
    """sign(h), keeping the current spin where h == 0 (so a tie never moves a unit)."""
    return np.where(h > 0, 1.0, np.where(h < 0, -1.0, s))


def overlap(a, b) -> np.ndarray | float:
    """m = a . b / N along the last axis (broadcasting the leading ones): in [-1, 1], 1 = identical."""
    a = as_spins(a, name="a")
    b = as_spins(b, n=a.shape[-1], name="b")
    m = np.sum(a * b, axis=-1) / a.shape[-1]
    return float(m) if np.ndim(m) == 0 else m


def overlap_matrix(states, patterns) -> np.ndarray:
    """M[k, mu] = s_k . x^mu / N for states (B, N) and patterns (p, N): shape (B, p)."""
    S = np.atleast_2d(as_spins(states))
    X = as_patterns(patterns)
    if X.shape[1] != S.shape[1]:
        raise ValueError(f"patterns have {X.shape[1]} units, states have {S.shape[1]}")
    return S @ X.T / S.shape[1]


def sync_step(W, states, b=None) -> np.ndarray:
    """One synchronous update s' = sign(W s + b) of every unit at once (a unit with h_i = 0 keeps s_i).

    One state (N,) or a batch (B, N); returns a new array of the same shape.
    """
    W = as_weights(W)
    s = as_spins(states, n=W.shape[0])
    return _sign_keep(local_field(W, s, b), s)


def _orders(n: int, rng, order, permutation: bool):
    """The visiting order of each sweep: ``order`` every time if given, else a fresh permutation of
    the units per sweep, drawn from ``rng`` (core.as_rng: None = fresh randomness)."""
    if order is not None:
        if rng is not None:
            raise ValueError("give either rng (a random order per sweep) or order (a fixed order), not both")
        fixed = as_order(order, n, permutation=permutation)
        while True:
            yield fixed
    gen = as_rng(rng)
    while True:
        yield gen.permutation(n)


_BLOCK = 64  # units that _sweep_inplace scans together


def _sweep_inplace(WT: np.ndarray, S: np.ndarray, H: np.ndarray, order: np.ndarray,
                   group: np.ndarray | None = None) -> np.ndarray:
    """Asynchronous updates of the units in ``order`` on every row of S (R, N), in place.

    H (R, N) holds the current fields. ``WT`` is W^T (N, N), or a stack (K, N, N) with ``group``
    (R,) naming each row's matrix. A unit flips iff s_i h_i < 0; flipping s_i moves the row's
    fields by -2 s_i W[:, i] (row i of W^T): O(N) per flip. A row's fields change only through its
    own flips, so a unit that agrees with its field needs no visit until the row flips again:
    each block of the order is scanned once for all rows, then every row jumps from one
    disagreeing unit to its next (all rows at once, each at its own unit). The result is exactly
    that of visiting every unit in order, one at a time. Returns the flip count per row.
    """
    flips = np.zeros(S.shape[0], dtype=np.int64)
    for start in range(0, order.size, _BLOCK):
        blk = order[start:start + _BLOCK]
        D = S[:, blk] * H[:, blk] < 0
        rows = np.flatnonzero(D.any(axis=1))
        if rows.size == 0:
            continue
        pos = np.argmax(D[rows], axis=1)
        after = np.arange(blk.size)
        while rows.size:
            units = blk[pos]
            s_old = S[rows, units]
            S[rows, units] = -s_old
            cols = WT[units] if group is None else WT[group[rows], units]  # a fresh copy: scale it in place
            cols *= (2 * s_old)[:, None]
            H[rows] -= cols
            flips[rows] += 1
            sub = rows[:, None]
            D = (S[sub, blk] * H[sub, blk] < 0) & (after > pos[:, None])
            more = D.any(axis=1)
            rows, pos = rows[more], np.argmax(D[more], axis=1)
    return flips


def async_sweep(W, states, rng=None, b=None, order=None, sweeps: int = 1) -> np.ndarray:
    """Asynchronous sweeps: units updated one at a time, s_i <- sign(h_i) (h_i = 0 keeps s_i).

    Each sweep visits the units in ``order`` if given (any 1-D list of unit indices: some units
    only, or some twice, is allowed here), else in a fresh random permutation drawn from ``rng``.
    The same order serves every state of a batch (B, N), and every probe sees the units it has
    already updated (exactly as a per-unit loop would). Fields are updated incrementally: O(B N^2)
    for the first field, then O(N) per flip. Returns a new array.
    """
    sweeps = as_count(sweeps, "sweeps")
    W = as_weights(W)
    s = as_spins(states, n=W.shape[0])
    S = np.atleast_2d(s).copy()
    H = local_field(W, S, b)
    WT = np.ascontiguousarray(W.T)
    orders = _orders(W.shape[0], rng, order, permutation=False)
    for _ in range(sweeps):
        _sweep_inplace(WT, S, H, next(orders))
    return S if s.ndim == 2 else S[0]


def recall_steps(W, probe, rng=None, order=None, b=None,
                 max_sweeps: int = 20) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Asynchronous recall of ONE probe (N,), recorded update by update (for figures and widgets).

    Returns ``(states (T+1, N), energies (T+1,), units (T,))``: the state and energy before any
    update and after each single-unit update, and which unit each update visited (changed or not).
    Each sweep visits the units in ``order`` (a permutation) or in a fresh ``rng`` permutation;
    recording stops after a sweep that flips nothing.
    """
    W = as_weights(W)
    s = _one_state(probe, "probe", W.shape[0])
    bb = as_bias(b, W.shape[0])
    S = s[None, :].copy()
    H = local_field(W, S, bb)
    WT = np.ascontiguousarray(W.T)
    orders = _orders(W.shape[0], rng, order, permutation=True)
    states, units = [S[0].copy()], []
    for _ in range(as_count(max_sweeps, "max_sweeps")):
        changed = 0
        for i in next(orders):
            changed += int(_sweep_inplace(WT, S, H, np.array([i]))[0])
            states.append(S[0].copy())
            units.append(int(i))
        if not changed:
            break
    out = np.array(states)
    return out, energy(W, out, bb), np.array(units, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class RecallResult:
    """What :func:`recall` returns. Batch shapes: states (B, N), converged (B,), sweeps (B,),
    energies (T + 1, B) with T the number of sweeps run (row 0 is the probes' energy)."""

    states: np.ndarray
    converged: np.ndarray
    energies: np.ndarray
    sweeps: np.ndarray

    def __iter__(self):  # final, converged, energies = recall(...)
        return iter((self.states, self.converged, self.energies))


def recall(W, probes, mode: str = "async", max_sweeps: int = 100, rng=None, b=None, order=None) -> RecallResult:
    """Run the dynamics from each probe until a fixed point or ``max_sweeps`` sweeps.

    ``mode="async"``: sweeps of single-unit updates, in a fresh ``rng`` permutation per sweep or in
    the fixed ``order`` (a permutation of the N units, so that a sweep that flips nothing really
    means a fixed point); a probe has converged when a whole sweep flips nothing. ``mode="sync"``:
    s <- sign(W s + b) for all units at once; converged when s' = s (a probe in a 2-cycle never
    converges). Ties h_i = 0 keep the unit. Probes (N,) or (B, N); result shapes follow (see
    :class:`RecallResult`). Energies E = -1/2 s^T W s - b^T s after every sweep.
    """
    if mode not in ("async", "sync"):
        raise ValueError(f"mode must be 'async' or 'sync', got {mode!r}")
    max_sweeps = as_count(max_sweeps, "max_sweeps")
    W = as_weights(W)
    n = W.shape[0]
    P = as_spins(probes, n=n, name="probes")
    S = np.atleast_2d(P).copy()
    bb = as_bias(b, n)
    bvec = np.zeros(n) if bb is None else bb
    orders = _orders(n, rng, order, permutation=True) if mode == "async" else None
    H = S @ W.T + bvec
    WT = np.ascontiguousarray(W.T)
    done = np.zeros(S.shape[0], dtype=bool)
    sweeps = np.zeros(S.shape[0], dtype=np.int64)
    energies = [-0.5 * np.sum(S * (H + bvec), axis=1)]
    for _ in range(max_sweeps):
        active = np.flatnonzero(~done)
        if active.size == 0:
            break
        if mode == "async":
            sub_S, sub_H = S[active], H[active]
            changed = _sweep_inplace(WT, sub_S, sub_H, next(orders)) > 0
            S[active], H[active] = sub_S, sub_H
        else:
            new = _sign_keep(H[active], S[active])
            changed = np.any(new != S[active], axis=1)
            S[active] = new
            H[active] = new @ W.T + bvec
        sweeps[active] += 1
        done[active[~changed]] = True
        energies.append(-0.5 * np.sum(S * (H + bvec), axis=1))
    E = np.array(energies)
    if P.ndim == 1:
        return RecallResult(S[0], done[0], E[:, 0], sweeps[0])
    return RecallResult(S, done, E, sweeps)


# ----------------------------------------------------------------------------------------------
# Chapter 03: spurious states, basins and capacity
# ----------------------------------------------------------------------------------------------

ALPHA_C_AGS = 0.138  # Amit, Gutfreund and Sompolinsky (1985): retrieval breaks down at p/N = 0.138


def classify_states(states, patterns) -> np.ndarray:
    """Label each state (B, N) against the stored patterns (p, N); returns a (B,) array of strings:

    ``"pattern"`` (equal to some x^mu), ``"inverted"`` (equal to some -x^mu), ``"mixture"`` (equal to
    sign(+-x^a +-x^b +-x^c) for the three patterns it overlaps most, signs taken from the overlaps),
    or ``"other"``.
    """
    S = np.atleast_2d(as_spins(states))
    X = as_patterns(patterns)
    M = overlap_matrix(S, X)
    labels = np.full(S.shape[0], "other", dtype=object)
    labels[np.any(M == 1.0, axis=1)] = "pattern"
    labels[np.any(M == -1.0, axis=1)] = "inverted"
    if X.shape[0] >= 3:
        top = np.argsort(-np.abs(M), axis=1)[:, :3]
        signs = np.sign(np.take_along_axis(M, top, axis=1))
        mix = np.sign(np.einsum("bk,bkn->bn", signs, X[top]))
        is_mix = np.all(mix == S, axis=1) & (labels == "other")
        labels[is_mix] = "mixture"
    return labels


def basin_curve(W, patterns, noise_levels, trials: int, rng=None, b=None, max_sweeps: int = 50) -> np.ndarray:
    """Fraction of probes that return exactly to their pattern, for each noise level: shape (L,).

    Each of ``trials`` copies of every pattern (p, N) is corrupted by flipping each unit with
    probability ``noise`` (independently), then run by asynchronous :func:`recall`; all levels
    and trials go through the dynamics as one batch.
    """
    X = as_patterns(patterns)
    levels = as_finite(noise_levels, "noise_levels")
    if levels.ndim != 1 or np.any((levels < 0) | (levels > 1)):
        raise ValueError(f"noise_levels must be a 1-D array of flip probabilities in [0, 1], got {noise_levels!r}")
    trials = as_count(trials, "trials")
    rng = as_rng(rng)
    targets = np.tile(X, (len(levels) * trials, 1))
    flip_p = np.repeat(levels, trials * X.shape[0])[:, None]
    probes = np.where(rng.random(targets.shape) < flip_p, -targets, targets)
    final = recall(W, probes, mode="async", max_sweeps=max_sweeps, rng=rng, b=b).states
    hit = np.all(final == targets, axis=1)
    return hit.reshape(len(levels), -1).mean(axis=1)


def one_step_error(alpha) -> np.ndarray | float:
    """Gaussian theory of the one-step error: P(unit of a stored pattern flips) = Phi(-1/sqrt(alpha)).

    The crosstalk on a unit of a Hebbian pattern is a sum of (p-1)(N-1) random +-1/N terms, of
    variance ~ p/N = alpha, against a signal of ~1.
    """
    a = as_finite(alpha, "alpha")
    if np.any(a <= 0):
        raise ValueError("alpha = p/N must be positive")
    out = 0.5 * np.vectorize(math.erfc)(1.0 / np.sqrt(2.0 * a))
    return float(out) if out.ndim == 0 else out


def one_step_error_exact(n: int, p: int) -> float:
    """Exact P(unit i of a stored random pattern is unstable) for Hebb, zero diagonal, N = n units.

    N x_i h_i = (N - 1) + X, where X is a sum of M = (p - 1)(N - 1) independent +-1 terms, i.e.
    X = 2K - M with K ~ Binomial(M, 1/2). The unit flips iff X < -(N - 1) (a tie keeps it).
    """
    n, p = as_count(n, "n", 2), as_count(p, "p")
    m = (p - 1) * (n - 1)
    kmax = math.ceil((m - n + 1) / 2) - 1  # largest K with 2K - M < -(N - 1)
    if kmax < 0:
        return 0.0
    k = np.arange(kmax + 1)
    logpmf = (math.lgamma(m + 1) - np.array([math.lgamma(x + 1) + math.lgamma(m - x + 1) for x in k])
              - m * math.log(2.0))
    top = logpmf.max()
    return float(np.exp(top) * np.sum(np.exp(logpmf - top)))


def mceliece_capacity(n) -> np.ndarray | float:
    """N / (2 ln N): the largest p for which a given stored pattern is, with probability -> 1 as
    N -> infinity, an exact fixed point of Hebb's rule (McEliece, Posner, Rodemich, Venkatesh 1987).
    Requiring all p patterns to be fixed points at once gives N / (4 ln N)."""
    arr = as_finite(n, "N")
    if np.any(arr < 2):
        raise ValueError("N must be at least 2")
    out = arr / (2 * np.log(arr))
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True, eq=False)
class CapacityCurve:
    """What :func:`capacity_curve` returns; every array has one entry per load (L,) unless noted.

    ``stable_fraction``: fraction of stored patterns that are exact fixed points.
    ``bit_error``: fraction of units of stored patterns that the first update would flip.
    ``overlap``: mean final overlap m of the probes with their pattern after asynchronous recall
    (``overlap_trials`` (L, trials) per trial). ``recalled``: fraction of probes ending exactly in
    their pattern.
    """

    n: int
    alphas: np.ndarray
    p: np.ndarray
    stable_fraction: np.ndarray
    bit_error: np.ndarray
    overlap: np.ndarray
    overlap_trials: np.ndarray
    recalled: np.ndarray


_CHUNK_BYTES = 100 * 2**20  # weight matrices held at once by capacity_curve


def _stacked_weights(X: np.ndarray, rule: str) -> np.ndarray:
    """Weights for a stack of pattern sets X (K, p, N) -> (K, N, N). For "hebb" this is N times
    Hebb's W (X^T X with a zero diagonal): integers, exact in X's dtype, with the same signs."""
    if rule == "hebb":
        W = np.matmul(X.transpose(0, 2, 1), X)
        W[:, np.arange(X.shape[2]), np.arange(X.shape[2])] = 0
        return W
    fn = {"pseudoinverse": pseudoinverse_weights, "storkey": storkey_weights}[rule]
    return np.stack([fn(x) for x in X])


def capacity_curve(n: int, alphas, trials: int = 10, rng=None, rule: str = "hebb", noise: float = 0.0,
                   n_probes: int = 32, max_sweeps: int = 30) -> CapacityCurve:
    """Measure storage against load alpha = p/N with random patterns, ``trials`` networks per load.

    For each load, p = round(alpha N) random +-1 patterns are stored with ``rule`` ("hebb",
    "pseudoinverse" or "storkey"). Every stored pattern is tested for one-step stability; then up to
    ``n_probes`` of them per network, each corrupted with flip probability ``noise``, run by
    asynchronous sweeps (a random order per sweep, all trials and probes as one batch) until no unit
    flips or ``max_sweeps``. Hebb's fields are computed exactly, in integers (N h), through the
    overlaps with the patterns; a network's weights are built only if one of its probes moves.
    Sizes whose (N, N) weights cannot fit in memory are refused up front.
    """
    if rule not in ("hebb", "pseudoinverse", "storkey"):
        raise ValueError(f"rule must be 'hebb', 'pseudoinverse' or 'storkey', got {rule!r}")
    n = as_count(n, "n", 2)
    a = as_finite(alphas, "alphas")
    if a.ndim != 1 or a.size == 0 or np.any(a <= 0):
        raise ValueError(f"alphas must be a non-empty 1-D array of positive loads p/N, got {alphas!r}")
    trials, n_probes = as_count(trials, "trials"), as_count(n_probes, "n_probes")
    max_sweeps = as_count(max_sweeps, "max_sweeps")
    noise = as_probability(noise, "noise")
    ps = np.maximum(1, np.rint(a * n).astype(np.int64))
    # N h is a sum of at most p (N - 1) integers: exact in float32 below 2^24
    dtype = np.float32 if rule == "hebb" and int(ps.max()) * n < 2**24 else np.float64
    item = np.dtype(dtype).itemsize
    check_memory(n * n * item + 4 * int(ps.max()) * n * item, f"capacity_curve(n={n}) at p = {ps.max()}",
                 "each network holds an (N, N) weight matrix; choose a smaller n or smaller loads")
    rng = as_rng(rng)
    chunk = max(1, min(trials, _CHUNK_BYTES // (n * n * item)))
    stable, bits, over, hits = (np.zeros((len(a), trials)) for _ in range(4))
    for li, p in enumerate(int(p) for p in ps):
        for start in range(0, trials, chunk):
            k = min(chunk, trials - start)
            X = (2 * rng.integers(0, 2, size=(k, p, n), dtype=np.int8) - 1).astype(dtype)
            q = min(p, n_probes)
            T = X[:, :q]
            S = np.where(rng.random(T.shape) < noise, -T, T)
            if rule == "hebb":
                # N h(s) = (s X^T) X - p s (the diagonal removed): O(p^2 N) per pattern set, not O(p N^2)
                XT = X.transpose(0, 2, 1)
                H0 = np.matmul(np.matmul(X, XT), X) - p * X
                H = H0[:, :q].copy() if noise == 0 else np.matmul(np.matmul(S, XT), X) - p * S
            else:
                W = _stacked_weights(X, rule)
                H0, H = np.matmul(X, W), np.matmul(S, W)
            ok = X * H0 >= 0  # a tie keeps the unit, so h_i = 0 counts as stable
            sl = slice(start, start + k)
            stable[li, sl] = ok.all(axis=2).mean(axis=1)
            bits[li, sl] = 1 - ok.mean(axis=(1, 2))
            S, H = S.reshape(k * q, n), H.reshape(k * q, n)
            group = np.repeat(np.arange(k), q)
            nets = np.unique(group[np.any(S * H < 0, axis=1)])  # networks with a probe that will move
            order = rng.permutation(n)
            if nets.size:
                WT = _stacked_weights(X[nets], rule) if rule == "hebb" else W[nets]
                rows = np.flatnonzero(np.isin(group, nets))
                sub_S, sub_H = S[rows], H[rows]
                sub_g = np.searchsorted(nets, group[rows])
                for sweep in range(max_sweeps):  # a row that flips nothing in a sweep is a fixed point
                    if sweep:
                        order = rng.permutation(n)
                    if not _sweep_inplace(WT, sub_S, sub_H, order, sub_g).any():
                        break
                S[rows] = sub_S
            m = np.sum(S * T.reshape(k * q, n), axis=1, dtype=np.float64).reshape(k, q) / n
            over[li, sl] = m.mean(axis=1)
            hits[li, sl] = (m == 1.0).mean(axis=1)
    return CapacityCurve(n=n, alphas=a, p=ps, stable_fraction=stable.mean(axis=1), bit_error=bits.mean(axis=1),
                         overlap=over.mean(axis=1), overlap_trials=over, recalled=hits.mean(axis=1))
