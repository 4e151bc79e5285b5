"""Building the embedded store: versioned builds made of per-document segments, brought up to date incrementally.

A build is written into a hidden temporary folder and goes live when CURRENT is swapped, so a build that dies
midway leaves the previous index in use (cleanup.py removes its leftovers at the next build). Per build, the work
follows the change: unchanged documents are not read again (same size and time) and their segments are hard links
to the previous build's files; the dense index is updated by removing and adding rows; only the BM25 shards that
hold a changed document are rebuilt, from the stored tokens.
"""
from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..config import Settings
from ..errors import ChatbotError, IndexMissingError, IndexUnusableError, NoDocumentsError
from ..fileutils import atomic_write_text, file_sha256, load_array
from ..ingest.chunking import Chunk, chunk_document, chunker_signature
from ..ingest.documents import Document, load_document, scan_corpus
from ..ingest.formats import describe_supported
from ..textutils import keyword_tokens
from .backend import BuildReport
from .cleanup import link_or_copy, remove_leftovers, remove_old_builds
from .dense import FLAT, IVF, DenseIndex, kind_for
from .embeddings import Embedder, make_embedder
from .keyword import Shard
from .manifest import FORMAT_VERSION, DocumentEntry, Manifest, SkippedEntry
from .reader import LocalIndex, open_local_index


def changed_since(manifest: Manifest, corpus_dir: Path) -> list[str]:
    """Documents added, changed or removed in the corpus folder since the index was built.

    Cheap: a file whose size and modification time match the manifest is not read.
    """
    indexed, skipped = manifest.documents, manifest.skipped
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


_EMBED_BATCH_DOCS = 32  # documents chunked and embedded at a time: memory stays bounded, and a cancel loses little


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
    renamed: dict[str, tuple[str, DocumentEntry]] = dataclasses.field(default_factory=dict)  # new name -> (old name, its entry)


def build_local_index(settings: Settings, embedder: Embedder | None = None, rebuild: bool = False, progress: bool = True,
                on_step: Callable[[str], None] | None = None, force: frozenset[str] = frozenset()) -> BuildReport:
    """Bring the index up to date with the corpus folder; only new and changed documents are embedded.
    `progress` draws a bar on the terminal; `on_step` is told each step in words (the app shows them)."""
    started = time.perf_counter()
    root = settings.index_dir
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time
        remove_leftovers(root)
        previous, reason = _previous_index(settings, rebuild)
        try:
            plan = plan_build(settings, previous.manifest if previous else None, reason, force)
            if previous and not plan.report.changed and not plan.skips_changed:
                return dataclasses.replace(plan.report, n_chunks=previous.n_chunks, seconds=time.perf_counter() - started,
                                           skipped=_reasons(plan.skipped))
            embedder = embedder or make_embedder(settings)
            n_chunks, documents = _write_build(settings, previous, plan, embedder, progress, on_step or (lambda _: None))
        finally:
            if previous:
                previous.close()
        remove_old_builds(root)
    report = plan.report
    failed = set(plan.skipped) & set(report.added)
    furniture = {d: e.furniture_blocks for d, e in documents.items() if d in report.added + report.updated and e.furniture_blocks}
    pending = [p.name for p in plan.index if p.name not in documents and p.name not in plan.skipped]  # a stop came first
    renamed = {plan.renamed[d][0]: d for d in documents if d in plan.renamed}
    return dataclasses.replace(report, added=[d for d in report.added if d not in failed and d not in pending],
                               updated=[d for d in report.updated if d not in pending], n_chunks=n_chunks,
                               seconds=time.perf_counter() - started, skipped=_reasons(plan.skipped), furniture=furniture,
                               pending=pending, renamed=renamed)


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


def _previous_index(settings: Settings, rebuild: bool) -> tuple[LocalIndex | None, str]:
    if rebuild:
        return None, "rebuild requested"
    try:
        return open_local_index(settings), ""
    except IndexMissingError:
        return None, ""
    except IndexUnusableError as exc:  # other settings, or damaged: start over, and say why
        return None, exc.reason


def plan_build(settings: Settings, previous: Manifest | None, reason: str, force: frozenset[str] = frozenset()) -> _Plan:
    """What a build keeps from the previous one (its manifest) and what it must (re)index, for any backend: `force`
    names documents to index again although unchanged; a new file with the content of a removed one is a rename."""
    paths, unlisted = scan_corpus(settings.corpus_dir, settings.index.max_bytes)
    if not paths:
        why = "".join(f" {name} {reason}." for name, reason in unlisted.items())
        raise NoDocumentsError(f"There are no documents ({describe_supported()}) in {settings.corpus_dir}; add some and index again.{why}")
    old = previous.documents if previous else {}
    old_skipped = previous.skipped if previous else {}
    keep, index, added, updated, unchanged = {}, [], [], [], []
    skipped = {name: _skipped_entry(settings.corpus_dir / name, reason) for name, reason in unlisted.items()}
    for path in paths:
        entry = old.get(path.name)
        if path.name in old_skipped and _same_stat(path, old_skipped[path.name]):
            skipped[path.name] = old_skipped[path.name]  # the same unreadable file: not tried again
        elif entry and path.name not in force and _same_stat(path, entry):
            keep[path.name] = entry
            unchanged.append(path.name)
        elif entry and path.name not in force and file_sha256(path) == entry.sha256:  # touched, not changed
            st = path.stat()
            keep[path.name] = dataclasses.replace(entry, size=st.st_size, mtime_ns=st.st_mtime_ns)
            unchanged.append(path.name)
        else:
            index.append(path)
            (updated if entry else added).append(path.name)
    removed = sorted(set(old) - {p.name for p in paths} | (set(old) & set(skipped)))
    updated = [name for name in updated if name not in removed]
    gone = [old[d] for d in [*updated, *removed]]
    by_hash = {old[d].sha256: (d, old[d]) for d in removed}
    renamed = {name: by_hash[h] for name in added if by_hash and (h := file_sha256(settings.corpus_dir / name)) in by_hash}
    return _Plan(keep, index, [np.arange(e.first_row, e.first_row + e.n_chunks) for e in gone], {e.keyword_shard for e in gone},
                 BuildReport(added, updated, removed, unchanged, 0, 0.0, reason), skipped,
                 skipped.keys() != old_skipped.keys(), renamed)


def _write_build(settings: Settings, previous: LocalIndex | None, plan: _Plan, embedder: Embedder, progress: bool,
                 on_step: Callable[[str], None]) -> tuple[int, dict[str, DocumentEntry]]:
    root = settings.index_dir
    interrupted: BaseException | None = None
    name = f"build-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    tmp = root / f".{name}.tmp"
    segments = tmp / "segments"
    segments.mkdir(parents=True)
    try:
        documents = dict(plan.keep)
        for entry in plan.keep.values():  # unchanged: share the previous build's files
            for suffix in (".chunks.jsonl", ".vectors.npy", ".tokens.txt"):
                link_or_copy(previous.path / "segments" / f"{entry.segment}{suffix}", segments / f"{entry.segment}{suffix}")
        next_row = previous.manifest.next_row if previous else 0
        added_rows, added_vectors = [], []
        old_vectors = (lambda e: load_array(previous.path / "segments" / f"{e.segment}.vectors.npy")) if previous else None
        try:
            for batch in embedded_batches(settings, plan, embedder, progress, on_step, old_vectors):
                for doc, chunks, vectors in batch:
                    documents[doc.doc_id] = _write_segment(segments, doc, chunks, vectors, next_row)
                    added_rows.append(np.arange(next_row, next_row + len(chunks)))
                    added_vectors.append(vectors)
                    next_row += len(chunks)
        except BaseException as stop:  # Ctrl-C, or the app's cancel: keep what is done, consistently
            if not documents:
                raise
            interrupted = stop
            on_step("Stopping: saving the documents finished so far…")
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
            format=FORMAT_VERSION, built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            embedding_model=settings.embedding_model, embedder=getattr(embedder, "source", "in process"),
            embedding_dim=embedder.dimension, chunker=chunker_signature(settings.chunking),
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
    if interrupted is not None and not isinstance(interrupted, KeyboardInterrupt):
        raise interrupted  # another stop (the app's rerun): after the consistent index is in place
    return n_chunks, documents


def embedded_batches(settings: Settings, plan: _Plan, embedder: Embedder, progress: bool, on_step: Callable[[str], None],
                     known_vectors: Callable[[DocumentEntry], np.ndarray] | None = None
                     ) -> Iterator[list[tuple[Document, list[Chunk], np.ndarray]]]:
    """The plan's new and changed documents, read, chunked and embedded a batch at a time (memory stays bounded at
    any collection size); a file that cannot be read is recorded in `plan.skipped` and left out. A renamed file
    takes its old vectors from `known_vectors` (nothing is embedded again)."""
    started, total = time.perf_counter(), len(plan.index)
    with tqdm(total=total, unit="doc", desc="Indexing", disable=not progress or not plan.index) as bar:
        for start in range(0, total, _EMBED_BATCH_DOCS):
            docs = []
            for i, path in enumerate(plan.index[start:start + _EMBED_BATCH_DOCS], start + 1):
                on_step(f"Converting {path.name} ({i} of {total}{_time_left(started, start, total)})…")
                docs.append(_load_or_skip(path, plan.skipped))
            batch = [(doc, chunk_document(doc, settings.chunking)) for doc in docs if doc is not None]
            reused = {doc.doc_id: vectors for doc, chunks in batch if known_vectors and (old := plan.renamed.get(doc.doc_id))
                      and old[1].n_chunks == len(chunks) and len(vectors := known_vectors(old[1])) == len(chunks)}
            fresh = [c.embedding_text() for doc, chunks in batch if doc.doc_id not in reused for c in chunks]
            on_step(f"Embedding {len(fresh)} passages (files {start + 1}–{start + len(docs)} of {total}"
                    f"{_time_left(started, start, total)})…")
            vectors = embedder.embed(fresh)
            out, at = [], 0
            for doc, chunks in batch:
                if doc.doc_id in reused:
                    out.append((doc, chunks, reused[doc.doc_id]))
                else:
                    out.append((doc, chunks, vectors[at:at + len(chunks)]))
                    at += len(chunks)
            yield out
            bar.update(len(docs))


def _time_left(started: float, done: int, total: int) -> str:
    if done == 0:
        return ""
    seconds = (time.perf_counter() - started) / done * (total - done)
    return f", about {max(1, round(seconds / 60))} min left" if seconds >= 60 else f", about {round(seconds)} s left"


def document_entry(doc: Document, n_chunks: int, first_row: int, segment: str, keyword_shard: str = "") -> DocumentEntry:
    """The manifest's record of an indexed document."""
    st = doc.path.stat()
    furniture = doc.furniture
    return DocumentEntry(doc.sha256, st.st_size, st.st_mtime_ns, doc.title, first_row, n_chunks, segment, keyword_shard,
                         furniture_blocks=len(furniture), furniture_chars=sum(len(t) for t in furniture), tags=list(doc.tags),
                         pages=len(doc.pages), indexed_at=datetime.now(UTC).isoformat(timespec="seconds"))


def _write_segment(folder: Path, doc: Document, chunks: list[Chunk], vectors: np.ndarray, first_row: int) -> DocumentEntry:
    segment = f"{first_row:012d}-{doc.sha256[:12]}"
    with open(folder / f"{segment}.chunks.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(dataclasses.asdict(c), ensure_ascii=False) + "\n" for c in chunks)
    np.save(folder / f"{segment}.vectors.npy", np.asarray(vectors, dtype=np.float32))
    tokens = keyword_tokens([c.embedding_text() for c in chunks]) if chunks else []
    (folder / f"{segment}.tokens.txt").write_text("".join(" ".join(t) + "\n" for t in tokens), encoding="utf-8")
    return document_entry(doc, len(chunks), first_row, segment)


def _dense_index(settings: Settings, previous: LocalIndex | None, plan: _Plan, documents: dict[str, DocumentEntry],
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
    vectors = np.concatenate([load_array(segments / f"{e.segment}.vectors.npy") for e in entries]) if entries else np.zeros((0, dim), np.float32)
    rows = np.concatenate([np.arange(e.first_row, e.first_row + e.n_chunks) for e in entries]) if entries else np.zeros(0, np.int64)
    return DenseIndex.build(vectors, rows, dim, settings.index), (n if kind == IVF else 0)


def _keyword_shards(settings: Settings, previous: LocalIndex | None, plan: _Plan, documents: dict[str, DocumentEntry],
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
                link_or_copy(f, folder / shard / f.name)
    return documents


def _build_shard(name: str, entries: list[DocumentEntry], segments: Path) -> Shard:
    tokens: list[list[str]] = []
    for e in sorted(entries, key=lambda e: e.first_row):
        lines = (segments / f"{e.segment}.tokens.txt").read_text(encoding="utf-8").split("\n")[: e.n_chunks]
        tokens.extend(line.split() for line in lines)
    rows = np.concatenate([np.arange(e.first_row, e.first_row + e.n_chunks) for e in sorted(entries, key=lambda e: e.first_row)])
    return Shard.build(name, tokens, rows)


