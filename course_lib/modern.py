"""Modern Hopfield networks: dense associative memories and the continuous modern Hopfield network.

NumPy in, NumPy out (the torch twin of the update is ``course_lib.attention.hopfield_attention``).
Layout convention (the whole course): stored patterns are the **rows** of ``patterns``, shape
(p, N): p patterns of N units (or dimensions), always the first argument. States / queries are one
vector (N,) or a batch (B, N). Ramsauer et al. (2020) store their N patterns of dimension d as the
*columns* of a d x N matrix X; their ``X`` is our ``patterns.T``, their N is our p and their d is
our N. So their ``X^T xi`` is our ``states @ patterns.T`` (shape (B, p)) and their update
``X softmax(beta X^T xi)`` is our ``softmax(beta states @ patterns.T) @ patterns``.

softmax and log-sum-exp are ``course_lib.core.softmax`` / ``core.lse``; the classical baseline is
chapter 03's ``course_lib.hopfield`` (``hebbian_weights``, ``recall``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .core import (
    as_beta,
    as_count,
    as_finite,
    as_order,
    as_patterns,
    as_positive,
    as_probability,
    as_rng,
    as_spins,
    as_vectors,
    lse,
    softmax,
)

__all__ = [
    "modern_energy", "modern_update", "separation", "one_step_error_bound", "attention_weights",
    "effective_patterns", "retrieval_rate", "Landscape", "landscape", "dense_energy", "dense_update",
    "krotov_hopfield_capacity", "DenseCapacityCurve", "dense_capacity_curve", "capacity_from_curve",
]


# ----------------------------------------------------------------------------------------------
# the continuous modern Hopfield network (Ramsauer et al. 2020)
# ----------------------------------------------------------------------------------------------

def _real_patterns(patterns, name: str = "patterns", minimum: int = 1) -> np.ndarray:
    X = as_vectors(patterns, name=name)
    if X.ndim != 2 or X.shape[0] < minimum:
        raise ValueError(f"{name} must hold the stored patterns as rows, shape (p, N) with p >= {minimum}, "
                         f"got shape {X.shape}")
    return X


def _patterns_and_states(patterns, states, name: str = "states") -> tuple[np.ndarray, np.ndarray]:
    """Check patterns (p, N) and states (N,) or (B, N); float64 arrays."""
    X = _real_patterns(patterns)
    xi = as_vectors(states, name=name)
    if xi.shape[-1] != X.shape[1]:
        raise ValueError(f"{name} have {xi.shape[-1]} units on their last axis, but the patterns have "
                         f"N = {X.shape[1]} (patterns are (p, N): one stored pattern per row)")
    return X, xi


def _scalar(out: np.ndarray):
    return out[()] if out.ndim == 0 else out


def modern_energy(patterns, states, beta) -> np.ndarray | float:
    """E(xi) = -lse(X xi, beta) + 1/2 xi.xi + beta^-1 log p + 1/2 M^2, with M = max_mu |x_mu|.

    (Ramsauer et al. 2020, eq. 2, in our row layout: their X^T xi is our ``states @ patterns.T``.)
    The two constants make 0 <= E everywhere and E <= 2 M^2 on the ball |xi| <= M.
    patterns (p, N); states (N,) -> scalar, (B, N) -> (B,).
    """
    b = as_beta(beta)
    X, xi = _patterns_and_states(patterns, states)
    M = np.linalg.norm(X, axis=-1).max()
    out = -lse(xi @ X.T, b) + 0.5 * np.sum(xi * xi, axis=-1) + math.log(X.shape[0]) / b + 0.5 * M * M
    return _scalar(np.asarray(out))


def modern_update(patterns, states, beta, steps: int = 1) -> np.ndarray:
    """The update xi <- softmax(beta xi X^T) X (their xi <- X softmax(beta X^T xi)), ``steps`` times.

    Each new state is a convex combination of the stored patterns, weighted by the softmax of the
    similarities. The update is the concave-convex procedure for :func:`modern_energy`, so E never
    rises. patterns (p, N); states (N,) or (B, N) -> the same shape.
    """
    b = as_beta(beta)
    steps = as_count(steps, "steps")
    X, xi = _patterns_and_states(patterns, states)
    for _ in range(steps):
        xi = softmax(xi @ X.T, b) @ X
    return xi


def separation(patterns) -> np.ndarray:
    """Separation of each pattern from the others: Delta_i = x_i.x_i - max_{j != i} x_i.x_j, shape (p,).

    (Ramsauer et al. 2020, Definition 1.) Needs p >= 2.
    """
    X = _real_patterns(patterns, minimum=2)
    G = X @ X.T
    diag = np.diag(G).copy()
    np.fill_diagonal(G, -np.inf)
    return diag - G.max(axis=1)


def one_step_error_bound(patterns, states, index, beta) -> np.ndarray | float:
    """Upper bound on |T(xi) - x_i| after ONE update T = :func:`modern_update`, for queries near x_i:

        |T(xi) - x_i| <= 2 M (p - 1) exp(-beta (Delta_i - 2 M |xi - x_i|)),

    with Delta_i from :func:`separation` and M = max_mu |x_mu|. Proof: T(xi) - x_i = sum_{j != i} p_j
    (x_j - x_i), so |T(xi) - x_i| <= 2 M (1 - p_i), and 1 - p_i <= sum_{j != i} exp(beta (x_j - x_i).xi)
    with (x_i - x_j).xi = (x_i - x_j).x_i + (x_i - x_j).(xi - x_i) >= Delta_i - 2 M |xi - x_i|.
    This is the bound of Ramsauer et al. (2020, Theorem 5: |f(xi) - x_i| <= 2 eps M) with their
    max{|xi - x_i|, |x_i* - x_i|} replaced by |xi - x_i| (so ours is never larger).
    ``index``: int, or (B,) ints for a batch (B, N). Returns a scalar or (B,).
    """
    b = as_beta(beta)
    X, xi = _patterns_and_states(patterns, states)
    p = X.shape[0]
    idx = np.asarray(index)
    if idx.shape != xi.shape[:-1]:
        raise ValueError(f"index must have shape {xi.shape[:-1]} (one per state), got {idx.shape}")
    idx = as_order(idx.reshape(-1), p, name="index").reshape(idx.shape)
    dist = np.linalg.norm(xi - X[idx], axis=-1)
    M = np.linalg.norm(X, axis=-1).max()
    out = 2 * M * (p - 1) * np.exp(-b * (separation(X)[idx] - 2 * M * dist))
    return _scalar(np.asarray(out))


def attention_weights(patterns, states, beta) -> np.ndarray:
    """The softmax weights p = softmax(beta xi X^T) of the update: (B, p) or (p,)."""
    b = as_beta(beta)
    X, xi = _patterns_and_states(patterns, states)
    return softmax(xi @ X.T, b)


def effective_patterns(weights) -> np.ndarray | float:
    """Participation number 1 / sum_j p_j^2 of softmax weights (..., p): 1 for one pattern, p for uniform."""
    w = as_finite(weights, "weights")
    if w.ndim == 0 or w.shape[-1] == 0 or np.any(w < 0):
        raise ValueError(f"weights must be non-negative, shape (..., p) with p >= 1, got shape {w.shape}")
    return _scalar(1.0 / np.sum(w * w, axis=-1))


def retrieval_rate(patterns, queries, targets, beta, steps: int = 1, chunk: int = 512) -> float:
    """Fraction of queries whose sign(T^steps(query)) equals their target pattern exactly.

    queries (B, N), targets (B,) pattern indices in [0, p); processed in chunks of ``chunk`` queries.
    """
    X, Q = _patterns_and_states(patterns, queries, "queries")
    if Q.ndim != 2 or Q.shape[0] == 0:
        raise ValueError(f"queries must be a non-empty batch (B, N), got shape {Q.shape}")
    t = np.asarray(targets)
    if t.shape != (Q.shape[0],):
        raise ValueError(f"targets must have shape (B,) = ({Q.shape[0]},), one pattern index per query, got {t.shape}")
    t = as_order(t, X.shape[0], name="targets")
    chunk = as_count(chunk, "chunk")
    hits = 0
    for start in range(0, Q.shape[0], chunk):
        out = modern_update(X, Q[start:start + chunk], beta, steps)
        hits += int(np.sum(np.all(np.sign(out) == X[t[start:start + chunk]], axis=1)))
    return hits / Q.shape[0]


@dataclass(frozen=True, eq=False)
class Landscape:
    """What :func:`landscape` returns: grid axes ``xs``, ``ys`` (resolution,); ``energy``
    (resolution, resolution) with energy[r, c] at (xs[c], ys[r]); ``fixed_points`` (k, 2); ``minima``
    (k,) bool, True where the fixed point is a local minimum."""

    xs: np.ndarray
    ys: np.ndarray
    energy: np.ndarray
    fixed_points: np.ndarray
    minima: np.ndarray


def landscape(patterns, beta, extent: float = 1.6, resolution: int = 81, iterations: int = 200) -> Landscape:
    """The modern energy of 2-D patterns (p, 2) on a grid, and the fixed points of the update.

    The fixed points are the distinct end points of ``iterations`` updates started from every 8th
    grid point; a fixed point is a minimum when its energy is below that of 8 nearby points.
    """
    b = as_beta(beta)
    X = _real_patterns(patterns)
    if X.shape[1] != 2:
        raise ValueError(f"landscape draws 2-D patterns: patterns must have shape (p, 2), got {X.shape}")
    resolution = as_count(resolution, "resolution", 3)
    extent = as_positive(extent, "extent")
    xs = np.linspace(-extent, extent, resolution)
    gx, gy = np.meshgrid(xs, xs)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    energy = modern_energy(X, grid, b).reshape(resolution, resolution)
    ends = modern_update(X, grid[::8], b, steps=as_count(iterations, "iterations"))
    fixed = _distinct(ends, tol=1e-3)
    ring = 1e-2 * np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], axis=1)
    around = modern_energy(X, (fixed[:, None, :] + ring[None]).reshape(-1, 2), b).reshape(len(fixed), 8)
    minima = np.all(around > modern_energy(X, fixed, b)[:, None], axis=1)
    return Landscape(xs=xs, ys=xs, energy=energy, fixed_points=fixed, minima=minima)


def _distinct(points: np.ndarray, tol: float) -> np.ndarray:
    kept: list[np.ndarray] = []
    for q in points:
        if all(np.linalg.norm(q - k) > tol for k in kept):
            kept.append(q)
    return np.array(kept)


# ----------------------------------------------------------------------------------------------
# dense associative memories (Krotov and Hopfield 2016; Demircigil et al. 2017)
# ----------------------------------------------------------------------------------------------

def _check_F(F):
    if isinstance(F, str) and F == "exp":
        return "exp"
    if isinstance(F, (int, np.integer)) and not isinstance(F, bool) and F >= 1:
        return int(F)
    raise ValueError(f"F must be a positive integer n (F(x) = x^n) or 'exp' (F(x) = exp(x)), got {F!r}")


def dense_energy(patterns, states, F) -> np.ndarray | float:
    """E(s) = -sum_mu F(x_mu . s) for +-1 states: F = n (int) for F(x) = x^n, or "exp" for exp(x).

    n = 2 is the classical Hopfield energy times N (up to a constant); "exp" is Demircigil et al.
    (2017). The value overflows to -inf once a term exceeds the float range (exp of an overlap above
    about 709, or |overlap|^n above 1e308); :func:`dense_update` never needs it. patterns (p, N);
    states (N,) -> float, (B, N) -> (B,).
    """
    F = _check_F(F)
    X = as_patterns(patterns)
    S = as_spins(states, n=X.shape[1])
    m = S @ X.T
    with np.errstate(over="ignore"):
        e = -np.sum(np.exp(m) if F == "exp" else m ** F, axis=-1)
    return float(e) if S.ndim == 1 else e


def _signed_log_sum(log_abs: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """sign(sum_k sign_k exp(log_abs_k)) along the last axis, without forming the exponentials."""
    pos = lse(np.where(sign > 0, log_abs, -np.inf))
    neg = lse(np.where(sign < 0, log_abs, -np.inf))
    return np.where(np.isneginf(pos) & np.isneginf(neg), 0.0, np.sign(pos - neg))


def _unit_gain(plus: np.ndarray, minus: np.ndarray, F) -> np.ndarray:
    """A number with the sign of E(s_i = -1) - E(s_i = +1), from the overlaps with s_i = +1 (plus) and
    with s_i = -1 (minus), both (B, p); exact in integers while sum |x|^n fits 2^53, and computed in the
    log domain beyond (so F = x^200 at N = 1000 neither overflows nor ties)."""
    if F == "exp":  # sum exp(plus) - sum exp(minus) has the sign of lse(plus) - lse(minus)
        return lse(plus) - lse(minus)
    top = max(np.abs(plus).max(initial=0), np.abs(minus).max(initial=0))
    if math.log2(max(float(top), 1.0)) * F + math.log2(plus.shape[-1]) < 53:
        return np.sum(plus ** F - minus ** F, axis=1)
    # each term t = a^F - b^F (|a| >= |b| wlog): log|t| = F log|a| + log|1 - (b/a)^F|
    big = np.where(np.abs(plus) >= np.abs(minus), plus, minus)
    small = np.where(np.abs(plus) >= np.abs(minus), minus, plus)
    flip = np.where(np.abs(plus) >= np.abs(minus), 1.0, -1.0)  # t = flip * (big^F - small^F)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(big != 0, small / np.where(big != 0, big, 1.0), 0.0) ** F
        log_abs = F * np.log(np.abs(big)) + np.log(np.abs(1.0 - ratio))
    sign = flip * np.sign(big) ** F * np.sign(1.0 - ratio)
    return _signed_log_sum(np.where(sign != 0, log_abs, -np.inf), sign)


def dense_update(patterns, states, F, sweeps: int = 1, rng=None, order=None) -> np.ndarray:
    """Asynchronous dense-memory dynamics: unit by unit, s_i takes the value of lower energy,

        s_i <- sign( sum_mu [F(x_mu . s^(i+)) - F(x_mu . s^(i-))] ),

    where s^(i+-) is s with s_i = +-1 (a tie keeps s_i). Each step can only lower E = -sum F(x.s), so
    the energy never rises. Runs up to ``sweeps`` sweeps over the units, each in the fixed ``order``
    (a permutation) or in a fresh permutation drawn from ``rng`` (the same order for the whole batch),
    stopping early once a sweep changes nothing. Overlaps are updated incrementally: O(B p) per unit.
    patterns (p, N); states (N,) or (B, N).
    """
    F = _check_F(F)
    X = as_patterns(patterns)
    S0 = as_spins(states, n=X.shape[1])
    sweeps = as_count(sweeps, "sweeps")
    n = X.shape[1]
    if order is not None:
        if rng is not None:
            raise ValueError("give either rng (a random order per sweep) or order (a fixed order), not both")
        fixed = as_order(order, n, permutation=True)
    else:
        gen = as_rng(rng)
    S = np.atleast_2d(S0).copy()
    m = S @ X.T
    for _ in range(sweeps):
        changed = False
        for i in (fixed if order is not None else gen.permutation(n)):
            col = X[:, i]
            base = m - S[:, i:i + 1] * col
            gain = _unit_gain(base + col, base - col, F)
            new = np.where(gain > 0, 1.0, np.where(gain < 0, -1.0, S[:, i]))
            moved = np.flatnonzero(new != S[:, i])
            if moved.size:
                changed = True
                m[moved] += (new[moved] - S[moved, i])[:, None] * col
                S[moved, i] = new[moved]
        if not changed:
            break
    return S if S0.ndim == 2 else S[0]


def krotov_hopfield_capacity(n_units, n: int) -> float:
    """The estimate p_max ~ N^(n-1) / (2 (2n-3)!! ln N) of Krotov and Hopfield (2016) for F(x) = x^n:
    the number of random patterns that are, with high probability, stable with no errors.
    n = 2 gives McEliece et al.'s N / (2 ln N)."""
    n = as_count(n, "n", 2)
    n_units = float(as_finite(n_units, "n_units"))
    if n_units < 2:
        raise ValueError(f"N must be at least 2, got {n_units!r}")
    double_fact = math.prod(range(2 * n - 3, 0, -2))
    return n_units ** (n - 1) / (2 * double_fact * math.log(n_units))


@dataclass(frozen=True, eq=False)
class DenseCapacityCurve:
    """What :func:`dense_capacity_curve` returns: the ``loads`` (L,) and, in ``rates``, the recall
    fraction (L,) of each F (keys: the F values as given, e.g. 2, 3, "exp")."""

    loads: np.ndarray
    rates: dict


def dense_capacity_curve(n_units: int, loads, Fs, trials: int, rng=None, noise: float = 0.1,
                         n_probes: int = 20, sweeps: int = 10) -> DenseCapacityCurve:
    """Recall rates against the number of stored patterns p, for several F, on the SAME probes.

    For each p in ``loads`` and each of ``trials`` trials: p random +-1 patterns of N = ``n_units``,
    and min(p, n_probes) of them corrupted by flipping exactly round(noise N) units. Every F in ``Fs``
    runs :func:`dense_update` from those probes (with the same unit orders); a probe counts when it
    ends exactly on its pattern.
    """
    n_units = as_count(n_units, "n_units", 2)
    noise = as_probability(noise, "noise")
    trials, n_probes, sweeps = as_count(trials, "trials"), as_count(n_probes, "n_probes"), as_count(sweeps, "sweeps")
    Fs = [_check_F(F) for F in Fs]
    if not Fs:
        raise ValueError("Fs must name at least one F")
    loads = np.asarray(loads)
    if loads.ndim != 1 or loads.size == 0 or not np.issubdtype(loads.dtype, np.integer) or np.any(loads < 1):
        raise ValueError(f"loads must be a non-empty 1-D array of positive integers (pattern counts), got {loads!r}")
    rng = as_rng(rng)
    k = int(round(noise * n_units))
    rates = {F: np.zeros(len(loads)) for F in Fs}
    for li, p in enumerate(loads):
        q = min(int(p), n_probes)
        hits = {F: 0 for F in Fs}
        for _ in range(trials):
            X = rng.choice(np.array([-1.0, 1.0]), size=(int(p), n_units))
            T = X[:q]
            flip = np.argsort(rng.random((q, n_units)), axis=1)[:, :k]
            probes = T.copy()
            np.put_along_axis(probes, flip, -np.take_along_axis(T, flip, axis=1), axis=1)
            order_seed = int(rng.integers(2**31))
            for F in Fs:
                out = dense_update(X, probes, F, sweeps=sweeps, rng=np.random.default_rng(order_seed))
                hits[F] += int(np.sum(np.all(out == T, axis=1)))
        for F in Fs:
            rates[F][li] = hits[F] / (q * trials)
    return DenseCapacityCurve(loads=loads, rates=rates)


def capacity_from_curve(loads, rates, threshold: float = 0.9) -> int:
    """The largest load of the grid such that it and every smaller load recall at least ``threshold``."""
    loads, rates = np.asarray(loads), as_finite(rates, "rates")
    if loads.ndim != 1 or loads.size == 0 or rates.shape != loads.shape:
        raise ValueError(f"loads and rates must be non-empty 1-D arrays of the same length, got {loads.shape} "
                         f"and {rates.shape}")
    ok = rates >= as_probability(threshold, "threshold")
    if not ok[0]:
        return 0
    last = len(ok) if ok.all() else int(np.argmin(ok))
    return int(loads[last - 1])
