"""What an export asks for, checked before a job is queued: every problem is one plain sentence (ExportInputError),
shown by the command (exit 2), the admin (a message) and the job record."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime

from config.api_errors import ApplicationError
from training.format.schema import ATTRIBUTES

FORMATS = ("parquet", "jsonl")
DEFAULT_REQUIRE = ("SENSIBLE", "SPECIFIC", "INTERESTING")
DEFAULT_WHERE_JUDGED = ("UNSAFE", "GROUNDED")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,120}$")


class ExportInputError(ApplicationError):
    """400: the export request cannot be run as asked (unknown campaign, folder that exists, bad filter...)."""

    status_code = 400


@dataclass(frozen=True)
class GenerativeFilter:
    """Which judged replies also become generative examples (docs/export.md): every attribute in `require` must
    have been judged and be good (1; for UNSAFE: 0), and every attribute in `where_judged` must be good if it was
    judged. `enabled=False` writes no generative examples."""

    require: tuple[str, ...] = DEFAULT_REQUIRE
    where_judged: tuple[str, ...] = DEFAULT_WHERE_JUDGED
    enabled: bool = True


@dataclass(frozen=True)
class ExportSpec:
    campaigns: tuple[str, ...]
    since: str | None = None  # ISO 8601: sessions that ended at or after
    until: str | None = None  # ISO 8601: sessions that ended before
    rule_versions: dict[str, str] = field(default_factory=dict)  # campaign slug -> rule version (default: current)
    generative: GenerativeFilter = GenerativeFilter()
    format: str = "parquet"
    val_share: float = 0.05  # share of sessions (by a stable hash) in the validation split
    shard_size: int = 100_000
    labels: bool = True  # write meta/labels.parquet (every label, pseudonymised rater ids)

    def to_json(self) -> dict:
        data = asdict(self)
        data["campaigns"] = list(self.campaigns)
        data["generative"] = {k: list(v) if isinstance(v, tuple) else v for k, v in data["generative"].items()}
        return data

    @classmethod
    def from_json(cls, data: dict) -> ExportSpec:
        gen = data.get("generative") or {}
        return cls(
            campaigns=tuple(data["campaigns"]),
            since=data.get("since"),
            until=data.get("until"),
            rule_versions=dict(data.get("rule_versions") or {}),
            generative=GenerativeFilter(
                require=tuple(gen.get("require", DEFAULT_REQUIRE)),
                where_judged=tuple(gen.get("where_judged", DEFAULT_WHERE_JUDGED)),
                enabled=bool(gen.get("enabled", True)),
            ),
            format=data.get("format", "parquet"),
            val_share=float(data.get("val_share", 0.05)),
            shard_size=int(data.get("shard_size", 100_000)),
            labels=bool(data.get("labels", True)),
        )


def parse_time(value: str | None, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ExportInputError(
            f"{what} '{value}' is not a date or time; use e.g. 2026-01-31 or 2026-01-31T12:00"
        ) from None
    if parsed.tzinfo is None:
        from django.utils import timezone

        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


def spec_problems(spec: ExportSpec) -> list[str]:
    """What is wrong with a spec on its own (the database checks come in services.export_create)."""
    found = []
    if not spec.campaigns:
        found.append("Name at least one campaign to export.")
    if spec.format not in FORMATS:
        found.append(f"Format '{spec.format}' is not one of {', '.join(FORMATS)}.")
    if not 0 <= spec.val_share < 1:
        found.append(f"The validation share must be at least 0 and below 1, not {spec.val_share}.")
    if not 1 <= spec.shard_size <= 10_000_000:
        found.append("The shard size must be between 1 and 10,000,000 examples.")
    for attr in (*spec.generative.require, *spec.generative.where_judged):
        if attr not in ATTRIBUTES:
            found.append(f"Unknown attribute '{attr}' in the generative filter; use {', '.join(ATTRIBUTES)}.")
    since, until = parse_time(spec.since, "--since"), parse_time(spec.until, "--until")
    if since and until and since >= until:
        found.append("--since must be before --until.")
    return found


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name)) and ".." not in name
