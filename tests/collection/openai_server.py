"""A real OpenAI-compatible chat-completions server for tests: http.server in a thread on 127.0.0.1, port 0.

    with OpenAIStubServer() as srv:          # srv.base_url == "http://127.0.0.1:<port>/v1"
        srv.script = ["500", "ok"]           # behaviour of the next requests, then `srv.default`
        ...
        srv.requests                         # the JSON bodies received, in order

Behaviours: "ok" (echo reply), "slow" (sleeps `srv.slow_seconds` first), "500", "400", "badjson", "empty".
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        stub = self.server.stub
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        with stub.lock:
            stub.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
            mode = stub.script.pop(0) if stub.script else stub.default
        if self.path != "/v1/chat/completions":
            return self._send(404, b'{"error": "not found"}')
        if mode == "slow":
            time.sleep(stub.slow_seconds)
            mode = "ok"
        if mode == "500":
            return self._send(500, b'{"error": "internal"}')
        if mode == "400":
            return self._send(400, b'{"error": "bad request: unknown field"}')
        if mode == "badjson":
            return self._send(200, b"<html>not json</html>")
        last = body["messages"][-1]["content"] if body.get("messages") else ""
        content = "" if mode == "empty" else f"echo: {last}"
        payload = {
            "id": "cmpl-1",
            "object": "chat.completion",
            "model": stub.served_model,
            "system_fingerprint": stub.fingerprint,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        }
        self._send(200, json.dumps(payload).encode())

    def _send(self, code: int, data: bytes):
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stub: OpenAIStubServer


class OpenAIStubServer:
    def __init__(self, *, served_model: str = "stub-model-2024-01", fingerprint: str | None = "fp_abc123"):
        self.served_model = served_model
        self.fingerprint = fingerprint
        self.default = "ok"
        self.script: list[str] = []
        self.slow_seconds = 2.0
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.stub = self
        # short poll so shutdown() returns quickly (the default 0.5 s adds up over many tests)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> OpenAIStubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def refused_base_url() -> str:
    """A loopback URL where nothing listens (a port we bound and released)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
