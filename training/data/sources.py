"""Where a run's examples come from: dataset snapshots or the demo corpus, tokenised once into shards.

    snapshot(s) --manifest--> one Source per file --ensure_tokenized--> <snapshot>.tokenized/<key>/ (reused)
    demo corpus --dialogs---> one Source           --ensure_tokenized--> <out>/tokenized/chitchat-demo.tokenized/<key>/
    parts --by (split, kind)--> TokenizedSet per kind, for the train and the validation split

`--tokenized-dir DIR` puts every shard folder under DIR instead (e.g. when the snapshot's folder is read-only,
which is also detected and then falls back to <out>/tokenized).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training.data import collective
from training.data.shards import SHARDS_VERSION, Source, TokenizedSet, ensure_tokenized, open_parts
from training.format.io import iter_file, sha256_file
from training.format.manifest import MANIFEST, read_manifest
from training.format.render import TokenizerLike
from training.format.schema import FORMAT_VERSION, KINDS, SPLITS, Example
from training.format.specials import DatasetError


@dataclass
class DataSets:
    """The run's examples per split and kind, the first manifest's mixture hint, and what happened (notes)."""

    splits: dict[str, dict[str, TokenizedSet]]  # split -> kind -> examples (kinds without examples left out)
    mixture_hint: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _fingerprint(tok: TokenizerLike) -> str:
    sha = getattr(tok, "fingerprint", None)
    if not isinstance(sha, str):
        raise TypeError(
            "tokenised shards need a tokenizer with a `fingerprint` (its sha256), like training.data.tokenizer"
        )
    return sha


def _key_dir(root: Path, name: str, key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return root / f"{name}.tokenized" / digest


def _writable_root(preferred: Path, fallback: Path, name: str) -> tuple[Path, str | None]:
    """Rank 0 checks that `preferred` takes a shard folder; else the fallback (decided once, for every rank)."""
    if collective.rank_and_world()[0] == 0:
        try:
            (preferred / f"{name}.tokenized").mkdir(parents=True, exist_ok=True)
            probe = preferred / f"{name}.tokenized" / f".write-probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
            choice = (str(preferred), None)
        except OSError as exc:
            note = f"{preferred}: not writable ({exc.strerror}); tokenised shards of {name} go to {fallback}"
            choice = (str(fallback), note)
    else:
        choice = None
    root, note = collective.broadcast(choice)
    return Path(root), note


def _file_source(snapshot: Path, i: int, entry: Any) -> Source:
    path = snapshot / entry.path

    def examples() -> Iterator[tuple[Example, str]]:
        return iter_file(snapshot, entry)  # checks the file's sha256 and example count while streaming

    stat = path.stat() if path.is_file() else None
    size, mtime = (stat.st_size, stat.st_mtime_ns) if stat else (None, None)
    return Source(f"{i:05d}", entry.kind, entry.split, entry.path, size, examples, path, mtime)


def snapshot_parts(
    snapshot: str | Path,
    tok: TokenizerLike,
    *,
    max_tokens: int,
    truncate_long: bool,
    root: Path | None,
    fallback_root: Path,
) -> tuple[list[Any], dict[str, float], list[str]]:
    """(parts, the manifest's mixture hint, notes) of one snapshot, tokenising it unless it already was."""
    snapshot = Path(snapshot)
    manifest = read_manifest(snapshot)  # errors name the manifest
    key = {
        "version": SHARDS_VERSION,
        "format_version": FORMAT_VERSION,
        "manifest_sha256": sha256_file(snapshot / MANIFEST),
        "tokenizer_sha256": _fingerprint(tok),
        "max_tokens": max_tokens,
        "truncate_long": truncate_long,
    }
    notes = []
    if root is None:
        root, note = _writable_root(snapshot.resolve().parent, fallback_root, snapshot.name)
        notes += [note] if note else []
    folder = _key_dir(root, snapshot.name, key)
    sources = [_file_source(snapshot, i, e) for i, e in enumerate(manifest.files)]
    for src in sources:
        if src.size is None:
            raise DatasetError(f"{src.path}: listed in the manifest but missing; restore it or re-export the snapshot")
    index, note = ensure_tokenized(folder, sources, tok, key=key, max_tokens=max_tokens, truncate_long=truncate_long)
    return open_parts(folder, index), manifest.mixture, [*notes, note]


def demo_parts(
    tok: TokenizerLike, *, max_dialogs: int | None, max_tokens: int, root: Path, max_context_turns: int = 4
) -> tuple[list[Any], list[str]]:
    """The demo corpus as one tokenised part (its long windows always lose their oldest turns: ours, not data)."""
    from training.data.corpus import PACKAGE, chitchat_path, dialog_examples, load_chitchat_dialogs

    corpus = chitchat_path()
    key = {
        "version": SHARDS_VERSION,
        "format_version": FORMAT_VERSION,
        "corpus": f"{PACKAGE}=={importlib.metadata.version(PACKAGE)}",
        "dialogs": max_dialogs,
        "context_turns": max_context_turns,
        "tokenizer_sha256": _fingerprint(tok),
        "max_tokens": max_tokens,
        "truncate_long": True,
    }

    def examples() -> Iterator[tuple[Example, str]]:
        dialogs = load_chitchat_dialogs(max_dialogs=max_dialogs)
        for ex in dialog_examples(dialogs, max_context_turns=max_context_turns):
            yield ex, f"{PACKAGE}:{ex.id}"

    stat = corpus.stat()
    source = Source("00000", "generative", "train", PACKAGE, stat.st_size, examples, corpus, stat.st_mtime_ns)
    folder = _key_dir(root, "chitchat-demo", key)
    index, note = ensure_tokenized(folder, [source], tok, key=key, max_tokens=max_tokens, truncate_long=True)
    return open_parts(folder, index), [note]


def group_parts(parts: Sequence[Any]) -> dict[str, dict[str, TokenizedSet]]:
    """split -> kind -> TokenizedSet over every part of that split and kind (in order)."""
    out: dict[str, dict[str, TokenizedSet]] = {}
    for split in SPLITS:
        for kind in KINDS:
            chosen = [p for p in parts if p.split == split and p.kind == kind]
            if chosen and sum(p.n for p in chosen):
                out.setdefault(split, {})[kind] = TokenizedSet(chosen)
    return out


def load_datasets(
    *,
    data: Sequence[str | Path],
    tok: TokenizerLike,
    max_tokens: int,
    truncate_long: bool,
    tokenized_dir: str | Path | None,
    out_dir: Path,
    demo_dialogs: int | None = None,
) -> DataSets:
    """Collective: every --data snapshot (or the demo corpus when there is none), tokenised once."""
    root = Path(tokenized_dir) if tokenized_dir else None
    fallback = out_dir / "tokenized"
    parts: list[Any] = []
    notes: list[str] = []
    hint: dict[str, float] = {}
    if data:
        for path in data:
            snap_parts, snap_hint, snap_notes = snapshot_parts(
                path, tok, max_tokens=max_tokens, truncate_long=truncate_long, root=root, fallback_root=fallback
            )
            parts += snap_parts
            notes += snap_notes
            hint = hint or snap_hint
    else:
        demo, demo_notes = demo_parts(tok, max_dialogs=demo_dialogs, max_tokens=max_tokens, root=root or fallback)
        parts += demo
        notes += demo_notes
    dropped = sum(int(p.meta["dropped"]) for p in parts)
    truncated = sum(int(p.meta["truncated"]) for p in parts)
    if dropped or truncated:
        notes.append(
            f"{truncated} examples lost old context turns to fit, {dropped} did not fit at all and are left out"
        )
    return DataSets(group_parts(parts), hint, notes)
