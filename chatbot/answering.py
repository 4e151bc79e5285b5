"""The answering flow: question → (rewrite) → retrieval → prompt → generation → citation checks → Answer.

Refusal happens at three points: before generation (instruction-like input, or retrieval too weak),
the model's own refusal, and after generation (no sentence survives the support check, or a question
asking for a quantity gets an answer without one).
"""
from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass, field
from typing import Iterator

from .citations import CheckedSentence, SupportJudge, check_sentences, numbers_in, parse_answer
from .config import REFUSAL, Settings
from .embeddings import Embedder
from .errors import ChatbotError
from .generation import Generator, load_generator
from .index import Index, load_index
from .prompting import Source, answer_messages, clean_rewrite, needs_rewrite, number_sources, rewrite_messages
from .retrieval import RetrievedChunk, Retriever
from .screening import is_instruction, validate_question

# How a small model phrases "the sources don't say" when it does not use the exact refusal sentence.
_MODEL_REFUSAL = re.compile(
    r"can(no|')t answer|unable to answer|(sources?|documents?|context|text|information) (provided )?"
    r"(do|does)(n't| not) (contain|mention|provide|say|include|specify|state|address|discuss|give)"
    r"|(is|are) not (mentioned|provided|specified|stated|given|available) in|no information (about|on)",
    re.IGNORECASE,
)
# Questions whose answer is a quantity: an answer without any number does not answer them.
_ASKS_QUANTITY = re.compile(
    r"\b(how (much|many|long|often|old)|what (percentage|percent|proportion|share|dose|dosage|amount|age)"
    r"|cost|price|dose|dosage|milligrams?|mg)\b", re.IGNORECASE)
_TIME_QUANTITY = re.compile(r"\b(every|each|daily|weekly|monthly|hourly|minutes?|hours?|days?|weeks?|months?|years?|decades?)\b", re.IGNORECASE)


@dataclass
class Citation:
    n: int  # the number shown in the answer text
    doc_id: str
    title: str
    section: str
    chunk_id: str
    text: str  # the passage
    sentences: list[str]  # the answer sentences this passage supports
    evidence: list[str]  # the passage sentence(s) that support them, for highlighting
    score: float  # best support score

    def to_json(self) -> dict:
        return {"n": self.n, "doc": self.doc_id, "title": self.title, "section": self.section, "chunk_id": self.chunk_id,
                "text": self.text, "sentences": self.sentences, "evidence": self.evidence, "support": self.score}


@dataclass
class Timings:
    rewrite_s: float = 0.0
    retrieval_s: float = 0.0
    ttft_s: float = 0.0  # from the question to the first generated token
    generation_s: float = 0.0
    checks_s: float = 0.0
    total_s: float = 0.0
    tokens_generated: int = 0


@dataclass
class Answer:
    question: str
    standalone_question: str
    text: str
    refused: bool
    refusal_reason: str  # "" or: instruction, weak_retrieval, model_refused, unsupported, no_quantity
    citations: list[Citation]
    retrieved: list[RetrievedChunk]
    timings: Timings
    raw_text: str = ""  # what the model wrote, before the checks
    dropped: list[str] = field(default_factory=list)  # sentences removed as unsupported
    recited: int = 0  # sentences whose citation was corrected

    def to_json(self) -> dict:
        return {
            "question": self.question, "standalone_question": self.standalone_question,
            "answer": self.text, "refused": self.refused, "refusal_reason": self.refusal_reason,
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [{"rank": r.rank, "doc": r.chunk.doc_id, "chunk_id": r.chunk.chunk_id, "title": r.chunk.title,
                           "section": r.chunk.section, "score": round(r.score, 5), "dense_score": round(r.dense_score, 4),
                           "bm25_score": round(r.bm25_score, 4), "text": r.chunk.text} for r in self.retrieved],
            "timings": dataclasses.asdict(self.timings),
            "raw_answer": self.raw_text, "dropped_sentences": self.dropped, "recited_sentences": self.recited,
        }


class AnswerStream:
    """Iterate for the model's text as it is written; afterwards `.answer` holds the checked Answer."""

    def __init__(self, events: Iterator[str | Answer]):
        self._events = events
        self.answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        for event in self._events:
            if isinstance(event, Answer):
                self.answer = event
            else:
                yield event


class Chatbot:
    def __init__(self, settings: Settings | None = None, *, index: Index | None = None,
                 embedder: Embedder | None = None, generator: Generator | None = None):
        self.settings = settings or Settings.from_env()
        self.embedder = embedder or Embedder(self.settings)
        self.index = index or load_index(self.settings)
        self.retriever = Retriever(self.index, self.embedder, self.settings)
        self.judge = SupportJudge(self.embedder, self.settings.support_threshold)
        self._generator = generator

    @property
    def generator(self) -> Generator:
        if self._generator is None:  # loaded on first use: `search` never needs it
            self._generator = load_generator(self.settings)
        return self._generator

    def reload_index(self) -> None:
        """Pick up a rebuilt index (e.g. after documents were added) without reloading any model."""
        self.index = load_index(self.settings)
        self.retriever = Retriever(self.index, self.embedder, self.settings)

    def ask(self, question: str, history: list[dict] | None = None, k: int | None = None) -> Answer:
        stream = self.stream(question, history, k)
        for _ in stream:
            pass
        return stream.answer

    def stream(self, question: str, history: list[dict] | None = None, k: int | None = None) -> AnswerStream:
        question = validate_question(question)  # raises before anything streams
        history = _valid_history(history)
        return AnswerStream(self._run(question, history, k or self.settings.top_k))

    def _run(self, question: str, history: list[dict], k: int) -> Iterator[str | Answer]:
        started = time.perf_counter()
        timings = Timings()
        standalone, retrieved, sources, raw, kept, dropped = question, [], [], "", [], []
        reason = "instruction" if is_instruction(question) else ""
        if not reason and needs_rewrite(question, history):
            standalone = self._rewrite(question, history)
            timings.rewrite_s = time.perf_counter() - started
        if not reason:
            t0 = time.perf_counter()
            retrieved = self.retriever.search(standalone, k)
            timings.retrieval_s = time.perf_counter() - t0
            if not retrieved or max(r.dense_score for r in retrieved) < self.settings.min_dense_score:
                reason = "weak_retrieval"
        if reason:
            yield REFUSAL  # refused before generation: nothing else to stream
        else:
            sources = number_sources(retrieved)
            pieces: list[str] = []
            t0 = time.perf_counter()
            for piece in self.generator.stream(answer_messages(standalone, sources), self.settings.max_new_tokens):
                if not pieces:
                    timings.ttft_s = time.perf_counter() - started
                pieces.append(piece)
                yield piece
            timings.generation_s = time.perf_counter() - t0
            raw = "".join(pieces).strip()
            timings.tokens_generated = self.generator.count_tokens(raw)
            t0 = time.perf_counter()
            reason, kept, dropped = self._check(raw, standalone, sources)
            timings.checks_s = time.perf_counter() - t0
        timings.total_s = time.perf_counter() - started
        if reason:
            yield Answer(question, standalone, REFUSAL, True, reason, [], retrieved, timings, raw, dropped)
            return
        text, citations = _render(kept, sources)
        yield Answer(question, standalone, text, False, "", citations, retrieved, timings, raw, dropped,
                     sum(c.status == "recited" for c in kept))

    def _check(self, raw: str, question: str, sources: list[Source]) -> tuple[str, list[CheckedSentence], list[str]]:
        """Refusal reason ('' if none), the sentences to keep, and the text of those dropped as unsupported."""
        if not raw or REFUSAL.lower().rstrip(".") in raw.lower() or _MODEL_REFUSAL.search(raw):
            return "model_refused", [], []
        checked = check_sentences(parse_answer(raw), {s.n: s.retrieved.chunk.text for s in sources}, self.judge)
        kept = [c for c in checked if c.status != "dropped"]
        dropped = [c.text for c in checked if c.status == "dropped"]
        if not kept:
            return "unsupported", [], dropped
        if _ASKS_QUANTITY.search(question) and not any(_has_quantity(c.text) for c in kept):
            return "no_quantity", [], dropped
        return "", kept, dropped

    def _rewrite(self, question: str, history: list[dict]) -> str:
        output = "".join(self.generator.stream(rewrite_messages(question, history), max_tokens=48))
        return clean_rewrite(output, question, history)


def _render(kept: list[CheckedSentence], sources: list[Source]) -> tuple[str, list[Citation]]:
    """Answer text with citations renumbered 1..m in order of first use, and one Citation per source."""
    by_number = {s.n: s.retrieved.chunk for s in sources}
    renumber: dict[int, int] = {}
    citations: dict[int, Citation] = {}
    parts = []
    for sentence in kept:
        shown = []
        for n in sentence.cited:
            if n not in renumber:
                renumber[n] = len(renumber) + 1
                chunk = by_number[n]
                citations[n] = Citation(renumber[n], chunk.doc_id, chunk.title, chunk.section, chunk.chunk_id,
                                        chunk.text, [], [], 0.0)
            support = sentence.supports[n]
            citation = citations[n]
            citation.sentences.append(sentence.text)
            if support.evidence not in citation.evidence:
                citation.evidence.append(support.evidence)
            citation.score = max(citation.score, support.score)
            shown.append(renumber[n])
        parts.append(_with_markers(sentence.text, shown))
    return " ".join(parts), sorted(citations.values(), key=lambda c: c.n)


def _with_markers(sentence: str, numbers: list[int]) -> str:
    markers = "".join(f"[{n}]" for n in numbers)
    body = sentence.rstrip()
    if body and body[-1] in ".!?":
        return f"{body[:-1].rstrip()} {markers}{body[-1]}"
    return f"{body} {markers}."


def _has_quantity(text: str) -> bool:
    return bool(numbers_in(text) or _TIME_QUANTITY.search(text))


def _valid_history(history: list[dict] | None) -> list[dict]:
    if not history:
        return []
    if not isinstance(history, list) or not all(
            isinstance(t, dict) and t.get("role") in ("user", "assistant") and isinstance(t.get("content"), str) for t in history):
        raise ChatbotError("The chat history must be a list of {\"role\": \"user\"|\"assistant\", \"content\": \"...\"} turns.")
    return history
