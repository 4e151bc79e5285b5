"""The index at scale on Milvus against the embedded store, in one run: the same synthetic collection (as
benchmarks/bench_index_scale.py writes it) built by both backends, then searched with the same queries.

    .venv/bin/python -m benchmarks.bench_milvus_scale [--chunks 1000000] [--docs 10000] [--work /tmp/milvus-scale]
        [--dense-index flat|ivf_flat|autoindex]

Milvus is the binary of the pinned milvus-lite 2.5.1 wheel on a free loopback port (its dense index FLAT by default:
Milvus Lite keeps every row in growing segments and searches an IVF index of its own there, whatever nlist and nprobe
say, so FLAT is the one exact choice it has; docs/results/2026-12-02-milvus-lite-dense-index.md).
Reported for each backend: build time, add and remove one document, hybrid search p50/p95 (`Retriever.search`, k=5,
the app's path; the query embedded by the real MiniLM), dense recall@10 against exact search (by chunk id), and memory
(this process; for Milvus also the server's RSS). Ratios: Milvus over embedded. Milvus's own RRF
(fusion=engine_rrf) is timed too, with its top-5 overlap with ours.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import numpy as np
import psutil

from benchmarks.bench_index_scale import DIM, SPREAD, SyntheticEmbedder, _unit, write_corpus
from chatbot.config import Settings
from chatbot.index.backend import build_index, load_index
from chatbot.index.embeddings import Embedder
from chatbot.index.retrieval import Retriever


def timed(fn, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return round(time.perf_counter() - t0, 2)


def measure(settings: Settings, corpus: Path, work: Path, per_doc: int, embedder, minilm, queries: int, server=None) -> dict:
    out = {"build_s": timed(build_index, settings, embedder, progress=False)}
    extra = corpus / "added-document.txt"
    write_corpus(work / "one", 1, per_doc, seed=99)
    shutil.move(work / "one" / "doc000000.txt", extra)
    out["add_one_document_s"] = timed(build_index, settings, embedder, progress=False)
    extra.unlink()
    out["remove_one_document_s"] = timed(build_index, settings, embedder, progress=False)
    index = load_index(settings)
    out["n_chunks"] = index.n_chunks
    rng = np.random.default_rng(1)
    rows = sorted(int(r) for r in rng.choice(index.manifest.next_row, size=queries * 2, replace=False))
    chunks = []
    for r in rows:
        try:
            chunks.append((r, index.chunk(r)))
        except Exception:  # a row of the removed document
            continue
    chunks = chunks[:queries]
    texts = [" ".join(c.text.split()[3:11]) for _, c in chunks]
    retriever = Retriever(index, minilm, settings.retrieval)
    for q in texts[:5]:
        retriever.search(q, 5)
    times = []
    for q in texts:
        t0 = time.perf_counter()
        retriever.search(q, 5)
        times.append(time.perf_counter() - t0)
    out["search_p50_ms"] = round(1000 * statistics.median(times), 1)
    out["search_p95_ms"] = round(1000 * float(np.percentile(times, 95)), 1)
    if server is not None:  # Milvus's own RRF (fusion=engine_rrf): its time, and how often it picks our top 5
        engine = Retriever(index, minilm, settings.replace(fusion="engine_rrf").retrieval)
        times, overlap = [], []
        for q in texts:
            t0 = time.perf_counter()
            found = engine.search(q, 5)
            times.append(time.perf_counter() - t0)
            overlap.append(len({r.chunk.chunk_id for r in found} & {r.chunk.chunk_id for r in retriever.search(q, 5)}) / 5)
        out["engine_rrf_search_p50_ms"] = round(1000 * statistics.median(times), 1)
        out["engine_rrf_overlap_at_5"] = round(statistics.mean(overlap), 3)
    vectors = np.stack([np.asarray(index.vector(r)) for r, _ in chunks])
    noisy = _unit(vectors + rng.standard_normal(vectors.shape).astype(np.float32) * (0.5 * SPREAD / np.sqrt(DIM)))
    out["_queries"] = noisy
    # by chunk id: the two builds may number the same chunk differently
    out["_dense"] = [{index.chunk(int(r)).chunk_id for r in index.dense_search(q, 10)[1]} for q in noisy]
    out["process_rss_gb"] = round(psutil.Process().memory_info().rss / 2**30, 2)
    if server is not None:
        out["server_rss_gb"] = round(psutil.Process(server.pid).memory_info().rss / 2**30, 2)
    return out


def main() -> None:
    from helpers.milvus import milvus_server  # the tests' own fixture code: the pinned binary on a free port

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--work", type=Path, default=Path("/tmp/milvus-scale"))
    parser.add_argument("--dense-index", default="flat", choices=["flat", "ivf_flat", "autoindex"])
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    per_doc, corpus = args.chunks // args.docs, args.work / "corpus"
    write_corpus(corpus, args.docs, per_doc)
    embedder, minilm = SyntheticEmbedder(), Embedder(Settings().embedding_model)
    base = Settings().replace(corpus_dir=corpus, index_dir=args.work / "index")
    result = {"chunks_requested": args.chunks, "documents": args.docs, "milvus_dense_index": args.dense_index}
    result["embedded"] = measure(base, corpus, args.work, per_doc, embedder, minilm, args.queries)
    with milvus_server(args.work / "milvus") as (uri, process):
        settings = base.replace(index_dir=str(args.work / "index-milvus"), index_backend="milvus", milvus_uri=uri,
                                milvus_collection="scale", milvus_timeout_s=600, milvus_dense_index=args.dense_index)
        result["milvus"] = measure(settings, corpus, args.work, per_doc, embedder, minilm, args.queries, process)
    # Exact dense neighbours of the same query vectors, from the synthetic vectors of every chunk.
    index = load_index(base)
    all_vectors = np.concatenate([np.asarray(index.store.segment(e)[1]) for e in index.store.entries])
    all_rows = np.concatenate([np.arange(e.first_row, e.first_row + e.n_chunks) for e in index.store.entries])
    for name in ("embedded", "milvus"):
        queries = result[name].pop("_queries")
        found = result[name].pop("_dense")
        exact = [{index.chunk(int(r)).chunk_id for r in all_rows[np.argsort(-(all_vectors @ q))[:10]]} for q in queries]
        result[name]["dense_recall_at_10"] = round(float(np.mean([len(f & e) / 10 for f, e in zip(found, exact)])), 4)
    result["ratio_search_p50"] = round(result["milvus"]["search_p50_ms"] / result["embedded"]["search_p50_ms"], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    main()
