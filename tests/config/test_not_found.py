"""404s: a page in the site's layout with the view's sentence (never the resolver's internals), JSON under /api/."""

import pytest
from django.test import Client

from tests.collection.factories import ChatSessionFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_someone_elses_chat_and_an_unknown_page_get_a_page_in_the_layout():
    session = ChatSessionFactory(turns=2)
    client = Client()
    client.force_login(UserFactory())
    for url in (f"/chat/session/{session.pk}/", "/no/such/page/", "/chat/nope/"):
        r = client.get(url)
        html = r.content.decode()
        assert r.status_code == 404 and 'id="not-found"' in html and "My tasks" in html, url
        assert "Resolver404" not in html and "Traceback" not in html and "urlpatterns" not in html


def test_api_404_stays_json():
    client = Client()
    client.force_login(UserFactory())
    r = client.get("/api/v1/collection/chat/sessions/999999/")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
