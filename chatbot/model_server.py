"""llama.cpp's own `llama-server` with the bundled model: the model server the `openai` engine talks to.

`make serve-model` builds the binary once (scripts/build_llama_server.sh, from the llama.cpp sources in the
pinned llama-cpp-python sdist) and runs `python -m chatbot serve-model`, which replaces itself with
llama-server so that Ctrl-C and SIGTERM reach it directly. `running()` starts one for tests and benchmarks.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

from .config import Settings
from .errors import ChatbotError
from .models import generator_model_path

BINARY = Path(sys.prefix) / "bin" / "llama-server"
DEFAULT_SLOTS = 4


def command(settings: Settings, port: int, slots: int = DEFAULT_SLOTS, host: str = "127.0.0.1") -> list[str]:
    """llama-server divides its context among its slots: each gets the context the in-process engine has."""
    if not BINARY.exists():
        raise ChatbotError(f"llama-server is not built ({BINARY} is missing); run `make serve-model`, which builds it once.")
    generation = settings.generation
    model = generator_model_path(generation.generator_model, settings.model_cache_dir)
    # --alias: clients see the model's file name, not a path on this machine.
    return [str(BINARY), "--model", str(model), "--alias", model.stem, "--host", host, "--port", str(port),
            "--parallel", str(slots), "--ctx-size", str(slots * generation.n_ctx), "--threads", str(generation.n_threads),
            "--cont-batching", "--jinja", "--no-webui", "--seed", "0"]


def exec_server(settings: Settings, port: int, slots: int, host: str) -> None:
    """Become llama-server (the signals of a terminal or a service manager then reach it, not us)."""
    argv = command(settings, port, slots, host)
    with socket.socket() as probe:  # llama-server would only log this among its start-up lines
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ChatbotError(f"Port {port} on {host} cannot be used ({exc.strerror}); stop what is using it or choose "
                               "another port (MODEL_PORT=8081 make serve-model, or --port).") from None
    print(f"Serving {Path(argv[2]).name} at http://{host}:{port}/v1 with {slots} parallel slots (Ctrl-C stops it).",
          file=sys.stderr, flush=True)
    os.execv(argv[0], argv)


@contextmanager
def running(settings: Settings, port: int, slots: int = DEFAULT_SLOTS, timeout_s: float = 120.0) -> Iterator[str]:
    """A llama-server on loopback for the block's duration; yields its base URL (…/v1) once it answers."""
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a pipe nobody reads would stall the server when full
        process = subprocess.Popen(command(settings, port, slots), stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_until_ready(f"http://127.0.0.1:{port}", timeout_s, process, log)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_ready(url: str, timeout_s: float, process: subprocess.Popen | None = None, log=None,
                     health: str = "/health") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            said = ""
            if log is not None:
                log.seek(0)
                said = " ".join(log.read().decode(errors="replace").split()[-60:])
            raise ChatbotError(f"The server stopped at start (exit code {process.returncode}): {said}")
        try:
            if httpx2.get(f"{url}{health}", timeout=2).status_code == 200:  # 503 while the model loads
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.25)
    raise ChatbotError(f"The server did not become ready at {url} within {timeout_s:.0f} s.")
