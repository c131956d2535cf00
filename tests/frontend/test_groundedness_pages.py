"""Rating pages of the groundedness collection (the rewrite judged, a search box), the results page, and corpus
index builds from the admin with their progress."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from annotation.models import RatingItem
from collection.models import CorpusIndex, ResearchSession
from collection.services.corpus import corpus_index_build
from collection.services.research import research_query_run
from collection.services.research_tasks import research_outcome_submit, research_task_claim
from tests.factories import UserFactory
from tests.support.groundedness import answer_item, research_tasks

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _client(user=None):
    client = Client()
    client.force_login(user or UserFactory())
    return client


@pytest.fixture
def judged():
    """A rewrite waiting for its correct / incorrect labels."""
    task = research_tasks()[0]
    worker = UserFactory()
    session = research_task_claim(campaign=task.campaign, worker=worker).session
    url = research_query_run(session=session, query="Rafael Nadal").results[0]["url"]
    text = f"Rafael Nadal has won 22 Grand Slam titles {url}"
    rewrite = research_outcome_submit(session=session, worker=worker, outcome="rewritten", text=text)
    return rewrite, RatingItem.objects.get(rewrite=rewrite)


def test_the_correctness_item_shows_the_rewrite_and_a_search_box_and_logs_the_raters_queries(judged):
    rewrite, item = judged
    assert _client(rewrite.worker).get(reverse("frontend:rate")).content.decode().count(rewrite.text) == 0
    rater = UserFactory()
    client = _client(rater)
    # claim checks of the other replies are in the same queue: rate them until the correctness item comes
    html = ""
    for _ in range(10):
        html = client.get(reverse("frontend:rate"), {"campaign": item.campaign.slug}).content.decode()
        if reverse("frontend:rate_submit", args=[item.pk]) in html:
            break
        pk = int(html.split("/rate/")[1].split("/")[0])
        client.post(reverse("frontend:rate_submit", args=[pk]), {"claim": "no", "campaign": item.campaign.slug})
    assert rewrite.text in html and 'id="check-query"' in html and 'name="correct" value="not_sure"' in html
    r = client.post(reverse("frontend:check_query", args=[item.pk]), {"query": "tennis"}, **HX)
    assert r.status_code == 200 and "#1" in r.content.decode()
    session = ResearchSession.objects.get(worker=rater, task__isnull=True)
    assert session.turn_id == item.turn_id and session.queries.count() == 1
    huge = client.post(reverse("frontend:check_query", args=[item.pk]), {"query": "q" * 100_000}, **HX)
    assert huge.status_code == 400 and "at most" in huge.content.decode()
    stranger = _client().post(reverse("frontend:check_query", args=[item.pk]), {"query": "x"}, **HX)
    assert stranger.status_code == 403


def test_a_claim_check_page_has_no_search_box():
    assert research_tasks(replies=0) == []  # a finished chat, its claim checks not answered yet
    item = RatingItem.objects.filter(form__slug="claim-check").first()
    html = _client().get(reverse("frontend:rate"), {"campaign": item.campaign.slug}).content.decode()
    assert 'name="claim" value="yes"' in html and 'id="check-query"' not in html
    r = _client().post(reverse("frontend:check_query", args=[item.pk]), {"query": "x"}, **HX)
    assert r.status_code == 403


def test_the_results_page_counts_routing_research_and_correctness(judged):
    rewrite, item = judged
    answer_item(item, [{"correct": "yes"}, {"correct": "yes"}, {"correct": "no"}])
    staff = _client(UserFactory(is_staff=True))
    html = staff.get(reverse("frontend:campaign_stats", args=[item.campaign.slug])).content.decode()
    assert 'id="routing"' in html and 'id="research"' in html and 'id="correctness"' in html
    row = html.split("Correct (2 of 3 yes)</td><td>")[1].split("<")[0]
    assert row == "1"
    assert "Needs research</td><td>1" in html and "Rewritten with citations</td><td>1" in html
    assert "1.00 / 1.0" in html  # one query in the one research session


def _corpus(tmp_path, n=5):
    path = tmp_path / "corpus.jsonl"
    rows = [
        {"url": f"https://wiki.example/{i}", "title": f"Zorblax {i}", "text": f"Zorblax fact {i}."} for i in range(n)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_an_admin_builds_an_index_and_the_workbench_names_it(tmp_path, settings, monkeypatch):
    settings.LAMDA_TOOLSET_INDEX = tmp_path / "index"
    queued = []
    monkeypatch.setattr("collection.jobs.build_corpus_index.delay", lambda pk: queued.append(pk))
    admin = _client(UserFactory(is_staff=True, is_superuser=True))
    add = reverse("admin:collection_corpusindex_add")
    bad = admin.post(add, {"name": "wiki", "corpus_path": str(tmp_path / "missing.jsonl")})
    assert bad.status_code == 200 and "There is no file at" in bad.content.decode()
    assert admin.post(add, {"name": "wiki", "corpus_path": "relative.jsonl"}).status_code == 200
    r = admin.post(add, {"name": "Wiki 2026", "corpus_path": str(_corpus(tmp_path))})
    assert r.status_code == 302 and len(queued) == 1
    build = CorpusIndex.objects.get()
    assert build.name == "wiki-2026" and build.status == "queued"
    corpus_index_build(index_id=build.pk)  # what the Celery job runs
    build.refresh_from_db()
    assert (build.status, build.done, build.total, build.percent) == ("ready", 5, 5, 100)
    page = admin.get(reverse("admin:collection_corpusindex_changelist")).content.decode()
    assert '<progress max="100" value="100">' in page
    task = research_tasks()[0]
    session = research_task_claim(campaign=task.campaign, worker=UserFactory()).session
    logged = research_query_run(session=session, query="zorblax")
    assert logged.results and logged.index_label == "wiki-2026 v1 (5 passages)"  # the first build of that name


def test_a_corpus_with_a_bad_line_fails_the_build_with_its_sentence(tmp_path, settings):
    settings.LAMDA_TOOLSET_INDEX = tmp_path / "index"
    path = _corpus(tmp_path)
    path.write_text(path.read_text() + "{not json\n")
    from collection.services.corpus import corpus_index_create
    from config.api_errors import ApplicationError

    build = corpus_index_create(name="bad", corpus_path=str(path))
    with pytest.raises(ApplicationError, match="line 6"):
        corpus_index_build(index_id=build.pk)
    build.refresh_from_db()
    assert build.status == "failed" and "line 6" in build.error


def test_an_empty_corpus_fails_its_build_and_an_empty_index_says_so(tmp_path, settings):
    from django.utils import timezone

    from collection.services.corpus import corpus_index_create
    from config.api_errors import ApplicationError, Unavailable

    settings.LAMDA_TOOLSET_INDEX = tmp_path / "index"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    build = corpus_index_create(name="empty", corpus_path=str(empty))
    with pytest.raises(ApplicationError, match="holds no passages"):
        corpus_index_build(index_id=build.pk)
    assert CorpusIndex.objects.get(pk=build.pk).status == "failed"
    CorpusIndex.objects.filter(pk=build.pk).update(status="ready", total=0, finished_at=timezone.now())
    task = research_tasks()[0]
    session = research_task_claim(campaign=task.campaign, worker=UserFactory()).session
    with pytest.raises(Unavailable, match="holds no passages"):
        research_query_run(session=session, query="anything")
    page = _client(session.worker).post(reverse("frontend:research_query", args=[session.pk]), {"query": "x"}, **HX)
    assert page.status_code == 503 and "holds no passages" in page.content.decode()
