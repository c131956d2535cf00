"""`openai` backend: any server that speaks OpenAI chat completions (vLLM, llama.cpp server, TGI, OpenAI
itself, or `python -m training.serve`, whose extra "lamda" field -- candidates, scores, research steps -- is kept as
the reply's ranking).

POST {base_url}/chat/completions with the dialog as alternating user/assistant messages (an optional system
prompt first). Connection errors, HTTP 5xx and 429 are retried `max_retries` times with exponential backoff; a
read timeout is not retried (the worker has already waited `timeout_seconds`). Every failure becomes a
BackendError with a message that says what happened and where.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import requests

from collection.backends.base import BackendError, ChatBackend, Reply, Utterance, jsonb_safe

# sampling keys sent as top-level request fields; anything else server-specific goes under
# sampling["extra_body"]
REQUEST_KEYS = ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty", "stop", "seed")
RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class OpenAICompatBackend(ChatBackend):
    base_url: str
    model: str
    sampling: dict = field(default_factory=dict)
    api_key: str = ""
    timeout_seconds: float = 30.0
    max_retries: int = 2
    backoff_seconds: float = 0.5

    @classmethod
    def from_endpoint(cls, endpoint) -> OpenAICompatBackend:
        if not endpoint.base_url:
            raise BackendError(f"model endpoint {endpoint.name!r} has no base_url", kind="config")
        api_key = ""
        if endpoint.api_key_env:
            api_key = os.environ.get(endpoint.api_key_env, "")
            if not api_key:
                raise BackendError(
                    f"model endpoint {endpoint.name!r} needs its API key in the environment variable "
                    f"{endpoint.api_key_env}, which is not set",
                    kind="config",
                )
        return cls(
            base_url=endpoint.base_url,
            model=endpoint.model_name,
            sampling=dict(endpoint.sampling or {}),
            api_key=api_key,
            timeout_seconds=endpoint.timeout_seconds,
            max_retries=endpoint.max_retries,
        )

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    def request_body(self, dialog: list[Utterance]) -> dict:
        messages = []
        if self.sampling.get("system_prompt"):
            messages.append({"role": "system", "content": self.sampling["system_prompt"]})
        for u in dialog:
            messages.append({"role": "user" if u.speaker == "human" else "assistant", "content": u.text})
        body = {"model": self.model, "messages": messages}
        body.update({k: self.sampling[k] for k in REQUEST_KEYS if k in self.sampling})
        body.update(self.sampling.get("extra_body") or {})
        return body

    def generate(self, dialog: list[Utterance]) -> Reply:
        body = self.request_body(dialog)
        started = time.monotonic()
        payload = self._post_with_retries(body)
        latency_ms = int((time.monotonic() - started) * 1000)
        text = self._reply_text(payload)
        served = str(payload.get("model") or self.model)
        fingerprint = payload.get("system_fingerprint")
        recorded = {k: v for k, v in body.items() if k not in ("model", "messages")}
        if self.sampling.get("system_prompt"):
            recorded["system_prompt"] = self.sampling["system_prompt"]
        return Reply(
            text=text,
            model_id=self.model or served,
            model_version=f"{served}+{fingerprint}" if fingerprint else served,
            sampling=recorded,
            latency_ms=latency_ms,
            ranking=_ranking(payload),
        )

    def _post_with_retries(self, body: dict) -> dict:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        attempts = self.max_retries + 1
        last = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.backoff_seconds * 2 ** (attempt - 1))
            try:
                resp = requests.post(
                    self.url,
                    json=body,
                    headers=headers,
                    timeout=(min(5.0, self.timeout_seconds), self.timeout_seconds),
                )
            except requests.ReadTimeout as exc:
                raise BackendError(
                    f"the model server at {self.base_url} did not answer within {self.timeout_seconds:g} s",
                    kind="timeout",
                ) from exc
            except requests.RequestException as exc:  # refused, reset, DNS, connect timeout: worth another try
                last = f"could not be reached ({type(exc).__name__})"
                continue
            if resp.status_code in RETRY_STATUSES:
                last = f"answered HTTP {resp.status_code}: {resp.text[:200]!r}"
                continue
            if resp.status_code >= 400:
                raise BackendError(
                    f"the model server at {self.base_url} rejected the request with HTTP {resp.status_code}: "
                    f"{resp.text[:200]!r}",
                    kind="bad_response",
                )
            try:
                return resp.json()
            except ValueError as exc:
                raise BackendError(
                    f"the model server at {self.base_url} answered something that is not JSON",
                    kind="bad_response",
                ) from exc
        raise BackendError(
            f"the model server at {self.base_url} {last} (tried {attempts} time{'s' if attempts > 1 else ''})",
            kind="unavailable",
        )

    def _reply_text(self, payload: dict) -> str:
        try:
            text = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise BackendError(
                f"the model server at {self.base_url} answered without choices[0].message.content",
                kind="bad_response",
            ) from exc
        if not isinstance(text, str) or not text.strip():
            raise BackendError(f"the model server at {self.base_url} returned an empty reply", kind="bad_response")
        return text.strip()


def _ranking(payload: dict) -> dict:
    """The candidates, scores and research steps a `python -m training.serve` server sends in its "lamda" field."""
    extra = payload.get("lamda")
    if not isinstance(extra, dict):
        return {}
    keep = ("ranking", "chosen", "fallback_used", "candidates", "dropped", "truncated", "research", "research_forced")
    return jsonb_safe({k: extra[k] for k in (*keep, "base_text") if k in extra})
