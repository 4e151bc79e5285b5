"""Files: written so that a reader never sees half of one, and fingerprinted."""
from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

# numpy parses an .npy header with ast.literal_eval, and CPython 3.11 keeps the AST builder's recursion
# depth in state shared by threads: two sessions loading arrays at once can fail with "SystemError: AST
# constructor recursion depth mismatch" (cpython gh-106905). Loads are short, so they take turns: every
# np.load of ours, and any library call that loads .npy files, holds this lock.
NUMPY_LOADS = threading.RLock()


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def load_array(path: Path, mmap_mode: str | None = None) -> np.ndarray:
    """np.load, safe to call from several threads at once (see NUMPY_LOADS)."""
    with NUMPY_LOADS:
        return np.load(path, mmap_mode=mmap_mode)
