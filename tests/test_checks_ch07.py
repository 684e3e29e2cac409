"""Chapter 07 checkers: the solutions pass, typical mistakes get the intended message, shortcuts earn nothing."""

import math

import pytest
import torch
from torch.nn import functional as F

from course_lib import attention
from course_lib.checks import ch07
from course_lib.checks._core import CheckFailed, NotAttempted

# ----------------------------------------------------------------- the solutions (as in solutions/07_attention.ipynb)

def hopfield_update(xi, X, beta):
    weights = torch.softmax(beta * (xi @ X.T), dim=-1)
    return weights @ X


def masked_attention(query, keys, values, mask):
    scores = query @ keys.transpose(-2, -1) / math.sqrt(query.shape[-1])
    scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ values, weights


def attention_head(query, key, value, in_proj_weight, in_proj_bias, num_heads, head):
    e = query.shape[-1]
    dh = e // num_heads
    rows = slice(head * dh, (head + 1) * dh)
    w_q, w_k, w_v = in_proj_weight.split(e)
    b_q, b_k, b_v = in_proj_bias.split(e)
    q = query @ w_q[rows].T + b_q[rows]
    k = key @ w_k[rows].T + b_k[rows]
    v = value @ w_v[rows].T + b_v[rows]
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh), dim=-1)
    return weights @ v, weights


def multihead_attention(query, key, value, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                        num_heads, key_padding_mask=None):
    outs, ws = [], []
    for h in range(num_heads):
        e = query.shape[-1]
        dh = e // num_heads
        rows = slice(h * dh, (h + 1) * dh)
        w_q, w_k, w_v = in_proj_weight.split(e)
        b_q, b_k, b_v = in_proj_bias.split(e)
        q, k, v = query @ w_q[rows].T + b_q[rows], key @ w_k[rows].T + b_k[rows], value @ w_v[rows].T + b_v[rows]
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask[:, None, :], float("-inf"))
        w = torch.softmax(scores, dim=-1)
        outs.append(w @ v)
        ws.append(w)
    out = torch.cat(outs, dim=-1) @ out_proj_weight.T + out_proj_bias
    return out, torch.stack(ws).mean(0)


@pytest.mark.parametrize("name,fn", [("hopfield_update", hopfield_update), ("masked_attention", masked_attention),
                                     ("attention_head", attention_head),
                                     ("multihead_attention", multihead_attention)])
def test_solutions_pass(name, fn, capsys):
    getattr(ch07, name)(fn)
    assert f"[pass] {name}" in capsys.readouterr().out


def _fails(checker, fn, message):
    with pytest.raises(CheckFailed) as info:
        checker(fn)
    assert message in str(info.value), str(info.value)
    return info.value


def test_hopfield_update_mistakes():
    _fails(ch07.hopfield_update, lambda xi, X, beta: torch.softmax(xi @ X.T, dim=-1) @ X, "ignores beta")
    err = _fails(ch07.hopfield_update, lambda xi, X, beta: torch.softmax(beta * (xi @ X.T), dim=0) @ X,
                 "own softmax over")
    assert err.passed < err.total
    _fails(ch07.hopfield_update, lambda xi, X, beta: (beta * (xi @ X.T)) @ X, "softmax them")


def test_masked_attention_mistakes():
    def after_softmax(q, k, v, mask):
        w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1) * mask
        return w @ v, w

    def inverted(q, k, v, mask):
        return masked_attention(q, k, v, ~mask)

    def unscaled(q, k, v, mask):
        w = torch.softmax((q @ k.transpose(-2, -1)).masked_fill(~mask, float("-inf")), dim=-1)
        return w @ v, w

    _fails(ch07.masked_attention, after_softmax, "sum to 1")
    err = _fails(ch07.masked_attention, inverted, "convention is inverted")
    assert "sum to 1" not in str(err)  # the cause is the mask, not the normalisation
    _fails(ch07.masked_attention, unscaled, "1/sqrt(d_k)")


def test_attention_head_mistakes():
    def scaled_by_embed(query, key, value, W, b, num_heads, head):
        out, w = attention_head(query, key, value, W, b, num_heads, head)
        e = query.shape[-1]
        dh = e // num_heads
        rows = slice(head * dh, (head + 1) * dh)
        q = query @ W[:e][rows].T + b[:e][rows]
        k = key @ W[e:2 * e][rows].T + b[e:2 * e][rows]
        w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(e), dim=-1)
        return out, w

    err = _fails(ch07.attention_head, scaled_by_embed, "not embed_dim")
    assert err.passed == 1  # only the one-head case, where d_h = embed_dim, passes


def test_multihead_attention_mistakes():
    def no_out_proj(*args, **kwargs):
        out, w = multihead_attention(*args, **kwargs)
        return out @ torch.linalg.inv(args[5].T) - args[6] @ torch.linalg.inv(args[5].T), w

    def ignores_padding(*args, key_padding_mask=None):
        return multihead_attention(*args)

    def heads_not_averaged(*args, **kwargs):
        out, w = multihead_attention(*args, **kwargs)
        return out, w * args[7]

    _fails(ch07.multihead_attention, no_out_proj, "apply out_proj")
    err = _fails(ch07.multihead_attention, ignores_padding, "with key_padding_mask")
    assert (err.passed, err.total) == (4, 5)
    _fails(ch07.multihead_attention, heads_not_averaged, "average the heads")


def test_ready_made_attention_earns_nothing():
    def via_torch(q, k, v, mask):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask), None

    def helper(q, k, v, mask):
        return via_torch(q, k, v, mask)

    _fails(ch07.masked_attention, via_torch, "uses scaled_dot_product_attention")
    _fails(ch07.masked_attention, helper, "uses scaled_dot_product_attention")

    def via_module(*args, key_padding_mask=None):
        mha = torch.nn.MultiheadAttention(args[0].shape[-1], args[7], batch_first=True)
        return mha(args[0], args[1], args[2])

    _fails(ch07.multihead_attention, via_module, "uses MultiheadAttention")


def test_library_twin_is_refused():
    with pytest.raises(CheckFailed, match="imported rather than written|calls course_lib"):
        ch07.hopfield_update(lambda xi, X, beta: attention.hopfield_attention(xi, X, X, beta)[0])

    def wrapper(q, k, v, mask):
        return attention.hopfield_attention(q, k, v, mask=mask)

    with pytest.raises(CheckFailed, match="calls course_lib|uses hopfield_attention"):
        ch07.masked_attention(wrapper)


def test_stubs_are_not_attempted():
    def stub(*args, **kwargs):
        raise NotImplementedError

    for checker in (ch07.hopfield_update, ch07.masked_attention, ch07.attention_head, ch07.multihead_attention):
        with pytest.raises(NotAttempted):
            checker(stub)


def test_checkers_leave_torch_random_state_alone():
    state = torch.random.get_rng_state()
    ch07.multihead_attention(multihead_attention)
    assert torch.equal(state, torch.random.get_rng_state())


def test_solution_notebook_verdicts():
    from conftest import ROOT

    from course_lib.checking import check_notebook

    verdicts = check_notebook(ROOT / "solutions" / "07_attention.ipynb")
    assert [(v.exercise, v.status) for v in verdicts] == [
        ("hopfield_update", "passed"), ("masked_attention", "passed"), ("attention_head", "passed"),
        ("multihead_attention", "passed"), ("previous_token_projections", "passed"),
        ("score_spread", "passed")]
