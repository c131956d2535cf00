"""kill -9 of the worker in the middle of an export: the job is run again by the next worker (its start-up
recovery sweep) and writes a snapshot byte-identical to an export of the same data made without a kill."""

import json
import os
import signal
from pathlib import Path

import pytest

from benchmarks.export_data import load_rated_sessions
from exports.jobs import run_export
from exports.models import DatasetExport
from exports.services import export_create, export_run
from exports.spec import ExportSpec
from exports.writer import temp_dir_for
from tests.collection.factories import CampaignFactory
from tests.e2e.conftest import _start_worker, wait_until
from tests.support.files import folder_digests

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SPEC = ExportSpec(campaigns=("big",), shard_size=300)
WORKER_ENV = {"LAMDA_EXPORT_BATCH_ROWS": "400", "LAMDA_RECOVERY_SECONDS": "2"}


def test_kill_9_mid_export_then_the_rerun_writes_the_same_bytes(tmp_path):
    campaign = CampaignFactory(slug="big", raters_per_item=3, positive_threshold=2)
    load_rated_sessions(campaign, sessions=1500, turns=20)
    # made in this process with the default read batch (50,000 rows): the bytes do not depend on it
    reference = export_run(export_create(spec=SPEC, out_root=tmp_path, name="reference").pk)
    assert reference.status == "done"

    job = export_create(spec=SPEC, out_root=tmp_path, name="killed")
    partial = temp_dir_for(Path(job.out_dir))
    (tmp_path / "w1").mkdir()
    first = _start_worker(tmp_path / "w1", extra_env=WORKER_ENV)
    proc = next(first)
    run_export.delay(job.pk)
    wait_until(lambda: len(list((partial / "data").glob("*"))) >= 2, timeout=60, what="the export writing shards")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    first.close()
    job.refresh_from_db()
    assert job.status == "running" and partial.exists() and not Path(job.out_dir).exists()  # killed mid-write

    (tmp_path / "w2").mkdir()
    second = _start_worker(tmp_path / "w2", beat=True, extra_env=WORKER_ENV)
    next(second)
    try:
        wait_until(lambda: DatasetExport.objects.get(pk=job.pk).status == "done", timeout=120, what="the rerun")
    finally:
        second.close()
    job.refresh_from_db()
    assert job.attempts == 2 and not partial.exists()
    got, want = (json.loads(Path(d, "manifest.json").read_text()) for d in (job.out_dir, reference.out_dir))
    assert got == want  # compared as data first: a clear diff if it fails
    assert folder_digests(job.out_dir) == folder_digests(reference.out_dir)
