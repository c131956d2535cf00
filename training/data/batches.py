"""Token batches for training: render examples once, then pack them into fixed-length rows deterministically.

    examples (snapshot(s) or demo corpus) --render--> per-kind RenderedSet (flat int32 ids + uint8 loss mask)
    pick stream:  pick k -> kind (weighted, seeded per block of picks) -> next example of that kind
                  (per-kind permutation, reshuffled every epoch of that kind)
    packing:      greedy, in pick order, into rows of seq_len + 1 tokens (an example never straddles two rows;
                  a row that cannot take the next example is padded)
    global batch: rows [0, G) of the step; rank r takes rows [r*G/W, (r+1)*G/W), split into micro batches

Every rank builds the whole global batch (cheap array work on rendered ids) and keeps its slice, so the
global batch is identical for any world size, and the data position (`state_dict`) is the same on all ranks.
See docs/dataset-format.md ("How the trainer reads a snapshot").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from training.errors import TrainInputError
from training.format.io import load_snapshot
from training.format.render import TokenizerLike
from training.format.rendered_set import RenderedSet, example_texts, render_kinds
from training.format.schema import KINDS, Example
from training.format.specials import DatasetError

STATE_VERSION = 1
_BLOCK = 4096  # picks whose kinds are drawn together from one seeded generator


@dataclass
class Batch:
    input_ids: torch.Tensor  # [B, S] int64
    targets: torch.Tensor  # [B, S] int64: input_ids shifted left by one (next token)
    loss_mask: torch.Tensor  # [B, S] float32: 1 where the target is trained on
    global_loss_tokens: int  # loss_mask summed over the WHOLE global batch (all ranks and micro batches)
    num_examples: dict[str, int] = field(default_factory=dict)  # examples starting in these rows, per kind
    doc_ids: torch.Tensor | None = None  # [B, S] int32: 1, 2, ... per example in its row, 0 for the padding

    def to(self, device: torch.device | str) -> Batch:
        move = lambda t: t.to(device, non_blocking=True)
        return Batch(
            move(self.input_ids),
            move(self.targets),
            move(self.loss_mask),
            self.global_loss_tokens,
            dict(self.num_examples),
            None if self.doc_ids is None else move(self.doc_ids),
        )


def _resolve_mixture(mixture: Mapping[str, float] | None, counts: Mapping[str, int]) -> dict[str, float]:
    """kind -> probability over kinds that have examples. Default: proportional to the number of examples."""
    if not mixture:
        mixture = {k: float(n) for k, n in counts.items()}
    bad = sorted(set(mixture) - set(KINDS))
    if bad or any(w < 0 for w in mixture.values()):
        raise TrainInputError(f"mixture {dict(mixture)}: kinds must be {', '.join(KINDS)} with weights >= 0")
    for kind, weight in mixture.items():
        if weight > 0 and counts.get(kind, 0) == 0:
            raise DatasetError(
                f"mixture gives {kind} weight {weight} but the data has no {kind} examples; "
                f"set {kind}=0 or add a snapshot with {kind} examples"
            )
    total = sum(w for w in mixture.values() if w > 0)
    if total <= 0:
        raise DatasetError("mixture: every kind has weight 0 or no examples; give a kind with data a weight > 0")
    return {k: mixture[k] / total for k in KINDS if mixture.get(k, 0) > 0}


class TokenBatches:
    """Infinite, deterministic iterator of this rank's micro batches; `state_dict()` resumes it exactly."""

    def __init__(
        self,
        sets: Mapping[str, RenderedSet],
        *,
        seq_len: int,
        global_batch_size: int,
        pad_id: int,
        micro_batch_size: int | None = None,
        rank: int = 0,
        world_size: int = 1,
        seed: int = 0,
        mixture: Mapping[str, float] | None = None,
        pack: bool = True,
    ) -> None:
        per_rank, rem = divmod(global_batch_size, world_size)
        micro = micro_batch_size or per_rank
        if seq_len < 1 or global_batch_size < 1 or rem or micro < 1 or per_rank % micro:
            raise TrainInputError(
                f"batch size {global_batch_size} must split evenly over {world_size} rank(s) and micro "
                f"batches of {micro}; choose --batch-size = world size x micro batch x accumulation steps"
            )
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world size {world_size}")
        for kind, rs in sets.items():
            if len(rs) and rs.max_len > seq_len + 1:
                raise DatasetError(f"{kind}: an example of {rs.max_len} tokens does not fit seq_len {seq_len}")
        self.sets = {k: sets[k] for k in KINDS if k in sets}
        self.counts = {k: len(s) for k, s in self.sets.items()}
        self.probs = _resolve_mixture(mixture, self.counts)
        self.seq_len, self.global_batch_size, self.micro_batch_size = seq_len, global_batch_size, micro
        self.rank, self.world_size, self.seed, self.pad_id, self.pack = rank, world_size, seed, pad_id, pack
        self.accum_steps = per_rank // micro
        self._active = list(self.probs)
        self._p = np.array([self.probs[k] for k in self._active])
        self._kind_block: tuple[int, np.ndarray] | None = None
        self._perm_cache: dict[tuple[str, int], np.ndarray] = {}
        # data position: picks consumed before the current global batch, per-kind counts, step, micro index
        self.picks, self.kind_counts, self.step, self.micro = 0, {k: 0 for k in KINDS}, 0, 0
        self._global: tuple[np.ndarray, np.ndarray, list[list[str]], int, dict[str, int]] | None = None

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_examples(
        cls,
        examples: Mapping[str, Sequence[Example]],
        tok: TokenizerLike,
        *,
        seq_len: int,
        origins: Mapping[str, Sequence[str]] | None = None,
        truncate_long: bool = False,
        **kwargs,
    ) -> TokenBatches:
        sets = render_kinds(examples, tok, max_tokens=seq_len + 1, origins=origins, truncate_long=truncate_long)
        return cls(sets, seq_len=seq_len, pad_id=tok.special_id("PAD"), **kwargs)

    @classmethod
    def from_snapshots(
        cls, paths: Sequence[str | Path], tok: TokenizerLike, *, seq_len: int, mixture=None, **kwargs
    ) -> TokenBatches:
        """Read + validate every snapshot (errors name the file and line), render, and batch the union.
        Mixture default: the first manifest's `mixture` hint, else proportional to the example counts."""
        if not paths:
            raise DatasetError("no dataset snapshot given; pass --data <snapshot folder>")
        examples: dict[str, list[Example]] = {k: [] for k in KINDS}
        origins: dict[str, list[str]] = {k: [] for k in KINDS}
        hint: dict[str, float] = {}
        for path in paths:
            snap = load_snapshot(path)
            hint = hint or snap.manifest.mixture
            for kind in KINDS:
                examples[kind] += snap.examples[kind]
                origins[kind] += snap.origins[kind]
        return cls.from_examples(examples, tok, seq_len=seq_len, origins=origins, mixture=mixture or hint, **kwargs)

    @classmethod
    def from_demo_corpus(
        cls,
        tok: TokenizerLike,
        *,
        seq_len: int,
        max_dialogs: int | None = None,
        max_context_turns: int = 4,
        **kwargs,
    ) -> TokenBatches:
        """The chitchat demo corpus. Its context windows are ours, so long examples always lose their oldest
        context turns until they fit (a turn that alone does not fit is dropped): truncate_long is forced on.
        """
        from training.data.corpus import dialog_examples, load_chitchat_dialogs

        kwargs.pop("truncate_long", None)
        dialogs = load_chitchat_dialogs(max_dialogs=max_dialogs)
        examples = list(dialog_examples(dialogs, max_context_turns=max_context_turns))
        origins = [f"chitchat-dataset:{ex.id}" for ex in examples]
        return cls.from_examples(
            {"generative": examples},
            tok,
            seq_len=seq_len,
            origins={"generative": origins},
            truncate_long=True,
            **kwargs,
        )

    # ---------------------------------------------------------------- pick stream
    def _kind_of(self, pick: int) -> str:
        if len(self._active) == 1:
            return self._active[0]
        block = pick // _BLOCK
        if self._kind_block is None or self._kind_block[0] != block:
            rng = np.random.default_rng([self.seed, 1, block])
            self._kind_block = (block, rng.choice(len(self._active), size=_BLOCK, p=self._p))
        return self._active[int(self._kind_block[1][pick % _BLOCK])]

    def _example_of(self, kind: str, j: int) -> int:
        n = self.counts[kind]
        epoch = j // n
        key = (kind, epoch)
        if key not in self._perm_cache:
            if len(self._perm_cache) > 8:
                self._perm_cache.clear()
            self._perm_cache[key] = np.random.default_rng([self.seed, 2, KINDS.index(kind), epoch]).permutation(n)
        return int(self._perm_cache[key][j % n])

    def _build_global(self) -> None:
        """Pack rows [0, G) of the current step; remember where the next step starts."""
        rows, width = self.global_batch_size, self.seq_len + 1
        ids = np.full((rows, width), self.pad_id, dtype=np.int64)
        mask = np.zeros((rows, width), dtype=np.float32)
        docs = np.zeros((rows, width), dtype=np.int32)  # 0 = padding; examples 1, 2, ... within each row
        row_kinds: list[list[str]] = [[] for _ in range(rows)]
        picks, counts = self.picks, dict(self.kind_counts)
        r = fill = 0
        while r < rows:
            kind = self._kind_of(picks)
            ex_ids, ex_mask = self.sets[kind].get(self._example_of(kind, counts[kind]))
            n = len(ex_ids)
            if fill + n > width:  # does not fit: pad this row, the example opens the next one
                r, fill = r + 1, 0
                continue
            ids[r, fill : fill + n] = ex_ids
            mask[r, fill : fill + n] = ex_mask
            row_kinds[r].append(kind)
            docs[r, fill : fill + n] = len(row_kinds[r])
            fill += n
            picks, counts[kind] = picks + 1, counts[kind] + 1
            if fill == width or not self.pack:
                r, fill = r + 1, 0
        self._global = (ids, mask, docs, row_kinds, picks, counts)

    # ---------------------------------------------------------------- iteration
    def __iter__(self) -> TokenBatches:
        return self

    def __next__(self) -> Batch:
        if self._global is None:
            self._build_global()
        ids, mask, docs, row_kinds, next_picks, next_counts = self._global
        per_rank = self.global_batch_size // self.world_size
        start = self.rank * per_rank + self.micro * self.micro_batch_size
        sl = slice(start, start + self.micro_batch_size)
        rows = torch.from_numpy(ids[sl])
        kinds = [k for rk in row_kinds[sl] for k in rk]
        batch = Batch(
            input_ids=rows[:, :-1].contiguous(),
            targets=rows[:, 1:].contiguous(),
            loss_mask=torch.from_numpy(mask[sl, 1:].copy()),
            global_loss_tokens=int(mask[:, 1:].sum()),
            num_examples={k: kinds.count(k) for k in self._active},
            doc_ids=torch.from_numpy(docs[sl, :-1].copy()),
        )
        self.micro += 1
        if self.micro == self.accum_steps:
            self.picks, self.kind_counts = next_picks, next_counts
            self.step, self.micro, self._global = self.step + 1, 0, None
        return batch

    next_batch = __next__

    def next_step(self) -> list[Batch]:
        """All of this rank's micro batches of one optimizer step (len == accum_steps)."""
        return [next(self) for _ in range(self.accum_steps - self.micro)]

    # ---------------------------------------------------------------- state
    def epochs(self) -> dict[str, float]:
        """How many passes over each kind's examples have been consumed (fractional)."""
        return {k: self.kind_counts[k] / n for k, n in self.counts.items() if n}

    def state_dict(self) -> dict:
        """Plain ints (JSON-safe), identical on every rank, valid for any world size at step boundaries."""
        return {
            "version": STATE_VERSION,
            "seed": self.seed,
            "step": self.step,
            "micro": self.micro,
            "picks": self.picks,
            "kind_counts": dict(self.kind_counts),
            "epochs": self.epochs(),
            "num_examples": dict(self.counts),
        }

    def load_state_dict(self, state: Mapping) -> None:
        if state.get("version") != STATE_VERSION:
            raise TrainInputError(
                f"data state version {state.get('version')!r} is not {STATE_VERSION}; start a new run"
            )
        if dict(state["num_examples"]) != self.counts:
            raise DatasetError(
                f"the checkpoint was trained on {dict(state['num_examples'])} examples per kind but this "
                f"data has {self.counts}; resume with the same --data/--seq-len, or start a new run "
                "(use --init-from)"
            )
        if state["seed"] != self.seed:
            raise TrainInputError(f"the checkpoint's data seed is {state['seed']}, not {self.seed}; resume with it")
        if state["micro"] >= self.accum_steps:
            raise TrainInputError(
                "the checkpoint stopped inside a step with another micro-batch layout; resume "
                "with the same world size and micro batch size"
            )
        self.picks, self.step, self.micro = int(state["picks"]), int(state["step"]), int(state["micro"])
        self.kind_counts = {k: int(state["kind_counts"].get(k, 0)) for k in KINDS}
        self._global = None


# ---------------------------------------------------------------- entry points used by training/loop.py
def tokenizer_texts(cfg) -> Iterable[str]:
    """Texts to train the run's tokenizer on: every text of the --data snapshots, or the demo corpus turns.
    `cfg` is a TrainConfig (fields used: data, demo_dialogs)."""
    if cfg.data:
        for path in cfg.data:
            snap = load_snapshot(path)
            for kind in KINDS:
                for ex in snap.examples[kind]:
                    yield from example_texts(ex)
        return
    from training.data.corpus import dialog_texts, load_chitchat_dialogs

    yield from dialog_texts(load_chitchat_dialogs(max_dialogs=cfg.demo_dialogs))


def build_batches(cfg, tok: TokenizerLike, *, rank: int, world_size: int, micro_batch: int) -> TokenBatches:
    """TokenBatches for a TrainConfig (uses data, mixture, demo_dialogs, truncate_long, seq_len, ...)"""
    common = dict(
        seq_len=cfg.seq_len,
        global_batch_size=cfg.batch_size,
        micro_batch_size=micro_batch,
        rank=rank,
        world_size=world_size,
        seed=cfg.seed,
        mixture=dict(cfg.mixture) or None,
    )
    if cfg.data:
        return TokenBatches.from_snapshots(cfg.data, tok, truncate_long=cfg.truncate_long, **common)
    return TokenBatches.from_demo_corpus(tok, max_dialogs=cfg.demo_dialogs, **common)
