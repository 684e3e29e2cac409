"""Attention as the modern Hopfield update, in torch.

The modern Hopfield network (Ramsauer et al., 2020) stores patterns as the columns of X and
updates a state xi by one step of

    xi  <-  X softmax(beta X^T xi).

With separate keys K (what the state is compared with) and values V (what is read out), one
step for a batch of states (queries) Q is ``softmax(beta Q K^T + mask) V``: scaled dot-product
attention with beta = 1/sqrt(d_k). :func:`hopfield_attention` is that step (with keys = values =
the stored patterns it is exactly chapter 06's ``course_lib.modern.modern_update``, in torch),
:class:`HopfieldMultiheadAttention` a drop-in twin of ``torch.nn.MultiheadAttention`` built on it,
and :class:`HopfieldPooling` a learned query retrieving from a set.

Shapes: patterns and keys are rows, ``(..., M, d)``; states and queries ``(..., L, d)``.
Masks follow ``torch.nn.functional.scaled_dot_product_attention``: a boolean mask is True
where a query MAY attend; a float mask is added to the scores. (``nn.MultiheadAttention``
uses the opposite convention for boolean masks, True = blocked; the module converts.)

The module also holds the pure functions behind the chapter's analyses: attention weights
across beta (the widget), head statistics (Ramsauer et al.'s classes of heads) and the
random-features experiment of Kalaj et al. (2024), whose network is chapter 02's Hebb rule and
chapter 03's dynamics (``course_lib.hopfield``).

Torch code here takes and returns tensors; the analyses take and return NumPy arrays. Randomness
follows ``course_lib.core``: ``rng`` is None (fresh), an int seed or a generator.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .core import as_beta, as_count, as_finite, as_positive, as_probability, as_rng, as_spins, softmax, torch_generator
from .utils import get_device

__all__ = [
    "hopfield_attention", "causal_mask", "HopfieldMultiheadAttention",
    "HopfieldPooling", "attention_weights_over_beta", "softmax_entropy", "mass_count", "head_classes",
    "random_feature_examples", "mix_features", "recall_batch",
    "RecallModel", "train_recall", "RowsClassifier", "train_classifier",
]


# --------------------------------------------------------------------------- the Hopfield step

def _device(device):
    """None stays None (the caller's default); anything else goes through utils.get_device, so an
    unavailable device gets the same message everywhere."""
    return None if device is None else get_device(device)


def _as_additive_mask(mask: Tensor | None, dtype: torch.dtype, name: str = "mask") -> Tensor | None:
    """A boolean mask (True = may attend) or a float mask (added) as an additive float mask."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise ValueError(f"{name} must be a torch tensor, got {type(mask).__name__}")
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(~mask, float("-inf"))
    if not mask.is_floating_point():
        raise ValueError(f"{name} must be boolean (True = may attend) or floating point (added), got {mask.dtype}")
    return mask.to(dtype)


def _blocked_to_additive(mask: Tensor | None, dtype: torch.dtype, name: str) -> Tensor | None:
    """nn.MultiheadAttention's masks: boolean True = blocked (may NOT attend), or floats added."""
    if mask is None or not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        return _as_additive_mask(mask, dtype, name)
    return _as_additive_mask(~mask, dtype, name)


def hopfield_attention(query: Tensor, keys: Tensor, values: Tensor, beta: float | None = None,
                       mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Retrieve from (keys, values) with the Hopfield update: ``(softmax(beta Q K^T + mask) V, weights)``.

    query ``(..., L, d_k)`` (or one state ``(d_k,)``), keys ``(..., S, d_k)``, values ``(..., S, d_v)``;
    leading dimensions broadcast. ``beta`` defaults to 1/sqrt(d_k), which makes this exactly
    scaled dot-product attention. ``mask`` broadcasts to ``(..., L, S)``: boolean True where a
    query may attend, or floats added to the scores (-inf blocks). Returns the output
    ``(..., L, d_v)`` and the attention weights ``(..., L, S)`` (rows sum to 1); a 1-D query
    gives ``(d_v,)`` and ``(S,)``. A query with no key left to attend to gets NaN (as in
    ``nn.MultiheadAttention``; ``F.scaled_dot_product_attention`` returns zeros there).
    Mixed float dtypes are promoted to the widest (float32 with float64 -> float64); ``beta`` may be
    any positive number, a NumPy scalar or a 0-d tensor. With keys = values = the stored patterns
    (rows) this is ``course_lib.modern.modern_update`` in torch.
    """
    for name, t in (("query", query), ("keys", keys), ("values", values)):
        if not isinstance(t, Tensor):
            raise ValueError(f"{name} must be a torch tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise ValueError(f"{name} must be a floating-point tensor, got {t.dtype}")
    if len({query.device, keys.device, values.device}) > 1:
        raise ValueError(f"query, keys and values must be on one device, got {query.device}, {keys.device} "
                         f"and {values.device}")
    dtype = torch.promote_types(torch.promote_types(query.dtype, keys.dtype), values.dtype)
    query, keys, values = query.to(dtype), keys.to(dtype), values.to(dtype)
    single = query.dim() == 1
    if single:
        query = query.unsqueeze(0)
    if keys.dim() < 2 or values.dim() < 2:
        raise ValueError(f"keys and values need shape (..., S, d), got {tuple(keys.shape)} and {tuple(values.shape)}")
    if query.shape[-1] != keys.shape[-1]:
        raise ValueError(f"query has d_k = {query.shape[-1]} but keys have d_k = {keys.shape[-1]}: "
                         "a query is compared with every key by a dot product")
    if keys.shape[-2] != values.shape[-2]:
        raise ValueError(f"{keys.shape[-2]} keys but {values.shape[-2]} values: each key needs one value")
    if keys.shape[-2] == 0:
        raise ValueError("keys must hold at least one key, shape (..., S, d) with S >= 1: nothing to retrieve")
    beta = 1.0 / math.sqrt(query.shape[-1]) if beta is None else as_beta(beta)
    scores = beta * (query @ keys.transpose(-2, -1))
    add = _as_additive_mask(mask, scores.dtype)
    if add is not None:
        try:
            scores = scores + add
        except RuntimeError:
            raise ValueError(f"mask of shape {tuple(add.shape)} does not broadcast to the scores' shape "
                             f"{tuple(scores.shape)} (..., L, S)") from None
    weights = torch.softmax(scores, dim=-1)
    out = weights @ values
    if single:
        return out.squeeze(-2), weights.squeeze(-2)
    return out, weights


def causal_mask(length: int, source_length: int | None = None, device=None) -> Tensor:
    """Boolean (L, S) mask, True where query i may attend to key j, i.e. j <= i (top-left aligned)."""
    length = as_count(length, "length")
    s = length if source_length is None else as_count(source_length, "source_length")
    return torch.ones(length, s, dtype=torch.bool, device=_device(device)).tril()


# --------------------------------------------------------------------------- the multi-head module

class HopfieldMultiheadAttention(nn.Module):
    """``torch.nn.MultiheadAttention``, rebuilt on :func:`hopfield_attention`.

    Same constructor, same parameter names (so ``load_state_dict`` of a torch module works,
    see :meth:`from_torch`), same forward arguments and outputs. Each head projects the
    queries to states Q = x W_Q, the keys to stored patterns K = y W_K and the values to
    read-out patterns V = z W_V, then does one Hopfield retrieval with beta = 1/sqrt(d_head);
    the heads are concatenated and projected by ``out_proj``.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None):
        super().__init__()
        embed_dim, num_heads = as_count(embed_dim, "embed_dim"), as_count(num_heads, "num_heads")
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim = {embed_dim} is not divisible by num_heads = {num_heads}")
        if as_probability(dropout, "dropout") == 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        factory = {"device": _device(device), "dtype": dtype}
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, float(dropout)
        self.head_dim = embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first, self.add_zero_attn = batch_first, add_zero_attn
        if self._qkv_same_embed_dim:
            self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim, **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = nn.Parameter(torch.empty(embed_dim, embed_dim, **factory))
            self.k_proj_weight = nn.Parameter(torch.empty(embed_dim, self.kdim, **factory))
            self.v_proj_weight = nn.Parameter(torch.empty(embed_dim, self.vdim, **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = nn.Parameter(torch.empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = nn.Parameter(torch.empty(1, 1, embed_dim, **factory))
            self.bias_v = nn.Parameter(torch.empty(1, 1, embed_dim, **factory))
        else:
            self.bias_k = self.bias_v = None
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """The same initialisation as torch: Xavier-uniform projections, zero biases."""
        if self._qkv_same_embed_dim:
            nn.init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                nn.init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                nn.init.xavier_normal_(b)

    @classmethod
    def from_torch(cls, mha: nn.MultiheadAttention) -> HopfieldMultiheadAttention:
        """A Hopfield twin of ``mha``: same configuration, a copy of its weights, same train/eval mode."""
        if not isinstance(mha, nn.MultiheadAttention):
            raise ValueError(f"from_torch needs a torch.nn.MultiheadAttention, got {type(mha).__name__}")
        p = next(mha.parameters())
        twin = cls(mha.embed_dim, mha.num_heads, dropout=mha.dropout, bias=mha.in_proj_bias is not None,
                   add_bias_kv=mha.bias_k is not None, add_zero_attn=mha.add_zero_attn, kdim=mha.kdim,
                   vdim=mha.vdim, batch_first=mha.batch_first, device=p.device, dtype=p.dtype)
        twin.load_state_dict(mha.state_dict())
        return twin.train(mha.training)

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w_q, w_k, w_v = self.in_proj_weight.split(e)
        else:
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        b_q = b_k = b_v = None
        if self.in_proj_bias is not None:
            b_q, b_k, b_v = self.in_proj_bias.split(e)
        return F.linear(query, w_q, b_q), F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = True, attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        """As ``nn.MultiheadAttention.forward``: returns ``(output, weights or None)``.

        Boolean masks here follow torch's MultiheadAttention: True = may NOT attend. ``attn_mask`` is
        ``(L, S)`` or ``(B * num_heads, L, S)``; ``key_padding_mask`` is ``(B, S)`` (or ``(S,)`` unbatched).
        ``is_causal`` with no ``attn_mask`` builds the causal mask (torch raises there instead).
        """
        batched = query.dim() == 3
        if query.dim() not in (2, 3) or key.dim() != query.dim() or value.dim() != query.dim():
            raise ValueError(f"query, key and value must all be 3-D (batched) or all 2-D (unbatched), got "
                             f"{tuple(query.shape)}, {tuple(key.shape)}, {tuple(value.shape)}")
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        # now (B, L, E) and (B, S, E_k), (B, S, E_v)
        bsz, tgt_len, e = query.shape
        if e != self.embed_dim:
            raise ValueError(f"query has embedding size {e}, the module expects embed_dim = {self.embed_dim}")
        if key.shape[-1] != self.kdim or value.shape[-1] != self.vdim:
            raise ValueError(f"key/value sizes {key.shape[-1]}/{value.shape[-1]} differ from kdim/vdim = "
                             f"{self.kdim}/{self.vdim}")
        if key.shape[:2] != value.shape[:2] or key.shape[0] != bsz:
            raise ValueError(f"key {tuple(key.shape)} and value {tuple(value.shape)} must share batch and "
                             "sequence sizes with each other and the batch size with the query")
        if is_causal and attn_mask is None:
            attn_mask = ~causal_mask(tgt_len, key.shape[1], device=query.device)
        q, k, v = self._project(query, key, value)
        h, dh = self.num_heads, self.head_dim
        mask = _blocked_to_additive(attn_mask, q.dtype, "attn_mask")
        pad = _blocked_to_additive(key_padding_mask, q.dtype, "key_padding_mask")
        if self.bias_k is not None:
            k = torch.cat([k, self.bias_k.expand(bsz, 1, e)], dim=1)
            v = torch.cat([v, self.bias_v.expand(bsz, 1, e)], dim=1)
            mask = None if mask is None else F.pad(mask, (0, 1))
            pad = None if pad is None else F.pad(pad, (0, 1))
        # split heads: (B, H, L, dh)
        q = q.view(bsz, tgt_len, h, dh).transpose(1, 2)
        k = k.view(bsz, -1, h, dh).transpose(1, 2)
        v = v.view(bsz, -1, h, dh).transpose(1, 2)
        if self.add_zero_attn:
            k = torch.cat([k, k.new_zeros(bsz, h, 1, dh)], dim=2)
            v = torch.cat([v, v.new_zeros(bsz, h, 1, dh)], dim=2)
            mask = None if mask is None else F.pad(mask, (0, 1))
            pad = None if pad is None else F.pad(pad, (0, 1))
        src_len = k.shape[2]
        total = None
        if mask is not None:
            if mask.dim() == 2:
                if mask.shape != (tgt_len, src_len):
                    raise ValueError(f"2-D attn_mask must be (L, S) = {(tgt_len, src_len)}, got {tuple(mask.shape)}")
            elif mask.dim() == 3 and mask.shape == (bsz * h, tgt_len, src_len):
                mask = mask.view(bsz, h, tgt_len, src_len)
            else:
                raise ValueError(f"attn_mask must be (L, S) or (B*num_heads, L, S) = {(bsz * h, tgt_len, src_len)}, "
                                 f"got {tuple(mask.shape)}")
            total = mask
        if pad is not None:
            if pad.shape != (bsz, src_len):
                raise ValueError(f"key_padding_mask must be (B, S) = {(bsz, src_len)}, got {tuple(pad.shape)}")
            pad = pad.view(bsz, 1, 1, src_len)
            total = pad if total is None else total + pad
        out, weights = self._retrieve(q, k, v, total)
        out = out.transpose(1, 2).reshape(bsz, tgt_len, e)
        out = self.out_proj(out)
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        return out, (weights.squeeze(0) if not batched else weights)

    def _retrieve(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        """One Hopfield retrieval per head, with dropout on the weights in training mode."""
        if not (self.training and self.dropout > 0):
            return hopfield_attention(q, k, v, beta=1.0 / math.sqrt(self.head_dim), mask=mask)
        _, weights = hopfield_attention(q, k, v, beta=1.0 / math.sqrt(self.head_dim), mask=mask)
        weights = F.dropout(weights, p=self.dropout, training=True)
        return weights @ v, weights


class HopfieldPooling(nn.Module):
    """A learned query (or several) retrieving from a set: ``(B, S, E) -> (B, num_queries, E)``.

    The queries are parameters: each is a state that the Hopfield step sends towards the
    stored patterns (the set's projected elements) it is most similar to. With
    ``num_queries = 1`` this pools a set of any size into one vector; padding is masked with
    ``key_padding_mask`` (B, S), True = padding. Inputs are batch-first.
    """

    def __init__(self, embed_dim: int, num_heads: int = 1, num_queries: int = 1, dropout: float = 0.0,
                 device=None, dtype=None):
        super().__init__()
        num_queries = as_count(num_queries, "num_queries")
        device = _device(device)
        self.attention = HopfieldMultiheadAttention(embed_dim, num_heads, dropout=dropout, batch_first=True,
                                                    device=device, dtype=dtype)
        self.query = nn.Parameter(torch.randn(1, num_queries, embed_dim, device=device, dtype=dtype)
                                  / math.sqrt(embed_dim))

    def forward(self, x: Tensor, key_padding_mask: Tensor | None = None,
                need_weights: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        if x.dim() != 3 or x.shape[-1] != self.query.shape[-1]:
            raise ValueError(f"HopfieldPooling expects a batch of sets (B, S, {self.query.shape[-1]}), "
                             f"got {tuple(x.shape)}")
        query = self.query.expand(x.shape[0], -1, -1)
        out, weights = self.attention(query, x, x, key_padding_mask=key_padding_mask, need_weights=need_weights,
                                      average_attn_weights=False)
        return (out, weights) if need_weights else out


# --------------------------------------------------------------------------- analyses (pure functions)

def attention_weights_over_beta(query, keys, betas) -> np.ndarray:
    """Softmax weights of one query over the keys, for each beta: ``(len(betas), S)``.

    query ``(d,)``, keys ``(S, d)``; row b is softmax(beta_b K q). Small beta spreads the weight
    evenly (1/S each); large beta puts it all on the key(s) most similar to the query.
    """
    q, k = as_finite(query, "query"), as_finite(keys, "keys")
    b = np.atleast_1d(as_finite(betas, "betas"))
    if q.ndim != 1 or k.ndim != 2 or k.shape[1] != q.shape[0] or k.shape[0] == 0:
        raise ValueError(f"query must be (d,) and keys (S, d) with the same d and S >= 1, got {q.shape} and {k.shape}")
    if b.ndim != 1 or np.any(b < 0):
        raise ValueError("betas must be a 1-D array of non-negative finite numbers")
    return softmax(b[:, None] * (k @ q)[None, :])


def _weights(weights) -> np.ndarray:
    p = as_finite(weights, "weights")
    if p.ndim < 1 or p.shape[-1] == 0 or np.any(p < -1e-12) or not np.allclose(p.sum(axis=-1), 1.0, atol=1e-6):
        raise ValueError("weights must be non-negative, shape (..., S) with S >= 1, and each row must sum to 1")
    return p


def softmax_entropy(weights) -> np.ndarray:
    """Entropy -sum_j p_j log p_j (nats) of each row of attention weights ``(..., S)``; 0 log 0 = 0."""
    p = _weights(weights)
    logp = np.log(np.where(p > 0, p, 1.0))
    return -(p * logp).sum(axis=-1)


def mass_count(weights, mass: float = 0.9) -> np.ndarray:
    """How many of the largest weights of each row it takes to reach ``mass`` of the total: ``(...)`` ints.

    Ramsauer et al. (2020, sec. 3) sort each softmax and count the keys needed to cover 90 %:
    k = 1 means retrieval of a single token, k close to S a global average, in between a
    metastable state (an average over a subset of similar patterns).
    """
    if as_probability(mass, "mass") == 0.0:
        raise ValueError(f"mass must be in (0, 1], got {mass}")
    p = _weights(weights)
    cum = np.cumsum(-np.sort(-p, axis=-1), axis=-1)
    return (cum < mass - 1e-12).sum(axis=-1) + 1


def head_classes(counts, n_keys: int) -> list[str]:
    """Name each head by its median 90 % count k: 'single token' (k = 1), 'global average' (k >= n_keys / 2),
    else 'metastable'. ``counts`` is ``(H, ...)``: one row of counts per head."""
    c = as_finite(counts, "counts")
    n_keys = as_count(n_keys, "n_keys")
    if c.ndim < 1 or c.shape[0] == 0 or c.size == 0:
        raise ValueError(f"counts must be a non-empty array (H, ...), one row per head, got shape {c.shape}")
    med = np.median(c.reshape(c.shape[0], -1), axis=1)
    return ["single token" if m <= 1 else "global average" if m >= n_keys / 2 else "metastable" for m in med]


# --------------------------------------------------------------------------- Kalaj et al. (2024)

def random_feature_examples(n: int, n_features: int, n_examples: int, n_mix: int,
                            rng=None) -> tuple[np.ndarray, np.ndarray]:
    """``n_features`` random +-1 features f_k (D, N) and examples x = sign(sum of n_mix features, random signs).

    Returns ``(features (D, N), examples (P, N))``. Each example mixes ``n_mix`` distinct features
    (odd, so the sign is never 0), the setting of Kalaj et al. (2024).
    """
    n, n_features = as_count(n, "n"), as_count(n_features, "n_features")
    n_examples = as_count(n_examples, "n_examples")
    rng = as_rng(rng)
    features = rng.choice(np.array([-1.0, 1.0]), size=(n_features, n))
    return features, mix_features(features, n_examples, n_mix, rng)


def mix_features(features, n_examples: int, n_mix: int, rng=None) -> np.ndarray:
    """``n_examples`` new examples sign(sum_k c_k f_k), each with ``n_mix`` distinct features and random signs c_k."""
    features = as_spins(features, name="features")
    features = features[None, :] if features.ndim == 1 else features
    d = features.shape[0]
    n_examples, n_mix = as_count(n_examples, "n_examples"), as_count(n_mix, "n_mix")
    if n_mix % 2 == 0 or n_mix > d:
        raise ValueError(f"n_mix must be odd and at most the number of features {d}, got {n_mix}")
    rng = as_rng(rng)
    chosen = np.argsort(rng.random((n_examples, d)), axis=1)[:, :n_mix]
    coeff = np.zeros((n_examples, d))
    np.put_along_axis(coeff, chosen, rng.choice(np.array([-1.0, 1.0]), size=(n_examples, n_mix)), axis=1)
    return np.sign(coeff @ features)


# --------------------------------------------------------------------------- trained toy models

@contextmanager
def _one_cpu_thread(device) -> Iterator[None]:
    """Train tiny CPU models on one thread: their matrices are too small to gain from more, and on a
    shared machine extra threads mostly wait for each other. Restores the previous setting."""
    if torch.device(device if device is not None else "cpu").type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def recall_batch(batch_size: int, n_pairs: int, n_keys: int, n_values: int,
                 rng=None, device=None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Associative recall: ``n_pairs`` (key, value) pairs with distinct keys, and one of the keys as the query.

    Returns ``(keys (B, n_pairs), values (B, n_pairs), query (B,), target (B,))`` of int64 symbols;
    the target is the value paired with the query's key. Drawn on the CPU from ``rng`` (None, a seed
    or a CPU torch.Generator), then moved to ``device``.
    """
    batch_size, n_pairs = as_count(batch_size, "batch_size"), as_count(n_pairs, "n_pairs")
    n_keys, n_values = as_count(n_keys, "n_keys"), as_count(n_values, "n_values")
    if n_pairs > n_keys:
        raise ValueError(f"n_pairs = {n_pairs} pairs need distinct keys, but there are only n_keys = {n_keys}")
    generator = torch_generator(rng, "cpu")
    device = _device(device)
    keys = torch.argsort(torch.rand(batch_size, n_keys, generator=generator), dim=1)[:, :n_pairs]
    values = torch.randint(n_values, (batch_size, n_pairs), generator=generator)
    which = torch.randint(n_pairs, (batch_size,), generator=generator)
    rows = torch.arange(batch_size)
    out = keys, values, keys[rows, which], values[rows, which]
    return tuple(t.to(device) for t in out) if device is not None else out


class RecallModel(nn.Module):
    """One attention layer doing associative recall: memory tokens e_k(key) + e_v(value), the query
    token e_k(query key), a :class:`HopfieldMultiheadAttention` retrieval, a linear read-out to the values."""

    def __init__(self, n_keys: int, n_values: int, dim: int = 32, num_heads: int = 4):
        super().__init__()
        self.key_embedding = nn.Embedding(n_keys, dim)
        self.value_embedding = nn.Embedding(n_values, dim)
        self.attention = HopfieldMultiheadAttention(dim, num_heads, batch_first=True)
        self.readout = nn.Linear(dim, n_values)

    def forward(self, keys: Tensor, values: Tensor, query: Tensor,
                need_weights: bool = False) -> tuple[Tensor, Tensor | None]:
        """Logits over the values (B, n_values) and, if asked, each head's weights (B, H, 1, n_pairs)."""
        memory = self.key_embedding(keys) + self.value_embedding(values)
        state = self.key_embedding(query)[:, None, :]
        out, weights = self.attention(state, memory, memory, need_weights=need_weights, average_attn_weights=False)
        return self.readout(out[:, 0]), weights

    def head_scores(self, keys: Tensor, values: Tensor, query: Tensor) -> tuple[Tensor, Tensor]:
        """Each head's projected query and keys, ``(B, H, d_head)`` and ``(B, H, n_pairs, d_head)``."""
        att = self.attention
        memory = self.key_embedding(keys) + self.value_embedding(values)
        q, k, _ = att._project(self.key_embedding(query), memory, memory)
        b, h, dh = q.shape[0], att.num_heads, att.head_dim
        return q.view(b, h, dh), k.view(b, -1, h, dh).transpose(1, 2)


def train_recall(model: RecallModel, steps: int, batch_size: int = 128, n_pairs: int = 8, lr: float = 3e-3,
                 rng=None, device=None) -> list[float]:
    """Adam on the cross-entropy of recall batches (drawn on the CPU from ``rng``); the loss of each step."""
    steps, lr = as_count(steps, "steps"), as_positive(lr, "lr")
    generator = torch_generator(rng, "cpu")
    device = _device(device)
    n_keys, n_values = model.key_embedding.num_embeddings, model.value_embedding.num_embeddings
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    with _one_cpu_thread(device):
        for _ in range(steps):
            k, v, q, y = recall_batch(batch_size, n_pairs, n_keys, n_values, generator, device)
            loss = F.cross_entropy(model(k, v, q)[0], y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


class RowsClassifier(nn.Module):
    """MNIST as a set of 28 rows: a small MLP embeds each row (plus a learned position), a
    :class:`HopfieldPooling` query retrieves from the set, a linear layer reads out the class."""

    def __init__(self, dim: int = 32, num_heads: int = 4, n_classes: int = 10, row_size: int = 28, n_rows: int = 28):
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(row_size, dim), nn.GELU(), nn.Linear(dim, dim))
        self.position = nn.Parameter(0.1 * torch.randn(n_rows, dim))
        self.pool = HopfieldPooling(dim, num_heads)
        self.readout = nn.Linear(dim, n_classes)

    def forward(self, images: Tensor, need_weights: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """Logits (B, n_classes) for images (B, 28, 28) with pixels in [0, 1]; optionally the pooling weights."""
        tokens = self.embed(images) + self.position
        if need_weights:
            pooled, weights = self.pool(tokens, need_weights=True)
            return self.readout(pooled[:, 0]), weights
        return self.readout(self.pool(tokens)[:, 0])


def train_classifier(model: nn.Module, inputs: Tensor, labels: Tensor, epochs: int, batch_size: int = 100,
                     lr: float = 3e-3, rng=None) -> list[float]:
    """Adam on the cross-entropy, mini-batches shuffled (on the CPU) by ``rng``; the mean loss of each epoch."""
    if len(inputs) != len(labels) or len(inputs) == 0:
        raise ValueError(f"inputs and labels must be non-empty and of the same length, got {len(inputs)} and "
                         f"{len(labels)}")
    epochs, batch_size, lr = as_count(epochs, "epochs"), as_count(batch_size, "batch_size"), as_positive(lr, "lr")
    generator = torch_generator(rng, "cpu")
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    history = []
    with _one_cpu_thread(inputs.device):
        for _ in range(epochs):
            perm = torch.randperm(len(inputs), generator=generator).to(inputs.device)
            total = 0.0
            for start in range(0, len(inputs), batch_size):
                idx = perm[start:start + batch_size]
                loss = F.cross_entropy(model(inputs[idx]), labels[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            history.append(total / len(inputs))
    return history
