"""Safety pages: the chat with its mode and flags, the rater's warning / skip / daily cap, the worker's
demographics page, and the results page with its hidden small groups."""

import html

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from annotation.models import Demographics, Label, RatingItem
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit
from collection.models import ChatSession, TurnFlag
from tests.annotation.factories import completed_session, rating_items
from tests.collection.factories import SafetyCampaignFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SAFE = {"harm": "no", "bias": "no", "misinformation": "no"}


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _client(user=None) -> Client:
    client = Client()
    client.force_login(user or UserFactory())
    return client


def _chat(client, campaign, messages=1) -> ChatSession:
    assert client.post(reverse("frontend:campaign_start", args=[campaign.slug]), {"consent": "yes"}).status_code == 302
    session = ChatSession.objects.get(campaign=campaign, status="active")
    for i in range(messages):
        url = reverse("frontend:chat_send", args=[session.pk])
        client.post(url, {"text": f"message {i}", "expected_turn_count": str(2 * i), "client_message_id": f"m{i}"})
    return session


def test_an_adversarial_chat_shows_its_goal_exchanges_and_flag_forms(fake_backend):
    client = _client()
    session = _chat(client, SafetyCampaignFactory(mode="adversarial"), messages=2)
    page = client.get(reverse("frontend:chat", args=[session.pk])).content.decode()
    assert 'id="opening"' in page and "Your goal:</strong> try to get the model" in page
    assert page.count("Your goal") == 1
    assert "<strong>2</strong> of 5–10 exchanges" in page and "the chat ends at 5" in page
    assert page.count('class="flag-form"') == 2  # one per model reply


def test_flagging_in_place_and_a_bad_flag_keeps_the_draft(fake_backend):
    client = _client()
    session = _chat(client, SafetyCampaignFactory(), messages=1)
    url = reverse("frontend:chat_flag", args=[session.pk, 1])
    r = client.post(url, {"reason": "other", "note": ""}, follow=True)
    assert r.redirect_chain[-1][0] == reverse("frontend:chat", args=[session.pk])  # PRG: reload sends nothing
    assert "'other' needs a note" in _text(r) and not TurnFlag.objects.exists()
    r = client.post(url, {"reason": "other", "note": "it mocked me"}, follow=True)
    assert "Flagged: Other (it mocked me)" in r.content.decode()
    bad = client.post(reverse("frontend:chat_flag", args=[session.pk, 0]), {"reason": "harmful"}, follow=True)
    assert "Only the model's replies" in _text(bad)
    htmx = client.post(
        reverse("frontend:chat_flag", args=[session.pk, 0]), {"reason": "harmful"}, HTTP_HX_REQUEST="true"
    )
    assert htmx.status_code == 400 and "Only the model's replies" in _text(htmx)


def test_quality_chats_show_no_flag_forms(fake_backend):
    from tests.collection.factories import CampaignFactory

    client = _client()
    session = _chat(client, CampaignFactory(), messages=1)
    assert 'class="flag-form"' not in client.get(reverse("frontend:chat", args=[session.pk])).content.decode()


def test_the_rater_reads_the_warning_once_can_skip_and_stops_at_the_cap():
    campaign = SafetyCampaignFactory(content_warning="Replies may be upsetting.", daily_label_cap=1)
    rating_items(session=completed_session(campaign=campaign, turns=10))
    rater = UserFactory()
    client = _client(rater)
    rate = f"{reverse('frontend:rate')}?campaign={campaign.slug}"
    page = client.get(rate).content.decode()
    assert "Replies may be upsetting." in page and 'id="content-warning"' in page
    assert client.post(reverse("frontend:rate_warning_read", args=[campaign.slug])).status_code == 302
    page = client.get(rate).content.decode()
    first = assignment_claim(rater_id=rater.pk).lease.item_id
    assert 'id="skip-form"' in page and "What counts" in page  # the objectives' sub-items as help
    client.post(reverse("frontend:rate_skip", args=[first]), {"campaign": campaign.slug})
    second = assignment_claim(rater_id=rater.pk).lease.item_id
    assert second != first
    label_submit(rater_id=rater.pk, item_id=second, answers=SAFE)
    capped = client.get(rate)
    assert capped.status_code == 429 and "daily limit" in capped.content.decode() and capped["Retry-After"]


def test_the_rate_page_posts_any_form():
    campaign = SafetyCampaignFactory()
    rating_items(session=completed_session(campaign=campaign, turns=10))
    rater = UserFactory()
    client = _client(rater)
    client.get(reverse("frontend:rate"))
    item_id = assignment_claim(rater_id=rater.pk).lease.item_id
    r = client.post(reverse("frontend:rate_submit", args=[item_id]), {"harm": "yes", "bias": "no"})
    assert r.status_code == 400 and "misinformation: an answer is required" in _text(r)
    assert 'value="yes" checked' in r.content.decode()  # the answers given are kept on the page
    r = client.post(reverse("frontend:rate_submit", args=[item_id]), {**SAFE, "harm": "maybe"})
    assert r.status_code == 302 and Label.objects.get().answers == {**SAFE, "harm": "maybe"}


def test_demographics_are_asked_once_editable_deletable_and_checked():
    worker = UserFactory()
    client = _client(worker)
    assert 'id="demographics-ask"' in client.get(reverse("frontend:tasks")).content.decode()
    bad = client.post(reverse("frontend:demographics"), {"gender": "robot"})
    assert bad.status_code == 400 and "'robot' is not one of" in _text(bad)
    assert not Demographics.objects.exists()
    client.post(reverse("frontend:demographics"), {"age_band": "25-34", "gender": "prefer_not"})
    stored = Demographics.objects.get(rater=worker)
    assert (stored.age_band, stored.gender, stored.ethnicity) == ("25-34", "prefer_not", "")
    assert 'id="demographics-ask"' not in client.get(reverse("frontend:tasks")).content.decode()
    client.post(reverse("frontend:demographics_forget"))
    stored.refresh_from_db()
    assert not stored.answered()  # every answer gone, and not asked again
    assert 'id="demographics-ask"' not in client.get(reverse("frontend:tasks")).content.decode()
    other = _client()
    other.post(reverse("frontend:demographics_no_thanks"))
    assert 'id="demographics-ask"' not in other.get(reverse("frontend:tasks")).content.decode()


def _rated_campaign(ages: list[str], django_capture_on_commit_callbacks, genders: list[str] | None = None):
    """One rater per reply, each with the given demographics."""
    campaign = SafetyCampaignFactory(raters_per_item=1, positive_threshold=1)
    rating_items(session=completed_session(campaign=campaign, turns=2 * len(ages)))
    for n, age in enumerate(ages):
        rater = UserFactory()
        Demographics.objects.create(rater=rater, age_band=age, gender=(genders or [""] * len(ages))[n])
        item_id = assignment_claim(rater_id=rater.pk).lease.item_id
        with django_capture_on_commit_callbacks(execute=True):
            label_submit(rater_id=rater.pk, item_id=item_id, answers={**SAFE, "harm": "yes" if n % 2 else "no"})
    return campaign


def _row(page: str, answer: str) -> str:
    return page.split(f"<td>{answer}</td>")[1].split("</tr>")[0]


def test_results_page_hides_small_groups_and_needs_the_permission(settings, django_capture_on_commit_callbacks):
    settings.LAMDA_DEMOGRAPHIC_MIN_GROUP = 5
    ages = ["25-34"] * 6 + ["35-44"] * 5 + ["65+"] * 4
    campaign = _rated_campaign(ages, django_capture_on_commit_callbacks)
    url = reverse("frontend:campaign_stats", args=[campaign.slug])
    staff = UserFactory(is_staff=True)
    page = _client(staff).get(url).content.decode()
    assert "Safety so far" in page and 'id="groups"' not in page  # staff without the permission: no breakdown
    staff.user_permissions.add(Permission.objects.get(codename="view_demographics"))
    page = _client(staff).get(url).content.decode()
    assert "<td>6</td>" in _row(page, "25-34")
    # 65+ has 4 raters: hidden; 35-44 (5) is hidden with it, else 65+ = all - 25-34 - 35-44 could be worked out
    assert "hidden" in _row(page, "65 or older") and "hidden" in _row(page, "35-44")
    assert RatingItem.objects.filter(campaign=campaign, aggregated_at__isnull=False).count() == 15
    assert 'id="per-mode"' in page and "natural" in page and 'id="flags"' in page


def test_a_hidden_group_cannot_be_worked_out_from_another_question(settings, django_capture_on_commit_callbacks):
    """The review's attack: 5 women and 1 man, all 25-34. Had "Woman" been shown, 25-34 minus Woman = the man."""
    settings.LAMDA_DEMOGRAPHIC_MIN_GROUP = 5
    campaign = _rated_campaign(["25-34"] * 6, django_capture_on_commit_callbacks, genders=["woman"] * 5 + ["man"])
    admin = UserFactory(is_staff=True, is_superuser=True)
    page = _client(admin).get(reverse("frontend:campaign_stats", args=[campaign.slug])).content.decode()
    assert "hidden" in _row(page, "Woman") and "hidden" in _row(page, "Man")
    assert "<td>6</td>" in _row(page, "25-34")


@pytest.mark.parametrize(
    ("groups", "unanswered", "shown"),
    [
        ([("a", 6, 0, 0), ("b", 5, 0, 0)], 0, {"a", "b"}),
        ([("a", 6, 0, 0), ("b", 5, 0, 0), ("c", 4, 0, 0)], 0, {"a"}),
        ([("a", 9, 0, 0), ("b", 1, 0, 0)], 0, set()),
        ([("a", 9, 0, 0)], 2, set()),  # the 2 who did not answer are the rest of the total
        ([("a", 9, 0, 0)], 5, {"a"}),
    ],
)
def test_complementary_suppression(groups, unanswered, shown):
    from annotation.safety_stats import _suppress

    assert _suppress(groups, unanswered=unanswered, k=5) == shown
