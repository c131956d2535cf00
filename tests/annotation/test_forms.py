"""Rating forms as data: checked answers, versions that never change once published, new versions for changes, and
every item and verdict keeping the version it was answered on."""

import pytest
from django.test import Client
from django.urls import reverse

from annotation.forms import form_for_campaign, form_spec, version_problems
from annotation.models import Aggregate, FormVersion, Question, RatingItem
from annotation.services.assignment import assignment_claim
from annotation.services.labels import label_submit
from tests.annotation.factories import completed_session, form_version, rating_items
from tests.collection.factories import SafetyCampaignFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _action(client, action: str, version: FormVersion):
    url = reverse("admin:annotation_formversion_changelist")
    return client.post(url, {"action": action, "_selected_action": [version.pk]}, follow=True)


def test_the_shipped_forms_are_published_data():
    quality, safety = form_spec(form_version("quality-ssi").pk), form_spec(form_version("safety").pk)
    assert quality.keys == ("sensible", "specific", "interesting") and quality.rule == "quality-majority"
    assert quality.questions[1].asked_if == ("sensible", "yes")
    assert safety.keys == ("harm", "bias", "misinformation") and all(q.details for q in safety.questions)


def test_a_published_version_is_shown_read_only(admin_client):
    version = form_version("safety")
    page = admin_client.get(reverse("admin:annotation_formversion_change", args=[version.pk])).content.decode()
    assert 'name="questions-0-title"' not in page and "financial advice" in page


def test_a_change_is_a_new_version_and_new_items_use_it_once_published(
    admin_client, django_capture_on_commit_callbacks
):
    campaign = SafetyCampaignFactory()
    old_items = rating_items(session=completed_session(campaign=campaign, turns=10))
    v1 = form_version("safety")
    page = _action(admin_client, "copy_to_new_version", v1).content.decode()
    v2 = FormVersion.objects.get(form=v1.form, number=2)
    assert "is a new draft" in page and v2.published_at is None
    assert list(v2.questions.values_list("key", flat=True)) == ["harm", "bias", "misinformation"]
    draft_page = admin_client.get(reverse("admin:annotation_formversion_change", args=[v2.pk])).content.decode()
    assert 'name="questions-0-title"' in draft_page  # a draft is editable
    Question.objects.filter(version=v2, key="misinformation").delete()  # the admin drops an objective in the draft
    Question.objects.create(version=v2, position=5, key="privacy", title="Does it reveal private information?")
    assert form_for_campaign(campaign) == v1  # not published yet: new items still get v1
    _action(admin_client, "publish", v2)
    v2.refresh_from_db()
    assert v2.published_at is not None and form_for_campaign(campaign) == v2
    new_items = rating_items(session=completed_session(campaign=campaign, turns=10))
    assert {i.form_version_id for i in old_items} == {v1.pk} and {i.form_version_id for i in new_items} == {v2.pk}

    def rate(item, answers):
        for _ in range(3):
            rater = UserFactory()
            assert assignment_claim(rater_id=rater.pk, campaign_id=campaign.pk).lease.item_id == item.pk
            with django_capture_on_commit_callbacks(execute=True):
                label_submit(rater_id=rater.pk, item_id=item.pk, answers=answers)

    rate(old_items[0], {"harm": "no", "bias": "no", "misinformation": "no"})  # answered on v1
    RatingItem.objects.filter(pk__in=[i.pk for i in old_items[1:]]).update(status="complete", label_count=3)
    rate(new_items[0], {"harm": "no", "bias": "no", "privacy": "yes"})  # answered on v2
    old = {v.attribute: (v.positive, v.form_version_id) for v in Aggregate.objects.filter(item=old_items[0])}
    new = {v.attribute: (v.positive, v.form_version_id) for v in Aggregate.objects.filter(item=new_items[0])}
    assert old == {
        "harm": (False, v1.pk),
        "bias": (False, v1.pk),
        "misinformation": (False, v1.pk),
        "safe": (True, v1.pk),
    }
    assert new == {"harm": (False, v2.pk), "bias": (False, v2.pk), "privacy": (True, v2.pk), "safe": (False, v2.pk)}


def test_a_version_whose_cascade_names_no_earlier_question_is_not_published(admin_client):
    v1 = form_version("quality-ssi")
    _action(admin_client, "copy_to_new_version", v1)
    v2 = FormVersion.objects.get(form=v1.form, number=2)
    Question.objects.filter(version=v2, key="specific").update(asked_if_key="interesting")
    assert version_problems(v2) == ["specific: is asked only after 'interesting', which is not an earlier question."]
    page = _action(admin_client, "publish", v2).content.decode()
    v2.refresh_from_db()
    assert "not published" in page and v2.published_at is None


def test_a_published_version_cannot_be_deleted(admin_client):
    version = form_version("quality-ssi")
    r = admin_client.post(reverse("admin:annotation_formversion_delete", args=[version.pk]), {"post": "yes"})
    assert r.status_code == 403 and FormVersion.objects.filter(pk=version.pk).exists()


def test_posting_changes_to_a_published_version_changes_nothing(admin_client):
    version = form_version("safety")
    question = version.questions.get(key="harm")
    url = reverse("admin:annotation_formversion_change", args=[version.pk])
    data = {
        "questions-TOTAL_FORMS": "1", "questions-INITIAL_FORMS": "1", "questions-0-id": question.pk,
        "questions-0-version": version.pk, "questions-0-key": "harm", "questions-0-position": "0",
        "questions-0-title": "EDITED", "questions-0-choices": '[["yes", "Yes"]]', "questions-0-details": "[]",
    }  # fmt: skip
    admin_client.post(url, data)
    question.refresh_from_db()
    assert question.title == "Does the response risk harm?" and len(question.choices) == 3
    edit = admin_client.post(reverse("admin:annotation_question_change", args=[question.pk]), {"title": "EDITED"})
    assert edit.status_code == 403


def test_publishing_checks_what_the_rule_can_count(admin_client):
    v1 = form_version("safety")
    _action(admin_client, "copy_to_new_version", v1)
    v2 = FormVersion.objects.get(form=v1.form, number=2)
    Question.objects.filter(version=v2, key="bias").update(key="safe")
    Question.objects.filter(version=v2, key="harm").update(choices=[["yes", "Yes"], ["maybe", "Maybe"]])
    problems = version_problems(v2)
    assert "harm: needs the choice 'no' (an objective is met when enough raters say no)." in problems
    assert any(p.startswith("safe: is the name of the overall verdict") for p in problems)
    _action(admin_client, "publish", v2)
    v2.refresh_from_db()
    assert v2.published_at is None


def test_a_forms_rule_kind_and_slug_are_fixed_once_published(admin_client):
    form = form_version("safety").form
    url = reverse("admin:annotation_ratingform_change", args=[form.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="rule"' not in page and 'name="kind"' not in page and 'name="slug"' not in page
    admin_client.post(url, {"name": "Safety, renamed", "rule": "quality-majority", "kind": "quality", "slug": "x"})
    form.refresh_from_db()
    assert (form.name, form.rule, form.kind, form.slug) == (
        "Safety, renamed",
        "safety-all-objectives",
        "safety",
        "safety",
    )
    version = FormVersion.objects.create(form=form, number=9)
    page = admin_client.get(reverse("admin:annotation_formversion_change", args=[version.pk])).content.decode()
    assert 'name="form"' not in page and 'name="number"' not in page  # a draft stays with its form and number
