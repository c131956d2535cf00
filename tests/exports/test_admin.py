"""The campaign list's export action, the export's page (progress, counts, downloads) and who may download."""

import json

import pytest
from django.urls import reverse

from exports.models import DatasetExport
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _export_action(client, campaign):
    return client.post(
        reverse("admin:collection_campaign_changelist"),
        {"action": "export_campaigns", "_selected_action": [campaign.pk]},
        follow=True,
    )


def test_the_campaign_action_exports_and_the_page_offers_the_files(rated, staff_client, settings, tmp_path):
    settings.LAMDA_EXPORT_ROOT = tmp_path
    page = _export_action(staff_client, rated["quality"])
    assert "queued" in page.content.decode()
    job = DatasetExport.objects.get()
    assert job.status == "done", job.error  # eager in tests: the job ran in the request
    change = staff_client.get(reverse("admin:exports_datasetexport_change", args=[job.pk])).content.decode()
    assert "SENSIBLE" in change and "100%" in change and "manifest.json" in change
    got = staff_client.get(reverse("admin:exports_download", args=[job.pk, "manifest.json"]))
    assert got.status_code == 200
    assert json.loads(b"".join(got.streaming_content))["files"] == job.manifest["files"]


def test_only_listed_files_can_be_downloaded(rated, staff_client, settings, tmp_path):
    settings.LAMDA_EXPORT_ROOT = tmp_path
    _export_action(staff_client, rated["quality"])
    job = DatasetExport.objects.get()
    for rel in ("../../etc/passwd", "data", "meta/../manifest.json", "nope.parquet"):
        assert staff_client.get(reverse("admin:exports_download", args=[job.pk, rel])).status_code == 404


def test_crowdworkers_cannot_download(rated, client, staff_client, settings, tmp_path):
    settings.LAMDA_EXPORT_ROOT = tmp_path
    _export_action(staff_client, rated["quality"])
    job = DatasetExport.objects.get()
    worker = UserFactory()
    client.force_login(worker)
    got = client.get(reverse("admin:exports_download", args=[job.pk, "manifest.json"]))
    assert got.status_code == 302 and "/admin/login/" in got["Location"]


def test_an_export_that_cannot_run_says_why_on_the_page(transactional_db, staff_client, settings, tmp_path):
    from tests.collection.factories import CampaignFactory

    settings.LAMDA_EXPORT_ROOT = tmp_path
    page = _export_action(staff_client, CampaignFactory(slug="empty")).content.decode()
    job = DatasetExport.objects.get()
    assert job.status == "failed"
    change = staff_client.get(reverse("admin:exports_datasetexport_change", args=[job.pk])).content.decode()
    assert "Nothing to export" in change and "Traceback" not in page


def test_export_records_cannot_be_edited_or_deleted(rated, staff_client, settings, tmp_path):
    settings.LAMDA_EXPORT_ROOT = tmp_path
    _export_action(staff_client, rated["quality"])
    job = DatasetExport.objects.get()
    assert staff_client.get(reverse("admin:exports_datasetexport_add")).status_code == 403
    assert (
        staff_client.post(reverse("admin:exports_datasetexport_delete", args=[job.pk]), {"post": "yes"}).status_code
        == 403
    )
