"""Hidden cases for chapter 07 (attention)."""

from __future__ import annotations

import numpy as np
import torch

from course_lib import attention
from course_lib.checks._core import expect, expect_match, rng_for
from course_lib.checks.ch07 import _mask_causes, _mha, _np, _pair, _t, _update


def hopfield_update(fn):
    rng = rng_for("hopfield_update", 100)

    def one_pattern():
        X, xi = _t(rng, 1, 4), _t(rng, 4)
        expect_match(_np(fn(xi, X, 2.0)), _np(X[0]), "with one stored pattern the step returns that pattern")

    def sharp_batch():
        X, S = _t(rng, 9, 6), _t(rng, 5, 6)
        got = _np(fn(S, X, 60.0))
        expect(np.all(np.isfinite(got)), "NaN or inf at beta = 60: subtract the largest score before exp")
        expect_match(got, _np(_update(S, X, 60.0)), "wrong for a batch at beta = 60")

    return [("hidden: one pattern", one_pattern), ("hidden: sharp batch", sharp_batch)]


def masked_attention(fn):
    rng = rng_for("masked_attention", 100)

    def single_key_each():
        q, k, v = _t(rng, 4, 3), _t(rng, 4, 3), _t(rng, 4, 2)
        mask = torch.eye(4, dtype=torch.bool)
        out, w = _pair(fn(q, k, v, mask), "masked_attention")
        expect(tuple(np.shape(_np(w))) == (4, 4), f"weights should be (4, 4), got {tuple(np.shape(_np(w)))}")
        _mask_causes(_np(w), mask, "one allowed key per query")
        expect_match(_np(out), _np(v), "with one allowed key per query, the output is that key's value")

    def one_dimensional_keys():
        q, k, v = _t(rng, 2, 1), _t(rng, 6, 1), _t(rng, 6, 3)
        mask = torch.ones(2, 6, dtype=torch.bool)
        out, w = _pair(fn(q, k, v, mask), "masked_attention")
        ref_out, ref_w = attention.hopfield_attention(q, k, v, mask=mask)
        expect_match(_np(w), _np(ref_w), "wrong weights for d_k = 1")
        expect_match(_np(out), _np(ref_out), "wrong output for d_k = 1")

    return [("hidden: one key per query", single_key_each), ("hidden: d_k = 1", one_dimensional_keys)]


def attention_head(fn):
    rng = rng_for("attention_head", 100)

    def middle_of_three():
        mha = _mha(rng, 9, 3)
        q, k, v = _t(rng, 2, 4, 9), _t(rng, 2, 5, 9), _t(rng, 2, 5, 9)
        with torch.no_grad():
            out, w = _pair(fn(q, k, v, mha.in_proj_weight, mha.in_proj_bias, 3, 1), "attention_head")
            _, torch_w = mha(q, k, v, average_attn_weights=False)
        expect_match(_np(w), _np(torch_w[:, 1]), "head 1 of 3: weights differ from nn.MultiheadAttention's")

    return [("hidden: head 1 of 3", middle_of_three)]


def multihead_attention(fn):
    rng = rng_for("multihead_attention", 100)

    def mostly_padded():
        mha = _mha(rng, 6, 2)
        q, k, v = _t(rng, 2, 3, 6), _t(rng, 2, 4, 6), _t(rng, 2, 4, 6)
        pad = torch.ones(2, 4, dtype=torch.bool)
        pad[:, 0] = False
        with torch.no_grad():
            want, want_w = mha(q, k, v, key_padding_mask=pad)
            got = fn(q, k, v, mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight, mha.out_proj.bias, 2,
                     key_padding_mask=pad)
        out, w = _pair(got, "multihead_attention")
        expect_match(_np(w), _np(want_w), "with only the first key unpadded, all weight goes to it")
        expect_match(_np(out), _np(want), "right weights, wrong output with heavy padding")

    def many_heads():
        mha = _mha(rng, 12, 6)
        x = _t(rng, 1, 5, 12)
        with torch.no_grad():
            want, _ = mha(x, x, x)
            got = fn(x, x, x, mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight, mha.out_proj.bias, 6)
        expect_match(_np(_pair(got, "multihead_attention")[0]), _np(want), "wrong output with six heads of size 2")

    return [("hidden: heavy padding", mostly_padded), ("hidden: six heads", many_heads)]

def previous_token_projections(fn):
    rng = rng_for("previous_token_projections", 100)

    def long_sequence():
        L, d = 32, 3
        out = fn(L, d)
        expect(isinstance(out, (tuple, list)) and len(out) == 2, "return a pair (W_q, W_k)")
        W_q, W_k = (torch.as_tensor(np.asarray(_np(w)), dtype=torch.float64) for w in out)
        expect(W_q.shape[-1] == d + L and W_k.shape[-1] == d + L, "W_q and W_k act on tokens of d_content + L")
        content = _t(rng, 2, L, d) * 5
        x = torch.cat([content, torch.eye(L, dtype=torch.float64).expand(2, L, L)], dim=-1)
        _, w = attention.hopfield_attention(x @ W_q.T, x @ W_k.T, x, mask=torch.ones(L, L, dtype=torch.bool).tril())
        prev = _np(w)[:, np.arange(1, L), np.arange(0, L - 1)]
        expect(np.all(np.isfinite(prev)) and prev.min() >= 0.9, "L = 32: weight on the previous token below 0.9")

    return [("hidden: 32 tokens", long_sequence)]


def score_spread(fn):
    def cases():
        for d in (1, 512):
            expect_match(float(_np(fn(d))), np.sqrt(d), f"wrong prediction for d_k = {d}")

    return [("hidden: d_k = 1 and 512", cases)]


HIDDEN = {"hopfield_update": hopfield_update, "masked_attention": masked_attention, "attention_head": attention_head,
          "multihead_attention": multihead_attention,
          "previous_token_projections": previous_token_projections,
          "score_spread": score_spread}
