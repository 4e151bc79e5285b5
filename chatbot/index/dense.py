"""The dense index: FAISS inner product over normalised vectors, with our row numbers as its ids.

Exact search (a flat index) up to `exact_max_chunks`; above it an IVF index, which answers a query
from the `ivf_nprobe` closest clusters only. IVF, unlike HNSW, can remove vectors by id, so a changed
document is applied as remove + add instead of a rebuild. Both were measured at 1M chunks
(benchmarks/bench_index_scale.py; docs/results/2026-11-30-scale.md).
"""
from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

from ..config import IndexSettings

FLAT, IVF = "flat", "ivf"


def kind_for(n_chunks: int, settings: IndexSettings) -> str:
    return FLAT if n_chunks <= settings.exact_max_chunks else IVF


class DenseIndex:
    def __init__(self, index: faiss.Index, kind: str, nprobe: int):
        self.faiss, self.kind = index, kind
        if kind == IVF:
            faiss.extract_index_ivf(index).nprobe = nprobe

    @classmethod
    def build(cls, vectors: np.ndarray, rows: np.ndarray, dim: int, settings: IndexSettings) -> DenseIndex:
        kind = kind_for(len(rows), settings)
        if kind == FLAT:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        else:
            nlist = _nlist(len(rows))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            # FAISS wants 30-256 training points per cluster; a sample keeps training time bounded.
            sample = np.random.default_rng(0).choice(len(rows), size=min(len(rows), 64 * nlist), replace=False)
            index.train(np.ascontiguousarray(vectors[np.sort(sample)]))
        dense = cls(index, kind, settings.ivf_nprobe)
        dense.add(vectors, rows)
        return dense

    @classmethod
    def load(cls, path: Path, kind: str, settings: IndexSettings) -> DenseIndex:
        return cls(faiss.read_index(str(path)), kind, settings.ivf_nprobe)

    def save(self, path: Path) -> None:
        faiss.write_index(self.faiss, str(path))

    @property
    def size(self) -> int:
        return int(self.faiss.ntotal)

    def add(self, vectors: np.ndarray, rows: np.ndarray) -> None:
        if len(rows):
            self.faiss.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(rows, dtype=np.int64))

    def remove(self, rows: np.ndarray) -> None:
        if len(rows):
            self.faiss.remove_ids(np.asarray(rows, dtype=np.int64))

    def search(self, query_vector: np.ndarray, n: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The best `n` (cosine, row) pairs, best first; fewer when the index holds fewer. With `rows`, only those are
        searched (a filter applied inside the search, so n are found when n exist among them)."""
        params = None
        if rows is not None:
            selector = faiss.IDSelectorBatch(np.asarray(rows, dtype=np.int64))
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=faiss.extract_index_ivf(self.faiss).nprobe)
                      if self.kind == IVF else faiss.SearchParameters(sel=selector))
            n = min(n, len(rows))
        if n <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores, rows = self.faiss.search(query_vector.reshape(1, -1), min(n, self.size), params=params)
        found = rows[0] >= 0
        return scores[0][found], rows[0][found]


def _nlist(n: int) -> int:
    """About sqrt(n) clusters (1,000 at 1M chunks): quick to train on 2 cores, ~1,000 vectors per cluster."""
    return int(min(16384, max(16, math.sqrt(n))))
