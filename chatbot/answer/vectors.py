"""MiniLM vectors of passage sentences, each computed once: excerpting, the verdict and the support check
read the same sentences of the same passages, question after question."""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from ..index.embeddings import Embedder

_KEPT = 200_000  # sentence vectors kept (1.5 KB each): a long session's passages, bounded


class SentenceVectors:
    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # the app's sessions answer side by side

    def of(self, texts: list[str]) -> np.ndarray:
        """One row per text, in order."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = self.embedder.embed(missing)
            with self._lock:
                self._cache.update(zip(missing, vectors))
                while len(self._cache) > _KEPT:
                    self._cache.popitem(last=False)
        with self._lock:
            return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, self.embedder.dimension), np.float32)

    def query(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]
