"""Following a collection's folder: what is added, changed, renamed or removed is indexed within seconds.

The folder is looked at every `interval_s` by size and time alone (an unchanged file is never read); a change
brings the index up to date as `index` does, so only the new and changed files are embedded, and a renamed one
(same content, new name) is moved without being embedded again.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from ..config import Settings
from ..errors import IndexMissingError
from .backend import BuildReport, build_index, load_index, stale_documents
from .embeddings import make_embedder


def watch(settings: Settings, on_report: Callable[[BuildReport], None], interval_s: float = 1.0,
          stop: threading.Event | None = None, embedder=None) -> None:
    """Until Ctrl-C (or `stop` is set)."""
    stop = stop or threading.Event()
    embedder = embedder or make_embedder(settings)
    while not stop.is_set():
        try:
            index = load_index(settings)
            changed = bool(stale_documents(index, settings.corpus_dir))
            index.close()
        except IndexMissingError:
            changed = True
        if changed:
            on_report(build_index(settings, embedder, progress=False))
        stop.wait(interval_s)
