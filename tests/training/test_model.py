"""Model shape, presets, parameter counts, causality, backend agreement at model level, KV cache, learning."""

import pytest
import torch
import torch.nn.functional as F

from training.model.config import MODEL_PRESETS, ModelConfig, model_preset
from training.model.model import KVCache, LaMDAModel

torch.set_num_threads(2)


def small_cfg(**kw) -> ModelConfig:
    base = dict(vocab_size=97, d_model=32, n_layers=2, n_heads=4, d_head=8, d_ff=64, max_seq_len=160)
    base.update(kw)
    return ModelConfig(**base)


def test_lamda_137b_non_embedding_parameter_count_matches_paper():
    cfg = model_preset("lamda_137b")
    with torch.device("meta"):
        model = LaMDAModel(cfg)
    # Per layer: attention wqkv + wo = 4 * d_model * (heads * d_head) = 4 * 8192 * 16384 = 536,870,912
    #            gated-GELU FF: 3 * d_model * d_ff = 3 * 8192 * 65536             = 1,610,612,736
    #            two RMSNorm gains: 2 * 8192                                      =        16,384
    # 64 layers -> 64 * 2,147,500,032 = 137,440,002,048; + final norm 8192 + bias table 32 * 128 = 4096.
    expected = 64 * (4 * 8192 * 16384 + 3 * 8192 * 65536 + 2 * 8192) + 8192 + 32 * 128
    assert expected == 137_440_014_336
    assert model.num_params(non_embedding=True) == expected
    assert abs(expected / 137e9 - 1) < 0.005  # the paper's "137B non-embedding parameters"
    assert model.num_params(non_embedding=False) == expected + 32000 * 8192  # tied head: one vocab matrix


def test_preset_sizes_are_as_documented():
    sizes = {}
    for name in MODEL_PRESETS:
        with torch.device("meta"):
            sizes[name] = LaMDAModel(model_preset(name)).num_params(non_embedding=False)
    assert 1.8e9 < sizes["lamda_2b"] < 2.0e9
    assert 7.5e9 < sizes["lamda_8b"] < 7.8e9
    assert 0.85e9 < sizes["bench_0p9b"] < 0.92e9
    assert sizes["tiny"] < 2e6


def test_config_round_trip_and_errors():
    cfg = model_preset("tiny")
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown model config key\\(s\\) bogus"):
        ModelConfig.from_dict({**cfg.to_dict(), "bogus": 1})
    with pytest.raises(ValueError, match="unknown preset 'huge'; choose one of: tiny, lamda_2b"):
        model_preset("huge")
    with pytest.raises(ValueError, match="n_layers must be a positive integer"):
        small_cfg(n_layers=0)
    with pytest.raises(ValueError, match="rel_max_distance"):
        small_cfg(rel_buckets=32, rel_max_distance=16)
    assert cfg.replace(n_layers=2).n_layers == 2


def test_untied_head_is_counted_as_embedding():
    tied, untied = LaMDAModel(small_cfg()), LaMDAModel(small_cfg(tie_embeddings=False))
    assert tied.num_params() == untied.num_params()
    assert untied.num_params(non_embedding=False) == tied.num_params(non_embedding=False) + 97 * 32


def test_forward_shape_dtype_and_causality():
    torch.manual_seed(0)
    model = LaMDAModel(small_cfg(), attention_backend="reference")
    ids = torch.randint(0, 97, (2, 12))
    logits = model(ids)
    assert logits.shape == (2, 12, 97) and logits.dtype == torch.float32
    changed = ids.clone()
    changed[:, 8:] = (changed[:, 8:] + 1) % 97
    torch.testing.assert_close(model(changed)[:, :8], logits[:, :8])
    assert not torch.allclose(model(changed)[:, 8:], logits[:, 8:])
    with pytest.raises(ValueError, match="input_ids must be"):
        model(torch.zeros(3, dtype=torch.long))


def test_model_backends_agree_forward_and_all_gradients():
    """Whole model, same weights: reference vs flex (math core on CPU), including the shared bias table."""
    torch.manual_seed(0)
    ref = LaMDAModel(small_cfg(), attention_backend="reference").double()
    flex = LaMDAModel(small_cfg(), attention_backend="flex").double()
    flex.load_state_dict(ref.state_dict())
    ids = torch.randint(0, 97, (2, 150))  # longer than the far distance (113): the last bucket is in play
    losses = []
    for m in (ref, flex):
        logits = m(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, 97), ids[:, 1:].reshape(-1))
        loss.backward()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)
    for (name, p_ref), (_, p_flex) in zip(ref.named_parameters(), flex.named_parameters(), strict=True):
        torch.testing.assert_close(p_flex.grad, p_ref.grad, rtol=1e-8, atol=1e-12, msg=name)
    assert ref.rel_bias.weight.grad.abs().min() > 0  # every bucket (incl. the last one) learns


def test_kv_cache_incremental_decode_matches_full_forward():
    torch.manual_seed(0)
    model = LaMDAModel(small_cfg(), attention_backend="reference").eval()
    ids = torch.randint(0, 97, (2, 140))  # past the last bucket's start, so cached bias offsets matter
    with torch.no_grad():
        full = model(ids)
        cache = KVCache.allocate(model.cfg, batch=2, max_len=140)
        parts = [model(ids[:, :100], cache=cache)]
        parts += [model(ids[:, t : t + 1], cache=cache) for t in range(100, 130)]
        parts.append(model(ids[:, 130:], cache=cache))
    assert cache.length == 140
    torch.testing.assert_close(torch.cat(parts, dim=1), full, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="KV cache full"):
        model(ids[:, :1], cache=cache)


def test_kv_cache_expand_and_reorder():
    torch.manual_seed(0)
    model = LaMDAModel(small_cfg(), attention_backend="reference").eval()
    prompt, nxt = torch.randint(0, 97, (1, 10)), torch.randint(0, 97, (3, 1))
    with torch.no_grad():
        cache = KVCache.allocate(model.cfg, batch=1, max_len=11)
        model(prompt, cache=cache)
        cache.expand([0, 0, 0])
        step = model(nxt, cache=cache)[:, -1]
        full = model(torch.cat([prompt.expand(3, -1), nxt], dim=1))[:, -1]
    torch.testing.assert_close(step, full, rtol=1e-4, atol=1e-4)
    cache.reorder([2, 0])
    assert cache.batch_size == 2
    with pytest.raises(ValueError, match="out of range"):
        cache.reorder([5])
    with pytest.raises(ValueError, match="batch 2"):
        model(nxt, cache=cache)


def test_loss_decreases_on_one_batch_with_adamw():
    torch.manual_seed(0)
    model = LaMDAModel(small_cfg(), attention_backend="reference")
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    ids = torch.randint(0, 97, (4, 32))
    losses = []
    for _ in range(30):
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 97), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(torch.log(torch.tensor(97.0)).item(), abs=0.3)  # ~uniform at init
    assert losses[-1] < 0.5 * losses[0]


def test_flops_per_token_and_mfu():
    from training.model.flops import flops_per_token, matmul_params, mfu, peak_flops

    cfg = model_preset("bench_0p9b")
    # per layer: wqkv 2048*6144 + wo 2048*2048 + FF 3*2048*5632 = 51,380,224; x16 + output head 32000*2048
    assert matmul_params(cfg) == 16 * 51_380_224 + 65_536_000
    attention = 12 * 16 * 16 * 128 * 2048  # PaLM: 12 * layers * heads * d_head * seq
    assert flops_per_token(cfg, 2048) == 6 * (16 * 51_380_224 + 65_536_000) + attention
    peak = peak_flops("cpu")  # measured GEMM rate, cached per thread count
    assert peak is not None and peak > 1e8
    assert mfu(1000.0, cfg, 2048, "cpu") == pytest.approx(1000.0 * flops_per_token(cfg, 2048) / peak)
    assert peak_flops("meta") is None


def test_cpu_mfu_never_exceeds_100_percent_when_the_gemm_peak_was_measured_on_a_busy_box():
    from training.model.flops import PeakTracker, flops_per_token

    cfg = model_preset("tiny")
    rates = iter([1e9, 3e9])  # the start-up measurement saw a busy box; the re-measurement a quieter one
    tracker = PeakTracker("cpu", measure=lambda: next(rates))
    tokens_per_s = 2e9 / flops_per_token(cfg, 128)  # a step achieving 2 GFLOP/s of model FLOPs
    first = tracker.mfu(tokens_per_s, cfg, 128)
    assert first == pytest.approx(2 / 3) and tracker.peak == 3e9 and tracker.raised == 1
    rates = iter([1.5e9])
    faster = tracker.mfu(2 * 3e9 / flops_per_token(cfg, 128), cfg, 128)  # beats every measurement
    assert faster == pytest.approx(1.0) and tracker.peak == pytest.approx(6e9)
    assert tracker.mfu(tokens_per_s, cfg, 128) == pytest.approx(1 / 3)
