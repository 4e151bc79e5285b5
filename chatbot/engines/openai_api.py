"""Any OpenAI-compatible chat-completions server (llama.cpp's llama-server, vLLM, TGI, Ollama) through the
official `openai` client: the engine that scales out.

No lock: the server batches requests from many sessions itself. Every failure (server down, too slow,
stopped mid-answer, a reply that is not the protocol) becomes one `ChatbotError` naming the server and
the fix; the client's time-outs and bounded retries (on connection failures, before any text) mean
nothing hangs. The key comes from the variable CHATBOT_OPENAI_API_KEY and is never logged.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext

import httpx2
import openai

from ..config import GenerationSettings, Settings
from ..errors import ChatbotError, EngineUnavailableError
from . import GREEDY, NO_WORDS, YES_WORDS, Sampling, yes_share
from .control_tokens import neutralised

API_KEY_VARIABLE = "CHATBOT_OPENAI_API_KEY"
# The yes/no verdict reads the first token's alternatives; 20 is the most the OpenAI protocol allows.
TOP_LOGPROBS = 20


class Reply:
    """A streamed reply: iterate for its text; `completion_tokens` is the server's count once it has ended."""

    def __init__(self) -> None:
        self.completion_tokens: int | None = None
        self._pieces: Iterator[str] = iter(())

    def __iter__(self) -> Iterator[str]:
        return self._pieces

    def close(self) -> None:
        self._pieces.close()


class OpenAIGenerator:
    local = False  # the model lives on the server
    busy = False  # never waits on a lock of ours: the server queues and batches

    @classmethod
    def load(cls, settings: Settings) -> OpenAIGenerator:
        return cls(settings.generation)

    def __init__(self, settings: GenerationSettings):
        self._base_url = settings.openai_base_url.rstrip("/")
        timeout = openai.Timeout(settings.openai_read_timeout_s, connect=settings.openai_connect_timeout_s)
        self._client = openai.OpenAI(base_url=self._base_url, api_key=os.environ.get(API_KEY_VARIABLE) or "none",
                                     timeout=timeout, max_retries=settings.openai_max_retries)
        self._model = settings.openai_model or self._first_model()
        self.name = f"openai:{self._model}@{self._base_url}"

    def stream(self, messages: list[dict], max_tokens: int, sampling: Sampling = GREEDY) -> Reply:
        reply = Reply()
        reply._pieces = self._stream(reply, messages, max_tokens, sampling)
        return reply

    def _stream(self, reply: Reply, messages: list[dict], max_tokens: int, sampling: Sampling) -> Iterator[str]:
        with self._calling("answering") as call:
            chunks = self._client.chat.completions.create(
                model=self._model, messages=neutralised(messages), stream=True, temperature=sampling.temperature,
                top_p=sampling.top_p, seed=sampling.seed,
                max_tokens=max_tokens, stream_options={"include_usage": True})
            received = False
            try:
                for chunk in chunks:
                    received = call.started = True
                    if chunk.usage is not None:
                        reply.completion_tokens = chunk.usage.completion_tokens
                    if chunk.choices and (text := chunk.choices[0].delta.content):
                        yield text
            finally:
                chunks.close()  # an answer ended early stops the server's decoding of it
            if not received:  # not one event: whatever answered does not stream the protocol
                raise ValueError("no chat-completion chunks")

    def turn(self) -> AbstractContextManager:
        return nullcontext()  # the server keeps each request's prompt in a slot of its own

    def count_tokens(self, text: str) -> int:
        """An estimate (about four characters a token): the counts that matter come from the server's `usage`."""
        return math.ceil(len(text) / 4)

    def yes_probability(self, messages: list[dict]) -> float:
        """From the alternatives the server gives for the reply's first token (the top 20). A missing word is
        read so that yes is never overstated: a missing "no" as just below the last alternative, a missing
        "yes" as impossible (and neither among them, the model not answering yes or no at all, as 0)."""
        with self._calling("checking whether the sources answer"):
            response = self._client.chat.completions.create(
                model=self._model, messages=neutralised(messages), temperature=0.0, seed=0, max_tokens=1, logprobs=True,
                top_logprobs=TOP_LOGPROBS)
        try:
            top = {alt.token: alt.logprob for alt in response.choices[0].logprobs.content[0].top_logprobs}
        except (AttributeError, IndexError, TypeError):
            raise EngineUnavailableError(
                f"The model server at {self._base_url} did not return token probabilities, which the answerability "
                "check needs; use a server that supports `logprobs` (llama-server, vLLM) or set CHATBOT_VERDICT=false.") from None
        words = {w: top[w] for w in YES_WORDS + NO_WORDS if w in top}
        if not any(w.strip().lower() == "yes" for w in words):
            return 0.0
        if not any(w.strip().lower() == "no" for w in words):
            words["no"] = min(top.values())
        return yes_share(words)

    def _first_model(self) -> str:
        with self._calling("listing its models"):
            models = [m.id for m in self._client.models.list()]
        if not models:
            raise EngineUnavailableError(f"The model server at {self._base_url} lists no models; load one there, or set "
                                         "CHATBOT_OPENAI_MODEL to the name it serves.")
        return models[0]

    def _calling(self, doing: str) -> _ServerErrors:
        return _ServerErrors(self._base_url, doing)


class _ServerErrors:
    """Turns whatever goes wrong talking to the server into one sentence saying what and how to fix it."""

    def __init__(self, base_url: str, doing: str):
        self.base_url, self.doing = base_url, doing
        self.started = False  # set once the reply has begun: a lost connection is then a server that stopped

    def __enter__(self) -> _ServerErrors:
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, (ChatbotError, GeneratorExit)):
            return False
        where = f"The model server at {self.base_url}"
        if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
            message = (f"{where} did not answer in time while {self.doing}; check that it is not overloaded, or raise "
                       "CHATBOT_OPENAI_READ_TIMEOUT_S.")
        elif isinstance(exc, openai.APIConnectionError | httpx2.HTTPError) and self.started:
            message = (f"{where} stopped answering while {self.doing} ({type(exc.__cause__ or exc).__name__}); check "
                       "that it is running, then ask again.")
        elif isinstance(exc, openai.APIConnectionError | httpx2.ConnectError):
            message = (f"{where} cannot be reached; start it (`make serve-model`) or set CHATBOT_OPENAI_BASE_URL to "
                       "the server's address.")
        elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            message = f"{where} refused the key; set {API_KEY_VARIABLE} to a key it accepts."
        elif isinstance(exc, openai.NotFoundError):
            message = (f"{where} has no such model or endpoint ({_short(exc)}); check CHATBOT_OPENAI_MODEL and that "
                       "CHATBOT_OPENAI_BASE_URL ends in /v1.")
        elif isinstance(exc, openai.APIStatusError):
            message = f"{where} answered with an error while {self.doing} ({exc.status_code}: {_short(exc)}); see the server's log."
        elif isinstance(exc, httpx2.HTTPError):
            message = f"{where} failed while {self.doing} ({type(exc).__name__}); check that it is running, then ask again."
        elif isinstance(exc, openai.OpenAIError | json.JSONDecodeError | ValueError | AttributeError | KeyError | TypeError):
            message = (f"{where} sent a reply that is not the OpenAI chat-completions protocol while {self.doing}; "
                       "check that CHATBOT_OPENAI_BASE_URL points at an OpenAI-compatible /v1 endpoint.")
        else:
            return False
        raise EngineUnavailableError(message) from None


def _short(exc: Exception, limit: int = 160) -> str:
    text = " ".join(str(getattr(exc, "message", exc)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

