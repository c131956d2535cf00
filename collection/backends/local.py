"""`local` backend: a checkpoint exported by the trainer, run in this process with
`training.inference.ChatModel`.

Loaded models are cached per resolved export path for the life of the process (loading is the slow part), and
one lock per model serializes generation (CPU-bound anyway; keeps the model's caches single-threaded). An
export folder that does not exist is a config error that names the path and the command that creates it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from collection.backends.base import BackendError, ChatBackend, Reply, Utterance

TRAIN_HINT = "python -m training.train --preset tiny --out var/checkpoints/tiny"
RESPOND_KEYS = ("top_k", "temperature", "max_new_tokens", "seed")

_cache: dict[Path, tuple[object, threading.Lock]] = {}
_cache_lock = threading.Lock()


def resolve_export_dir(checkpoint_path: str) -> Path:
    """The endpoint's folder (relative to the project root), or LAMDA_DEMO_CHECKPOINT when blank."""
    path = Path(checkpoint_path) if checkpoint_path else Path(settings.LAMDA_DEMO_CHECKPOINT)
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    return path.resolve()


def load_chat_model(export_dir: Path):
    """The cached ChatModel for `export_dir`, loading it on first use. Raises BackendError(kind="config")."""
    with _cache_lock:
        if export_dir in _cache:
            return _cache[export_dir]
        if not export_dir.is_dir():
            raise BackendError(
                f"the local model export {export_dir} does not exist; create it with `{TRAIN_HINT}` "
                f"(or point the endpoint's checkpoint_path / LAMDA_DEMO_CHECKPOINT at an export)",
                kind="config",
            )
        try:
            from training.inference import ChatModel
        except ImportError as exc:
            raise BackendError(f"training.inference is not available: {exc}", kind="config") from exc
        try:
            model = ChatModel.load(export_dir)
        except Exception as exc:  # a broken export must not become a 500 for the worker
            raise BackendError(f"could not load the local model from {export_dir}: {exc}", kind="config") from exc
        _cache[export_dir] = (model, threading.Lock())
        return _cache[export_dir]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


@dataclass
class LocalBackend(ChatBackend):
    export_dir: Path
    sampling: dict = field(default_factory=dict)

    @classmethod
    def from_endpoint(cls, endpoint) -> LocalBackend:
        return cls(export_dir=resolve_export_dir(endpoint.checkpoint_path), sampling=dict(endpoint.sampling or {}))

    def generate(self, dialog: list[Utterance]) -> Reply:
        model, lock = load_chat_model(self.export_dir)
        kwargs = {k: self.sampling[k] for k in RESPOND_KEYS if k in self.sampling}
        started = time.monotonic()
        try:
            with lock:
                out = model.respond([u.text for u in dialog], **kwargs)
        except Exception as exc:  # model bugs surface as a clear backend failure, the worker's message is kept
            raise BackendError(f"the local model in {self.export_dir} failed: {exc}", kind="unavailable") from exc
        latency_ms = int((time.monotonic() - started) * 1000)
        text = (getattr(out, "text", "") or "").strip()
        if not text:
            raise BackendError(f"the local model in {self.export_dir} returned an empty reply", kind="bad_response")
        return Reply(
            text=text,
            model_id=str(out.model_id),
            model_version=str(out.model_version),
            sampling=dict(out.sampling or kwargs),
            latency_ms=latency_ms,
        )
