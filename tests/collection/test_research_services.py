"""Research services: settings-driven toolset, repeat counting, the index command feeding the platform."""

import json

import pytest
from django.core.management import CommandError, call_command

from collection.models import ResearchSession
from collection.services.research import research_query_run, research_session_create, research_toolset
from config.api_errors import ApplicationError

pytestmark = pytest.mark.django_db


def _corpus(tmp_path, rows):
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


ROWS = [
    {
        "url": "https://intranet.example/zorblax",
        "title": "Zorblax",
        "text": "The zorblax widget ships in 2031.",
    },
    {
        "url": "https://intranet.example/quandle",
        "title": "Quandle",
        "text": "A quandle is a musical instrument.",
    },
]


def test_index_command_builds_the_platform_index_and_queries_use_it(settings, tmp_path, worker, capsys):
    settings.LAMDA_TOOLSET_INDEX = tmp_path / "index"
    session = research_session_create(worker=worker)
    assert research_query_run(session=session, query="zorblax widget").results == []  # demo corpus for now
    call_command("toolset_index", str(_corpus(tmp_path, ROWS)), "--no-progress")
    assert "indexed 2 passages" in capsys.readouterr().out
    logged = research_query_run(session=session, query="when does the zorblax widget ship")
    assert [(r["title"], r["url"]) for r in logged.results] == [("Zorblax", "https://intranet.example/zorblax")]


def test_index_command_reports_the_bad_line(settings, tmp_path):
    settings.LAMDA_TOOLSET_INDEX = tmp_path / "index"
    with pytest.raises(CommandError, match=r"corpus.jsonl line 2: not valid JSON"):
        call_command("toolset_index", str(_corpus(tmp_path, [ROWS[0], "{oops"])), "--no-progress")
    with pytest.raises(CommandError, match="corpus file not found"):
        call_command("toolset_index", str(tmp_path / "nope.jsonl"))
    with pytest.raises(CommandError, match="LAMDA_TOOLSET_OPENSEARCH_URL"):
        call_command("toolset_index", str(_corpus(tmp_path, ROWS)), "--opensearch")


def test_translator_and_results_per_query_come_from_settings(settings, tmp_path):
    settings.LAMDA_TOOLSET_INDEX = tmp_path / "none"
    settings.LAMDA_TOOLSET_RESULTS_PER_QUERY = 1
    assert len(research_toolset().query("Grand Slam tennis titles")) == 1
    settings.LAMDA_TOOLSET_TRANSLATOR_URL = "http://127.0.0.1:9"  # LibreTranslate configured but down
    assert research_toolset().query("hello in French") == []
    settings.LAMDA_TOOLSET_TRANSLATOR_URL = ""
    assert research_toolset().query("hello in French") == ["Bonjour"]


def test_service_rejects_text_the_toolset_cannot_take(worker, settings, tmp_path):
    settings.LAMDA_TOOLSET_INDEX = tmp_path / "none"
    session = research_session_create(worker=worker)
    for bad in ["", "\x00\x00", "y" * 5000]:
        with pytest.raises(ApplicationError, match="1 to 1000 characters"):
            research_query_run(session=session, query=bad)
    assert ResearchSession.objects.get(pk=session.pk).queries.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(30)
def test_concurrent_asks_of_one_query_get_distinct_repeat_indexes(settings, tmp_path, worker):
    import threading

    from django.db import connection

    settings.LAMDA_TOOLSET_INDEX = tmp_path / "none"
    session = research_session_create(worker=worker)
    barrier, errors = threading.Barrier(4), []

    def ask():
        try:
            barrier.wait()
            research_query_run(session=session, query="Grand Slam tennis titles")
        except Exception as exc:  # surfaced by the assert below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(session.queries.values_list("repeat_index", flat=True)) == [0, 1, 2, 3]
