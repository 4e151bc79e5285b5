"""The index: FAISS over normalised embeddings plus BM25 over the same chunks, with a manifest.

Layout under `index_dir`:
    CURRENT            name of the live build folder (replaced atomically)
    build-<id>/        manifest.json, chunks.jsonl, embeddings.npy, dense.faiss, bm25/
A build is written into a fresh folder and goes live only when CURRENT is swapped, so a build that
dies midway leaves the previous index untouched. Unchanged documents keep their chunks and vectors.
"""
from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import bm25s
import faiss
import numpy as np

from .chunking import Chunk, chunk_document
from .config import Settings
from .documents import Document, load_corpus
from .embeddings import Embedder
from .errors import ChatbotError
from .fileutils import atomic_write_text
from .textutils import keyword_tokens

FORMAT_VERSION = 1
_REBUILD_HINT = "rebuild it with `python -m chatbot index --rebuild`"


@dataclass
class Index:
    path: Path
    manifest: dict
    chunks: list[Chunk]
    vectors: np.ndarray
    dense: faiss.Index
    bm25: bm25s.BM25


@dataclass(frozen=True)
class BuildReport:
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]
    n_chunks: int
    seconds: float
    reason: str = ""  # why everything was re-embedded, if it was

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.reason)


def load_index(settings: Settings) -> Index:
    build_dir = _current_build(settings.index_dir)
    if build_dir is None:
        raise ChatbotError(f"There is no index in {settings.index_dir} yet; build it with `python -m chatbot index`.")
    try:
        manifest = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
        problem = manifest_mismatch(manifest, settings)
        if problem:
            raise ChatbotError(f"The index was built with {problem}; {_REBUILD_HINT}.")
        chunks = [Chunk(**json.loads(line)) for line in (build_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
        vectors = np.load(build_dir / "embeddings.npy")
        dense = faiss.read_index(str(build_dir / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(build_dir / "bm25"), show_progress=False)
        if not (len(chunks) == vectors.shape[0] == dense.ntotal == manifest["n_chunks"]):
            raise ValueError("chunk counts disagree")
    except ChatbotError:
        raise
    except Exception as exc:  # truncated, edited or missing files: all mean the same to a user
        raise ChatbotError(f"The index in {settings.index_dir} is damaged ({type(exc).__name__}: {exc}); {_REBUILD_HINT}.") from None
    return Index(build_dir, manifest, chunks, vectors, dense, bm25)


def manifest_mismatch(manifest: dict, settings: Settings) -> str:
    """'' when the index fits the settings, else what differs, phrased for the user."""
    if manifest.get("format") != FORMAT_VERSION:
        return f"index format {manifest.get('format')}, but this version reads format {FORMAT_VERSION}"
    if manifest.get("embedding_model") != settings.embedding_model:
        return f"embedding model {manifest.get('embedding_model')!r}, but the settings ask for {settings.embedding_model!r}"
    if manifest.get("chunker") != settings.chunker_signature():
        return f"chunker settings {manifest.get('chunker')}, but the settings ask for {settings.chunker_signature()}"
    return ""


def stale_documents(index: Index, settings: Settings) -> list[str]:
    """Documents added, changed or removed in the corpus folder since the index was built."""
    docs = {d.doc_id: d.sha256 for d in load_corpus(settings.corpus_dir)}
    indexed = {doc_id: info["sha256"] for doc_id, info in index.manifest["documents"].items()}
    return sorted(k for k in docs.keys() | indexed.keys() if docs.get(k) != indexed.get(k))


def build_index(settings: Settings, embedder: Embedder | None = None, rebuild: bool = False, progress: bool = True) -> BuildReport:
    """Bring the index up to date with the corpus folder; re-embeds only what changed."""
    started = time.perf_counter()
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time (CLI, app upload)
        docs = load_corpus(settings.corpus_dir)
        if not docs:
            raise ChatbotError(f"There are no .txt or .md documents in {settings.corpus_dir}; add some and index again.")
        previous, reason = _reusable_previous(settings, rebuild)
        old_docs = previous.manifest["documents"] if previous else {}
        report = BuildReport(
            added=[d.doc_id for d in docs if d.doc_id not in old_docs],
            updated=[d.doc_id for d in docs if d.doc_id in old_docs and old_docs[d.doc_id]["sha256"] != d.sha256],
            removed=sorted(set(old_docs) - {d.doc_id for d in docs}),
            unchanged=[d.doc_id for d in docs if d.doc_id in old_docs and old_docs[d.doc_id]["sha256"] == d.sha256],
            n_chunks=0, seconds=0.0, reason=reason,
        )
        if previous and not report.changed:
            return dataclasses.replace(report, n_chunks=len(previous.chunks), seconds=time.perf_counter() - started)
        embedder = embedder or Embedder(settings)
        chunks, vectors = _chunks_and_vectors(docs, previous, set(report.unchanged), settings, embedder, progress)
        _write_build(settings, docs, chunks, vectors, embedder.dimension)
    return dataclasses.replace(report, n_chunks=len(chunks), seconds=time.perf_counter() - started)


def _reusable_previous(settings: Settings, rebuild: bool) -> tuple[Index | None, str]:
    if rebuild:
        return None, "rebuild requested"
    if _current_build(settings.index_dir) is None:
        return None, ""
    try:
        return load_index(settings), ""
    except ChatbotError as exc:
        return None, str(exc).split(";")[0]  # mismatched or damaged: start over


def _chunks_and_vectors(docs: list[Document], previous: Index | None, unchanged: set[str], settings: Settings,
                        embedder: Embedder, progress: bool) -> tuple[list[Chunk], np.ndarray]:
    chunks: list[Chunk] = []
    rows: list[np.ndarray] = []
    to_embed: list[Chunk] = []
    for doc in docs:
        if previous and doc.doc_id in unchanged:
            keep = [i for i, c in enumerate(previous.chunks) if c.doc_id == doc.doc_id]
            chunks.extend(previous.chunks[i] for i in keep)
            rows.append(previous.vectors[keep])
        else:
            new = chunk_document(doc, settings.chunk_target_chars, settings.chunk_overlap_sentences)
            chunks.extend(new)
            to_embed.extend(new)
            rows.append(np.zeros((len(new), embedder.dimension), dtype=np.float32))  # filled below
    vectors = np.concatenate(rows) if rows else np.zeros((0, embedder.dimension), dtype=np.float32)
    if to_embed:
        fresh = embedder.embed([c.embedding_text() for c in to_embed], progress=progress)
        position = {c.chunk_id: i for i, c in enumerate(chunks)}
        vectors[[position[c.chunk_id] for c in to_embed]] = fresh
    return chunks, vectors


def _write_build(settings: Settings, docs: list[Document], chunks: list[Chunk], vectors: np.ndarray, dim: int) -> None:
    root = settings.index_dir
    build_name = f"build-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    tmp_dir = root / f".{build_name}.tmp"
    try:
        tmp_dir.mkdir()
        with open(tmp_dir / "chunks.jsonl", "w", encoding="utf-8") as f:
            for chunk in chunks:
                f.write(json.dumps(dataclasses.asdict(chunk), ensure_ascii=False) + "\n")
        np.save(tmp_dir / "embeddings.npy", vectors)
        dense = faiss.IndexFlatIP(dim)  # exact search: the collection is small, and exact is always right
        dense.add(vectors)
        faiss.write_index(dense, str(tmp_dir / "dense.faiss"))
        bm25 = bm25s.BM25()
        bm25.index(keyword_tokens([c.embedding_text() for c in chunks]), show_progress=False)
        bm25.save(str(tmp_dir / "bm25"), show_progress=False)
        manifest = {
            "format": FORMAT_VERSION,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "embedding_model": settings.embedding_model,
            "embedding_dim": dim,
            "chunker": settings.chunker_signature(),
            "n_chunks": len(chunks),
            "documents": {d.doc_id: {"sha256": d.sha256, "title": d.title,
                                     "n_chunks": sum(c.doc_id == d.doc_id for c in chunks)} for d in docs},
            "versions": {name: version(name) for name in ("faiss-cpu", "bm25s", "sentence-transformers", "numpy")},
        }
        (tmp_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.replace(tmp_dir, root / build_name)
        atomic_write_text(root / "CURRENT", build_name)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    for old in root.glob("build-*"):
        if old.name != build_name:
            shutil.rmtree(old, ignore_errors=True)


def _current_build(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except OSError:
        return None
    return index_dir / name if name and (index_dir / name).is_dir() else None
