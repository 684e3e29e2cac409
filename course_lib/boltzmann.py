"""Stochastic units at temperature T: the Boltzmann distribution, exactly and by sampling.

Spins are +-1 and the energy is chapter 01's E(s) = -1/2 s^T W s - b^T s with a symmetric W.
At temperature T > 0 the network visits state s with probability

    P(s) = exp(-E(s) / T) / Z,        Z = sum_s exp(-E(s) / T).

For small N every one of the 2^N states is enumerated (``all_states``), so Z, P(s) and every
average are exact; the samplers (``gibbs_chain``, ``metropolis_chain``) run many chains in
parallel and are checked against that exact answer. Enumeration refuses N above
``MAX_ENUMERATION_N`` with a ValueError instead of exhausting the machine's memory.

Self-couplings W_ii only add the constant -1/2 sum_i W_ii to every energy, so they change
neither P(s) nor the dynamics; the samplers use the field without them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .core import (
    as_bias,
    as_count,
    as_finite,
    as_index,
    as_positive,
    as_rng,
    as_spins,
    as_temperature,
    as_temperatures,
    as_weights,
    lse,
    softmax,
)
from .hopfield import energy, recall

__all__ = [
    "MAX_ENUMERATION_N", "MAX_KERNEL_N", "UpRule", "all_states", "state_index", "boltzmann_probabilities",
    "state_energies", "exact_distribution", "log_partition", "Thermodynamics", "thermodynamics", "conditional_on",
    "total_variation", "empirical_distribution", "running_total_variation", "probability_up", "wrong_probability_up",
    "transition_matrix", "sweep_matrix", "stationary_distribution", "spectral_gap", "gibbs_sweep", "metropolis_sweep",
    "gibbs_chain", "metropolis_chain", "greedy_descent", "geometric_schedule", "linear_schedule",
    "logarithmic_schedule", "anneal", "bm_log_likelihood", "data_distribution", "model_visible_distribution",
    "kl_to_data", "bm_gradient", "bm_gradient_sampled", "BoltzmannFit", "fit_boltzmann_machine", "TemperatureView",
    "temperature_view",
]

MAX_ENUMERATION_N = 20   # 2^20 states x 20 units of float64 is 168 MB: the largest we allow
MAX_KERNEL_N = 10        # a dense 2^N x 2^N transition matrix: 8 MB at N = 10

UpRule = Callable[[np.ndarray, float], np.ndarray]  # (h, T) -> P(s_i = +1 | field h)


# ----------------------------------------------------------------------------- checks

def _symmetric(W) -> np.ndarray:
    return as_weights(W, symmetric=True)


def _check_enumerable(n: int, limit: int = MAX_ENUMERATION_N, what: str = "enumerate all 2^N states") -> None:
    if n > limit:
        mb = 2.0**n * n * 8 / 1e6 if what.startswith("enumerate") else 4.0**n * 8 / 1e6
        raise ValueError(f"N = {n} units is too many to {what} ({mb:,.0f} MB); "
                         f"exact methods here allow N <= {limit}: sample instead")


# ----------------------------------------------------------------------------- exact enumeration

def all_states(n: int) -> np.ndarray:
    """All 2^n states of n +-1 units as a (2^n, n) float array: the course's one enumeration order.

    Row k is state number k: unit i is +1 exactly when bit i of k is 1 (little-endian: unit 0 is
    the lowest bit; row 0 is all -1, row 1 has only unit 0 up). ``state_index`` is the inverse map.
    Every exact distribution over 2^n states in the course is indexed this way.
    """
    n = as_count(n, "n")
    _check_enumerable(n)
    codes = np.arange(2**n, dtype=np.int64)
    return np.where((codes[:, None] >> np.arange(n)) & 1, 1.0, -1.0)


def state_index(states) -> np.ndarray:
    """The row of ``all_states(N)`` holding each state: (..., N) +-1 -> (...) integers."""
    s = np.asarray(states)
    if s.ndim == 0 or not 1 <= s.shape[-1] <= 62:
        raise ValueError(f"states must have shape (..., N) with N <= 62, got shape {s.shape}")
    if s.size and not np.all((s == 1) | (s == -1)):
        raise ValueError("states must contain only +1 and -1 values")
    return ((s > 0).astype(np.int64) << np.arange(s.shape[-1], dtype=np.int64)).sum(axis=-1)


def boltzmann_probabilities(energies, T) -> np.ndarray:
    """P_k = exp(-E_k / T) / sum_j exp(-E_j / T) for energies (K,), computed without overflow.

    The smallest energy is subtracted first, which changes numerator and Z by the same factor.
    """
    T = as_temperature(T)
    e = as_finite(energies, "energies")
    if e.ndim != 1 or e.size == 0:
        raise ValueError(f"energies must be a non-empty 1-D array of finite numbers, got shape {e.shape}")
    return softmax(-e, beta=1.0 / T)


def state_energies(W, b=None) -> np.ndarray:
    """E(s) for every row of ``all_states(N)``: shape (2^N,)."""
    W = _symmetric(W)
    return energy(W, all_states(W.shape[0]), as_bias(b, W.shape[0]))


def exact_distribution(W, b=None, T=1.0) -> np.ndarray:
    """P(s) = exp(-E(s)/T) / Z for every row of ``all_states(N)``: shape (2^N,), sums to 1."""
    return boltzmann_probabilities(state_energies(W, b), T)


def log_partition(W, b=None, T=1.0) -> float:
    """ln Z = ln sum_s exp(-E(s)/T), by enumeration (log-sum-exp, no overflow)."""
    T = as_temperature(T)
    return float(lse(-state_energies(W, b) / T))


@dataclass(frozen=True, eq=False)
class Thermodynamics:
    """What :func:`thermodynamics` returns: arrays of shape (K,), one entry per temperature ``T``;
    ``observables`` (K,) or (K, m) when observables were given, else None."""

    T: np.ndarray
    log_Z: np.ndarray
    mean_energy: np.ndarray
    entropy: np.ndarray
    heat_capacity: np.ndarray
    abs_magnetisation: np.ndarray
    observables: np.ndarray | None = None


def thermodynamics(W, b=None, temperatures=(1.0,), observables=None) -> Thermodynamics:
    """Exact averages at each temperature in ``temperatures`` (K,), vectorised over T and states.

    ``log_Z``; ``mean_energy`` U = <E>; ``entropy`` S = -sum_s P ln P = (U - F) / T with F = -T ln Z;
    ``heat_capacity`` C = (<E^2> - <E>^2) / T^2 (= dU/dT); ``abs_magnetisation`` <|sum_i s_i| / N>.
    ``observables`` (2^N,) or (2^N, m), one value per state of ``all_states(N)``, adds their averages.
    """
    Ts = as_temperatures(temperatures)
    e = state_energies(W, b)
    n = np.asarray(W).shape[0]
    obs = None
    if observables is not None:
        obs = as_finite(observables, "observables")
        if obs.shape[:1] != e.shape or obs.ndim not in (1, 2):
            raise ValueError(f"observables must have shape (2^N,) = ({e.size},) or (2^N, m), got {obs.shape}")
    mag = np.abs(all_states(n).sum(axis=1) / n)
    chunk = max(1, 2**22 // e.size)                                # bound memory: chunk x 2^N floats at a time
    parts: dict[str, list] = {k: [] for k in ("log_Z", "mean_energy", "heat_capacity", "abs_magnetisation",
                                              "observables")}
    for start in range(0, Ts.size, chunk):
        t = Ts[start:start + chunk, None]
        p = softmax(-e[None, :] / t)                                # (k, 2^N) Boltzmann distributions
        u = p @ e
        parts["log_Z"].append(lse(-e[None, :] / t))
        parts["mean_energy"].append(u)
        parts["heat_capacity"].append(np.einsum("ks,ks->k", p, (e[None, :] - u[:, None]) ** 2) / t[:, 0] ** 2)
        parts["abs_magnetisation"].append(p @ mag)
        if obs is not None:
            parts["observables"].append(p @ obs)
    out = {k: np.concatenate(v) for k, v in parts.items() if v}
    return Thermodynamics(T=Ts, entropy=(out["mean_energy"] + Ts * out["log_Z"]) / Ts, **out)


def conditional_on(W, b, T, i: int) -> np.ndarray:
    """P(s_i = +1 | all other units) for every row of ``all_states(N)``, from the exact P(s) alone.

    Divides P(s with s_i = +1) by P(s with s_i = +1) + P(s with s_i = -1): no formula for the
    flip rule is used, so this is what any correct rule must reproduce. Shape (2^N,).
    """
    p = exact_distribution(W, b, T)
    i = as_index(i, np.asarray(W).shape[0], "unit index i")
    k = np.arange(p.size)
    up = k | (1 << int(i))
    down = k & ~(1 << int(i))
    return p[up] / (p[up] + p[down])


def total_variation(p, q) -> float:
    """TV(p, q) = 1/2 sum_k |p_k - q_k| for two distributions over the same states (in [0, 1])."""
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    if p.shape != q.shape or p.ndim != 1:
        raise ValueError(f"p and q must be 1-D arrays of the same shape, got {p.shape} and {q.shape}")
    for name, d in (("p", p), ("q", q)):
        if np.any(d < 0) or not np.isclose(d.sum(), 1.0):
            raise ValueError(f"{name} must be a probability distribution (non-negative, summing to 1)")
    return float(0.5 * np.abs(p - q).sum())


def empirical_distribution(states, n: int | None = None) -> np.ndarray:
    """Histogram of sampled states (..., N) over the 2^N rows of ``all_states(N)``: shape (2^N,)."""
    s = np.asarray(states)
    n = s.shape[-1] if n is None else n
    if s.shape[-1] != n:
        raise ValueError(f"states have {s.shape[-1]} units, expected N = {n}")
    _check_enumerable(n)
    if s.size == 0:
        raise ValueError(f"states must hold at least one sampled state, got shape {s.shape}")
    counts = np.bincount(state_index(s).ravel(), minlength=2**n)
    return counts / counts.sum()


def running_total_variation(trace, p) -> np.ndarray:
    """TV between p (2^N,) and the histogram of all states in ``trace[:t + 1]``, for every t.

    ``trace`` (n_steps, n_chains, N) as returned by a chain with ``trace=True`` (drop any burn-in
    first). Returns (n_steps,): how fast the sampled histogram approaches p, pooled over chains.
    """
    tr = np.asarray(trace)
    if tr.ndim != 3:
        raise ValueError(f"trace must have shape (n_steps, n_chains, N), got {tr.shape}")
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (2 ** tr.shape[-1],):
        raise ValueError(f"p must have shape (2^N,) = ({2 ** tr.shape[-1]},), got {p.shape}")
    codes = state_index(tr)                                          # (n_steps, n_chains)
    k = p.size
    counts = np.bincount((np.arange(len(codes))[:, None] * k + codes).ravel(), minlength=len(codes) * k)
    cum = np.cumsum(counts.reshape(len(codes), k), axis=0)
    freq = cum / cum.sum(axis=1, keepdims=True)
    return 0.5 * np.abs(freq - p).sum(axis=1)


# ----------------------------------------------------------------------------- flip rules and kernels

def probability_up(h, T) -> np.ndarray | float:
    """P(s_i = +1 | field h) = sigma(2h / T) = (1 + tanh(h / T)) / 2 for a +-1 unit at temperature T.

    Derivation: the two states that differ only in s_i have energies differing by 2 h (E contains
    -s_i h), so P(+1) / P(-1) = exp(2h / T). The factor 2 is the +-1 convention (for 0/1 units the
    gap is h and the rule is sigma(h/T)). Written with tanh so no exponential overflows.
    """
    T = as_temperature(T)
    h_arr = as_finite(h, "h")
    p = 0.5 * (1.0 + np.tanh(h_arr / T))
    return float(p) if h_arr.ndim == 0 else p


def wrong_probability_up(h, T) -> np.ndarray | float:
    """sigma(h / T): the rule for 0/1 units, wrongly used for +-1 spins (kept to show what it does).

    sigma(h/T) = sigma(2h / (2T)), so it is the correct rule at temperature 2T: a chain using it
    samples the Boltzmann distribution of temperature 2T, not T.
    """
    return probability_up(h, 2.0 * as_temperature(T))


def _field_without_self(W: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    W0 = W.copy()
    np.fill_diagonal(W0, 0.0)
    return W0, (np.zeros(W.shape[0]) if b is None else b)


def transition_matrix(W, b=None, T=1.0, kernel: str = "gibbs", site: int | None = None,
                      up_rule: UpRule = probability_up) -> np.ndarray:
    """The 2^N x 2^N matrix P[k, l] = Prob(next state l | state k) of one single-site update.

    ``kernel``: "gibbs" (heat bath: set s_i = +1 with probability ``up_rule(h_i, T)``) or
    "metropolis" (propose flipping s_i, accept with probability min(1, exp(-dE / T)), dE = 2 s_i h_i).
    ``site`` = i updates unit i; ``site=None`` picks the unit uniformly at random (the average of
    the N site kernels). Rows and columns follow ``all_states(N)``. Refuses N > ``MAX_KERNEL_N``.
    """
    W = _symmetric(W)
    n = W.shape[0]
    _check_enumerable(n, MAX_KERNEL_N, "build a dense 2^N x 2^N transition matrix")
    b = as_bias(b, n)
    T = as_temperature(T)
    if kernel not in ("gibbs", "metropolis"):
        raise ValueError(f"kernel must be 'gibbs' or 'metropolis', got {kernel!r}")
    if site is not None:
        site = as_index(site, n, "site")
    W0, b0 = _field_without_self(W, b)
    S = all_states(n)
    H = S @ W0.T + b0                                              # (2^N, N) fields
    k = np.arange(2**n)
    P = np.zeros((2**n, 2**n))
    sites = range(n) if site is None else [int(site)]
    for i in sites:
        s_i, h_i = S[:, i], H[:, i]
        if kernel == "gibbs":
            up = np.asarray(up_rule(h_i, T), dtype=np.float64)
            move = np.where(s_i > 0, 1.0 - up, up)
        else:
            move = np.exp(np.minimum(0.0, -2.0 * s_i * h_i / T))
        P[k, k ^ (1 << i)] += move
        P[k, k] += 1.0 - move
    return P / len(sites)


def sweep_matrix(W, b=None, T=1.0, kernel: str = "gibbs", up_rule: UpRule = probability_up) -> np.ndarray:
    """The 2^N x 2^N transition matrix of one sequential sweep (units 0..N-1): the product of the site kernels."""
    n = np.asarray(W).shape[0]
    P = transition_matrix(W, b, T, kernel, site=0, up_rule=up_rule)
    for i in range(1, n):
        P = P @ transition_matrix(W, b, T, kernel, site=i, up_rule=up_rule)
    return P


def stationary_distribution(P) -> np.ndarray:
    """The stationary distribution pi = pi P of a transition matrix (left eigenvector for eigenvalue 1)."""
    P = as_finite(P, "P")
    if P.ndim != 2 or P.shape[0] != P.shape[1] or not np.allclose(P.sum(axis=1), 1.0) or np.any(P < -1e-15):
        raise ValueError("P must be a square matrix with non-negative rows summing to 1")
    vals, vecs = np.linalg.eig(P.T)
    v = np.real(vecs[:, np.argmin(np.abs(vals - 1.0))])
    return np.abs(v) / np.abs(v).sum()


def spectral_gap(P) -> float:
    """1 - |lambda_2|: one minus the second-largest eigenvalue modulus of P (larger = faster mixing)."""
    P = as_finite(P, "P")
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] < 2:
        raise ValueError(f"P must be a square transition matrix with at least 2 states, got shape {P.shape}")
    mods = np.sort(np.abs(np.linalg.eigvals(P)))[::-1]
    return float(1.0 - mods[1])


# ----------------------------------------------------------------------------- samplers

def _init_states(init, n_chains: int, n: int, rng: np.random.Generator) -> np.ndarray:
    if init is None:
        return rng.choice(np.array([-1.0, 1.0]), size=(n_chains, n))
    s = as_spins(init, n=n, name="init")
    s = np.broadcast_to(s, (n_chains, n)) if s.ndim == 1 else s
    if s.shape != (n_chains, n):
        raise ValueError(f"init must have shape ({n},) or (n_chains, N) = ({n_chains}, {n}), got {s.shape}")
    return np.array(s, dtype=np.float64)


def _uniforms(u, shape) -> np.ndarray:
    u = as_finite(u, "u")
    if u.shape != shape:
        raise ValueError(f"u must have the shape of states {shape}, got {u.shape}")
    if np.any((u < 0) | (u > 1)):
        raise ValueError("u must hold uniform random numbers in [0, 1]")
    return u


def _sweep_inputs(W, b, states, T, u):
    """The checked inputs of one sweep: a copy of the states, u, T, and W, b without self-couplings."""
    W = _symmetric(W)
    n = W.shape[0]
    s = np.array(as_spins(states, n=n), dtype=np.float64)
    W0, b0 = _field_without_self(W, as_bias(b, n))
    return s, _uniforms(u, s.shape), as_temperature(T), W0, b0


def gibbs_sweep(W, b, states, T, u, up_rule: UpRule = probability_up) -> np.ndarray:
    """One Gibbs (heat-bath) sweep over units 0, 1, ..., N-1 in order, for a batch of states.

    ``states`` (B, N) or (N,); ``u`` uniform numbers in [0, 1) of the same shape. Unit i is set to
    +1 when u[..., i] < up_rule(h_i, T), else -1, where h_i = sum_{j != i} W_ij s_j + b_i uses
    the units already updated in this sweep. Returns new states; the input is not modified.
    """
    s, u, T, W0, b0 = _sweep_inputs(W, b, states, T, u)
    n = s.shape[-1]
    for i in range(n):
        h = s @ W0[i] + b0[i]
        s[..., i] = np.where(u[..., i] < up_rule(h, T), 1.0, -1.0)
    return s


def metropolis_sweep(W, b, states, T, u) -> np.ndarray:
    """One Metropolis sweep over units 0..N-1: flip s_i when u[..., i] < min(1, exp(-2 s_i h_i / T))."""
    s, u, T, W0, b0 = _sweep_inputs(W, b, states, T, u)
    n = s.shape[-1]
    with np.errstate(divide="ignore"):
        log_u = np.log(u)
    for i in range(n):
        d_e = 2.0 * s[..., i] * (s @ W0[i] + b0[i])
        s[..., i] = np.where(log_u[..., i] < -d_e / T, -s[..., i], s[..., i])
    return s


def _run(sweep, W, b, T, n_sweeps, n_chains, rng, init, trace):
    W = _symmetric(W)
    n = W.shape[0]
    n_sweeps = as_count(n_sweeps, "n_sweeps", 0)
    n_chains = as_count(n_chains, "n_chains")
    rng = as_rng(rng)
    s = _init_states(init, n_chains, n, rng)
    history = [s] if trace else None
    for _ in range(n_sweeps):
        s = sweep(W, b, s, T, rng.random(s.shape))
        if trace:
            history.append(s)
    return np.stack(history) if trace else s


def gibbs_chain(W, b=None, T=1.0, n_sweeps=100, n_chains=1, rng=None, init=None, trace: bool = False,
                up_rule: UpRule = probability_up) -> np.ndarray:
    """Run ``n_chains`` independent Gibbs chains in parallel for ``n_sweeps`` sequential sweeps.

    Starts from ``init`` ((N,) or (n_chains, N)) or uniformly random states. Returns the final
    states (n_chains, N), or with ``trace=True`` every state (n_sweeps + 1, n_chains, N), the start
    included. ``up_rule(h, T)`` is P(s_i = +1); the default is the correct sigma(2h/T).
    """
    def sweep(W_, b_, s, T_, u):
        return gibbs_sweep(W_, b_, s, T_, u, up_rule)

    return _run(sweep, W, b, T, n_sweeps, n_chains, rng, init, trace)


def metropolis_chain(W, b=None, T=1.0, n_sweeps=100, n_chains=1, rng=None, init=None,
                     trace: bool = False) -> np.ndarray:
    """Like ``gibbs_chain`` with Metropolis single-flip updates (accept with min(1, exp(-dE/T)))."""
    rng = as_rng(rng)
    return _run(metropolis_sweep, W, b, T, n_sweeps, n_chains, rng, init, trace)


# ----------------------------------------------------------------------------- descent and annealing

def greedy_descent(W, b=None, states=None, max_sweeps: int = 1000) -> np.ndarray:
    """Zero-temperature asynchronous descent: sweep units in order, set s_i = sign(h_i) (keep s_i if h_i = 0).

    That is chapter 03's :func:`course_lib.hopfield.recall` with the fixed order 0..N-1 and the field
    without self-couplings, h_i = sum_{j != i} W_ij s_j + b_i. Batched over states (B, N). The energy
    never rises; stops when a sweep changes nothing, i.e. in a local minimum (no single flip lowers E).
    Raises RuntimeError if ``max_sweeps`` is not enough.
    """
    W = _symmetric(W)
    n = W.shape[0]
    W0, b0 = _field_without_self(W, as_bias(b, n))
    run = recall(W0, states, max_sweeps=as_count(max_sweeps, "max_sweeps"), b=b0, order=np.arange(n))
    if not np.all(run.converged):
        raise RuntimeError(f"greedy descent did not stop within {max_sweeps} sweeps")
    return run.states


def geometric_schedule(T_start: float, T_end: float, n_steps: int) -> np.ndarray:
    """T_k = T_start (T_end / T_start)^(k / (n - 1)), k = 0..n-1: a constant cooling ratio."""
    a, z, n = as_temperature(T_start), as_temperature(T_end), as_count(n_steps, "n_steps", 2)
    return a * (z / a) ** (np.arange(n) / (n - 1))


def linear_schedule(T_start: float, T_end: float, n_steps: int) -> np.ndarray:
    """T_k falls in equal steps from T_start to T_end."""
    a, z, n = as_temperature(T_start), as_temperature(T_end), as_count(n_steps, "n_steps", 2)
    return np.linspace(a, z, n)


def logarithmic_schedule(T_start: float, n_steps: int) -> np.ndarray:
    """T_k = T_start ln 2 / ln(k + 2): the slow schedule of Geman and Geman (1984); it never gets cold."""
    a, n = as_temperature(T_start), as_count(n_steps, "n_steps", 2)
    return a * np.log(2.0) / np.log(np.arange(n) + 2.0)


def anneal(W, b=None, schedule=(1.0,), rng=None, n_chains: int = 1, init=None,
           quench: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Simulated annealing: one Gibbs sweep at each temperature of ``schedule``, chains in parallel.

    With ``quench`` the chains finish with ``greedy_descent`` (so every result is a local minimum).
    Returns ``(states (n_chains, N), energies (len(schedule) + 1 [+ 1 with quench], n_chains))``,
    the energy after each stage, starting with the initial states.
    """
    W = _symmetric(W)
    n = W.shape[0]
    b = as_bias(b, n)
    Ts = as_temperatures(schedule)
    rng = as_rng(rng)
    s = _init_states(init, as_count(n_chains, "n_chains"), n, rng)
    energies = [energy(W, s, b)]
    for T in Ts:
        s = gibbs_sweep(W, b, s, T, rng.random(s.shape))
        energies.append(energy(W, s, b))
    if quench:
        s = greedy_descent(W, b, s)
        energies.append(energy(W, s, b))
    return s, np.array(energies)


# ----------------------------------------------------------------------------- learning

def _split_params(W, b, n_visible: int):
    W = _symmetric(W)
    n = W.shape[0]
    b = np.zeros(n) if b is None else as_bias(b, n)
    n_visible = as_count(n_visible, "n_visible")
    if n_visible > n:
        raise ValueError(f"n_visible = {n_visible} exceeds the number of units N = {n}")
    _check_enumerable(n)
    return W, b, n_visible


def _data(data, n_visible: int) -> np.ndarray:
    v = as_spins(data, n=n_visible, name="data")
    v = v[None, :] if v.ndim == 1 else v
    if v.shape[0] == 0:
        raise ValueError(f"data must hold at least one row, got shape {v.shape}")
    return v


def _posterior_stats(W, b, V, T=1.0):
    """Clamped (positive-phase) statistics: <s s^T> and <s> with visible = each row of V, hidden ~ P(h|v)."""
    n, nv = W.shape[0], V.shape[1]
    H = all_states(n - nv) if n > nv else np.zeros((1, 0))
    full = np.concatenate([np.repeat(V, len(H), axis=0), np.tile(H, (len(V), 1))], axis=1)  # (B*2^nh, n)
    e = energy(W, full, b).reshape(len(V), len(H))
    q = softmax(-e / T).reshape(-1) / len(V)   # weight of each (v, h) row
    return (full * q[:, None]).T @ full, q @ full


def bm_log_likelihood(W, b, data, n_visible: int) -> float:
    """Mean log P(v) over the data rows (T = 1), where P(v) = sum_h exp(-E(v, h)) / Z, exactly.

    The units are ordered visible first: s = (v, h) with v = s[:n_visible].
    """
    W, b, nv = _split_params(W, b, n_visible)
    V = _data(data, nv)
    n = W.shape[0]
    log_z = lse(-energy(W, all_states(n), b))
    H = all_states(n - nv) if n > nv else np.zeros((1, 0))
    full = np.concatenate([np.repeat(V, len(H), axis=0), np.tile(H, (len(V), 1))], axis=1)
    log_pv = lse(-energy(W, full, b).reshape(len(V), len(H))) - log_z
    return float(log_pv.mean())


def data_distribution(data, n_visible: int) -> np.ndarray:
    """The empirical distribution of the data rows over the 2^n_visible visible states."""
    return empirical_distribution(_data(data, n_visible), n_visible)


def model_visible_distribution(W, b, n_visible: int) -> np.ndarray:
    """P(v) = sum_h P(v, h) over the rows of ``all_states(n_visible)``, by enumeration (T = 1)."""
    W, b, nv = _split_params(W, b, n_visible)
    p = exact_distribution(W, b, 1.0)
    return np.bincount(np.arange(p.size) & (2**nv - 1), weights=p, minlength=2**nv)


def kl_to_data(W, b, data, n_visible: int) -> float:
    """KL(P_data || P_model) = sum_v P_data(v) ln(P_data(v) / P_model(v)) over visible states, in nats."""
    pd = data_distribution(data, n_visible)
    pm = model_visible_distribution(W, b, n_visible)
    keep = pd > 0
    return float(np.sum(pd[keep] * np.log(pd[keep] / pm[keep])))


def bm_gradient(W, b, data, n_visible: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact gradient of the mean log-likelihood (T = 1) with respect to (W, b), by enumeration.

    dL/dW_ij = <s_i s_j>_data - <s_i s_j>_model (i != j; W_ij and W_ji move together, diagonal 0),
    dL/db_i = <s_i>_data - <s_i>_model. "data" is the positive phase (visible units clamped to each
    row of ``data``, hidden units at their exact posterior), "model" the negative phase (free).
    """
    W, b, nv = _split_params(W, b, n_visible)
    V = _data(data, nv)
    pos_ss, pos_s = _posterior_stats(W, b, V)
    S = all_states(W.shape[0])
    p = boltzmann_probabilities(energy(W, S, b), 1.0)
    neg_ss, neg_s = (S * p[:, None]).T @ S, p @ S
    dW = pos_ss - neg_ss
    np.fill_diagonal(dW, 0.0)
    return dW, pos_s - neg_s


def bm_gradient_sampled(W, b, data, n_visible: int, rng: np.random.Generator, n_sweeps: int = 20,
                        n_chains: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """The same gradient estimated by Gibbs sampling, as a Boltzmann machine too big to enumerate must.

    Positive phase: for each data row, ``n_chains`` chains of the hidden units with the visible units
    clamped (clamping = a bias h_j += sum_v W_jv v on the hidden units). Negative phase: ``n_chains``
    free chains of all units. Each runs ``n_sweeps`` sweeps from random states.
    """
    W, b, nv = _split_params(W, b, n_visible)
    V = _data(data, nv)
    n = W.shape[0]
    nh = n - nv
    pos_ss, pos_s = np.zeros((n, n)), np.zeros(n)
    for v in V:
        if nh:
            Wh, bh = W[nv:, nv:], b[nv:] + W[nv:, :nv] @ v
            Hs = gibbs_chain(Wh, bh, 1.0, n_sweeps, n_chains, rng)
        else:
            Hs = np.zeros((n_chains, 0))
        S = np.concatenate([np.broadcast_to(v, (n_chains, nv)), Hs], axis=1)
        pos_ss += S.T @ S / n_chains / len(V)
        pos_s += S.mean(axis=0) / len(V)
    S = gibbs_chain(W, b, 1.0, n_sweeps, n_chains, rng)
    dW = pos_ss - S.T @ S / n_chains
    np.fill_diagonal(dW, 0.0)
    return dW, pos_s - S.mean(axis=0)


@dataclass(frozen=True, eq=False)
class BoltzmannFit:
    """What :func:`fit_boltzmann_machine` returns: the weights ``W`` (N, N) and biases ``b`` (N,)
    (visible units first), and ``kl`` (n_epochs + 1,): the exact KL(P_data || P_model) after each epoch."""

    W: np.ndarray
    b: np.ndarray
    kl: np.ndarray


def fit_boltzmann_machine(data, n_hidden: int, n_epochs: int = 200, lr: float = 0.1,
                          rng: np.random.Generator | None = None, gradient: str = "exact", init_scale: float = 0.5,
                          n_sweeps: int = 20, n_chains: int = 500) -> BoltzmannFit:
    """Fit a fully connected Boltzmann machine (visible units first, then ``n_hidden`` hidden) by gradient ascent.

    Each epoch takes one step W += lr dL/dW, b += lr dL/db with the full-batch gradient, ``exact``
    (enumeration) or ``sampled`` (Gibbs, see ``bm_gradient_sampled``). Starts from small random
    symmetric weights (normal, std ``init_scale``, zero diagonal) and zero biases.
    Returns a :class:`BoltzmannFit`.
    """
    V = as_spins(data, name="data")
    V = _data(V, V.shape[-1])
    nv = V.shape[1]
    nh = as_count(n_hidden, "n_hidden", 0)
    n_epochs = as_count(n_epochs, "n_epochs", 0)
    if gradient not in ("exact", "sampled"):
        raise ValueError(f"gradient must be 'exact' or 'sampled', got {gradient!r}")
    lr = as_positive(lr, "lr")
    init_scale = as_positive(init_scale, "init_scale")
    n = nv + nh
    _check_enumerable(n)
    rng = as_rng(rng)
    A = rng.normal(scale=init_scale, size=(n, n))
    W = np.triu(A, 1) + np.triu(A, 1).T
    b = np.zeros(n)
    kl = [kl_to_data(W, b, V, nv)]
    for _ in range(n_epochs):
        if gradient == "exact":
            dW, db = bm_gradient(W, b, V, nv)
        else:
            dW, db = bm_gradient_sampled(W, b, V, nv, rng, n_sweeps, n_chains)
        W, b = W + lr * dW, b + lr * db
        kl.append(kl_to_data(W, b, V, nv))
    return BoltzmannFit(W=W, b=b, kl=np.array(kl))


# ----------------------------------------------------------------------------- widget logic

@dataclass(frozen=True, eq=False)
class TemperatureView:
    """What the temperature widget shows (:func:`temperature_view`): ``energies`` and ``probabilities``
    (2^N,) sorted by energy, ``entropy`` (nats), ``mean_energy``, ``p_ground`` (total probability of the
    lowest-energy states)."""

    energies: np.ndarray
    probabilities: np.ndarray
    entropy: float
    mean_energy: float
    p_ground: float


def temperature_view(W, b=None, T=1.0) -> TemperatureView:
    """What the temperature widget shows: the exact distribution at T, states sorted by energy."""
    e = state_energies(W, b)
    p = boltzmann_probabilities(e, T)
    order = np.argsort(e, kind="stable")
    nz = p[p > 0]
    return TemperatureView(energies=e[order], probabilities=p[order], entropy=float(-np.sum(nz * np.log(nz))),
                           mean_energy=float(p @ e), p_ground=float(p[np.isclose(e, e.min())].sum()))
