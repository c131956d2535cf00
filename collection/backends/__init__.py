"""Model backends behind one interface (base.ChatBackend): `openai` for any OpenAI-compatible chat-completions
server, `local` for a checkpoint exported by the trainer. `backend_for(endpoint)` picks one for a
ModelEndpoint row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from collection.backends.base import BackendError, ChatBackend, Reply, Utterance

if TYPE_CHECKING:
    from collection.models import ModelEndpoint

__all__ = ["BackendError", "ChatBackend", "Reply", "Utterance", "backend_for"]


def backend_for(endpoint: ModelEndpoint) -> ChatBackend:
    """The backend configured on `endpoint` (raises BackendError(kind="config") for an unknown kind, or for a
    sampling / timeout setting no backend can use: the worker then gets a 503 and keeps their message)."""
    from collection.models.campaign import endpoint_config_problem

    problem = endpoint_config_problem(sampling=endpoint.sampling, timeout_seconds=endpoint.timeout_seconds)
    if problem:
        raise BackendError(f"model endpoint {endpoint.name!r} is misconfigured: {problem[1]}", kind="config")
    if endpoint.backend == "openai":
        from collection.backends.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend.from_endpoint(endpoint)
    if endpoint.backend == "local":
        from collection.backends.local import LocalBackend

        return LocalBackend.from_endpoint(endpoint)
    raise BackendError(f"model endpoint {endpoint.name!r} has unknown backend {endpoint.backend!r}", kind="config")
