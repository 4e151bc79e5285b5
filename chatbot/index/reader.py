"""Reading the embedded store: the live build held open (a shared lock keeps it on disk while read), its manifest
checked, FAISS and BM25 loaded, chunks and vectors read from their document's segment on first use.

Layout under `index_dir` (written by builder.py):
    CURRENT              the live build's folder name, replaced atomically
    .lock                held by the one writer
    build-<id>/
        manifest.json    what the index depends on; each document's hash, row range and segment
        segments/        per document: <segment>.chunks.jsonl, .vectors.npy, .tokens.txt (BM25 tokens)
        dense.faiss      FAISS (exact, or IVF at scale) with rows as ids
        keyword/<shard>/ BM25 (bm25s) over at most keyword_shard_chunks chunks, and their rows
        .readers         every open index holds a shared lock on it
"""
from __future__ import annotations

import fcntl
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from ..config import Settings
from ..errors import IndexDamagedError, IndexMismatchError, IndexMissingError
from ..fileutils import load_array
from ..ingest.chunking import Chunk
from ..textutils import keyword_tokens
from .dense import DenseIndex
from .keyword import KeywordIndex
from .manifest import DocumentEntry, Manifest, ManifestFormatError

REBUILD_HINT = "rebuild it with `python -m chatbot index --rebuild`"
_SEGMENT_CACHE = 256  # segments kept in memory per open index


@dataclass
class LocalIndex:
    path: Path
    manifest: Manifest
    dense: DenseIndex
    keyword: KeywordIndex
    store: ChunkStore
    _reader: IO | None = field(default=None, repr=False)  # the shared lock that keeps this build on disk
    _last_bm25: tuple = field(default=((), None), repr=False)
    exact_max_chunks: int = 50_000  # chosen passages up to this many are searched exactly (IndexSettings.exact_max_chunks)

    @property
    def n_chunks(self) -> int:
        return self.manifest.n_chunks

    def dense_search(self, vector: np.ndarray, n: int, docs: frozenset[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        if docs is None:
            return self.dense.search(vector, n)
        rows = self.rows_of(docs)
        if len(rows) > self.exact_max_chunks:  # many chosen: FAISS with a selector (IVF: within the probed clusters)
            return self.dense.search(vector, n, rows)
        # A few chosen documents: exactly, over their own vectors (an IVF search would only see the probed clusters).
        vectors = np.concatenate([np.asarray(self.store.segment(e)[1]) for e in self._entries_of(docs)]) if len(rows) else None
        if vectors is None:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = vectors @ vector
        best = np.argsort(-scores, kind="stable")[:n]
        return scores[best].astype(np.float32), rows[best]

    def _entries_of(self, docs: frozenset[str]):
        return [self.manifest.documents[d] for d in sorted(docs) if d in self.manifest.documents]

    def keyword_search(self, query: str, n: int, docs: frozenset[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        scores = self._bm25(keyword_tokens([query])[0])
        if docs is not None:  # the other documents' rows score nothing: the filter before the ranking
            scores = np.where(np.isin(self.keyword.rows, self.rows_of(docs)), scores, 0.0)
        best = np.argsort(-scores, kind="stable")[:n] if n >= self.keyword.size else _top(scores, n)
        best = best[scores[best] > 0]
        return scores[best], self.keyword.rows[best]

    def rows_of(self, docs: frozenset[str]) -> np.ndarray:
        """The rows of the given documents (those the index holds), in the order `_entries_of` gives them."""
        entries = self._entries_of(docs)
        return (np.concatenate([np.arange(e.first_row, e.first_row + e.n_chunks) for e in entries]) if entries
                else np.zeros(0, np.int64))

    def keyword_scores(self, query: str, rows: np.ndarray) -> np.ndarray:
        return self._bm25(keyword_tokens([query])[0])[self.keyword.positions(np.asarray(rows))]

    def _bm25(self, tokens: list[str]) -> np.ndarray:
        """Every chunk's BM25 score; the last query's are kept (a search asks twice: its top n, then its results)."""
        key, scores = self._last_bm25
        if key != tuple(tokens):
            scores = self.keyword.scores(tokens)
            self._last_bm25 = (tuple(tokens), scores)
        return scores

    def chunk(self, row: int) -> Chunk:
        return self.store.chunk(row)

    def vector(self, row: int) -> np.ndarray:
        return self.store.vector(row)

    def knows_word(self, stemmed: str) -> bool:
        return self.keyword.knows(stemmed)

    def all_chunks(self) -> list[Chunk]:
        """Every chunk in row order (reads every segment: for small collections and tests)."""
        return [c for entry in self.store.entries for c in self.store.segment(entry)[0]]

    def close(self) -> None:
        if self._reader:
            self._reader.close()
            self._reader = None


class ChunkStore:
    """Row number -> chunk and vector, read from the document's segment on first use and kept."""

    def __init__(self, folder: Path, documents: dict[str, DocumentEntry]):
        self.folder = folder
        self.entries = sorted(documents.values(), key=lambda e: e.first_row)
        self._starts = np.array([e.first_row for e in self.entries], dtype=np.int64)
        self._cache: OrderedDict[str, tuple[list[Chunk], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()  # sessions of the app search at the same time

    def chunk(self, row: int) -> Chunk:
        entry = self._entry(row)
        return self.segment(entry)[0][row - entry.first_row]

    def vector(self, row: int) -> np.ndarray:
        entry = self._entry(row)
        return self.segment(entry)[1][row - entry.first_row]

    def segment(self, entry: DocumentEntry) -> tuple[list[Chunk], np.ndarray]:
        with self._lock:
            found = self._cache.get(entry.segment)
        if found is None:
            found = read_segment(self.folder, entry.segment)
            with self._lock:
                self._cache[entry.segment] = found
                if len(self._cache) > _SEGMENT_CACHE:
                    self._cache.popitem(last=False)
        return found

    def _entry(self, row: int) -> DocumentEntry:
        i = int(np.searchsorted(self._starts, row, side="right")) - 1
        if i < 0 or row >= self.entries[i].first_row + self.entries[i].n_chunks:
            raise IndexDamagedError(f"The index has no chunk {row}; {REBUILD_HINT}.", "unknown row")
        return self.entries[i]


def open_local_index(settings: Settings) -> LocalIndex:
    """The live build, held open for reading; typed errors say what is wrong and how to fix it."""
    for _ in range(3):  # a writer may swap builds between reading CURRENT and locking it: look again
        build = current_build(settings.index_dir)
        if build is None:
            raise IndexMissingError(f"There is no index in {settings.index_dir} yet; build it with `python -m chatbot index`.", "no index")
        reader = _hold(build)
        if reader is not None:
            break
    else:
        raise IndexDamagedError(f"The index in {settings.index_dir} kept changing while it was read; try again.", "kept changing")
    try:
        return _open_build(build, settings, reader)
    except BaseException:
        reader.close()
        raise


def _open_build(build: Path, settings: Settings, reader: IO) -> LocalIndex:
    try:
        manifest = Manifest.from_json((build / "manifest.json").read_text(encoding="utf-8"))
    except ManifestFormatError as exc:
        raise IndexMismatchError(f"The index was built with {exc}; {REBUILD_HINT}.", str(exc)) from None
    except (OSError, ValueError) as exc:
        raise _damaged(settings, exc) from None
    problem = manifest.mismatch(settings)
    if problem:
        raise IndexMismatchError(f"The index was built with {problem}; {REBUILD_HINT}.", problem)
    try:
        dense = DenseIndex.load(build / "dense.faiss", manifest.dense_kind, settings.index)
        keyword = KeywordIndex.load(build / "keyword")
        if not (dense.size == keyword.size == manifest.n_chunks):
            raise ValueError(f"chunk counts disagree (manifest {manifest.n_chunks}, FAISS {dense.size}, BM25 {keyword.size})")
        store = ChunkStore(build / "segments", manifest.documents)
        for entry in manifest.documents.values():
            if not (build / "segments" / f"{entry.segment}.chunks.jsonl").is_file():
                raise ValueError(f"segment {entry.segment} is missing")
    except Exception as exc:  # truncated, edited or missing files: all mean the same to a user
        raise _damaged(settings, exc) from None
    return LocalIndex(build, manifest, dense, keyword, store, reader, exact_max_chunks=settings.index.exact_max_chunks)


def _damaged(settings: Settings, exc: Exception) -> IndexDamagedError:
    reason = f"{type(exc).__name__}: {exc}"
    return IndexDamagedError(f"The index in {settings.index_dir} is damaged ({reason}); {REBUILD_HINT}.", f"damaged index ({reason})")


def _hold(build: Path) -> IO | None:
    """A shared lock on the build, so no writer deletes it while it is read; None if it is already gone."""
    try:
        reader = open(build / ".readers", "a")  # noqa: SIM115 - held open for the life of the index
    except OSError:
        return None
    fcntl.flock(reader, fcntl.LOCK_SH)
    if not (build / "manifest.json").exists():  # deleted while we waited for the lock
        reader.close()
        return None
    return reader


def read_segment(folder: Path, name: str) -> tuple[list[Chunk], np.ndarray]:
    lines = (folder / f"{name}.chunks.jsonl").read_text(encoding="utf-8").splitlines()
    chunks = [_chunk_from_json(json.loads(line)) for line in lines]
    return chunks, load_array(folder / f"{name}.vectors.npy", mmap_mode="r")


def _chunk_from_json(record: dict) -> Chunk:
    """JSON has lists where a Chunk has tuples (chunks are compared and hashed)."""
    record["flagged"] = tuple(map(tuple, record.get("flagged", ())))
    record["page_breaks"] = tuple(record.get("page_breaks", ()))
    return Chunk(**record)


def current_build(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except OSError:
        return None
    return index_dir / name if name and (index_dir / name).is_dir() else None


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n highest scores, best first (ties: earlier position first)."""
    part = np.argpartition(-scores, n - 1)[:n]
    return part[np.lexsort((part, -scores[part]))]
