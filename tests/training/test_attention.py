"""Backend agreement: reference vs flex (forward and gradients, the bias table's included).

On CPU the flex backend runs its "math" core (FlexAttention has no CPU backward in torch 2.13): this checks the
detached-bias + separate-table-gradient decomposition exactly (float64). The real FlexAttention kernel is checked on
CPU for its forward output and log-sum-exp, and end to end (with gradients) only when CUDA is available.
"""

import pytest
import torch

from training.model.attention import BiasSpec, FlexBackend, select_backend
from training.model.attention.bias_grad import distance_bias_grad
from training.model.attention.flex import distance_bias, flex_core, math_core

torch.set_num_threads(2)
SPEC = BiasSpec(num_buckets=32, max_distance=128)  # far distance 113


def _run(backend, q, k, v, table, grad_out):
    leaves = [x.detach().clone().requires_grad_() for x in (q, k, v, table)]
    seq = q.shape[2]
    prepared = backend.prepare(leaves[3], SPEC, q_len=seq, k_len=seq, q_offset=0)
    out = backend.attend(*leaves[:3], prepared)
    grads = torch.autograd.grad(out, leaves, grad_out)
    return out.detach(), grads


def _inputs(seq, dtype=torch.float64, bsz=2, heads=3, dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    q, k, v, grad_out = (torch.randn(bsz, heads, seq, dim, generator=g, dtype=dtype) for _ in range(4))
    table = torch.randn(SPEC.num_buckets, heads, generator=g, dtype=dtype)
    return q, k, v, table, grad_out


@pytest.mark.parametrize("seq", [1, 40, 113, 300])  # shorter than, equal to, and longer than the far distance
def test_flex_decomposition_matches_reference_exactly(seq):
    q, k, v, table, grad_out = _inputs(seq)
    ref_out, ref_grads = _run(select_backend("reference"), q, k, v, table, grad_out)
    flex_out, flex_grads = _run(FlexBackend(core="math"), q, k, v, table, grad_out)
    torch.testing.assert_close(flex_out, ref_out, rtol=1e-10, atol=1e-10)
    for name, a, b in zip(["q", "k", "v", "table"], flex_grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10, msg=f"grad {name}")
    if seq > 113:
        assert ref_grads[3][-1].abs().sum() > 0  # the last bucket does get a gradient


def test_last_bucket_gradient_is_minus_the_rest():
    """dL/db for the far distances, computed directly (one bias per distance, no clamp), equals -sum(near)."""
    seq = 200
    q, k, v, table, grad_out = _inputs(seq)
    bias_dist = distance_bias(table, SPEC)  # [H, F + 1]
    far = bias_dist.shape[1] - 1
    # Unclamped per-distance bias: distance d >= F uses bias_dist[:, F], but as its own leaf entry.
    full = torch.cat([bias_dist[:, :far], bias_dist[:, far:].expand(-1, seq - far)], dim=1).requires_grad_()
    pos = torch.arange(seq)
    dist = pos[:, None] - pos[None, :]
    scores = q @ k.transpose(-1, -2) / 8**0.5 + full[:, dist.clamp(min=0)]
    out = torch.softmax(scores.masked_fill(dist < 0, float("-inf")), dim=-1) @ v
    (direct,) = torch.autograd.grad(out, full, grad_out)
    lse = torch.logsumexp(scores.masked_fill(dist < 0, float("-inf")), dim=-1)
    for chunk in (7, 64, 128, 512):
        got = distance_bias_grad(q, k, v, out, lse, grad_out, bias_dist, scale=8**-0.5, chunk=chunk)
        torch.testing.assert_close(got[:, :far], direct[:, :far], rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(got[:, far], direct[:, far:].sum(-1), rtol=1e-9, atol=1e-12)


@pytest.mark.filterwarnings("ignore:flex_attention called without torch.compile")
def test_flex_kernel_forward_and_lse_match_math_core_on_cpu():
    q, k, v, table, _ = _inputs(150, dtype=torch.float32, heads=2, dim=16)
    bias_dist = distance_bias(table, SPEC)
    out, lse = flex_core(q, k, v, bias_dist, compiled=False)
    ref_out, ref_lse = math_core(q, k, v, bias_dist)
    torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(lse, ref_lse, rtol=1e-5, atol=1e-5)
    dense_out = select_backend("reference").attend(
        q, k, v, select_backend("reference").prepare(table, SPEC, q_len=150, k_len=150, q_offset=0)
    )
    torch.testing.assert_close(out, dense_out, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="FlexAttention backward needs CUDA")
def test_flex_kernel_matches_reference_on_cuda():
    q, k, v, table, grad_out = (x.cuda() for x in _inputs(512, dtype=torch.float32, heads=4, dim=64))
    ref_out, ref_grads = _run(select_backend("reference"), q, k, v, table, grad_out)
    flex_out, flex_grads = _run(FlexBackend(core="flex"), q, k, v, table, grad_out)
    torch.testing.assert_close(flex_out, ref_out, rtol=2e-3, atol=2e-3)
    for a, b in zip(flex_grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=5e-3, atol=5e-3)


def test_cached_decode_matches_full_attention_for_every_backend():
    q, k, v, table, _ = _inputs(20)
    for name in ("reference", "sdpa_nobias"):
        be = select_backend(name)
        full = be.attend(q, k, v, be.prepare(table, SPEC, q_len=20, k_len=20, q_offset=0))
        tail = be.attend(q[:, :, 15:], k, v, be.prepare(table, SPEC, q_len=5, k_len=20, q_offset=15))
        torch.testing.assert_close(tail, full[:, :, 15:], msg=name)
    flex = FlexBackend()  # a cached step falls back to the reference path
    step = flex.attend(q[:, :, 19:], k, v, flex.prepare(table, SPEC, q_len=1, k_len=20, q_offset=19))
    be = select_backend("reference")
    full = be.attend(q, k, v, be.prepare(table, SPEC, q_len=20, k_len=20, q_offset=0))
    torch.testing.assert_close(step, full[:, :, 19:])


def test_select_backend():
    assert select_backend("reference").name == "reference"
    assert select_backend("sdpa_nobias").name == "sdpa_nobias"
    assert select_backend("auto", device="cpu").name == "reference"
    assert select_backend("auto", device="cuda").name == "flex"
    with pytest.raises(ValueError, match="unknown attention backend 'fast'; choose one of"):
        select_backend("fast")
