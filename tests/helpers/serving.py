"""Helpers for the serving tests: a free loopback port, our API on uvicorn in a thread, and small HTTP
servers that misbehave on purpose (a real model server cannot be made to send invalid JSON or to stall
on cue, so these stand in for one only in the fault tests, which say so)."""
from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import uvicorn

from chatbot.model_server import spare_port


def free_port() -> int:
    return spare_port()


@contextmanager
def api_server(app) -> Iterator[str]:
    """Our FastAPI app on uvicorn, on loopback, for the block's duration; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


MODELS_REPLY = {"object": "list", "data": [{"id": "stand-in", "object": "model"}]}


@contextmanager
def misbehaving_server(on_chat: Callable[[http.server.BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """An HTTP server that lists one model and answers chat completions with `on_chat(handler)`."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self._send(200, json.dumps(MODELS_REPLY).encode())

        def do_POST(self):
            self.body = self.rfile.read(int(self.headers.get("Content-Length", 0)))  # the request, for a handler that needs it
            on_chat(self)

        def _send(self, status: int, body: bytes, kind: str = "application/json"):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def sse_chunk(text: str) -> bytes:
    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "stand-in",
             "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()
