"""Embedding throughput: the in-process MiniLM against the same model on an embeddings server (llama-server
--embeddings, as `make serve-embeddings` runs it), on the passages of squad2-dev's six articles, in one run.

    .venv/bin/python -m benchmarks.bench_embeddings [--reps 3]

Reports passages/s of each (median of the reps, taking turns) and the worst cosine between their vectors.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from chatbot.config import ChunkingSettings, Settings
from chatbot.index.embeddings import Embedder, ServerEmbedder
from chatbot.ingest.chunking import chunk_document
from chatbot.ingest.documents import load_corpus
from chatbot.model_server import running_embeddings, spare_port

SQUAD = Path(__file__).resolve().parent.parent.parent / "shared" / "external" / "squad2-dev" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    texts = [c.embedding_text() for doc in load_corpus(SQUAD) for c in chunk_document(doc, ChunkingSettings())]
    local = Embedder(Settings().embedding_model)
    with running_embeddings(Settings(), spare_port()) as url:
        server = ServerEmbedder(Settings().replace(embeddings="openai", embeddings_base_url=url))
        rates = {"in process": [], "server": []}
        for _ in range(args.reps):
            for name, embedder in (("in process", local), ("server", server)):
                t0 = time.perf_counter()
                vectors = embedder.embed(texts)
                rates[name].append(len(texts) / (time.perf_counter() - t0))
                if name == "in process":
                    mine = vectors
                else:
                    theirs = vectors
    result = {name: round(statistics.median(r), 1) for name, r in rates.items()}
    result["passages"] = len(texts)
    result["ratio_server_over_local"] = round(result["server"] / result["in process"], 2)
    result["worst_cosine"] = round(float(np.min(np.sum(mine * theirs, axis=1))), 5)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
