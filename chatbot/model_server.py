"""llama.cpp's own `llama-server` with the bundled model: the model server the `openai` engine talks to.

`make serve-model` builds the binary once (scripts/build_llama_server.sh, from the llama.cpp sources in the
pinned llama-cpp-python sdist) and runs `python -m chatbot serve-model`, which replaces itself with
llama-server so that Ctrl-C and SIGTERM reach it directly, once a trial server on a spare loopback port has
answered a first question (a llama.cpp build that crashes on this CPU is one sentence then, not a server that
reports ready and dies on its first client). `running()` starts one for tests and benchmarks.
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
from .engines.health import PROBE_MESSAGES, PROBE_TOKENS, crash_sentence, repack_weights
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
            "--cont-batching", "--jinja", "--no-webui", "--seed", "0",
            "--repack" if repack_weights(generation.llama_repack) else "--no-repack"]


def exec_server(settings: Settings, port: int, slots: int, host: str) -> None:
    """Become llama-server (the signals of a terminal or a service manager then reach it, not us)."""
    with socket.socket() as probe:  # llama-server would only log this among its start-up lines
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ChatbotError(f"Port {port} on {host} cannot be used ({exc.strerror}); stop what is using it or choose "
                               "another port (MODEL_PORT=8081 make serve-model, or --port).") from None
    argv = command(settings, port, slots, host)
    print("Checking that llama-server answers on this machine…", file=sys.stderr, flush=True)
    with running(settings, spare_port(), slots=1):
        pass  # it answered a first question: the real one starts next
    print(f"Serving {Path(argv[2]).name} at http://{host}:{port}/v1 with {slots} parallel slots (Ctrl-C stops it).",
          file=sys.stderr, flush=True)
    os.execv(argv[0], argv)


def spare_port() -> int:
    """A free port on loopback (for a trial or test server)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(settings: Settings, port: int, slots: int = DEFAULT_SLOTS, timeout_s: float = 120.0) -> Iterator[str]:
    """A llama-server on loopback for the block's duration; yields its base URL (…/v1) once it has answered a
    first question."""
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a pipe nobody reads would stall the server when full
        process = subprocess.Popen(command(settings, port, slots), stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_until_ready(f"http://127.0.0.1:{port}", timeout_s, process, log)
            first_answer(f"http://127.0.0.1:{port}", timeout_s, process, log)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def first_answer(url: str, timeout_s: float, process: subprocess.Popen, log) -> None:
    """A few tokens of a fixed question: the first matrix products are where a build for the wrong CPU dies."""
    try:
        httpx2.post(f"{url}/v1/chat/completions", json={"messages": PROBE_MESSAGES, "max_tokens": PROBE_TOKENS},
                    timeout=timeout_s).raise_for_status()
    except httpx2.HTTPError as exc:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            raise ChatbotError(f"llama-server did not answer a first question ({exc}); rebuild it with `make rebuild-llama`.") from None
        _raise_stopped(process, log)


def wait_until_ready(url: str, timeout_s: float, process: subprocess.Popen | None = None, log=None,
                     health: str = "/health") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            _raise_stopped(process, log)
        try:
            if httpx2.get(f"{url}{health}", timeout=2).status_code == 200:  # 503 while the model loads
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.25)
    raise ChatbotError(f"The server did not become ready at {url} within {timeout_s:.0f} s.")


def _raise_stopped(process: subprocess.Popen, log) -> None:
    said = ""
    if log is not None:
        log.seek(0)
        said = log.read().decode(errors="replace")
    if process.returncode < 0:  # killed by a signal: a build that cannot run on this CPU
        raise ChatbotError(crash_sentence("llama-server", process.returncode, "AMX_INT8 = 1" in said))
    raise ChatbotError(f"The server stopped at start (exit code {process.returncode}): {' '.join(said.split()[-60:])}")


# ---- the embeddings server (CHATBOT_EMBEDDINGS=openai): llama-server with the bundled MiniLM as GGUF

MINILM_GGUF = "all-MiniLM-L6-v2-f32.gguf"  # written by scripts/convert_minilm_gguf.sh (make serve-embeddings)


def embeddings_command(settings: Settings, port: int, host: str = "127.0.0.1") -> list[str]:
    """Mean pooling, as the bundled model's sentence-transformers config says; one sequence of 512 tokens at a time."""
    if not BINARY.exists():
        raise ChatbotError(f"llama-server is not built ({BINARY} is missing); run `make serve-embeddings`, which builds it once.")
    model = settings.model_cache_dir / MINILM_GGUF
    if not model.is_file():
        raise ChatbotError(f"The embedding model as GGUF ({model}) is missing; run `make serve-embeddings`, which converts it once.")
    return [str(BINARY), "--model", str(model), "--alias", "all-MiniLM-L6-v2", "--embeddings", "--pooling", "mean",
            "--host", host, "--port", str(port), "--ctx-size", "512", "--parallel", "1", "--batch-size", "512",
            "--ubatch-size", "512", "--threads", str(settings.generation.n_threads), "--no-webui"]


def exec_embeddings_server(settings: Settings, port: int, host: str) -> None:
    argv = embeddings_command(settings, port, host)
    print(f"Serving all-MiniLM-L6-v2 embeddings at http://{host}:{port}/v1 (Ctrl-C stops it); set CHATBOT_EMBEDDINGS=openai "
          f"CHATBOT_EMBEDDINGS_BASE_URL=http://{host}:{port}/v1 to use it.", file=sys.stderr, flush=True)
    os.execv(argv[0], argv)


@contextmanager
def running_embeddings(settings: Settings, port: int, timeout_s: float = 60.0) -> Iterator[str]:
    """An embeddings llama-server on loopback for the block's duration; yields its base URL (…/v1)."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(embeddings_command(settings, port), stdout=subprocess.DEVNULL, stderr=log)
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
