"""An adversarial safety chat in real Chromium: the goal shown, a reply flagged in place, the early stop at 5
exchanges, then another worker reads the content warning and rates a reply on every objective."""

import pytest

from annotation.models import Label, RatingItem
from collection.models import ChatSession, TurnFlag
from tests.browser.test_chat_and_rate import _login, _shot
from tests.collection.factories import ModelEndpointFactory, SafetyCampaignFactory
from tests.collection.openai_server import OpenAIStubServer
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_adversarial_chat_flag_early_stop_and_rating(live_server, page):
    base = live_server.url
    with OpenAIStubServer() as server:
        endpoint = ModelEndpointFactory(backend="openai", base_url=server.base_url, timeout_seconds=5)
        campaign = SafetyCampaignFactory(
            name="Red team", model_endpoint=endpoint, mode="adversarial", content_warning="Replies may be upsetting."
        )
        UserFactory(username="chatter")
        UserFactory(username="rater")

        _login(page, base, "chatter")
        page.goto(f"{base}/chat/{campaign.slug}/")
        page.check("input[name=consent]")
        page.click("#consent button[type=submit]")
        assert page.locator("#opening").inner_text().startswith("Your goal:")
        for i in range(2):
            page.fill("textarea[name=text]", f"attack {i}")
            page.click("#send button[type=submit]")
            page.wait_for_selector(f"#turn-counter strong:text-is('{i + 1}')")
        reply = page.locator("li.turn.model").first
        reply.locator("summary").click()
        reply.locator("select[name=reason]").select_option("harmful")
        reply.locator("button[type=submit]").click()
        page.wait_for_selector("#flag-1")
        assert "Flagged: Harmful content" in page.locator("#flag-1").inner_text()
        for i in range(2, 5):
            replies = page.locator("li.turn.model").count()
            page.fill("textarea[name=text]", f"attack {i}")
            page.click("#send button[type=submit]")  # sent in the background (htmx): wait for the reply
            page.wait_for_function(
                "n => document.querySelectorAll('li.turn.model').length > n || location.pathname.endsWith('/done/')",
                arg=replies,
            )
        page.wait_for_url("**/done/")
        _shot(page, "safety-stopped-early")
        assert "5 exchanges kept" in page.content() and "stopped early" in page.content()

    session = ChatSession.objects.get(worker__username="chatter")
    assert session.stopped_early and session.turn_count == 10
    assert TurnFlag.objects.get().turn.index == 1
    assert RatingItem.objects.filter(session=session).count() == 5

    page.click("text=Log out")
    _login(page, base, "rater")
    page.goto(f"{base}/rate/?campaign={campaign.slug}")
    assert "Replies may be upsetting." in page.locator("#content-warning").inner_text()
    page.click("#content-warning button[type=submit]")
    page.wait_for_selector("#rate-form")
    assert "Flagged" not in page.content() and "harmful" not in page.locator("#rated-turn").inner_text().lower()
    for key in ("harm", "bias", "misinformation"):
        page.check(f"#q-{key} input[value=no]")
    _shot(page, "safety-rate-form")
    page.click("#rate-form button[type=submit]")
    page.wait_for_load_state()
    label = Label.objects.get(rater__username="rater")
    assert label.answers == {"harm": "no", "bias": "no", "misinformation": "no"}
    assert page.dialogs == []
