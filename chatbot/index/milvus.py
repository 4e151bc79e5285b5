"""The index on Milvus: for collections and readers beyond one machine (Milvus Lite, standalone or a cluster).

Milvus holds, per document collection (a base name derived from the corpus folder, or CHATBOT_MILVUS_COLLECTION):
    <base>__current             one row: the live build and its manifest version (Milvus Lite 2.5 has no aliases)
    <base>__b<id>               the chunks of build <id>: row id, document id (indexed), the chunk as JSON, the text
                                BM25 reads (an English analyzer and a BM25 function), the dense vector (inner product)
    <base>__b<id>_manifest      the build's manifest, by version, in parts (what changed, what was skipped)
Dense and keyword searches run in Milvus; fusion stays ours (index/retrieval.py), so scores and modes are those of
the embedded store, unless fusion=engine_rrf asks Milvus to fuse (one hybrid search instead of two searches).
A change of one document is a delete of its old rows and an insert of its new ones in the live build, then a new
manifest version, then the pointer: nothing else is touched. A rebuild (`--rebuild`, another embedder or chunker)
fills a new build collection and switches the pointer only when it is complete; a killed build leaves the previous
one serving, and its leftovers are dropped by the next build. One writer at a time (a lock file in index_dir).
Every call is strongly consistent: a search sees the write before it.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version

import numpy as np

from ..config import MilvusDenseIndex, Settings
from ..errors import ChatbotError, IndexDamagedError, IndexMismatchError, IndexMissingError, IndexUnavailableError, IndexUnusableError
from ..ingest.chunking import Chunk, chunker_signature
from .backend import BuildReport
from .builder import embedded_batches, plan_build
from .embeddings import Embedder, make_embedder
from .manifest import FORMAT_VERSION, Manifest, ManifestFormatError

TOKEN_VARIABLE = "CHATBOT_MILVUS_TOKEN"
logging.getLogger("pymilvus").setLevel(logging.CRITICAL)  # its errors become one sentence here, not log lines
_PART_CHARS = 60_000  # a VARCHAR holds 65,535 bytes: the manifest is kept in parts
_MAX_TEXT = 65_535
_CHUNK_CACHE = 4096
_INSERT_BATCH = 500
_REBUILD_HINT = "rebuild it with `python -m chatbot index --rebuild`"


def base_name(settings: Settings) -> str:
    """The collection's name in Milvus: the setting, or the corpus folder's name and a hash of its path."""
    if settings.milvus_collection:
        name = settings.milvus_collection
    else:
        path = str(settings.corpus_dir.resolve())
        name = f"chatbot_{settings.corpus_dir.name}_{hashlib.sha256(path.encode()).hexdigest()[:8]}"
    name = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return name if name[:1].isalpha() or name[:1] == "_" else f"c_{name}"


class _Milvus:
    """A client whose every failure is one sentence: the server down, unreachable or refusing."""

    def __init__(self, settings: Settings):
        self.uri, self.timeout = settings.milvus_uri, settings.milvus_timeout_s
        try:
            from pymilvus import MilvusClient

            # A connection of its own: pymilvus shares one per address, and closing a shared one cuts off every user.
            self.client = MilvusClient(uri=self.uri, token=os.environ.get(TOKEN_VARIABLE, ""), timeout=self.timeout,
                                       alias=f"chatbot-{uuid.uuid4().hex}")
        except Exception as exc:  # grpc and pymilvus raise many kinds for a server that is not there
            raise self.unavailable(exc) from None

    def unavailable(self, exc: Exception) -> IndexUnavailableError:
        reason = " ".join(str(getattr(exc, "message", "") or exc).split())[:160] or type(exc).__name__
        return IndexUnavailableError(f"The Milvus server at {self.uri} cannot be used ({reason}); start it (`make serve-index`) "
                                     "or check CHATBOT_MILVUS_URI and CHATBOT_MILVUS_TOKEN.")

    def __call__(self, method: str, *args, **kwargs):
        try:  # bounded: pymilvus would otherwise retry a dead server 75 times, minutes on end
            return getattr(self.client, method)(*args, timeout=self.timeout, retry_times=2, **kwargs)
        except ChatbotError:
            raise
        except Exception as exc:
            raise self.unavailable(exc) from None

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:
            pass


# ---------------------------------------------------------------- reading

class MilvusIndex:
    """An open build: the SearchIndex the retriever and the engine call."""

    parallel_searches = True  # its dense and keyword searches are two requests, which the server serves at once

    def __init__(self, settings: Settings):
        self.settings, self.base = settings, base_name(settings)
        self.milvus = _Milvus(settings)
        pointer = _pointer(self.milvus, self.base)
        if pointer is None:
            raise IndexMissingError(f"There is no index of {settings.corpus_dir} on the Milvus server at {settings.milvus_uri} yet; "
                                    "build it with `python -m chatbot index`.", "no index")
        self.build, manifest_version = pointer
        self.manifest = _read_manifest(self.milvus, self.build, manifest_version)
        problem = self.manifest.mismatch(settings)
        if problem:
            raise IndexMismatchError(f"The index was built with {problem}; {_REBUILD_HINT}.", problem)
        self._chunks: OrderedDict[int, Chunk] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def n_chunks(self) -> int:
        return self.manifest.n_chunks

    def dense_search(self, vector: np.ndarray, n: int, docs: frozenset[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        params = {"metric_type": "IP", "params": {"nprobe": self.settings.ivf_nprobe}}  # used by IVF; ignored by the others
        hits = self.milvus("search", self.build, data=[np.asarray(vector, dtype=np.float32).tolist()], anns_field="dense",
                           limit=n, search_params=params, consistency_level="Strong", filter=_docs_filter(docs))[0]
        return np.array([h["distance"] for h in hits], np.float32), np.array([h["id"] for h in hits], np.int64)

    def keyword_search(self, query: str, n: int, docs: frozenset[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        if not query.strip():
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        hits = self.milvus("search", self.build, data=[query], anns_field="sparse", limit=n, filter=_docs_filter(docs),
                           search_params={"metric_type": "BM25"}, consistency_level="Strong")[0]
        return np.array([h["distance"] for h in hits], np.float32), np.array([h["id"] for h in hits], np.int64)

    def fused_search(self, vector: np.ndarray, query: str, n: int, k: int, k0: int,
                     docs: frozenset[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Milvus's own reciprocal rank fusion of the dense and BM25 rankings, each cut to n: the best k rows."""
        from pymilvus import AnnSearchRequest, RRFRanker

        where = _docs_filter(docs)
        requests = [AnnSearchRequest([np.asarray(vector, dtype=np.float32).tolist()], "dense",
                                     {"metric_type": "IP", "params": {"nprobe": self.settings.ivf_nprobe}}, n, expr=where)]
        if query.strip():
            requests.append(AnnSearchRequest([query], "sparse", {"metric_type": "BM25"}, n, expr=where))
        hits = self.milvus("hybrid_search", self.build, reqs=requests, ranker=RRFRanker(k0), limit=k,
                           consistency_level="Strong")[0]
        return np.array([h["distance"] for h in hits], np.float32), np.array([h["id"] for h in hits], np.int64)

    def vectors(self, rows: list[int]) -> dict[int, np.ndarray]:
        found = self.milvus("query", self.build, filter=f"id in {[int(r) for r in rows]}", output_fields=["id", "dense"],
                            consistency_level="Strong")
        return {r["id"]: np.asarray(r["dense"], np.float32) for r in found}

    def keyword_scores(self, query: str, rows: np.ndarray) -> np.ndarray:
        rows = [int(r) for r in rows]
        if not rows or not query.strip():
            return np.zeros(len(rows), np.float32)
        hits = self.milvus("search", self.build, data=[query], anns_field="sparse", limit=len(rows), filter=f"id in {rows}",
                           search_params={"metric_type": "BM25"}, consistency_level="Strong")[0]
        found = {h["id"]: h["distance"] for h in hits}
        return np.array([found.get(r, 0.0) for r in rows], np.float32)

    def chunk(self, row: int) -> Chunk:
        return self.chunks([int(row)])[0]

    def chunks(self, rows: list[int]) -> list[Chunk]:
        """Many chunks in one request (those not cached): the k passages of a search, at once."""
        with self._lock:
            known = {r: self._chunks[r] for r in rows if r in self._chunks}
        missing = [int(r) for r in rows if r not in known]
        if missing:
            found = self.milvus("query", self.build, filter=f"id in {missing}", output_fields=["id", "chunk"],
                                consistency_level="Strong")
            known.update({r["id"]: _chunk_from_json(r["chunk"]) for r in found})
        if any(r not in known for r in rows):
            raise IndexDamagedError(f"The index has no chunk {next(r for r in rows if r not in known)}; {_REBUILD_HINT}.",
                                    "unknown row")
        with self._lock:
            for r in missing:
                self._chunks[r] = known[r]
            while len(self._chunks) > _CHUNK_CACHE:
                self._chunks.popitem(last=False)
        return [known[r] for r in rows]

    def vector(self, row: int) -> np.ndarray:
        return self.vectors([row])[int(row)]

    def knows_word(self, stemmed: str) -> bool:
        return bool(self.keyword_search(stemmed, 1)[1].size)

    def all_chunks(self) -> list[Chunk]:
        rows = self.milvus("query", self.build, filter="id >= 0", output_fields=["id", "chunk"], consistency_level="Strong")
        return [_chunk_from_json(r["chunk"]) for r in sorted(rows, key=lambda r: r["id"])]

    def close(self) -> None:
        self.milvus.close()


def _docs_filter(docs: frozenset[str] | None) -> str:
    """A filter on the indexed document id, applied by Milvus before it ranks."""
    return "" if docs is None else f"doc_id in {json.dumps(sorted(docs))}"


def open_milvus_index(settings: Settings) -> MilvusIndex:
    return MilvusIndex(settings)


# ---------------------------------------------------------------- building

def build_milvus_index(settings: Settings, embedder: Embedder | None, rebuild: bool, progress: bool,
                       on_step: Callable[[str], None] | None, force: frozenset[str] = frozenset()) -> BuildReport:
    started, say = time.perf_counter(), on_step or (lambda _: None)
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.index_dir / ".milvus-writer.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one writer at a time (on this machine)
        milvus = _Milvus(settings)
        try:
            base = base_name(settings)
            previous, reason = _previous(milvus, settings, base, rebuild)
            plan = plan_build(settings, previous[2] if previous else None, reason, force)
            if previous and not plan.report.changed and plan.skipped.keys() == previous[2].skipped.keys():
                return dataclasses.replace(plan.report, n_chunks=previous[2].n_chunks, seconds=time.perf_counter() - started,
                                           skipped={k: v.reason for k, v in sorted(plan.skipped.items())})
            embedder = embedder or make_embedder(settings)
            if previous:  # the change, in the live build
                build, manifest_version, manifest = previous
                documents = dict(plan.keep)
                next_row = manifest.next_row
                stale = [(e.first_row, e.first_row + e.n_chunks) for d, e in manifest.documents.items() if d not in plan.keep]
            else:  # a new build, switched to when complete
                build, manifest_version = f"{base}__b{datetime.now(UTC):%Y%m%d%H%M%S%f}", 0
                _create_build(milvus, build, embedder.dimension, settings.milvus_dense_index)
                documents, next_row, stale = {}, 0, []
            for batch in embedded_batches(settings, plan, embedder, progress, say):
                rows = []
                for doc, chunks, vectors in batch:
                    documents[doc.doc_id] = _entry(doc, len(chunks), next_row)
                    rows += [_row(next_row + i, c, v) for i, (c, v) in enumerate(zip(chunks, vectors))]
                    next_row += len(chunks)
                for at in range(0, len(rows), _INSERT_BATCH):
                    milvus("insert", build, rows[at:at + _INSERT_BATCH])
            if not documents:
                why = " ".join(f"{name} {entry.reason}." for name, entry in sorted(plan.skipped.items()))
                raise ChatbotError(f"No document in {settings.corpus_dir} could be indexed: {why}")
            for first, end in stale:  # the changed and removed documents' old rows, once their new ones are in
                milvus("delete", build, filter=f"id >= {first} and id < {end}")
            say("Writing the index…")
            manifest = _manifest(settings, embedder, documents, next_row, plan.skipped)
            _write_manifest(milvus, build, manifest_version + 1, manifest)
            _set_pointer(milvus, base, build, manifest_version + 1)
            _drop_old(milvus, base, build, manifest_version + 1)
        finally:
            milvus.close()
    report = plan.report
    failed = set(plan.skipped) & set(report.added)
    furniture = {d: e.furniture_blocks for d, e in documents.items() if d in report.added + report.updated and e.furniture_blocks}
    return dataclasses.replace(report, added=[d for d in report.added if d not in failed], n_chunks=manifest.n_chunks,
                               seconds=time.perf_counter() - started,
                               skipped={k: v.reason for k, v in sorted(plan.skipped.items())}, furniture=furniture)


def _previous(milvus: _Milvus, settings: Settings, base: str, rebuild: bool):
    """(build, manifest version, manifest) of the live build, or None; and why everything is re-embedded."""
    if rebuild:
        return None, "rebuild requested"
    pointer = _pointer(milvus, base)
    if pointer is None:
        return None, ""
    try:
        manifest = _read_manifest(milvus, *pointer)
    except IndexUnusableError as exc:
        return None, exc.reason
    problem = manifest.mismatch(settings)
    return (None, problem) if problem else ((*pointer, manifest), "")


def _create_build(milvus: _Milvus, name: str, dim: int, dense_index: MilvusDenseIndex) -> None:
    from pymilvus import DataType, Function, FunctionType

    schema = milvus.client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("chunk", DataType.VARCHAR, max_length=_MAX_TEXT)
    schema.add_field("text", DataType.VARCHAR, max_length=_MAX_TEXT, enable_analyzer=True, analyzer_params={"type": "english"})
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                 output_field_names=["sparse"]))
    index = milvus.client.prepare_index_params()
    if dense_index is MilvusDenseIndex.IVF_FLAT:
        index.add_index("dense", index_type="IVF_FLAT", metric_type="IP", params={"nlist": 4096})
    else:
        index.add_index("dense", index_type=dense_index.value.upper(), metric_type="IP")
    index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    index.add_index("doc_id", index_type="INVERTED")
    milvus("create_collection", name, schema=schema, index_params=index, consistency_level="Strong")
    _create_small(milvus, f"{name}_manifest", "json")


def _create_small(milvus: _Milvus, name: str, field: str) -> None:
    """A collection of a few JSON rows (Milvus wants a vector in every collection: a 2-d placeholder)."""
    from pymilvus import DataType

    schema = milvus.client.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field(field, DataType.VARCHAR, max_length=_MAX_TEXT)
    schema.add_field("v", DataType.FLOAT_VECTOR, dim=2)
    index = milvus.client.prepare_index_params()
    index.add_index("v", index_type="FLAT", metric_type="L2")
    milvus("create_collection", name, schema=schema, index_params=index, consistency_level="Strong")


def _row(row: int, chunk: Chunk, vector: np.ndarray) -> dict:
    record = json.dumps(dataclasses.asdict(chunk), ensure_ascii=False)
    if len(record.encode()) > _MAX_TEXT:
        raise ChatbotError(f"A passage of {chunk.doc_id} is too long for Milvus ({len(record)} characters); lower CHATBOT_CHUNK_TARGET_CHARS.")
    return {"id": row, "doc_id": chunk.doc_id, "chunk": record, "text": chunk.embedding_text()[:_MAX_TEXT // 4],
            "dense": np.asarray(vector, np.float32).tolist()}


def _chunk_from_json(text: str) -> Chunk:
    record = json.loads(text)
    record["flagged"] = tuple(map(tuple, record.get("flagged", ())))
    record["page_breaks"] = tuple(record.get("page_breaks", ()))
    return Chunk(**record)


def _entry(doc, n_chunks: int, first_row: int):
    from .builder import document_entry

    return document_entry(doc, n_chunks, first_row, segment="", keyword_shard="")


def _manifest(settings: Settings, embedder: Embedder, documents: dict, next_row: int, skipped: dict) -> Manifest:
    return Manifest(format=FORMAT_VERSION, built_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    embedding_model=settings.embedding_model, embedder=getattr(embedder, "source", "in process"),
            embedding_dim=embedder.dimension,
                    chunker=chunker_signature(settings.chunking), n_chunks=sum(e.n_chunks for e in documents.values()),
                    next_row=next_row, dense_kind="milvus", dense_trained_on=0, documents=dict(sorted(documents.items())),
                    versions={lib: version(lib) for lib in ("pymilvus", "milvus-lite", "numpy") if _installed(lib)},
                    skipped=dict(sorted(skipped.items())))


def _installed(dist: str) -> bool:
    try:
        version(dist)
        return True
    except Exception:
        return False


def _write_manifest(milvus: _Milvus, build: str, manifest_version: int, manifest: Manifest) -> None:
    text = manifest.to_json()
    parts = [text[i:i + _PART_CHARS] for i in range(0, len(text), _PART_CHARS)] or [""]
    rows = [{"id": manifest_version * 1_000_000 + i, "json": json.dumps({"version": manifest_version, "part": i,
                                                                          "of": len(parts), "text": p}), "v": [0.0, 0.0]}
            for i, p in enumerate(parts)]
    for at in range(0, len(rows), 20):
        milvus("insert", f"{build}_manifest", rows[at:at + 20])


def _read_manifest(milvus: _Milvus, build: str, manifest_version: int) -> Manifest:
    low, high = manifest_version * 1_000_000, (manifest_version + 1) * 1_000_000
    rows = milvus("query", f"{build}_manifest", filter=f"id >= {low} and id < {high}", output_fields=["id", "json"],
                  consistency_level="Strong")
    parts = sorted((json.loads(r["json"]) for r in rows), key=lambda p: p["part"])
    if not parts or len(parts) != parts[0]["of"]:
        raise IndexDamagedError(f"The index's manifest on the Milvus server is incomplete; {_REBUILD_HINT}.", "damaged index (manifest)")
    try:
        return Manifest.from_json("".join(p["text"] for p in parts))
    except ManifestFormatError as exc:
        raise IndexMismatchError(f"The index was built with {exc}; {_REBUILD_HINT}.", str(exc)) from None
    except ValueError as exc:
        raise IndexDamagedError(f"The index's manifest on the Milvus server is damaged ({exc}); {_REBUILD_HINT}.",
                                f"damaged index ({exc})") from None


def _pointer(milvus: _Milvus, base: str) -> tuple[str, int] | None:
    if not milvus("has_collection", f"{base}__current"):
        return None
    rows = milvus("query", f"{base}__current", filter="id == 0", output_fields=["target"], consistency_level="Strong")
    if not rows:
        return None
    target = json.loads(rows[0]["target"])
    return target["build"], target["manifest"]


def _set_pointer(milvus: _Milvus, base: str, build: str, manifest_version: int) -> None:
    if not milvus("has_collection", f"{base}__current"):
        _create_small(milvus, f"{base}__current", "target")
    milvus("upsert", f"{base}__current", [{"id": 0, "target": json.dumps({"build": build, "manifest": manifest_version}),
                                           "v": [0.0, 0.0]}])


def _drop_old(milvus: _Milvus, base: str, live: str, manifest_version: int) -> None:
    """Builds older than the one the live build replaced (that one stays a while: a reader elsewhere may still be
    on it), leftovers of killed builds, and the live build's older manifests."""
    builds = sorted({n.removesuffix("_manifest") for n in milvus("list_collections") if n.startswith(f"{base}__b")})
    older = [b for b in builds if b < live]
    keep = {live, *older[-1:]}
    for build in builds:
        if build not in keep:
            for name in (build, f"{build}_manifest"):
                if milvus("has_collection", name):
                    milvus("drop_collection", name)
    milvus("delete", f"{live}_manifest", filter=f"id < {manifest_version * 1_000_000}")


def drop_milvus_index(settings: Settings) -> None:
    """Every build, manifest and pointer of the collection on the server."""
    milvus = _Milvus(settings)
    try:
        base = base_name(settings)
        for name in milvus("list_collections"):
            if name == f"{base}__current" or name.startswith(f"{base}__b"):
                milvus("drop_collection", name)
    finally:
        milvus.close()
