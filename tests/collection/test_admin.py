"""Every collection model is in the admin (the first review console) and its pages render."""

import pytest
from django.contrib import admin
from django.urls import reverse

from collection.models import Campaign, ChatSession, Consent, ModelEndpoint, ResearchSession, ToolQuery, Turn
from tests.collection.factories import ChatSessionFactory, ConsentFactory
from tests.factories import UserFactory

MODELS = [ModelEndpoint, Campaign, Consent, ChatSession, Turn, ResearchSession, ToolQuery]


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


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
            reverse(f"admin:{meta.app_label}_{meta.model_name}_add"),
            reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk]),
        ):
            r = admin_client.get(url)
            assert r.status_code == 200, (url, r.status_code)
            assert b"<script>alert(1)</script>" not in r.content
    session_page = admin_client.get(reverse("admin:collection_chatsession_change", args=[session.pk]))
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in session_page.content, "turns inline shows the dialog"
    filtered = admin_client.get(reverse("admin:collection_chatsession_changelist"), {"status": "active"})
    assert filtered.status_code == 200
