"""Hybrid retrieval: dense (FAISS cosine) and BM25 rankings fused into one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .chunking import Chunk
from .config import Settings
from .embeddings import Embedder
from .index import Index
from .textutils import keyword_tokens


@dataclass(frozen=True)
class RetrievedChunk:
    chunk: Chunk
    score: float  # the fused score the ranking uses
    dense_score: float  # cosine similarity of query and chunk
    bm25_score: float
    rank: int  # 1-based


class Retriever:
    def __init__(self, index: Index, embedder: Embedder, settings: Settings):
        self.index, self.embedder, self.settings = index, embedder, settings

    def search(self, query: str, k: int | None = None) -> list[RetrievedChunk]:
        k = k or self.settings.top_k
        n = len(self.index.chunks)
        query_vector = self.embedder.embed([query])
        sims, ids = self.index.dense.search(query_vector, n)
        dense = np.zeros(n, dtype=np.float32)
        dense[ids[0]] = sims[0]
        tokens = keyword_tokens([query])[0]
        bm25 = self.index.bm25.get_scores(tokens) if tokens else np.zeros(n, dtype=np.float32)
        fused = self._fuse(dense, np.asarray(bm25, dtype=np.float32))
        order = np.argsort(-fused, kind="stable")[:k]
        return [RetrievedChunk(self.index.chunks[i], float(fused[i]), float(dense[i]), float(bm25[i]), rank)
                for rank, i in enumerate(order, 1)]

    def _fuse(self, dense: np.ndarray, bm25: np.ndarray) -> np.ndarray:
        if self.settings.fusion == "weighted":
            bm25_norm = bm25 / bm25.max() if bm25.max() > 0 else bm25
            w = self.settings.dense_weight
            return w * dense + (1 - w) * bm25_norm
        # Reciprocal rank fusion; chunks BM25 gives no score to get no BM25 vote.
        fused = 1.0 / (self.settings.rrf_k + _ranks(dense))
        fused += np.where(bm25 > 0, 1.0 / (self.settings.rrf_k + _ranks(bm25)), 0.0)
        return fused


def _ranks(scores: np.ndarray) -> np.ndarray:
    ranks = np.empty(len(scores), dtype=np.float32)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, len(scores) + 1)
    return ranks
