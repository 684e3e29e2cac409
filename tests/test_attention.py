"""Attention is the modern Hopfield update: course_lib.attention against PyTorch, to float precision."""

import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_lib import attention as att
from course_lib import hopfield, modern
from course_lib.attention import HopfieldMultiheadAttention, hopfield_attention

TOL = {torch.float32: 2e-6, torch.float64: 1e-12}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_hopfield_attention_equals_sdpa_for_many_shapes(dtype):
    gen = torch.Generator().manual_seed(0)
    shapes = [((), 1, 1, 1, 1), ((3,), 4, 5, 8, 8), ((2, 3), 7, 2, 16, 4), ((5,), 1, 9, 3, 11), ((2, 1), 6, 6, 32, 32)]
    for lead, L, S, dk, dv in shapes:
        q = torch.randn(*lead, L, dk, generator=gen, dtype=dtype)
        k = torch.randn(*lead, S, dk, generator=gen, dtype=dtype)
        v = torch.randn(*lead, S, dv, generator=gen, dtype=dtype)
        out, w = hopfield_attention(q, k, v)
        ref = F.scaled_dot_product_attention(q, k, v)
        assert out.shape == ref.shape and w.shape == (*lead, L, S)
        assert (out - ref).abs().max() < TOL[dtype] * 5
        assert torch.allclose(w.sum(-1), torch.ones((), dtype=dtype))
        beta = 0.37
        out_b, _ = hopfield_attention(q, k, v, beta=beta)
        assert (out_b - F.scaled_dot_product_attention(q, k, v, scale=beta)).abs().max() < TOL[dtype] * 5


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_masks_match_sdpa(dtype):
    gen = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 3, n, 8, generator=gen, dtype=dtype) for n in (5, 5, 5))
    causal = att.causal_mask(5)
    assert torch.equal(causal, torch.ones(5, 5, dtype=torch.bool).tril())
    bool_mask = torch.rand(2, 1, 5, 5, generator=gen) > 0.3
    bool_mask[..., 0] = True  # every query keeps at least one key
    float_mask = torch.randn(5, 5, generator=gen, dtype=dtype)
    for mask in (causal, bool_mask, float_mask):
        out, w = hopfield_attention(q, k, v, mask=mask)
        ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        assert (out - ref).abs().max() < TOL[dtype] * 5
        if mask.dtype == torch.bool:
            assert torch.all(w[~mask.expand_as(w)] == 0)
    out, _ = hopfield_attention(q, k, v, mask=causal)
    assert torch.allclose(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=TOL[dtype] * 5)


def test_hopfield_attention_with_keys_equal_values_is_the_update_rule_and_retrieves_a_pattern():
    gen = torch.Generator().manual_seed(2)
    X = torch.sign(torch.randn(10, 64, generator=gen, dtype=torch.float64))  # 10 patterns as rows
    xi = X[3].clone()
    xi[:12] *= -1                                                            # 12 of 64 signs wrong
    explicit = X.T @ torch.softmax(1.0 * (X @ xi), dim=0)                   # xi <- X softmax(beta X^T xi), X = rows^T
    new = hopfield_attention(xi, X, X, beta=1.0)[0]
    assert torch.allclose(new, explicit)
    assert torch.allclose(new, X[3], atol=1e-6)                              # one step, retrieved
    assert torch.allclose(hopfield_attention(xi, X, X, beta=1e-9)[0], X.mean(0), atol=1e-6)  # beta -> 0: the mean
    # chapter 06's NumPy update is the same step, to float64 precision
    assert np.allclose(new.numpy(), modern.modern_update(X.numpy(), xi.numpy(), 1.0), rtol=1e-12, atol=1e-12)


def test_numpy_scalar_beta_and_mixed_dtypes_are_accepted():
    q, k = torch.randn(2, 3, dtype=torch.float32), torch.randn(4, 3, dtype=torch.float64)
    out, w = hopfield_attention(q, k, k, beta=np.float32(1.0))
    assert out.dtype == torch.float64 and w.dtype == torch.float64    # promoted to the widest
    assert torch.allclose(out, hopfield_attention(q.double(), k, k, beta=1.0)[0])
    assert torch.allclose(hopfield_attention(q, k, k, beta=torch.tensor(2.0))[0],
                          hopfield_attention(q, k, k, beta=2.0)[0])


def test_one_dimensional_query_and_beta_default():
    q, k, v = torch.randn(4), torch.randn(6, 4), torch.randn(6, 3)
    out, w = hopfield_attention(q, k, v)
    assert out.shape == (3,) and w.shape == (6,)
    assert torch.allclose(w, torch.softmax(k @ q / 2.0, dim=0))  # 1/sqrt(4) = 1/2


@pytest.mark.parametrize("call,match", [
    (lambda: hopfield_attention(torch.randn(2, 3), torch.randn(4, 5), torch.randn(4, 5)), "d_k"),
    (lambda: hopfield_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(5, 3)), "4 keys but 5 values"),
    (lambda: hopfield_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 3), beta=-1), "beta"),
    (lambda: hopfield_attention(torch.ones(2, 3, dtype=torch.long), torch.randn(4, 3), torch.randn(4, 3)), "floating"),
    (lambda: hopfield_attention(np.ones((2, 3)), torch.randn(4, 3), torch.randn(4, 3)), "torch tensor"),
    (lambda: hopfield_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 3),
                                mask=torch.ones(3, 3, dtype=torch.bool)), "broadcast"),
    (lambda: hopfield_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 3),
                                mask=torch.ones(2, 4, dtype=torch.int64)), "boolean"),
    (lambda: HopfieldMultiheadAttention(10, 3), "divisible"),
    (lambda: HopfieldMultiheadAttention(8, 2, dropout=1.5), "dropout"),
    (lambda: HopfieldMultiheadAttention.from_torch(nn.Linear(2, 2)), "MultiheadAttention"),
    (lambda: att.causal_mask(0), "length must be an integer >= 1"),
    (lambda: hopfield_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 3), beta=np.nan), "beta"),
    (lambda: att.causal_mask(3, device="cuda:99"), "CUDA"),
    (lambda: hopfield_attention(torch.randn(2, 3), torch.randn(0, 3), torch.randn(0, 3)), "at least one key"),
    (lambda: att.recall_batch(4, 8, 4, 3), "n_pairs"),
    (lambda: att.recall_batch(4, 2, 4, 3, rng=1.5), "rng"),
    (lambda: att.attention_weights_over_beta(np.ones(3), np.ones((2, 3)), [np.nan]), "betas contains NaN"),
    (lambda: att.mass_count(np.array([0.5, 0.5]), mass=0.0), "mass"),
    (lambda: att.head_classes(np.ones((2, 3)), 0), "n_keys"),
    (lambda: att.train_recall(att.RecallModel(4, 4, dim=8, num_heads=2), steps=0), "steps"),
])
def test_bad_input_gets_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_module_rejects_wrong_sizes():
    hop = HopfieldMultiheadAttention(8, 2, batch_first=True)
    with pytest.raises(ValueError, match="embed_dim = 8"):
        hop(torch.randn(2, 3, 6), torch.randn(2, 3, 6), torch.randn(2, 3, 6))
    with pytest.raises(ValueError, match="key_padding_mask"):
        hop(torch.randn(2, 3, 8), torch.randn(2, 4, 8), torch.randn(2, 4, 8), key_padding_mask=torch.zeros(2, 3) > 0)
    with pytest.raises(ValueError, match="attn_mask"):
        hop(torch.randn(2, 3, 8), torch.randn(2, 4, 8), torch.randn(2, 4, 8), attn_mask=torch.zeros(4, 3) > 0)
    with pytest.raises(ValueError, match="3-D"):
        hop(torch.randn(2, 3, 8), torch.randn(4, 8), torch.randn(4, 8))


# ------------------------------------------------------------------------- the module against nn.MultiheadAttention

CONFIGS = [{}, {"bias": False}, {"add_bias_kv": True}, {"add_zero_attn": True}, {"kdim": 5, "vdim": 7}]


def _inputs(mha, B, L, S, dtype, gen, batched=True):
    shape = (B,) if batched else ()
    q = torch.randn(*shape, L, mha.embed_dim, generator=gen, dtype=dtype)
    k = torch.randn(*shape, S, mha.kdim, generator=gen, dtype=dtype)
    v = torch.randn(*shape, S, mha.vdim, generator=gen, dtype=dtype)
    if batched and not mha.batch_first:
        q, k, v = (t.transpose(0, 1) for t in (q, k, v))
    return q, k, v


def _masks(B, L, S, H, dtype, gen):
    pad = torch.zeros(B, S, dtype=torch.bool)
    pad[0, -2:] = True
    pad[-1, 1] = True
    causal = torch.ones(L, S, dtype=torch.bool).triu(1)  # torch: True = blocked
    return [
        {},
        {"key_padding_mask": pad},
        {"key_padding_mask": torch.zeros(B, S, dtype=dtype).masked_fill(pad, float("-inf"))},
        {"attn_mask": causal},
        {"attn_mask": torch.randn(L, S, generator=gen, dtype=dtype)},
        {"attn_mask": torch.randn(B * H, L, S, generator=gen, dtype=dtype)},
        {"attn_mask": causal, "key_padding_mask": pad, "is_causal": True},
        {"average_attn_weights": False, "attn_mask": causal},
    ]


@pytest.mark.parametrize("dtype,batch_first,config", list(itertools.product(
    [torch.float32, torch.float64], [True, False], CONFIGS)))
def test_module_equals_torch_multihead_attention(dtype, batch_first, config):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(5)
    B, L, S, H = 3, 4, 6, 2
    mha = nn.MultiheadAttention(12, H, batch_first=batch_first, dtype=dtype, **config).eval()
    hop = HopfieldMultiheadAttention.from_torch(mha)
    q, k, v = _inputs(mha, B, L, S, dtype, gen)
    worst = 0.0
    for kwargs in _masks(B, L, S, H, dtype, gen):
        out_t, w_t = mha(q, k, v, **kwargs)
        out_h, w_h = hop(q, k, v, **kwargs)
        assert out_h.shape == out_t.shape and w_h.shape == w_t.shape
        worst = max(worst, (out_h - out_t).abs().max().item(), (w_h - w_t).abs().max().item())
    assert worst < 10 * TOL[dtype], worst
    out_t, none_t = mha(q, k, v, need_weights=False)
    out_h, none_h = hop(q, k, v, need_weights=False)
    assert none_t is None and none_h is None and torch.allclose(out_h, out_t, atol=10 * TOL[dtype])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_unbatched_inputs(dtype):
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(6)
    mha = nn.MultiheadAttention(8, 4, dtype=dtype).eval()
    hop = HopfieldMultiheadAttention.from_torch(mha)
    q, k, v = _inputs(mha, 1, 3, 5, dtype, gen, batched=False)
    pad = torch.tensor([False, False, True, False, False])
    for kwargs in ({}, {"key_padding_mask": pad}, {"average_attn_weights": False}):
        (o1, w1), (o2, w2) = mha(q, k, v, **kwargs), hop(q, k, v, **kwargs)
        assert o2.shape == o1.shape == (3, 8) and w2.shape == w1.shape
        assert torch.allclose(o1, o2, atol=10 * TOL[dtype]) and torch.allclose(w1, w2, atol=10 * TOL[dtype])


def test_is_causal_without_mask_builds_the_causal_mask():
    torch.manual_seed(2)
    mha = nn.MultiheadAttention(8, 2, batch_first=True, dtype=torch.float64).eval()
    hop = HopfieldMultiheadAttention.from_torch(mha)
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    out, w = hop(x, x, x, is_causal=True)
    ref, w_ref = mha(x, x, x, attn_mask=nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64))
    assert torch.allclose(out, ref) and torch.allclose(w, w_ref)
    assert torch.all(w.triu(1) == 0)  # nobody looks into the future


def test_dropout_is_off_in_eval_and_matches_torch_in_training():
    torch.manual_seed(3)
    mha = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True, dtype=torch.float64)
    hop = HopfieldMultiheadAttention.from_torch(mha)
    assert hop.training and hop.dropout == 0.5
    x = torch.randn(4, 6, 8, dtype=torch.float64)
    torch.manual_seed(11)
    out_t, w_t = mha(x, x, x, average_attn_weights=False)
    torch.manual_seed(11)
    out_h, w_h = hop(x, x, x, average_attn_weights=False)
    assert torch.allclose(out_t, out_h) and torch.allclose(w_t, w_h)  # the same dropout mask, drawn the same way
    assert (w_h == 0).any()
    hop.eval()
    mha.eval()
    a, b = hop(x, x, x)[0], hop(x, x, x)[0]
    assert torch.equal(a, b) and torch.allclose(a, mha(x, x, x)[0])
    assert not torch.allclose(a, out_h)


def test_gradients_flow_and_equal_torch():
    torch.manual_seed(4)
    mha = nn.MultiheadAttention(8, 2, batch_first=True, dtype=torch.float64, add_bias_kv=True)
    hop = HopfieldMultiheadAttention.from_torch(mha)
    x = torch.randn(3, 5, 8, dtype=torch.float64, requires_grad=True)
    y = torch.randn(3, 5, 8, dtype=torch.float64)
    for module in (mha, hop):
        module.zero_grad()
    x.grad = None
    (hop(x, x, x)[0] * y).sum().backward()
    gx = x.grad.clone()
    x.grad = None
    (mha(x, x, x)[0] * y).sum().backward()
    assert torch.allclose(gx, x.grad)
    named_t = dict(mha.named_parameters())
    for name, p in hop.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
        assert torch.allclose(p.grad, named_t[name].grad), name
    assert torch.autograd.gradcheck(lambda t: hop(t, t, t)[0], (x.detach()[:1, :3].clone().requires_grad_(),))


def test_state_dict_names_match_torch_both_ways():
    for config in CONFIGS:
        mha = nn.MultiheadAttention(12, 3, **config)
        hop = HopfieldMultiheadAttention(12, 3, **config)
        assert set(hop.state_dict()) == set(mha.state_dict())
        mha.load_state_dict(hop.state_dict())  # and back: a torch module can take Hopfield weights
        x = torch.randn(4, 2, 12)
        kv = torch.randn(4, 2, mha.kdim), torch.randn(4, 2, mha.vdim)
        assert torch.allclose(mha.eval()(x, *kv)[0], hop.eval()(x, *kv)[0], atol=1e-5)


# ------------------------------------------------------------------------- pooling

def test_pooling_shapes_permutation_invariance_and_padding():
    torch.manual_seed(5)
    pool = att.HopfieldPooling(8, num_heads=2, num_queries=3).eval()
    x = torch.randn(4, 7, 8)
    out = pool(x)
    assert out.shape == (4, 3, 8)
    perm = torch.randperm(7)
    assert torch.allclose(pool(x[:, perm]), out, atol=1e-6)        # a set has no order
    pad = torch.zeros(4, 9, dtype=torch.bool)
    pad[:, 7:] = True
    padded = torch.cat([x, 100 * torch.randn(4, 2, 8)], dim=1)
    assert torch.allclose(pool(padded, key_padding_mask=pad), out, atol=1e-5)  # padding is ignored
    _, w = pool(x, need_weights=True)
    assert w.shape == (4, 2, 3, 7) and torch.allclose(w.sum(-1), torch.ones(()))
    with pytest.raises(ValueError, match="batch of sets"):
        pool(torch.randn(7, 8))


# ------------------------------------------------------------------------- analyses

def test_weights_over_beta_entropy_and_mass_count():
    rng = np.random.default_rng(0)
    keys = rng.normal(size=(6, 4))
    q = keys[2] + 0.01 * rng.normal(size=4)
    w = att.attention_weights_over_beta(q, keys, [0.0, 1.0, 200.0])
    assert np.allclose(w.sum(1), 1) and np.allclose(w[0], 1 / 6)
    assert np.argmax(w[2]) == np.argmax(keys @ q) and w[2].max() > 0.999
    ent = att.softmax_entropy(w)
    assert np.isclose(ent[0], math.log(6)) and ent[0] > ent[1] > ent[2] >= 0
    assert att.mass_count(np.array([0.5, 0.3, 0.15, 0.05])).item() == 3      # 0.5 + 0.3 < 0.9 <= 0.95
    assert att.mass_count(np.array([0.95, 0.05])).item() == 1
    assert att.mass_count(np.full(10, 0.1)).item() == 9                      # 9 x 0.1 reaches 0.9
    assert att.mass_count(np.full((2, 3, 10), 0.1)).shape == (2, 3)
    assert att.head_classes(np.array([[1, 1], [4, 5], [9, 10]]), 10) == ["single token", "metastable", "global average"]
    with pytest.raises(ValueError, match="sum to 1"):
        att.softmax_entropy(np.array([0.5, 0.2]))
    with pytest.raises(ValueError, match="same d"):
        att.attention_weights_over_beta(np.ones(3), np.ones((4, 2)), [1.0])


def test_random_feature_examples():
    rng = np.random.default_rng(1)
    features, examples = att.random_feature_examples(2000, 8, 50, 3, rng)
    assert features.shape == (8, 2000) and examples.shape == (50, 2000)
    assert set(np.unique(examples)) == {-1.0, 1.0}
    m = np.abs(examples @ features.T) / 2000  # each example overlaps 1/2 with its 3 features, ~0 with the rest
    top = np.sort(m, axis=1)[:, -3:]
    assert np.allclose(top, 0.5, atol=0.06) and np.all(np.sort(m, axis=1)[:, :-3] < 0.1)
    with pytest.raises(ValueError, match="odd"):
        att.random_feature_examples(10, 4, 5, 2, rng)


def test_feature_experiment_uses_chapter_02_and_03():
    """One network of the experiment, rebuilt from hopfield.hebbian_weights and hopfield.recall."""
    rng = np.random.default_rng(2)
    P = rng.choice([-1.0, 1.0], size=(3, 100))
    W = hopfield.hebbian_weights(P)
    noisy = np.where(rng.random(P.shape) < 0.1, -P, P)
    assert np.array_equal(hopfield.recall(W, noisy, rng=rng).states, P)


def test_kalaj_memorization_to_generalization_regimes():
    """Kalaj et al. (2024) with Hebb's rule: examples are attractors at small load, the features at large load."""
    from course_lib import bridges

    r = bridges.generalisation_experiment(200, 10, [0.02, 0.2, 2.0, 8.0], rules=("hebbian",), n_probe=20, trials=3,
                                          rng=7).overlap["hebbian"]
    assert r["stored"][0] > 0.95 and r["features"][0] < 0.55       # memorization
    assert r["features"][2] > 0.95 and r["features"][3] > 0.95     # the features themselves are retrieved
    assert r["unseen"][3] > r["unseen"][0] + 0.25                  # unseen mixtures get closer to attractors


# ------------------------------------------------------------------------- trained models

def test_recall_model_reaches_full_accuracy_at_a_fixed_seed():
    torch.manual_seed(0)
    model = att.RecallModel(16, 16, dim=32, num_heads=4)
    threads = torch.get_num_threads()
    losses = att.train_recall(model, steps=300, rng=0)
    assert torch.get_num_threads() == threads                       # training on one thread leaves no trace
    assert losses[-1] < 0.05 < losses[0]
    k, v, q, y = att.recall_batch(2000, 8, 16, 16, torch.Generator().manual_seed(123))
    model.eval()
    with torch.no_grad():
        logits, w = model(k, v, q, need_weights=True)
    assert (logits.argmax(1) == y).float().mean() >= 0.99          # chance is 1/16
    assert w.shape == (2000, 4, 1, 8)


def test_rows_classifier_with_hopfield_pooling_learns_mnist():
    from course_lib.datasets import load_mnist
    images, labels = load_mnist()
    x = torch.tensor(images, dtype=torch.float32) / 255
    y = torch.tensor(labels)
    torch.manual_seed(0)
    model = att.RowsClassifier()
    history = att.train_classifier(model, x[:8000], y[:8000], epochs=4, rng=0)  # the lecture's FAST setting
    assert np.all(np.diff(history) < 0)
    with torch.no_grad():
        acc = (model.eval()(x[8000:]).argmax(1) == y[8000:]).float().mean().item()
    assert acc >= 0.85, acc                                         # as the lecture states; chance is 0.1


def test_widget_draws_a_figure_per_beta():
    import matplotlib.pyplot as plt

    from course_lib.widgets import ch07 as widgets

    keys = np.eye(4)
    fig = widgets.beta_figure(np.array([1.0, 0.5, 0.0, 0.0]), keys, beta=50.0)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert len(heights) == 4 and np.isclose(sum(heights), 1) and np.argmax(heights) == 0
    assert "1 key(s) hold 90 %" in fig.axes[0].get_title()
    plt.close(fig)
    box = widgets.beta_explorer(np.ones(4), keys)
    assert "course-widget" in box._dom_classes


def test_a_query_with_every_key_blocked_gets_nan_like_torch_multihead_attention():
    q, k, v = torch.randn(2, 4), torch.randn(3, 4), torch.randn(3, 4)
    keep = torch.tensor([[True, False, True], [False, False, False]])
    out, w = hopfield_attention(q, k, v, mask=keep)
    assert torch.isnan(out[1]).all() and not torch.isnan(out[0]).any() and w[0, 1] == 0
    mha = nn.MultiheadAttention(4, 1, batch_first=True).eval()
    hop = HopfieldMultiheadAttention.from_torch(mha)
    a, b = mha(q[None], k[None], v[None], attn_mask=~keep)[0], hop(q[None], k[None], v[None], attn_mask=~keep)[0]
    assert torch.allclose(a, b, equal_nan=True) and torch.isnan(b[0, 1]).all()
