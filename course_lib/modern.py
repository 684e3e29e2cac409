"""Modern Hopfield networks: dense associative memories and the continuous modern Hopfield network.

Layout convention (the whole module): stored patterns are the **rows** of ``X``, shape (p, N):
p patterns of N units (or dimensions). Queries / states are one vector (N,) or a batch (B, N).
Ramsauer et al. (2020) store their N patterns of dimension d as the *columns* of a d x N matrix;
their ``X`` is our ``X.T``, their N is our p and their d is our N. So their ``X^T xi`` is our
``xi @ X.T`` (shape (B, p)) and their update ``X softmax(beta X^T xi)`` is our
``softmax(beta xi @ X.T) @ X``.

Continuous functions (``lse``, ``softmax``, ``modern_energy``, ``modern_update``, ``separation``,
``one_step_error_bound``) take NumPy arrays or torch tensors, float32 or float64, and return the
same kind and dtype (integers become float64). Dense associative memory functions work on +-1
states with NumPy (a torch input is converted and the result converted back).
"""

from __future__ import annotations

import math

import numpy as np

try:  # torch is a course dependency; the NumPy paths do not need it
    import torch
except ImportError:  # pragma: no cover
    torch = None


# ----------------------------------------------------------------------------------------------
# input checks and the NumPy / torch switch
# ----------------------------------------------------------------------------------------------

def _is_torch(a) -> bool:
    return torch is not None and isinstance(a, torch.Tensor)


def _as_float(a, name: str, like=None):
    """``a`` as a floating array of the same kind as ``like`` (torch if either is a tensor)."""
    if _is_torch(a) or _is_torch(like):
        ref = like if _is_torch(like) else None
        t = a if _is_torch(a) else torch.as_tensor(np.asarray(a))
        if not t.is_floating_point():
            t = t.to(torch.float64)
        if ref is not None:
            t = t.to(device=ref.device, dtype=torch.promote_types(t.dtype, ref.dtype))
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} contains NaN or infinite values")
        return t
    arr = np.asarray(a)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
                                   or arr.dtype == bool):
        raise ValueError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _check_beta(beta) -> float:
    try:
        b = float(beta)
    except (TypeError, ValueError):
        raise ValueError(f"beta must be a positive number, got {beta!r}") from None
    if not (math.isfinite(b) and b > 0):
        raise ValueError(f"beta must be a positive finite number (an inverse temperature), got {beta!r}")
    return b


def _patterns_and_queries(X, xi, name: str = "xi"):
    """Check X (p, N) and xi (N,) or (B, N); return both with a common kind and dtype."""
    X = _as_float(X, "X", like=xi if _is_torch(xi) else None)
    xi = _as_float(xi, name, like=X)
    if _is_torch(X) and X.dtype != xi.dtype:
        X = X.to(xi.dtype)
    if not _is_torch(X):
        dt = np.result_type(X.dtype, xi.dtype)
        X, xi = X.astype(dt, copy=False), xi.astype(dt, copy=False)
    if X.ndim != 2 or X.shape[0] < 1:
        raise ValueError(f"X must hold the stored patterns as rows, shape (p, N) with p >= 1, got shape "
                         f"{tuple(X.shape)}")
    if xi.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (N,) or (B, N), got shape {tuple(xi.shape)}")
    if xi.shape[-1] != X.shape[1]:
        raise ValueError(f"{name} has {xi.shape[-1]} units on its last axis, but the patterns X have "
                         f"N = {X.shape[1]} (X is (p, N): one stored pattern per row)")
    return X, xi


def _max(a, keep: bool):
    if _is_torch(a):
        return a.amax(dim=-1, keepdim=keep)
    return a.max(axis=-1, keepdims=keep)


def _sum(a):
    return a.sum(dim=-1) if _is_torch(a) else a.sum(axis=-1)


def _exp(a):
    return torch.exp(a) if _is_torch(a) else np.exp(a)


def _log(a):
    return torch.log(a) if _is_torch(a) else np.log(a)


def _finish(out):
    """A 0-d NumPy result becomes a NumPy scalar of the same dtype (torch keeps its 0-d tensor)."""
    return out if _is_torch(out) or out.ndim else out[()]


# ----------------------------------------------------------------------------------------------
# the continuous modern Hopfield network (Ramsauer et al. 2020)
# ----------------------------------------------------------------------------------------------

def lse(beta, x):
    """log-sum-exp at inverse temperature beta along the last axis: lse(b, x) = b^-1 log sum_i exp(b x_i).

    Computed stably as m + b^-1 log sum_i exp(b (x_i - m)) with m = max_i x_i, so no exp overflows.
    x (..., k) -> (...). Bounds: max_i x_i <= lse <= max_i x_i + log(k) / b.
    """
    b = _check_beta(beta)
    x = _as_float(x, "x")
    if x.ndim < 1 or x.shape[-1] < 1:
        raise ValueError(f"x must have at least one entry on its last axis, got shape {tuple(x.shape)}")
    m = _max(x, keep=True)
    out = m[..., 0] + _log(_sum(_exp(b * (x - m)))) / b
    return _finish(out)


def softmax(z, beta=1.0):
    """softmax(beta z) along the last axis, stably: exp(b (z_i - max z)) / sum_j exp(b (z_j - max z))."""
    b = _check_beta(beta)
    z = _as_float(z, "z")
    if z.ndim < 1 or z.shape[-1] < 1:
        raise ValueError(f"z must have at least one entry on its last axis, got shape {tuple(z.shape)}")
    e = _exp(b * (z - _max(z, keep=True)))
    return e / (e.sum(dim=-1, keepdim=True) if _is_torch(e) else e.sum(axis=-1, keepdims=True))


def _norms(X):
    return torch.linalg.vector_norm(X, dim=-1) if _is_torch(X) else np.linalg.norm(X, axis=-1)


def modern_energy(X, xi, beta):
    """E(xi) = -lse(beta, X xi) + 1/2 xi.xi + beta^-1 log p + 1/2 M^2, with M = max_mu |x_mu|.

    (Ramsauer et al. 2020, eq. 2, in our row layout: their X^T xi is our ``xi @ X.T``.) The two
    constants make 0 <= E everywhere and E <= 2 M^2 on the ball |xi| <= M. X (p, N); xi (N,) -> scalar,
    (B, N) -> (B,).
    """
    b = _check_beta(beta)
    X, xi = _patterns_and_queries(X, xi)
    M = _max(_norms(X), keep=False)
    out = -lse(b, xi @ X.T) + 0.5 * _sum(xi * xi) + math.log(X.shape[0]) / b + 0.5 * M * M
    return _finish(out) if not _is_torch(out) else out


def modern_update(X, xi, beta, steps: int = 1):
    """The update xi <- softmax(beta xi X^T) X (their xi <- X softmax(beta X^T xi)), ``steps`` times.

    Each new state is a convex combination of the stored patterns, weighted by the softmax of the
    similarities. The update is the concave-convex procedure for :func:`modern_energy`, so E never
    rises. X (p, N); xi (N,) or (B, N) -> the same shape.
    """
    b = _check_beta(beta)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    X, xi = _patterns_and_queries(X, xi)
    for _ in range(int(steps)):
        xi = softmax(xi @ X.T, b) @ X
    return xi


def separation(X):
    """Separation of each pattern from the others: Delta_i = x_i.x_i - max_{j != i} x_i.x_j, shape (p,).

    (Ramsauer et al. 2020, Definition 1.) Needs p >= 2.
    """
    X = _as_float(X, "X")
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"separation needs X of shape (p, N) with p >= 2 patterns, got shape {tuple(X.shape)}")
    G = X @ X.T
    if _is_torch(G):
        diag = torch.diagonal(G).clone()
        off = G - torch.diag_embed(torch.full_like(diag, float("inf")))
        return diag - off.amax(dim=1)
    diag = np.diag(G).copy()
    off = G.copy()
    np.fill_diagonal(off, -np.inf)
    return diag - off.max(axis=1)


def one_step_error_bound(X, xi, index, beta):
    """Upper bound on |T(xi) - x_i| after ONE update T = :func:`modern_update`, for queries near x_i:

        |T(xi) - x_i| <= 2 M (p - 1) exp(-beta (Delta_i - 2 M |xi - x_i|)),

    with Delta_i from :func:`separation` and M = max_mu |x_mu|. Proof: T(xi) - x_i = sum_{j != i} p_j
    (x_j - x_i), so |T(xi) - x_i| <= 2 M (1 - p_i), and 1 - p_i <= sum_{j != i} exp(beta (x_j - x_i).xi)
    with (x_i - x_j).xi = (x_i - x_j).x_i + (x_i - x_j).(xi - x_i) >= Delta_i - 2 M |xi - x_i|.
    This is the bound of Ramsauer et al. (2020, Theorem 5: |f(xi) - x_i| <= 2 eps M) with their
    max{|xi - x_i|, |x_i* - x_i|} replaced by |xi - x_i| (so ours is never larger).
    ``index``: int, or (B,) ints for a batch (B, N). Returns a scalar or (B,).
    """
    b = _check_beta(beta)
    X, xi = _patterns_and_queries(X, xi)
    p = X.shape[0]
    idx = np.asarray(index.cpu() if _is_torch(index) else index)
    if not np.issubdtype(idx.dtype, np.integer) or np.any(idx < 0) or np.any(idx >= p):
        raise ValueError(f"index must hold pattern indices in [0, {p}), got {index!r}")
    if idx.shape != tuple(xi.shape[:-1]):
        raise ValueError(f"index must have shape {tuple(xi.shape[:-1])} (one per query), got {idx.shape}")
    delta = separation(X)[idx]
    target = X[idx]
    dist = _norms(xi - target)
    M = _max(_norms(X), keep=False)
    out = 2 * M * (p - 1) * _exp(-b * (delta - 2 * M * dist))
    return _finish(out) if not _is_torch(out) else out


def attention_weights(X, xi, beta):
    """The softmax weights p = softmax(beta xi X^T) of the update: (B, p) or (p,)."""
    b = _check_beta(beta)
    X, xi = _patterns_and_queries(X, xi)
    return softmax(xi @ X.T, b)


def effective_patterns(weights):
    """Participation number 1 / sum_j p_j^2 of softmax weights (..., p): 1 for one pattern, p for uniform."""
    w = _as_float(weights, "weights")
    return _finish(1.0 / _sum(w * w)) if not _is_torch(w) else 1.0 / _sum(w * w)


def retrieval_rate(X, queries, targets, beta, steps: int = 1, chunk: int = 512) -> float:
    """Fraction of queries whose sign(T^steps(query)) equals their target pattern X[target] exactly.

    NumPy; queries (B, N), targets (B,) pattern indices; processed in chunks of ``chunk`` queries.
    """
    X = _as_float(X, "X")
    Q = _as_float(queries, "queries")
    t = np.asarray(targets)
    if Q.ndim != 2 or t.shape != (Q.shape[0],) or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"queries must be (B, N) and targets (B,) integer indices, got {Q.shape} and {t.shape}")
    hits = 0
    for start in range(0, Q.shape[0], chunk):
        out = modern_update(X, Q[start:start + chunk], beta, steps)
        hits += int(np.sum(np.all(np.sign(out) == X[t[start:start + chunk]], axis=1)))
    return hits / Q.shape[0]


def landscape(X, beta, extent: float = 1.6, resolution: int = 81, iterations: int = 200) -> dict:
    """The modern energy of 2-D patterns X (p, 2) on a grid, and the fixed points of the update.

    Returns ``{"xs", "ys"}`` (resolution,) grid axes, ``"energy"`` (resolution, resolution) with
    energy[r, c] at (xs[c], ys[r]), ``"fixed_points"`` (k, 2): the distinct end points of
    ``iterations`` updates started from every 8th grid point, and ``"minima"`` (k,) bool, True where
    the fixed point is a local minimum (its energy is below that of 8 nearby points).
    """
    b = _check_beta(beta)
    X = np.asarray(_as_float(X, "X"), dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"landscape draws 2-D patterns: X must have shape (p, 2), got {X.shape}")
    if not isinstance(resolution, (int, np.integer)) or resolution < 3:
        raise ValueError(f"resolution must be an integer >= 3, got {resolution!r}")
    xs = np.linspace(-extent, extent, resolution)
    gx, gy = np.meshgrid(xs, xs)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    energy = modern_energy(X, grid, b).reshape(resolution, resolution)
    ends = modern_update(X, grid[::8], b, steps=iterations)
    fixed = _distinct(ends, tol=1e-3)
    ring = 1e-2 * np.stack([np.cos(np.arange(8) * np.pi / 4), np.sin(np.arange(8) * np.pi / 4)], axis=1)
    around = modern_energy(X, (fixed[:, None, :] + ring[None]).reshape(-1, 2), b).reshape(len(fixed), 8)
    minima = np.all(around > modern_energy(X, fixed, b)[:, None], axis=1)
    return {"xs": xs, "ys": xs, "energy": energy, "fixed_points": fixed, "minima": minima}


def _distinct(points: np.ndarray, tol: float) -> np.ndarray:
    kept: list[np.ndarray] = []
    for q in points:
        if all(np.linalg.norm(q - k) > tol for k in kept):
            kept.append(q)
    return np.array(kept)


# ----------------------------------------------------------------------------------------------
# dense associative memories (Krotov and Hopfield 2016; Demircigil et al. 2017)
# ----------------------------------------------------------------------------------------------

def _as_pm1(a, n: int | None, name: str) -> np.ndarray:
    arr = np.asarray(a.detach().cpu() if _is_torch(a) else a)
    if arr.dtype == object or arr.ndim not in (1, 2):
        raise ValueError(f"{name} must be a numeric array of shape (N,) or (B, N), got shape {arr.shape}")
    if n is not None and arr.shape[-1] != n:
        raise ValueError(f"{name} has {arr.shape[-1]} units on its last axis, expected N = {n}")
    if arr.size and not np.all((arr == 1) | (arr == -1)):
        raise ValueError(f"{name} must contain only +1 and -1 values")
    return arr.astype(np.float64)


def _check_F(F):
    if isinstance(F, str) and F == "exp":
        return "exp"
    if isinstance(F, (int, np.integer)) and not isinstance(F, bool) and F >= 1:
        return int(F)
    raise ValueError(f"F must be a positive integer n (F(x) = x^n) or 'exp' (F(x) = exp(x)), got {F!r}")


def _dense_X(X) -> np.ndarray:
    Xa = _as_pm1(X, None, "X")
    if Xa.ndim != 2:
        raise ValueError(f"X must hold the stored patterns as rows, shape (p, N), got shape {Xa.shape}")
    return Xa


def _back(out: np.ndarray, like):
    if _is_torch(like):
        return torch.as_tensor(out, dtype=like.dtype if like.is_floating_point() else torch.float64,
                               device=like.device)
    return out


def dense_energy(X, s, F):
    """E(s) = -sum_mu F(x_mu . s) for +-1 states: F = n (int) for F(x) = x^n, or "exp" for exp(x).

    n = 2 is the classical Hopfield energy times N (up to a constant); "exp" is Demircigil et al.
    (2017); it overflows to -inf once a pattern overlap exceeds about 709. X (p, N); s (N,) -> float,
    (B, N) -> (B,).
    """
    F = _check_F(F)
    Xa = _dense_X(X)
    S = _as_pm1(s, Xa.shape[1], "s")
    m = S @ Xa.T
    e = -np.sum(np.exp(m) if F == "exp" else m ** F, axis=-1)
    return float(e) if S.ndim == 1 else _back(e, s)


def _unit_gain(plus: np.ndarray, minus: np.ndarray, F) -> np.ndarray:
    """sign of E(s_i = -1) - E(s_i = +1), from the overlaps with s_i = +1 (plus) and -1 (minus)."""
    if F == "exp":  # sum exp(plus) - sum exp(minus) has the sign of lse(plus) - lse(minus)
        mp, mm = plus.max(axis=1, keepdims=True), minus.max(axis=1, keepdims=True)
        return (mp[:, 0] + np.log(np.exp(plus - mp).sum(axis=1))) - (mm[:, 0] + np.log(np.exp(minus - mm).sum(axis=1)))
    return np.sum(plus ** F - minus ** F, axis=1)


def dense_update(X, states, F, sweeps: int = 1, rng: np.random.Generator | None = None):
    """Asynchronous dense-memory dynamics: unit by unit, s_i takes the value of lower energy,

        s_i <- sign( sum_mu [F(x_mu . s^(i+)) - F(x_mu . s^(i-))] ),

    where s^(i+-) is s with s_i = +-1 (a tie keeps s_i). Each step can only lower E = -sum F(x.s), so
    the energy never rises. Runs up to ``sweeps`` sweeps over the units (order ``rng.permutation``,
    or 0..N-1 without rng; the same order for the whole batch), stopping early once a sweep changes
    nothing. Overlaps are updated incrementally: O(B p) per unit. X (p, N); states (N,) or (B, N).
    """
    F = _check_F(F)
    Xa = _dense_X(X)
    S0 = _as_pm1(states, Xa.shape[1], "states")
    if isinstance(sweeps, bool) or not isinstance(sweeps, (int, np.integer)) or sweeps < 1:
        raise ValueError(f"sweeps must be a positive integer, got {sweeps!r}")
    S = np.atleast_2d(S0).copy()
    m = S @ Xa.T
    n = Xa.shape[1]
    for _ in range(int(sweeps)):
        order = np.arange(n) if rng is None else rng.permutation(n)
        changed = False
        for i in order:
            col = Xa[:, i]
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
    out = S if S0.ndim == 2 else S[0]
    return _back(out, states)


def krotov_hopfield_capacity(n_units, n: int) -> float:
    """The estimate p_max ~ N^(n-1) / (2 (2n-3)!! ln N) of Krotov and Hopfield (2016) for F(x) = x^n:
    the number of random patterns that are, with high probability, stable with no errors.
    n = 2 gives McEliece et al.'s N / (2 ln N)."""
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if n_units < 2:
        raise ValueError(f"N must be at least 2, got {n_units!r}")
    double_fact = math.prod(range(2 * n - 3, 0, -2))
    return n_units ** (n - 1) / (2 * double_fact * math.log(n_units))


def dense_capacity_curve(n_units: int, loads, Fs, trials: int, rng: np.random.Generator, noise: float = 0.1,
                         n_probes: int = 20, sweeps: int = 10) -> dict:
    """Recall rates against the number of stored patterns p, for several F, on the SAME probes.

    For each p in ``loads`` and each of ``trials`` trials: p random +-1 patterns of N = ``n_units``,
    and min(p, n_probes) of them corrupted by flipping exactly round(noise N) units. Every F in ``Fs``
    runs :func:`dense_update` from those probes; a probe counts when it ends exactly on its pattern.
    Returns {F: (L,) recall fraction}.
    """
    if not isinstance(n_units, (int, np.integer)) or n_units < 2:
        raise ValueError(f"n_units must be an integer >= 2, got {n_units!r}")
    if not 0 <= noise <= 1:
        raise ValueError(f"noise must be a fraction of units in [0, 1], got {noise}")
    Fs = [_check_F(F) for F in Fs]
    loads = np.asarray(loads)
    if loads.ndim != 1 or not np.issubdtype(loads.dtype, np.integer) or np.any(loads < 1):
        raise ValueError("loads must be a 1-D array of positive integers (numbers of patterns)")
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
    return rates


def capacity_from_curve(loads, rates, threshold: float = 0.9) -> int:
    """The largest load of the grid such that it and every smaller load recall at least ``threshold``."""
    loads, rates = np.asarray(loads), np.asarray(rates)
    ok = rates >= threshold
    if not ok[0]:
        return 0
    last = len(ok) if ok.all() else int(np.argmin(ok))
    return int(loads[last - 1])


# ----------------------------------------------------------------------------------------------
# the classical baseline (a stand-in until chapter 03's hopfield.recall is available here)
# ----------------------------------------------------------------------------------------------

def classical_hebb_weights(X) -> np.ndarray:
    """Classical Hebbian weights W = X^T X / N with a zero diagonal, for +-1 patterns X (p, N)."""
    Xa = _dense_X(X)
    W = Xa.T @ Xa / Xa.shape[1]
    np.fill_diagonal(W, 0.0)
    return W


def classical_recall(W, probes, sweeps: int = 20, rng: np.random.Generator | None = None) -> np.ndarray:
    """Classical asynchronous sign dynamics s_i <- sign(sum_j W_ij s_j) (a tie keeps s_i), batched.

    Up to ``sweeps`` sweeps (stopping once nothing flips). Chapter 06's own small baseline: it should
    later be replaced by ``course_lib.hopfield.recall``.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square (N, N) matrix, got shape {W.shape}")
    S0 = _as_pm1(probes, W.shape[0], "probes")
    S = np.atleast_2d(S0).copy()
    H = S @ W.T
    n = W.shape[0]
    for _ in range(sweeps):
        changed = False
        for i in (np.arange(n) if rng is None else rng.permutation(n)):
            rows = np.flatnonzero(S[:, i] * H[:, i] < 0)
            if rows.size:
                changed = True
                S[rows, i] *= -1
                H[rows] += (2.0 * S[rows, i])[:, None] * W[:, i]
        if not changed:
            break
    return S if S0.ndim == 2 else S[0]
