"""The exports' recovery sweep: a running job whose lock is free lost its worker and is run again; a job another
connection holds is left alone; a long-queued job is queued again; two runs never write at once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exports.models import DatasetExport
from exports.reader import snapshot_connection, try_job_lock
from exports.services import export_create, export_run
from exports.services.recover import exports_recover
from exports.spec import ExportSpec

pytestmark = pytest.mark.django_db(transaction=True)


def _job(tmp_path, name="snap"):
    return export_create(spec=ExportSpec(campaigns=("q-export",)), out_root=tmp_path, name=name)


def test_a_running_job_whose_worker_died_is_run_again(rated, tmp_path):
    job = _job(tmp_path)
    DatasetExport.objects.filter(pk=job.pk).update(status="running", attempts=1)  # its worker was kill -9'd
    assert exports_recover() == [job.pk]  # eager in tests: the job ran again at once
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2


def test_a_job_another_worker_holds_is_left_alone(rated, tmp_path):
    job = _job(tmp_path)
    DatasetExport.objects.filter(pk=job.pk).update(status="running", attempts=1)
    with snapshot_connection() as other:
        assert try_job_lock(other, job.pk)
        assert exports_recover() == []
        assert export_run(job.pk).status == "running"  # a second run does not start while the first holds it
    assert exports_recover() == [job.pk]


def test_a_job_queued_too_long_is_queued_again(rated, tmp_path, settings):
    job = _job(tmp_path)
    assert exports_recover() == []  # just queued: its message is still on its way
    later = timezone.now() + timedelta(seconds=settings.LAMDA_EXPORT_REQUEUE_SECONDS + 1)
    assert exports_recover(now=later) == [job.pk]


def test_nothing_to_recover_costs_no_connection(transactional_db, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert exports_recover() == []
