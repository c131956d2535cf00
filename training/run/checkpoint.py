"""Atomic, resharding-friendly checkpoints with torch.distributed.checkpoint (DCP). Design note: docs/training.md.

Layout of one checkpoint (`<out>/checkpoints/step_0000100/`):

    .metadata, __<rank>_0.distcp   DCP: {"model": ..., "optim": ...} (sharded; loadable at another world size)
    train_state.pt                 step, data position, RNG, tokens seen (rank 0's; torch.load weights_only)
    model_config.json              training.model.config.ModelConfig.to_dict()
    train_config.json              training.run.train_config.TrainConfig.to_dict()
    tokenizer/                     copy of the run's tokenizer
    checkpoint.json                written LAST: step, world size, size + sha256 of every file, tokenizer sha256

Atomicity: everything is written to `step_0000100.tmp/`, then rank 0 renames it to `step_0000100/` (one rename
on one filesystem is atomic). Resume only considers directories without the `.tmp` suffix, and leftover `.tmp`
directories from a killed save are deleted on start.

Integrity (docs/integrity.md): each rank hashes the DCP shard files it wrote, rank 0 the rest, and the manifest
lists every file's size and sha256. `verify_checkpoint` checks sizes (cheap) and, before anything is loaded,
the hashes: the files are split over the ranks, each hashes its share, and every rank raises the same one-line
error if any file differs. So a shard overwritten in place (same size) is refused instead of trained on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_state_dict,
    set_model_state_dict,
    set_state_dict,
)

from training.errors import TrainInputError
from training.format.io import sha256_file

FORMAT_VERSION = 2  # 2: files = {path: {size, sha256}}; 1 (sizes only) is still read
MANIFEST = "checkpoint.json"
TOKENIZER_DIR = "tokenizer"
TOKENIZER_MODEL = "tokenizer.model"
_STEP_RE = re.compile(r"^step_(\d+)$")
# DCP warns on every single-process save/load that it "assumes the intent is to save in a single process": it is.
warnings.filterwarnings("ignore", message="torch.distributed is disabled, unavailable or uninitialized")


def _dist() -> bool:
    return dist.is_available() and dist.is_initialized()


def barrier() -> None:
    if _dist():
        dist.barrier()


def _rank() -> int:
    return dist.get_rank() if _dist() else 0


def _world() -> int:
    return dist.get_world_size() if _dist() else 1


def step_dir(root: Path, step: int) -> Path:
    return root / f"step_{step:07d}"


def tokenizer_sha256(tokenizer_dir: Path) -> str:
    path = Path(tokenizer_dir) / TOKENIZER_MODEL
    if not path.is_file():
        raise TrainInputError(f"{path}: tokenizer model not found; pass --tokenizer DIR holding {TOKENIZER_MODEL}")
    return sha256_file(path)


def _file_entry(path: Path) -> dict[str, Any]:
    return {"size": path.stat().st_size, "sha256": sha256_file(path)}


def cleanup_partial(root: Path, *, sync: bool = True) -> list[Path]:
    """Delete `*.tmp` checkpoint dirs left by a save that was killed (rank 0 only). Returns what was removed.

    `sync=False` skips the barrier (error path: other ranks may not be here)."""
    removed = []
    if _rank() == 0 and root.is_dir():
        for p in sorted(root.glob("*.tmp")):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    if sync:
        barrier()
    return removed


def list_checkpoints(root: Path) -> list[tuple[int, Path]]:
    """Complete checkpoints (renamed, with a manifest), oldest first."""
    found = []
    if root.is_dir():
        for p in root.iterdir():
            m = _STEP_RE.match(p.name)
            if m and p.is_dir():
                found.append((int(m.group(1)), p))
    return sorted(found)


def latest_checkpoint(root: Path) -> Path | None:
    ckpts = list_checkpoints(root)
    return ckpts[-1][1] if ckpts else None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, obj: Any) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def save_checkpoint(
    root: Path,
    *,
    step: int,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    train_state: dict[str, Any],
    model_config: dict[str, Any],
    train_config: dict[str, Any],
    tokenizer_dir: Path,
    keep: int = 2,
) -> Path:
    """Collective: every rank calls it. Returns the final (renamed) checkpoint dir."""
    final, tmp = step_dir(root, step), step_dir(root, step).with_suffix(".tmp")
    if _rank() == 0:
        root.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
    barrier()
    model_sd, optim_sd = get_state_dict(model, optimizer)
    dcp.save({"model": model_sd, "optim": optim_sd}, checkpoint_id=str(tmp), no_dist=not _dist())
    # Each rank hashes the shard files it wrote (in parallel); rank 0 gathers them and hashes the rest.
    mine = {p.name: _file_entry(p) for p in sorted(tmp.glob(f"__{_rank()}_*.distcp"))}
    hashed: dict[str, Any] = {}
    if _dist():
        parts: list[Any] = [None] * _world()
        dist.all_gather_object(parts, mine)
        for part in parts:
            hashed.update(part)
    else:
        hashed = mine
    if _rank() == 0:
        torch.save(train_state, tmp / "train_state.pt")
        _write_json(tmp / "model_config.json", model_config)
        _write_json(tmp / "train_config.json", train_config)
        shutil.copytree(tokenizer_dir, tmp / TOKENIZER_DIR)
        files = {}
        for p in sorted(tmp.rglob("*")):
            if p.is_file():
                rel = str(p.relative_to(tmp))
                files[rel] = hashed.get(rel) or _file_entry(p)
        manifest = {
            "format_version": FORMAT_VERSION,
            "step": step,
            "world_size": _world(),
            "vocab_size": model_config.get("vocab_size"),
            "tokenizer_sha256": tokenizer_sha256(tmp / TOKENIZER_DIR),
            "files": files,
        }
        _write_json(tmp / MANIFEST, manifest)
        _fsync_dir(tmp)
        if final.exists():  # re-save of the same step (e.g. final step == a periodic one)
            shutil.rmtree(final)
        os.replace(tmp, final)
        _fsync_dir(root)
        # Rotation happens only after the new checkpoint is complete (renamed): the newest good one always stays.
        for _, old in list_checkpoints(root)[:-keep] if keep > 0 else []:
            shutil.rmtree(old, ignore_errors=True)
    barrier()
    return final


_CORRUPT_FIX = "delete that checkpoint dir to resume from the previous one, or train into a new --out"


def read_manifest(path: Path) -> dict[str, Any]:
    mpath = path / MANIFEST
    try:
        manifest = json.loads(mpath.read_text())
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise ValueError("not a checkpoint manifest")
    except FileNotFoundError:
        raise TrainInputError(f"{mpath}: missing, so {path} is not a complete checkpoint; {_CORRUPT_FIX}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise TrainInputError(f"{mpath}: unreadable ({exc}); {_CORRUPT_FIX}") from None
    return manifest


def _entry(value: Any) -> tuple[int, str | None]:
    """(size, sha256 or None) of a manifest entry: format 2 {"size", "sha256"}, format 1 a bare size."""
    if isinstance(value, dict):
        return int(value["size"]), str(value["sha256"])
    return int(value), None


def verify_checkpoint(path: Path, *, hashes: bool = True) -> dict[str, Any]:
    """Check the manifest, every file's size, the tokenizer hash and (hashes=True) every file's sha256.

    Collective when a process group exists (every rank calls it): the files are hashed in parallel, file i on
    rank i % world, and all ranks raise the same first error. Returns the manifest.
    """
    if not path.is_dir():
        raise TrainInputError(f"{path}: checkpoint dir not found; pass an existing step_XXXXXXX dir or export dir")
    manifest = read_manifest(path)
    _verify_tokenizer(path, manifest)
    error = None
    try:
        entries = {rel: _entry(v) for rel, v in manifest["files"].items()}
    except (KeyError, TypeError, ValueError):
        raise TrainInputError(f"{path / MANIFEST}: malformed file list; {_CORRUPT_FIX}") from None
    for rel, (size, _) in entries.items():
        f = path / rel
        if not f.is_file():
            raise TrainInputError(f"{f}: missing from checkpoint; {_CORRUPT_FIX}")
        if f.stat().st_size != size:
            raise TrainInputError(
                f"{f}: truncated or modified ({f.stat().st_size} bytes, manifest says {size}); {_CORRUPT_FIX}"
            )
    if hashes:
        for i, (rel, (_, want)) in enumerate(sorted(entries.items())):
            if want is None or i % _world() != _rank():
                continue
            got = sha256_file(path / rel)
            if got != want:
                error = (
                    f"{path / rel}: content changed after the save (sha256 {got[:12]}..., manifest says "
                    f"{want[:12]}...); {_CORRUPT_FIX}"
                )
                break
        if _dist():
            errors: list[Any] = [None] * _world()
            dist.all_gather_object(errors, error)
            error = next((e for e in errors if e), None)
        if error:
            raise TrainInputError(error)
    return manifest


def _verify_tokenizer(path: Path, manifest: dict[str, Any]) -> None:
    sha = tokenizer_sha256(path / TOKENIZER_DIR)
    if sha != manifest.get("tokenizer_sha256"):
        raise TrainInputError(
            f"{path / TOKENIZER_DIR / TOKENIZER_MODEL}: does not match the tokenizer this checkpoint was trained "
            f"with (sha256 {sha[:12]} != {str(manifest.get('tokenizer_sha256'))[:12]}); restore the original "
            f"tokenizer files or train into a new --out"
        )


def read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise TrainInputError(f"{path}: unreadable ({exc}); {_CORRUPT_FIX}") from None


class _DropDcpRecords(logging.Filter):
    """DCP logs its fallbacks with full tracebacks to the ROOT logger; our one-line error already names the cause."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _DCP_DIR not in record.pathname


_DCP_DIR = str(Path(dcp.__file__).parent)


@contextlib.contextmanager
def _quiet_dcp_logs() -> Iterator[None]:
    root, flt = logging.getLogger(), _DropDcpRecords()
    root.addFilter(flt)
    try:
        yield
    finally:
        root.removeFilter(flt)


def _dcp_load(state: dict[str, Any], path: Path) -> None:
    try:
        with _quiet_dcp_logs():
            dcp.load(state, checkpoint_id=str(path), no_dist=not _dist())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # DCP raises many types; CheckpointException derives from BaseException
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        why = lines[-1][:200] if lines else type(exc).__name__  # the root cause is the last line
        raise TrainInputError(f"{path}: cannot load DCP checkpoint ({why}); {_CORRUPT_FIX}") from None


def check_finite_weights(model: torch.nn.Module, path: Path) -> None:
    """Collective: refuse weights holding NaN or inf (a checkpoint whose files match their sha256 can still hold
    them, e.g. written by a run before the bad-step guard, or edited with its hashes): resuming from it would only
    stop again at the first step."""
    finite = torch.tensor(1.0)
    for p in model.parameters():
        local = p.to_local() if hasattr(p, "to_local") else p
        if not bool(torch.isfinite(local.detach()).all()):
            finite = torch.tensor(0.0)
            break
    if _dist():
        finite = finite.to(next(model.parameters()).device)
        dist.all_reduce(finite, op=dist.ReduceOp.MIN)
    if float(finite) < 1.0:
        raise TrainInputError(
            f"{path}: the model weights hold NaN or inf, so training cannot go on from them; {_CORRUPT_FIX}"
        )


def load_checkpoint(path: Path, *, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Collective: restore model + optimizer in place (any world size); return the train state dict."""
    verify_checkpoint(path)
    model_sd, optim_sd = get_state_dict(model, optimizer)
    state = {"model": model_sd, "optim": optim_sd}
    _dcp_load(state, path)
    set_state_dict(model, optimizer, model_state_dict=state["model"], optim_state_dict=state["optim"])
    check_finite_weights(model, path)
    try:
        return torch.load(path / "train_state.pt", weights_only=True)
    except Exception as exc:
        raise TrainInputError(f"{path / 'train_state.pt'}: unreadable ({exc}); {_CORRUPT_FIX}") from None


def load_model_weights(path: Path, *, model: torch.nn.Module) -> None:
    """Collective: load only the model weights of a checkpoint (fine-tuning with --init-from)."""
    verify_checkpoint(path)
    state = {"model": get_model_state_dict(model)}
    _dcp_load(state, path)
    set_model_state_dict(model, state["model"])
    check_finite_weights(model, path)


def full_model_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Collective: the unsharded model weights on CPU (rank 0 gets them; other ranks get an empty dict)."""
    opts = StateDictOptions(full_state_dict=True, cpu_offload=True)
    return get_model_state_dict(model, options=opts)
