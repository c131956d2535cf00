"""An OpenAI-compatible chat-completions server for an exported model (stdlib ThreadingHTTPServer).

    POST /v1/chat/completions   sample-and-rank; the candidates, scores and research steps in the "lamda" field;
                                "stream": true answers as server-sent events
    GET  /v1/models             the one model served
    GET  /health                {"status": "ok", model, model_version, discriminator, queued, served}

HTTP threads only parse and validate; every model call goes through one worker thread (`ModelWorker`, the model
is not thread-safe) that takes the queued requests, up to `max_batch` at a time, and decodes those that agree on
top_k, temperature, max_new_tokens and ranking in ONE batch (training/inference/ranking/batch.py: each request's
candidates are rows of a shared left-padded cache). Malformed requests get a 4xx JSON error and never reach the
model.
"""

from __future__ import annotations

import json
import queue
import threading
from concurrent.futures import Future
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from training.inference.ranking.settings import RankSettings
from training.inference.serving.openai_api import ApiError, ChatRequest, completion, parse_request, stream_chunks

MAX_BODY = 1 << 20  # 1 MiB of JSON is far more than any dialog context the model can read


class ModelWorker:
    """One thread owns the model; `submit(request)` returns a Future of its RankedReply."""

    def __init__(self, chat, max_batch: int = 8) -> None:
        self.chat, self.max_batch = chat, max_batch
        self.jobs: queue.Queue = queue.Queue()
        self.served = 0
        self.batches = 0  # decode batches of more than one request
        self.thread = threading.Thread(target=self._loop, name="model-worker", daemon=True)
        self.thread.start()

    def submit(self, request: ChatRequest) -> Future:
        fut: Future = Future()
        self.jobs.put((request, fut))
        return fut

    def _loop(self) -> None:
        while True:
            batch = [self.jobs.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            self._run_batch(batch)

    def _run_batch(self, batch: list) -> None:
        """Requests that can share a decode batch (same batch_key) run together; the others one by one."""
        from training.inference.ranking.sample_rank import batch_key, resolve_ranking

        chat, groups = self.chat, {}
        for request, fut in batch:
            try:
                ranking = resolve_ranking(
                    request.settings, chat.has_discriminator, chat.discriminator_why, chat.model_id
                )
            except Exception as exc:  # noqa: BLE001 - refused before it reaches the model
                fut.set_exception(exc)
                continue
            groups.setdefault(batch_key(request.settings, ranking), []).append((request, fut))
        for key, jobs in groups.items():
            if len(jobs) == 1:
                self._run(*jobs[0])
                continue
            try:
                replies = chat.reply_batch([r.context for r, _ in jobs], [r.settings for r, _ in jobs], ranking=key[-1])
            except Exception as exc:  # noqa: BLE001
                for _, fut in jobs:
                    fut.set_exception(exc)
                continue
            self.served += len(jobs)
            self.batches += 1
            for (_, fut), reply in zip(jobs, replies, strict=True):
                fut.set_result(reply)

    def _run(self, request: ChatRequest, fut: Future) -> None:
        try:
            reply = self.chat.reply(request.context, request.settings)
            self.served += 1
            fut.set_result(reply)
        except Exception as exc:  # noqa: BLE001 - handed to the request's thread, which answers 4xx/500
            fut.set_exception(exc)


class App:
    def __init__(self, chat, settings: RankSettings, max_batch: int = 8) -> None:
        self.chat, self.settings = chat, settings
        self.worker = ModelWorker(chat, max_batch)

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "model": self.chat.model_id,
            "model_version": self.chat.model_version,
            "discriminator": self.chat.has_discriminator,
            "ranking": self.settings.ranking,
            "queued": self.worker.jobs.qsize(),
            "served": self.worker.served,
            "batched": self.worker.batches,
        }

    def models(self) -> dict[str, Any]:
        return {"object": "list", "data": [{"id": self.chat.model_id, "object": "model", "owned_by": "lamda"}]}

    def parse(self, body: Any) -> ChatRequest:
        cfg = self.chat.config.model
        return parse_request(body, base=self.settings, model_id=self.chat.model_id, max_seq_len=cfg.max_seq_len)

    def answer(self, request: ChatRequest) -> Any:
        from training.errors import TrainInputError

        try:
            return self.worker.submit(request).result()
        except TrainInputError as exc:  # e.g. discriminator ranking asked of a PT-only model
            raise ApiError(400, str(exc), "lamda") from None


class Handler(BaseHTTPRequestHandler):
    app: App  # set by make_server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        routes = {"/health": self.app.health, "/v1/models": self.app.models, "/models": self.app.models}
        if self.path.split("?")[0] in routes:
            return self._json(200, routes[self.path.split("?")[0]]())
        if self.path.split("?")[0] in ("/v1/chat/completions", "/chat/completions"):
            return self._json(405, ApiError(405, "use POST for chat completions").body())
        self._json(404, ApiError(404, f"no route {self.path}; try POST /v1/chat/completions or GET /health").body())

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?")[0] not in ("/v1/chat/completions", "/chat/completions"):
            self._drain()
            return self._json(404, ApiError(404, f"no route {self.path}; POST /v1/chat/completions").body())
        try:
            request = self.app.parse(self._body())
            reply = self.app.answer(request)
        except ApiError as exc:
            return self._json(exc.status, exc.body())
        except Exception as exc:  # noqa: BLE001 - a model bug: a JSON 500 that says what failed
            return self._json(500, ApiError(500, f"the model failed: {type(exc).__name__}: {exc}").body())
        model_id = self.app.chat.model_id
        if request.stream:
            return self._stream(stream_chunks(reply, request, model_id=model_id))
        self._json(200, completion(reply, request, model_id=model_id))

    def _drain(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) <= MAX_BODY:
            self.rfile.read(int(length))

    def _body(self) -> Any:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise ApiError(411, "send the JSON body with a Content-Length header")
        if int(length) > MAX_BODY:
            self.close_connection = True
            if int(length) <= 16 * MAX_BODY:  # read it, so the client sees the 413 instead of a broken pipe
                left = int(length)
                while left > 0 and (got := len(self.rfile.read(min(1 << 16, left)))):
                    left -= got
            raise ApiError(413, f"request body of {length} bytes is over the {MAX_BODY}-byte limit")
        raw = self.rfile.read(int(length))
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ApiError(400, f"the request body is not valid JSON ({exc})") from None

    def _stream(self, chunks: list[dict]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for c in chunks:
            self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def make_server(chat, settings: RankSettings, *, host: str = "127.0.0.1", port: int = 8001, max_batch: int = 8):
    """A ThreadingHTTPServer bound to (host, port) (port 0 = any free one); call serve_forever() on it."""
    handler = type("BoundHandler", (Handler,), {"app": App(chat, settings, max_batch)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
