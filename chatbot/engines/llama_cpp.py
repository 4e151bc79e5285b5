"""llama.cpp through llama-cpp-python: the default engine (about 5x faster than transformers on 2 cores)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..config import GenerationSettings
from ..errors import ChatbotError
from . import Serialised


class LlamaCppGenerator(Serialised):
    def __init__(self, model_path: Path, settings: GenerationSettings):
        super().__init__()
        from llama_cpp import Llama

        try:
            self._llm = Llama(model_path=str(model_path), n_ctx=settings.n_ctx, n_threads=settings.n_threads, seed=0, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ChatbotError(f"llama.cpp could not load the language model {model_path.name} ({exc}); delete it and run "
                               "`make setup`, or point CHATBOT_GENERATOR_MODEL at a valid .gguf file.") from None
        self.name = f"llama_cpp:{model_path.name}"

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        with self._lock:
            for part in self._llm.create_chat_completion(messages=messages, stream=True, temperature=0.0, max_tokens=max_tokens):
                delta = part["choices"][0]["delta"].get("content")
                if delta:
                    yield delta

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0


ENGINE = LlamaCppGenerator
