"""Hybrid retrieval: the dense and BM25 rankings, each cut to its best candidates, fused into one.

Reciprocal rank fusion (k0 = 60) gives a chunk 1/(k0 + rank) from each ranking it is in; BM25 gives
no vote to chunks that share no word with the query. When the collection has no more chunks than
`candidates`, every chunk is ranked, exactly. Above that, a chunk in neither list scores at most
2/(k0 + candidates + 1), below the k-th fused score (at least 1/(k0 + k)) whenever candidates >
k0 + 2k (80 for k = 10), so it can never enter the top k; a chunk in one list only misses a vote
smaller than 1/(k0 + candidates) from the other. How often that reorders the top k is measured at
1M chunks (benchmarks/bench_index_scale.py). With fusion=engine_rrf an index that can fuse (Milvus) does the
same fusion in one call; the cosine and BM25 scores of the chosen passages are then asked for, to report them.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..config import Fusion, RetrievalSettings
from ..ingest.chunking import Chunk
from .backend import SearchIndex
from .embeddings import Embedder


@dataclass(frozen=True)
class RetrievedChunk:
    chunk: Chunk
    score: float  # the fused score the ranking uses
    dense_score: float  # cosine similarity of query and chunk
    bm25_score: float
    rank: int  # 1-based


class Retriever:
    def __init__(self, index: SearchIndex, embedder: Embedder, settings: RetrievalSettings):
        self.index, self.embedder, self.settings = index, embedder, settings

    def search(self, query: str, k: int | None = None, docs: frozenset[str] | None = None) -> list[RetrievedChunk]:
        """The k best passages; with `docs`, of those documents only (filtered before ranking)."""
        k = k or self.settings.top_k
        n = min(max(self.settings.candidates, k), self.index.n_chunks)
        query_vector = self.embedder.embed([query])[0]
        if self.settings.fusion == Fusion.ENGINE_RRF and hasattr(self.index, "fused_search"):
            return self._fused_by_engine(query, query_vector, n, k, docs)
        (dense_scores, dense_rows), (bm25_scores, bm25_rows) = self._rankings(query, query_vector, n, docs)

        rows = np.union1d(dense_rows, bm25_rows)  # ascending: ties in the fused score go to the earlier row
        dense = _aligned(rows, dense_rows, dense_scores)
        bm25 = _aligned(rows, bm25_rows, bm25_scores)
        fused = self._fuse(rows, dense, bm25, dense_rows, bm25_rows)
        order = np.argsort(-fused, kind="stable")[:k]
        chosen = rows[order]
        missing = np.isnan(bm25[order])  # outside the BM25 candidates: its score is asked for, to report it
        reported = bm25[order].copy()
        if missing.any():
            reported[missing] = self.index.keyword_scores(query, chosen[missing])
        results = []
        for rank, (i, row, chunk) in enumerate(zip(order, chosen, self._chunks(chosen)), 1):
            cosine = dense[i] if not np.isnan(dense[i]) else float(self.index.vector(int(row)) @ query_vector)
            results.append(RetrievedChunk(chunk, float(fused[i]), float(cosine), float(reported[rank - 1]), rank))
        return results

    def _rankings(self, query: str, query_vector: np.ndarray, n: int, docs: frozenset[str] | None):
        """The dense and the keyword ranking; at once when they are two requests to a server (Milvus)."""
        if not getattr(self.index, "parallel_searches", False):
            return self.index.dense_search(query_vector, n, docs), self.index.keyword_search(query, n, docs)
        keyword = _requests().submit(self.index.keyword_search, query, n, docs)
        return self.index.dense_search(query_vector, n, docs), keyword.result()

    def _chunks(self, rows: np.ndarray) -> list[Chunk]:
        """The chunks of these rows: in one request where the index can (Milvus), else one by one."""
        many = getattr(self.index, "chunks", None)
        return many([int(r) for r in rows]) if many else [self.index.chunk(int(r)) for r in rows]

    def _fused_by_engine(self, query: str, query_vector: np.ndarray, n: int, k: int,
                         docs: frozenset[str] | None) -> list[RetrievedChunk]:
        fused, rows = self.index.fused_search(query_vector, query, n, k, self.settings.rrf_k, docs)
        vectors = self.index.vectors(rows.tolist())
        bm25 = self.index.keyword_scores(query, rows)
        return [RetrievedChunk(chunk, float(score), float(vectors[int(row)] @ query_vector), float(b), rank)
                for rank, (row, chunk, score, b) in enumerate(zip(rows, self._chunks(rows), fused, bm25), 1)]

    def knows_word(self, stemmed: str) -> bool:
        """Whether a (stemmed) word occurs anywhere in the collection (the output filter asks)."""
        return self.index.knows_word(stemmed)

    def _fuse(self, rows, dense, bm25, dense_rows, bm25_rows) -> np.ndarray:
        if self.settings.fusion == Fusion.WEIGHTED:
            # A chunk outside the dense candidates scores at most the last candidate's cosine: use that.
            floor = np.nanmin(dense) if np.any(~np.isnan(dense)) else 0.0
            dense = np.where(np.isnan(dense), floor, dense)
            bm25 = np.nan_to_num(bm25)
            bm25_norm = bm25 / bm25.max() if bm25.max() > 0 else bm25
            w = self.settings.dense_weight
            return w * dense + (1 - w) * bm25_norm
        k0 = self.settings.rrf_k
        return _rrf(rows, dense_rows, k0) + _rrf(rows, bm25_rows, k0)


@lru_cache(maxsize=1)
def _requests() -> ThreadPoolExecutor:
    """Threads for an index's requests to its server, shared by every session (each waits on the network)."""
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="index-request")


def _aligned(rows: np.ndarray, found_rows: np.ndarray, found_scores: np.ndarray) -> np.ndarray:
    """found_scores placed at their rows' positions in `rows`; NaN where a row was not found."""
    out = np.full(len(rows), np.nan, dtype=np.float64)
    out[np.searchsorted(rows, found_rows)] = found_scores
    return out


def _rrf(rows: np.ndarray, ranked_rows: np.ndarray, k0: int) -> np.ndarray:
    """1 / (k0 + rank) for the rows in the ranking (best first), 0 for the others (float32, as measured)."""
    votes = np.zeros(len(rows), dtype=np.float32)
    votes[np.searchsorted(rows, ranked_rows)] = 1.0 / (k0 + np.arange(1, len(ranked_rows) + 1, dtype=np.float32))
    return votes
