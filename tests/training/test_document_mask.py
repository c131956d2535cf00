"""Document masking of packed rows: an example packed behind others computes exactly what it computes alone."""

import pytest
import torch
import torch.nn.functional as F

from training.data.batches import TokenBatches
from training.format import DiscriminativeExample, GenerativeExample, render_example
from training.model.attention import BiasSpec, FlexBackend, select_backend
from training.model.attention.flex import distance_bias, document_block_mask, flex_core, math_core
from training.model.config import ModelConfig
from training.run.parallel import build_model

from .fixtures.examples import WordTokenizer

torch.set_num_threads(2)
SPEC = BiasSpec(num_buckets=32, max_distance=128)  # far distance 113


def _docs(lengths: list[int], seq: int) -> torch.Tensor:
    """One row of document ids: documents of `lengths` (1, 2, ...) then padding (0)."""
    row = torch.zeros(seq, dtype=torch.int32)
    start = 0
    for i, n in enumerate(lengths, 1):
        row[start : start + n] = i
        start += n
    return row


def _run(backend, q, k, v, table, grad_out, doc_ids):
    leaves = [x.detach().clone().requires_grad_() for x in (q, k, v, table)]
    seq = q.shape[2]
    prepared = backend.prepare(leaves[3], SPEC, q_len=seq, k_len=seq, q_offset=0, doc_ids=doc_ids)
    out = backend.attend(*leaves[:3], prepared)
    return out.detach(), torch.autograd.grad(out, leaves, grad_out)


def _inputs(seq, *, bsz=2, heads=3, dim=8, dtype=torch.float64):
    g = torch.Generator().manual_seed(0)
    q, k, v, grad_out = (torch.randn(bsz, heads, seq, dim, generator=g, dtype=dtype) for _ in range(4))
    return q, k, v, torch.randn(SPEC.num_buckets, heads, generator=g, dtype=dtype), grad_out


def test_block_causal_bias_gradient_decomposition_matches_the_reference_exactly():
    """Documents shorter and longer than the far distance (113), and padding: output and every gradient."""
    seq = 300
    doc_ids = torch.stack([_docs([40, 150, 90], seq), _docs([7, 7, 200], seq)])
    q, k, v, table, grad_out = _inputs(seq)
    ref_out, ref_grads = _run(select_backend("reference"), q, k, v, table, grad_out, doc_ids)
    flex_out, flex_grads = _run(FlexBackend(core="math"), q, k, v, table, grad_out, doc_ids)
    torch.testing.assert_close(flex_out, ref_out, rtol=1e-10, atol=1e-10)
    for name, a, b in zip(["q", "k", "v", "table"], flex_grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10, msg=f"grad {name}")
    plain_out, _ = _run(select_backend("reference"), q, k, v, table, grad_out, None)
    assert not torch.allclose(plain_out, ref_out)  # the mask changes something


def test_each_document_attends_as_if_it_were_alone():
    """Attention output of document 2 in a packed row == the same tokens alone at position 0."""
    seq = 160
    q, k, v, table, _ = _inputs(seq, bsz=1)
    doc_ids = _docs([50, 100], seq)[None]
    ref = select_backend("reference")
    packed = ref.attend(q, k, v, ref.prepare(table, SPEC, q_len=seq, k_len=seq, q_offset=0, doc_ids=doc_ids))
    alone_qkv = [x[:, :, 50:150] for x in (q, k, v)]
    alone = ref.attend(*alone_qkv, ref.prepare(table, SPEC, q_len=100, k_len=100, q_offset=0))
    torch.testing.assert_close(packed[:, :, 50:150], alone, rtol=1e-12, atol=1e-12)


@pytest.mark.filterwarnings("ignore:flex_attention called without torch.compile")
def test_flex_kernel_with_a_document_block_mask_matches_the_math_core_on_cpu():
    seq = 150
    q, k, v, table, _ = _inputs(seq, dtype=torch.float32, heads=2, dim=16)
    doc_ids = torch.stack([_docs([30, 100], seq), _docs([149], seq)])
    bias_dist = distance_bias(table, SPEC)
    mask = document_block_mask(doc_ids, compile=False)
    out, lse = flex_core(q, k, v, bias_dist, block_mask=mask, compiled=False)
    ref_out, ref_lse = math_core(q, k, v, bias_dist, doc_ids)
    torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(lse, ref_lse, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="FlexAttention backward needs CUDA")
def test_flex_kernel_with_documents_matches_reference_on_cuda():
    q, k, v, table, grad_out = (x.cuda() for x in _inputs(512, dtype=torch.float32, heads=4, dim=64))
    doc_ids = torch.stack([_docs([100, 300, 60], 512), _docs([512], 512)]).cuda()
    ref_out, ref_grads = _run(select_backend("reference"), q, k, v, table, grad_out, doc_ids)
    flex_out, flex_grads = _run(FlexBackend(core="flex"), q, k, v, table, grad_out, doc_ids)
    torch.testing.assert_close(flex_out, ref_out, rtol=2e-3, atol=2e-3)
    for a, b in zip(flex_grads, ref_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=5e-3, atol=5e-3)


def _example_loss(model, ids, mask, doc_ids=None) -> torch.Tensor:
    """Summed loss over the loss-masked targets of one row (ids [1, n + 1], mask [1, n + 1])."""
    logits = model(ids[:, :-1], doc_ids=None if doc_ids is None else doc_ids[:, :-1])
    ce = F.cross_entropy(logits.flatten(0, 1), ids[:, 1:].flatten(), reduction="none").double()
    return (ce * mask[:, 1:].flatten()).sum()


@pytest.mark.parametrize("backend", ["reference", "flex"])
def test_a_discriminative_example_has_the_same_loss_packed_or_alone(backend):
    """The issue's case: another label of the same response earlier in the row must not move P(<1>)."""
    tok = WordTokenizer()
    seen = render_example(DiscriminativeExample(["how are you"], "fine thanks", "SENSIBLE", 1), tok)
    target = render_example(DiscriminativeExample(["how are you"], "fine thanks", "SPECIFIC", 0), tok)
    filler = render_example(GenerativeExample(["hello there"], "hi how are you today"), tok)
    cfg = ModelConfig(vocab_size=160, d_model=32, n_layers=2, n_heads=2, d_head=16, d_ff=64, max_seq_len=64)
    torch.manual_seed(0)
    model = build_model(cfg, device="cpu", attention_backend=backend).double()
    row = seen.ids + filler.ids + target.ids
    pad = 48 - len(row)
    ids = torch.tensor([row + [tok.special_id("PAD")] * pad])
    only_target = [0] * (len(seen) + len(filler)) + target.loss_mask + [0] * pad
    mask = torch.tensor([only_target], dtype=torch.float64)
    docs = torch.tensor([[1] * len(seen) + [2] * len(filler) + [3] * len(target) + [0] * pad])
    alone = _example_loss(model, torch.tensor([target.ids]), torch.tensor([target.loss_mask], dtype=torch.float64))
    packed = _example_loss(model, ids, mask, docs)
    torch.testing.assert_close(packed, alone, rtol=1e-10, atol=1e-10)
    leaky = _example_loss(model, ids, mask)  # without the mask the example sees the other label
    assert abs(float(leaky - alone)) > 1e-6


def test_token_batches_give_every_packed_example_its_own_document_id():
    tok = WordTokenizer()
    gen = [GenerativeExample([f"q {i}"] * (i % 3), f"answer {i} " * (1 + i % 4)) for i in range(30)]
    batches = TokenBatches.from_examples({"generative": gen}, tok, seq_len=32, global_batch_size=4, seed=0)
    bos = tok.special_id("BOS")
    for _ in range(5):
        batch = next(batches)
        for ids, docs in zip(batch.input_ids, batch.doc_ids, strict=True):
            starts = (ids == bos).nonzero().flatten().tolist()
            assert starts[0] == 0 and len(starts) >= 1
            expected = torch.zeros_like(docs)
            for n, s in enumerate(starts, 1):
                expected[s:] = n
            expected[ids == tok.special_id("PAD")] = 0  # trailing padding is its own "document" 0
            assert torch.equal(docs, expected)


def test_doc_ids_are_refused_with_a_kv_cache():
    from training.model.model import KVCache

    cfg = ModelConfig(vocab_size=50, d_model=16, n_layers=1, n_heads=2, d_head=8, d_ff=32, max_seq_len=16)
    model = build_model(cfg, device="cpu")
    cache = KVCache.allocate(cfg, 1, 16)
    with pytest.raises(ValueError, match="doc_ids"):
        model(torch.tensor([[1, 2, 3]]), cache=cache, doc_ids=torch.ones(1, 3, dtype=torch.int32))
