"""Token batches for training: examples rendered once, packed into fixed-length rows deterministically.

    examples --tokenise once (shards.py, or in memory for small tests)--> per-kind sets (ids + loss mask)
    pick stream:  pick k -> kind (weighted, seeded per block of picks) -> next example of that kind
                  (a per-kind pseudo-random permutation per epoch, computed index by index: shuffle.py)
    packing:      greedy, in pick order, into rows of seq_len + 1 tokens (an example never straddles two rows;
                  a row that cannot take the next example is padded); every example gets its own document id
    global batch: rows [0, G) of the step; rank r takes rows [r*G/W, (r+1)*G/W), split into micro batches

Every rank lays out the WHOLE global batch from example lengths only (offsets, a few bytes per example) and reads
the tokens of its own rows only, so the global batch is identical for any world size, the data position
(`state_dict`) is the same on all ranks, and memory does not grow with the dataset.
See docs/dataset-format.md ("How the trainer reads a snapshot") and docs/tokenized-shards.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from training.data.shuffle import Permutation
from training.data.sources import load_datasets
from training.data.split import ExampleSet, resolve, split_validation
from training.errors import TrainInputError
from training.format.io import iter_file
from training.format.manifest import read_manifest
from training.format.render import TokenizerLike
from training.format.rendered_set import example_texts, render_kinds
from training.format.schema import KINDS, Example
from training.format.specials import DatasetError

STATE_VERSION = 2  # 2: permutations by training.data.shuffle (1: numpy permutations)
_BLOCK = 4096  # picks whose kinds are drawn together; examples whose permuted index is computed together


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
        sets: Mapping[str, ExampleSet],
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
        self._index_cache: dict[tuple[str, int, int], tuple[Any, np.ndarray]] = {}
        # data position: picks consumed before the current global batch, per-kind counts, step, micro index
        self.picks, self.kind_counts, self.step, self.micro = 0, {k: 0 for k in KINDS}, 0, 0
        self._global: tuple[Any, ...] | None = None

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
        cls,
        paths: Sequence[str | Path],
        tok: TokenizerLike,
        *,
        seq_len: int,
        mixture: Mapping[str, float] | None = None,
        truncate_long: bool = False,
        tokenized_dir: str | Path | None = None,
        **kwargs: Any,
    ) -> TokenBatches:
        """Batches of the training split of `paths`, tokenised once into shards (beside each snapshot, or under
        `tokenized_dir`); errors name the file and line. Mixture default: the first manifest's hint, else
        proportional to the example counts."""
        if not paths:
            raise DatasetError("no dataset snapshot given; pass --data <snapshot folder>")
        data = load_datasets(
            data=paths,
            tok=tok,
            max_tokens=seq_len + 1,
            truncate_long=truncate_long,
            tokenized_dir=tokenized_dir,
            out_dir=Path(tokenized_dir or "."),
        )
        train = data.splits.get("train", {})
        hint = mixture or data.mixture_hint
        return cls(train, seq_len=seq_len, pad_id=tok.special_id("PAD"), mixture=hint, **kwargs)

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

    def _example_of(self, kind: str, j: int) -> tuple[Any, int]:
        """(set, index) of the j-th pick of `kind`: epoch j // n visits every example once, in an order given by a
        permutation seeded by (seed, kind, epoch), evaluated for a block of picks at a time (O(block) memory)."""
        n = self.counts[kind]
        epoch, pos = divmod(j, n)
        key = (kind, epoch, pos // _BLOCK)
        hit = self._index_cache.get(key)
        if hit is None:
            if len(self._index_cache) > 16:
                self._index_cache.clear()
            lo = key[2] * _BLOCK
            perm = Permutation(n, (self.seed, 2, KINDS.index(kind), epoch))
            hit = self._index_cache[key] = resolve(self.sets[kind], perm(np.arange(lo, min(n, lo + _BLOCK))))
        base, idx = hit
        return base, int(idx[pos % _BLOCK])

    def _build_global(self) -> None:
        """Lay out rows [0, G) of the current step from example lengths; read the tokens of this rank's rows only."""
        rows, width = self.global_batch_size, self.seq_len + 1
        per_rank = rows // self.world_size
        lo, hi = self.rank * per_rank, (self.rank + 1) * per_rank
        ids = np.full((per_rank, width), self.pad_id, dtype=np.int64)
        mask = np.zeros((per_rank, width), dtype=np.float32)
        docs = np.zeros((per_rank, width), dtype=np.int32)  # 0 = padding; examples 1, 2, ... within each row
        row_kinds: list[list[str]] = [[] for _ in range(per_rank)]
        picks, counts = self.picks, dict(self.kind_counts)
        r = fill = in_row = loss_tokens = 0
        while r < rows:
            kind = self._kind_of(picks)
            examples, i = self._example_of(kind, counts[kind])
            n = examples.length(i)
            if fill + n > width:  # does not fit: pad this row, the example opens the next one
                r, fill, in_row = r + 1, 0, 0
                continue
            loss_tokens += examples.loss_tokens(i)
            in_row += 1
            if lo <= r < hi:
                ex_ids, ex_mask = examples.get(i)
                ids[r - lo, fill : fill + n] = ex_ids
                mask[r - lo, fill : fill + n] = ex_mask
                docs[r - lo, fill : fill + n] = in_row
                row_kinds[r - lo].append(kind)
            fill += n
            picks, counts[kind] = picks + 1, counts[kind] + 1
            if fill == width or not self.pack:
                r, fill, in_row = r + 1, 0, 0
        self._global = (ids, mask, docs, row_kinds, picks, counts, loss_tokens)

    # ---------------------------------------------------------------- iteration
    def __iter__(self) -> TokenBatches:
        return self

    def __next__(self) -> Batch:
        if self._global is None:
            self._build_global()
        ids, mask, docs, row_kinds, next_picks, next_counts, loss_tokens = self._global
        start = self.micro * self.micro_batch_size  # within this rank's rows
        sl = slice(start, start + self.micro_batch_size)
        rows = torch.from_numpy(ids[sl])
        kinds = [k for rk in row_kinds[sl] for k in rk]
        batch = Batch(
            input_ids=rows[:, :-1].contiguous(),
            targets=rows[:, 1:].contiguous(),
            loss_mask=torch.from_numpy(mask[sl, 1:].copy()),
            global_loss_tokens=loss_tokens,  # rows start with an example's <s> (mask 0), so = mask[:, 1:].sum()
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


# ---------------------------------------------------------------- entry points used by training/run/loop.py
def tokenizer_texts(cfg: Any) -> Iterable[str]:
    """Texts to train the run's tokenizer on, streamed: the training files of the --data snapshots, or the demo
    corpus turns. `cfg` is a TrainConfig (fields used: data, demo_dialogs)."""
    if cfg.data:
        for path in cfg.data:
            for entry in read_manifest(Path(path)).files:
                if entry.split == "train":
                    for ex, _ in iter_file(Path(path), entry):
                        yield from example_texts(ex)
        return
    from training.data.corpus import dialog_texts, load_chitchat_dialogs

    yield from dialog_texts(load_chitchat_dialogs(max_dialogs=cfg.demo_dialogs))


@dataclass
class RunData:
    """What a run trains and evaluates on (built by `build_run_data`)."""

    train: TokenBatches
    validation: dict[str, ExampleSet]  # kind -> held-out examples (empty: no validation)
    notes: list[str]


def build_run_data(cfg: Any, tok: TokenizerLike, *, rank: int, world_size: int, micro_batch: int) -> RunData:
    """Collective: tokenise (or reuse) the run's data, split off the validation set, batch the training set.

    `cfg` is a TrainConfig (data, demo_dialogs, truncate_long, tokenized_dir, out_dir, val_share, seq_len,
    batch_size, seed, mixture)."""
    data = load_datasets(
        data=cfg.data,
        tok=tok,
        max_tokens=cfg.seq_len + 1,
        truncate_long=cfg.truncate_long,
        tokenized_dir=cfg.tokenized_dir,
        out_dir=Path(cfg.out_dir),
        demo_dialogs=cfg.demo_dialogs,
    )
    train, validation, note = split_validation(
        data.splits.get("train", {}), data.splits.get("validation", {}), share=cfg.val_share
    )
    if not train:
        raise DatasetError("no training examples (every file is a validation split); add training data to --data")
    batches = TokenBatches(
        train,
        seq_len=cfg.seq_len,
        global_batch_size=cfg.batch_size,
        pad_id=tok.special_id("PAD"),
        micro_batch_size=micro_batch,
        rank=rank,
        world_size=world_size,
        seed=cfg.seed,
        mixture=dict(cfg.mixture) or data.mixture_hint or None,
    )
    return RunData(batches, validation, [*data.notes, note])


def build_batches(cfg: Any, tok: TokenizerLike, *, rank: int, world_size: int, micro_batch: int) -> TokenBatches:
    """The training batches of `build_run_data`."""
    return build_run_data(cfg, tok, rank=rank, world_size=world_size, micro_batch=micro_batch).train
