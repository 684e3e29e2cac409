"""Restricted Boltzmann machines with binary (0/1) units, in torch.

Energy E(v, h) = -v^T W h - b^T v - c^T h with W (n_visible, n_hidden), visible biases b,
hidden biases c. Summing out h gives the free energy

    F(v) = -b^T v - sum_j softplus(c_j + (v^T W)_j),   p(v) = exp(-F(v)) / Z.

Every function takes one visible vector (D,) or a batch (B, D) and is vectorised over the
batch. Training (:func:`train_rbm`) is CD-k or persistent CD with momentum and weight
decay; :func:`exact_log_partition` and :func:`ais_log_partition` give log Z, so
:func:`log_likelihood` is a real log-likelihood in nats.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .utils import get_device

MAX_EXACT_UNITS = 25


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


class RBM(nn.Module):
    """A binary-binary RBM: ``W`` (n_visible, n_hidden), visible biases ``b``, hidden biases ``c``.

    Initialised as in Hinton's practical guide (2010, section 8): W ~ N(0, 0.01^2), b = 0
    (call :meth:`init_visible_bias_` with the training data to set b = log(p / (1 - p))),
    c = 0. Parameters are plain tensors updated by :func:`train_rbm` (no autograd). ``generator``
    (a CPU ``torch.Generator``) makes the initial weights reproducible; they are drawn on the CPU
    and moved to ``device``.
    """

    def __init__(self, n_visible: int, n_hidden: int, device=None, generator: torch.Generator | None = None,
                 weight_std: float = 0.01):
        super().__init__()
        for name, val in (("n_visible", n_visible), ("n_hidden", n_hidden)):
            if not isinstance(val, (int, np.integer)) or val < 1:
                raise ValueError(f"{name} must be a positive integer, got {val!r}")
        device = get_device() if device is None else torch.device(device)
        w = torch.randn(n_visible, n_hidden, generator=generator, dtype=torch.float32) * weight_std
        self.W = nn.Parameter(w.to(device), requires_grad=False)
        self.b = nn.Parameter(torch.zeros(n_visible, device=device), requires_grad=False)
        self.c = nn.Parameter(torch.zeros(n_hidden, device=device), requires_grad=False)

    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    @property
    def device(self) -> torch.device:
        return self.W.device

    def _v(self, v, name: str = "v") -> torch.Tensor:
        return as_binary(v, self.n_visible, name, self.device)

    @torch.no_grad()
    def init_visible_bias_(self, data, eps: float = 1e-3) -> RBM:
        """Set b_i = log(p_i / (1 - p_i)) with p_i the fraction of ``data`` where v_i = 1, clipped to [eps, 1-eps]."""
        self.b.copy_(base_rate_bias(self._v(data, "data"), eps))
        return self

    @torch.no_grad()
    def free_energy(self, v) -> torch.Tensor:
        """F(v) = -b^T v - sum_j softplus(c_j + (v W)_j): one vector (D,) -> scalar, a batch (B, D) -> (B,)."""
        v = self._v(v)
        return -(v @ self.b) - F.softplus(v @ self.W + self.c).sum(-1)

    @torch.no_grad()
    def sample_h(self, v, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """p(h_j = 1 | v) = sigmoid(c_j + (v W)_j) and a binary sample of h: both (..., n_hidden)."""
        p = torch.sigmoid(self._v(v) @ self.W + self.c)
        return p, bernoulli(p, generator=generator)

    @torch.no_grad()
    def sample_v(self, h, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """p(v_i = 1 | h) = sigmoid(b_i + (W h)_i) and a binary sample of v: both (..., n_visible)."""
        h = as_binary(h, self.n_hidden, "h", self.device)
        p = torch.sigmoid(h @ self.W.T + self.b)
        return p, bernoulli(p, generator=generator)

    @torch.no_grad()
    def gibbs(self, v, k: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
        """Run k full Gibbs steps v -> h -> v' from ``v`` (D,) or (B, D); returns the binary visible sample."""
        _check_k(k)
        v = self._v(v)
        for _ in range(k):
            _, h = self.sample_h(v, generator)
            _, v = self.sample_v(h, generator)
        return v


def bernoulli(p: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A 0/1 sample with P(1) = p, elementwise: uniform numbers u, then (u < p) in place.

    Same law as ``torch.bernoulli(p)``, but several times faster on CPU (one vectorised
    uniform draw and one comparison); the sampling step of training is built on it."""
    return torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype).lt_(p)


def _gen_device(generator: torch.Generator | None, model: RBM) -> torch.device:
    """Where random numbers are drawn: the generator's device, else the model's.

    Sampling functions take a ``generator`` on the model's device (``torch.Generator(device=...)``)."""
    return generator.device if generator is not None else model.device


def _check_k(k) -> None:
    if not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"the number of Gibbs steps k must be a non-negative integer, got {k!r}")


def base_rate_bias(data: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """The visible biases of the independent-pixel (base-rate) model: log(p / (1 - p)), p clipped to [eps, 1-eps]."""
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps}")
    data = as_binary(data, name="data")
    if data.ndim == 1:
        data = data[None]
    p = data.mean(0).clamp(eps, 1 - eps)
    return torch.log(p) - torch.log1p(-p)


# ----------------------------------------------------------------------------- training

@dataclass
class History:
    """What :func:`train_rbm` records, one entry per epoch."""

    epoch: list[int] = field(default_factory=list)
    reconstruction_error: list[float] = field(default_factory=list)
    update_ratio: list[float] = field(default_factory=list)
    extra: dict[str, list] = field(default_factory=dict)

    def log(self, name: str, value) -> None:
        """Record ``value`` under ``name`` (callbacks use this for their own measurements)."""
        self.extra.setdefault(name, []).append(value)


@torch.no_grad()
def train_rbm(model: RBM, data, epochs: int = 1, k: int = 1, persistent: bool = False, lr: float = 0.05,
              momentum: float | Callable[[int], float] = 0.5, weight_decay: float = 0.0, batch_size: int = 100,
              callbacks: Iterable[Callable[[int, RBM, History], None]] = (), progress: bool = True,
              generator: torch.Generator | None = None, history: History | None = None) -> History:
    """Train ``model`` in place by CD-k (``persistent=False``) or PCD-k on binary ``data`` (n, D).

    Per mini-batch v0 (B rows): h0 ~ p(h|v0), then k Gibbs steps give v_k (from v0 for CD,
    from persistent fantasy chains for PCD), and

        grad_W = (v0^T p(h|v0) - v_k^T p(h|v_k)) / B,   grad_b = mean(v0 - v_k),   grad_c = mean(p(h|v0) - p(h|v_k))
        velocity = momentum * velocity + lr * (grad - weight_decay * W)   (no decay on biases)
        params += velocity

    ``momentum`` is a number or a function of the epoch (e.g. 0.5 for 5 epochs, then 0.9, as in
    Hinton's guide). ``generator`` (on the model's device) makes the run reproducible.

    The data are shuffled each epoch, and a last partial mini-batch is skipped. After each epoch
    every callback is called as ``callback(epoch, model, history)``. ``progress`` shows a tqdm
    bar over mini-batches. Returns the :class:`History` (mean squared reconstruction error
    ||v0 - p(v|h0)||^2 per example, and the ratio mean|dW| / mean|W| of the last update).
    """
    _check_k(k)
    if k < 1:
        raise ValueError("CD needs at least one Gibbs step: k >= 1")
    for name, val in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(val, (int, np.integer)) or val < (0 if name == "epochs" else 1):
            raise ValueError(f"{name} must be a {'non-negative' if name == 'epochs' else 'positive'} integer, "
                             f"got {val!r}")
    momentum_at = momentum if callable(momentum) else (lambda epoch: momentum)
    if lr <= 0 or weight_decay < 0:
        raise ValueError(f"need lr > 0 and weight_decay >= 0; got lr={lr}, weight_decay={weight_decay}")
    X = as_binary(data, model.n_visible, "data", model.device)
    if X.ndim == 1:
        X = X[None]
    n = X.shape[0]
    if n < batch_size:
        raise ValueError(f"batch_size {batch_size} is larger than the {n} training examples")
    history = History() if history is None else history
    W, b, c = model.W.data, model.b.data, model.c.data
    vW, vb, vc = torch.zeros_like(W), torch.zeros_like(b), torch.zeros_like(c)
    n_batches = n // batch_size          # a last partial batch is dropped (it is reshuffled next epoch)
    chains_h = None
    if persistent:   # fantasy particles, kept as hidden states: start from the base-rate model
        chains_v = bernoulli(torch.sigmoid(b).expand(batch_size, -1), generator=generator)
        chains_h = bernoulli(torch.sigmoid(torch.addmm(c, chains_v, W)), generator=generator)
    scale = lr / batch_size
    start = history.epoch[-1] + 1 if history.epoch else 0
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=epochs * n_batches, desc=f"{'PCD' if persistent else 'CD'}-{k}", unit="batch",
                   leave=True)
    for epoch in range(start, start + epochs):
        mom = float(momentum_at(epoch))
        if not 0 <= mom < 1:
            raise ValueError(f"momentum must be in [0, 1), got {mom} at epoch {epoch}")
        order = torch.randperm(n, generator=generator, device=_gen_device(generator, model)).to(model.device)
        err = torch.zeros((), device=model.device)
        for i in range(n_batches):
            v0 = X.index_select(0, order[i * batch_size:(i + 1) * batch_size])
            ph0 = torch.sigmoid(torch.addmm(c, v0, W))
            h0 = bernoulli(ph0, generator=generator)
            h = chains_h if persistent else h0
            for step in range(k):
                pv = torch.sigmoid(torch.addmm(b, h, W.T))
                if step == 0 and not persistent:
                    err += F.mse_loss(pv, v0, reduction="sum")
                vk = bernoulli(pv, generator=generator)
                phk = torch.sigmoid(torch.addmm(c, vk, W))
                if step < k - 1 or persistent:
                    h = bernoulli(phk, generator=generator)
            if persistent:
                chains_h = h
                err += F.mse_loss(torch.sigmoid(torch.addmm(b, h0, W.T)), v0, reduction="sum")
            # velocity updates, in place: vW = momentum vW + scale (v0^T ph0 - vk^T phk) - lr wd W
            vW.addmm_(v0.T, ph0, beta=mom, alpha=scale).addmm_(vk.T, phk, alpha=-scale)
            if weight_decay:
                vW.add_(W, alpha=-lr * weight_decay)
            vb.mul_(mom).add_(v0.sum(0) - vk.sum(0), alpha=scale)
            vc.mul_(mom).add_(ph0.sum(0) - phk.sum(0), alpha=scale)
            W.add_(vW)
            b.add_(vb)
            c.add_(vc)
            if bar is not None:
                bar.update(1)
        history.epoch.append(epoch)
        history.reconstruction_error.append(float(err) / (n_batches * batch_size))
        history.update_ratio.append(float(vW.abs().mean() / W.abs().mean().clamp_min(1e-12)))
        for cb in callbacks:
            cb(epoch, model, history)
    if bar is not None:
        bar.close()
    return history


# ----------------------------------------------------------------------------- log Z and likelihood

def all_binary_states(n: int, start: int, stop: int, dtype=torch.float64, device=None) -> torch.Tensor:
    """Rows start..stop-1 of the table of all 2^n binary vectors (bit j of the row index is unit j)."""
    idx = torch.arange(start, stop, device=device)
    return ((idx[:, None] >> torch.arange(n, device=device)) & 1).to(dtype)


@torch.no_grad()
def exact_log_partition(model: RBM, max_units: int = MAX_EXACT_UNITS, chunk: int = 2**14) -> float:
    """log Z by summing over every state of the smaller layer, in float64 and in log space.

    Summing out the other layer analytically: over hidden states h,
    log Z = logsumexp_h [c^T h + sum_i softplus(b_i + (W h)_i)] (and symmetrically over v).
    The cost is 2^min(D, H) states; more than ``max_units`` raises ValueError.
    """
    W, b, c = model.W.double(), model.b.double(), model.c.double()
    if W.shape[1] <= W.shape[0]:
        W, b, c = W.T, c, b          # sum over hidden states: roles of the layers swap
    n = W.shape[0]                   # the layer we enumerate (rows of W), with biases b
    if n > max_units:
        raise ValueError(f"exact log Z sums over 2^{n} states of the smaller layer; the limit is "
                         f"2^{max_units}: use ais_log_partition for a model this large")
    parts = []
    for start in range(0, 2**n, chunk):
        s = all_binary_states(n, start, min(2**n, start + chunk), device=W.device)
        parts.append(torch.logsumexp(s @ b + F.softplus(s @ W + c).sum(-1), 0))
    return float(torch.logsumexp(torch.stack(parts), 0))


def ais_betas(n: int = 14500) -> np.ndarray:
    """Salakhutdinov & Murray's schedule shape: 500/14500 of the steps on [0, 0.5], 4000/14500 on
    [0.5, 0.9], 10000/14500 on [0.9, 1], scaled to ``n`` inverse temperatures (first 0, last 1)."""
    if not isinstance(n, (int, np.integer)) or n < 10:
        raise ValueError(f"need at least 10 inverse temperatures, got {n!r}")
    n1 = max(2, round(n * 500 / 14500))
    n2 = max(2, round(n * 4000 / 14500))
    n3 = n - n1 - n2
    return np.concatenate([np.linspace(0, 0.5, n1, endpoint=False), np.linspace(0.5, 0.9, n2, endpoint=False),
                           np.linspace(0.9, 1.0, n3)])


@dataclass
class AISEstimate:
    """log Z from AIS, with log(Z_hat -+ 3 standard errors) (NaN when Z_hat - 3 s.e. <= 0)."""

    log_z: float
    log_z_low: float
    log_z_high: float
    log_weights: np.ndarray
    log_z_base: float

    def __float__(self) -> float:
        return self.log_z


@torch.no_grad()
def ais_log_partition(model: RBM, n_chains: int = 100, betas: Sequence[float] | np.ndarray | int = 14500,
                      base_bias=None, generator: torch.Generator | None = None) -> AISEstimate:
    """Annealed importance sampling estimate of log Z (Salakhutdinov & Murray, 2008).

    The base model A has W = 0, c = 0 and visible biases ``base_bias`` (pass the data's
    log-odds, :func:`base_rate_bias`; default zeros), so log Z_A = H log 2 + sum_i softplus(b_A,i)
    and exact samples are independent pixels. The intermediate models are

        p*_k(v) = exp((1 - beta_k) b_A^T v + beta_k b^T v) prod_j (1 + exp(beta_k (c_j + (v W)_j))),

    beta_0 = 0 < ... < beta_K = 1, each visited by one Gibbs step v -> h -> v that leaves it
    invariant. Each of the ``n_chains`` runs gives log w = sum_k [log p*_k(v_k) - log p*_{k-1}(v_k)],
    and log Z = log Z_A + log mean(w). ``betas`` is an array (first 0, last 1, increasing)
    or a count for :func:`ais_betas`. All chains run at once.
    """
    if isinstance(betas, (int, np.integer)):
        betas = ais_betas(int(betas))
    betas_np = np.asarray(betas, dtype=np.float64)
    if betas_np.ndim != 1 or len(betas_np) < 2 or betas_np[0] != 0 or betas_np[-1] != 1 \
            or np.any(np.diff(betas_np) <= 0):
        raise ValueError("betas must increase strictly from 0 to 1 (first 0, last 1)")
    if not isinstance(n_chains, (int, np.integer)) or n_chains < 2:
        raise ValueError(f"n_chains must be an integer >= 2, got {n_chains!r}")
    dev = model.device
    W, b, c = model.W.data, model.b.data, model.c.data
    bA = torch.zeros_like(b) if base_bias is None else torch.as_tensor(base_bias, dtype=torch.float32, device=dev)
    if bA.shape != b.shape:
        raise ValueError(f"base_bias must have shape ({model.n_visible},), got {tuple(bA.shape)}")
    log_z_base = model.n_hidden * math.log(2.0) + float(F.softplus(bA.double()).sum())
    v = bernoulli(torch.sigmoid(bA).expand(n_chains, -1), generator=generator)
    logw = torch.zeros(n_chains, dtype=torch.float64, device=dev)
    db = (b - bA)
    for k in range(1, len(betas_np)):
        bk, bprev = float(betas_np[k]), float(betas_np[k - 1])
        x = torch.addmm(c, v, W)
        step = (bk - bprev) * (v @ db) + F.softplus(bk * x).sum(-1) - F.softplus(bprev * x).sum(-1)
        logw += step.double()
        if k < len(betas_np) - 1:   # move v with a Gibbs step that leaves p_k invariant
            h = bernoulli(torch.sigmoid(bk * x), generator=generator)
            v = bernoulli(torch.sigmoid(torch.addmm(bA + bk * db, h, W.T, alpha=bk)), generator=generator)
    lw = logw.cpu().numpy()
    m = lw.max()
    w = np.exp(lw - m)
    mean, se = w.mean(), w.std(ddof=1) / math.sqrt(len(w))
    log_mean = m + math.log(mean)
    low = m + math.log(mean - 3 * se) if mean - 3 * se > 0 else float("nan")
    high = m + math.log(mean + 3 * se)
    return AISEstimate(float(log_z_base + log_mean), float(log_z_base + low), float(log_z_base + high), lw,
                       float(log_z_base))


@torch.no_grad()
def log_likelihood(model: RBM, data, log_z: float | AISEstimate, batch_size: int = 2000) -> float:
    """Average log p(v) = -F(v) - log Z over the rows of ``data``, in nats."""
    X = model._v(data, "data")
    if X.ndim == 1:
        X = X[None]
    total = sum(float(model.free_energy(X[i:i + batch_size]).double().sum()) for i in range(0, len(X), batch_size))
    return -total / len(X) - float(log_z)


def base_rate_log_likelihood(train, test, eps: float = 1e-3) -> float:
    """Average log-likelihood (nats) of ``test`` under independent pixels fitted to ``train``:
    the RBM with W = 0 and b = base_rate_bias(train) (the start of training, and AIS's base model)."""
    b = base_rate_bias(train, eps).double()
    X = as_binary(test, b.shape[0], "test").double()
    if X.ndim == 1:
        X = X[None]
    return float((X @ b - F.softplus(b).sum()).mean())


# ----------------------------------------------------------------------------- monitoring

@torch.no_grad()
def reconstruction_error(model: RBM, data) -> float:
    """Mean over rows of ||v - p(v | h = p(h|v))||^2 (mean-field reconstruction, no sampling)."""
    v = model._v(data, "data")
    ph = torch.sigmoid(v @ model.W + model.c)
    pv = torch.sigmoid(ph @ model.W.T + model.b)
    return float(((v - pv) ** 2).sum(-1).mean())


@torch.no_grad()
def pseudo_log_likelihood(model: RBM, data, exact: bool = False, generator: torch.Generator | None = None,
                          chunk: int = 64) -> float:
    """Average pseudo-log-likelihood sum_i log p(v_i | v_-i) = sum_i log sigmoid(F(v with i flipped) - F(v)).

    ``exact`` sums all D terms (cost D free energies per row, computed in chunks of units);
    otherwise one unit i per row is drawn at random and D log sigmoid(...) is the unbiased
    estimate (as scikit-learn's BernoulliRBM.score_samples does).
    """
    v = model._v(data, "data")
    if v.ndim == 1:
        v = v[None]
    D = model.n_visible
    x = v @ model.W + model.c
    fe = -(v @ model.b) - F.softplus(x).sum(-1)
    sign = 1 - 2 * v                                   # +1 where v_i = 0 (flip to 1), -1 where v_i = 1
    if not exact:
        i = torch.randint(0, D, (len(v),), generator=generator, device=_gen_device(generator, model)).to(v.device)
        s = sign[torch.arange(len(v)), i]
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


@torch.no_grad()
def hidden_activity(model: RBM, data, low: float = 0.01, high: float = 0.99) -> dict:
    """Mean p(h_j = 1 | v) over ``data`` for each hidden unit, and counts of dead (mean < low)
    and saturated (mean > high) units: ``{"mean": (H,) array, "dead": int, "saturated": int}``."""
    p = torch.sigmoid(model._v(data, "data") @ model.W + model.c)
    mean = p.reshape(-1, model.n_hidden).mean(0).cpu().numpy()
    return {"mean": mean, "dead": int((mean < low).sum()), "saturated": int((mean > high).sum())}


@torch.no_grad()
def weight_stats(model: RBM) -> dict:
    """Summary numbers of the parameters: mean and std of W, max |W|, mean visible and hidden bias."""
    W = model.W.data
    return {"W_mean": float(W.mean()), "W_std": float(W.std()), "W_absmax": float(W.abs().max()),
            "b_mean": float(model.b.mean()), "c_mean": float(model.c.mean())}


@torch.no_grad()
def gibbs_frames(model: RBM, v0, record_at: Sequence[int], generator: torch.Generator | None = None) -> torch.Tensor:
    """p(v | h) after each number of Gibbs steps in ``record_at`` (increasing, >= 1), from ``v0`` (B, D).

    Returns (len(record_at), B, D) probabilities: the sample viewer shows them as images.
    The chain is one run: step t's frame continues from step t-1's binary sample.
    """
    steps = [int(s) for s in record_at]
    if not steps or steps[0] < 1 or any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
        raise ValueError(f"record_at must be increasing Gibbs step counts >= 1, got {list(record_at)}")
    v = model._v(v0, "v0")
    if v.ndim == 1:
        v = v[None]
    frames, t = [], 0
    for target in steps:
        while t < target:
            _, h = model.sample_h(v, generator)
            pv, v = model.sample_v(h, generator)
            t += 1
        frames.append(pv)
    return torch.stack(frames)
