"""Bad input to the collection API and chat services: always a 4xx with a message, never a 500 (found by
schemathesis and hand fuzzing, see docs/http-hardening.md)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from collection.backends import BackendError, backend_for
from collection.models import Turn
from collection.services.chat import message_send
from config.api_errors import ApplicationError
from tests.collection.factories import ModelEndpointFactory

pytestmark = pytest.mark.django_db


def test_api_path_that_names_no_endpoint_is_a_json_404(worker_client):
    r = worker_client.get("/api/v1/collection/chat/sessions/not-a-number/")
    assert r.status_code == 404
    assert r["Content-Type"] == "application/json" and "No API endpoint" in r.json()["detail"]


def test_post_without_trailing_slash_says_where_the_endpoint_is_instead_of_redirecting(worker_client):
    r = worker_client.post("/api/v1/collection/research/sessions", {}, format="json")
    assert r.status_code == 404  # APPEND_SLASH would 301 and the client would re-send it as a body-less GET
    assert "/api/v1/collection/research/sessions/ (with the trailing slash)" in r.json()["detail"]


@pytest.mark.parametrize("body", ['["hi"]', '"hi"', "null", '{"text":', '{"text": {"a": 1}}'])
def test_message_body_that_is_not_an_object_of_text_is_a_400(worker_client, session, fake_backend, body):
    url = reverse("collection_api:chat-session-message", args=[session.pk])
    r = worker_client.generic("POST", url, body, content_type="application/json")
    assert r.status_code == 400 and r.json()
    assert not fake_backend.calls and not Turn.objects.exists()


def test_path_id_beyond_bigint_is_a_404(worker_client):
    url = reverse("collection_api:chat-session-message", args=[10**30])
    assert worker_client.post(url, {"text": "hi"}, format="json").status_code == 404


def test_service_refuses_a_client_message_id_holding_nul(session, worker, fake_backend):
    # the chat page passes the form's hidden field straight to the service: this was a DataError (500)
    with pytest.raises(ApplicationError, match="NUL") as exc:
        message_send(session_id=session.pk, worker=worker, text="hello", client_message_id="abc\x00")
    assert exc.value.status_code == 400
    assert not Turn.objects.exists() and not fake_backend.calls


def test_endpoint_admin_validation_refuses_sampling_that_is_not_an_object_or_holds_nul():
    with pytest.raises(ValidationError) as exc:
        ModelEndpointFactory.build(sampling=[1, 2]).full_clean()
    assert "sampling" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        ModelEndpointFactory.build(sampling={"system_prompt": "a\x00b"}).full_clean()
    assert "sampling" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        ModelEndpointFactory.build(timeout_seconds=-1).full_clean()
    assert "timeout_seconds" in exc.value.message_dict
    ModelEndpointFactory.build(sampling={"temperature": 0.7}, timeout_seconds=3).full_clean()


@pytest.mark.parametrize("change", [{"sampling": [1, 2]}, {"timeout_seconds": 0}])
def test_misconfigured_endpoint_is_a_config_backend_error_not_a_crash(change):
    endpoint = ModelEndpointFactory(**change)  # saved past the admin's validation (shell, fixture)
    with pytest.raises(BackendError) as exc:
        backend_for(endpoint)
    assert exc.value.kind == "config" and "misconfigured" in exc.value.message


def test_chat_with_a_misconfigured_endpoint_answers_503_and_keeps_the_message(worker_client, session):
    endpoint = session.campaign.model_endpoint
    endpoint.sampling = ["not", "an", "object"]
    endpoint.save()
    url = reverse("collection_api:chat-session-message", args=[session.pk])
    r = worker_client.post(url, {"text": "hello"}, format="json")
    assert r.status_code == 503 and "misconfigured" not in r.json()["detail"]  # the worker gets a plain sentence
    assert list(Turn.objects.values_list("text", flat=True)) == ["hello"]
    assert "misconfigured" in Turn.objects.get().reply_error  # the admin gets the detail


def test_mistyped_api_path_is_a_json_404_even_with_a_newline_or_a_session_post(worker):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(worker)
    r = browser.get("/api/v1/annotation/campaigns/a%0Ab/stats/")  # the slug converter refuses the newline
    assert r.status_code == 404 and r["Content-Type"] == "application/json"
    r = browser.post("/api/v1/collection/chat/sessions/null,null/messages/", {"text": "hi"})
    assert r.status_code == 404 and r["Content-Type"] == "application/json"  # was Django's HTML CSRF 403
