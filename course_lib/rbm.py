"""Restricted Boltzmann machines with binary (0/1) units, in torch.

Energy E(v, h) = -v^T W h - b^T v - c^T h with W (n_visible, n_hidden), visible biases b,
hidden biases c. Summing out h gives the free energy

    F(v) = -b^T v - sum_j softplus(c_j + (v^T W)_j),   p(v) = exp(-F(v)) / Z.

Every function takes one visible vector (D,) or a batch (B, D) and is vectorised over the
batch; tensors in, tensors (or plain floats and frozen dataclasses) out. Training
(:func:`train_rbm`) is CD-k or persistent CD with momentum, weight decay and a learning
rate that may decay; :func:`diagnose` checks a trained model's health (dead and saturated
hidden units, the free-energy gap between data and the model's own samples, reconstruction);
:func:`exact_log_partition` and :func:`ais_log_partition` give log Z, :func:`log_z_lower_bound`
a hard lower bound on it, so :func:`log_likelihood` is a real log-likelihood in nats.

Randomness follows the course's rule: every random function takes ``rng`` = None (fresh
randomness), an int seed or a ``torch.Generator`` on the device where the numbers are drawn
(the model's device), normalised by :func:`course_lib.core.torch_generator`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .core import as_count, as_positive, torch_generator
from .utils import get_device

__all__ = ["RBM", "as_binary", "bernoulli", "base_rate_bias", "History", "train_rbm", "linear_decay",
           "all_binary_states", "exact_log_partition", "MAX_EXACT_WORK", "ais_betas", "AISEstimate",
           "ais_log_partition", "LowerBound", "free_energy_descent", "log_z_lower_bound", "LogZVerdict",
           "judge_log_z", "log_likelihood", "base_rate_log_likelihood", "reconstruction_error",
           "pseudo_log_likelihood", "free_energy_gap", "HiddenActivity", "hidden_activity", "WeightStats",
           "weight_stats", "Health", "diagnose", "gibbs_frames", "save_weights", "load_weights", "RECIPES",
           "recipe", "mnist_split"]

# exact log Z evaluates 2^n states x (m + n) numbers for an n-unit layer and an m-unit other layer;
# 2^31 such numbers take about ten seconds on one core: beyond it the call is refused up front.
MAX_EXACT_WORK = 2**31


def as_binary(data, n: int | None = None, name: str = "v", device=None) -> torch.Tensor:
    """Return ``data`` as a float32 tensor of 0/1 values, one vector (D,) or a batch (B, D).

    Raises ValueError naming the problem for a wrong rank, a wrong last axis or a value
    that is not exactly 0 or 1 (e.g. +-1 spins: map them with (s + 1) / 2).
    """
    t = data if isinstance(data, torch.Tensor) else torch.as_tensor(np.asarray(data))
    if t.dtype == torch.bool:
        t = t.to(torch.float32)
    if not (t.is_floating_point() or t.dtype in (torch.uint8, torch.int32, torch.int64)):
        raise ValueError(f"{name} must be a numeric array of 0/1 values, got dtype {t.dtype}")
    if t.ndim not in (1, 2):
        raise ValueError(f"{name} must have shape (D,) or (B, D), got shape {tuple(t.shape)}")
    if n is not None and t.shape[-1] != n:
        raise ValueError(f"{name} has {t.shape[-1]} units on its last axis, expected {n}")
    if t.numel() and not bool(t.eq(0).logical_or_(t.eq(1)).all()):
        bad = t[(t != 0) & (t != 1)].flatten()[:3].tolist()
        raise ValueError(f"{name} must contain only 0 and 1 values (binary units), found e.g. {bad}")
    return t.to(device=device, dtype=torch.float32)


def _finite(value, name: str, minimum: float = 0.0, strict: bool = False) -> float:
    """A finite float >= ``minimum`` (> when ``strict``); ValueError naming ``name`` otherwise."""
    if strict and minimum == 0.0:
        return as_positive(value, name)
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number, got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(x) or x < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum}, got {value!r}")
    return x


class RBM(nn.Module):
    """A binary-binary RBM: ``W`` (n_visible, n_hidden), visible biases ``b``, hidden biases ``c``.

    Initialised as in Hinton's practical guide (2010, section 8): W ~ N(0, weight_std^2) with
    weight_std = 0.01, b = 0 (call :meth:`init_visible_bias_` with the training data to set
    b = log(p / (1 - p))), c = 0. ``device`` goes through :func:`course_lib.utils.get_device`
    (None: ``COURSE_DEVICE``, else CUDA when present, else the CPU). The initial weights are drawn
    on that device from ``rng`` (None, a seed, or a ``torch.Generator`` on the same device).
    Parameters are plain tensors updated by :func:`train_rbm` (no autograd).
    """

    def __init__(self, n_visible: int, n_hidden: int, device=None, rng=None, weight_std: float = 0.01):
        super().__init__()
        as_count(n_visible, "n_visible")
        as_count(n_hidden, "n_hidden")
        weight_std = _finite(weight_std, "weight_std")
        device = get_device(None if device is None else str(device))
        gen = torch_generator(rng, device)
        w = torch.randn(int(n_visible), int(n_hidden), generator=gen, device=device) * weight_std
        self.W = nn.Parameter(w, requires_grad=False)
        self.b = nn.Parameter(torch.zeros(int(n_visible), device=device), requires_grad=False)
        self.c = nn.Parameter(torch.zeros(int(n_hidden), device=device), requires_grad=False)

    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    @property
    def device(self) -> torch.device:
        return self.W.device

    def visible(self, v, name: str = "v") -> torch.Tensor:
        """``v`` checked (0/1, last axis n_visible) and moved to the model's device as float32."""
        return as_binary(v, self.n_visible, name, self.device)

    @torch.no_grad()
    def init_visible_bias_(self, data, eps: float = 1e-3) -> RBM:
        """Set b_i = log(p_i / (1 - p_i)) with p_i the fraction of ``data`` where v_i = 1, clipped to [eps, 1-eps]."""
        self.b.copy_(base_rate_bias(self.visible(data, "data"), eps))
        return self

    @torch.no_grad()
    def free_energy(self, v) -> torch.Tensor:
        """F(v) = -b^T v - sum_j softplus(c_j + (v W)_j): one vector (D,) -> scalar, a batch (B, D) -> (B,)."""
        v = self.visible(v)
        return -(v @ self.b) - F.softplus(v @ self.W + self.c).sum(-1)

    @torch.no_grad()
    def sample_h(self, v, rng=None) -> tuple[torch.Tensor, torch.Tensor]:
        """p(h_j = 1 | v) = sigmoid(c_j + (v W)_j) and a binary sample of h: both (..., n_hidden)."""
        p = torch.sigmoid(self.visible(v) @ self.W + self.c)
        return p, bernoulli(p, rng)

    @torch.no_grad()
    def sample_v(self, h, rng=None) -> tuple[torch.Tensor, torch.Tensor]:
        """p(v_i = 1 | h) = sigmoid(b_i + (W h)_i) and a binary sample of v: both (..., n_visible)."""
        h = as_binary(h, self.n_hidden, "h", self.device)
        p = torch.sigmoid(h @ self.W.T + self.b)
        return p, bernoulli(p, rng)

    @torch.no_grad()
    def gibbs(self, v, k: int = 1, rng=None) -> torch.Tensor:
        """Run k full Gibbs steps v -> h -> v' from ``v`` (D,) or (B, D); returns the binary visible sample."""
        k = as_count(k, "k", minimum=0)
        v = self.visible(v)
        gen = torch_generator(rng, self.device)
        for _ in range(k):
            v = self._gibbs_step(v, gen)[1]
        return v

    def _gibbs_step(self, v: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """One step v -> h -> v' on a checked v: (p(v'|h), v'). No input checks: for the loops here."""
        h = bernoulli(torch.sigmoid(torch.addmm(self.c, v.reshape(-1, self.n_visible), self.W)), gen)
        pv = torch.sigmoid(torch.addmm(self.b, h, self.W.T)).reshape(v.shape)
        return pv, bernoulli(pv, gen)


def bernoulli(p: torch.Tensor, rng=None) -> torch.Tensor:
    """A 0/1 sample with P(1) = p, elementwise: uniform numbers u on p's device, then (u < p) in place.

    Same law as ``torch.bernoulli(p)``, several times faster on the CPU."""
    gen = torch_generator(rng, p.device)
    return torch.rand(p.shape, generator=gen, device=p.device, dtype=p.dtype).lt_(p)


class _Uniforms:
    """Blocks of uniform random integers for the samplers of :func:`train_rbm` and AIS.

    On the CPU, torch's generator (Mersenne twister, one thread) needs about as long to fill the
    128,400 uniforms of one CD-1 mini-batch as one of the five matrix products. Here the raw
    64-bit words come from NumPy's PCG64 stream, seeded from the torch generator (so a run is
    reproducible from ``rng``), and each word is split into 4 uniforms of 16 bits (training:
    P(1) = ceil(65536 p) / 65536, within 1.6e-5 of p) or 2 of 32 bits (AIS: float32 resolution,
    as torch.rand). On a GPU the block is one ``torch.rand`` call on the device generator.
    A sample is ``threshold(p) > u``, written into a preallocated buffer.
    """

    def __init__(self, gen: torch.Generator, device: torch.device, bits: int = 16):
        self.device, self.bits = device, bits
        self.gpu = device.type != "cpu"
        if self.gpu:
            self.gen = gen
        else:
            seed = int(torch.randint(0, 2**62, (1,), generator=gen, device=gen.device))
            self.stream = np.random.PCG64(seed)
        self.scale = float(2**bits)
        self.shift = float(2 ** (bits - 1))

    def draw(self, n: int) -> torch.Tensor:
        """n uniforms (as a flat tensor): float in [0, 1) on a GPU, signed 16/32-bit integers on the CPU."""
        if self.gpu:
            return torch.rand(n, generator=self.gen, device=self.device)
        per_word = 64 // self.bits
        raw = self.stream.random_raw(-(-n // per_word))
        return torch.from_numpy(raw.view(np.int16 if self.bits == 16 else np.int32)[:n])

    def sample(self, p: torch.Tensor, u: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """out = 1 where u < p, else 0 (``u`` from :meth:`draw`, reshaped like ``p``)."""
        if self.gpu:
            return torch.lt(u, p, out=out)
        torch.mul(p, self.scale, out=out)
        return out.sub_(self.shift).gt_(u)


def base_rate_bias(data, eps: float = 1e-3) -> torch.Tensor:
    """The visible biases of the independent-pixel (base-rate) model: log(p / (1 - p)), p clipped to [eps, 1-eps]."""
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps}")
    data = as_binary(data, name="data")
    if data.ndim == 1:
        data = data[None]
    p = data.mean(0).clamp(eps, 1 - eps)
    return torch.log(p) - torch.log1p(-p)


# ----------------------------------------------------------------------------- training

@dataclass(frozen=True)
class History:
    """What :func:`train_rbm` records, one entry per epoch (the lists grow; the record is frozen).

    ``reconstruction_error``: mean over monitored mini-batches of ||v0 - p(v | h0)||^2 per example
    (h0 sampled); ``update_ratio``: mean|dW| / mean|W| of the epoch's last update; ``lr`` and
    ``momentum``: the values used in that epoch; ``extra``: what callbacks logged."""

    epoch: list[int] = field(default_factory=list)
    reconstruction_error: list[float] = field(default_factory=list)
    update_ratio: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    momentum: list[float] = field(default_factory=list)
    extra: dict[str, list] = field(default_factory=dict)

    def log(self, name: str, value) -> None:
        """Record ``value`` under ``name`` (callbacks use this for their own measurements)."""
        self.extra.setdefault(name, []).append(value)


def linear_decay(lr: float, epochs: int) -> Callable[[int], float]:
    """The learning rate lr * (1 - epoch / epochs): it falls linearly towards 0 (Tieleman 2008)."""
    lr = as_positive(lr, "lr")
    epochs = as_count(epochs, "epochs")
    return lambda epoch: lr * (1 - epoch / epochs)


def _schedule(value, name: str, minimum: float, strict: bool, below_one: bool = False) -> Callable[[int], float]:
    """A number or a function of the epoch, checked now (numbers) and at each epoch (functions)."""
    def checked(x, epoch=None):
        where = "" if epoch is None else f" at epoch {epoch}"
        try:
            x = float(x)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number or a function of the epoch, got {x!r}") from None
        bad = not math.isfinite(x) or (x <= minimum if strict else x < minimum) or (below_one and x >= 1)
        if bad:
            want = "in [0, 1)" if below_one else (f"> {minimum}" if strict else f">= {minimum}")
            raise ValueError(f"{name} must be a finite number {want}, got {x}{where}")
        return x

    if callable(value):
        return lambda epoch: checked(value(epoch), epoch)
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    constant = checked(value)
    return lambda epoch: constant


@torch.no_grad()
def train_rbm(model: RBM, data, epochs: int = 1, k: int = 1, persistent: bool = False,
              lr: float | Callable[[int], float] = 0.05, momentum: float | Callable[[int], float] = 0.5,
              weight_decay: float = 0.0, batch_size: int = 100,
              callbacks: Iterable[Callable[[int, RBM, History], None]] = (), progress: bool = True,
              rng=None, history: History | None = None, monitor_every: int = 10) -> History:
    """Train ``model`` in place by CD-k (``persistent=False``) or PCD-k on binary ``data`` (n, D).

    Per mini-batch v0 (B rows): p(h|v0), then k Gibbs steps give v_k (from a sample h0 ~ p(h|v0)
    for CD, from persistent fantasy chains for PCD), and

        grad_W = (v0^T p(h|v0) - v_k^T p(h|v_k)) / B,   grad_b = mean(v0 - v_k),   grad_c = mean(p(h|v0) - p(h|v_k))
        velocity = momentum * velocity + lr * (grad - weight_decay * W)   (no decay on biases)
        params += velocity

    ``lr`` and ``momentum`` are numbers or functions of the epoch (e.g. :func:`linear_decay`,
    or momentum 0.5 then 0.9 as in Hinton's guide for CD; PCD wants no momentum jump and a
    decaying rate, as Tieleman 2008). ``rng`` (None, a seed, or a generator on the model's
    device) makes the run reproducible. The data are shuffled each epoch and a last partial
    mini-batch is skipped. After each epoch every callback is called as
    ``callback(epoch, model, history)``; ``progress`` shows a tqdm bar.

    Speed: the five matrix products per CD-1 batch dominate. The parameters live in one
    (D+1, H+1) matrix [[W, b], [c, 0]] and the batches carry a column of ones, so the biases
    ride in the products; the positive and negative statistics are one product with 2B rows
    (v0 and -v_k stacked), which updates the weight and bias velocities in one pass; all buffers
    are preallocated; random numbers come in one block per batch; the reconstruction error is
    measured on every ``monitor_every``-th batch only. Returns the :class:`History`.
    """
    k = as_count(k, "k")
    epochs = as_count(epochs, "epochs", minimum=0)
    batch_size = as_count(batch_size, "batch_size")
    monitor_every = as_count(monitor_every, "monitor_every")
    lr_at = _schedule(lr, "lr", 0.0, strict=True)
    momentum_at = _schedule(momentum, "momentum", 0.0, strict=False, below_one=True)
    weight_decay = _finite(weight_decay, "weight_decay")
    dev = model.device
    X = model.visible(data, "data")
    if X.ndim == 1:
        X = X[None]
    n, D = X.shape
    H, B = model.n_hidden, batch_size
    if n < B:
        raise ValueError(f"batch_size {B} is larger than the {n} training examples")
    gen = torch_generator(rng, dev)
    history = History() if history is None else history
    callbacks = list(callbacks)

    # parameters [[W, b], [c, 0]] and their velocities; the data with a column of ones
    theta = torch.zeros(D + 1, H + 1, device=dev)
    vel = torch.zeros_like(theta)
    Wt, bt, ct = theta[:D, :H], theta[:D, H], theta[D, :H]
    to_hidden, to_visible = theta[:, :H], theta[:D, :]          # [W; c] (D+1, H) and [W, b] (D, H+1)

    def load():
        Wt.copy_(model.W)
        bt.copy_(model.b)
        ct.copy_(model.c)

    def store():
        model.W.copy_(Wt)
        model.b.copy_(bt)
        model.c.copy_(ct)

    load()
    Xa = torch.ones(n, D + 1, device=dev)
    Xa[:, :D] = X
    V = torch.ones(2 * B, D + 1, device=dev)     # rows :B [v0, 1]; rows B: [v_k, 1], negated before the update
    P = torch.ones(2 * B, H + 1, device=dev)     # rows :B [p(h|v0), 1]; rows B: [p(h|v_k), 1]
    Hs = torch.ones(B, H + 1, device=dev)        # a hidden sample with a column of ones
    PV = torch.empty(B, D, device=dev)           # p(v | h)
    v0, vk, ph0, phk = V[:B], V[B:], P[:B, :H], P[B:, :H]
    uni = _Uniforms(gen, dev, bits=16)
    chains = None
    if persistent:   # fantasy chains, kept as hidden states: start from the base-rate model
        start = bernoulli(torch.sigmoid(model.b).expand(B, -1), gen)
        chains = torch.ones(B, H + 1, device=dev)
        chains[:, :H] = bernoulli(torch.sigmoid(torch.addmm(model.c, start, model.W)), gen)
    n_batches = n // B          # a last partial batch is dropped (it is reshuffled next epoch)
    n_h = (0 if persistent else 1) + (k if persistent else k - 1)     # hidden samples per batch
    per_batch = B * (n_h * H + k * D)
    first = history.epoch[-1] + 1 if history.epoch else 0
    bar = None
    if progress and epochs:
        from tqdm.auto import tqdm
        bar = tqdm(total=epochs * n_batches, desc=f"{'PCD' if persistent else 'CD'}-{k}", unit="batch",
                   leave=True, mininterval=0.5)

    def sample_into(p, u, out, at):
        """Sample p into ``out`` with the uniforms u[at:at + p.numel()]; returns the next offset."""
        m = p.numel()
        uni.sample(p, u[at:at + m].view(p.shape), out)
        return at + m

    for epoch in range(first, first + epochs):
        rate, mom = lr_at(epoch), momentum_at(epoch)
        scale = rate / B
        order = torch.randperm(n, generator=gen, device=dev)
        err = torch.zeros((), device=dev)
        monitored = 0
        for i in range(n_batches):
            torch.index_select(Xa, 0, order[i * B:(i + 1) * B], out=v0)
            torch.mm(v0, to_hidden, out=ph0).sigmoid_()
            u = uni.draw(per_batch)
            at = 0
            watch = i % monitor_every == 0
            if persistent:
                h = chains
                if watch:    # reconstruction from a sample h0 ~ p(h|v0): only on monitored batches
                    h0 = bernoulli(ph0, gen)
                    pv0 = torch.sigmoid(torch.addmm(bt, h0, Wt.T))
                    err += torch.dist(pv0, v0[:, :D]).square()
                    monitored += 1
            else:
                at = sample_into(ph0, u, Hs[:, :H], at)
                h = Hs
            for step in range(k):
                torch.mm(h, to_visible.T, out=PV).sigmoid_()
                if watch and step == 0 and not persistent:
                    err += torch.dist(PV, v0[:, :D]).square()
                    monitored += 1
                at = sample_into(PV, u, vk[:, :D], at)
                torch.mm(vk, to_hidden, out=phk).sigmoid_()
                if persistent or step < k - 1:
                    at = sample_into(phk, u, Hs[:, :H], at)
                    h = Hs
            if persistent:
                chains.copy_(Hs)
            vk[:, :D].neg_()
            vk[:, D] = -1.0
            # velocities of W, b and c in one product: [v0; -v_k]^T [p(h|v0), 1; p(h|v_k), 1]
            vel.addmm_(V.T, P, beta=mom, alpha=scale)
            if weight_decay:
                vel[:D, :H].add_(Wt, alpha=-rate * weight_decay)
            theta.add_(vel)
            vk[:, D] = 1.0
            if bar is not None and (i % 10 == 9 or i == n_batches - 1):
                bar.update(10 if i % 10 == 9 else i % 10 + 1)
        store()
        history.epoch.append(epoch)
        history.reconstruction_error.append(float(err) / (max(monitored, 1) * B))
        history.update_ratio.append(float(vel[:D, :H].abs().mean() / Wt.abs().mean().clamp_min(1e-12)))
        history.lr.append(rate)
        history.momentum.append(mom)
        for cb in callbacks:
            cb(epoch, model, history)
        if callbacks:
            load()      # a callback may have changed the model
    if bar is not None:
        bar.close()
    return history


# ----------------------------------------------------------------------------- log Z and likelihood

def all_binary_states(n: int, start: int, stop: int, dtype=torch.float64, device=None) -> torch.Tensor:
    """Rows start..stop-1 of the table of all 2^n binary vectors (bit j of the row index is unit j)."""
    idx = torch.arange(start, stop, device=device)
    return ((idx[:, None] >> torch.arange(n, device=device)) & 1).to(dtype)


@torch.no_grad()
def exact_log_partition(model: RBM, max_units: int = 25, chunk: int = 2**14) -> float:
    """log Z by summing over every state of the smaller layer, in float64 and in log space.

    Summing out the other layer analytically: over hidden states h,
    log Z = logsumexp_h [c^T h + sum_i softplus(b_i + (W h)_i)] (and symmetrically over v).
    The cost is 2^n (n + m) numbers for a smaller layer of n units and a larger one of m; more
    than ``max_units`` units, or more than :data:`MAX_EXACT_WORK` numbers (minutes of work),
    raises ValueError saying the size, before any work is done.
    """
    max_units = as_count(max_units, "max_units")
    chunk = as_count(chunk, "chunk")
    W, b, c = model.W.double(), model.b.double(), model.c.double()
    if W.shape[1] <= W.shape[0]:
        W, b, c = W.T, c, b          # sum over hidden states: roles of the layers swap
    n, m = W.shape                   # the layer we enumerate (rows of W, biases b) and the other one
    work = 2**n * (n + m)
    if n > max_units or work > MAX_EXACT_WORK:
        raise ValueError(f"exact log Z sums over 2^{n} = {2**n:,} states of the smaller layer, "
                         f"{work:.2e} numbers (limit {MAX_EXACT_WORK:.2e}, about ten seconds; at most "
                         f"{max_units} units): use ais_log_partition for a model this large")
    parts = []
    for start in range(0, 2**n, chunk):
        s = all_binary_states(n, start, min(2**n, start + chunk), device=W.device)
        parts.append(torch.logsumexp(s @ b + F.softplus(s @ W + c).sum(-1), 0))
    return float(torch.logsumexp(torch.stack(parts), 0))


def ais_betas(n: int = 14500) -> np.ndarray:
    """Salakhutdinov & Murray's schedule shape: 500/14500 of the steps on [0, 0.5], 4000/14500 on
    [0.5, 0.9], 10000/14500 on [0.9, 1], scaled to ``n`` inverse temperatures (first 0, last 1)."""
    n = as_count(n, "n (the number of inverse temperatures)", minimum=10)
    n1 = max(2, round(n * 500 / 14500))
    n2 = max(2, round(n * 4000 / 14500))
    n3 = n - n1 - n2
    return np.concatenate([np.linspace(0, 0.5, n1, endpoint=False), np.linspace(0.5, 0.9, n2, endpoint=False),
                           np.linspace(0.9, 1.0, n3)])


@dataclass(frozen=True)
class AISEstimate:
    """log Z from AIS: ``log_z`` pools every chain's weight; ``runs`` holds the estimate of each
    independent run (``n_runs`` of ``n_chains`` chains), ``low``/``high`` their smallest and
    largest, ``spread`` = high - low. ``log_weights`` (n_runs, n_chains); ``trace_betas`` and
    ``trace`` (len(trace_betas), n_runs * n_chains) the running log-weights along beta when asked."""

    log_z: float
    runs: tuple[float, ...]
    log_weights: np.ndarray
    log_z_base: float
    n_betas: int
    trace_betas: np.ndarray
    trace: np.ndarray

    @property
    def low(self) -> float:
        return min(self.runs)

    @property
    def high(self) -> float:
        return max(self.runs)

    @property
    def spread(self) -> float:
        return self.high - self.low

    def __float__(self) -> float:
        return self.log_z


def _log_mean_exp(a: np.ndarray, axis=None) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    out = m + np.log(np.mean(np.exp(a - m), axis=axis, keepdims=True))
    return np.squeeze(out, axis=axis) if axis is not None else float(out.squeeze())


@torch.no_grad()
def ais_log_partition(model: RBM, n_chains: int = 100, betas: Sequence[float] | np.ndarray | int = 14500,
                      base_bias=None, rng=None, n_runs: int = 1, trace: int = 0,
                      progress: bool = False) -> AISEstimate:
    """Annealed importance sampling estimate of log Z (Neal 2001; Salakhutdinov & Murray, 2008).

    The base model A has W = 0, c = 0 and visible biases ``base_bias`` (pass the data's
    log-odds, :func:`base_rate_bias`; default zeros), so log Z_A = H log 2 + sum_i softplus(b_A,i)
    and exact samples are independent pixels. The intermediate models are

        p*_k(v) = exp((1 - beta_k) b_A^T v + beta_k b^T v) prod_j (1 + exp(beta_k (c_j + (v W)_j))),

    beta_0 = 0 < ... < beta_K = 1, each visited by one Gibbs step v -> h -> v that leaves it
    invariant. Each chain gives log w = sum_k [log p*_k(v_k) - log p*_{k-1}(v_k)], and
    log Z = log Z_A + log mean(w). ``n_runs`` independent runs of ``n_chains`` chains run at once
    (one batch of n_runs * n_chains rows); their spread says how far to trust the estimate.
    ``betas`` is an array (first 0, last 1, increasing) or a count for :func:`ais_betas`.
    ``trace`` > 0 records the running log-weights at about that many betas (for a figure);
    ``progress`` shows a tqdm bar over the betas.
    """
    if isinstance(betas, (int, np.integer)) and not isinstance(betas, bool):
        betas = ais_betas(int(betas))
    betas_np = np.asarray(betas, dtype=np.float64)
    if betas_np.ndim != 1 or len(betas_np) < 2 or betas_np[0] != 0 or betas_np[-1] != 1 \
            or np.any(np.diff(betas_np) <= 0):
        raise ValueError("betas must increase strictly from 0 to 1 (first 0, last 1)")
    n_chains = as_count(n_chains, "n_chains", minimum=2)
    n_runs = as_count(n_runs, "n_runs")
    trace = as_count(trace, "trace", minimum=0)
    dev = model.device
    gen = torch_generator(rng, dev)
    W, b, c = model.W.data, model.b.data, model.c.data
    D, H = W.shape
    bA = torch.zeros_like(b) if base_bias is None else torch.as_tensor(base_bias, dtype=torch.float32).to(dev)
    if bA.shape != b.shape:
        raise ValueError(f"base_bias must have shape ({model.n_visible},), got {tuple(bA.shape)}")
    if not bool(torch.isfinite(bA).all()):
        raise ValueError("base_bias contains NaN or infinite values")
    log_z_base = H * math.log(2.0) + float(F.softplus(bA.double()).sum())
    n = n_chains * n_runs
    uni = _Uniforms(gen, dev, bits=32)
    v = torch.empty(n, D, device=dev)
    h = torch.empty(n, H, device=dev)
    x, ph, pv = torch.empty(n, H, device=dev), torch.empty(n, H, device=dev), torch.empty(n, D, device=dev)
    uni.sample(torch.sigmoid(bA).expand(n, -1).contiguous(), uni.draw(n * D).view(n, D), v)
    logw = torch.zeros(n, dtype=torch.float64, device=dev)
    step_w = torch.empty(n, device=dev)
    db = b - bA
    K = len(betas_np)
    marks = set(np.unique(np.linspace(1, K - 1, trace).round().astype(int)).tolist()) if trace else set()
    rows, at_betas = [], []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=K - 1, desc=f"AIS {n_runs} x {n_chains} chains", unit="beta", mininterval=0.5)
    for kk in range(1, K):
        if bar is not None and kk % 100 == 0:
            bar.update(100)
        bk, bprev = float(betas_np[kk]), float(betas_np[kk - 1])
        torch.addmm(c, v, W, out=x)
        # log p*_k(v) - log p*_{k-1}(v) = (bk - bprev) v.(b - b_A) + sum_j [softplus(bk x_j) - softplus(bprev x_j)]
        torch.mv(v, db, out=step_w).mul_(bk - bprev)
        step_w.add_(F.softplus(x * bk).sum(-1)).sub_(F.softplus(x * bprev).sum(-1))
        logw += step_w
        if kk in marks:
            rows.append(logw.cpu().numpy().copy())
            at_betas.append(bk)
        if kk < K - 1:   # move v with a Gibbs step that leaves p_k invariant
            u = uni.draw(n * (H + D))
            torch.mul(x, bk, out=ph).sigmoid_()
            uni.sample(ph, u[:n * H].view(n, H), h)
            torch.addmm(bA + bk * db, h, W.T, alpha=bk, out=pv).sigmoid_()
            uni.sample(pv, u[n * H:].view(n, D), v)
    if bar is not None:
        bar.update(K - 1 - bar.n)
        bar.close()
    lw = logw.cpu().numpy().reshape(n_runs, n_chains)
    runs = tuple(float(log_z_base + r) for r in np.atleast_1d(_log_mean_exp(lw, axis=1)))
    return AISEstimate(float(log_z_base + _log_mean_exp(lw.ravel())), runs, lw, float(log_z_base), K,
                       np.asarray(at_betas), np.asarray(rows).reshape(len(rows), n))


@dataclass(frozen=True)
class LowerBound:
    """log Z >= ``log_z_bound`` = max over the descended states of -F(v), a hard bound:
    Z = sum_v exp(-F(v)) is at least any one of its terms. ``free_energies`` of every descended
    state, ``state`` the best one (D,)."""

    log_z_bound: float
    free_energies: np.ndarray
    state: torch.Tensor


@torch.no_grad()
def free_energy_descent(model: RBM, v0, max_sweeps: int = 20) -> torch.Tensor:
    """Greedy descent of F from each row of ``v0`` (B, D): returns states where no single flip lowers F.

    First block coordinate ascent on -E(v, h) (h = [x > 0], v = [b + W h > 0], which never raises
    F(v) <= E(v, h)), then sweeps over the visible units, each flipped (in all rows at once) where
    that lowers F, until a sweep changes nothing or ``max_sweeps`` sweeps are done."""
    max_sweeps = as_count(max_sweeps, "max_sweeps")
    v = model.visible(v0, "v0")
    v = (v[None] if v.ndim == 1 else v).clone()
    W, b, c = model.W, model.b, model.c
    fe = model.free_energy(v)
    for _ in range(100):
        h = (v @ W + c > 0).float()
        v_new = (h @ W.T + b > 0).float()
        fe_new = model.free_energy(v_new)
        better = fe_new < fe - 1e-6
        if not bool(better.any()):
            break
        v[better], fe[better] = v_new[better], fe_new[better]
    x = v @ W + c
    sp = F.softplus(x).sum(-1)
    for _ in range(max_sweeps):
        changed = False
        for i in range(model.n_visible):
            s = 1 - 2 * v[:, i]                                   # +1: switch on, -1: switch off
            xf = x + s[:, None] * W[i]
            spf = F.softplus(xf).sum(-1)
            delta = -s * b[i] - (spf - sp)                       # F(flipped) - F(v)
            flip = delta < -1e-5
            if bool(flip.any()):
                changed = True
                v[flip, i] = 1 - v[flip, i]
                x[flip] = xf[flip]
                sp[flip] = spf[flip]
        if not changed:
            break
    return v


@torch.no_grad()
def log_z_lower_bound(model: RBM, starts, max_sweeps: int = 20) -> LowerBound:
    """The hard bound log Z >= max_v -F(v), from :func:`free_energy_descent` started at each row of
    ``starts`` (data and the model's own samples: the deepest free-energy valleys are near them).
    Any estimate of log Z below it is impossible."""
    v = free_energy_descent(model, starts, max_sweeps)
    fe = model.free_energy(v).double()
    best = int(torch.argmin(fe))
    return LowerBound(float(-fe[best]), fe.cpu().numpy(), v[best].clone())


@dataclass(frozen=True)
class LogZVerdict:
    """Whether a log Z estimate can be used: ``ok`` and the ``reasons`` when it cannot."""

    ok: bool
    reasons: tuple[str, ...]


def judge_log_z(estimate: AISEstimate | float, bound: LowerBound | float, max_spread: float = 1.0) -> LogZVerdict:
    """Reject an estimate below the hard bound (impossible) or, for AIS, whose independent runs
    disagree by more than ``max_spread`` nats (not converged: log Z is then most likely underestimated,
    and a log-likelihood computed from it overstated)."""
    max_spread = _finite(max_spread, "max_spread")
    value = float(estimate)
    floor = bound.log_z_bound if isinstance(bound, LowerBound) else float(bound)
    reasons = []
    if value < floor:
        reasons.append(f"log Z estimate {value:.1f} is below the hard bound {floor:.1f}: impossible")
    if isinstance(estimate, AISEstimate) and len(estimate.runs) > 1 and estimate.spread > max_spread:
        reasons.append(f"AIS runs spread over {estimate.spread:.1f} nats (more than {max_spread}): not converged")
    return LogZVerdict(not reasons, tuple(reasons))


@torch.no_grad()
def log_likelihood(model: RBM, data, log_z: float | AISEstimate, batch_size: int = 2000) -> float:
    """Average log p(v) = -F(v) - log Z over the rows of ``data``, in nats."""
    batch_size = as_count(batch_size, "batch_size")
    log_z = _finite(float(log_z), "log_z", minimum=-math.inf)
    X = model.visible(data, "data")
    if X.ndim == 1:
        X = X[None]
    total = sum(float(model.free_energy(X[i:i + batch_size]).double().sum()) for i in range(0, len(X), batch_size))
    return -total / len(X) - log_z


def base_rate_log_likelihood(train, test, eps: float = 1e-3) -> float:
    """Average log-likelihood (nats) of ``test`` under independent pixels fitted to ``train``:
    the RBM with W = 0 and b = base_rate_bias(train) (the start of training, and AIS's base model)."""
    b = base_rate_bias(train, eps).double()
    X = as_binary(test, b.shape[0], "test").double()
    if X.ndim == 1:
        X = X[None]
    return float((X @ b - F.softplus(b).sum()).mean())


# ----------------------------------------------------------------------------- monitoring and health

@torch.no_grad()
def reconstruction_error(model: RBM, data) -> float:
    """Mean over rows of ||v - p(v | h = p(h|v))||^2 (mean-field reconstruction, no sampling)."""
    v = model.visible(data, "data")
    ph = torch.sigmoid(v @ model.W + model.c)
    pv = torch.sigmoid(ph @ model.W.T + model.b)
    return float(((v - pv) ** 2).sum(-1).mean())


@torch.no_grad()
def pseudo_log_likelihood(model: RBM, data, exact: bool = False, rng=None, chunk: int = 64) -> float:
    """Average pseudo-log-likelihood sum_i log p(v_i | v_-i) = sum_i log sigmoid(F(v with i flipped) - F(v)).

    ``exact`` sums all D terms (cost D free energies per row, computed in chunks of ``chunk``
    units); otherwise one unit i per row is drawn at random and D log sigmoid(...) is the unbiased
    estimate (as scikit-learn's BernoulliRBM.score_samples does).
    """
    chunk = as_count(chunk, "chunk")
    v = model.visible(data, "data")
    if v.ndim == 1:
        v = v[None]
    D = model.n_visible
    x = v @ model.W + model.c
    fe = -(v @ model.b) - F.softplus(x).sum(-1)
    sign = 1 - 2 * v                                   # +1 where v_i = 0 (flip to 1), -1 where v_i = 1
    if not exact:
        i = torch.randint(0, D, (len(v),), generator=torch_generator(rng, v.device), device=v.device)
        s = sign[torch.arange(len(v), device=v.device), i]
        fe_flip = -(v @ model.b) - s * model.b[i] - F.softplus(x + s[:, None] * model.W[i]).sum(-1)
        return float((D * F.logsigmoid(fe_flip - fe)).mean())
    total = torch.zeros(len(v), device=v.device)
    for start in range(0, D, chunk):
        idx = torch.arange(start, min(D, start + chunk), device=v.device)
        s = sign[:, idx]                                                # (B, m)
        xf = x[:, None, :] + s[:, :, None] * model.W[idx][None]         # (B, m, H)
        fe_flip = -(v @ model.b)[:, None] - s * model.b[idx] - F.softplus(xf).sum(-1)
        total += F.logsigmoid(fe_flip - fe[:, None]).sum(-1)
    return float(total.mean())


@torch.no_grad()
def free_energy_gap(model: RBM, train, held_out) -> float:
    """mean F(held_out) - mean F(train): grows when the model overfits (Hinton 2010, section 6).

    Compare subsets of equal size drawn the same way; log Z cancels in the difference."""
    return float(model.free_energy(held_out).mean() - model.free_energy(train).mean())


@dataclass(frozen=True)
class HiddenActivity:
    """Mean p(h_j = 1 | v) per hidden unit over some data, and the counts of dead (mean < low)
    and saturated (mean > high) units."""

    mean: np.ndarray
    dead: int
    saturated: int


@torch.no_grad()
def hidden_activity(model: RBM, data, low: float = 0.01, high: float = 0.99) -> HiddenActivity:
    """Mean p(h_j = 1 | v) over ``data`` for each hidden unit, and counts of dead and saturated units."""
    p = torch.sigmoid(model.visible(data, "data") @ model.W + model.c)
    mean = p.reshape(-1, model.n_hidden).mean(0).cpu().numpy()
    return HiddenActivity(mean, int((mean < low).sum()), int((mean > high).sum()))


@dataclass(frozen=True)
class WeightStats:
    """Summary numbers of the parameters."""

    W_mean: float
    W_std: float
    W_absmax: float
    b_mean: float
    c_mean: float


@torch.no_grad()
def weight_stats(model: RBM) -> WeightStats:
    """Mean and std of W, max |W|, mean visible and hidden bias."""
    W = model.W.data
    return WeightStats(float(W.mean()), float(W.std()), float(W.abs().max()), float(model.b.mean()),
                       float(model.c.mean()))


@dataclass(frozen=True)
class Health:
    """A trained model's health check (:func:`diagnose`).

    ``dead`` / ``saturated``: hidden units with mean p(h|v) over the data below 0.01 / above 0.99;
    ``fe_data`` / ``fe_samples``: mean free energy of the data and of the model's own samples
    (Gibbs chains started at the data), ``fe_gap`` = fe_data - fe_samples: near 0 for a model whose
    samples look like its data, large when its probability sits in valleys far from the data;
    ``reconstruction``: :func:`reconstruction_error` on the data. ``problems`` lists what is broken
    (too many dead or saturated units: a collapsed model), ``warnings`` what deserves a look (a large
    free-energy gap: CD-trained models show it too, since their negative samples never leave the data's
    neighbourhood); ``healthy`` is True when there are no problems."""

    dead: int
    saturated: int
    n_hidden: int
    fe_data: float
    fe_samples: float
    fe_gap: float
    reconstruction: float
    problems: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        return not self.problems


@torch.no_grad()
def diagnose(model: RBM, data, gibbs_steps: int = 200, max_dead: float = 0.25, max_saturated: float = 0.25,
             max_gap: float = 10.0, rng=None) -> Health:
    """Check a trained model on ``data`` (B, D): dead and saturated hidden units, the free-energy gap
    between the data and samples from ``gibbs_steps``-step Gibbs chains started at the data, and the
    reconstruction error. A fraction of dead (or saturated) units above ``max_dead`` (``max_saturated``)
    is a problem; a gap above ``max_gap`` nats is a warning."""
    gibbs_steps = as_count(gibbs_steps, "gibbs_steps")
    max_dead = _finite(max_dead, "max_dead")
    max_saturated = _finite(max_saturated, "max_saturated")
    max_gap = _finite(max_gap, "max_gap")
    X = model.visible(data, "data")
    X = X[None] if X.ndim == 1 else X
    act = hidden_activity(model, X)
    samples = model.gibbs(X, gibbs_steps, rng)
    fe_data, fe_samples = float(model.free_energy(X).mean()), float(model.free_energy(samples).mean())
    gap = fe_data - fe_samples
    H = model.n_hidden
    problems = []
    if act.dead > max_dead * H:
        problems.append(f"{act.dead} of {H} hidden units are dead (mean activity < 0.01)")
    if act.saturated > max_saturated * H:
        problems.append(f"{act.saturated} of {H} hidden units are saturated (mean activity > 0.99)")
    warnings = []
    if gap > max_gap:
        warnings.append(f"the model's own samples have free energy {gap:.1f} nats below the data's: "
                        "much of its probability sits in valleys away from the data")
    return Health(act.dead, act.saturated, H, fe_data, fe_samples, gap, reconstruction_error(model, X),
                  tuple(problems), tuple(warnings))


@torch.no_grad()
def gibbs_frames(model: RBM, v0, record_at: Sequence[int], rng=None) -> torch.Tensor:
    """p(v | h) after each number of Gibbs steps in ``record_at`` (increasing, >= 1), from ``v0`` (B, D).

    Returns (len(record_at), B, D) probabilities: the sample viewer shows them as images.
    The chain is one run: step t's frame continues from step t-1's binary sample.
    """
    steps = [int(s) for s in record_at]
    if not steps or steps[0] < 1 or any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
        raise ValueError(f"record_at must be increasing Gibbs step counts >= 1, got {list(record_at)}")
    v = model.visible(v0, "v0")
    if v.ndim == 1:
        v = v[None]
    gen = torch_generator(rng, model.device)
    frames, t = [], 0
    for target in steps:
        while t < target:
            pv, v = model._gibbs_step(v, gen)
            t += 1
        frames.append(pv)
    return torch.stack(frames)


# ----------------------------------------------------------------------------- shipped weights

def save_weights(model: RBM, path: str | Path, **meta) -> str:
    """Write W, b, c (float32) and ``meta`` (JSON-able: how the model was trained) to ``path`` (.npz);
    returns the file's sha256, which :func:`load_weights` checks."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        np.savez_compressed(fh, W=model.W.cpu().numpy(), b=model.b.cpu().numpy(), c=model.c.cpu().numpy(),
                            meta=np.array(json.dumps(meta, sort_keys=True)))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_weights(path: str | Path, sha256: str | None = None, device=None) -> tuple[RBM, dict]:
    """An RBM from a file written by :func:`save_weights`, and its ``meta``; with ``sha256`` the file
    must match it (ValueError otherwise: a corrupt or different file)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"RBM weights {path} are missing: run scripts/train_rbm_weights.py to make them")
    raw = path.read_bytes()
    if sha256 is not None and hashlib.sha256(raw).hexdigest() != sha256:
        raise ValueError(f"RBM weights {path} do not match their sha256 checksum: the file is corrupt or "
                         f"was retrained; run scripts/train_rbm_weights.py --check")
    with np.load(path) as z:
        W, b, c, meta = z["W"], z["b"], z["c"], json.loads(str(z["meta"]))
    model = RBM(W.shape[0], W.shape[1], device=device, rng=0, weight_std=0.0)
    model.W.copy_(torch.from_numpy(W))
    model.b.copy_(torch.from_numpy(b))
    model.c.copy_(torch.from_numpy(c))
    return model, meta


# ----------------------------------------------------------------------------- chapter 05's recipes

RECIPES = ("CD-1", "CD-10", "PCD-1", "PCD-1 momentum 0.9")


def recipe(name: str, epochs: int) -> dict:
    """The keyword arguments of :func:`train_rbm` for chapter 05's trainers (one place for the notebook
    and ``scripts/train_rbm_weights.py``). CD-k: Hinton's guide (lr 0.05, momentum 0.5 for five epochs
    then 0.9, weight decay 2e-4, batches of 100). PCD-1: Tieleman 2008 (no momentum, the learning rate
    decaying linearly towards 0). "PCD-1 momentum 0.9": PCD with CD's momentum jump, the recipe that
    collapses."""
    epochs = as_count(epochs, "epochs")

    def jump(epoch: int) -> float:
        return 0.5 if epoch < 5 else 0.9

    common = dict(epochs=epochs, weight_decay=2e-4, batch_size=100)
    if name in ("CD-1", "CD-10"):
        return dict(common, k=int(name[3:]), persistent=False, lr=0.05, momentum=jump)
    if name == "PCD-1":
        return dict(common, k=1, persistent=True, lr=linear_decay(0.05, epochs), momentum=0.0)
    if name == "PCD-1 momentum 0.9":
        return dict(common, k=1, persistent=True, lr=0.05, momentum=jump)
    raise ValueError(f"name must be one of {RECIPES}, got {name!r}")


def mnist_split(device=None, n_train: int = 8000) -> tuple[torch.Tensor, torch.Tensor]:
    """The 10,000 shipped MNIST test images, binarised (pixel > 127), split by a fixed permutation
    (seed 0) into ``n_train`` training and the rest held-out images: two float32 tensors on ``device``."""
    from .datasets import load_mnist

    n_train = as_count(n_train, "n_train")
    images, _ = load_mnist("test")
    X = (images.reshape(len(images), -1) > 127).astype(np.float32)
    if n_train >= len(X):
        raise ValueError(f"n_train must be below {len(X)}, got {n_train}")
    split = np.random.default_rng(0).permutation(len(X))
    dev = get_device(None if device is None else str(device))
    return torch.from_numpy(X[split[:n_train]]).to(dev), torch.from_numpy(X[split[n_train:]]).to(dev)
