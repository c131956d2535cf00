"""`local` backend: a checkpoint exported by the trainer, run in this process with
`training.inference.ChatModel`: sample-and-rank with the model's own discriminators (docs/inference.md).

The endpoint's `sampling` object holds the sample-and-rank settings (`training.inference.RankSettings` fields:
num_candidates, top_k, temperature, max_new_tokens, seed, ranking, safety_threshold, weights, fallback, research,
max_tool_calls, ...); keys only the `openai` backend reads (top_p, system_prompt, ...) are ignored, anything else
is a config error. Without a `ranking` key the backend ranks with "auto": the discriminators when the export was
fine-tuned for them, else the PT baseline (log-likelihood per token). The reply's `ranking` (stored on the model
Turn) lists every candidate with its scores, the dropped ones and why, and the research steps.

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

from collection.backends.base import BackendError, ChatBackend, Reply, Utterance, jsonb_safe

TRAIN_HINT = "python -m training.train --preset tiny --out var/checkpoints/tiny"
# keys the openai backend reads; a local endpoint may carry them (switching backends) and they are ignored here
OPENAI_ONLY_KEYS = {"top_p", "max_tokens", "presence_penalty", "frequency_penalty", "stop", "system_prompt"}
OPENAI_ONLY_KEYS |= {"extra_body"}

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


def rank_settings(sampling: dict):
    """The endpoint's RankSettings (ranking "auto" unless set). Raises BackendError(kind="config")."""
    from training.inference import RankSettings

    known = {k: v for k, v in sampling.items() if k not in OPENAI_ONLY_KEYS}
    known.setdefault("ranking", "auto")
    try:
        return RankSettings.from_dict(known)
    except ValueError as exc:
        raise BackendError(f"the local endpoint's sampling settings are invalid: {exc}", kind="config") from exc


def ranking_record(out) -> dict:
    """What the Turn keeps of a RankedReply: why this reply won."""
    d = out.to_dict()
    keep = ("ranking", "chosen", "fallback_used", "candidates", "truncated", "research", "research_forced", "base_text")
    keep += ("ignored_attributes",)
    record = {k: d[k] for k in keep}
    record["dropped"] = out.dropped
    record["timings_ms"] = {k.removesuffix("_s"): round(v * 1000, 1) for k, v in d["timings"].items()}
    return jsonb_safe(record)


@dataclass
class LocalBackend(ChatBackend):
    export_dir: Path
    sampling: dict = field(default_factory=dict)

    @classmethod
    def from_endpoint(cls, endpoint) -> LocalBackend:
        return cls(export_dir=resolve_export_dir(endpoint.checkpoint_path), sampling=dict(endpoint.sampling or {}))

    def generate(self, dialog: list[Utterance]) -> Reply:
        model, lock = load_chat_model(self.export_dir)
        settings = rank_settings(self.sampling)
        started = time.monotonic()
        try:
            with lock:
                out = model.reply([u.text for u in dialog], settings)
        except ValueError as exc:  # NotADiscriminator and other settings the model cannot honour: fix the endpoint
            raise BackendError(f"the local model in {self.export_dir} cannot answer: {exc}", kind="config") from exc
        except Exception as exc:  # model bugs surface as a clear backend failure, the worker's message is kept
            raise BackendError(f"the local model in {self.export_dir} failed: {exc}", kind="unavailable") from exc
        latency_ms = int((time.monotonic() - started) * 1000)
        text = jsonb_safe(getattr(out, "text", "") or "").strip()  # PostgreSQL text cannot hold NUL
        if not text:
            raise BackendError(f"the local model in {self.export_dir} returned an empty reply", kind="bad_response")
        return Reply(
            text=text,
            model_id=str(out.model_id),
            model_version=str(out.model_version),
            sampling=out.settings.to_dict(),  # with the seed drawn when none was set: the reply can be replayed
            latency_ms=latency_ms,
            ranking=ranking_record(out),
        )
