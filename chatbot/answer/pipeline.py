"""The answering flow, one stage after another, wired in `answer_flow`:

    screen → rewrite → retrieve → gate → read (build the prompt) → verdict → draft + support check → meaning check
    → disagreements between sources → render

Each stage is a function with typed input and output; none shares mutable state with another (each returns
what it found, and the wiring alone puts it together). A stage that decides the documents cannot answer ends
the flow with a refusal (the rules are in refusals.py). Nothing unchecked reaches a reader: the flow yields the
passages it is about to read (`Reading`), then the answer text as it grows by *checked* sentences (a sentence
is shown once its citation check and the model's meaning check have passed, and only after the verdict), then
the finished `Answer`, which carries a trace of what the model read and what the verdict saw.
"""
from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Iterator
from collections.abc import Generator as Flow
from dataclasses import dataclass

from ..config import REFUSAL, AnswerSettings
from ..engines import Generator
from ..index.retrieval import RetrievedChunk, Retriever
from . import refusals
from .answerability import AnswerabilityJudge, Verdict, verify_messages
from .check import AnswerSentence, CheckedSentence, SupportJudge, check_sentence, parse_answer
from .conflicts import disagreements
from .meaning import meaning_probability
from .output_filter import foreign_material
from .prompt import DATAMARK
from .reading import Prompt, build_prompt
from .render import render
from .rewrite import needs_rewrite, rewrite
from .types import Answer, Citation, Reading, RefusalReason, SourceRead, Timings, Trace, VerdictTrace
from .vectors import SentenceVectors

# The closest passage sentence is offered with a refusal only when it is about the question at all.
CLOSEST_MIN_SIMILARITY = 0.45


@dataclass(frozen=True)
class Parts:
    """What the flow works with, handed in once and never changed by it."""
    retriever: Retriever
    generator: Callable[[], Generator]  # loaded on first use: a refusal before the model never loads it
    vectors: SentenceVectors
    judge: SupportJudge
    answerability: AnswerabilityJudge | None  # None when the verdict is off (no weights are needed then)
    settings: AnswerSettings
    max_new_tokens: int


@dataclass(frozen=True)
class Draft:
    """What the model wrote, once it stopped, and what the support check made of it."""
    raw_text: str
    passed: list[CheckedSentence]  # found their source; the meaning check is next (when on)
    dropped: list[str]
    model_refused: bool  # the model said the sources do not answer, before any sentence passed
    ttft_s: float  # from the start of the question
    generation_s: float
    checks_s: float
    tokens: int
    restated: bool = False  # every sentence, on two tries, only restated the question
    retried: bool = False  # the first try only restated the question: this is two tries joined


@dataclass(frozen=True)
class Meaning:
    kept: list[CheckedSentence]
    dropped: list[str]
    seconds: float


def answer_flow(parts: Parts, question: str, history: list[dict], k: int,
                docs: frozenset[str] | None = None) -> Iterator[str | Reading | Answer]:
    """The wiring. `question` and `history` are already validated (screen.py); `docs`, when given, are the only
    documents the answer may come from (retrieval filters before it ranks)."""
    for event in _answer_flow(parts, question, history, k, docs):
        if isinstance(event, Answer) and docs is not None:
            event.limited_to = sorted(docs)
        yield event


def _answer_flow(parts: Parts, question: str, history: list[dict], k: int, docs: frozenset[str] | None) -> Iterator[str | Reading | Answer]:
    started, timings = time.perf_counter(), Timings()
    since = lambda: time.perf_counter() - started
    if refusals.is_instruction(question):
        yield from _finished(_refusal(question, question, RefusalReason.INSTRUCTION, timings, since()))
        return
    standalone, timings.rewrite_s = _timed(rewrite_question, parts, question, history)
    retrieved, timings.retrieval_s = _timed(parts.retriever.search, standalone, k, docs)
    if refusals.retrieval_too_weak(retrieved, parts.settings.refuse_below_cosine):
        yield from _finished(_refusal(question, standalone, RefusalReason.WEAK_RETRIEVAL, timings, since(), retrieved))
        return
    prompt = build_prompt(standalone, retrieved, parts.settings, parts.vectors)
    yield Reading([s.retrieved for s in prompt.sources])
    generator = parts.generator()
    with generator.turn():  # the verdict reads the sources; the answer reuses what the model computed
        verdict, timings.verdict_s = _timed(take_verdict, parts, prompt, generator)
        trace = _trace(prompt, verdict, parts.answerability.threshold if parts.answerability else 0.0)
        if verdict and not verdict.answerable:
            answer = refusal_with_closest(parts, question, prompt, RefusalReason.NOT_ANSWERED, verdict, timings, since())
            yield from _finished(_traced(answer, trace))
            return
        (draft, meaning), timings.first_sentence_s = yield from _growing(_checked_answer(parts, prompt, generator, started), started)
    timings.ttft_s, timings.generation_s, timings.tokens_generated = draft.ttft_s, draft.generation_s, draft.tokens
    trace = dataclasses.replace(trace, retried=draft.retried)
    timings.checks_s = draft.checks_s + meaning.seconds
    kept, dropped = meaning.kept, draft.dropped + meaning.dropped
    reason = _refusal_reason(prompt.question, draft, kept)
    if reason:
        answer = refusal_with_closest(parts, question, prompt, reason, verdict, timings, since(), draft.raw_text, dropped)
        yield from _finished(_traced(answer, trace))
        return
    text, citations = render(kept, prompt.sources)
    timings.total_s = since()
    yield Answer(question=question, standalone_question=standalone, text=text, refused=False, refusal_reason=None,
                 citations=citations, retrieved=prompt.retrieved, timings=timings, raw_text=draft.raw_text, dropped=dropped,
                 recited=sum(c.status == "recited" for c in kept), answerable=verdict.probability if verdict else None,
                 trace=trace)


# ---- the stages

def rewrite_question(parts: Parts, question: str, history: list[dict]) -> str:
    return rewrite(question, history, parts.generator()) if needs_rewrite(question, history) else question


def take_verdict(parts: Parts, prompt: Prompt, generator: Generator | None) -> Verdict | None:
    """Do the passages state the answer? None when the verdict is off. Without a generator the model's P(yes) is
    left out (0.5: the trainer's feature-only questions)."""
    if not parts.settings.verdict or parts.answerability is None:
        return None
    ask = generator is not None and parts.answerability.asks_the_model
    return parts.answerability.verdict(prompt, model_yes(prompt, generator) if ask else 0.5)


def model_yes(prompt: Prompt, generator: Generator) -> float:
    """The model's own P(yes) that the sources state the answer. It reads the same sources it is about to answer
    from: llama.cpp keeps them cached for the answer."""
    return generator.yes_probability(verify_messages(prompt.messages))


def write_draft(parts: Parts, prompt: Prompt, generator: Generator, started: float) -> Flow[CheckedSentence, None, Draft]:
    """The model's answer, each sentence checked as soon as it is complete: yields those that found their source,
    returns the Draft. Stops the model when it says the sources do not answer."""
    allowed = "\n".join([prompt.question, *(s.text for s in prompt.sources)])  # what a sentence may draw on
    pieces, passed, dropped = [], [], []
    n_checked, ttft, checks_s, refused, ended = 0, 0.0, 0.0, False, False
    t0 = time.perf_counter()
    stream = generator.stream(prompt.messages, parts.max_new_tokens)
    try:
        for piece in stream:
            ttft = ttft or time.perf_counter() - started
            pieces.append(piece.replace(DATAMARK, " "))  # a datamark copied into the answer is a space
            complete = _complete_sentences("".join(pieces))
            for sentence in complete[n_checked:]:
                result, seconds = _timed(support_check, parts, sentence, prompt, allowed)
                checks_s += seconds
                if result == "refused":
                    refused, ended = not passed, True
                    break
                if isinstance(result, CheckedSentence):
                    passed.append(result)
                    yield result
                else:
                    dropped.append(sentence.text)
            n_checked = max(n_checked, len(complete))
            if ended:
                break
        if not ended:
            for sentence in parse_answer("".join(pieces))[n_checked:]:  # the last sentence, once the model stopped
                result, seconds = _timed(support_check, parts, sentence, prompt, allowed)
                checks_s += seconds
                if result == "refused":
                    refused = not passed
                    break
                if isinstance(result, CheckedSentence):
                    passed.append(result)
                    yield result
                else:
                    dropped.append(sentence.text)
    finally:
        stream.close()  # stops the model when the answer ends early; releases a local engine's lock
    raw_text = "".join(pieces).strip()
    served = getattr(stream, "completion_tokens", None)  # a server's own count, when it gave one
    return Draft(raw_text, passed, dropped, refused, ttft, time.perf_counter() - t0, checks_s,
                 served if served is not None else generator.count_tokens(raw_text))


def support_check(parts: Parts, sentence: AnswerSentence, prompt: Prompt, allowed: str) -> CheckedSentence | str:
    """The sentence with its checked citations, or why it goes: "refused" (the model says the sources do not
    answer: the answer ends), "foreign" (the output filter), "dropped" (no source supports it)."""
    if refusals.model_refused(sentence.text):
        return "refused"
    if parts.settings.output_checks and foreign_material(sentence.text, allowed, parts.retriever.knows_word):
        return "foreign"
    result = check_sentence(sentence, prompt.evidence, parts.judge)
    return "dropped" if result.status == "dropped" else result


def meaning_check(parts: Parts, prompt: Prompt, generator: Generator, sentences: list[CheckedSentence]) -> Flow[CheckedSentence, None, Meaning]:
    """Each sentence the model reads as a correct answer to the question by its sources (yielded in order, as it
    passes); the rest are dropped. Off (everything passes) when meaning_min_yes is 0."""
    kept, dropped, t0 = [], [], time.perf_counter()
    for sentence in sentences:
        if parts.settings.meaning_min_yes <= 0 or meaning_probability(generator, prompt.messages, sentence.text) >= parts.settings.meaning_min_yes:
            kept.append(sentence)
            yield sentence
        else:
            dropped.append(sentence.text)
    return Meaning(kept, dropped, time.perf_counter() - t0)


def refusal_with_closest(parts: Parts, question: str, prompt: Prompt, reason: RefusalReason, verdict: Verdict | None,
                         timings: Timings, total_s: float, raw_text: str = "", dropped: list[str] | None = None) -> Answer:
    """A refusal that says what the documents do cover that is closest, quoted and cited, when that is near enough."""
    answer = _refusal(question, prompt.question, reason, timings, total_s, [s.retrieved for s in prompt.sources], raw_text, dropped)
    answer.answerable = verdict.probability if verdict else None
    if verdict is None or verdict.features.get("similarity", 0.0) < CLOSEST_MIN_SIMILARITY or not verdict.evidence:
        return answer
    source = prompt.sources[verdict.evidence_passage]
    support = parts.judge.judge(verdict.evidence, source.evidence_text)
    if not parts.judge.supports(support):
        return answer
    quote = " ".join(verdict.evidence.split())
    answer.text = f"{REFUSAL} The closest they come: “{quote}” [1]"
    answer.citations = [Citation.of(1, source.retrieved.chunk, support.evidence, sentences=[quote], evidence=[support.evidence],
                                    score=support.score)]
    return answer


# ---- how the stages' results become what a reader sees

def _checked_answer(parts: Parts, prompt: Prompt, generator: Generator, started: float) -> Flow[str, None, tuple[Draft, Meaning]]:
    """The answer as far as it may be shown, each time it grows by a sentence that passed every check. With the
    meaning check on, nothing appears before the model stops (the check needs the model the answer holds). An
    answer whose every sentence only restates the question is never shown: the model gets one more try, asked
    for the specific items the sources give; if that restates it too, nothing is kept (a refusal follows)."""
    draft, meaning = yield from _written_and_meant(parts, prompt, generator, started)
    if meaning.kept and _restates_only(meaning.kept, prompt.question):
        retry_draft, retry = yield from _written_and_meant(parts, with_items_asked_for(prompt), generator, started)
        draft = _joined(draft, retry_draft)
        if retry.kept and not _restates_only(retry.kept, prompt.question):
            meaning = Meaning(retry.kept, meaning.dropped + retry.dropped, meaning.seconds + retry.seconds)
        else:
            restated = [s.text for s in meaning.kept + retry.kept]
            return dataclasses.replace(draft, restated=True), Meaning([], meaning.dropped + retry.dropped + restated,
                                                                           meaning.seconds + retry.seconds)
    notes = disagreements(meaning.kept, prompt, parts.vectors) if meaning.kept else []
    shown = list(meaning.kept)
    for note in notes:  # another source gives other figures: the reader sees both, each cited
        yield _shown_with(shown, note, prompt)
    return draft, Meaning(meaning.kept + notes, meaning.dropped, meaning.seconds)


def _written_and_meant(parts: Parts, prompt: Prompt, generator: Generator, started: float) -> Flow[str, None, tuple[Draft, Meaning]]:
    """One draft and its meaning check, showing each sentence as it passes."""
    meaning_on = parts.settings.meaning_min_yes > 0
    kept: list[CheckedSentence] = []
    draft = yield from _each(write_draft(parts, prompt, generator, started),
                             lambda sentence: None if meaning_on else _shown_with(kept, sentence, prompt))
    if not meaning_on:
        return draft, Meaning(draft.passed, [], 0.0)
    meaning = yield from _each(meaning_check(parts, prompt, generator, draft.passed),
                               lambda sentence: _shown_with(kept, sentence, prompt))
    return draft, meaning


def with_items_asked_for(prompt: Prompt) -> Prompt:
    """The prompt whose last line also asks for the specific items: everything before it is the same text, so
    llama.cpp reads only the new line, and the meaning check (which swaps that line) reads what it read before."""
    *head, user = prompt.messages
    body, last = user["content"].rsplit("\n", 1)
    messages = [*head, {"role": "user", "content": f"{body}\n{last} {ITEMS_INSTRUCTION}"}]
    return dataclasses.replace(prompt, messages=messages)


ITEMS_INSTRUCTION = "Do not repeat the question: name the specific things the sources give (names, numbers, items, causes or steps)."


def _restates_only(sentences: list[CheckedSentence], question: str) -> bool:
    return all(refusals.adds_nothing(s.text, question) for s in sentences)


def _joined(first: Draft, second: Draft) -> Draft:
    return Draft(f"{first.raw_text}\n{second.raw_text}", second.passed, first.dropped + second.dropped, second.model_refused,
                 first.ttft_s, first.generation_s + second.generation_s, first.checks_s + second.checks_s,
                 first.tokens + second.tokens, retried=True)


def _each(flow: Flow, show: Callable[[CheckedSentence], str | None]) -> Flow[str, None, object]:
    """Runs a stage that yields sentences; yields what `show` makes of each (None: nothing); returns its value."""
    while True:
        try:
            sentence = next(flow)
        except StopIteration as stop:
            return stop.value
        if (text := show(sentence)) is not None:
            yield text


def _shown_with(kept: list[CheckedSentence], sentence: CheckedSentence, prompt: Prompt) -> str:
    """The answer with one more kept sentence: empty until the kept sentences give what kind of thing was asked
    (a question asking for a quantity needs a number) and say something the question did not."""
    kept.append(sentence)
    if refusals.lacks_asked_quantity(prompt.question, [c.text for c in kept]) or _restates_only(kept, prompt.question):
        return ""
    return render(kept, prompt.sources)[0]


def _growing(texts: Flow[str, None, object], started: float) -> Flow[str, None, tuple[object, float]]:
    """The increments of a text that only grows; returns the flow's value and when the first increment came."""
    shown, first = "", 0.0
    while True:
        try:
            text = next(texts)
        except StopIteration as stop:
            return stop.value, first
        if text != shown:
            first = first or time.perf_counter() - started
            yield text[len(shown):]
            shown = text


def _refusal_reason(question: str, draft: Draft, kept: list[CheckedSentence]) -> RefusalReason | None:
    if draft.model_refused:
        return RefusalReason.MODEL_REFUSED
    if draft.restated:
        return RefusalReason.NOT_ANSWERED
    if not kept:
        return RefusalReason.UNSUPPORTED
    if refusals.lacks_asked_quantity(question, [c.text for c in kept]):
        return RefusalReason.NO_QUANTITY
    return None


_TRAILING_MARKERS = re.compile(r"(\s*\[[\d,;\s]*\]?)+\s*$")


def _complete_sentences(text: str) -> list[AnswerSentence]:
    """The sentences that can no longer change: all but the last, once citation markers at the very end
    (which may still belong to the sentence before them, "… age. [1]") are set aside."""
    return parse_answer(_TRAILING_MARKERS.sub("", text))[:-1]


def _trace(prompt: Prompt, verdict: Verdict | None, threshold: float) -> Trace:
    sources = [SourceRead(s.n, s.retrieved.chunk.doc_id, s.retrieved.chunk.chunk_id, s.text) for s in prompt.sources]
    seen = VerdictTrace(verdict.probability, threshold, _sigmoid(verdict.features["llm_yes"]), verdict.features) if verdict else None
    return Trace(sources, prompt.messages, seen)


def _sigmoid(logit: float) -> float:
    import math
    return round(1.0 / (1.0 + math.exp(-logit)), 4)


def _traced(answer: Answer, trace: Trace) -> Answer:
    answer.trace = trace
    return answer


def _timed(stage: Callable, *args):
    t0 = time.perf_counter()
    return stage(*args), time.perf_counter() - t0


def _finished(answer: Answer) -> Iterator[str | Answer]:
    """A refusal is shown whole: its text, then the Answer."""
    yield answer.text
    yield answer


def _refusal(question: str, standalone: str, reason: RefusalReason, timings: Timings, total_s: float,
             retrieved: list[RetrievedChunk] | None = None, raw_text: str = "", dropped: list[str] | None = None) -> Answer:
    timings.total_s = total_s
    return Answer(question=question, standalone_question=standalone, text=REFUSAL, refused=True, refusal_reason=reason,
                  citations=[], retrieved=retrieved or [], timings=timings, raw_text=raw_text, dropped=dropped or [])
