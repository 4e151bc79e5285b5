"""llama.cpp through llama-cpp-python: the default engine (about 5x faster than transformers on 2 cores)."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..config import GenerationSettings, Settings
from ..errors import EngineUnavailableError
from ..models import generator_model_path
from . import GREEDY, NO_WORDS, YES_WORDS, Sampling, Serialised, yes_share
from .control_tokens import neutralised
from .health import amx_refusal, llama_build_uses_amx, repack_weights

_LOADING = threading.Lock()  # the default-parameters hook below is process-wide


class LlamaCppGenerator(Serialised):
    local = True

    @classmethod
    def load(cls, settings: Settings) -> LlamaCppGenerator:
        return cls(generator_model_path(settings.generation.generator_model, settings.model_cache_dir), settings.generation)

    def __init__(self, model_path: Path, settings: GenerationSettings):
        super().__init__()
        from llama_cpp import Llama

        if llama_build_uses_amx():  # an environment built before the set-up kept AMX out would crash on the first answer
            raise EngineUnavailableError(amx_refusal())
        try:
            with _model_params(use_extra_bufts=repack_weights(settings.llama_repack)):
                self._llm = Llama(model_path=str(model_path), n_ctx=settings.n_ctx, n_threads=settings.n_threads, seed=0, verbose=False)
        except (ValueError, RuntimeError) as exc:
            raise EngineUnavailableError(f"llama.cpp could not load the language model {model_path.name} ({exc}); delete it and run "
                               "`make setup`, or point CHATBOT_GENERATOR_MODEL at a valid .gguf file.") from None
        self.name = f"llama_cpp:{model_path.name}"
        self._format = _chat_formatter(self._llm)
        self.specials = _special_token_texts(self._llm)
        self._answer_tokens = {w: self._llm.tokenize(w.encode("utf-8"), add_bos=False, special=False)[0]
                               for w in YES_WORDS + NO_WORDS}

    def stream(self, messages: list[dict], max_tokens: int, sampling: Sampling = GREEDY) -> Iterator[str]:
        with self._lock:
            for part in self._llm.create_chat_completion(messages=neutralised(messages, self.specials), stream=True,
                                                         temperature=sampling.temperature, top_p=sampling.top_p,
                                                         seed=sampling.seed, max_tokens=max_tokens):
                delta = part["choices"][0]["delta"].get("content")
                if delta:
                    yield delta

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0

    def yes_probability(self, messages: list[dict]) -> float:
        """Evaluates only the prompt's tokens that differ from what llama.cpp already holds in its cache
        (the sources of the same question are shared), then reads the last token's logits. Asking for
        `logprobs` instead would need `logits_all=True`, which slows every prompt."""
        tokens = self.prompt_tokens(messages)
        with self._lock:
            cached = self._llm.n_tokens
            same = 0
            for a, b in zip(self._llm.input_ids[:cached], tokens):
                if a != b:
                    break
                same += 1
            self._llm.n_tokens = min(same, len(tokens) - 1)  # eval() drops the cache after this point
            self._llm.eval(tokens[self._llm.n_tokens:])
            logits = np.ctypeslib.as_array(self._llm._ctx.get_logits_ith(-1), shape=(self._llm.n_vocab(),))
            return yes_share({w: float(logits[t]) for w, t in self._answer_tokens.items()})

    def prompt_tokens(self, messages: list[dict]) -> list[int]:
        """The token ids the model reads for `messages`: the chat template's markers are control tokens, nothing of
        the contents is (control_tokens.py)."""
        return self._llm.tokenize(self._format(messages=neutralised(messages, self.specials)).prompt.encode("utf-8"), special=True)


@contextmanager
def _model_params(use_extra_bufts: bool):
    """llama-cpp-python has no argument for llama.cpp's `use_extra_bufts` (weight repacking); `Llama` starts its
    model parameters from `llama_model_default_params()`, so that is wrapped while the model loads."""
    import llama_cpp.llama_cpp as raw

    with _LOADING:
        defaults = raw.llama_model_default_params

        def with_choice():
            params = defaults()
            params.use_extra_bufts = use_extra_bufts
            return params
        raw.llama_model_default_params = with_choice
        try:
            yield
        finally:
            raw.llama_model_default_params = defaults


def _special_token_texts(llm) -> tuple[str, ...]:
    """Every token that tokenising with special tokens parses from text: control, user-defined and unknown."""
    import llama_cpp.llama_cpp as raw

    parsed = raw.LLAMA_TOKEN_ATTR_CONTROL | raw.LLAMA_TOKEN_ATTR_USER_DEFINED | raw.LLAMA_TOKEN_ATTR_UNKNOWN
    model = llm._model
    return tuple(t for i in range(llm.n_vocab()) if model.token_get_attr(i) & parsed and (t := model.token_get_text(i)))


def _chat_formatter(llm):
    """The model's own chat template (from the GGUF), to build the same prompt text create_chat_completion does."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    def text(token: int) -> str:
        return llm._model.token_get_text(token) if token != -1 else ""
    return Jinja2ChatFormatter(template=llm.metadata["tokenizer.chat_template"], eos_token=text(llm.token_eos()),
                               bos_token=text(llm.token_bos()))

