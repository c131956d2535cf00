import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recruitment.models import Invitation

pytestmark = pytest.mark.django_db


def _sign_up(token, username="rater-anna", password="a-long-pass-phrase"):
    url = reverse("frontend:invitation", args=[token])
    return Client().post(url, {"username": username, "password1": password, "password2": password})


def test_an_invitation_signs_up_an_in_house_rater_once():
    invitation = Invitation.objects.create(note="Anna")
    assert Client().get(reverse("frontend:invitation", args=[invitation.token])).status_code == 200
    r = _sign_up(invitation.token)
    assert r.status_code == 302 and r["Location"] == reverse("frontend:tasks")
    assert get_user_model().objects.get(username="rater-anna").check_password("a-long-pass-phrase")
    again = _sign_up(invitation.token, username="rater-bob")
    assert again.status_code == 410 and "already used" in again.content.decode()


def test_bad_tokens_and_expired_invitations_get_a_clear_page():
    r = Client().get(reverse("frontend:invitation", args=["forged-token"]))
    assert r.status_code == 404 and "not valid" in r.content.decode()
    old = Invitation.objects.create(expires_at=timezone.now() - timezone.timedelta(days=1))
    r = Client().get(reverse("frontend:invitation", args=[old.token]))
    assert r.status_code == 410 and "expired" in r.content.decode()


def test_a_bad_sign_up_says_why_and_uses_nothing(user_factory):
    invitation = Invitation.objects.create()
    user_factory(username="taken")
    r = _sign_up(invitation.token, username="taken")
    assert r.status_code == 400 and "already exists" in r.content.decode()
    for reserved in ("prolific-x", "Prolific-XYZ", "PANEL-7"):  # in any case
        r = _sign_up(invitation.token, username=reserved)
        assert r.status_code == 400 and "kept for panel workers" in r.content.decode(), reserved
    invitation.refresh_from_db()
    assert invitation.uses == 0
