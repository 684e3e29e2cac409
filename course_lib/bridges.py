"""Bridges between the chapters: the same mathematics seen from two sides.

* **RBM <-> dense associative memory** (chapters 05 and 06). Summing out the hidden units of a
  restricted Boltzmann machine leaves a free energy ``F(v) = -a.v - sum_mu G(c_mu + w_mu . v)``:
  a dense associative memory energy whose "memories" are the hidden units' weight vectors w_mu and
  whose separation function G depends on what a hidden unit can be: 0/1 units give the softplus
  (the RBM of chapter 05), +-1 units ``log 2 cosh``, standard Gaussian units ``m^2 / 2``, the
  classical Hopfield energy (Barra et al. 2012). :func:`dense_memory_energy` is the closed form,
  :func:`marginal_free_energy` sums (or integrates) the hidden units out by brute force.
* **Ramsauer et al.'s exponential capacity** (chapter 06): :func:`ramsauer_capacity_bound` evaluates
  their theorem, :func:`well_separated` their separation condition, :func:`sphere_capacity` measures it.
* **A learned static memory** (chapter 07): :class:`StaticMemory` is a layer whose stored patterns are
  parameters (Ramsauer et al.'s ``HopfieldLayer``); with a ReLU in place of the softmax it is the
  feed-forward layer of a transformer read as a key-value memory.
* **What the theorems need** (chapter 04): :func:`critical_depth` (Hajek's constant for logarithmic
  annealing) and :func:`asymptotic_variance` (the quantity Peskun's theorem orders).
* **Memorization to generalization** (chapter 07): :func:`generalisation_experiment` stores mixtures
  of random features with Hebb's rule or the pseudoinverse rule and follows stored, feature and
  never-stored probes.

Layout: stored patterns / memories are **rows**, shape (p, N), and always the first argument.
Everything here is NumPy (arrays in, arrays out) except :class:`StaticMemory`, a torch module, and
:func:`train_static_memory`, which trains it on tensors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from . import hopfield
from .attention import hopfield_attention, mix_features, train_classifier
from .core import as_beta, as_count, as_finite, as_positive, as_rng, torch_generator

__all__ = [
    "HIDDEN_UNITS", "softplus", "separation_function", "dense_memory_energy", "marginal_free_energy",
    "lambert_w0", "RamsauerBound", "ramsauer_capacity_bound", "random_sphere_patterns", "separation_threshold",
    "well_separated", "SphereCapacity", "sphere_capacity", "GeneralisationResult", "generalisation_experiment",
    "StaticMemory", "train_static_memory", "critical_depth", "asymptotic_variance",
]

HIDDEN_UNITS = ("binary", "spin", "gaussian")


# ----------------------------------------------------------------------------------------------
# RBM free energy = dense associative memory energy
# ----------------------------------------------------------------------------------------------

def softplus(x) -> np.ndarray:
    """log(1 + e^x), elementwise, without overflow: a smooth ReLU (max(0, x) <= softplus(x) <= max(0, x) + log 2)."""
    return np.logaddexp(0.0, as_finite(x, "x"))


def _check_hidden(hidden: str) -> str:
    if hidden not in HIDDEN_UNITS:
        raise ValueError(f"hidden must be one of {HIDDEN_UNITS} (0/1, +-1 or standard Gaussian hidden units), "
                         f"got {hidden!r}")
    return hidden


def separation_function(m, hidden: str = "binary") -> np.ndarray:
    """G(m) = log E_h[e^{h m}] (up to a constant) for one hidden unit of the given kind, elementwise:

    ``"binary"`` h in {0, 1}: softplus(m) = log(1 + e^m);  ``"spin"`` h in {-1, +1}: log(2 cosh m);
    ``"gaussian"`` h ~ N(0, 1): m^2 / 2 (the classical Hopfield separation function).
    """
    hidden = _check_hidden(hidden)
    m = as_finite(m, "m")
    if hidden == "binary":
        return np.logaddexp(0.0, m)
    if hidden == "spin":
        return np.logaddexp(m, -m)
    return 0.5 * m * m


def _rbm_arrays(memories, states, shifts, bias):
    W = as_finite(memories, "memories")
    if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 1:
        raise ValueError(f"memories must be the hidden units' weight vectors as rows, shape (H, N) with H, N >= 1, "
                         f"got shape {W.shape}")
    V = as_finite(states, "states")
    if V.ndim not in (1, 2) or V.shape[-1] != W.shape[1]:
        raise ValueError(f"states must have shape ({W.shape[1]},) or (B, {W.shape[1]}), got shape {V.shape}")
    c = np.zeros(W.shape[0]) if shifts is None else as_finite(shifts, "shifts")
    if c.shape != (W.shape[0],):
        raise ValueError(f"shifts (the hidden biases) must have shape ({W.shape[0]},), got {c.shape}")
    a = np.zeros(W.shape[1]) if bias is None else as_finite(bias, "bias")
    if a.shape != (W.shape[1],):
        raise ValueError(f"bias (the visible biases) must have shape ({W.shape[1]},), got {a.shape}")
    return W, V, c, a


def dense_memory_energy(memories, states, hidden: str = "binary", shifts=None, bias=None) -> np.ndarray:
    """The RBM free energy in closed form, read as a dense associative memory energy:

        E(v) = -bias . v - sum_mu G(shifts_mu + w_mu . v),   G = :func:`separation_function` (hidden).

    ``memories`` (H, N): one row w_mu per hidden unit (an RBM's ``W`` of shape (n_visible, n_hidden) is
    ``W.T`` here); ``shifts`` (H,) the hidden biases c; ``bias`` (N,) the visible biases. States (N,) ->
    float, (B, N) -> (B,). Any real states are accepted (0/1 for chapter 05's RBM, +-1 for Hopfield).
    """
    W, V, c, a = _rbm_arrays(memories, states, shifts, bias)
    out = -(V @ a) - separation_function(V @ W.T + c, hidden).sum(axis=-1)
    return float(out) if V.ndim == 1 else out


def marginal_free_energy(memories, states, hidden: str = "binary", shifts=None, bias=None,
                         grid_points: int = 4001) -> np.ndarray:
    """F(v) = -log sum_h e^{-E(v, h)} by brute force, with E(v, h) = -bias . v - sum_mu h_mu (shifts_mu + w_mu . v).

    ``"binary"`` and ``"spin"`` enumerate all 2^H hidden states (H <= 16); ``"gaussian"`` integrates each
    hidden unit against the standard normal density on a grid of ``grid_points`` points over [-40, 40]
    (the hidden units are independent given v, so the integral factorises). No closed form is used:
    this is the check of :func:`dense_memory_energy`. Shapes as there.
    """
    hidden = _check_hidden(hidden)
    W, V, c, a = _rbm_arrays(memories, states, shifts, bias)
    fields = np.atleast_2d(V) @ W.T + c                                   # (B, H)
    if hidden == "gaussian":
        n = as_count(grid_points, "grid_points", minimum=3)
        h = np.linspace(-40.0, 40.0, n)
        log_density = -0.5 * h * h - 0.5 * math.log(2 * math.pi)
        terms = fields[..., None] * h + log_density                       # (B, H, grid)
        top = terms.max(axis=-1, keepdims=True)
        log_int = top[..., 0] + np.log(np.trapezoid(np.exp(terms - top), h, axis=-1))
        log_z = log_int.sum(axis=-1)
    else:
        H = W.shape[0]
        if H > 16:
            raise ValueError(f"enumerating 2^H hidden states needs H <= 16, got H = {H}")
        bits = (np.arange(2 ** H)[:, None] >> np.arange(H)) & 1  # (2^H, H): unit j of state k is bit j of k
        hs = bits.astype(np.float64) if hidden == "binary" else 2.0 * bits - 1.0
        terms = fields @ hs.T                                              # (B, 2^H): -E(v, h) without the bias term
        top = terms.max(axis=-1, keepdims=True)
        log_z = top[:, 0] + np.log(np.exp(terms - top).sum(axis=-1))
    out = -(np.atleast_2d(V) @ a) - log_z
    return float(out[0]) if V.ndim == 1 else out


# ----------------------------------------------------------------------------------------------
# Ramsauer et al. (2020): exponential storage capacity
# ----------------------------------------------------------------------------------------------

def lambert_w0(x: float) -> float:
    """The upper branch W_0 of the Lambert function, w e^w = x, for real x >= -1/e (Halley's iteration)."""
    x = float(x)
    if not math.isfinite(x) or x < -1.0 / math.e:
        raise ValueError(f"x must be a finite number >= -1/e for the upper branch W_0, got {x!r}")
    w = math.log1p(x) if x < 3.0 else math.log(x) - math.log(math.log(x))
    for _ in range(100):
        ew = math.exp(w)
        f = w * ew - x
        step = f / (ew * (w + 1) - (w + 2) * f / (2 * w + 2)) if w != -1.0 else 0.0
        w -= step
        if abs(step) <= 1e-15 * (1 + abs(w)):
            break
    return w


@dataclass(frozen=True)
class RamsauerBound:
    """The quantities of Ramsauer et al.'s capacity theorem for one setting (see :func:`ramsauer_capacity_bound`)."""

    d: int
    K: float
    beta: float
    failure: float
    radius: float         # M = K sqrt(d - 1)
    a: float
    b: float
    c: float
    condition: bool       # c >= (2 / sqrt(failure))^(4 / (d - 1)): the theorem applies
    patterns: float       # sqrt(failure) c^((d - 1) / 4): the guaranteed number of storable patterns


def ramsauer_capacity_bound(d: int, K: float, beta: float, failure: float) -> RamsauerBound:
    """Ramsauer et al. (2020, Theorem 3): for random patterns on the sphere of radius M = K sqrt(d - 1) in
    R^d, with

        a = 2 / (d - 1) (1 + ln(2 beta K^2 failure (d - 1))),   b = 2 K^2 beta / 5,   c = b / W_0(exp(a + ln b)),

    and c >= (2 / sqrt(failure))^(4 / (d - 1)), with probability at least 1 - ``failure`` at least
    sqrt(failure) c^((d - 1) / 4) patterns can be stored (each well separated, retrieved by the update):
    a number exponential in the dimension d.
    """
    d = as_count(d, "d", minimum=2)
    K, beta, failure = as_positive(K, "K"), as_beta(beta), as_positive(failure, "failure")
    if failure > 1:
        raise ValueError(f"failure must be a probability in (0, 1], got {failure!r}")
    a = 2.0 / (d - 1) * (1 + math.log(2 * beta * K * K * failure * (d - 1)))
    b = 2.0 * K * K * beta / 5.0
    c = b / lambert_w0(math.exp(a + math.log(b)))
    condition = c >= (2 / math.sqrt(failure)) ** (4 / (d - 1))
    return RamsauerBound(d, K, beta, failure, K * math.sqrt(d - 1), a, b, c, bool(condition),
                         math.sqrt(failure) * c ** ((d - 1) / 4))


def random_sphere_patterns(p: int, d: int, radius: float, rng=None) -> np.ndarray:
    """``p`` patterns drawn uniformly on the sphere of the given radius in R^d: rows of a (p, d) array."""
    p, d = as_count(p, "p"), as_count(d, "d")
    radius = as_positive(radius, "radius")
    x = as_rng(rng).normal(size=(p, d))
    return radius * x / np.linalg.norm(x, axis=1, keepdims=True)


def separation_threshold(p: int, beta: float, M: float) -> float:
    """The separation Ramsauer et al. (2020) ask of a stored pattern among p patterns of norm <= M:

        Delta_i >= 2 / (beta p) + ln(2 (p - 1) p beta M^2) / beta.

    Above it the update maps a small sphere around x_i into itself as a contraction: a fixed point near
    x_i to which every state in the sphere converges, reached in one update up to an exponentially small
    error. Needs p >= 2.
    """
    p = as_count(p, "p", minimum=2)
    beta, M = as_beta(beta), as_positive(M, "M")
    return 2.0 / (beta * p) + math.log(2 * (p - 1) * p * beta * M * M) / beta


def _separations(X: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Delta_i = x_i.x_i - max_{j != i} x_i.x_j, in row chunks (no p x p matrix for large p)."""
    out = np.empty(X.shape[0])
    for s in range(0, X.shape[0], chunk):
        G = X[s:s + chunk] @ X.T
        rows = np.arange(G.shape[0])
        own = G[rows, s + rows].copy()
        G[rows, s + rows] = -np.inf
        out[s:s + chunk] = own - G.max(axis=1)
    return out


def well_separated(patterns, beta: float) -> np.ndarray:
    """(p,) bool: which stored patterns (rows of a (p, N) array, p >= 2) meet :func:`separation_threshold`."""
    X = as_finite(patterns, "patterns")
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"patterns must be a (p, N) array with p >= 2 rows, got shape {X.shape}")
    M = float(np.linalg.norm(X, axis=1).max())
    return _separations(X) >= separation_threshold(X.shape[0], beta, M)


@dataclass(frozen=True)
class SphereCapacity:
    """What :func:`sphere_capacity` measured: for each dimension, the largest p of the grid at which every
    pattern of every trial was well separated (0 if none), and the theorem's guarantee."""

    dims: np.ndarray          # (D,)
    loads: np.ndarray         # (L,) the grid of p
    fraction: np.ndarray      # (D, L) fraction of well-separated patterns (mean over trials); NaN past the first p < 1
    capacity: np.ndarray      # (D,) largest p with fraction 1 at it and at every smaller p
    guaranteed: np.ndarray    # (D,) sqrt(failure) c^((d-1)/4), NaN where the theorem's condition fails


def sphere_capacity(dims, loads, K: float = 1.0, beta: float = 1.0, trials: int = 3, failure: float = 0.001,
                    rng=None) -> SphereCapacity:
    """Measure Ramsauer et al.'s capacity: p random patterns on the sphere of radius K sqrt(d - 1) in R^d,
    for each d in ``dims`` and p in ``loads``; count the patterns that are well separated
    (:func:`well_separated`); compare with :func:`ramsauer_capacity_bound`. For each d the loads are tried in
    increasing order and stop after the first one at which some pattern is not well separated."""
    dims_a = np.asarray(dims)
    loads_a = np.asarray(loads)
    for name, arr, low in (("dims", dims_a, 2), ("loads", loads_a, 2)):
        if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer) or np.any(arr < low):
            raise ValueError(f"{name} must be a non-empty 1-D array of integers >= {low}, got {arr!r}")
    if np.any(np.diff(loads_a) <= 0):
        raise ValueError("loads must increase")
    trials = as_count(trials, "trials")
    gen = as_rng(rng)
    frac = np.zeros((dims_a.size, loads_a.size))
    for i, d in enumerate(dims_a):
        radius = K * math.sqrt(int(d) - 1)
        for j, p in enumerate(loads_a):
            for _ in range(trials):
                X = random_sphere_patterns(int(p), int(d), radius, gen)
                frac[i, j] += well_separated(X, beta).mean() / trials
            if frac[i, j] < 1.0:          # the capacity is found: larger p are not measured (NaN)
                frac[i, j + 1:] = np.nan
                break
    full = np.nan_to_num(frac) >= 1.0
    cap = np.array([0 if not row[0] else int(loads_a[(len(row) if row.all() else int(np.argmin(row))) - 1])
                    for row in full])
    guaranteed = np.array([b.patterns if b.condition else np.nan
                           for b in (ramsauer_capacity_bound(int(d), K, beta, failure) for d in dims_a)])
    return SphereCapacity(dims_a, loads_a, frac, cap, guaranteed)


# ----------------------------------------------------------------------------------------------
# memorization -> generalization (Kalaj et al. 2024), Hebb and pseudoinverse
# ----------------------------------------------------------------------------------------------

def _projection_and_rank(X: np.ndarray) -> tuple[np.ndarray, int]:
    """The pseudoinverse rule's W = X^T (X X^T)^+ X (zero diagonal) and the rank of X, from X^T X.

    The same matrix as :func:`course_lib.hopfield.pseudoinverse_weights`: the projection onto the span of
    the rows of X, built from the eigenvectors of the N x N matrix X^T X with non-zero eigenvalue, in
    O(p N^2) instead of the O(p^3) of a p x p Gram inverse (for thousands of examples, milliseconds
    instead of tens of seconds). Eigenvalues below 1e-9 of the largest count as zero: for +-1 examples
    the non-zero ones are far above that, and rounding leaves the zero ones far below it.
    """
    lam, vecs = np.linalg.eigh(X.T @ X)
    keep = lam > 1e-9 * lam.max()
    basis = vecs[:, keep]
    W = basis @ basis.T
    W = (W + W.T) / 2
    np.fill_diagonal(W, 0.0)
    return W, int(keep.sum())


@dataclass(frozen=True)
class GeneralisationResult:
    """Mean overlaps |m| = |x . s_end| / N between each kind of probe and where the dynamics end.

    ``overlap[rule][kind]`` is a (L,) array over ``loads``; kinds: "stored" (stored examples),
    "features" (the features, never stored), "unseen" (new mixtures checked to be absent from the
    stored examples), "unseen, noisy" (the same with a fraction ``noise`` of units flipped).
    ``fixed[rule][kind]`` is the fraction of probes that are fixed points (end exactly where they started).
    ``rank`` (L,) is the rank of the stored examples, averaged over trials; ``span`` the dimension of the
    space every mixture lies in: n_features + C(n_features, 3) for mixtures of 3.
    """

    loads: np.ndarray
    overlap: dict
    fixed: dict
    rank: np.ndarray
    span: int


def _unseen_mixtures(features: np.ndarray, stored: np.ndarray, count: int, n_mix: int,
                     gen: np.random.Generator) -> np.ndarray:
    seen = {row.tobytes() for row in stored}
    found: list[np.ndarray] = []
    for _ in range(50):
        for row in mix_features(features, 4 * count, n_mix, gen):
            if row.tobytes() not in seen:
                seen.add(row.tobytes())
                found.append(row)
        if len(found) >= count:
            return np.array(found[:count])
    raise ValueError(f"could not find {count} mixtures that are not stored: the stored examples cover almost all "
                     "of them (use more features or fewer examples)")


def generalisation_experiment(n: int, n_features: int, loads, n_mix: int = 3, rules=("hebbian", "pseudoinverse"),
                              n_probe: int = 20, trials: int = 1, noise: float = 0.1, max_sweeps: int = 30,
                              rng=None) -> GeneralisationResult:
    """Store P = load * n random-feature examples x = sign(sum of ``n_mix`` features with random signs) and run
    the zero-temperature dynamics from stored examples, the features, never-stored mixtures, and noisy
    never-stored mixtures (Kalaj et al. 2024 with Hebb's rule; the pseudoinverse rule for comparison).

    For n_mix = 3 and +-1 features, sign(a + b + c) = (a + b + c - a*b*c) / 2 elementwise: every mixture lies
    in the span of the features and their C(D, 3) triple products, so the pseudoinverse rule (a projection
    onto the span of the stored examples) makes every mixture a fixed point once the examples span it.
    """
    n, n_features = as_count(n, "n", minimum=2), as_count(n_features, "n_features")
    n_mix, n_probe, trials = as_count(n_mix, "n_mix"), as_count(n_probe, "n_probe"), as_count(trials, "trials")
    if n_mix % 2 == 0 or n_mix > n_features:
        raise ValueError(f"n_mix must be odd and at most n_features = {n_features}, got {n_mix}")
    loads_a = as_finite(np.atleast_1d(loads), "loads")
    if loads_a.ndim != 1 or np.any(loads_a <= 0):
        raise ValueError(f"loads must be a 1-D array of positive numbers P / N, got {loads!r}")
    rules = tuple(rules)
    if not rules or any(r not in ("hebbian", "pseudoinverse") for r in rules):
        raise ValueError(f"rules must be a non-empty selection of ('hebbian', 'pseudoinverse'), got {rules!r}")
    if not 0 <= noise < 0.5:
        raise ValueError(f"noise must be a fraction of flipped units in [0, 0.5), got {noise!r}")
    gen = as_rng(rng)
    kinds = ("stored", "features", "unseen", "unseen, noisy")
    overlap = {r: {k: np.zeros(loads_a.size) for k in kinds} for r in rules}
    fixed = {r: {k: np.zeros(loads_a.size) for k in kinds} for r in rules}
    rank = np.zeros(loads_a.size)
    for _ in range(trials):
        features = gen.choice(np.array([-1.0, 1.0]), size=(n_features, n))
        for j, load in enumerate(loads_a):
            stored = mix_features(features, max(1, int(round(load * n))), n_mix, gen)
            projection, rank_j = _projection_and_rank(stored)
            rank[j] += rank_j / trials
            weights = {"hebbian": hopfield.hebbian_weights(stored), "pseudoinverse": projection}
            unseen = _unseen_mixtures(features, stored, n_probe, n_mix, gen)
            flips = np.where(gen.random(unseen.shape) < noise, -1.0, 1.0)
            probes = {"stored": (stored[:n_probe], stored[:n_probe]), "features": (features[:n_probe],) * 2,
                      "unseen": (unseen, unseen), "unseen, noisy": (unseen * flips, unseen)}
            for r in rules:
                for kind, (start, target) in probes.items():
                    end = hopfield.recall(weights[r], start, max_sweeps=max_sweeps, rng=gen).states
                    overlap[r][kind][j] += float(np.mean(np.abs(np.sum(end * target, axis=1)) / n)) / trials
                    fixed[r][kind][j] += float(np.mean(np.all(end == start, axis=1))) / trials
    return GeneralisationResult(loads_a, overlap, fixed, rank, n_features + math.comb(n_features, 3))


# ----------------------------------------------------------------------------------------------
# a learned static memory (Ramsauer et al.'s HopfieldLayer) and the feed-forward layer as memory (torch)
# ----------------------------------------------------------------------------------------------

class StaticMemory(nn.Module):
    """A memory of ``slots`` learned (key, value) pairs that every input queries in one step:

    ``"softmax"``: out = softmax(beta x K^T) V, one Hopfield retrieval from stored patterns that are
    parameters (Ramsauer et al.'s HopfieldLayer; :func:`course_lib.attention.hopfield_attention`);
    ``"relu"``: out = relu(x K^T + c) V, a transformer's feed-forward layer read as a key-value memory
    (Geva et al. 2021). Input (B, n_in) -> output (B, n_out); keys (slots, n_in), values (slots, n_out).
    """

    def __init__(self, n_in: int, slots: int, n_out: int, kind: str = "softmax", beta: float = 1.0, rng=None):
        super().__init__()
        generator = torch_generator(rng)              # the initial keys and values are drawn on the CPU
        n_in, slots, n_out = as_count(n_in, "n_in"), as_count(slots, "slots"), as_count(n_out, "n_out")
        if kind not in ("softmax", "relu"):
            raise ValueError(f"kind must be 'softmax' (Hopfield layer) or 'relu' (feed-forward layer), got {kind!r}")
        self.kind, self.beta = kind, as_beta(beta)
        self.keys = nn.Parameter(torch.randn(slots, n_in, generator=generator) / math.sqrt(n_in))
        self.values = nn.Parameter(torch.randn(slots, n_out, generator=generator) / math.sqrt(slots))
        self.shift = nn.Parameter(torch.zeros(slots))

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """How much each input reads from each slot, (B, slots): softmax weights (rows sum to 1) or ReLU activations."""
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.keys.shape[1]:
            raise ValueError(f"inputs must be a tensor of shape (B, {self.keys.shape[1]}), "
                             f"got {tuple(getattr(x, 'shape', ()))}")
        if self.kind == "softmax":
            return hopfield_attention(x, self.keys, self.values, beta=self.beta)[1]
        return torch.relu(x @ self.keys.T + self.shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The read-out, (B, n_out): the slots' values weighted by :meth:`weights`."""
        return self.weights(x) @ self.values


def train_static_memory(model, inputs, labels, epochs: int, lr: float = 3e-3, batch_size: int = 100,
                        rng=0) -> list[float]:
    """Train a :class:`StaticMemory` classifier (logits = its output) with Adam; returns the loss per epoch.

    The training loop is :func:`course_lib.attention.train_classifier`'s; ``rng`` shuffles the mini-batches."""
    return train_classifier(model, inputs, labels, epochs=as_count(epochs, "epochs"), batch_size=batch_size,
                            lr=lr, rng=rng)


# ----------------------------------------------------------------------------------------------
# chapter 04: what the convergence theorems of samplers and annealing need
# ----------------------------------------------------------------------------------------------

def critical_depth(energies, n: int) -> float:
    """Hajek's critical depth d* of an energy on the 2^n states of n +-1 units, single flips as moves.

    ``energies`` (2^n,) in the order of ``boltzmann.all_states(n)`` (state k has unit i = +1 iff bit i of
    k is 1, so flipping unit i is k ^ (1 << i)). The depth of a local minimum s is the least energy
    barrier it must climb to reach a state of lower energy: min over single-flip paths to such a state
    of (highest energy on the path) - E(s). d* is the largest depth over local minima that are not
    global (0 if every local minimum is global). Hajek (1988): single-flip annealing with
    T_k = c / ln(k + 2) reaches the ground states with probability tending to 1 if and only if c >= d*.
    Computed exactly by adding states in order of energy and merging neighbouring basins (union-find).
    """
    n = as_count(n, "n")
    if n > 20:
        raise ValueError(f"n must be at most 20 to enumerate the 2^n states, got {n}")
    E = as_finite(energies, "energies")
    if E.shape != (2 ** n,):
        raise ValueError(f"energies must have shape ({2 ** n},), one per state of all_states({n}), got {E.shape}")
    tol = 1e-9 * (1.0 + np.abs(E).max())
    parent = np.arange(E.size)
    low = E.copy()                                    # the lowest energy in each basin (at its root)
    added = np.zeros(E.size, dtype=bool)
    depth = 0.0
    e_min = E.min()

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for k in np.argsort(E, kind="stable"):
        added[k] = True
        for i in range(n):
            j = k ^ (1 << i)
            if not added[j]:
                continue
            a, b = root(int(k)), root(int(j))
            if a == b:
                continue
            # the basin whose minimum is higher is left at level E[k]; a non-global minimum's depth is final
            hi, lo = (a, b) if low[a] > low[b] else (b, a)
            if low[hi] > e_min + tol and low[hi] > low[lo] + tol:
                depth = max(depth, float(E[k] - low[hi]))
            parent[hi] = lo
    return depth


def asymptotic_variance(P, f) -> float:
    """Asymptotic variance of the ergodic average of f along a reversible chain P in equilibrium:

        sigma^2 = lim_T T Var(1/T sum_t f(s_t)) = <g, (2 Z - I) g>_pi,   g = f - E_pi f,  Z = (I - P + 1 pi)^-1,

    with pi the stationary distribution of P. Peskun (1973): if P1 >= P2 off the diagonal (same pi),
    sigma^2(P1) <= sigma^2(P2) for every f. P (K, K) row-stochastic, f (K,).
    """
    P = as_finite(P, "P")
    if P.ndim != 2 or P.shape[0] != P.shape[1] or not np.allclose(P.sum(axis=1), 1.0) or np.any(P < -1e-15):
        raise ValueError("P must be a square matrix with non-negative rows summing to 1")
    f = as_finite(f, "f")
    if f.shape != (P.shape[0],):
        raise ValueError(f"f must have one value per state, shape ({P.shape[0]},), got {f.shape}")
    K = P.shape[0]
    ones = np.ones(K)
    pi = np.linalg.solve((np.eye(K) - P + np.outer(ones, ones)).T, ones)   # pi (I - P + 1 1^T) = 1^T
    g = f - pi @ f
    x = np.linalg.solve(np.eye(K) - P + np.outer(ones, pi), g)              # x = Z g
    return float(pi @ (g * (2 * x - g)))
