"""Generation: two real engines behind one small interface, chosen by `Settings.engine`.

Both stream text for a list of chat messages with greedy decoding (answers must be reproducible).
Neither llama.cpp nor a transformers model may be driven by two threads at once, so each generator
serialises its callers with a lock; `busy` lets a UI say "waiting" instead of freezing.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Iterator, Protocol

from .config import Settings
from .errors import ChatbotError
from .models import generator_model_path


class Generator(Protocol):
    name: str

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]: ...

    def count_tokens(self, text: str) -> int: ...

    @property
    def busy(self) -> bool: ...


class _Serialised:
    def __init__(self) -> None:
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        return self._lock.locked()


class LlamaCppGenerator(_Serialised):
    def __init__(self, model_path: Path, settings: Settings):
        super().__init__()
        from llama_cpp import Llama

        try:
            self._llm = Llama(model_path=str(model_path), n_ctx=settings.n_ctx, n_threads=settings.n_threads, seed=0, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise ChatbotError(f"llama.cpp could not load the language model {model_path.name} ({exc}); delete it and run `make setup`, or point CHATBOT_GENERATOR_MODEL at a valid .gguf file.") from None
        self.name = f"llama_cpp:{model_path.name}"

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        with self._lock:
            for part in self._llm.create_chat_completion(messages=messages, stream=True, temperature=0.0, max_tokens=max_tokens):
                delta = part["choices"][0]["delta"].get("content")
                if delta:
                    yield delta

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0


class TransformersGenerator(_Serialised):
    def __init__(self, model_path: Path, settings: Settings):
        super().__init__()
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer

        transformers.logging.disable_progress_bar()
        torch.set_num_threads(settings.n_threads)
        # A .gguf file is dequantised by transformers; a folder is an ordinary Hugging Face model.
        folder, extra = (model_path.parent, {"gguf_file": model_path.name}) if model_path.is_file() else (model_path, {})
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(folder, **extra)
            self._model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16, **extra)
        except Exception as exc:  # transformers raises many kinds of errors for a bad model
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}" if str(exc) else type(exc).__name__
            raise ChatbotError(f"transformers could not load the language model {model_path} ({reason}); check CHATBOT_GENERATOR_MODEL, reinstall with `make setup`, or use CHATBOT_ENGINE=llama_cpp.") from None
        self._model.eval()
        self.name = f"transformers:{model_path.name}"

    def stream(self, messages: list[dict], max_tokens: int) -> Iterator[str]:
        from transformers import TextIteratorStreamer

        with self._lock:
            inputs = self._tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
            streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
            worker = threading.Thread(target=self._model.generate, kwargs=dict(
                **inputs, max_new_tokens=max_tokens, do_sample=False, streamer=streamer))
            worker.start()
            try:
                yield from streamer
            finally:
                worker.join()

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False)) if text else 0


ENGINES = {"llama_cpp": LlamaCppGenerator, "transformers": TransformersGenerator}


def load_generator(settings: Settings) -> Generator:
    engine = ENGINES.get(settings.engine)
    if engine is None:
        raise ChatbotError(f"Unknown engine {settings.engine!r}; set CHATBOT_ENGINE to one of: {', '.join(ENGINES)}.")
    return engine(generator_model_path(settings), settings)
