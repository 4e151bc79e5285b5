"""What answering produces, and its one JSON record (used by `ask --json`, the app, the evaluation, the API)."""
from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field

from ..index.retrieval import RetrievedChunk
from ..ingest.chunking import Chunk


class RefusalReason(enum.StrEnum):
    INSTRUCTION = "instruction"  # the message asks for something other than an answer from the documents
    WEAK_RETRIEVAL = "weak_retrieval"  # no passage is close enough to the question
    MODEL_REFUSED = "model_refused"  # the model said the sources do not answer
    UNSUPPORTED = "unsupported"  # no sentence of the answer is supported by a source
    NO_QUANTITY = "no_quantity"  # a question asking for a quantity got an answer without one
    NOT_ANSWERED = "not_answered"  # the passages share the question's words but do not state its answer


@dataclass
class Citation:
    n: int  # the number shown in the answer text
    doc_id: str
    title: str
    section: str
    chunk_id: str
    text: str  # the passage
    sentences: list[str] = field(default_factory=list)  # the answer sentences this passage supports
    evidence: list[str] = field(default_factory=list)  # the passage sentence(s) that support them, for highlighting
    score: float = 0.0  # best support score
    flagged: list[str] = field(default_factory=list)  # its instruction-like sentences: shown marked, never used
    page: int | None = None  # the 1-based page of the (first) supporting sentence; None where the format has no pages
    span: tuple[int, int] | None = None  # that sentence's character span in the document's text

    @classmethod
    def of(cls, n: int, chunk: Chunk, located_by: str, **more) -> Citation:
        """The citation of `chunk`, located at its supporting sentence `located_by` (its page and span)."""
        at = chunk.text.find(located_by)
        span = (chunk.start + at, chunk.start + at + len(located_by)) if at >= 0 and located_by else None
        return cls(n=n, doc_id=chunk.doc_id, title=chunk.title, section=chunk.section, chunk_id=chunk.chunk_id,
                   text=chunk.text, flagged=chunk.flagged_sentences(), page=chunk.page_at(max(0, at)), span=span, **more)

    def to_json(self) -> dict:
        return {"n": self.n, "doc": self.doc_id, "title": self.title, "section": self.section, "chunk_id": self.chunk_id,
                "page": self.page, "span": list(self.span) if self.span else None, "text": self.text, "sentences": self.sentences, "evidence": self.evidence,
                "support": self.score, "flagged": self.flagged}


@dataclass(frozen=True)
class Reading:
    """The passages the model is about to read, sent before its answer: something true to show while a
    2-core machine spends seconds reading them (they are not yet citations: the answer may use none)."""
    passages: list[RetrievedChunk]

    def to_json(self) -> dict:
        return {"passages": [{"rank": r.rank, "doc": r.chunk.doc_id, "title": r.chunk.title, "section": r.chunk.section,
                              "page": r.chunk.page} for r in self.passages]}


@dataclass(frozen=True)
class SourceRead:
    """One source as the model read it (after withholding and excerpting): what its number stood for."""
    n: int
    doc_id: str
    chunk_id: str
    text: str

    def to_json(self) -> dict:
        return {"n": self.n, "doc": self.doc_id, "chunk_id": self.chunk_id, "text": self.text}


@dataclass(frozen=True)
class VerdictTrace:
    probability: float  # that the passages state the answer
    threshold: float
    llm_yes: float  # the model's own P(yes), before the head
    features: dict[str, float]


@dataclass(frozen=True)
class Trace:
    """What the model read and what the verdict saw, kept with the answer so that evaluation and benchmarks
    reuse it instead of retrieving again (they could not be sure to read the same)."""
    sources: list[SourceRead] = field(default_factory=list)
    messages: list[dict] = field(default_factory=list)  # the answer prompt exactly
    verdict: VerdictTrace | None = None
    retried: bool = False  # the first answer only restated the question: the model was asked once more for the items

    def to_json(self) -> dict:
        return {"sources": [s.to_json() for s in self.sources], "messages": self.messages,
                "verdict": dataclasses.asdict(self.verdict) if self.verdict else None, "retried": self.retried}


@dataclass
class Timings:
    rewrite_s: float = 0.0
    retrieval_s: float = 0.0
    verdict_s: float = 0.0  # the answerability verdict
    ttft_s: float = 0.0  # from the question to the first generated token
    first_sentence_s: float = 0.0  # from the question to the first checked sentence shown
    generation_s: float = 0.0
    checks_s: float = 0.0
    total_s: float = 0.0
    tokens_generated: int = 0


@dataclass
class Answer:
    question: str
    standalone_question: str  # the question as searched (a follow-up is rewritten to stand alone)
    text: str
    refused: bool
    refusal_reason: RefusalReason | None
    citations: list[Citation]
    retrieved: list[RetrievedChunk]
    timings: Timings
    raw_text: str = ""  # what the model wrote, before the checks
    dropped: list[str] = field(default_factory=list)  # sentences removed as unsupported
    recited: int = 0  # sentences whose citation was corrected
    answerable: float | None = None  # the verdict's P(the passages state the answer); None when not taken
    trace: Trace = field(default_factory=Trace)  # what the model read and what the verdict saw (empty: not read)
    limited_to: list[str] | None = None  # the documents the question was limited to (None: the whole collection)

    def to_json(self) -> dict:
        return {
            "question": self.question, "standalone_question": self.standalone_question,
            "answer": self.text, "refused": self.refused,
            "refusal_reason": str(self.refusal_reason) if self.refusal_reason else "",
            "citations": [c.to_json() for c in self.citations],
            "retrieved": [retrieved_json(r) for r in self.retrieved],
            "timings": dataclasses.asdict(self.timings),
            "raw_answer": self.raw_text, "dropped_sentences": self.dropped, "recited_sentences": self.recited,
            "answerable_probability": self.answerable, "limited_to": self.limited_to, "trace": self.trace.to_json(),
        }


def retrieved_json(r: RetrievedChunk) -> dict:
    return {"rank": r.rank, "doc": r.chunk.doc_id, "chunk_id": r.chunk.chunk_id, "title": r.chunk.title,
            "section": r.chunk.section, "score": round(r.score, 5), "dense_score": round(r.dense_score, 4),
            "bm25_score": round(r.bm25_score, 4), "text": r.chunk.text}
