"""Import existing transcripts as finished chat sessions of a campaign (docs/import.md), so logs of a deployed bot
are rated like live chats: each imported session is ended through collection's own session_end, which sends it
for rating (its rating items are made by the usual job). Every dialog not imported is in the report with its
reason; speakers must be mapped explicitly."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from collection.models import Campaign, ChatSession, Turn
from collection.services.chat_session import session_end
from exports.models import ImportedDialog, TranscriptImport
from exports.spec import ExportInputError
from exports.transcripts import Dialog, Problem, read_dialogs

ROLES = {"human": Turn.Speaker.HUMAN, "model": Turn.Speaker.MODEL}


@dataclass
class Plan:
    ok: list[Dialog] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _check_speakers(dialogs: list[Dialog], speakers: dict[str, str]) -> None:
    bad_roles = sorted(f"{k}={v}" for k, v in speakers.items() if v not in ROLES)
    if bad_roles:
        raise ExportInputError(f"Speaker roles must be human or model, not {', '.join(bad_roles)}.")
    if set(speakers.values()) != set(ROLES):
        raise ExportInputError(
            "Map one speaker to human and one to model, e.g. --speaker User=human --speaker Bot=model."
        )
    unknown = sorted({s for d in dialogs for s, _ in d.turns} - set(speakers))
    if unknown:
        shown = ", ".join(repr(s) for s in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise ExportInputError(f"Speakers in the file that are not mapped: {shown}; map each with NAME=human|model.")


def _dialog_problem(d: Dialog, speakers: dict[str, str], campaign: Campaign) -> str | None:
    limit = settings.LAMDA_MAX_MESSAGE_CHARS
    roles = [speakers[s] for s, _ in d.turns]
    for i, (_, text) in enumerate(d.turns, 1):
        if not text.strip():
            return f"turn {i} is empty"
        if "\x00" in text:
            return f"turn {i} contains the NUL character"
        if len(text) > limit:
            return f"turn {i} is longer than {limit} characters"
    for i in range(1, len(roles)):
        if roles[i] == roles[i - 1]:
            return f"turns {i} and {i + 1} are both by the {roles[i]}; turns must alternate"
    if not campaign.min_turns <= len(d.turns) <= campaign.max_turns:
        return f"has {len(d.turns)} turns; this campaign takes {campaign.min_turns}-{campaign.max_turns}"
    return None


def content_hash(d: Dialog, speakers: dict[str, str]) -> str:
    """What makes two dialogs the same: their turns (role and text), not their ids (ParlAI files often give every
    dialog the same id; two log files may both number theirs from 0)."""
    turns = [[speakers[s], t.strip()] for s, t in d.turns]
    return hashlib.sha256(json.dumps(turns, ensure_ascii=False).encode()).hexdigest()


def _wrong_format_hint(raw: bytes, fmt: str, problems: list[Problem]) -> str | None:
    other = "parlai" if fmt == "jsonl" else "jsonl"
    if problems and all(p.reason.startswith("no ") for p in problems):
        if any(isinstance(d, Dialog) for d in read_dialogs(raw, other)):
            return f"No line has the {fmt} layout, but the file reads as {other}: import it with --format {other}."
    return None


def plan_import(campaign: Campaign, raw: bytes, fmt: str, speakers: dict[str, str]) -> Plan:
    items = list(read_dialogs(raw, fmt))
    dialogs = [d for d in items if isinstance(d, Dialog)]
    problems = [p for p in items if isinstance(p, Problem)]
    if not items:
        raise ExportInputError("The file holds no dialogs (it is empty or only blank lines).")
    if not dialogs and (hint := _wrong_format_hint(raw, fmt, problems)):
        raise ExportInputError(hint)
    _check_speakers(dialogs, speakers)
    plan = Plan(problems=problems)
    seen: dict[str, int] = {}
    done = set(ImportedDialog.objects.filter(campaign=campaign).values_list("content_hash", flat=True))
    for d in dialogs:
        why = _dialog_problem(d, speakers, campaign)
        digest = content_hash(d, speakers) if why is None else ""
        if why is None and digest in seen:
            why = f"duplicate of the dialog on line {seen[digest]}"
        if why is None and digest in done:
            why = "already imported into this campaign"
        if digest:
            seen.setdefault(digest, d.line)
        if why:
            plan.problems.append(Problem(d.line, d.source_id, why))
        else:
            plan.ok.append(d)
    plan.problems.sort(key=lambda p: p.line)
    return plan


def _import_user(campaign: Campaign):
    user, created = get_user_model().objects.get_or_create(
        username=f"imported-{campaign.slug}"[:150], defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def transcripts_import(
    *, campaign_slug: str, raw: bytes, fmt: str, speakers: dict[str, str], source_name: str, requested_by=None,
    dry_run: bool = False,
) -> tuple[TranscriptImport | None, Plan]:  # fmt: skip
    campaign = Campaign.objects.filter(slug=campaign_slug).first()
    if campaign is None:
        raise ExportInputError(f"No campaign named '{campaign_slug}'.")
    if campaign.kind not in Campaign.AVAILABLE_KINDS:
        raise ExportInputError(
            f"Campaign '{campaign_slug}' is a {campaign.kind} campaign; its chats cannot be rated yet."
        )
    plan = plan_import(campaign, raw, fmt, speakers)
    if dry_run:
        return None, plan
    worker = _import_user(campaign)
    batch = TranscriptImport.objects.create(
        campaign=campaign, source_name=source_name[:500], format=fmt, speakers=speakers, requested_by=requested_by
    )
    imported = 0
    for d in plan.ok:
        try:
            with transaction.atomic():
                _create_session(batch, campaign, worker, d, speakers, source_name)
            imported += 1
        except IntegrityError:  # a concurrent import took this dialog first
            plan.problems.append(Problem(d.line, d.source_id, "already imported into this campaign"))
    batch.imported = imported
    batch.report = [{"line": p.line, "dialog": p.dialog, "reason": p.reason} for p in plan.problems]
    batch.save(update_fields=["imported", "report"])
    return batch, plan


def _create_session(batch, campaign, worker, d: Dialog, speakers: dict[str, str], source_name: str) -> None:
    session = ChatSession.objects.create(campaign=campaign, worker=worker, turn_count=len(d.turns), mode=campaign.mode)
    Turn.objects.bulk_create(
        Turn(
            session=session,
            index=i,
            speaker=ROLES[speakers[speaker]],
            text=text.strip(),
            model_id=f"imported:{source_name}"[:200] if speakers[speaker] == "model" else "",
            model_version=f"import {batch.pk}" if speakers[speaker] == "model" else "",
        )
        for i, (speaker, text) in enumerate(d.turns)
    )
    ImportedDialog.objects.create(
        batch=batch, campaign=campaign, source_id=d.source_id, content_hash=content_hash(d, speakers), session=session
    )
    session_end(session=ChatSession.objects.select_for_update().get(pk=session.pk), status=ChatSession.Status.FINISHED)
