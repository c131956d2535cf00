"""Byte-identical snapshots: a second export of unchanged data, and a job re-run after its worker was killed
mid-write (a partial folder left behind)."""

from pathlib import Path

import pytest

from exports.models import DatasetExport
from exports.services import export_create, export_run
from exports.spec import ExportSpec
from exports.writer import temp_dir_for
from tests.support.files import folder_digests

pytestmark = pytest.mark.django_db(transaction=True)


def _export(tmp_path, name, **spec):
    job = export_create(
        spec=ExportSpec(campaigns=("q-export", "s-export"), shard_size=7, **spec), out_root=tmp_path, name=name
    )
    return export_run(job.pk)


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_a_second_export_of_unchanged_data_is_byte_identical(rated, tmp_path, fmt):
    a, b = _export(tmp_path, "a", format=fmt), _export(tmp_path, "b", format=fmt)
    assert a.status == b.status == "done"
    assert folder_digests(a.out_dir) == folder_digests(b.out_dir)
    assert len(folder_digests(a.out_dir)) > 4  # several shards, the manifest and the meta tables


def test_a_rerun_after_a_kill_mid_write_gives_the_same_bytes(rated, tmp_path):
    reference = _export(tmp_path, "ref")
    job = export_create(
        spec=ExportSpec(campaigns=("q-export", "s-export"), shard_size=7), out_root=tmp_path, name="killed"
    )
    # what a kill -9 in the middle leaves: the job marked running and a partial folder with a stray file
    DatasetExport.objects.filter(pk=job.pk).update(status="running", attempts=1)
    partial = temp_dir_for(Path(job.out_dir))
    (partial / "data").mkdir(parents=True)
    (partial / "data" / "discriminative-00000.parquet").write_bytes(b"half a file")
    again = export_run(job.pk)
    assert again.status == "done" and again.attempts == 2 and not partial.exists()
    assert folder_digests(again.out_dir) == folder_digests(reference.out_dir)


def test_a_done_job_run_again_changes_nothing(rated, tmp_path):
    job = _export(tmp_path, "once")
    before = folder_digests(job.out_dir)
    assert export_run(job.pk).status == "done" and folder_digests(job.out_dir) == before


def test_data_that_arrives_after_the_cutoff_does_not_change_a_retried_job(rated, tmp_path):
    import random

    from tests.annotation.factories import completed_session, rating_items
    from tests.exports.conftest import rate_all

    reference = _export(tmp_path, "ref")
    job = export_create(
        spec=ExportSpec(campaigns=("q-export", "s-export"), shard_size=7), out_root=tmp_path, name="late"
    )
    rating_items(session=completed_session(campaign=rated["quality"], turns=14))  # after the job's cutoff
    rate_all(rated["quality"], rated["raters"], random.Random(1), lambda r: {"sensible": "no"})
    assert folder_digests(export_run(job.pk).out_dir) == folder_digests(reference.out_dir)
