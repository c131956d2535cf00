"""Bad export requests get one plain sentence (and the command exit 2), never a traceback or a half snapshot."""

import errno
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from exports.models import DatasetExport
from exports.services import export_create, export_run
from exports.spec import ExportInputError, ExportSpec, GenerativeFilter
from tests.collection.factories import CampaignFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _create(tmp_path, name="snap", **spec):
    return export_create(spec=ExportSpec(**{"campaigns": ("q-export",), **spec}), out_root=tmp_path, name=name)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"campaigns": ("nope",)}, "No campaign named 'nope'"),
        ({"campaigns": ()}, "at least one campaign"),
        ({"rule_versions": {"q-export": "ssi/9"}}, "no verdicts under rule version 'ssi/9'"),
        ({"rule_versions": {"other": "x"}}, "not being exported"),
        ({"format": "csv"}, "Format 'csv'"),
        ({"val_share": 1.5}, "validation share"),
        ({"since": "yesterday"}, "is not a date"),
        ({"since": "2026-02-01", "until": "2026-01-01"}, "--since must be before --until"),
        ({"generative": GenerativeFilter(require=("FUNNY",))}, "Unknown attribute 'FUNNY'"),
    ],
)
def test_bad_requests_are_refused_with_a_sentence(rated, tmp_path, spec, message):
    with pytest.raises(ExportInputError, match=message):
        _create(tmp_path, **spec)
    assert not DatasetExport.objects.exists()


def test_an_existing_folder_is_never_overwritten(rated, tmp_path):
    (tmp_path / "snap").mkdir()
    with pytest.raises(ExportInputError, match="already exists"):
        _create(tmp_path)


def test_a_bad_folder_name_is_refused(rated, tmp_path):
    with pytest.raises(ExportInputError, match="cannot be a folder name"):
        _create(tmp_path, name="../escape")


def test_an_empty_campaign_says_there_is_nothing_to_export(transactional_db, tmp_path):
    CampaignFactory(slug="empty")
    job = export_run(export_create(spec=ExportSpec(campaigns=("empty",)), out_root=tmp_path, name="e").pk)
    assert job.status == "failed" and job.error.startswith("Nothing to export")
    assert os.listdir(tmp_path) == []


def test_nothing_in_the_date_range_names_the_range(rated, tmp_path):
    job = export_run(_create(tmp_path, since="2001-01-01", until="2001-02-01").pk)
    assert job.status == "failed"
    assert "in sessions that ended within --since 2001-01-01 --until 2001-02-01" in job.error


def test_a_kind_with_no_examples_still_makes_a_valid_snapshot(rated, tmp_path):
    """Safety replies have no quality verdicts, so no generative examples: the snapshot has none of that kind."""
    from training.format.io import load_snapshot

    job = export_run(_create(tmp_path, campaigns=("s-export",)).pk)
    assert job.status == "done", job.error
    snap = load_snapshot(job.out_dir)
    assert snap.examples["generative"] == [] and len(snap.examples["discriminative"]) > 0


def test_a_full_disk_mid_write_leaves_nothing_behind(rated, tmp_path, monkeypatch):
    import exports.writer as writer

    calls = {"n": 0}
    real = writer._Shards._buffer

    def failing(self, table):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, table)

    monkeypatch.setattr(writer._Shards, "_buffer", failing)
    job = export_run(_create(tmp_path, shard_size=10).pk)
    assert job.status == "failed" and "the disk is full" in job.error and "Nothing was left behind" in job.error
    assert os.listdir(tmp_path) == []


def test_an_unwritable_folder_fails_the_job_plainly(rated, tmp_path):
    target = tmp_path / "file-not-folder"
    target.write_text("x")
    with pytest.raises(ExportInputError, match="is a file"):
        export_create(spec=ExportSpec(campaigns=("q-export",)), out_root=target)


def test_the_command_prints_one_line_for_bad_input(rated, tmp_path):
    with pytest.raises(CommandError, match="No campaign named 'nope'"):
        call_command("export", "--campaign", "nope", "--out", str(tmp_path), "--sync", stdout=StringIO())
    with pytest.raises(CommandError, match="SLUG=VERSION"):
        call_command("export", "--campaign", "q-export", "--out", str(tmp_path), "--rule-version", "x", "--sync")


def test_the_command_exports_in_process_and_reports_counts(rated, tmp_path):
    out = StringIO()
    call_command(
        "export", "--campaign", "q-export", "--campaign", "s-export", "--out", str(tmp_path), "--sync", stdout=out
    )
    text = out.getvalue()
    assert "snapshot written" in text and "SENSIBLE" in text and "UNSAFE" in text


def test_the_command_says_when_the_broker_is_down(rated, tmp_path, monkeypatch):
    from kombu.exceptions import OperationalError

    from exports import jobs

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:63791. Connection refused.")

    monkeypatch.setattr(jobs.run_export, "apply_async", broker_down)
    with pytest.raises(CommandError, match="could not queue the export"):
        call_command("export", "--campaign", "q-export", "--out", str(tmp_path), stdout=StringIO())
    assert DatasetExport.objects.get().status == "failed"
