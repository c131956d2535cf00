"""An admin sees why a model reply won: every candidate with its scores, the dropped ones and why, the research
steps; read-only and escaped."""

import pytest
from django.urls import reverse

from tests.collection.factories import ChatSessionFactory, TurnFactory
from tests.factories import UserFactory

RANKING = {
    "ranking": "discriminator",
    "chosen": 1,
    "fallback_used": False,
    "truncated": None,
    "candidates": [
        {"text": "<b>unsafe</b>", "scores": {"SENSIBLE": 0.9, "UNSAFE": 0.8}, "rank_score": 2.7,
         "dropped": "unsafe: P(safe) 0.200 < safety_threshold 0.5"},
        {"text": "a fine reply", "scores": {"SENSIBLE": 0.7, "UNSAFE": 0.1}, "rank_score": 2.1, "dropped": None},
    ],
    "research": [{"query": "Rafael Nadal's age", "snippets": ["Rafael Nadal / Age / 35"], "error": None},
                 {"query": "again", "snippets": [], "error": "ConnectionError: down"}],
    "research_forced": True,
}  # fmt: skip


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_turn_page_shows_candidates_scores_drops_and_research(admin_client):
    session = ChatSessionFactory()
    TurnFactory(session=session, index=0)
    turn = TurnFactory(session=session, index=1, text="a fine reply", ranking=RANKING)
    page = admin_client.get(reverse("admin:collection_turn_change", args=[turn.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;b&gt;unsafe&lt;/b&gt;" in html and "<b>unsafe</b>" not in html
    assert "unsafe: P(safe) 0.200 &lt; safety_threshold 0.5" in html
    assert "1 (chosen)" in html and "sensible 0.700" in html and "2.100" in html
    assert "Rafael Nadal&#x27;s age" in html and "Rafael Nadal / Age / 35" in html
    assert "toolset error: ConnectionError: down" in html and "forced to answer at the maximum" in html
    assert (
        admin_client.post(reverse("admin:collection_turn_change", args=[turn.pk]), {"ranking": "{}"}).status_code == 403
    )


def test_a_turn_without_ranking_says_so(admin_client):
    turn = TurnFactory(session=ChatSessionFactory(), index=0)
    page = admin_client.get(reverse("admin:collection_turn_change", args=[turn.pk]))
    assert "no ranking recorded" in page.content.decode()
