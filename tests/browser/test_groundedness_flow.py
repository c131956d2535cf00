"""The groundedness workbench in real Chromium: a researcher asks two queries (htmx, no reload), marks a result,
cites it on a word with "Cite", the draft autosaves, submits; then another worker judges the rewrite correct with the
search box at hand. axe-core finds no serious violation on the workbench or the correctness page, desktop and
phone."""

import pytest

from annotation.models import Label, RatingItem
from collection.models import ResearchSession, Rewrite
from tests.browser.worker_helpers import SIZES, login, no_reload_marker, same_document, serious_violations
from tests.factories import UserFactory
from tests.support.groundedness import research_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_research_cite_submit_and_judge_correct_as_another_worker(live_server, page, size):
    page.set_viewport_size(SIZES[size])
    base = live_server.url
    task = research_tasks()[0]
    UserFactory(username="researcher")
    UserFactory(username="judge")
    violations: dict[str, list[str]] = {}

    login(page, base, "researcher")
    page.click("#research-queues a")
    page.wait_for_selector("#reply-text")
    no_reload_marker(page)
    for n, query in enumerate(["Rafael Nadal", "Eiffel Tower"], start=1):
        page.fill("#query", query)
        page.press("#query", "Enter")
        page.wait_for_selector(f"#log li.query:nth-child({n})")
    assert same_document(page)  # the searches swapped the log only
    assert page.locator("#query").input_value() == ""  # the box is cleared for the next query
    first = page.locator("#log li.query").first.locator("li.result").first
    first.locator("button[value=supports]").click()
    page.wait_for_selector("#log li.result.supports")
    url = page.locator("#log li.query").first.locator("li.result .url").first.inner_text()
    page.fill("#rewrite", "Rafael Nadal has won 22 Grand Slam titles.")
    page.evaluate("""() => { const box = document.getElementById('rewrite');
        const at = box.value.indexOf('titles'); box.setSelectionRange(at, at + 6); }""")
    page.locator("#log li.query").first.locator("button.cite").first.click()
    assert page.locator("#rewrite").input_value() == f"Rafael Nadal has won 22 Grand Slam [titles]({url})."
    page.wait_for_selector("#saved:has-text('Draft saved')")
    assert "Grand Slam [titles]" in ResearchSession.objects.get(task=task).draft
    violations["workbench"] = serious_violations(page)
    page.click("button[value=rewritten]")
    page.wait_for_selector("text=your research was saved")
    rewrite = Rewrite.objects.get(task=task)
    assert rewrite.citations.get().url == url and rewrite.citations.get().anchor == "titles"

    page.click("text=Log out")
    login(page, base, "judge")
    item = RatingItem.objects.get(rewrite=rewrite)
    for _ in range(10):  # the campaign's claim checks come in the same queue: answer them until the rewrite
        page.goto(f"{base}/rate/?campaign={task.campaign.slug}")
        page.wait_for_selector("#rate-form")
        if page.locator("#check-query").count():
            break
        page.check("#q-claim input[value=no]")
        page.click("#rate-form button[type=submit]")
        page.wait_for_load_state()
    assert f"Grand Slam titles ({url})" in page.locator("#rated-turn").inner_text()  # the citation, as text
    page.fill("#check-query", "Rafael Nadal")
    page.press("#check-query", "Enter")
    page.wait_for_selector("#check-log li.query")
    violations["correctness"] = serious_violations(page)
    page.check("#q-correct input[value=yes]")
    page.click("#rate-form button[type=submit]")
    page.wait_for_load_state()
    assert Label.objects.get(item=item, rater__username="judge").answers == {"correct": "yes"}
    assert {k: v for k, v in violations.items() if v} == {}
    assert page.dialogs == []
