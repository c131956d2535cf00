"""LaMDA-architecture decoder: pre-norm Transformer, T5 relative position bias, gated-GELU feed-forward.

nanoGPT-style plain modules so FSDP2 can shard `layers[i]` one by one. Design choices (docs/model.md):
* ONE relative-bias table [rel_buckets, n_heads] shared by all layers (as in T5, where only the first layer owns
  it and later layers reuse its bias); the bias is prepared once per forward by the attention backend.
* RMSNorm without bias (T5 LayerNorm), no biases in linear layers, scores scaled by 1/sqrt(d_head).
* Gated GELU: down(gelu_tanh(x W_gate) * (x W_up)), three d_model x d_ff matrices.
* Output head tied to the input embedding by default; logits are returned in float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from training.model import init
from training.model.attention import BiasSpec, check_backend_name, select_backend
from training.model.attention.base import AttentionBackend
from training.model.config import ModelConfig


@dataclass
class KVCache:
    """Keys/values of every layer: k, v are [n_layers, batch, n_heads, max_len, d_head]; `length` tokens filled."""

    k: Tensor
    v: Tensor
    length: int = 0

    @classmethod
    def allocate(
        cls,
        cfg: ModelConfig,
        batch: int,
        max_len: int,
        device: torch.device | str = "cpu",
        dtype: torch.dtype = torch.float32,
    ) -> KVCache:
        if batch <= 0 or max_len <= 0:
            raise ValueError(f"KVCache needs batch > 0 and max_len > 0, got batch={batch}, max_len={max_len}")
        shape = (cfg.n_layers, batch, cfg.n_heads, max_len, cfg.d_head)
        return cls(torch.zeros(shape, device=device, dtype=dtype), torch.zeros(shape, device=device, dtype=dtype))

    @property
    def batch_size(self) -> int:
        return self.k.shape[1]

    @property
    def max_len(self) -> int:
        return self.k.shape[3]

    def update(self, layer: int, k_new: Tensor, v_new: Tensor) -> tuple[Tensor, Tensor]:
        """Write this step's keys/values for `layer` after the filled part; return all keys/values so far."""
        end = self.length + k_new.shape[2]
        self.k[layer, :, :, self.length : end] = k_new
        self.v[layer, :, :, self.length : end] = v_new
        return self.k[layer, :, :, :end].to(k_new.dtype), self.v[layer, :, :, :end].to(v_new.dtype)

    def reorder(self, batch_indices: list[int] | Tensor) -> KVCache:
        """Select (and repeat) batch rows in place, e.g. expand one prompt into N candidates: reorder([0] * N)."""
        idx = torch.as_tensor(batch_indices, dtype=torch.long, device=self.k.device)
        if idx.ndim != 1 or idx.numel() == 0:
            raise ValueError("batch_indices must be a non-empty 1-D list of row indices")
        if int(idx.min()) < 0 or int(idx.max()) >= self.batch_size:
            raise ValueError(f"batch_indices out of range for a cache of batch {self.batch_size}")
        self.k = self.k.index_select(1, idx)
        self.v = self.v.index_select(1, idx)
        return self

    expand = reorder


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig, layer_idx: int) -> None:
        super().__init__()
        self.layer_idx = layer_idx
        self.n_heads, self.d_head = cfg.n_heads, cfg.d_head
        self.wqkv = nn.Linear(cfg.d_model, 3 * cfg.d_attn, bias=False)
        self.wo = nn.Linear(cfg.d_attn, cfg.d_model, bias=False)

    def forward(self, x: Tensor, backend: AttentionBackend, prepared: object, cache: KVCache | None) -> Tensor:
        bsz, seq, _ = x.shape
        qkv = self.wqkv(x).view(bsz, seq, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if cache is not None:
            k, v = cache.update(self.layer_idx, k, v)
        out = backend.attend(q, k, v, prepared)
        return self.wo(out.transpose(1, 2).reshape(bsz, seq, self.n_heads * self.d_head))


class GatedGeluFF(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.w_gate = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.w_up = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.w_down = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.w_down(F.gelu(self.w_gate(x), approximate="tanh") * self.w_up(x))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig, layer_idx: int) -> None:
        super().__init__()
        self.attn_norm = nn.RMSNorm(cfg.d_model, eps=cfg.norm_eps)
        self.attn = Attention(cfg, layer_idx)
        self.ff_norm = nn.RMSNorm(cfg.d_model, eps=cfg.norm_eps)
        self.ff = GatedGeluFF(cfg)
        # Set by parallel.parallelize: recompute this block in the backward (keeps parameter names unchanged).
        self.activation_checkpointing = False

    def _forward(self, x: Tensor, backend: AttentionBackend, prepared: object, cache: KVCache | None) -> Tensor:
        x = x + self.attn(self.attn_norm(x), backend, prepared, cache)
        return x + self.ff(self.ff_norm(x))

    def forward(self, x: Tensor, backend: AttentionBackend, prepared: object, cache: KVCache | None = None):
        if self.activation_checkpointing and cache is None and torch.is_grad_enabled():
            return checkpoint(self._forward, x, backend, prepared, None, use_reentrant=False)
        return self._forward(x, backend, prepared, cache)


class LaMDAModel(nn.Module):
    def __init__(self, cfg: ModelConfig, attention_backend: str = "auto") -> None:
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.attention_backend = check_backend_name(attention_backend)
        self.bias_spec = BiasSpec(cfg.rel_buckets, cfg.rel_max_distance)
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.rel_bias = nn.Embedding(cfg.rel_buckets, cfg.n_heads)  # weight: [buckets, heads], shared by layers
        self.layers = nn.ModuleList(Block(cfg, i) for i in range(cfg.n_layers))
        self.norm = nn.RMSNorm(cfg.d_model, eps=cfg.norm_eps)
        self.lm_head = None if cfg.tie_embeddings else nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if not any(p.is_meta for p in self.parameters()):
            self.init_weights()

    @torch.no_grad()
    def init_weights(self, seed: int | None = None) -> None:
        """(Re)initialise every parameter; call after `to_empty` when the model was built on the meta device.

        Normal(0, init_std) for embeddings, the bias table and input projections; output projections (wo, w_down)
        use init_std / sqrt(2 * n_layers) (GPT-2) so the residual stream does not grow with depth; norm gains 1.
        Works on FSDP2 shards: each rank fills only its rows, with values that depend on `seed` and the parameter
        name, not on the world size (`training/model/init.py`). `seed=None` draws one from torch's global RNG.
        """
        if seed is None:
            seed = int(torch.randint(0, 2**62, (1,)).item())
        std = self.cfg.init_std
        out_std = std / math.sqrt(2 * self.cfg.n_layers)
        for name, param in self.named_parameters():
            if name.endswith("norm.weight"):
                init.fill_(param, 1.0)
            elif name.endswith(("attn.wo.weight", "ff.w_down.weight")):
                init.normal_(param, std=out_std, seed=seed, name=name)
            else:  # embed, rel_bias, wqkv, w_gate, w_up, lm_head
                init.normal_(param, std=std, seed=seed, name=name)

    def num_params(self, non_embedding: bool = True) -> int:
        """Parameter count; non_embedding leaves out the token embedding (and an untied output head)."""
        total = sum(p.numel() for p in self.parameters())
        if non_embedding:
            total -= self.embed.weight.numel()
            if self.lm_head is not None:
                total -= self.lm_head.weight.numel()
        return total

    def forward(self, input_ids: Tensor, *, cache: KVCache | None = None, doc_ids: Tensor | None = None) -> Tensor:
        """input_ids [B, S] -> float32 logits [B, S, V]. With a cache, positions continue from cache.length.

        doc_ids [B, S] (packed training rows): block-causal attention, each token sees only the earlier tokens of
        its own document, so a packed example computes what it computes alone (docs/document-masking.md).
        """
        if input_ids.ndim != 2 or input_ids.shape[1] == 0:
            raise ValueError(f"input_ids must be [batch, seq] with seq >= 1, got shape {tuple(input_ids.shape)}")
        bsz, seq = input_ids.shape
        offset = 0
        if cache is not None:
            offset = cache.length
            if cache.batch_size != bsz:
                raise ValueError(f"KV cache holds batch {cache.batch_size}, input has batch {bsz}")
            if offset + seq > cache.max_len:
                raise ValueError(f"KV cache full: {offset} + {seq} tokens > max_len {cache.max_len}")
        backend = select_backend(self.attention_backend, device=input_ids.device)
        if cache is not None and backend.name == "flex":
            # Decoding (no gradients): the materialised bias is cheap for short queries, and a compiled
            # FlexAttention would recompile for every new prompt length.
            backend = select_backend("reference")
        if doc_ids is not None and (cache is not None or doc_ids.shape != input_ids.shape):
            raise ValueError("doc_ids must be [batch, seq] like input_ids and cannot be used with a KV cache")
        prepared = backend.prepare(
            self.rel_bias.weight, self.bias_spec, q_len=seq, k_len=offset + seq, q_offset=offset, doc_ids=doc_ids
        )
        h = self.embed(input_ids)
        for block in self.layers:
            h = block(h, backend, prepared, cache)
        h = self.norm(h)
        weight = self.embed.weight if self.lm_head is None else self.lm_head.weight
        logits = F.linear(h, weight).float()
        if cache is not None:
            cache.length = offset + seq
        return logits
