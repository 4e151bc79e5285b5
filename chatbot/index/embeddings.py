"""Sentence embeddings (all-MiniLM-L6-v2 by default), normalised so inner product = cosine."""
from __future__ import annotations

import os

import numpy as np

from ..errors import ChatbotError
from ..models import embedding_model_path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no model hub is reachable: never try one


class Embedder:
    def __init__(self, model: str):
        """`model`: the bundled model's name, or a sentence-transformers folder (Settings.embedding_model)."""
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()  # a bar for loading 90 MB is noise

        path = embedding_model_path(model)
        try:
            self._model = SentenceTransformer(str(path), device="cpu")
        except Exception as exc:  # a damaged model folder raises many kinds of errors
            raise ChatbotError(f"The embedding model in {path} could not be loaded ({type(exc).__name__}); reinstall it with `make setup`.") from None
        self.name = model
        self.dimension = int(self._model.get_embedding_dimension())

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True)
        return vectors.astype(np.float32)
