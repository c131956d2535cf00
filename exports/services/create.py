"""Check an export request against the database and record the job (it is queued by the caller)."""

from __future__ import annotations

from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from annotation.models import Aggregate
from annotation.rules import NoRule, rule_for_campaign
from collection.models import Campaign
from exports.models import DatasetExport
from exports.producers import PRODUCERS
from exports.spec import ExportInputError, ExportSpec, spec_problems, valid_name
from exports.writer import temp_dir_for


def known_rule_versions(campaign: Campaign) -> list[str]:
    return sorted(Aggregate.objects.filter(item__campaign=campaign).values_list("rule_version", flat=True).distinct())


def _rule_version(campaign: Campaign, asked: str | None) -> str:
    known = known_rule_versions(campaign)
    if asked:
        if asked not in known:
            listed = ", ".join(known) if known else "none yet"
            raise ExportInputError(
                f"Campaign '{campaign.slug}' has no verdicts under rule version '{asked}'; its rule versions: {listed}."
            )
        return asked
    try:
        return rule_for_campaign(campaign).version
    except NoRule as exc:
        raise ExportInputError(f"Campaign '{campaign.slug}': {exc.message}") from None


def resolve_campaigns(spec: ExportSpec) -> dict[str, str]:
    """{slug: rule version} for the spec's campaigns, or ExportInputError naming what is unknown."""
    found = {c.slug: c for c in Campaign.objects.filter(slug__in=spec.campaigns)}
    missing = [s for s in spec.campaigns if s not in found]
    if missing:
        raise ExportInputError(f"No campaign named {', '.join(repr(s) for s in missing)}.")
    stray = sorted(set(spec.rule_versions) - set(spec.campaigns))
    if stray:
        raise ExportInputError(f"A rule version is given for {', '.join(stray)}, which is not being exported.")
    versions = {}
    for slug in sorted(found):
        campaign = found[slug]
        if campaign.kind not in PRODUCERS:
            raise ExportInputError(f"Campaign '{slug}' is a {campaign.kind} campaign; those cannot be exported yet.")
        versions[slug] = _rule_version(campaign, spec.rule_versions.get(slug))
    return versions


def export_create(
    *, spec: ExportSpec, out_root: str | Path, name: str | None = None, requested_by=None
) -> DatasetExport:
    problems = spec_problems(spec)
    if problems:
        raise ExportInputError(" ".join(problems))
    versions = resolve_campaigns(spec)
    spec = ExportSpec.from_json({**spec.to_json(), "campaigns": sorted(versions), "rule_versions": versions})
    now = timezone.now()
    name = name or f"{'+'.join(spec.campaigns)[:80]}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    if not valid_name(name):
        raise ExportInputError(f"'{name}' cannot be a folder name; use letters, digits, '.', '_', '+' and '-'.")
    root = Path(out_root).expanduser().resolve()
    out = root / name
    if root.exists() and not root.is_dir():
        raise ExportInputError(f"{root} is a file, not a folder for exports.")
    if out.exists():
        raise ExportInputError(f"{out} already exists; snapshots are never overwritten, choose another name.")
    if temp_dir_for(out).exists() and DatasetExport.objects.filter(out_dir=str(out)).exclude(status="failed").exists():
        raise ExportInputError(f"An export into {out} is already running.")
    try:
        with transaction.atomic():
            return DatasetExport.objects.create(
                spec=spec.to_json(), out_dir=str(out), cutoff=now, requested_by=requested_by
            )
    except IntegrityError:
        raise ExportInputError(f"An export into {out} is already queued or running.") from None
