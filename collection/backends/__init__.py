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
    """The backend configured on `endpoint` (raises BackendError(kind="config") for an unknown kind)."""
    if endpoint.backend == "openai":
        from collection.backends.openai_compat import OpenAICompatBackend

        return OpenAICompatBackend.from_endpoint(endpoint)
    if endpoint.backend == "local":
        from collection.backends.local import LocalBackend

        return LocalBackend.from_endpoint(endpoint)
    raise BackendError(
        f"model endpoint {endpoint.name!r} has unknown backend {endpoint.backend!r}", kind="config"
    )
