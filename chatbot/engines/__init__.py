"""Generators: engines that stream an answer for a list of chat messages, behind one small interface.

One module per engine; `load_generator` picks it by `GenerationSettings.engine` and imports it only
then (so choosing llama.cpp never imports torch). Every engine decodes greedily: answers must be
reproducible. A local model cannot be driven by two threads at once, so a local engine serialises
its callers with a lock; `busy` lets a UI say "waiting" instead of freezing.
"""
from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from ..config import Engine, GenerationSettings
from ..models import generator_model_path

# Engine -> the module (in this package) whose `ENGINE` class implements it.
ENGINE_MODULES = {Engine.LLAMA_CPP: "llama_cpp", Engine.TRANSFORMERS: "transformers"}


class Generator(Protocol):
    name: str

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]: ...

    def count_tokens(self, text: str) -> int: ...

    @property
    def busy(self) -> bool: ...


class Serialised:
    """For engines that run one generation at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._lock.locked()


def load_generator(settings: GenerationSettings, model_cache_dir: Path) -> Generator:
    module = importlib.import_module(f".{ENGINE_MODULES[settings.engine]}", __package__)
    return module.ENGINE(generator_model_path(settings.generator_model, model_cache_dir), settings)
