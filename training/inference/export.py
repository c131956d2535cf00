"""Export a trained model for inference: `model.safetensors` + `config.json` + `tokenizer/`.

    <out>/export/
        model.safetensors    full (unsharded) fp32 weights; a tied output head is stored once (see config "tied")
        config.json          {"format": "lamda-export", "format_version", "model": ModelConfig, "model_id",
                              "model_version", "step", "tokenizer_sha256", "weights_sha256", "tied", ...}
        tokenizer/           tokenizer.model (+ its special-token json)

Written to `export.tmp/` and swapped in with renames, so a reader never sees a half-written export.
`load_exported` turns a missing or damaged export into a one-line `TrainInputError`.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from training.errors import TrainingHalted, TrainInputError
from training.format.io import sha256_file
from training.model.config import ModelConfig
from training.run.checkpoint import TOKENIZER_DIR, _rank, barrier, full_model_state_dict, tokenizer_sha256
from training.run.guards import nonfinite_parameters

EXPORT_FORMAT = "lamda-export"
EXPORT_VERSION = 1
WEIGHTS = "model.safetensors"
CONFIG = "config.json"


@dataclass
class ExportConfig:
    """What `config.json` of an export says (the `model` part as a ModelConfig)."""

    model: ModelConfig
    model_id: str
    model_version: str
    step: int
    raw: dict[str, Any]


def _dedupe_tied(sd: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """safetensors refuses tensors that share memory: keep the first name, record the others as aliases."""
    seen: dict[tuple[int, tuple[int, ...]], str] = {}
    tensors, tied = {}, {}
    for name, t in sd.items():
        key = (t.untyped_storage().data_ptr(), tuple(t.shape))
        if key in seen:
            tied[name] = seen[key]
        else:
            seen[key] = name
            tensors[name] = t.detach().contiguous()
    return tensors, tied


def export_model(
    out: Path,
    *,
    model: torch.nn.Module,
    model_config: ModelConfig,
    tokenizer_dir: Path,
    model_id: str,
    step: int,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Collective (gathers the full weights); rank 0 writes `out`. Returns `out`."""
    from safetensors.torch import save_file

    bad = nonfinite_parameters(model)  # collective: every rank refuses together
    if bad:
        raise TrainingHalted(
            f"{out}: not exported: parameters {', '.join(bad)} hold NaN/inf; the previous export (if any) is "
            "untouched; resume from an earlier checkpoint (docs/integrity.md)"
        )
    sd = full_model_state_dict(model)
    if _rank() == 0:
        tmp, old = out.with_name(out.name + ".tmp"), out.with_name(out.name + ".old")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        tensors, tied = _dedupe_tied(sd)
        save_file(tensors, str(tmp / WEIGHTS), metadata={"format": EXPORT_FORMAT})
        weights_sha = sha256_file(tmp / WEIGHTS)
        shutil.copytree(tokenizer_dir, tmp / TOKENIZER_DIR)
        config = {
            "format": EXPORT_FORMAT,
            "format_version": EXPORT_VERSION,
            "model": model_config.to_dict(),
            "model_id": model_id,
            "model_version": f"step{step}-{weights_sha[:12]}",
            "step": step,
            "weights_sha256": weights_sha,
            "tokenizer_sha256": tokenizer_sha256(tmp / TOKENIZER_DIR),
            "tied": tied,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            **(extra or {}),
        }
        (tmp / CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(old, ignore_errors=True)
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    barrier()
    return out


_EXPORT_FIX = "point to the export dir a training run wrote (<out>/export) or re-run the export"


def read_export_config(path: Path) -> ExportConfig:
    path = Path(path)
    if not path.is_dir():
        raise TrainInputError(f"{path}: export dir not found; {_EXPORT_FIX}")
    cpath = path / CONFIG
    try:
        raw = json.loads(cpath.read_text())
        if not isinstance(raw, dict) or raw.get("format") != EXPORT_FORMAT:
            raise ValueError(f"not a {EXPORT_FORMAT} config")
        cfg = ModelConfig.from_dict(raw["model"])
        return ExportConfig(cfg, str(raw["model_id"]), str(raw["model_version"]), int(raw["step"]), raw)
    except FileNotFoundError:
        raise TrainInputError(f"{cpath}: missing, so {path} is not an export; {_EXPORT_FIX}") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise TrainInputError(f"{cpath}: invalid export config ({exc}); {_EXPORT_FIX}") from None


def check_export_tokenizer(path: Path, config: ExportConfig) -> None:
    """The export's tokenizer must be the one its config.json names (sha256)."""
    tok_dir = Path(path) / TOKENIZER_DIR
    if tokenizer_sha256(tok_dir) != config.raw.get("tokenizer_sha256"):
        raise TrainInputError(
            f"{tok_dir / 'tokenizer.model'}: does not match the tokenizer_sha256 in {Path(path) / CONFIG}; "
            f"{_EXPORT_FIX}"
        )


def read_export_weights(path: Path, config: ExportConfig) -> dict[str, torch.Tensor]:
    """The full state dict of `model.safetensors` on CPU, with tied aliases restored."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    wpath = Path(path) / WEIGHTS
    want = config.raw.get("weights_sha256")
    if want and wpath.is_file() and (got := sha256_file(wpath)) != want:
        raise TrainInputError(
            f"{wpath}: content changed after the export (sha256 {got[:12]}..., {CONFIG} says {want[:12]}...); "
            f"{_EXPORT_FIX}"
        )
    try:
        sd = load_file(str(wpath), device="cpu")
    except (FileNotFoundError, SafetensorError, OSError) as exc:
        raise TrainInputError(f"{wpath}: cannot read weights ({exc}); {_EXPORT_FIX}") from None
    bad = [name for name, tensor in sd.items() if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())]
    if bad:
        raise TrainInputError(
            f"{wpath}: weights {', '.join(bad[:3])} hold NaN/inf; {_EXPORT_FIX} from a good checkpoint"
        )
    for alias, name in config.raw.get("tied", {}).items():
        if name in sd:
            sd[alias] = sd[name]
    return sd


def load_export_weights(path: Path, model: torch.nn.Module, config: ExportConfig) -> None:
    """Load `model.safetensors` into `model`: a plain module, or an FSDP-sharded one (each rank keeps its shard)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

    sd = read_export_weights(path, config)
    expected = set(model.state_dict())
    missing, unexpected = sorted(expected - set(sd)), sorted(set(sd) - expected)
    if missing or unexpected:
        raise TrainInputError(
            f"{Path(path) / WEIGHTS}: weights do not fit the model in {CONFIG} (missing {missing[:3]}, "
            f"unexpected {unexpected[:3]}); {_EXPORT_FIX}"
        )
    set_model_state_dict(model, sd, options=StateDictOptions(full_state_dict=True))


def load_exported(path: str | Path, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, Any, ExportConfig]:
    """(model in eval mode on `device`, Tokenizer, ExportConfig) from an export dir; one-line errors if broken."""
    from training.data.tokenizer import Tokenizer
    from training.run.parallel import build_model

    path = Path(path)
    config = read_export_config(path)
    check_export_tokenizer(path, config)
    tokenizer = Tokenizer.load(path / TOKENIZER_DIR)
    tokenizer.check_matches(config.model.vocab_size, what=f"the model in {path / CONFIG}")
    model = build_model(config.model, device=torch.device("cpu"), meta=True)
    load_export_weights(path, model, config)
    model = model.to(device).eval()
    return model, tokenizer, config
