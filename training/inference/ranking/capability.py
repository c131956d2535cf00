"""Was an export ever fine-tuned for discrimination? Read from its provenance, never guessed from its outputs.

An untrained discriminator still outputs numbers between 0 and 1, so scoring with it would rank by noise. The
export's `config.json` carries the run's `train_config` (and so its `init_from`): the model has discriminators when
that run, or a run it was fine-tuned from, trained on discriminative examples (a positive `mixture` weight, or a
snapshot in `data` whose manifest lists a discriminative file). An explicit `"discriminator": true|false` in
config.json wins (for exports made elsewhere).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training.errors import TrainInputError


class NotADiscriminator(TrainInputError, ValueError):
    """Discriminator ranking asked of a model that has none."""


def _snapshot_has_discriminative(path: str) -> bool:
    try:
        manifest = json.loads((Path(path) / "manifest.json").read_text())
        return any(f.get("kind") == "discriminative" for f in manifest.get("files", []))
    except (OSError, ValueError, AttributeError, TypeError):
        return False


def _config_of(path: Path) -> dict[str, Any] | None:
    for candidate in (path / "config.json", path / "export" / "config.json"):
        try:
            return json.loads(candidate.read_text())
        except (OSError, ValueError):
            continue
    return None


def has_discriminator(raw: dict[str, Any], _depth: int = 0) -> tuple[bool, str]:
    """(True/False, why) from an export's config.json contents."""
    if isinstance(raw.get("discriminator"), bool):
        return raw["discriminator"], "config.json says so ('discriminator')"
    tc = raw.get("train_config") or {}
    if not isinstance(tc, dict):
        return False, "config.json has no train_config"
    if float((tc.get("mixture") or {}).get("discriminative", 0) or 0) > 0:
        return True, "its run trained with a discriminative mixture weight"
    mixture_off = "discriminative" in (tc.get("mixture") or {})
    if not mixture_off and any(_snapshot_has_discriminative(d) for d in tc.get("data") or []):
        return True, "its run's snapshot has discriminative examples"
    parent = tc.get("init_from")
    if parent and _depth < 8 and (praw := _config_of(Path(parent))) is not None:
        ok, why = has_discriminator(praw, _depth + 1)
        if ok:
            return True, f"fine-tuned from {parent}, which has one ({why})"
    return False, "its training data had no discriminative examples (pre-trained only)"


def refusal(model_id: str, why: str) -> NotADiscriminator:
    return NotADiscriminator(
        f"model {model_id!r} was never fine-tuned for discrimination ({why}), so its SSI/safety scores would be "
        "noise; fine-tune it with --mixture generative=1,discriminative=1 on a snapshot with discriminative "
        "examples, or ask for the PT baseline ranking (ranking='pt', or 'auto')"
    )
