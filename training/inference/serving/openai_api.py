"""OpenAI chat-completions requests and responses for the sample-and-rank server (pure functions, no sockets).

    parse_request(body, ...) -> ChatRequest      ApiError(status, message, param) on anything malformed
    completion(reply, request, ...) -> dict      the chat.completion object + the "lamda" extra field
    stream_chunks(reply, request, ...) -> [dict] chat.completion.chunk objects (role, content pieces, finish)

Fields read: model, messages (system messages are skipped: the model has no system role), max_tokens /
max_completion_tokens, temperature (0 = greedy), top_k, seed, n (the n best-ranked candidates), stream, and
"lamda": any RankSettings field. Other OpenAI fields (top_p, stop, penalties, user, ...) are accepted and ignored;
the response's "lamda.ignored" lists them.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from training.inference.ranking.settings import RankSettings

ROLES = ("system", "user", "assistant")
READ = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_k", "seed", "n", "stream"}
READ |= {"lamda", "stream_options"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code

    def body(self) -> dict:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}


@dataclass
class ChatRequest:
    context: list[str]
    settings: RankSettings
    n: int = 1
    stream: bool = False
    ignored: list[str] = field(default_factory=list)


def _content(msg: Any, i: int) -> tuple[str, str]:
    if not isinstance(msg, dict):
        raise ApiError(400, f"messages[{i}] must be an object with role and content", f"messages[{i}]")
    role, content = msg.get("role"), msg.get("content")
    if role not in ROLES:
        raise ApiError(400, f"messages[{i}].role must be one of {', '.join(ROLES)}, got {role!r}", f"messages[{i}]")
    if isinstance(content, list):  # content parts: keep the text ones
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if not parts or not all(isinstance(t, str) for t in parts):
            raise ApiError(400, f"messages[{i}].content has no text parts", f"messages[{i}].content")
        content = " ".join(parts)
    if not isinstance(content, str) or not content.strip():
        raise ApiError(400, f"messages[{i}].content must be a non-empty string", f"messages[{i}].content")
    return role, content


def _context(messages: Any) -> list[str]:
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list of {role, content} objects", "messages")
    turns = [c for r, c in (_content(m, i) for i, m in enumerate(messages)) if r != "system"]
    if not turns:
        raise ApiError(400, "messages hold only system messages: give at least one user message", "messages")
    return turns


def _overrides(body: dict) -> dict[str, Any]:
    lamda = body.get("lamda", {})
    if not isinstance(lamda, dict):
        raise ApiError(400, "lamda must be an object of sample-and-rank settings", "lamda")
    out = dict(lamda)
    for name in ("max_completion_tokens", "max_tokens"):
        if body.get(name) is not None:
            out["max_new_tokens"] = body[name]
    for name in ("top_k", "seed", "temperature"):
        if body.get(name) is not None:
            out[name] = body[name]
    if out.get("temperature") == 0:  # OpenAI's greedy
        out["temperature"], out["top_k"] = 1.0, 1
    return out


def parse_request(body: Any, *, base: RankSettings, model_id: str, max_seq_len: int) -> ChatRequest:
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    if body.get("model") not in (None, "", model_id):
        raise ApiError(404, f"model {body['model']!r} is not served here; this server serves {model_id!r}", "model",
                       "model_not_found")  # fmt: skip
    context = _context(body.get("messages"))
    try:
        settings = base.replace(**_overrides(body))
    except ValueError as exc:
        raise ApiError(400, str(exc), "lamda") from None
    if settings.max_new_tokens >= max_seq_len - 8:
        raise ApiError(400, f"max_tokens {settings.max_new_tokens} leaves no room in the {max_seq_len}-token context",
                       "max_tokens")  # fmt: skip
    n, stream = body.get("n", 1), body.get("stream", False)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= settings.num_candidates:
        raise ApiError(400, f"n must be an integer from 1 to num_candidates ({settings.num_candidates})", "n")
    if not isinstance(stream, bool):
        raise ApiError(400, "stream must be true or false", "stream")
    return ChatRequest(context, settings, n, stream, sorted(set(body) - READ))


def lamda_fields(reply, request: ChatRequest) -> dict[str, Any]:
    d = reply.to_dict()
    d.pop("text")
    d["dropped"] = reply.dropped
    d["ignored"] = request.ignored
    return d


def _texts(reply, n: int) -> list[str]:
    """The chosen reply, then the next-best kept candidates (n > 1); the fallback when nothing was kept."""
    ranked = sorted(
        (i for i, c in enumerate(reply.candidates) if c.dropped is None), key=lambda i: -reply.candidates[i].rank_score
    )
    texts = [reply.text] + [reply.candidates[i].text for i in ranked if i != reply.chosen]
    return texts[:n]


def completion(reply, request: ChatRequest, *, model_id: str) -> dict[str, Any]:
    texts = _texts(reply, request.n)
    prompt_tokens = reply.prompt_tokens
    completion_tokens = len(reply.candidates[reply.chosen].token_ids) if reply.chosen is not None else 0
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model_id,
        "system_fingerprint": reply.model_version,
        "choices": [
            {"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop", "logprobs": None}
            for i, t in enumerate(texts)
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "lamda": lamda_fields(reply, request),
    }


def stream_chunks(reply, request: ChatRequest, *, model_id: str) -> list[dict[str, Any]]:
    """Role chunk, content pieces (words with their spaces), a final chunk with finish_reason and "lamda".

    The reply is chosen only once every candidate is scored, so the pieces arrive after the ranking."""
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())

    def chunk(delta: dict, finish: str | None = None, **extra) -> dict:
        return {
            "id": cid, "object": "chat.completion.chunk", "created": created, "model": model_id,
            "system_fingerprint": reply.model_version,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra,
        }  # fmt: skip

    pieces = re.findall(r"\s*\S+", reply.text) or [reply.text]
    return (
        [chunk({"role": "assistant", "content": ""})]
        + [chunk({"content": p}) for p in pieces]
        + [chunk({}, "stop", lamda=lamda_fields(reply, request))]
    )
