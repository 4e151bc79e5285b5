"""The answering flow, one stage after another: screen → rewrite → retrieve → gate → generate → check → render.

Each stage is a small function with typed input and output; a stage that decides the documents cannot
answer ends the flow at once with a refusal (the rules are in refusals.py). The flow is a generator:
it yields the model's text as it is written, then the finished `Answer`.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..config import REFUSAL, AnswerSettings
from ..engines import Generator
from ..index.retrieval import RetrievedChunk, Retriever
from . import refusals
from .check import CheckedSentence, SupportJudge, check_sentences, parse_answer
from .prompt import Source, answer_messages, number_sources
from .render import render
from .rewrite import needs_rewrite, rewrite
from .types import Answer, RefusalReason, Timings


@dataclass
class Draft:
    """What the model wrote."""
    text: str
    tokens: int


@dataclass
class Checked:
    """The draft's sentences after the citation checks, and the refusal they lead to, if any."""
    kept: list[CheckedSentence] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    refusal: RefusalReason | None = None


class _Clock:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.timings = Timings()

    def since_start(self) -> float:
        return time.perf_counter() - self.started

    def done(self) -> Timings:
        self.timings.total_s = self.since_start()
        return self.timings


class AnswerPipeline:
    def __init__(self, retriever: Retriever, generator: Callable[[], Generator], judge: SupportJudge,
                 settings: AnswerSettings, max_new_tokens: int):
        self.retriever, self._generator, self.judge = retriever, generator, judge
        self.settings, self.max_new_tokens = settings, max_new_tokens

    def run(self, question: str, history: list[dict], k: int) -> Iterator[str | Answer]:
        """`question` and `history` are already validated (screen.py)."""
        clock = _Clock()
        if refusals.is_instruction(question):
            yield REFUSAL
            yield _refusal(question, question, RefusalReason.INSTRUCTION, clock)
            return
        standalone = self._rewrite(question, history, clock)
        retrieved = self._retrieve(standalone, k, clock)
        if refusals.retrieval_too_weak(retrieved, self.settings.min_dense_score):
            yield REFUSAL
            yield _refusal(question, standalone, RefusalReason.WEAK_RETRIEVAL, clock, retrieved)
            return
        sources = number_sources(retrieved)
        draft = yield from self._generate(standalone, sources, clock)
        checked = self._check(draft, standalone, sources, clock)
        if checked.refusal:
            yield _refusal(question, standalone, checked.refusal, clock, retrieved, draft, checked.dropped)
            return
        text, citations = render(checked.kept, sources)
        yield Answer(question=question, standalone_question=standalone, text=text, refused=False, refusal_reason=None,
                     citations=citations, retrieved=retrieved, timings=clock.done(), raw_text=draft.text,
                     dropped=checked.dropped, recited=sum(c.status == "recited" for c in checked.kept))

    def _rewrite(self, question: str, history: list[dict], clock: _Clock) -> str:
        if not needs_rewrite(question, history):
            return question
        standalone = rewrite(question, history, self._generator())
        clock.timings.rewrite_s = clock.since_start()
        return standalone

    def _retrieve(self, query: str, k: int, clock: _Clock) -> list[RetrievedChunk]:
        t0 = time.perf_counter()
        retrieved = self.retriever.search(query, k)
        clock.timings.retrieval_s = time.perf_counter() - t0
        return retrieved

    def _generate(self, question: str, sources: list[Source], clock: _Clock) -> Iterator[str]:
        """Yields the model's text as it comes; returns the whole Draft."""
        generator = self._generator()
        pieces: list[str] = []
        t0 = time.perf_counter()
        for piece in generator.stream(answer_messages(question, sources), self.max_new_tokens):
            if not pieces:
                clock.timings.ttft_s = clock.since_start()
            pieces.append(piece)
            yield piece
        clock.timings.generation_s = time.perf_counter() - t0
        text = "".join(pieces).strip()
        clock.timings.tokens_generated = generator.count_tokens(text)
        return Draft(text, clock.timings.tokens_generated)

    def _check(self, draft: Draft, question: str, sources: list[Source], clock: _Clock) -> Checked:
        t0 = time.perf_counter()
        try:
            if refusals.model_refused(draft.text):
                return Checked(refusal=RefusalReason.MODEL_REFUSED)
            checked = check_sentences(parse_answer(draft.text), {s.n: s.text for s in sources}, self.judge)
            kept = [c for c in checked if c.status != "dropped"]
            dropped = [c.text for c in checked if c.status == "dropped"]
            if not kept:
                return Checked(dropped=dropped, refusal=RefusalReason.UNSUPPORTED)
            if refusals.lacks_asked_quantity(question, [c.text for c in kept]):
                return Checked(dropped=dropped, refusal=RefusalReason.NO_QUANTITY)
            return Checked(kept=kept, dropped=dropped)
        finally:
            clock.timings.checks_s = time.perf_counter() - t0


def _refusal(question: str, standalone: str, reason: RefusalReason, clock: _Clock,
             retrieved: list[RetrievedChunk] | None = None, draft: Draft | None = None, dropped: list[str] | None = None) -> Answer:
    return Answer(question=question, standalone_question=standalone, text=REFUSAL, refused=True, refusal_reason=reason,
                  citations=[], retrieved=retrieved or [], timings=clock.done(), raw_text=draft.text if draft else "",
                  dropped=dropped or [])
