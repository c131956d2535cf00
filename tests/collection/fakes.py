"""An in-process backend for service, API and page tests that are not about backends (those use a real
server)."""

from __future__ import annotations

from collection.backends import BackendError, ChatBackend, Reply, Utterance


class FakeBackend(ChatBackend):
    """Replies "reply to: <last message>"; `fail_with` set to a BackendError makes the next calls raise it."""

    def __init__(self):
        self.calls: list[list[Utterance]] = []
        self.fail_with: BackendError | None = None

    def generate(self, dialog: list[Utterance]) -> Reply:
        self.calls.append(list(dialog))
        if self.fail_with is not None:
            raise self.fail_with
        return Reply(
            text=f"reply to: {dialog[-1].text}",
            model_id="fake-model",
            model_version="fake-v1",
            sampling={"temperature": 0.7, "top_k": 40},
            latency_ms=3,
        )
