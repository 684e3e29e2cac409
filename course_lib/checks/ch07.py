"""Checks for chapter 07 (attention is the modern Hopfield update).

The learner writes torch code. Answers that call PyTorch's own attention
(``scaled_dot_product_attention``, ``multi_head_attention_forward``, ``nn.MultiheadAttention``)
or course_lib earn nothing: the exercises ask for the Hopfield step written out.
"""

from __future__ import annotations

import types

import numpy as np
import torch
from torch import nn

from .. import attention
from ._core import CheckFailed, CheckResult, expect, expect_close, grading, own_work, rng_for, run_cases

_FORBIDDEN = ("scaled_dot_product_attention", "multi_head_attention_forward", "MultiheadAttention",
              "HopfieldMultiheadAttention", "hopfield_attention")


def _torch_attention_refs(fn) -> list[str]:
    """Names of ready-made attention that ``fn``, or a helper of the learner's it calls, uses."""
    found: set[str] = set()
    seen: set[int] = set()

    def learner_function(obj) -> bool:
        return isinstance(obj, types.FunctionType) and not (obj.__module__ or "").startswith(("course_lib", "torch"))

    def visit_code(code: types.CodeType, glb: dict) -> None:
        if id(code) in seen:
            return
        seen.add(id(code))
        for name in code.co_names:
            if name in _FORBIDDEN and not learner_function(glb.get(name)):
                found.add(name)
            if learner_function(glb.get(name)):
                visit_function(glb[name])
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                visit_code(const, glb)

    def visit_function(f: types.FunctionType) -> None:
        visit_code(f.__code__, f.__globals__)
        for cell in f.__closure__ or ():
            try:
                obj = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if learner_function(obj):
                visit_function(obj)

    if isinstance(fn, types.FunctionType):
        visit_function(fn)
    return sorted(found)


def _own_attention(exercise: str, fn, library_twin=None) -> None:
    if grading():  # the grader screens the answer's source itself
        return
    own_work(exercise, fn, library_twin)
    used = _torch_attention_refs(fn)
    if used:
        raise CheckFailed(exercise, 0, 1, [
            f"your answer uses {', '.join(used)}: the exercise asks you to write the softmax retrieval "
            "yourself with torch tensor operations, so a call to a ready-made attention earns nothing"])


def _update(xi, X, beta):
    """The reference: the library's Hopfield step with keys = values = the stored patterns (rows of X)."""
    return attention.hopfield_attention(xi, X, X, beta)[0]


def _np(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def _t(rng: np.random.Generator, *shape: int, dtype=torch.float64) -> torch.Tensor:
    return torch.tensor(rng.normal(size=shape), dtype=dtype)


def _pair(result, exercise: str):
    expect(isinstance(result, tuple) and len(result) == 2,
           f"{exercise} should return a pair (output, weights), got {type(result).__name__}")
    return result


# --------------------------------------------------------------------------- exercise 1

def hopfield_update(fn) -> CheckResult:
    """The learner's ``hopfield_update(xi, X, beta)``: one step xi <- X^T softmax(beta X xi), X as rows."""
    rng = rng_for("hopfield_update")

    def single():
        X, xi = _t(rng, 6, 5), _t(rng, 5)
        got = fn(xi, X, 0.7)
        expect(tuple(np.shape(_np(got))) == (5,), f"one state (d,) = (5,) should give a state (5,), got "
               f"shape {tuple(np.shape(_np(got)))}: the new state is a weighted sum of the M patterns (rows of X)")
        expect_close(_np(got), _np(_update(xi, X, 0.7)),
                     "wrong new state: compute the similarities X xi, multiply by beta, softmax them over the "
                     "M patterns, then mix the patterns (rows of X) with those weights")

    def batch():
        X, S = _t(rng, 7, 4), _t(rng, 3, 4)
        got = _np(fn(S, X, 1.3))
        expect(got.shape == (3, 4), f"states as rows (B, d) = (3, 4) should give (3, 4), got {got.shape}")
        expect_close(got, _np(_update(S, X, 1.3)),
                     "single states may work but a batch is wrong: each state (row) needs its own softmax over "
                     "the patterns (softmax along the last axis of the (B, M) similarities)")

    def uses_beta():
        X, xi = _t(rng, 5, 3), _t(rng, 3)
        a, b = _np(fn(xi, X, 0.2)), _np(fn(xi, X, 3.0))
        expect(not np.allclose(a, b), "your answer ignores beta: it multiplies the similarities before the softmax")
        expect_close(b, _np(_update(xi, X, 3.0)), "wrong at beta = 3: beta scales X xi")

    def retrieval():
        X = torch.sign(_t(rng, 8, 40))
        xi = X[5].clone()
        xi[:6] *= -1
        got = _np(fn(xi, X, 1.0))
        expect(np.allclose(got, _np(X[5]), atol=1e-4),
               "with beta = 1 and binary patterns, one step from a damaged pattern should return the pattern "
               "itself: the softmax puts nearly all its weight on the most similar pattern")

    def small_beta():
        X, xi = _t(rng, 9, 4), _t(rng, 4)
        expect(np.allclose(_np(fn(xi, X, 1e-9)), _np(X.mean(0)), atol=1e-6),
               "at beta -> 0 every weight is 1/M, so the new state should be the mean of the patterns")

    def float32():
        X, xi = _t(rng, 4, 3, dtype=torch.float32), _t(rng, 3, dtype=torch.float32)
        got = fn(xi, X, 1.0)
        expect(isinstance(got, torch.Tensor), f"return a torch tensor, got {type(got).__name__}")
        expect_close(_np(got), _np(_update(xi, X, 1.0)), "wrong for float32 input",
                     rtol=1e-5, atol=1e-6)

    _own_attention("hopfield_update", fn, attention.hopfield_attention)
    return run_cases("hopfield_update", fn, [("one state", single), ("batch of states", batch), ("beta", uses_beta),
                                      ("retrieves a pattern", retrieval), ("small beta", small_beta),
                                      ("float32 tensors", float32)],
              library_twin=attention.hopfield_attention, forbidden=_FORBIDDEN)


# --------------------------------------------------------------------------- exercise 2

def _mask_causes(got_w: np.ndarray, mask: torch.Tensor, what: str) -> None:
    """Name the mask mistakes: the convention inverted, NaN rows, weight on blocked keys."""
    allowed = np.broadcast_to(mask.numpy(), got_w.shape)
    blocked = ~allowed
    finite = np.isfinite(got_w)
    expect(not (np.all(np.abs(np.where(finite, got_w, 0.0)[allowed]) < 1e-12) and np.any(blocked)),
           f"{what}: your weights are zero exactly where the mask is True: the mask convention is inverted "
           "(True means 'may attend', so block the scores where the mask is False)")
    expect(np.all(finite), f"{what}: some weights are NaN. A softmax over a row whose scores are all -inf "
           "gives NaN: are you blocking the keys the mask allows (True = may attend)? Every query here "
           "may attend to at least one key")
    expect(np.all(np.abs(got_w[blocked]) < 1e-12),
           f"{what}: a blocked key got non-zero weight. True in the mask means 'may attend'; "
           "put -inf into the blocked scores before the softmax")


def masked_attention(fn) -> CheckResult:
    """The learner's ``masked_attention(query, keys, values, mask)``; mask True = may attend."""
    rng = rng_for("masked_attention")

    def reference(q, k, v, mask):
        return attention.hopfield_attention(q, k, v, mask=mask)

    def compare(q, k, v, mask, what):
        out, w = _pair(fn(q, k, v, mask), "masked_attention")
        ref_out, ref_w = reference(q, k, v, mask)
        expect(tuple(np.shape(_np(w))) == tuple(ref_w.shape),
               f"weights should have shape (..., L, S) = {tuple(ref_w.shape)}, got {tuple(np.shape(_np(w)))}")
        got_w = _np(w)
        if mask is not None:
            _mask_causes(got_w, mask, what)
        expect(np.allclose(got_w.sum(-1), 1.0, atol=1e-6),
               f"{what}: each query's weights must sum to 1. Zeroing weights after the softmax leaves them "
               "unnormalised; mask the scores before it")
        expect_close(got_w, _np(ref_w), f"{what}: wrong weights. Scale the scores Q K^T by 1/sqrt(d_k)")
        expect_close(_np(out), _np(ref_out), f"{what}: right weights, wrong output: output = weights @ values")

    def all_true():
        q, k, v = _t(rng, 3, 4), _t(rng, 5, 4), _t(rng, 5, 2)
        compare(q, k, v, torch.ones(3, 5, dtype=torch.bool), "mask of all True (nothing blocked)")

    def causal():
        q, k, v = _t(rng, 6, 8), _t(rng, 6, 8), _t(rng, 6, 8)
        compare(q, k, v, torch.ones(6, 6, dtype=torch.bool).tril(), "causal mask")

    def padding():
        q, k, v = _t(rng, 2, 3, 4), _t(rng, 2, 5, 4), _t(rng, 2, 5, 3)
        mask = torch.tensor([[True, True, True, False, False], [True, True, True, True, False]])[:, None, :]
        compare(q, k, v, mask, "key padding mask (B, 1, S), broadcast over queries")

    def scale():
        q, k, v = _t(rng, 2, 16), _t(rng, 4, 16), _t(rng, 4, 16)
        compare(q, k, v, torch.ones(2, 4, dtype=torch.bool), "d_k = 16 (so beta = 1/4)")

    def heads():
        q, k, v = _t(rng, 2, 3, 4, 8), _t(rng, 2, 3, 4, 8), _t(rng, 2, 3, 4, 8)
        compare(q, k, v, torch.ones(4, 4, dtype=torch.bool).tril(), "batch and heads (B, H, L, d)")

    def against_torch():
        q, k, v = _t(rng, 4, 8), _t(rng, 7, 8), _t(rng, 7, 5)
        mask = torch.tensor(rng.random((4, 7)) > 0.4)
        mask[:, 0] = True
        out, w = _pair(fn(q, k, v, mask), "masked_attention")
        expect(tuple(np.shape(_np(w))) == (4, 7), f"weights should have shape (L, S) = (4, 7), got "
               f"{tuple(np.shape(_np(w)))}")
        _mask_causes(_np(w), mask, "random mask")
        want = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        expect_close(_np(out), _np(want), "your output differs from torch's scaled_dot_product_attention "
                     "with the same boolean mask (True = may attend)")

    _own_attention("masked_attention", fn, attention.hopfield_attention)
    return run_cases("masked_attention", fn, [("all True", all_true), ("causal", causal), ("padding", padding),
                                       ("scale", scale), ("batch and heads", heads),
                                       ("random mask vs torch", against_torch)],
              library_twin=attention.hopfield_attention, forbidden=_FORBIDDEN)


# --------------------------------------------------------------------------- exercise 3

def _mha(rng: np.random.Generator, embed: int, heads: int, bias: bool = True) -> nn.MultiheadAttention:
    """A torch module with weights drawn from ``rng`` (torch's global random state is left alone)."""
    with torch.random.fork_rng(devices=[]):
        mha = nn.MultiheadAttention(embed, heads, bias=bias, batch_first=True, dtype=torch.float64).eval()
    with torch.no_grad():
        for p in mha.parameters():
            p.copy_(torch.tensor(rng.normal(size=tuple(p.shape)) / np.sqrt(embed), dtype=p.dtype))
    return mha


def attention_head(fn) -> CheckResult:
    """The learner's ``attention_head(query, key, value, in_proj_weight, in_proj_bias, num_heads, head)``."""
    rng = rng_for("attention_head")

    def compare(embed, heads, head, B, L, S, what):
        mha = _mha(rng, embed, heads)
        q, k, v = _t(rng, B, L, embed), _t(rng, B, S, embed), _t(rng, B, S, embed)
        dh = embed // heads
        with torch.no_grad():
            out, w = _pair(fn(q, k, v, mha.in_proj_weight, mha.in_proj_bias, heads, head), "attention_head")
            # torch's layer with an identity output projection returns the heads' outputs side by side
            mha.out_proj.weight.copy_(torch.eye(embed, dtype=mha.out_proj.weight.dtype))
            mha.out_proj.bias.zero_()
            both, torch_w = mha(q, k, v, average_attn_weights=False)
            ref_out = both[..., head * dh:(head + 1) * dh]
        expect(tuple(np.shape(_np(out))) == (B, L, dh),
               f"{what}: one head's output should be (B, L, embed_dim / num_heads) = {(B, L, dh)}, "
               f"got {tuple(np.shape(_np(out)))}")
        expect_close(_np(w), _np(torch_w[:, head]),
                     f"{what}: your weights differ from nn.MultiheadAttention's head {head}. Take rows "
                     f"[head*d_h, (head+1)*d_h) of each third of in_proj_weight (W_q, W_k, W_v, each applied as "
                     "x @ W.T + b) and scale by 1/sqrt(d_h), the head's size, not embed_dim")
        expect_close(_np(out), _np(ref_out), f"{what}: right weights, wrong output: mix the head's projected "
                     "values (the third third of in_proj_weight)")

    _own_attention("attention_head", fn)
    return run_cases("attention_head", fn, [
        ("one head", lambda: compare(6, 1, 0, 2, 3, 4, "one head of one")),
        ("first of two heads", lambda: compare(8, 2, 0, 2, 3, 3, "head 0 of 2")),
        ("last of four heads", lambda: compare(12, 4, 3, 3, 2, 5, "head 3 of 4")),
        ("cross-attention", lambda: compare(8, 2, 1, 1, 4, 7, "L != S")),
    ], forbidden=_FORBIDDEN)


# --------------------------------------------------------------------------- exercise 4

def multihead_attention(fn) -> CheckResult:
    """The learner's ``multihead_attention(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight,
    out_proj_bias, num_heads, key_padding_mask=None)``, against ``nn.MultiheadAttention`` (batch_first)."""
    rng = rng_for("multihead_attention")

    def compare(embed, heads, B, L, S, what, pad=None, dtype=torch.float64):
        mha = _mha(rng, embed, heads).to(dtype)
        q, k, v = (_t(rng, B, n, embed, dtype=dtype) for n in (L, S, S))
        with torch.no_grad():
            want, want_w = mha(q, k, v, key_padding_mask=pad)
            got = fn(q, k, v, mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight, mha.out_proj.bias,
                     heads, key_padding_mask=pad)
        out, w = _pair(got, "multihead_attention")
        expect(tuple(np.shape(_np(out))) == (B, L, embed),
               f"{what}: the output should be (B, L, embed_dim) = {(B, L, embed)}, got {tuple(np.shape(_np(out)))}")
        expect(tuple(np.shape(_np(w))) == (B, L, S),
               f"{what}: the weights should be averaged over heads, (B, L, S) = {(B, L, S)}, "
               f"got {tuple(np.shape(_np(w)))}")
        tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == torch.float32 else {}
        expect_close(_np(w), _np(want_w), f"{what}: the averaged weights differ from nn.MultiheadAttention: "
                     "split the projections into heads of size embed_dim / num_heads, scale each by "
                     "1/sqrt(head size), then average the heads' weights", **tol)
        expect_close(_np(out), _np(want), f"{what}: right weights, wrong output: concatenate the heads' outputs "
                     "in head order, then apply out_proj (x @ W_out.T + b_out)", **tol)

    def padding():
        pad = torch.zeros(2, 5, dtype=torch.bool)
        pad[0, 3:] = True
        pad[1, 1] = True
        compare(8, 2, 2, 3, 5, "with key_padding_mask (True = padding, as in torch)", pad=pad)

    _own_attention("multihead_attention", fn)
    return run_cases("multihead_attention", fn, [
        ("one head", lambda: compare(4, 1, 2, 3, 3, "one head")),
        ("four heads", lambda: compare(16, 4, 3, 5, 5, "four heads")),
        ("cross-attention", lambda: compare(6, 3, 2, 2, 6, "L = 2 queries, S = 6 keys")),
        ("key padding", padding),
        ("float32", lambda: compare(8, 4, 2, 4, 4, "float32", dtype=torch.float32)),
    ], forbidden=_FORBIDDEN)



# --------------------------------------------------------------------------- construct a head

def previous_token_projections(fn) -> CheckResult:
    """The learner's ``previous_token_projections(L, d_content) -> (W_q, W_k)``: projections with which causal
    scaled dot-product attention over tokens x_t = [content_t, onehot(t)] sends position t to position t - 1."""
    rng = rng_for("previous_token_projections")

    def verify(L, d_content, what):
        out = fn(L, d_content)
        expect(isinstance(out, (tuple, list)) and len(out) == 2, "return a pair (W_q, W_k)")
        W_q, W_k = (torch.as_tensor(np.asarray(_np(w)), dtype=torch.float64) for w in out)
        d_model = d_content + L
        expect(W_q.ndim == 2 and W_k.ndim == 2 and W_q.shape[1] == d_model and W_k.shape[1] == d_model
               and W_q.shape[0] == W_k.shape[0],
               f"{what}: W_q and W_k must both be (d_k, {d_model}) (they act as x @ W.T on tokens of "
               f"{d_model} features), got {tuple(W_q.shape)} and {tuple(W_k.shape)}")
        content = _t(rng, 3, L, d_content) * 3
        x = torch.cat([content, torch.eye(L, dtype=torch.float64).expand(3, L, L)], dim=-1)
        causal = torch.ones(L, L, dtype=torch.bool).tril()
        _, w = attention.hopfield_attention(x @ W_q.T, x @ W_k.T, x, mask=causal)
        prev = _np(w)[:, np.arange(1, L), np.arange(0, L - 1)]
        expect(np.all(np.isfinite(_np(w))), f"{what}: the attention weights came out NaN or inf")
        worst = float(prev.min())
        expect(worst >= 0.9, f"{what}: the weight on the previous token is as low as {worst:.3f} (needed >= 0.9 for "
               "every position t >= 1 and any content): the scores q_t . k_s must single out s = t - 1 by a wide "
               "margin, whatever the content, after the 1/sqrt(d_k) scaling")

    return run_cases("previous_token_projections", fn, [
        ("8 tokens", lambda: verify(8, 4, "L = 8, 4 content features")),
        ("16 tokens", lambda: verify(16, 6, "L = 16, 6 content features"))], forbidden=_FORBIDDEN)


def score_spread(fn) -> CheckResult:
    """The learner's prediction ``score_spread(d_k)``: the standard deviation of a raw score q . k for queries and
    keys with independent standard-normal entries, checked against scores measured on random tensors."""
    rng = rng_for("score_spread")

    def verify(d):
        got = fn(d)
        expect(np.ndim(_np(got)) == 0, f"one d_k should give one number, got shape {np.shape(_np(got))}")
        got = float(_np(got))
        q, k = _t(rng, 20000, d), _t(rng, 20000, d)  # independent pairs: the measured spread is within ~1 %
        want = float((q * k).sum(-1).std())
        for wrong, why in ((d, "that is the variance of the score: return its standard deviation"),
                           (1.0, "each score sums d_k products of independent unit-variance numbers: its spread "
                                 "grows with d_k (which is why attention rescales the scores)")):
            if abs(got - wrong) < 1e-9 and abs(wrong - want) > 0.1 * want:
                expect(False, why)
        expect(abs(got - want) <= 0.05 * want, f"for d_k = {d} you predict {got:.3g}; the measured spread of q . k "
               f"is {want:.3g}: what is the variance of a sum of d_k products of independent standard normals?")

    return run_cases("score_spread", fn, [("d_k = 16", lambda: verify(16)), ("d_k = 64", lambda: verify(64)),
                                          ("d_k = 3", lambda: verify(3))])
