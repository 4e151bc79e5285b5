"""A local Milvus server for CHATBOT_INDEX_BACKEND=milvus: the binary the pinned milvus-lite 2.5.1 wheel carries, which
serves Milvus's real gRPC API on a TCP port (`make serve-index`). For trying the backend and for tests; a team runs
Milvus standalone or distributed instead (docs/scaling.md) and points CHATBOT_MILVUS_URI at it."""
from __future__ import annotations

import importlib.util
import os
import socket
import sys
from pathlib import Path

from ..config import Settings
from ..errors import ChatbotError


def binary() -> Path:
    """Found through its package's files (its __init__ would import pkg_resources, which new setuptools dropped)."""
    spec = importlib.util.find_spec("milvus_lite")
    path = Path(spec.submodule_search_locations[0]) / "lib" / "milvus" if spec and spec.submodule_search_locations else None
    if path is None or not path.is_file():
        raise ChatbotError("The Milvus server binary is missing (the milvus-lite 2.5.1 package); run `make setup`.")
    return path


def exec_milvus(settings: Settings, host: str, port: int) -> None:
    """Become the Milvus server, its data in index_dir/milvus/milvus.db, until Ctrl-C or SIGTERM."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ChatbotError(f"Port {port} on {host} cannot be used ({exc.strerror}); stop what is using it or choose "
                               "another port (INDEX_PORT=19531 make serve-index, or --port).") from None
    folder = settings.index_dir / "milvus"
    folder.mkdir(parents=True, exist_ok=True)
    program = binary()
    os.environ["LD_LIBRARY_PATH"] = f"{program.parent}:{os.environ.get('LD_LIBRARY_PATH', '')}"
    print(f"Milvus serving at http://{host}:{port} (data in {folder}); set CHATBOT_INDEX_BACKEND=milvus "
          f"CHATBOT_MILVUS_URI=http://{host}:{port} elsewhere. Ctrl-C stops it.", file=sys.stderr, flush=True)
    os.chdir(folder)
    os.execv(str(program), [str(program), str(folder / "milvus.db"), f"{host}:{port}", "ERROR"])
