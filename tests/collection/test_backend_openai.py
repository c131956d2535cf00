"""The `openai` backend against a real OpenAI-compatible HTTP server on loopback (no mocks)."""

import time

import pytest

from collection.backends import BackendError, Utterance, backend_for
from collection.backends.openai_compat import OpenAICompatBackend
from collection.models import ModelEndpoint
from tests.collection.openai_server import OpenAIStubServer, refused_base_url

DIALOG = [Utterance("human", "hi"), Utterance("model", "hello!"), Utterance("human", "how are you?")]


@pytest.fixture
def server():
    with OpenAIStubServer() as srv:
        yield srv


def make(base_url: str, **kw) -> OpenAICompatBackend:
    kw.setdefault("timeout_seconds", 2.0)
    kw.setdefault("max_retries", 2)
    return OpenAICompatBackend(base_url=base_url, model="my-model", backoff_seconds=0.01, **kw)


def test_posts_dialog_as_alternating_messages_and_records_model_version(server):
    backend = make(server.base_url, sampling={"temperature": 0.8, "top_p": 0.9, "max_tokens": 50, "top_k": 3})
    reply = backend.generate(DIALOG)
    assert reply.text == "echo: how are you?"
    req = server.requests[0]
    assert req["path"] == "/v1/chat/completions"
    assert req["body"]["model"] == "my-model"
    assert [m["role"] for m in req["body"]["messages"]] == ["user", "assistant", "user"]
    assert [m["content"] for m in req["body"]["messages"]] == ["hi", "hello!", "how are you?"]
    assert (req["body"]["temperature"], req["body"]["top_p"], req["body"]["max_tokens"]) == (0.8, 0.9, 50)
    assert "top_k" not in req["body"], "non-standard keys go through extra_body only"
    assert reply.model_id == "my-model"
    assert reply.model_version == "stub-model-2024-01+fp_abc123"
    assert reply.sampling == {"temperature": 0.8, "top_p": 0.9, "max_tokens": 50}
    assert reply.latency_ms >= 0


def test_system_prompt_extra_body_and_api_key(server, monkeypatch):
    monkeypatch.setenv("TEST_MODEL_KEY", "sk-test")
    endpoint = ModelEndpoint(
        name="e",
        backend="openai",
        base_url=server.base_url + "/",
        model_name="m",
        api_key_env="TEST_MODEL_KEY",
        sampling={"system_prompt": "Be brief.", "extra_body": {"top_k": 5}},
    )
    reply = backend_for(endpoint).generate(DIALOG[:1])
    req = server.requests[0]
    assert req["auth"] == "Bearer sk-test"
    assert req["body"]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert req["body"]["top_k"] == 5
    assert reply.sampling["system_prompt"] == "Be brief."


def test_missing_api_key_env_is_a_config_error():
    endpoint = ModelEndpoint(name="e", backend="openai", base_url="http://x/v1", api_key_env="NO_SUCH_KEY_VAR_XYZ")
    with pytest.raises(BackendError, match="NO_SUCH_KEY_VAR_XYZ") as info:
        backend_for(endpoint)
    assert info.value.kind == "config"


def test_version_without_fingerprint():
    with OpenAIStubServer(served_model="llama-3", fingerprint=None) as srv:
        assert make(srv.base_url).generate(DIALOG).model_version == "llama-3"


def test_retries_5xx_then_succeeds(server):
    server.script = ["500", "500"]
    reply = make(server.base_url, max_retries=2).generate(DIALOG)
    assert reply.text == "echo: how are you?"
    assert len(server.requests) == 3


def test_persistent_5xx_gives_clear_error_after_all_attempts(server):
    server.default = "500"
    with pytest.raises(BackendError) as info:
        make(server.base_url, max_retries=2).generate(DIALOG)
    assert len(server.requests) == 3
    assert info.value.kind == "unavailable" and info.value.http_status == 503
    assert "HTTP 500" in info.value.message and "tried 3 times" in info.value.message


def test_slow_server_times_out_without_retry(server):
    server.default = "slow"
    server.slow_seconds = 2.0
    started = time.monotonic()
    with pytest.raises(BackendError) as info:
        make(server.base_url, timeout_seconds=0.3, max_retries=2).generate(DIALOG)
    assert time.monotonic() - started < 1.5
    assert len(server.requests) == 1, "a read timeout is not retried"
    assert info.value.kind == "timeout" and info.value.http_status == 503
    assert "did not answer within 0.3 s" in info.value.message


def test_down_server_connection_refused():
    url = refused_base_url()
    with pytest.raises(BackendError) as info:
        make(url, max_retries=1).generate(DIALOG)
    assert info.value.http_status == 503
    assert "could not be reached" in info.value.message and url in info.value.message
    assert "tried 2 times" in info.value.message


@pytest.mark.parametrize(
    ("mode", "words"),
    [("400", "rejected the request with HTTP 400"), ("badjson", "not JSON"), ("empty", "empty reply")],
)
def test_unusable_answers_are_bad_response(server, mode, words):
    server.default = mode
    with pytest.raises(BackendError, match=words) as info:
        make(server.base_url).generate(DIALOG)
    assert info.value.http_status == 502
    assert len(server.requests) == 1, "4xx and unusable answers are not retried"


def test_endpoint_check_command_against_a_real_server(server, db, capsys):
    from django.core.management import CommandError, call_command

    from tests.collection.factories import ModelEndpointFactory

    ModelEndpointFactory(name="stub", base_url=server.base_url)
    call_command("chat_endpoint_check", "stub", "--message", "ping")
    out = capsys.readouterr().out
    assert "version=stub-model-2024-01+fp_abc123" in out and "reply: echo: ping" in out
    server.default = "500"
    with pytest.raises(CommandError, match="answered HTTP 500"):
        call_command("chat_endpoint_check", "stub")
    with pytest.raises(CommandError, match="no model endpoint named 'nope'"):
        call_command("chat_endpoint_check", "nope")
