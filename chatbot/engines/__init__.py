"""Generators: engines that stream an answer for a list of chat messages, behind one small interface.

One module per engine, named in `ENGINES` (the one place an engine is registered: adding one is a module
with a class that has `load(settings)` and `local`, and a line there); `load_generator` imports it only when
chosen (so choosing llama.cpp never imports torch). Every engine decodes greedily unless handed a `Sampling`
(answers must be reproducible; seeded samples serve experiments that compare several answers). A local model
cannot be driven by two threads at once, so a local engine serialises its callers with a lock; `busy` lets a UI
say "waiting" instead of freezing. The `openai` engine has no lock: its server runs requests from many sessions side by side.
"""
from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from ..config import Settings
from ..errors import ChatbotError

# Engine name (CHATBOT_ENGINE) -> "module:class" in this package.
ENGINES = {"llama_cpp": "llama_cpp:LlamaCppGenerator", "transformers": "transformers:TransformersGenerator",
           "openai": "openai_api:OpenAIGenerator"}


@dataclass(frozen=True)
class Sampling:
    """How the next tokens are drawn: temperature 0 is greedy (the default, and every answer a reader sees)."""
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0


GREEDY = Sampling()


class Generator(Protocol):
    name: str
    local: bool  # runs the model in this process (the set-up's model check applies), not on a server

    @classmethod
    def load(cls, settings: Settings) -> Generator: ...

    def stream(self, messages: list[dict], max_tokens: int, sampling: Sampling = GREEDY) -> Iterator[str]:
        """The reply's text as it is written. Closing the iterator stops the generation. A reply may carry
        `completion_tokens` (the server's own count) once it has ended."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def yes_probability(self, messages: list[dict]) -> float:
        """P(the reply to `messages` starts with yes rather than no), read from the next-token distribution."""
        ...

    def turn(self) -> AbstractContextManager:
        """Held around one question's consecutive calls (the verdict, then the answer)."""
        ...

    @property
    def busy(self) -> bool: ...


class Serialised:
    """For engines that run one generation at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one call at a time
        self._turn = threading.Lock()  # one question's verdict and answer back to back

    def turn(self) -> AbstractContextManager:
        """Another question's prompt between this one's verdict and answer would evict its sources from the
        model's cache, and they would be read twice (measured: benchmarks/bench_load.py)."""
        return self._turn

    @property
    def busy(self) -> bool:
        return self._lock.locked() or self._turn.locked()


# First tokens of a yes or a no reply; the verdict compares their probabilities, so the wording
# of the model's reply ("Yes.", "yes,", "No") does not matter.
YES_WORDS, NO_WORDS = ("yes", "Yes", "YES", " yes", " Yes"), ("no", "No", "NO", " no", " No")


def yes_share(logits: dict[str, float]) -> float:
    """P(yes) among yes/no replies, from the logits of their first tokens (a softmax over just those)."""
    top = max(logits.values())
    weights = {word: math.exp(value - top) for word, value in logits.items()}
    yes = sum(w for word, w in weights.items() if word.strip().lower() == "yes")
    return yes / sum(weights.values())


def engine_class(name: str) -> type[Generator]:
    """The class of a registered engine; one sentence for a name that is not one."""
    if name not in ENGINES:
        raise ChatbotError(f"CHATBOT_ENGINE is {name!r}, which is not one of: {', '.join(ENGINES)}; set it to one of those.")
    module, cls = ENGINES[name].split(":")
    return getattr(importlib.import_module(f".{module}", __package__), cls)


def load_generator(settings: Settings) -> Generator:
    return engine_class(settings.generation.engine).load(settings)


class LazyGenerator:
    """A language model loaded on first use, shared (one model for every collection; a search never loads it)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.local = engine_class(settings.generation.engine).local
        self._loaded: Generator | None = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Generator:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = load_generator(self.settings)
        return self._loaded

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def busy(self) -> bool:
        return self._loaded is not None and self._loaded.busy

    def stream(self, messages: list[dict], max_tokens: int, sampling: Sampling = GREEDY) -> Iterator[str]:
        return self.model.stream(messages, max_tokens, sampling)

    def count_tokens(self, text: str) -> int:
        return self.model.count_tokens(text)

    def yes_probability(self, messages: list[dict]) -> float:
        return self.model.yes_probability(messages)

    def turn(self) -> AbstractContextManager:
        return self.model.turn()
