"""The answering flow, one stage after another:
screen → rewrite → retrieve → gate → verdict → generate ⇄ check → meaning check → render.

Each stage is a small function with typed input and output; a stage that decides the documents cannot
answer ends the flow at once with a refusal (the rules are in refusals.py). Nothing unchecked reaches a
reader: the flow is a generator that yields the passages it is about to read (`Reading`), the answer
text one *checked* sentence at a time (a sentence is shown once its citation check and the model's
meaning check have passed, and only after the answerability verdict), then the finished `Answer`.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..config import REFUSAL, AnswerSettings
from ..engines import Generator
from ..index.retrieval import RetrievedChunk, Retriever
from . import refusals
from .answerability import AnswerabilityJudge, Verdict, verify_messages
from .check import AnswerSentence, CheckedSentence, SupportJudge, check_sentences, foreign_material, parse_answer
from .excerpt import excerpt_sources
from .meaning import meaning_probability
from .prompt import DATAMARK, Source, answer_messages, number_sources
from .render import render
from .rewrite import needs_rewrite, rewrite
from .types import Answer, Citation, Reading, RefusalReason, Timings

# The closest passage sentence is offered with a refusal only when it is about the question at all.
CLOSEST_MIN_SIMILARITY = 0.45


@dataclass
class Checked:
    """The sentences checked so far, and the refusal they lead to, if any."""
    allowed: str = ""  # what a sentence may draw on (the question and the sources as read), for the output checks
    kept: list[CheckedSentence] = field(default_factory=list)  # passed every check: may be shown
    pending: list[CheckedSentence] = field(default_factory=list)  # found their source; the meaning check is next
    dropped: list[str] = field(default_factory=list)
    raw_text: str = ""
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
                 answerability: AnswerabilityJudge, settings: AnswerSettings, max_new_tokens: int):
        self.retriever, self._generator, self.judge, self.answerability = retriever, generator, judge, answerability
        self.settings, self.max_new_tokens = settings, max_new_tokens

    def run(self, question: str, history: list[dict], k: int) -> Iterator[str | Reading | Answer]:
        """`question` and `history` are already validated (screen.py)."""
        clock = _Clock()
        if refusals.is_instruction(question):
            yield from _finish(_refusal(question, question, RefusalReason.INSTRUCTION, clock))
            return
        standalone = self._rewrite(question, history, clock)
        retrieved = self._retrieve(standalone, k, clock)
        if refusals.retrieval_too_weak(retrieved, self.settings.refuse_below_cosine):
            yield from _finish(_refusal(question, standalone, RefusalReason.WEAK_RETRIEVAL, clock, retrieved))
            return
        sources, messages = self.prompt(standalone, retrieved)
        yield Reading([s.retrieved for s in sources])
        checked = Checked(_allowed(standalone, sources))
        with self._generator().turn():  # the verdict reads the sources; the answer reuses what the model computed
            verdict = self._verdict(standalone, sources, messages, clock)
            if verdict is None or verdict.answerable:
                shown = ""
                for text in self._generate_checked(messages, standalone, sources, checked, clock):
                    yield text[len(shown):]
                    shown = text
        answerable = verdict.probability if verdict else None
        if verdict and not verdict.answerable:
            yield from _finish(self._refusal_with_closest(question, standalone, RefusalReason.NOT_ANSWERED, clock,
                                                          sources, verdict))
            return
        if checked.refusal:
            answer = self._refusal_with_closest(question, standalone, checked.refusal, clock, sources, verdict, checked)
            yield from _finish(answer)
            return
        text, citations = render(checked.kept, sources)
        yield Answer(question=question, standalone_question=standalone, text=text, refused=False, refusal_reason=None,
                     citations=citations, retrieved=retrieved, timings=clock.done(), raw_text=checked.raw_text,
                     dropped=checked.dropped, recited=sum(c.status == "recited" for c in checked.kept),
                     answerable=answerable)

    def prompt(self, question: str, retrieved: list[RetrievedChunk]) -> tuple[list[Source], list[dict]]:
        """The numbered sources the model reads (excerpts of the passages, when set) and its chat messages."""
        sources = number_sources(retrieved, self.settings.withhold_flagged)
        sources = excerpt_sources(sources, question, self.judge, self.settings.excerpt_chars)
        return sources, answer_messages(question, sources, self.settings.datamark)

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

    def _verdict(self, question: str, sources: list[Source], messages: list[dict], clock: _Clock) -> Verdict | None:
        if not self.settings.verdict:
            return None
        t0 = time.perf_counter()
        # The model reads the same sources it is about to answer from: llama.cpp keeps them cached for the answer.
        llm_yes = self._generator().yes_probability(verify_messages(messages)) if self.answerability.asks_the_model else 0.5
        verdict = self.answerability.verdict(question, [s.evidence_text for s in sources], llm_yes)
        clock.timings.verdict_s = time.perf_counter() - t0
        return verdict

    def _generate_checked(self, messages: list[dict], question: str, sources: list[Source], checked: Checked,
                          clock: _Clock) -> Iterator[str]:
        """Yields the rendered answer so far each time it grows by a sentence that passed its checks; fills `checked`."""
        generator = self._generator()
        pieces: list[str] = []
        n_checked = 0  # sentences of the draft already checked
        shown = ""
        t0 = time.perf_counter()
        stream = generator.stream(messages, self.max_new_tokens)
        try:
            ended = False
            for piece in stream:
                if not pieces:
                    clock.timings.ttft_s = clock.since_start()
                pieces.append(piece.replace(DATAMARK, " "))  # a datamark copied into the answer is a space
                complete = _complete_sentences("".join(pieces))
                ended = self._check_all(complete[n_checked:], sources, checked, clock)
                n_checked = max(n_checked, len(complete))
                if (text := self._showable(question, sources, checked)) != shown:
                    shown = text
                    clock.timings.first_sentence_s = clock.timings.first_sentence_s or clock.since_start()
                    yield text
                if ended:
                    break
            if not ended:
                self._check_all(parse_answer("".join(pieces))[n_checked:], sources, checked, clock)
        finally:
            stream.close()  # stops the model when the answer ends early; releases a local engine's lock
            checked.raw_text = "".join(pieces).strip()
            clock.timings.generation_s = time.perf_counter() - t0
            served = getattr(stream, "completion_tokens", None)  # a server's own count, when it gave one
            clock.timings.tokens_generated = served if served is not None else generator.count_tokens(checked.raw_text)
        # The meaning check needs the model, which the answer held until now: each sentence is shown once it passes.
        for _ in self._read_meaning(messages, checked, clock):
            if (text := self._showable(question, sources, checked)) != shown:
                shown = text
                clock.timings.first_sentence_s = clock.timings.first_sentence_s or clock.since_start()
                yield text
        if (text := self._showable(question, sources, checked)) != shown:
            clock.timings.first_sentence_s = clock.timings.first_sentence_s or clock.since_start()
            yield text
        elif not shown and not checked.refusal:
            checked.refusal = RefusalReason.NO_QUANTITY if checked.kept else RefusalReason.UNSUPPORTED

    def _read_meaning(self, messages: list[dict], checked: Checked, clock: _Clock) -> Iterator[CheckedSentence]:
        """Moves each pending sentence that the model reads as a correct answer to `kept` (yielding it), in order."""
        pending, checked.pending = checked.pending, []
        for sentence in pending:
            t0 = time.perf_counter()
            p = meaning_probability(self._generator(), messages, sentence.text)
            clock.timings.checks_s += time.perf_counter() - t0
            if p >= self.settings.meaning_min_yes:
                checked.kept.append(sentence)
                yield sentence
            else:
                checked.dropped.append(sentence.text)

    def _check_all(self, sentences: list[AnswerSentence], sources: list[Source], checked: Checked, clock: _Clock) -> bool:
        """Check sentences in order; True when the answer ends (the model says the sources do not answer)."""
        return any(self._check_one(sentence, sources, checked, clock) for sentence in sentences)

    def _check_one(self, sentence: AnswerSentence, sources: list[Source], checked: Checked, clock: _Clock) -> bool:
        """Check one sentence; True when the answer ends here (the model says the sources do not answer)."""
        t0 = time.perf_counter()
        try:
            if refusals.model_refused(sentence.text):
                if not checked.kept and not checked.pending:
                    checked.refusal = RefusalReason.MODEL_REFUSED
                return True
            if self.settings.output_checks and foreign_material(sentence.text, checked.allowed,
                                                                self.retriever.index.keyword.knows):
                checked.dropped.append(sentence.text)
                return False
            result = check_sentences([sentence], {s.n: s.evidence_text for s in sources}, self.judge)[0]
            if result.status == "dropped":
                checked.dropped.append(result.text)
            else:
                (checked.pending if self.settings.meaning_min_yes > 0 else checked.kept).append(result)
            return False
        finally:
            clock.timings.checks_s += time.perf_counter() - t0

    def _showable(self, question: str, sources: list[Source], checked: Checked) -> str:
        """The answer as far as it may be shown: nothing until the kept sentences give what kind of thing
        was asked (a question asking for a quantity needs a number), and nothing after a refusal."""
        if checked.refusal or not checked.kept or refusals.lacks_asked_quantity(question, [c.text for c in checked.kept]):
            return ""
        return render(checked.kept, sources)[0]

    def _refusal_with_closest(self, question: str, standalone: str, reason: RefusalReason, clock: _Clock,
                              sources: list[Source], verdict: Verdict | None, checked: Checked | None = None) -> Answer:
        """A refusal that says what the documents do cover that is closest, quoted and cited, when that is near enough."""
        checked = checked or Checked()
        answer = _refusal(question, standalone, reason, clock, [s.retrieved for s in sources], checked.raw_text, checked.dropped)
        answer.answerable = verdict.probability if verdict else None
        if verdict is None or verdict.features.get("similarity", 0.0) < CLOSEST_MIN_SIMILARITY or not verdict.evidence:
            return answer
        source = sources[verdict.evidence_passage]
        support = self.judge.judge(verdict.evidence, source.evidence_text)
        if not self.judge.supports(support):
            return answer
        chunk = source.retrieved.chunk
        quote = " ".join(verdict.evidence.split())
        answer.text = f"{REFUSAL} The closest they come: “{quote}” [1]"
        answer.citations = [Citation.of(1, chunk, support.evidence, sentences=[quote], evidence=[support.evidence],
                                        score=support.score)]
        return answer


_TRAILING_MARKERS = re.compile(r"(\s*\[[\d,;\s]*\]?)+\s*$")


def _complete_sentences(text: str) -> list[AnswerSentence]:
    """The sentences that can no longer change: all but the last, once citation markers at the very end
    (which may still belong to the sentence before them, "… age. [1]") are set aside."""
    return parse_answer(_TRAILING_MARKERS.sub("", text))[:-1]


def _allowed(question: str, sources: list[Source]) -> str:
    """What an answer sentence may draw on: the question and the sources as the model read them."""
    return "\n".join([question, *(s.text for s in sources)])


def _finish(answer: Answer) -> Iterator[str | Answer]:
    """A refusal is shown whole: its text, then the Answer."""
    yield answer.text
    yield answer


def _refusal(question: str, standalone: str, reason: RefusalReason, clock: _Clock,
             retrieved: list[RetrievedChunk] | None = None, raw_text: str = "", dropped: list[str] | None = None) -> Answer:
    return Answer(question=question, standalone_question=standalone, text=REFUSAL, refused=True, refusal_reason=reason,
                  citations=[], retrieved=retrieved or [], timings=clock.done(), raw_text=raw_text, dropped=dropped or [])
