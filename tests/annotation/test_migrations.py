"""Making rating forms data keeps the quality labels and verdicts that exist (migration annotation 0003)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
BEFORE = [("annotation", "0002_hardening"), ("collection", "0003_campaign_limits")]
LABELS = [("yes", "yes", "maybe"), ("yes", "no", None), ("no", None, None), ("maybe", None, None), ("yes", "yes", "no")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _old_data(apps) -> int:
    User = apps.get_model("auth", "User")
    chatter = User.objects.create(username="chatter")
    endpoint = apps.get_model("collection", "ModelEndpoint").objects.create(name="e", backend="openai")
    campaign = apps.get_model("collection", "Campaign").objects.create(
        name="c", slug="c", instructions="x", model_endpoint=endpoint
    )
    session = apps.get_model("collection", "ChatSession").objects.create(
        campaign=campaign, worker=chatter, status="finished", turn_count=2, sent_for_rating=True
    )
    turn = apps.get_model("collection", "Turn").objects.create(session=session, index=1, speaker="model", text="hi")
    item = apps.get_model("annotation", "RatingItem").objects.create(
        campaign=campaign, session=session, turn=turn, chatter=chatter, required_labels=5, label_count=5,
        status="complete", completed_at=timezone.now(),
    )  # fmt: skip
    for n, (s, p, i) in enumerate(LABELS):
        rater = User.objects.create(username=f"r{n}")
        apps.get_model("annotation", "QualityLabel").objects.create(
            item=item, rater=rater, sensible=s, specific=p, interesting=i
        )
    apps.get_model("annotation", "Aggregate").objects.create(
        item=item, rule_version="ssi-majority/1:yes>=3of5", attribute="sensible", positive=True, yes_count=3,
        label_count=5, score=0.6,
    )  # fmt: skip
    return item.pk


def test_quality_labels_become_answers_of_quality_ssi_v1_and_keep_their_verdicts():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        item_id = _old_data(_migrate(BEFORE))
        apps = _migrate(latest)
        Label = apps.get_model("annotation", "Label")
        stored = [
            tuple(lab.answers.get(k) for k in ("sensible", "specific", "interesting"))
            for lab in Label.objects.filter(item_id=item_id)
        ]
        assert len(stored) == len(LABELS) and set(stored) == set(LABELS)
        assert all(None not in lab.answers.values() for lab in Label.objects.all())  # unasked is absent
        item = apps.get_model("annotation", "RatingItem").objects.get(pk=item_id)
        version = apps.get_model("annotation", "FormVersion").objects.get(pk=item.form_version_id)
        assert (version.form.slug, version.number) == ("quality-ssi", 1) and version.published_at is not None
        verdict = apps.get_model("annotation", "Aggregate").objects.get(item_id=item_id)
        assert verdict.positive and verdict.form_version_id == version.pk
    finally:
        _migrate(latest)
