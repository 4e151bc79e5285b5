"""The index at scale: a synthetic collection of N chunks (default 1M) through the real build and search code.

What is synthetic: the documents' text (sentences of words drawn from a Zipf-distributed vocabulary
whose most frequent words are the English stop words, so BM25 sees a realistic mix of common and rare
words) and the chunk vectors (unit vectors scattered
around random cluster centres, so nearest neighbours exist as they do for real embeddings; uniformly
random vectors have none and no approximate index can find them). Embedding is excluded from the
build time (a stand-in derives each chunk's vector from its text in microseconds); MiniLM's own
throughput is reported as a separate figure. Everything else is the project's code: documents,
chunker, segments, FAISS, BM25, manifest, `Retriever.search` with the real MiniLM query embedding.

Reports: build time, time to add and to remove one document, index load time, memory (RSS), and
`Retriever.search` p50/p95 (k=5, the fused hybrid path the app uses), recall@10 of the dense search
against exact search (flat index), and how far the fused top 5 / top 10 agree with exact fusion
(flat index, every chunk ranked by both rankings).

Run: .venv/bin/python -m benchmarks.bench_index_scale [--chunks 1000000] [--docs 10000] [--work /tmp/scale]
(about 15-25 minutes and 8-10 GB of RAM at 1M chunks on 2 cores).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import time
import zlib
from pathlib import Path

import faiss
import numpy as np
import psutil
from bm25s.stopwords import STOPWORDS_EN

from chatbot.config import Settings
from chatbot.index.backend import build_index, load_index
from chatbot.index.dense import DenseIndex
from chatbot.index.embeddings import Embedder
from chatbot.index.retrieval import Retriever

DIM = 384
CLUSTERS = 4096
SPREAD = 0.35  # noise norm relative to the unit cluster centre


class SyntheticEmbedder:
    """Vectors derived from the text's hash: deterministic, clustered, instant (embedding is timed apart)."""

    dimension = DIM

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.centres = _unit(rng.standard_normal((CLUSTERS, DIM)).astype(np.float32))
        self.noise = rng.standard_normal((65536, DIM)).astype(np.float32) * (SPREAD / np.sqrt(DIM))

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        h = np.array([zlib.crc32(t.encode("utf-8")) for t in texts], dtype=np.uint64)
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(texts), 100_000):
            part = h[start:start + 100_000]
            v = self.centres[part % CLUSTERS] + self.noise[(part >> 12) % 65536] + self.noise[(part >> 28) % 65536]
            out[start:start + 100_000] = _unit(v)
        return out


class FixedQueryEmbedder:
    """Returns prepared vectors for prepared query texts: the same query vector on both paths compared."""

    def __init__(self, vectors: dict[str, np.ndarray]):
        self.vectors, self.dimension = vectors, DIM

    def embed(self, texts, progress=False):
        return np.stack([self.vectors[t] for t in texts])


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def write_corpus(folder: Path, n_docs: int, chunks_per_doc: int, seed: int = 0) -> None:
    """Documents of `chunks_per_doc` sections, each one ~550-character paragraph under a heading."""
    rng = np.random.default_rng(seed)
    # As in real English, the most frequent words are stop words (the tokenizer drops them: about a third of all words).
    vocab = list(STOPWORDS_EN) + [f"w{i:05d}" for i in range(50_000 - len(STOPWORDS_EN))]
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.07
    weights /= weights.sum()
    folder.mkdir(parents=True, exist_ok=True)
    words_per_doc = chunks_per_doc * 6 * 12
    for d in range(n_docs):
        words = rng.choice(len(vocab), size=words_per_doc, p=weights)
        parts = [f"Document {d}\n"]
        for s in range(chunks_per_doc):
            sentences = [" ".join(vocab[w] for w in words[(s * 6 + j) * 12:(s * 6 + j + 1) * 12]).capitalize() + "."
                         for j in range(6)]
            parts.append(f"\nSection {s}\n\n" + " ".join(sentences) + "\n")
        (folder / f"doc{d:06d}.txt").write_text("".join(parts), encoding="utf-8")


def rss_gb() -> float:
    return psutil.Process().memory_info().rss / 2**30


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work", type=Path, default=Path("/tmp/index-scale"))
    parser.add_argument("--keep", action="store_true", help="reuse the corpus and index of an earlier run in --work")
    args = parser.parse_args()
    per_doc = args.chunks // args.docs
    corpus, index_dir = args.work / "corpus", args.work / "index"
    settings = Settings().replace(corpus_dir=corpus, index_dir=index_dir)
    result: dict = {"chunks_requested": args.chunks, "documents": args.docs, "cpu_count": os.cpu_count()}

    if not args.keep:
        shutil.rmtree(args.work, ignore_errors=True)
        t0 = time.perf_counter()
        write_corpus(corpus, args.docs, per_doc)
        result["write_corpus_s"] = round(time.perf_counter() - t0, 1)
    embedder = SyntheticEmbedder()

    t0 = time.perf_counter()
    report = build_index(settings, embedder, progress=False)
    result["build_s"] = round(time.perf_counter() - t0, 1)
    result["n_chunks"] = report.n_chunks
    result["build_peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)

    extra = corpus / "added-document.txt"
    write_corpus(args.work / "one", 1, per_doc, seed=99)
    shutil.move(args.work / "one" / "doc000000.txt", extra)
    t0 = time.perf_counter()
    build_index(settings, embedder, progress=False)
    result["add_one_document_s"] = round(time.perf_counter() - t0, 1)
    extra.unlink()
    t0 = time.perf_counter()
    build_index(settings, embedder, progress=False)
    result["remove_one_document_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    build_index(settings, embedder, progress=False)
    result["unchanged_check_s"] = round(time.perf_counter() - t0, 1)

    rss_before = rss_gb()
    t0 = time.perf_counter()
    index = load_index(settings)
    result["load_s"] = round(time.perf_counter() - t0, 2)
    result["dense_kind"] = index.manifest.dense_kind
    result["index_on_disk_gb"] = round(sum(f.stat().st_size for f in index.path.rglob("*") if f.is_file()) / 2**30, 2)

    # Speed: the app's path, the real MiniLM embedding the query text.
    minilm = Embedder(settings.embedding_model)
    retriever = Retriever(index, minilm, settings.retrieval)
    rng = np.random.default_rng(1)
    sample_rows = rng.choice(index.n_chunks, size=args.queries, replace=False)
    query_texts = [" ".join(index.store.chunk(int(r)).text.split()[3:11]) for r in sample_rows]
    for q in query_texts[:5]:
        retriever.search(q, 5)  # warm: first segment reads, BM25 pages
    times = []
    for q in query_texts:
        t0 = time.perf_counter()
        retriever.search(q, 5)
        times.append(time.perf_counter() - t0)
    result["search_p50_ms"] = round(1000 * statistics.median(times), 1)
    result["search_p95_ms"] = round(1000 * float(np.percentile(times, 95)), 1)
    embed_times = []
    for q in query_texts[:50]:
        t0 = time.perf_counter()
        minilm.embed([q])
        embed_times.append(time.perf_counter() - t0)
    result["query_embedding_p50_ms"] = round(1000 * statistics.median(embed_times), 1)
    result["rss_after_load_and_search_gb"] = round(rss_gb() - rss_before, 2)

    # Quality: recall@10 against exact search, the same query vector on both paths.
    vectors = np.stack([np.asarray(index.store.vector(int(r))) for r in sample_rows])
    queries = _unit(vectors + rng.standard_normal(vectors.shape).astype(np.float32) * (0.5 * SPREAD / np.sqrt(DIM)))
    exact = faiss.IndexIDMap2(faiss.IndexFlatIP(DIM))
    for entry in index.store.entries:
        _, seg_vectors = index.store.segment(entry)
        exact.add_with_ids(np.ascontiguousarray(seg_vectors), np.arange(entry.first_row, entry.first_row + entry.n_chunks))
    _, exact_rows = exact.search(queries, 10)
    dense_recall = [len(set(index.dense.search(q, 10)[1]) & set(e)) / 10 for q, e in zip(queries, exact_rows)]
    result["dense_recall_at_10"] = round(float(np.mean(dense_recall)), 4)

    fixed = FixedQueryEmbedder(dict(zip(query_texts, queries)))
    approx = Retriever(index, fixed, settings.retrieval)
    exact_index = type(index)(index.path, index.manifest, DenseIndex(exact, "flat", 1), index.keyword, index.store)
    full = Retriever(exact_index, fixed, settings.replace(candidates=index.n_chunks).retrieval)  # every chunk ranked
    agree = {5: [], 10: []}
    for q in query_texts[:50]:  # ranking every chunk is slow: 50 queries
        a = [r.chunk.chunk_id for r in approx.search(q, 10)]
        b = [r.chunk.chunk_id for r in full.search(q, 10)]
        for k in agree:
            agree[k].append(len(set(a[:k]) & set(b[:k])) / k)
    # Where the two differ it is mostly a tie broken otherwise: two chunks with the same fused score, one
    # from each ranking, that the full ranking separates by a vote from rank ~N/2 of the other ranking.
    result["fused_top5_agreement"] = round(float(np.mean(agree[5])), 4)
    result["fused_top10_agreement"] = round(float(np.mean(agree[10])), 4)
    result["settings"] = {k: v for k, v in settings.flat().items() if k in ("exact_max_chunks", "ivf_nprobe", "candidates", "top_k")}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
