"""The workbench pages: a research task claimed and resumed, queries with and without htmx, marks, autosave,
outcomes, and bad input (a 100K query or rewrite, HTML and query syntax shown as text, someone else's task, a URL
never returned) as a clear 4xx with nothing typed lost."""

import pytest
from django.test import Client
from django.urls import reverse

from collection.models import ResearchSession, Rewrite
from tests.factories import UserFactory
from tests.support.groundedness import research_tasks

pytestmark = pytest.mark.django_db
XSS = "<img src=x onerror=alert(1)>"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def task():
    return research_tasks()[0]


def _open(task, user=None):
    client = Client()
    client.force_login(user or UserFactory())
    r = client.get(reverse("frontend:research_next"), {"campaign": task.campaign.slug})
    assert r.status_code == 302, r.content[:300]
    return client, r["Location"], ResearchSession.objects.get(task=task)


def test_the_chatter_gets_no_task_and_a_researcher_sees_the_dialog_and_the_reply(task):
    chatter = Client()
    chatter.force_login(task.chatter)
    page = chatter.get(reverse("frontend:research_next"), {"campaign": task.campaign.slug})
    assert page.status_code == 200 and 'id="no-research"' in page.content.decode()
    client, url, session = _open(task)
    html = client.get(url).content.decode()
    assert task.turn.text in html and 'id="reply-text"' in html and 'id="rewrite"' in html
    assert client.get(reverse("frontend:research_next"), {"campaign": task.campaign.slug})["Location"] == url


def test_queries_with_and_without_htmx_and_html_shown_as_text(task):
    client, url, session = _open(task)
    plain = client.post(reverse("frontend:research_query", args=[session.pk]), {"query": "tennis"})
    assert plain.status_code == 302 and plain["Location"].startswith(url)
    repeat = [client.post(reverse("frontend:research_query", args=[session.pk]), {"query": "Eiffel Tower"}, **HX)
              for _ in range(2)][-1]  # fmt: skip
    assert "No more results for this query." in repeat.content.decode()
    part = client.post(reverse("frontend:research_query", args=[session.pk]), {"query": f"tennis {XSS}"}, **HX)
    body = part.content.decode()
    assert part.status_code == 200 and body.startswith('<div id="log"') and "#1" in body and "#4" not in body
    assert XSS not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    syntax = client.post(reverse("frontend:research_query", args=[session.pk]), {"query": 'title:"(AND OR'}, **HX)
    assert syntax.status_code == 200  # query syntax is plain text for the search, never an error
    assert session.queries.count() == 5


def test_a_huge_or_empty_query_is_refused_with_the_draft_kept(task):
    client, url, session = _open(task)
    client.post(reverse("frontend:research_draft", args=[session.pk]), {"text": "my draft"}, **HX)
    huge = client.post(reverse("frontend:research_query", args=[session.pk]), {"query": "x" * 100_000}, follow=True)
    html = huge.content.decode()
    assert huge.redirect_chain[-1][0].startswith(url) and "at most" in html and "my draft" in html
    empty = client.post(reverse("frontend:research_query", args=[session.pk]), {"query": "  "}, **HX)
    assert empty.status_code == 400 and "characters of text" in empty.content.decode()
    assert not session.queries.exists()


def test_without_javascript_a_search_keeps_what_is_typed_in_the_rewrite_box(task):
    client, url, session = _open(task)
    typed = "Nadal has 22 titles, I think"
    r = client.post(reverse("frontend:research_query", args=[session.pk]), {"query": "tennis", "text": typed})
    assert r.status_code == 302 and r["Location"].startswith(url)
    assert typed in client.get(r["Location"]).content.decode() and session.queries.count() == 1
    refused = client.post(reverse("frontend:research_query", args=[session.pk]), {"query": " ", "text": typed + "!"})
    page = client.get(refused["Location"]).content.decode()
    assert typed + "!" in page and "characters of text" in page
    again = client.get(url).content.decode()
    assert again.count("characters of text") == 0  # the message is shown once
    assert client.get(reverse("frontend:research_query", args=[session.pk]))["Location"] == url  # GET: the page


def test_autosave_and_its_refusals(task):
    client, url, session = _open(task)
    ok = client.post(reverse("frontend:research_draft", args=[session.pk]), {"text": "draft one"}, **HX)
    assert ok.status_code == 200 and "Draft saved" in ok.content.decode()
    too_long = client.post(reverse("frontend:research_draft", args=[session.pk]), {"text": "y" * 100_000}, **HX)
    assert too_long.status_code == 400 and "limit is" in too_long.content.decode()
    session.refresh_from_db()
    assert session.draft == "draft one"  # the last good draft stays
    assert client.get(url).content.decode().count("draft one") >= 1


def test_someone_elses_task_is_not_found(task):
    client, url, session = _open(task)
    other = Client()
    other.force_login(UserFactory())
    assert other.get(url).status_code == 404
    assert other.post(reverse("frontend:research_query", args=[session.pk]), {"query": "x"}).status_code == 404
    assert (
        other.post(reverse("frontend:research_submit", args=[session.pk]), {"outcome": "no_change"}).status_code == 404
    )
    assert other.post(reverse("frontend:research_draft", args=[session.pk]), {"text": "x"}).status_code == 404


def test_a_citation_never_returned_is_refused_and_the_rewrite_kept_then_a_good_one_is_saved(task):
    client, url, session = _open(task)
    client.post(reverse("frontend:research_query", args=[session.pk]), {"query": "Rafael Nadal"})
    bad = f"Nadal has 22 titles https://not-returned.example/page {XSS}"
    submit = reverse("frontend:research_submit", args=[session.pk])
    r = client.post(submit, {"outcome": "rewritten", "text": bad}, follow=True)
    html = r.content.decode()
    assert r.redirect_chain[-1][0].startswith(url) and "did not return to you" in html  # PRG: reload resends nothing
    assert "https://not-returned.example/page" in html and XSS not in html  # kept in the box, as text
    session.refresh_from_db()
    assert "not-returned" in session.draft
    empty = client.post(submit, {"outcome": "rewritten", "text": ""}, follow=True)
    assert "cannot be empty" in empty.content.decode()
    huge = client.post(submit, {"outcome": "rewritten", "text": "z" * 100_000}, follow=True)
    assert "limit is" in huge.content.decode() and "z" * 8000 in huge.content.decode()  # kept, up to twice the limit
    assert client.get(submit)["Location"] == url
    url_ok = session.queries.get().results[0]["url"]
    good = client.post(
        reverse("frontend:research_submit", args=[session.pk]),
        {"outcome": "rewritten", "text": f"Nadal has 22 [titles]({url_ok})."},
    )
    assert good.status_code == 302
    assert Rewrite.objects.get(task=task).citations.get().url == url_ok
    again = client.post(reverse("frontend:research_submit", args=[session.pk]), {"outcome": "no_change"}, follow=True)
    assert "finished" in again.content.decode() and "readonly" in again.content.decode()


def test_marks_with_htmx(task):
    client, url, session = _open(task)
    client.post(reverse("frontend:research_query", args=[session.pk]), {"query": "Rafael Nadal"})
    q = session.queries.get()
    r = client.post(
        reverse("frontend:research_mark", args=[session.pk]),
        {"query_id": q.pk, "position": 0, "stance": "refutes", "claim": "his age"},
        **HX,
    )
    assert r.status_code == 200 and 'class="result refutes"' in r.content.decode()
    bad = client.post(
        reverse("frontend:research_mark", args=[session.pk]),
        {"query_id": "x", "position": 0, "stance": "refutes"},
        **HX,
    )
    assert bad.status_code == 400 and "does not exist" in bad.content.decode()


def test_my_tasks_offers_research_but_not_to_the_chatter(task):
    researcher = Client()
    researcher.force_login(UserFactory())
    html = researcher.get(reverse("frontend:tasks")).content.decode()
    assert 'id="research-queues"' in html and f"{task.campaign.name}</td><td>1</td>" in html
    chatter = Client()
    chatter.force_login(task.chatter)
    assert f"{task.campaign.name}</td><td>0</td>" in chatter.get(reverse("frontend:tasks")).content.decode()
