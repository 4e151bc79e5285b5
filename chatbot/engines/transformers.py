"""Hugging Face transformers: the fallback engine (a GGUF dequantised to bfloat16, or a model folder)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from ..config import GenerationSettings, Settings
from ..errors import EngineUnavailableError
from ..models import generator_model_path
from . import GREEDY, NO_WORDS, YES_WORDS, Sampling, Serialised, yes_share
from .control_tokens import neutralised


class TransformersGenerator(Serialised):
    local = True

    @classmethod
    def load(cls, settings: Settings) -> TransformersGenerator:
        return cls(generator_model_path(settings.generation.generator_model, settings.model_cache_dir), settings.generation)

    def __init__(self, model_path: Path, settings: GenerationSettings):
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
            raise EngineUnavailableError(f"transformers could not load the language model {model_path} ({reason}); check "
                               "CHATBOT_GENERATOR_MODEL, reinstall with `make setup`, or use CHATBOT_ENGINE=llama_cpp.") from None
        self._model.eval()
        self.name = f"transformers:{model_path.name}"
        self._answer_tokens = {w: self._tokenizer.encode(w, add_special_tokens=False)[0] for w in YES_WORDS + NO_WORDS}
        # Added and special tokens are split out of any text by the tokenizer: none may come from a document.
        self.specials = tuple({*self._tokenizer.all_special_tokens, *self._tokenizer.get_added_vocab()})

    def stream(self, messages: list[dict], max_tokens: int, sampling: Sampling = GREEDY) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        with self._lock:
            inputs = self._tokenizer.apply_chat_template(neutralised(messages, self.specials), add_generation_prompt=True,
                                                         return_tensors="pt", return_dict=True)
            streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
            drawn = dict(do_sample=False)
            if sampling.temperature > 0:
                drawn = dict(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p)
                torch.manual_seed(sampling.seed)
            worker = threading.Thread(target=self._model.generate, kwargs=dict(
                **inputs, max_new_tokens=max_tokens, streamer=streamer, **drawn))
            worker.start()
            try:
                yield from streamer
            finally:
                worker.join()

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False)) if text else 0

    def yes_probability(self, messages: list[dict]) -> float:
        import torch

        with self._lock, torch.no_grad():
            inputs = self._tokenizer.apply_chat_template(neutralised(messages, self.specials), add_generation_prompt=True,
                                                         return_tensors="pt", return_dict=True)
            logits = self._model(**inputs).logits[0, -1].float()
        return yes_share({w: float(logits[t]) for w, t in self._answer_tokens.items()})

