"""Theory and measurements behind chapters 01-03 that the classical module does not hold.

- The zero-temperature retrieval equations of Amit, Gutfreund and Sompolinsky (1985, 1987) in their
  signal-to-noise form (Hertz, Krogh and Palmer 1991, section 2.5): the overlap m of a retrieval state
  at load alpha = p/N solves

      m = erf(y),   y (sqrt(2 alpha) + (2 / sqrt(pi)) exp(-y^2)) = erf(y),   y = m / sqrt(2 alpha r),

  which gives the load as an explicit function of y (:func:`ags_load`); its maximum is alpha_c ~ 0.138.
- The synchronous Lyapunov function L(t) = -s(t)^T W s(t-1) - b^T (s(t) + s(t-1)) (Goles,
  Fogelman-Soulie and Pellegrin 1985), with ties (h_i = 0 keeps s_i) handled by a tiny self-coupling.
- Basins of attraction that keep apart "is the pattern a fixed point at all" and "does a noisy probe
  come back" (:func:`basin_profile`), recall scores for any learning rule (:func:`recall_score`), and
  the several-memory damage view behind chapter 01's widget (:func:`damage_view_many`).

NumPy in, NumPy out; stored patterns are rows (p, N); results are frozen dataclasses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import hopfield
from .core import as_bias, as_count, as_finite, as_patterns, as_rng, as_spins, as_weights
from .hopfield import steepest_descent

__all__ = [
    "RULES", "CriticalLoad", "RetrievalState", "BasinProfile", "RecallScore", "DamageView",
    "ags_load", "ags_critical_load", "ags_retrieval", "sync_trajectory", "sync_lyapunov",
    "rule_weights", "recall_score", "basin_profile", "damage_view_many",
]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_erf = np.vectorize(math.erf, otypes=[float])


# ----------------------------------------------------------------------------------------------
# alpha_c = 0.138 from the self-consistent signal-to-noise equations
# ----------------------------------------------------------------------------------------------

def ags_load(y) -> np.ndarray | float:
    """The load alpha at which y > 0 solves the retrieval equation: alpha(y) = (erf(y)/y - 2/sqrt(pi) e^{-y^2})^2 / 2.

    From y (sqrt(2 alpha) + (2/sqrt(pi)) e^{-y^2}) = erf(y), solved for alpha. Scalar in, float out;
    array in, array out. ValueError unless every y is finite and positive.
    """
    arr = as_finite(y, "y")
    if np.any(arr <= 0):
        raise ValueError("y must be positive (y = m / sqrt(2 alpha r) of a retrieval state)")
    root = _erf(arr) / arr - _TWO_OVER_SQRT_PI * np.exp(-arr**2)
    out = np.where(root > 0, 0.5 * root**2, 0.0)  # root <= 0 (tiny y): no load has this y as a solution
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class CriticalLoad:
    """The largest load with a retrieval state (``alpha_c``), and y and the overlap m = erf(y) there."""

    alpha_c: float
    y_c: float
    m_c: float


def ags_critical_load(tol: float = 1e-12) -> CriticalLoad:
    """alpha_c = max_y alpha(y) of :func:`ags_load` (golden-section search): about 0.1379, with m_c about 0.967."""
    tol = float(tol)
    if not (math.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    lo, hi = 0.5, 3.0  # alpha(y) has one maximum, near y = 1.5
    g = (math.sqrt(5.0) - 1.0) / 2.0
    while hi - lo > tol:
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if ags_load(a) < ags_load(b):
            lo = a
        else:
            hi = b
    y_c = 0.5 * (lo + hi)
    return CriticalLoad(alpha_c=ags_load(y_c), y_c=y_c, m_c=math.erf(y_c))


@dataclass(frozen=True)
class RetrievalState:
    """Solutions of the retrieval equations, one entry per load (L,).

    ``exists``: whether a retrieval state exists (alpha < alpha_c); where it does not, ``m``, ``y``,
    ``C`` and ``r`` are NaN. ``m``: overlap with the pattern; ``C``: the susceptibility (how much a
    unit's field responds to the state's own errors); ``r = 1 / (1 - C)^2``: the factor by which that
    feedback inflates the crosstalk variance alpha r.
    """

    alpha: np.ndarray
    exists: np.ndarray
    m: np.ndarray
    y: np.ndarray
    C: np.ndarray
    r: np.ndarray


def ags_retrieval(alpha) -> RetrievalState:
    """Solve the zero-temperature retrieval equations at each load alpha (L,) or a scalar.

    The retrieval state is the solution with the largest y (the branch y > y_c, on which alpha(y)
    decreases); it is found by bisection. Loads >= alpha_c have no retrieval state (NaN entries).
    """
    a = np.atleast_1d(as_finite(alpha, "alpha"))
    if a.ndim != 1 or np.any(a <= 0):
        raise ValueError("alpha must be a positive load p/N or a 1-D array of them")
    crit = ags_critical_load()
    exists = a < crit.alpha_c
    y = np.full(a.shape, np.nan)
    for k in np.flatnonzero(exists):
        lo, hi = crit.y_c, 10.0
        while ags_load(hi) > a[k]:  # alpha(y) -> 0 as y grows; make sure the bracket holds the root
            hi *= 2.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if ags_load(mid) > a[k]:
                lo = mid
            else:
                hi = mid
        y[k] = 0.5 * (lo + hi)
    with np.errstate(invalid="ignore"):
        m = np.where(exists, _erf(np.nan_to_num(y)), np.nan)
        C = _TWO_OVER_SQRT_PI * y / m * np.exp(-y**2)  # C = sqrt(2 / (pi alpha r)) e^{-y^2}, sqrt(2 alpha r) = m / y
        r = 1.0 / (1.0 - C) ** 2
    return RetrievalState(alpha=a, exists=exists, m=m, y=y, C=C, r=r)


# ----------------------------------------------------------------------------------------------
# synchronous dynamics: the Lyapunov function that rules out cycles longer than 2
# ----------------------------------------------------------------------------------------------

def sync_trajectory(W, state, steps: int, b=None) -> np.ndarray:
    """``steps`` synchronous updates s(t+1) = sign(W s(t) + b) (ties keep s_i) from one state (N,): (steps+1, N)."""
    W = as_weights(W)
    s = as_spins(state, n=W.shape[0], name="state")
    if s.ndim != 1:
        raise ValueError(f"state must be one state of shape (N,), got shape {s.shape}")
    steps = as_count(steps, "steps", minimum=0)
    out = [s]
    for _ in range(steps):
        out.append(hopfield.sync_step(W, out[-1], b))
    return np.array(out)


def sync_lyapunov(W, trajectory, b=None, eps: float | None = None) -> np.ndarray:
    """L(t) = -s(t)^T (W + eps I) s(t-1) - b^T (s(t) + s(t-1)) for t = 1..T of a trajectory (T+1, N): (T,).

    L(t+1) - L(t) = -sum_i (s_i(t+1) - s_i(t-1)) h_i(t), and each term with s_i(t+1) != s_i(t-1) is
    -2 |h_i(t)| < 0. Ties (h_i = 0, the unit keeps s_i) are the same dynamics as W + eps I with
    0 < eps < every nonzero |h_i|; ``eps=None`` takes half the smallest nonzero |h_i| along the
    trajectory, so L then falls strictly at every step unless s(t+1) = s(t-1).
    """
    W = as_weights(W)
    S = as_spins(trajectory, n=W.shape[0], name="trajectory")
    if S.ndim != 2 or S.shape[0] < 2:
        raise ValueError(f"trajectory must hold at least two states (T+1, N), got shape {S.shape}")
    bvec = np.zeros(W.shape[0]) if b is None else as_bias(b, W.shape[0])
    if eps is None:
        h = np.abs(S @ W.T + bvec)
        nonzero = h[h > 1e-12]
        eps = 0.5 * float(nonzero.min()) if nonzero.size else 1.0
    eps = float(as_finite(eps, "eps"))
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    now, prev = S[1:], S[:-1]
    return -np.sum(now * (prev @ W.T + eps * prev), axis=1) - (now + prev) @ bvec


# ----------------------------------------------------------------------------------------------
# recall for any rule, and basins that keep "fixed point" apart from "comes back"
# ----------------------------------------------------------------------------------------------

RULES = ("hebb", "centred", "centred + threshold", "pseudoinverse", "storkey")


def rule_weights(patterns, rule: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(W, b) that store ``patterns`` (p, N) with one of :data:`RULES`; b is None except for
    "centred + threshold" (the covariance rule: centred Hebb with threshold b = -W a)."""
    X = as_patterns(patterns)
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if rule == "hebb":
        return hopfield.hebbian_weights(X), None
    if rule in ("centred", "centred + threshold"):
        W, b = hopfield.centered_hebbian_weights(X)
        return W, (b if rule == "centred + threshold" else None)
    if rule == "pseudoinverse":
        return hopfield.pseudoinverse_weights(X), None
    return hopfield.storkey_weights(X), None


@dataclass(frozen=True)
class RecallScore:
    """How probes ended: ``final`` (B, N) end states, ``overlaps`` (B,) final overlap with the target,
    ``exact`` fraction ending exactly in the target, ``recalled`` fraction with overlap >= threshold,
    ``mean_overlap``."""

    final: np.ndarray
    overlaps: np.ndarray
    exact: float
    recalled: float
    mean_overlap: float


def recall_score(W, targets, probes, b=None, rng=None, threshold: float = 0.95,
                 max_sweeps: int = 50) -> RecallScore:
    """Run asynchronous recall from ``probes`` (B, N) and score the ends against ``targets`` (B, N)."""
    W = as_weights(W)
    T = np.atleast_2d(as_spins(targets, n=W.shape[0], name="targets"))
    P = np.atleast_2d(as_spins(probes, n=W.shape[0], name="probes"))
    if P.shape != T.shape:
        raise ValueError(f"probes {P.shape} and targets {T.shape} must have the same shape")
    threshold = float(as_finite(threshold, "threshold"))
    if not -1 <= threshold <= 1:
        raise ValueError(f"threshold must be an overlap in [-1, 1], got {threshold}")
    final = hopfield.recall(W, P, rng=as_rng(rng), b=b, max_sweeps=as_count(max_sweeps, "max_sweeps")).states
    m = np.sum(final * T, axis=1) / T.shape[1]
    return RecallScore(final=final, overlaps=m, exact=float(np.mean(m == 1.0)),
                       recalled=float(np.mean(m >= threshold)), mean_overlap=float(m.mean()))


@dataclass(frozen=True)
class BasinProfile:
    """Basins against noise for one stored set, one entry per noise level (L,) unless noted.

    ``fixed_fraction`` (a number): the fraction of stored patterns that are fixed points at all, the
    ceiling of exact recall at any noise. ``exact``: probes ending exactly in their pattern;
    ``recalled``: probes ending with overlap >= ``threshold``; ``mean_overlap``; ``overlaps``
    (L, trials * p): every probe's final overlap.
    """

    noise: np.ndarray
    fixed_fraction: float
    exact: np.ndarray
    recalled: np.ndarray
    mean_overlap: np.ndarray
    overlaps: np.ndarray
    threshold: float


def basin_profile(patterns, noise_levels, trials: int = 1, rng=None, rule: str = "hebb",
                  threshold: float = 0.95, max_sweeps: int = 50) -> BasinProfile:
    """Store ``patterns`` (p, N) with ``rule``, probe each with every noise level ``trials`` times.

    A probe flips each unit of its pattern with probability ``noise`` (independently); all probes run
    through asynchronous recall as one batch.
    """
    X = as_patterns(patterns)
    levels = np.atleast_1d(as_finite(noise_levels, "noise_levels"))
    if levels.ndim != 1 or np.any((levels < 0) | (levels > 1)):
        raise ValueError(f"noise_levels must be flip probabilities in [0, 1], got {noise_levels!r}")
    trials = as_count(trials, "trials")
    gen = as_rng(rng)
    W, b = rule_weights(X, rule)
    fixed = float(np.mean(np.all(hopfield.sync_step(W, X, b) == X, axis=1)))
    targets = np.tile(X, (len(levels) * trials, 1))
    flip = np.repeat(levels, trials * X.shape[0])[:, None]
    probes = np.where(gen.random(targets.shape) < flip, -targets, targets)
    score = recall_score(W, targets, probes, b=b, rng=gen, threshold=threshold, max_sweeps=max_sweeps)
    m = score.overlaps.reshape(len(levels), -1)
    return BasinProfile(noise=levels, fixed_fraction=fixed, exact=(m == 1.0).mean(axis=1),
                        recalled=(m >= threshold).mean(axis=1), mean_overlap=m.mean(axis=1), overlaps=m,
                        threshold=float(threshold))


# ----------------------------------------------------------------------------------------------
# chapter 01's widget: damage one of several stored memories
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DamageView:
    """One stored pattern with d units flipped, in a network that stores several (Hebb's sum).

    ``state`` (N,), its ``energy``, ``overlaps`` (p,) with every stored pattern, ``energies`` (N+1,)
    at every damage level along the same order, steepest-descent ``path`` (T+1, N) and
    ``path_energies``, the ``end`` state, and where it ended: ``end_pattern`` (index of the stored
    pattern it equals up to sign, or -1 for none) and ``end_sign`` (+1, -1, or 0 for none).
    """

    state: np.ndarray
    energy: float
    overlaps: np.ndarray
    energies: np.ndarray
    path: np.ndarray
    path_energies: np.ndarray
    end: np.ndarray
    end_pattern: int
    end_sign: int


def damage_view_many(patterns, target: int, d: int, order=None) -> DamageView:
    """Store ``patterns`` (p, N) with Hebb's rule, flip units ``order[:d]`` of pattern ``target``, descend."""
    X = as_patterns(patterns)
    p, n = X.shape
    target = as_count(target, "target", minimum=0)
    if target >= p:
        raise ValueError(f"target must index one of the {p} stored patterns, got {target}")
    W = hopfield.hebbian_weights(X)
    x = X[target]
    state = hopfield.flip_units(x, d, order)  # checks d and order
    levels = np.array([hopfield.flip_units(x, k, order) for k in range(n + 1)])
    path = steepest_descent(W, state)
    end = path[-1]
    m_end = X @ end / n
    hit = np.flatnonzero(np.abs(m_end) == 1.0)
    end_pattern = int(hit[0]) if hit.size else -1
    end_sign = int(np.sign(m_end[end_pattern])) if hit.size else 0
    return DamageView(state=state, energy=float(hopfield.energy(W, state)), overlaps=X @ state / n,
                      energies=hopfield.energy(W, levels), path=path, path_energies=hopfield.energy(W, path),
                      end=end, end_pattern=end_pattern, end_sign=end_sign)
