"""The keyword index: BM25 (bm25s) over the chunks' stemmed tokens, in shards, with positions mapped to rows.

bm25s precomputes every (token, chunk) score, so it cannot be updated in place: a change rebuilds a
whole index. To keep that proportional to the change, the collection's BM25 is split into shards of
at most `keyword_shard_chunks` chunks; a build rebuilds only the shards whose documents changed (from
the tokens each document stored when it was indexed) and shares the others' files. New documents go
to the newest shard, so the shards hold ascending, disjoint row ranges.

Scores are those of one BM25 over the whole collection for the IDF: each shard's precomputed scores
are rescaled per query token by idf(collection) / idf(shard), with document frequencies summed over
the shards. Only the length normalisation uses the shard's own average chunk length (within a few
percent of the collection's when shards are large). With one shard (up to 50,000 chunks by default)
the scores are bm25s's, exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np
from bm25s.scoring import _select_idf_scorer

from ..fileutils import NUMPY_LOADS, load_array


@dataclass
class Shard:
    name: str
    bm25: bm25s.BM25
    rows: np.ndarray  # rows[local position] = the chunk's row number, ascending

    @classmethod
    def build(cls, name: str, tokens: list[list[str]], rows: np.ndarray) -> Shard:
        bm25 = bm25s.BM25()
        bm25.index(tokens, show_progress=False)
        return cls(name, bm25, np.asarray(rows, dtype=np.int64))

    @classmethod
    def load(cls, folder: Path) -> Shard:
        with NUMPY_LOADS:  # bm25s reads its arrays with np.load
            bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(folder.name, bm25, load_array(folder / "rows.npy"))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.bm25.save(str(folder), show_progress=False)
        np.save(folder / "rows.npy", self.rows)

    def posting(self, token: str) -> tuple[np.ndarray, np.ndarray]:
        """(local positions, precomputed scores) of the chunks holding the token."""
        token_id = self.bm25.vocab_dict.get(token)
        if token_id is None:
            return _EMPTY_INT, _EMPTY_FLOAT
        indptr = self.bm25.scores["indptr"]
        start, end = indptr[token_id], indptr[token_id + 1]
        return self.bm25.scores["indices"][start:end], self.bm25.scores["data"][start:end]


_EMPTY_INT, _EMPTY_FLOAT = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)


class KeywordIndex:
    def __init__(self, shards: list[Shard]):
        self.shards = sorted(shards, key=lambda s: int(s.rows[0]) if len(s.rows) else -1)
        self.rows = np.concatenate([s.rows for s in self.shards]) if self.shards else np.zeros(0, dtype=np.int64)
        if np.any(np.diff(self.rows) <= 0):
            raise ValueError("the BM25 shards' rows overlap")
        self.offsets = np.cumsum([0] + [len(s.rows) for s in self.shards])[:-1]
        self._idf = _select_idf_scorer(self.shards[0].bm25.idf_method) if self.shards else None

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        return cls([Shard.load(p) for p in sorted(folder.iterdir()) if p.is_dir()])

    @property
    def size(self) -> int:
        return len(self.rows)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk, by position (0 for chunks sharing no token with the query)."""
        scores = np.zeros(self.size, dtype=np.float32)
        for token in tokens:  # a repeated query word counts again, as in bm25s
            postings = [shard.posting(token) for shard in self.shards]
            df = sum(len(p[0]) for p in postings)
            if not df:
                continue
            idf = self._idf(df, self.size) if len(self.shards) > 1 else None
            for shard, offset, (positions, data) in zip(self.shards, self.offsets, postings):
                if not len(positions):
                    continue
                if idf is not None:  # the collection's IDF instead of the shard's
                    data = data * np.float32(idf / self._idf(len(positions), len(shard.rows)))
                # A token's posting list names each chunk once, so a plain += is exact (and faster than np.add.at).
                scores[offset + positions] += data
        return scores

    def knows(self, token: str) -> bool:
        """Whether a (stemmed) word occurs anywhere in the collection."""
        return any(token in shard.bm25.vocab_dict for shard in self.shards)

    def positions(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.rows, rows)
