"""The index on disk: versioned builds made of per-document segments, brought up to date incrementally.

Layout under `index_dir`:
    CURRENT              the live build's folder name, replaced atomically
    .lock                held by the one writer (CLI `index`, an app upload)
    build-<id>/
        manifest.json    what the index depends on; each document's hash, row range and segment
        segments/        per document: <segment>.chunks.jsonl, .vectors.npy, .tokens.txt (BM25 tokens)
        dense.faiss      FAISS (exact, or IVF at scale) with rows as ids
        keyword/<shard>/ BM25 (bm25s) over at most keyword_shard_chunks chunks, and their rows
        .readers         every open Index holds a shared lock on it
A build is written into a hidden temporary folder and goes live when CURRENT is swapped, so a build
that dies midway leaves the previous index in use (its leftovers are removed by the next build). Per
build, the work follows the change: unchanged documents are not read again (same size and time) and
their segments are hard links to the previous build's files; the dense index is updated by removing
and adding rows; only the BM25 shards that hold a changed document are rebuilt, from the stored
tokens. An old build is deleted once no reader holds it.
"""
from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import IO

import numpy as np
from tqdm import tqdm

from ..config import Settings
from ..errors import ChatbotError, IndexDamagedError, IndexMismatchError, IndexMissingError, IndexUnusableError
from ..fileutils import atomic_write_text, file_sha256
from ..ingest.chunking import Chunk, chunk_document, chunker_signature
from ..ingest.documents import Document, load_document, scan_corpus
from ..ingest.formats import describe_supported
from ..textutils import keyword_tokens
from .dense import FLAT, IVF, DenseIndex, kind_for
from .embeddings import Embedder
from .keyword import KeywordIndex, Shard
from .manifest import SkippedEntry, FORMAT_VERSION, DocumentEntry, Manifest, ManifestFormatError

_REBUILD_HINT = "rebuild it with `python -m chatbot index --rebuild`"
_SEGMENT_CACHE = 256  # segments kept in memory per open index


@dataclass
class Index:
    path: Path
    manifest: Manifest
    dense: DenseIndex
    keyword: KeywordIndex
    store: "ChunkStore"
    _reader: IO | None = field(default=None, repr=False)  # the shared lock that keeps this build on disk

    @property
    def n_chunks(self) -> int:
        return self.manifest.n_chunks

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
            raise IndexDamagedError(f"The index has no chunk {row}; {_REBUILD_HINT}.", "unknown row")
        return self.entries[i]


@dataclass(frozen=True)
class BuildReport:
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]
    n_chunks: int
    seconds: float
    reason: str = ""  # why everything was re-embedded, if it was
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)  # files not indexed -> why, and the fix

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.reason)


# ---------------------------------------------------------------- reading

def load_index(settings: Settings) -> Index:
    """The live build, held open for reading; typed errors say what is wrong and how to fix it."""
    for _ in range(3):  # a writer may swap builds between reading CURRENT and locking it: look again
        build = _current_build(settings.index_dir)
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


def _open_build(build: Path, settings: Settings, reader: IO) -> Index:
    try:
        manifest = Manifest.from_json((build / "manifest.json").read_text(encoding="utf-8"))
    except ManifestFormatError as exc:
        raise IndexMismatchError(f"The index was built with {exc}; {_REBUILD_HINT}.", str(exc)) from None
    except (OSError, ValueError) as exc:
        raise _damaged(settings, exc) from None
    problem = manifest.mismatch(settings)
    if problem:
        raise IndexMismatchError(f"The index was built with {problem}; {_REBUILD_HINT}.", problem)
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
    return Index(build, manifest, dense, keyword, store, reader)


def _damaged(settings: Settings, exc: Exception) -> IndexDamagedError:
    reason = f"{type(exc).__name__}: {exc}"
    return IndexDamagedError(f"The index in {settings.index_dir} is damaged ({reason}); {_REBUILD_HINT}.", f"damaged index ({reason})")


def _hold(build: Path) -> IO | None:
    """A shared lock on the build, so no writer deletes it while it is read; None if it is already gone."""
    try:
        reader = open(build / ".readers", "a")
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
    return chunks, np.load(folder / f"{name}.vectors.npy", mmap_mode="r")


def _chunk_from_json(record: dict) -> Chunk:
    """JSON has lists where a Chunk has tuples (chunks are compared and hashed)."""
    record["flagged"] = tuple(map(tuple, record.get("flagged", ())))
    record["page_breaks"] = tuple(record.get("page_breaks", ()))
    return Chunk(**record)


def stale_documents(index: Index, corpus_dir: Path) -> list[str]:
    """Documents added, changed or removed in the corpus folder since the index was built.

    Cheap: a file whose size and modification time match the manifest is not read.
    """
    indexed, skipped = index.manifest.documents, index.manifest.skipped
    current = {p.name: p for p in scan_corpus(corpus_dir)[0]}
    stale = [name for name in indexed if name not in current]
    for name, path in current.items():
        entry = indexed.get(name)
        if name in skipped and _same_stat(path, skipped[name]):
            continue  # still the file that could not be indexed
        if entry is None or (not _same_stat(path, entry) and file_sha256(path) != entry.sha256):
            stale.append(name)
    return sorted(stale)


def _same_stat(path: Path, entry: DocumentEntry | SkippedEntry) -> bool:
    st = path.stat()
    return st.st_size == entry.size and st.st_mtime_ns == entry.mtime_ns


def _current_build(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except OSError:
        return None
    return index_dir / name if name and (index_dir / name).is_dir() else None


# ---------------------------------------------------------------- building

_EMBED_BATCH_DOCS = 256  # documents chunked and embedded at a time: memory stays bounded at any collection size


@dataclass
class _Plan:
    """What a build keeps from the previous one and what it must (re)index."""
    keep: dict[str, DocumentEntry]  # unchanged documents, by doc id
    index: list[Path]  # new or changed documents
    drop_rows: list[np.ndarray]  # rows of changed or removed documents
    changed_shards: set[str]  # BM25 shards that held a changed or removed document
    report: BuildReport
    skipped: dict[str, SkippedEntry]  # files that cannot be indexed (more are found while reading)
    skips_changed: bool  # the set of skipped files differs from the previous build's


def build_index(settings: Settings, embedder: Embedder | None = None, rebuild: bool = False, progress: bool = True,
                on_step: Callable[[str], None] | None = None) -> BuildReport:
    """Bring the index up to date with the corpus folder; only new and changed documents are embedded.
    `progress` draws a bar on the terminal; `on_step` is told each step in words (the app shows them)."""
    started = time.perf_counter()
    root = settings.index_dir
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time
        _remove_leftovers(root)
        previous, reason = _previous_index(settings, rebuild)
        try:
            plan = _plan(settings, previous, reason)
            if previous and not plan.report.changed and not plan.skips_changed:
                return dataclasses.replace(plan.report, n_chunks=previous.n_chunks, seconds=time.perf_counter() - started,
                                           skipped=_reasons(plan.skipped))
            embedder = embedder or Embedder(settings.embedding_model, settings.model_cache_dir)
            n_chunks = _write_build(settings, previous, plan, embedder, progress, on_step or (lambda _: None))
        finally:
            if previous:
                previous.close()
        _remove_old_builds(root)
    report = plan.report
    failed = set(plan.skipped) & set(report.added)
    return dataclasses.replace(report, added=[d for d in report.added if d not in failed], n_chunks=n_chunks,
                               seconds=time.perf_counter() - started, skipped=_reasons(plan.skipped))


def _skipped_entry(path: Path, reason: str) -> SkippedEntry:
    st = path.lstat()
    return SkippedEntry(st.st_size, st.st_mtime_ns, reason)


def _reasons(skipped: dict[str, SkippedEntry]) -> dict[str, str]:
    return {name: entry.reason for name, entry in sorted(skipped.items())}


def _load_or_skip(path: Path, skipped: dict[str, SkippedEntry]) -> Document | None:
    """The document, or None with the reason recorded: one bad file never blocks a collection."""
    try:
        return load_document(path)
    except ChatbotError as exc:
        skipped[path.name] = _skipped_entry(path, str(exc).removeprefix(path.name).strip().rstrip("."))
        return None


def _previous_index(settings: Settings, rebuild: bool) -> tuple[Index | None, str]:
    if rebuild:
        return None, "rebuild requested"
    try:
        return load_index(settings), ""
    except IndexMissingError:
        return None, ""
    except IndexUnusableError as exc:  # other settings, or damaged: start over, and say why
        return None, exc.reason


def _plan(settings: Settings, previous: Index | None, reason: str) -> _Plan:
    paths, unlisted = scan_corpus(settings.corpus_dir, settings.index.max_bytes)
    if not paths:
        why = "".join(f" {name} {reason}." for name, reason in unlisted.items())
        raise ChatbotError(f"There are no documents ({describe_supported()}) in {settings.corpus_dir}; add some and index again.{why}")
    old = previous.manifest.documents if previous else {}
    old_skipped = previous.manifest.skipped if previous else {}
    keep, index, added, updated, unchanged = {}, [], [], [], []
    skipped = {name: _skipped_entry(settings.corpus_dir / name, reason) for name, reason in unlisted.items()}
    for path in paths:
        entry = old.get(path.name)
        if path.name in old_skipped and _same_stat(path, old_skipped[path.name]):
            skipped[path.name] = old_skipped[path.name]  # the same unreadable file: not tried again
        elif entry and _same_stat(path, entry):
            keep[path.name] = entry
            unchanged.append(path.name)
        elif entry and file_sha256(path) == entry.sha256:  # touched, not changed (its new time is noted if a build happens)
            st = path.stat()
            keep[path.name] = dataclasses.replace(entry, size=st.st_size, mtime_ns=st.st_mtime_ns)
            unchanged.append(path.name)
        else:
            index.append(path)
            (updated if entry else added).append(path.name)
    removed = sorted(set(old) - {p.name for p in paths} | (set(old) & set(skipped)))
    updated = [name for name in updated if name not in removed]
    gone = [old[d] for d in [*updated, *removed]]
    return _Plan(keep, index, [np.arange(e.first_row, e.first_row + e.n_chunks) for e in gone], {e.keyword_shard for e in gone},
                 BuildReport(added, updated, removed, unchanged, 0, 0.0, reason), skipped,
                 skipped.keys() != old_skipped.keys())


def _write_build(settings: Settings, previous: Index | None, plan: _Plan, embedder: Embedder, progress: bool,
                 on_step: Callable[[str], None]) -> int:
    root = settings.index_dir
    name = f"build-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    tmp = root / f".{name}.tmp"
    segments = tmp / "segments"
    segments.mkdir(parents=True)
    try:
        documents = dict(plan.keep)
        for entry in plan.keep.values():  # unchanged: share the previous build's files
            for suffix in (".chunks.jsonl", ".vectors.npy", ".tokens.txt"):
                _link_or_copy(previous.path / "segments" / f"{entry.segment}{suffix}", segments / f"{entry.segment}{suffix}")
        next_row = previous.manifest.next_row if previous else 0
        added_rows, added_vectors = [], []
        with tqdm(total=len(plan.index), unit="doc", desc="Indexing", disable=not progress or not plan.index) as bar:
            for start in range(0, len(plan.index), _EMBED_BATCH_DOCS):
                docs = []
                for i, path in enumerate(plan.index[start:start + _EMBED_BATCH_DOCS], start + 1):
                    on_step(f"Converting {path.name} ({i} of {len(plan.index)})…")
                    docs.append(_load_or_skip(path, plan.skipped))
                batch = [(doc, chunk_document(doc, settings.chunking)) for doc in docs if doc is not None]
                on_step(f"Embedding {sum(len(chunks) for _, chunks in batch)} passages…")
                vectors = embedder.embed([c.embedding_text() for _, chunks in batch for c in chunks])
                at = 0
                for doc, chunks in batch:
                    documents[doc.doc_id] = _write_segment(segments, doc, chunks, vectors[at:at + len(chunks)], next_row)
                    added_rows.append(np.arange(next_row, next_row + len(chunks)))
                    next_row, at = next_row + len(chunks), at + len(chunks)
                added_vectors.append(vectors)
                bar.update(len(batch))
        if not documents:
            why = " ".join(f"{name} {entry.reason}." for name, entry in sorted(plan.skipped.items()))
            raise ChatbotError(f"No document in {settings.corpus_dir} could be indexed: {why}")
        n_chunks = sum(e.n_chunks for e in documents.values())
        new = (np.concatenate(added_vectors) if added_vectors else np.zeros((0, embedder.dimension), np.float32),
               np.concatenate(added_rows) if added_rows else np.zeros(0, np.int64))
        dense, trained_on = _dense_index(settings, previous, plan, documents, segments, new, embedder.dimension)
        dense.save(tmp / "dense.faiss")
        del dense, new, added_vectors
        documents = _keyword_shards(settings, previous, plan, documents, segments, tmp / "keyword")
        manifest = Manifest(
            format=FORMAT_VERSION, built_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            embedding_model=settings.embedding_model, embedding_dim=embedder.dimension, chunker=chunker_signature(settings.chunking),
            n_chunks=n_chunks, next_row=next_row, dense_kind=kind_for(n_chunks, settings.index), dense_trained_on=trained_on,
            documents=dict(sorted(documents.items())),
            versions={lib: version(lib) for lib in ("faiss-cpu", "bm25s", "sentence-transformers", "numpy")},
            skipped=dict(sorted(plan.skipped.items())),
        )
        on_step("Writing the index…")
        (tmp / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        os.replace(tmp, root / name)
        atomic_write_text(root / "CURRENT", name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return n_chunks


def _write_segment(folder: Path, doc: Document, chunks: list[Chunk], vectors: np.ndarray, first_row: int) -> DocumentEntry:
    segment = f"{first_row:012d}-{doc.sha256[:12]}"
    with open(folder / f"{segment}.chunks.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(dataclasses.asdict(c), ensure_ascii=False) + "\n" for c in chunks)
    np.save(folder / f"{segment}.vectors.npy", np.asarray(vectors, dtype=np.float32))
    tokens = keyword_tokens([c.embedding_text() for c in chunks]) if chunks else []
    (folder / f"{segment}.tokens.txt").write_text("".join(" ".join(t) + "\n" for t in tokens), encoding="utf-8")
    st = doc.path.stat()
    return DocumentEntry(doc.sha256, st.st_size, st.st_mtime_ns, doc.title, first_row, len(chunks), segment, keyword_shard="")


def _dense_index(settings: Settings, previous: Index | None, plan: _Plan, documents: dict[str, DocumentEntry],
                 segments: Path, new: tuple[np.ndarray, np.ndarray], dim: int) -> tuple[DenseIndex, int]:
    """The previous dense index with the change applied, when it is still the right kind; else a new one."""
    n = sum(e.n_chunks for e in documents.values())
    kind = kind_for(n, settings.index)
    old = previous.manifest if previous else None
    # IVF clusters trained on far fewer chunks than the collection now holds no longer fit it: retrain.
    if old and old.dense_kind == kind and (kind == FLAT or n <= 2 * old.dense_trained_on):
        dense = previous.dense
        dense.remove(np.concatenate(plan.drop_rows) if plan.drop_rows else np.empty(0, dtype=np.int64))
        dense.add(*new)
        return dense, old.dense_trained_on
    entries = sorted(documents.values(), key=lambda e: e.first_row)
    vectors = np.concatenate([np.load(segments / f"{e.segment}.vectors.npy") for e in entries]) if entries else np.zeros((0, dim), np.float32)
    rows = np.concatenate([np.arange(e.first_row, e.first_row + e.n_chunks) for e in entries]) if entries else np.zeros(0, np.int64)
    return DenseIndex.build(vectors, rows, dim, settings.index), (n if kind == IVF else 0)


def _keyword_shards(settings: Settings, previous: Index | None, plan: _Plan, documents: dict[str, DocumentEntry],
                    segments: Path, folder: Path) -> dict[str, DocumentEntry]:
    """Write the BM25 shards: new documents go to the newest shard while it has room; only shards whose
    documents changed are rebuilt, the others are the previous build's files. Returns the entries with
    their shard."""
    capacity = settings.index.keyword_shard_chunks
    by_shard: dict[str, list[DocumentEntry]] = {}
    for entry in plan.keep.values():
        by_shard.setdefault(entry.keyword_shard, []).append(entry)
    newest = max(by_shard, key=lambda s: max(e.first_row for e in by_shard[s]), default=None)
    rebuild = set(plan.changed_shards) & set(by_shard)
    new_entries = sorted(((d, e) for d, e in documents.items() if not e.keyword_shard), key=lambda de: de[1].first_row)
    current, size = newest, sum(e.n_chunks for e in by_shard.get(newest, []))
    for doc_id, entry in new_entries:
        if current is None or (size and size + entry.n_chunks > capacity):
            current, size = f"k{entry.first_row:012d}", 0
        documents[doc_id] = entry = dataclasses.replace(entry, keyword_shard=current)
        by_shard.setdefault(current, []).append(entry)
        rebuild.add(current)
        size += entry.n_chunks
    folder.mkdir()
    for shard, entries in by_shard.items():
        if shard in rebuild:
            _build_shard(shard, entries, segments).save(folder / shard)
        else:
            (folder / shard).mkdir()
            for f in (previous.path / "keyword" / shard).iterdir():
                _link_or_copy(f, folder / shard / f.name)
    return documents


def _build_shard(name: str, entries: list[DocumentEntry], segments: Path) -> Shard:
    tokens: list[list[str]] = []
    for e in sorted(entries, key=lambda e: e.first_row):
        lines = (segments / f"{e.segment}.tokens.txt").read_text(encoding="utf-8").split("\n")[: e.n_chunks]
        tokens.extend(line.split() for line in lines)
    rows = np.concatenate([np.arange(e.first_row, e.first_row + e.n_chunks) for e in sorted(entries, key=lambda e: e.first_row)])
    return Shard.build(name, tokens, rows)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links
        shutil.copy2(src, dst)


def _remove_leftovers(root: Path) -> None:
    """Temporary folders of builds that were killed (only the lock holder builds, and it holds the lock)."""
    for tmp in root.glob(".build-*.tmp"):
        shutil.rmtree(tmp, ignore_errors=True)


def _remove_old_builds(root: Path) -> None:
    """Every build but the live one, unless a reader still holds it (it goes at a later build)."""
    live = _current_build(root)
    for build in root.glob("build-*"):
        if build == live:
            continue
        try:
            with open(build / ".readers", "a") as readers:
                fcntl.flock(readers, fcntl.LOCK_EX | fcntl.LOCK_NB)
                (build / "manifest.json").unlink(missing_ok=True)  # first: a reader that gets in next sees it is gone
                shutil.rmtree(build, ignore_errors=True)
        except BlockingIOError:
            continue  # in use
        except OSError:
            shutil.rmtree(build, ignore_errors=True)
