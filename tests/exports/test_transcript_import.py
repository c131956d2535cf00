"""Importing transcripts (JSONL and ParlAI Conversations): finished sessions that are rated like live chats, an
explicit speaker mapping, and every dialog not imported listed with its reason."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotation.models import RatingItem
from collection.models import ChatSession, Turn
from exports.models import TranscriptImport
from exports.services.transcript_import import transcripts_import
from exports.spec import ExportInputError
from tests.collection.factories import CampaignFactory

pytestmark = pytest.mark.django_db
SPEAKERS = {"User": "human", "Bot": "model"}


def _dialog(n: int, dialog_id: str | None = "d", speakers=("User", "Bot"), text="hi") -> dict:
    out = {"turns": [{"speaker": speakers[i % 2], "text": f"{text} {i}"} for i in range(n)]}
    if dialog_id:
        out["id"] = dialog_id
    return out


def _jsonl(*objs) -> bytes:
    return "\n".join(o if isinstance(o, str) else json.dumps(o) for o in objs).encode()


@pytest.fixture
def campaign():
    return CampaignFactory(slug="logs", min_turns=4, max_turns=8)


def _import(raw, fmt="jsonl", speakers=SPEAKERS, **kw):
    return transcripts_import(campaign_slug="logs", raw=raw, fmt=fmt, speakers=speakers, source_name="f.jsonl", **kw)


def test_dialogs_become_finished_sessions_sent_for_rating(campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch, plan = _import(_jsonl(_dialog(4, "a"), _dialog(6, "b")))
    assert batch.imported == 2 and plan.problems == []
    sessions = ChatSession.objects.filter(campaign=campaign).order_by("id")
    assert [s.status for s in sessions] == ["finished", "finished"] and all(s.sent_for_rating for s in sessions)
    assert list(Turn.objects.filter(session=sessions[0]).values_list("speaker", "text")) == [
        ("human", "hi 0"), ("model", "hi 1"), ("human", "hi 2"), ("model", "hi 3"),
    ]  # fmt: skip
    assert RatingItem.objects.filter(campaign=campaign).count() == 2 + 3  # model turns, made by the usual job
    assert not sessions[0].worker.is_active and not sessions[0].worker.has_usable_password()


def test_parlai_conversations_are_read(campaign):
    line = {"dialog": [[{"id": "User", "text": "hello"}, {"id": "Bot", "text": "hi there"}],
                       [{"id": "User", "text": "how are you"}, {"id": "Bot", "text": "fine"}]]}  # fmt: skip
    batch, _ = _import(_jsonl(line), fmt="parlai")
    assert batch.imported == 1
    assert list(Turn.objects.values_list("text", flat=True).order_by("index")) == [
        "hello",
        "hi there",
        "how are you",
        "fine",
    ]


def test_unknown_speakers_refuse_the_whole_file(campaign):
    with pytest.raises(ExportInputError, match="not mapped: 'Agent'"):
        _import(_jsonl(_dialog(4, "a"), _dialog(4, "b", speakers=("User", "Agent"))))
    with pytest.raises(ExportInputError, match="one speaker to human and one to model"):
        _import(_jsonl(_dialog(4)), speakers={"User": "human", "Bot": "human"})
    assert not ChatSession.objects.exists()


def test_every_dialog_not_imported_is_reported_with_its_reason(campaign):
    raw = _jsonl(
        _dialog(4, "ok"),
        _dialog(2, "short"),
        _dialog(12, "long"),
        {
            "id": "empty",
            "turns": [
                {"speaker": "User", "text": "a"},
                {"speaker": "Bot", "text": "  "},
                {"speaker": "User", "text": "b"},
                {"speaker": "Bot", "text": "c"},
            ],
        },  # fmt: skip
        {"id": "twice", "turns": [{"speaker": "User", "text": t} for t in "abcd"]},
        "{not json",
        _dialog(4, "ok"),
    )
    batch, plan = _import(raw)
    reasons = {p.dialog or f"line {p.line}": p.reason for p in plan.problems}
    assert batch.imported == 1
    assert "this campaign takes 4-8" in reasons["short"] and "has 12 turns" in reasons["long"]
    assert reasons["empty"] == "turn 2 is empty" and "must alternate" in reasons["twice"]
    assert reasons["line 6"].startswith("not valid JSON") and reasons["ok"] == "duplicate of the dialog on line 1"
    assert TranscriptImport.objects.get().report == [
        {"line": p.line, "dialog": p.dialog, "reason": p.reason} for p in plan.problems
    ]


def test_duplicates_are_judged_by_content_not_by_id(campaign):
    same_id = _jsonl(_dialog(4, "blended_skill_talk", text="one"), _dialog(4, "blended_skill_talk", text="two"))
    batch, plan = _import(same_id)
    assert batch.imported == 2 and plan.problems == []  # ParlAI files often give every dialog one id
    repeat = _jsonl(_dialog(4, "other-id", text="one"), _dialog(4, "new", text="three"))
    batch, plan = _import(repeat)  # a second file repeating a dialog under another id
    assert batch.imported == 1 and [p.reason for p in plan.problems] == ["already imported into this campaign"]


def test_an_empty_file_and_the_wrong_format_say_so(campaign):
    with pytest.raises(ExportInputError, match="holds no dialogs"):
        _import(b"\n\n")
    with pytest.raises(ExportInputError, match="import it with --format jsonl"):
        _import(_jsonl(_dialog(4, "a")), fmt="parlai")
    parlai = {"dialog": [[{"id": "User", "text": "hello"}, {"id": "Bot", "text": "hi"}]]}
    with pytest.raises(ExportInputError, match="import it with --format parlai"):
        _import(_jsonl(parlai))


def test_a_second_import_of_the_same_file_adds_nothing(campaign):
    raw = _jsonl(_dialog(4, "a"), _dialog(4, None, text="no id"))
    assert _import(raw)[0].imported == 2
    batch, plan = _import(raw)
    assert batch.imported == 0 and {p.reason for p in plan.problems} == {"already imported into this campaign"}
    assert ChatSession.objects.count() == 2


def test_wrong_encoding_is_one_sentence(campaign):
    with pytest.raises(ExportInputError, match=r"not UTF-8 text \(line 2\)"):
        _import(_jsonl(_dialog(4, "a")) + b"\n\xff\xfe bad")


def test_dry_run_imports_nothing(campaign):
    batch, plan = _import(_jsonl(_dialog(4, "a")), dry_run=True)
    assert batch is None and len(plan.ok) == 1 and not ChatSession.objects.exists()


def test_the_command_prints_the_report(campaign, tmp_path):
    path = tmp_path / "logs.jsonl"
    path.write_bytes(_jsonl(_dialog(4, "a"), _dialog(2, "b")))
    out = StringIO()
    call_command("import_transcripts", str(path), "--campaign", "logs", "--speaker", "User=human",
                 "--speaker", "Bot=model", stdout=out)  # fmt: skip
    assert "imported 1 dialogs" in out.getvalue() and "line 2 (b): has 2 turns" in out.getvalue()
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_transcripts", str(tmp_path / "nope"), "--campaign", "logs")
    with pytest.raises(CommandError, match="NAME=human"):
        call_command("import_transcripts", str(path), "--campaign", "logs", "--speaker", "User")
    with pytest.raises(CommandError, match="No campaign named 'x'"):
        call_command(
            "import_transcripts", str(path), "--campaign", "x", "--speaker", "User=human", "--speaker", "Bot=model"
        )
