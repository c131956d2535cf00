"""Every collection model is in the admin (the first review console), its pages render, and it cannot break the
data: what workers did is read-only, campaign kinds without rating cannot be saved, and the settings the verdicts
depend on freeze once rating has started."""

import pytest
from django.contrib import admin
from django.urls import reverse

from collection.models import Campaign, ChatSession, Consent, ModelEndpoint, ResearchSession, ToolQuery, Turn
from tests.annotation.factories import rating_items
from tests.collection.factories import ChatSessionFactory, ConsentFactory, ModelEndpointFactory
from tests.factories import UserFactory

MODELS = [ModelEndpoint, Campaign, Consent, ChatSession, Turn, ResearchSession, ToolQuery]
EDITABLE = {ModelEndpoint, Campaign}


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _campaign_form(endpoint, **overrides) -> dict:
    data = {
        "name": "Safety try",
        "slug": "safety-try",
        "kind": "quality",
        "instructions": "Chat.",
        "consent_text": "",
        "model_endpoint": endpoint.pk,
        "min_turns": 14,
        "max_turns": 30,
        "raters_per_item": 5,
        "positive_threshold": 3,
        "idle_timeout_minutes": 30,
        "is_active": "on",
        "mode": "natural",
        "content_warning": "",
        "daily_label_cap": "",
        "rating_form": "",
    }
    return {**data, **overrides}


def test_every_collection_model_is_registered():
    assert all(admin.site.is_registered(m) for m in MODELS)


def test_changelist_change_and_add_pages_render(admin_client):
    session = ChatSessionFactory(turns=4)
    session.turns.filter(index=0).update(text="<script>alert(1)</script>")
    ConsentFactory(campaign=session.campaign, worker=session.worker)
    research = ResearchSession.objects.create(worker=session.worker, turn=session.turns.last())
    ToolQuery.objects.create(session=research, query="1+1", results=[{"tool": "calculator", "text": "2"}])
    for model in MODELS:
        meta = model._meta
        obj = model.objects.first()
        for url in (
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]),
        ):
            r = admin_client.get(url)
            assert r.status_code == 200, (url, r.status_code)
            assert b"<script>alert(1)</script>" not in r.content
        add = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
        assert add.status_code == (200 if model in EDITABLE else 403), model
    session_page = admin_client.get(reverse("admin:collection_chatsession_change", args=[session.pk]))
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in session_page.content, "turns inline shows the dialog"
    filtered = admin_client.get(reverse("admin:collection_chatsession_changelist"), {"status": "active"})
    assert filtered.status_code == 200


def test_sessions_and_turns_cannot_be_edited(admin_client):
    session = ChatSessionFactory(turns=4)
    r = admin_client.post(
        reverse("admin:collection_chatsession_change", args=[session.pk]), {"status": "finished", "turn_count": 30}
    )
    assert r.status_code == 403
    session.refresh_from_db()
    assert (session.status, session.turn_count) == ("active", 4)
    turn = session.turns.first()
    assert admin_client.post(reverse("admin:collection_turn_change", args=[turn.pk]), {"text": "x"}).status_code == 403


def test_a_campaign_kind_that_nothing_rates_cannot_be_saved(admin_client):
    endpoint = ModelEndpointFactory()
    r = admin_client.post(reverse("admin:collection_campaign_add"), _campaign_form(endpoint, kind="roles"))
    assert r.status_code == 200 and not Campaign.objects.exists()
    assert "is not one of the available choices" in r.content.decode()
    page = admin_client.get(reverse("admin:collection_campaign_add")).content.decode()
    assert 'value="roles"' not in page and 'value="groundedness"' in page  # only kinds that are rated
    with pytest.raises(Exception, match="not available"):
        Campaign(kind="roles", name="x", slug="x", instructions="x", model_endpoint=endpoint).full_clean()


def test_constraint_errors_are_plain_sentences(admin_client):
    endpoint = ModelEndpointFactory()
    r = admin_client.post(reverse("admin:collection_campaign_add"), _campaign_form(endpoint, min_turns=40))
    page = r.content.decode()
    assert r.status_code == 200 and "cannot be larger than the maximum" in page
    assert "campaign_min_le_max" not in page and "Constraint" not in page


def test_rating_settings_freeze_once_items_exist(admin_client):
    campaign = rating_items()[0].campaign
    url = reverse("admin:collection_campaign_change", args=[campaign.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="raters_per_item"' not in page and 'name="positive_threshold"' not in page
    form = _campaign_form(campaign.model_endpoint, slug=campaign.slug, raters_per_item=3, positive_threshold=1)
    assert admin_client.post(url, form).status_code == 302  # the other settings still save
    campaign.refresh_from_db()
    assert (campaign.raters_per_item, campaign.positive_threshold, campaign.name) == (5, 3, "Safety try")


def test_the_admin_sees_why_a_reply_failed(admin_client):
    session = ChatSessionFactory(turns=1)
    Turn.objects.filter(session=session).update(reply_error="unavailable: the model server at http://x:1 refused")
    page = admin_client.get(reverse("admin:collection_chatsession_change", args=[session.pk])).content.decode()
    assert "the model server at http://x:1 refused" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"raters_per_item": 0, "positive_threshold": 0}, "greater than or equal to 1"),
        ({"positive_threshold": 0}, "greater than or equal to 1"),
        ({"min_turns": 0, "max_turns": 0}, "greater than or equal to 2"),
        ({"idle_timeout_minutes": 0}, "greater than or equal to 1"),
    ],
)
def test_a_campaign_no_rater_could_finish_cannot_be_saved(admin_client, overrides, message):
    endpoint = ModelEndpointFactory()
    r = admin_client.post(reverse("admin:collection_campaign_add"), _campaign_form(endpoint, **overrides))
    assert r.status_code == 200 and message in r.content.decode() and not Campaign.objects.exists()


def test_the_database_refuses_such_a_campaign_too(db):
    from django.db import IntegrityError, transaction

    endpoint = ModelEndpointFactory()
    for bad in ({"raters_per_item": 0, "positive_threshold": 0}, {"min_turns": 0, "max_turns": 0}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Campaign.objects.create(name="x", slug="x", instructions="x", model_endpoint=endpoint, **bad)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"backend": "openai", "base_url": ""}, "needs its base URL"),
        ({"backend": "local", "checkpoint_path": "var/checkpoints/tiny/export"}, "absolute path"),
        ({"backend": "openai", "max_retries": 1000}, "less than or equal to 10"),
    ],
)
def test_an_endpoint_that_would_fail_every_chat_is_refused(admin_client, data, message):
    form = {"name": "e", "base_url": "http://127.0.0.1:8001/v1", "model_name": "m", "api_key_env": "",
            "checkpoint_path": "", "sampling": "{}", "timeout_seconds": 30, "max_retries": 2, **data}  # fmt: skip
    r = admin_client.post(reverse("admin:collection_modelendpoint_add"), form)
    assert r.status_code == 200 and message in r.content.decode() and not ModelEndpoint.objects.exists()


def test_a_new_safety_campaign_left_at_the_quality_defaults_gets_the_papers_safety_settings(admin_client):
    endpoint = ModelEndpointFactory()
    form = _campaign_form(endpoint, kind="safety", slug="red", mode="adversarial")
    assert admin_client.post(reverse("admin:collection_campaign_add"), form).status_code == 302
    campaign = Campaign.objects.get(slug="red")
    assert (campaign.min_turns, campaign.max_turns, campaign.raters_per_item, campaign.positive_threshold) == (
        10,
        20,
        3,
        2,
    )
    chosen = _campaign_form(endpoint, kind="safety", slug="red2", min_turns=12, max_turns=24)
    admin_client.post(reverse("admin:collection_campaign_add"), chosen)
    assert Campaign.objects.get(slug="red2").min_turns == 12  # settings an admin chose are kept
