"""The worker's day in real Chromium, at desktop and phone size: a chat sent with Enter without a reload, five
items rated with number keys only, the panel round trip, and axe-core on every worker page."""

import pytest
from django.urls import reverse

from annotation.models import Label
from collection.models import ChatSession
from recruitment.models import CampaignSettings, Invitation, PanelVisit
from tests.annotation.factories import rating_items
from tests.browser.worker_helpers import SIZES, login, no_reload_marker, same_document, serious_violations
from tests.collection.factories import CampaignFactory
from tests.factories import UserFactory
from tests.recruitment.factories import prolific_query

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_chat_sent_with_enter_without_a_reload(live_server, page, fake_backend, size):
    page.set_viewport_size(SIZES[size])
    campaign = CampaignFactory(min_turns=4, max_turns=10)
    UserFactory(username="chatter")
    login(page, live_server.url, "chatter")
    page.goto(f"{live_server.url}/chat/{campaign.slug}/")
    page.check("input[name=consent]")
    page.click("#consent button[type=submit]")
    page.wait_for_selector("#send textarea")
    no_reload_marker(page)
    box = page.locator("#send textarea")
    box.fill("first line")
    box.press("Shift+Enter")
    box.type("second line")
    assert box.input_value() == "first line\nsecond line"  # Shift+Enter: a new line, nothing sent
    box.press("Enter")
    page.wait_for_selector("#turn-counter strong:text-is('2')")
    assert same_document(page), "the page reloaded"
    assert "reply to: first line\nsecond line" in page.locator("#dialog .turn.model").last.inner_text()
    assert "reply to: first line" in page.locator("#chat-live").inner_text()  # read out by screen readers
    assert page.evaluate("document.activeElement.name") == "text" and box.input_value() == ""
    box.type("again")
    box.press("Enter")
    page.wait_for_selector("#turn-counter strong:text-is('4')")
    assert same_document(page)
    assert page.is_enabled("#finish button")
    page.click("#finish button")
    page.wait_for_url("**/done/")
    assert "4 turns kept" in page.inner_text("#state")
    assert page.dialogs == []


def test_a_stale_tab_keeps_its_message_in_the_box(live_server, page, fake_backend):
    campaign = CampaignFactory(min_turns=4, max_turns=10)
    UserFactory(username="chatter")
    login(page, live_server.url, "chatter")
    page.goto(f"{live_server.url}/chat/{campaign.slug}/")
    page.check("input[name=consent]")
    page.click("#consent button[type=submit]")
    page.wait_for_selector("#send textarea")
    other = page.context.new_page()  # a second tab sends first: this one is stale
    other.goto(page.url)
    other.fill("#send textarea", "from the other tab")
    other.press("#send textarea", "Enter")
    other.wait_for_selector("#turn-counter strong:text-is('2')")
    page.fill("#send textarea", "my long thought")
    page.press("#send textarea", "Enter")
    page.wait_for_selector("#send-error")
    assert "moved on" in page.inner_text("#send-error")
    assert page.input_value("#send textarea") == "my long thought"


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_five_items_rated_with_number_keys_only(live_server, page, size):
    page.set_viewport_size(SIZES[size])
    rating_items(turns=10, min_turns=4)  # five model replies
    UserFactory(username="rater")
    login(page, live_server.url, "rater")
    page.goto(f"{live_server.url}/rate/")
    answers = ["1", "1", "2"]  # sensible yes -> specific yes -> interesting no
    for n in range(5):
        page.wait_for_selector(f"#progress:has-text('{n} done today')")
        rated = page.locator("#rated-turn").bounding_box()
        assert rated["y"] + rated["height"] <= SIZES[size]["height"]  # on screen without scrolling
        page.keyboard.press("9")  # outside the choices: nothing chosen, a hint
        assert "from 1 to 3" in page.inner_text("#key-message")
        assert page.locator("#q-sensible input:checked").count() == 0
        for key in answers:
            page.keyboard.press(key)
        page.keyboard.press("Enter")
        page.wait_for_load_state()
    page.wait_for_selector("#no-work")
    labels = list(Label.objects.filter(rater__username="rater").values_list("answers", flat=True))
    assert labels == [{"sensible": "yes", "specific": "yes", "interesting": "no"}] * 5


def test_the_cascade_clears_hidden_answers(live_server, page):
    rating_items(turns=4, min_turns=4)
    UserFactory(username="rater")
    login(page, live_server.url, "rater")
    page.goto(f"{live_server.url}/rate/")
    page.check("#q-sensible input[value=yes]")
    page.check("#q-specific input[value=yes]")
    page.check("#q-sensible input[value=no]")
    assert page.is_hidden("#q-specific")
    page.check("#q-sensible input[value=yes]")
    assert page.is_visible("#q-specific") and page.locator("#q-specific input:checked").count() == 0


def test_long_context_scrolls_in_its_box_and_the_rated_reply_stays_on_screen_on_a_phone(live_server, page):
    page.set_viewport_size(SIZES["phone"])
    items = rating_items(turns=4, min_turns=4)
    items[0].session.turns.filter(index=0).update(text="a long message. " * 400)  # the first item's context
    UserFactory(username="rater")
    login(page, live_server.url, "rater")
    page.goto(f"{live_server.url}/rate/")
    page.wait_for_selector("#rate-form")
    scroll, height = page.evaluate(
        "(() => { const c = document.getElementById('rate-context'); return [c.scrollHeight, c.clientHeight]; })()"
    )
    assert scroll > 3 * height, "the context scrolls inside its own box"
    for selector in ("#rated-turn", "#q-sensible"):
        box = page.locator(selector).bounding_box()
        assert 0 <= box["y"] < SIZES["phone"]["height"], f"{selector} is off screen"


def test_the_panel_round_trip(live_server, page, fake_backend):
    campaign = CampaignFactory(min_turns=2, max_turns=6)
    CampaignSettings.objects.create(
        campaign=campaign,
        panel_enabled=True,
        completion_url=f"{live_server.url}/panel-finished/?cc={{code}}",
        completion_code="C0DE42",
    )
    query = "&".join(f"{k}={v}" for k, v in prolific_query().items())
    page.goto(f"{live_server.url}{reverse('frontend:panel_arrive', args=[campaign.slug])}?{query}")
    page.wait_for_selector("#consent")
    page.check("input[name=consent]")
    page.click("#consent button[type=submit]")
    page.fill("#send textarea", "hello from a panel")
    page.press("#send textarea", "Enter")
    page.wait_for_selector("#turn-counter strong:text-is('2')")
    page.click("#finish button")
    page.wait_for_selector("#completion-code")
    assert page.inner_text("#completion-code") == "C0DE42"
    page.click("#panel-return")
    page.wait_for_url("**/panel-finished/?cc=C0DE42")
    visit = PanelVisit.objects.get()
    assert visit.completed_at is not None and visit.chat_session == ChatSession.objects.get()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_no_serious_violation_on_any_worker_page(live_server, page, fake_backend, size):
    page.set_viewport_size(SIZES[size])
    base = live_server.url
    items = rating_items(turns=4, min_turns=4)
    safety = CampaignFactory(kind="safety", content_warning="Some replies may upset you.", min_turns=2)
    chat_campaign = CampaignFactory(min_turns=2, max_turns=6)
    invitation = Invitation.objects.create()
    UserFactory(username="worker")
    checked: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state()
        checked[name] = serious_violations(page)

    for name, url in [
        ("login", "/accounts/login/"),
        ("invitation", f"/invite/{invitation.token}/"),
        ("panel link refused", f"/panel/{chat_campaign.slug}/?PROLIFIC_PID=bad"),
    ]:
        page.goto(base + url)
        check(name)
    login(page, base, "worker")
    check("my tasks")
    page.goto(f"{base}/chat/{chat_campaign.slug}/")
    check("instructions and consent")
    page.check("input[name=consent]")
    page.click("#consent button[type=submit]")
    page.wait_for_selector("#send textarea")
    check("chat (empty)")
    page.fill("#send textarea", "hello")
    page.press("#send textarea", "Enter")
    page.wait_for_selector("#turn-counter strong:text-is('2')")
    check("chat")
    page.click("#finish button")
    page.wait_for_url("**/done/")
    check("chat finished")
    page.goto(f"{base}/rate/?campaign={items[0].campaign.slug}")
    page.wait_for_selector("#rate-form")
    check("rate")
    page.goto(f"{base}/rate/?campaign={safety.slug}")
    check("content warning")
    page.goto(f"{base}/me/about/")
    check("about you")
    assert {name: found for name, found in checked.items() if found} == {}
    assert len(checked) == 11


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_no_serious_violation_on_the_refusal_and_waiting_pages(live_server, page, monkeypatch, size):
    """The pages a worker meets when there is nothing to do or something is refused: no work, busy, the daily cap,
    a skip of an item that is not theirs, a panel completion asked for too early, no research task."""
    from annotation.models import Label as RatedLabel
    from annotation.services.assignment import ClaimBusy
    from tests.collection.factories import GroundednessCampaignFactory

    page.set_viewport_size(SIZES[size])
    base = live_server.url
    items = rating_items(turns=4, min_turns=4)
    capped = CampaignFactory(kind="safety", min_turns=2, daily_label_cap=1)
    panel_campaign = CampaignFactory(min_turns=2, max_turns=6)
    CampaignSettings.objects.create(
        campaign=panel_campaign, panel_enabled=True, completion_url="https://panel.example/done?cc={code}",
        completion_code="C0DE42",
    )  # fmt: skip
    research_campaign = GroundednessCampaignFactory()
    UserFactory(username="worker")
    checked: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state()
        checked[name] = serious_violations(page)

    login(page, base, "worker")
    page.goto(f"{base}/rate/?campaign={capped.slug}")
    check("no work")
    rated = rating_items(campaign=capped, turns=2)  # a label today in the capped campaign: the cap is reached
    RatedLabel.objects.create(item=rated[0], rater=page_user("worker"), answers={"harm": "no"})
    page.goto(f"{base}/rate/?campaign={capped.slug}")
    check("daily cap")
    page.goto(f"{base}/rate/?campaign={items[0].campaign.slug}")
    page.wait_for_selector("#rate-form")
    page.evaluate(
        "(action) => { document.getElementById('skip-form').action = action; }",
        reverse("frontend:rate_skip", args=[rated[0].pk]),
    )
    page.click("#skip-form button[type=submit]")
    check("skip refused")
    monkeypatch.setattr("frontend.views.rate.assignment_claim", lambda **kw: (_ for _ in ()).throw(ClaimBusy()))
    page.goto(f"{base}/rate/")
    check("busy")
    no_reload_marker(page)
    page.wait_for_function("window.__sameDocument !== true", timeout=5000)  # it tried again by itself
    page.click("text=Log out")
    query = "&".join(f"{k}={v}" for k, v in prolific_query().items())
    page.goto(f"{base}{reverse('frontend:panel_arrive', args=[panel_campaign.slug])}?{query}")
    page.wait_for_selector("#consent")
    page.goto(f"{base}{reverse('frontend:panel_complete', args=[PanelVisit.objects.get().pk])}")
    check("panel not done yet")
    login(page, base, "worker")
    page.goto(f"{base}/research/?campaign={research_campaign.slug}")
    assert page.locator("#no-research").count() == 1
    check("no research task")
    assert {name: found for name, found in checked.items() if found} == {}
    assert len(checked) == 6


def page_user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)
