"""A real Milvus server for the tests: the binary the pinned milvus-lite 2.5.1 wheel carries, serving its gRPC API
on a free loopback port, started and stopped by its process id."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from .serving import free_port


def binary() -> Path:
    from chatbot.index.milvus_server import binary as milvus_binary

    return milvus_binary()


@contextmanager
def milvus_server(folder: Path, port: int | None = None):
    """Yields (uri, process); the data lives in folder/milvus.db (so a restart finds it)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    process = start(folder, port)
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        stop(process)


def start(folder: Path, port: int) -> subprocess.Popen:
    lib = binary().parent
    env = {**os.environ, "LD_LIBRARY_PATH": f"{lib}:{os.environ.get('LD_LIBRARY_PATH', '')}"}
    process = subprocess.Popen([str(binary()), str(folder / "milvus.db"), f"127.0.0.1:{port}", "ERROR"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
    wait_until_serving(f"http://127.0.0.1:{port}", process)
    return process


def wait_until_serving(uri: str, process: subprocess.Popen, timeout_s: float = 60.0) -> None:
    from pymilvus import MilvusClient

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"milvus exited with {process.returncode}")
        try:
            MilvusClient(uri=uri, timeout=2).close()
            return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"milvus did not serve at {uri} within {timeout_s} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
