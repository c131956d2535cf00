"""Single-process build/parallelize on CPU: meta init, activation checkpointing, FSDP2 on a 1-rank gloo group.

(The 2-rank torchrun/gloo equality test lives in test_fsdp_gloo.py, owned by the training-loop tests.)
"""

import os

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

from training.model.config import ModelConfig
from training.model.model import LaMDAModel
from training.run.parallel import build_model, init_distributed, parallelize

torch.set_num_threads(2)
CFG = ModelConfig(vocab_size=61, d_model=32, n_layers=2, n_heads=4, d_head=8, d_ff=64, max_seq_len=64)


def loss_and_grads(model, ids):
    model.zero_grad()
    logits = model(ids[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, CFG.vocab_size), ids[:, 1:].reshape(-1))
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    return loss.item(), grads


def test_meta_build_is_fully_initialised_and_seeded():
    torch.manual_seed(3)
    meta_built = build_model(CFG, device="cpu", attention_backend="reference")
    assert not any(p.is_meta for p in meta_built.parameters())
    reference = LaMDAModel(CFG, attention_backend="reference")
    torch.manual_seed(3)
    reference.init_weights()
    for (name, a), (_, b) in zip(meta_built.state_dict().items(), reference.state_dict().items(), strict=True):
        torch.testing.assert_close(a, b, msg=name)
    torch.testing.assert_close(meta_built.norm.weight, torch.ones(CFG.d_model))
    out_std = meta_built.layers[0].ff.w_down.weight.std().item()
    assert out_std == pytest.approx(CFG.init_std / 2, rel=0.2)  # init_std / sqrt(2 * n_layers)
    torch.manual_seed(3)
    direct = build_model(CFG, device="cpu", attention_backend="reference", meta=False)
    assert direct.num_params() == meta_built.num_params()


@pytest.mark.parametrize("backend", ["reference", "flex"])
def test_activation_checkpointing_keeps_loss_grads_and_names(backend):
    torch.manual_seed(0)
    plain = build_model(CFG, device="cpu", attention_backend=backend)
    ac = build_model(CFG, device="cpu", attention_backend=backend)
    ac.load_state_dict(plain.state_dict())
    parallelize(ac, fsdp=False, compile=False, activation_checkpointing=True)
    assert all(b.activation_checkpointing for b in ac.layers)
    assert list(ac.state_dict()) == list(plain.state_dict())  # checkpoints stay portable
    ids = torch.randint(0, CFG.vocab_size, (2, 20))
    loss_a, grads_a = loss_and_grads(plain, ids)
    loss_b, grads_b = loss_and_grads(ac, ids)
    assert loss_a == pytest.approx(loss_b, rel=1e-6)
    for name in grads_a:
        torch.testing.assert_close(grads_b[name], grads_a[name], rtol=1e-5, atol=1e-7, msg=name)


def test_compile_flag_wraps_blocks_in_place():
    model = build_model(CFG, device="cpu", attention_backend="reference")
    names = list(model.state_dict())
    parallelize(model, fsdp=False, compile=True, activation_checkpointing=False)
    assert all(block._compiled_call_impl is not None for block in model.layers)  # nn.Module.compile()
    assert list(model.state_dict()) == names


def test_fsdp_without_process_group_is_a_clear_error():
    model = build_model(CFG, device="cpu", attention_backend="reference")
    with pytest.raises(RuntimeError, match="needs a process group"):
        parallelize(model, fsdp=True, compile=False, activation_checkpointing=False)


def test_init_distributed_without_torchrun(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert init_distributed(device="cpu") == (0, 1, torch.device("cpu"))
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            init_distributed(device="cuda")


def test_fsdp2_one_rank_gloo_matches_unsharded(tmp_path):
    if dist.is_initialized():
        pytest.skip("a process group already exists in this test process")
    from torch.distributed.tensor import DTensor

    torch.manual_seed(0)
    plain = build_model(CFG, device="cpu", attention_backend="reference")
    sharded = build_model(CFG, device="cpu", attention_backend="reference")
    sharded.load_state_dict(plain.state_dict())
    ids = torch.randint(0, CFG.vocab_size, (2, 20))
    store = dist.FileStore(os.fspath(tmp_path / "store"), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        parallelize(sharded, fsdp=True, compile=False, activation_checkpointing=True)
        assert isinstance(sharded.layers[0].attn.wqkv.weight, DTensor)
        loss_a, grads_a = loss_and_grads(plain, ids)
        loss_b, grads_b = loss_and_grads(sharded, ids)
        assert loss_a == pytest.approx(loss_b, rel=1e-6)
        for name, g in grads_a.items():
            torch.testing.assert_close(grads_b[name].full_tensor(), g, rtol=1e-5, atol=1e-7, msg=name)
    finally:
        dist.destroy_process_group()
