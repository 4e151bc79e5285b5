"""Chosen sources at scale: questions limited to a few of 10,000 synthetic documents, against the same questions
unfiltered, in one run (the synthetic collection of benchmarks/bench_index_scale.py).

    .venv/bin/python -m benchmarks.bench_filter [--docs 10000] [--chunks-per-doc 10] [--chosen 2] [--queries 100]

Reports search p50/p95 (`Retriever.search`, k=5, the query embedded by the real MiniLM) with and without the filter,
and checks that every filtered search returns k passages, all from the chosen documents (the filter is applied
before ranking, so they are found although other documents rank higher).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_index_scale import SyntheticEmbedder, write_corpus
from chatbot.config import Settings
from chatbot.index.backend import build_index, load_index
from chatbot.index.embeddings import Embedder
from chatbot.index.retrieval import Retriever


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--chunks-per-doc", type=int, default=10)
    parser.add_argument("--chosen", type=int, default=2)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--work", type=Path, default=Path("/tmp/filter-bench"))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    write_corpus(args.work / "corpus", args.docs, args.chunks_per_doc)
    settings = Settings().replace(corpus_dir=str(args.work / "corpus"), index_dir=str(args.work / "index"))
    build_index(settings, SyntheticEmbedder(), progress=False)
    index = load_index(settings)
    retriever = Retriever(index, Embedder(settings.embedding_model), settings.retrieval)
    rng = np.random.default_rng(3)
    names = sorted(index.manifest.documents)
    queries = [" ".join(index.chunk(int(r)).text.split()[3:11]) for r in rng.choice(index.n_chunks, args.queries, replace=False)]
    plain, filtered, complete = [], [], 0
    for q in queries:
        chosen = frozenset(rng.choice(names, args.chosen, replace=False).tolist())
        t0 = time.perf_counter()
        retriever.search(q, 5)
        plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        found = retriever.search(q, 5, chosen)
        filtered.append(time.perf_counter() - t0)
        complete += len(found) == 5 and all(r.chunk.doc_id in chosen for r in found)
    result = {"documents": len(names), "chunks": index.n_chunks, "chosen_documents": args.chosen, "queries": len(queries),
              "unfiltered_p50_ms": round(1000 * statistics.median(plain), 1),
              "filtered_p50_ms": round(1000 * statistics.median(filtered), 1),
              "filtered_p95_ms": round(1000 * float(np.percentile(filtered, 95)), 1),
              "ratio_filtered_over_unfiltered": round(statistics.median(filtered) / statistics.median(plain), 2),
              "filtered_searches_with_k_passages_all_from_the_chosen": f"{complete}/{len(queries)}"}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
