"""A crowdworker chats to the minimum in real Chromium, finishes, and another user rates a model reply."""

import os

import pytest

from annotation.models import Label, RatingItem
from tests.collection.factories import CampaignFactory, ModelEndpointFactory
from tests.collection.openai_server import OpenAIStubServer
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCRIPT = "<script>alert(1)</script>"


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('My tasks')")


def _shot(page, name: str) -> None:
    folder = os.environ.get("LAMDA_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_chat_to_minimum_finish_and_rate_as_another_user(live_server, page):
    base = live_server.url
    with OpenAIStubServer() as server:
        endpoint = ModelEndpointFactory(backend="openai", base_url=server.base_url, timeout_seconds=5)
        campaign = CampaignFactory(name="Browser campaign", model_endpoint=endpoint, min_turns=14, max_turns=30)
        UserFactory(username="chatter")
        UserFactory(username="rater")

        _login(page, base, "chatter")
        page.click(f"a[href='/chat/{campaign.slug}/']")
        page.check("input[name=consent]")
        page.click("#consent button[type=submit]")
        assert page.is_disabled("#finish button")  # not before the minimum

        messages = [SCRIPT] + [f"Tell me more, part {i}" for i in range(1, 7)]
        for i, text in enumerate(messages):
            page.fill("textarea[name=text]", text)
            page.click("#send button[type=submit]")
            page.wait_for_selector(f"#turn-counter strong:text-is('{2 * (i + 1)}')")
        _shot(page, "chat-at-minimum")
        assert page.locator(".turn.human").first.inner_text().endswith(SCRIPT)  # shown as text
        assert page.is_enabled("#finish button")
        page.click("#finish button")
        page.wait_for_url("**/done/")

    assert RatingItem.objects.filter(turn__session__worker__username="chatter").count() == 7
    page.click("text=Log out")
    _login(page, base, "rater")
    page.goto(f"{base}/rate/")
    page.wait_for_selector("#rate-form")
    assert page.is_hidden("#q-specific")  # the cascade: specific is asked only after sensible = yes
    page.check("#q-sensible input[value=yes]")
    page.check("#q-specific input[value=yes]")
    page.check("#q-interesting input[value=no]")
    _shot(page, "rate-form")
    page.click("#rate-form button[type=submit]")
    page.wait_for_load_state()
    label = Label.objects.get(rater__username="rater")
    assert label.answers == {"sensible": "yes", "specific": "yes", "interesting": "no"}
    assert page.dialogs == []  # no user text ever ran as script
