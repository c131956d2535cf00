"""The provenance part of an export's manifest (`source`): what was exported, how, from which code."""

from __future__ import annotations

import subprocess
from collections import Counter
from functools import lru_cache

from django.conf import settings

EXPORTER_VERSION = 1


@lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit of the platform code (with '+dirty' for uncommitted changes), or 'unknown'."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def counts_dict(counts: Counter) -> dict:
    """{split: {"generative": n, "discriminative": {attribute: n}}} from Counter[(split, kind, attribute|None)]."""
    out: dict = {}
    for (split, kind, attribute), n in sorted(counts.items(), key=lambda kv: tuple(str(x) for x in kv[0])):
        side = out.setdefault(split, {})
        if attribute is None:
            side[kind] = side.get(kind, 0) + n
        else:
            side.setdefault(kind, {})[attribute] = n
    return out


def count_rows(counts: dict) -> list[tuple[str, str, str]]:
    """(split, kind, "n" or "ATTRIBUTE: n, ...") per line of a manifest's `source.counts`, for the command and the
    admin page."""
    return [
        (split, kind, ", ".join(f"{a}: {c}" for a, c in n.items()) if isinstance(n, dict) else str(n))
        for split, kinds in counts.items()
        for kind, n in kinds.items()
    ]


def source_dict(*, spec, campaigns: list[dict], counts: Counter, as_of: str) -> dict:
    return {
        "name": "lamda-platform",
        "exporter_version": EXPORTER_VERSION,
        "code_version": code_version(),
        "as_of": as_of,
        "campaigns": campaigns,
        "filters": {
            "since": spec.since,
            "until": spec.until,
            "generative": {
                "enabled": spec.generative.enabled,
                "require": list(spec.generative.require),
                "where_judged": list(spec.generative.where_judged),
            },
        },
        "split": {"by": "blake2b(session id)", "validation_share": spec.val_share},
        "pseudonyms": "HMAC-SHA256 of the user id, keyed by LAMDA_EXPORT_PSEUDONYM_KEY (w- workers, r- raters)",
        "counts": counts_dict(counts),
    }
