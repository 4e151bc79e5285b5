"""The index behind one interface: what retrieval, the engine and the app call, whatever keeps the index.

`SearchIndex` is what a backend implements for reading (dense and keyword search, chunks by row, the collection's
documents); `build_index`, `load_index` and `stale_documents` are the entry points for building and opening one.
The embedded store (reader.py: reading, builder.py: building, cleanup.py: removing what is no longer used) is the
default; a second backend implements `SearchIndex` and the three functions, and nothing in retrieval or the answer
pipeline changes.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ..config import IndexBackend, Settings
from ..ingest.chunking import Chunk
from .embeddings import Embedder
from ..errors import IndexMissingError
from .manifest import Manifest


class SearchIndex(Protocol):
    """A built index, open for reading. Rows are a backend's ids for chunks (ints, never reused). A backend that can
    fuse the two rankings itself may also offer `fused_search` and `vectors` (Milvus does; retrieval.py uses them
    with fusion=engine_rrf, and fuses itself for any backend without them). A backend on a server may offer
    `chunks(rows)` (many chunks in one request) and set `parallel_searches = True` (its two searches sent at once)."""
    manifest: Manifest  # what the index depends on, its documents and the files it skipped

    @property
    def n_chunks(self) -> int: ...

    def dense_search(self, vector: np.ndarray, n: int, docs: frozenset[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The n rows closest to a normalised query vector: (cosines, rows), best first. With `docs`, only those
        documents' rows are searched: the filter comes before the ranking, so n are found when n exist."""
        ...

    def keyword_search(self, query: str, n: int, docs: frozenset[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The n best BM25 rows that share a word with the query: (scores, rows), best first; `docs` as above."""
        ...

    def keyword_scores(self, query: str, rows: np.ndarray) -> np.ndarray:
        """BM25 scores of given rows (reported beside the fused score; 0 where a backend cannot tell)."""
        ...

    def chunk(self, row: int) -> Chunk: ...

    def vector(self, row: int) -> np.ndarray: ...

    def knows_word(self, stemmed: str) -> bool:
        """Whether a stemmed word occurs anywhere in the collection."""
        ...

    def all_chunks(self) -> list[Chunk]:
        """Every chunk in row order (for small collections and tests)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class BuildReport:
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]
    n_chunks: int
    seconds: float
    reason: str = ""  # why everything was re-embedded, if it was
    skipped: dict[str, str] = field(default_factory=dict)  # files not indexed -> why, and the fix
    furniture: dict[str, int] = field(default_factory=dict)  # documents indexed now -> lines left out as page furniture
    pending: list[str] = field(default_factory=list)  # not indexed yet: the build was stopped before them (run it again)
    renamed: dict[str, str] = field(default_factory=dict)  # old name -> new name, moved without being embedded again

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.reason)


def load_index(settings: Settings) -> SearchIndex:
    """The live index, open for reading; typed errors say what is wrong and how to fix it. A collection whose folder
    holds no document yet has an empty index (its searches find nothing)."""
    try:
        if settings.index.index_backend is IndexBackend.MILVUS:
            from .milvus import open_milvus_index

            return open_milvus_index(settings)
        from .reader import open_local_index

        return open_local_index(settings)
    except IndexMissingError:
        from ..ingest.documents import scan_corpus

        if settings.corpus_dir.is_dir() and not scan_corpus(settings.corpus_dir)[0]:
            return EmptyIndex(settings)
        raise


class EmptyIndex:
    """The index of a collection with no documents yet."""

    def __init__(self, settings: Settings):
        from datetime import UTC, datetime

        from ..ingest.chunking import chunker_signature
        from .manifest import FORMAT_VERSION

        self.manifest = Manifest(format=FORMAT_VERSION, built_at=datetime.now(UTC).isoformat(timespec="seconds"),
                                 embedding_model=settings.embedding_model, embedder="", embedding_dim=0,
                                 chunker=chunker_signature(settings.chunking), n_chunks=0, next_row=0, dense_kind="",
                                 dense_trained_on=0, documents={}, versions={}, skipped={})

    n_chunks = 0

    def dense_search(self, vector, n, docs=None):
        return np.zeros(0, np.float32), np.zeros(0, np.int64)

    def keyword_search(self, query, n, docs=None):
        return np.zeros(0, np.float32), np.zeros(0, np.int64)

    def keyword_scores(self, query, rows):
        return np.zeros(len(rows), np.float32)

    def chunk(self, row):
        raise KeyError(row)

    def vector(self, row):
        raise KeyError(row)

    def knows_word(self, stemmed):
        return False

    def all_chunks(self):
        return []

    def close(self) -> None:
        pass


def build_index(settings: Settings, embedder: Embedder | None = None, rebuild: bool = False, progress: bool = True,
                on_step: Callable[[str], None] | None = None, force: frozenset[str] = frozenset()) -> BuildReport:
    """Bring the index up to date with the corpus folder; only new and changed documents are embedded (and `force`d
    ones). `progress` draws a bar on the terminal; `on_step` is told each step in words (the app shows them). Ctrl-C
    keeps what was finished: the report lists the rest as `pending`, and the next build goes on from there."""
    if settings.index.index_backend is IndexBackend.MILVUS:
        from .milvus import build_milvus_index

        return build_milvus_index(settings, embedder, rebuild, progress, on_step, force)
    from .builder import build_local_index

    return build_local_index(settings, embedder, rebuild, progress, on_step, force)


def clear_index(settings: Settings) -> None:
    """The collection's index removed (its last document was deleted): it reads as an empty index after."""
    if settings.index.index_backend is IndexBackend.MILVUS:
        from .milvus import drop_milvus_index

        drop_milvus_index(settings)
        return
    import shutil

    shutil.rmtree(settings.index_dir, ignore_errors=True)


def stale_documents(index: SearchIndex, corpus_dir: Path) -> list[str]:
    """Documents added, changed or removed in the corpus folder since the index was built (cheap)."""
    from .builder import changed_since

    return changed_since(index.manifest, corpus_dir)
