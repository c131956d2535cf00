"""Was an export ever fine-tuned for discrimination? Read from its provenance, never guessed from its outputs.

An untrained discriminator still outputs numbers between 0 and 1, so scoring with it would rank by noise. The
export's `config.json` carries the run's `train_config` (and so its `init_from`): the model has discriminators when
that run, or a run it was fine-tuned from, trained on discriminative examples (a positive `mixture` weight, or a
snapshot in `data` whose manifest lists a discriminative file). An explicit `"discriminator": true|false` in
config.json wins (for exports made elsewhere).

Per attribute too (`trained_attributes`): a model fine-tuned on quality labels only has never seen an UNSAFE
example, so its UNSAFE score is noise and must not drop candidates; the ranking then leaves it out and says so.
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


ALL_ATTRIBUTES = frozenset({"SENSIBLE", "SPECIFIC", "INTERESTING", "UNSAFE", "GROUNDED"})


def _snapshot_attributes(path: str) -> set[str] | None:
    """Attributes with training examples in a snapshot, from the platform exporter's manifest counts; None when
    the manifest does not say (a hand-made snapshot: assume any attribute may be there)."""
    try:
        manifest = json.loads((Path(path) / "manifest.json").read_text())
        counts = manifest["source"]["counts"]["train"]["discriminative"]
        return {a for a, n in counts.items() if n}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def trained_attributes(raw: dict[str, Any], _depth: int = 0) -> frozenset[str]:
    """The discriminator attributes this export (or a run it was fine-tuned from) trained on: from the platform
    exporter's manifest counts; data that does not say which (a hand-made snapshot, a mixture weight alone, an
    explicit `"discriminator": true`) counts as all of them. `"discriminator_attributes": [...]` in config.json
    wins."""
    if isinstance(raw.get("discriminator_attributes"), list):
        return frozenset(raw["discriminator_attributes"]) & ALL_ATTRIBUTES
    if raw.get("discriminator") is True:
        return ALL_ATTRIBUTES
    tc = raw.get("train_config") if isinstance(raw.get("train_config"), dict) else {}
    found: set[str] = set()
    data = tc.get("data") or []
    for d in data:
        attrs = _snapshot_attributes(d)
        if attrs is None and _snapshot_has_discriminative(d):
            return ALL_ATTRIBUTES  # discriminative examples of attributes it does not list
        found |= attrs or set()
    if not data and float((tc.get("mixture") or {}).get("discriminative", 0) or 0) > 0:
        return ALL_ATTRIBUTES
    parent = tc.get("init_from")
    if parent and _depth < 8 and (praw := _config_of(Path(parent))) is not None:
        found |= trained_attributes(praw, _depth + 1)
    return frozenset(found)


def refusal(model_id: str, why: str) -> NotADiscriminator:
    return NotADiscriminator(
        f"model {model_id!r} was never fine-tuned for discrimination ({why}), so its SSI/safety scores would be "
        "noise; fine-tune it with --mixture generative=1,discriminative=1 on a snapshot with discriminative "
        "examples, or ask for the PT baseline ranking (ranking='pt', or 'auto')"
    )
