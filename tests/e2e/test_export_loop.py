"""The loop closed, with a real Celery worker process: chat with a local trainer export, rate, aggregate, export
(the command queues the job; the worker writes the snapshot), fine-tune the tiny model a few steps on it through
`manage.py train`, register the result with `manage.py model_register`, and chat with the new model."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotation.models import Aggregate
from collection.models import ModelEndpoint, Turn
from exports.identity import session_bucket
from exports.models import DatasetExport
from tests.collection.factories import CampaignFactory
from tests.e2e.conftest import wait_until
from tests.factories import UserFactory
from training.format.io import load_snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _chat(campaign, worker) -> int:
    client = _client(worker)
    assert client.post(f"/api/v1/collection/chat/campaigns/{campaign.slug}/consent/").status_code in (200, 201)
    session = client.post(f"/api/v1/collection/chat/campaigns/{campaign.slug}/sessions/").json()
    for i in range(campaign.min_turns // 2):
        r = client.post(
            f"/api/v1/collection/chat/sessions/{session['id']}/messages/", {"text": f"hello {i}"}, format="json"
        )
        assert r.status_code in (200, 201), r.content
    assert client.post(f"/api/v1/collection/chat/sessions/{session['id']}/finish/").status_code == 200
    return session["id"]


def _rate_all(raters) -> int:
    rated = 0
    for rater in raters:
        client = _client(rater)
        while (r := client.post("/api/v1/annotation/assignments/next/", {}, format="json")).status_code in (200, 201):
            answers = {"sensible": "yes", "specific": "yes", "interesting": "yes" if rated % 2 else "no"}
            assert client.post(
                f"/api/v1/annotation/items/{r.json()['id']}/labels/", answers, format="json"
            ).status_code in (200, 201)
            rated += 1
    return rated


def test_chat_rate_export_finetune_register_chat(celery_worker_process, tiny_export, tmp_path):
    endpoint = ModelEndpoint.objects.create(  # short replies: the examples fit the fine-tuning's --seq-len
        name="tiny-base",
        backend="local",
        checkpoint_path=str(tiny_export),
        sampling={"max_new_tokens": 8, "num_candidates": 4},
    )
    campaign = CampaignFactory(
        slug="loop", model_endpoint=endpoint, min_turns=4, max_turns=8, raters_per_item=3, positive_threshold=2
    )
    for _ in range(2):
        _chat(campaign, UserFactory())
    raters = [UserFactory() for _ in range(3)]
    wait_until(lambda: campaign.rating_items.count() == 4, what="rating items made by the worker", timeout=120)
    assert _rate_all(raters) == 12
    wait_until(lambda: Aggregate.objects.filter(item__campaign=campaign).count() == 12, what="aggregation", timeout=120)

    # a validation share that puts exactly one of the two sessions in validation (the split is a hash of the id)
    share = (min(session_bucket(s) for s in campaign.sessions.values_list("id", flat=True)) + 1) / 1_000_000
    out = StringIO()
    call_command(
        "export",
        "--campaign",
        "loop",
        "--out",
        str(tmp_path / "exports"),
        "--name",
        "snap",
        "--val-share",
        str(share),
        stdout=out,
    )  # queued: the worker process writes it
    job = DatasetExport.objects.get()
    assert job.status == "done" and job.attempts == 1 and "snapshot written" in out.getvalue()
    snap = load_snapshot(job.out_dir)
    assert len(snap.examples["discriminative"]) == 12
    assert len(snap.examples["generative"]) == sum(
        1 for a in Aggregate.objects.filter(item__campaign=campaign, attribute="interesting") if a.positive
    )

    assert {f.split for f in snap.manifest.files} == {"train", "validation"}, snap.manifest.files

    verdicts = sorted(
        Aggregate.objects.filter(item__campaign=campaign).values_list(
            "item__session_id", "item_id", "attribute", "positive"
        )
    )
    assert job.manifest["source"]["counts"]["train"].get("generative"), (
        job.manifest["source"]["counts"],
        verdicts,
        share,
    )

    run = tmp_path / "run"
    call_command(
        "train",
        "--",
        "--data",
        job.out_dir,
        "--init-from",
        str(tiny_export),
        "--out",
        str(run),
        "--steps",
        "3",
        "--seq-len",
        "128",
        "--batch-size",
        "2",
        "--truncate-long",
        "--eval-every",
        "3",
        "--no-progress",
        "--run-name",
        "loop-ft",
    )
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("val/loss" in m for m in metrics)  # evaluated: on the exporter's split when it has one

    call_command("model_register", str(run / "export"), "--campaign", "loop", stdout=StringIO())
    campaign.refresh_from_db()
    assert (
        campaign.model_endpoint.name == "loop-ft-step3"
        and Path(campaign.model_endpoint.checkpoint_path) == run / "export"
    )
    session = _chat(campaign, UserFactory())
    reply = Turn.objects.filter(session_id=session, speaker="model").first()
    assert reply.model_id == "loop-ft" and reply.text
