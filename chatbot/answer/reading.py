"""What the model reads, built in one place: the numbered sources as read (instruction-like sentences withheld,
the rules' and the learned screen's; cut to excerpts) and the chat messages. The engine, the verdict's features,
the trainer of its weights and every benchmark take the prompt from here, so none of them can read something the
others do not."""
from __future__ import annotations

from dataclasses import dataclass

from ..config import AnswerSettings
from ..index.retrieval import RetrievedChunk
from ..ingest.chunking import Chunk
from .excerpt import excerpt_sources
from .instruction_screen import screen_retrieved
from .prompt import Source, answer_messages, number_sources
from .vectors import SentenceVectors


@dataclass(frozen=True)
class Prompt:
    question: str  # as searched (a follow-up rewritten to stand alone)
    sources: list[Source]  # as the model reads them; numbered by retrieval rank
    messages: list[dict]
    retrieved: list[RetrievedChunk]  # every passage found, as screened (its flagged sentences marked), before excerpting

    @property
    def evidence(self) -> dict[int, str]:
        """What may support a claim, by source number."""
        return {s.n: s.evidence_text for s in self.sources}


def build_prompt(question: str, retrieved: list[RetrievedChunk], settings: AnswerSettings, vectors: SentenceVectors) -> Prompt:
    if settings.withhold_flagged and settings.learned_screen:
        retrieved = screen_retrieved(retrieved, vectors)
    sources = number_sources(retrieved, settings.withhold_flagged)
    sources = excerpt_sources(sources, question, vectors, settings.excerpt_chars)
    return Prompt(question, sources, answer_messages(question, sources, settings.datamark), retrieved)


def passage_prompt(question: str, passage: str) -> Prompt:
    """The prompt with one bare passage as its only source (to judge a sentence against a passage that is in no
    index: the hand-labelled support pairs, tools/calibrate_support_judge.py)."""
    chunk = Chunk("passage:0-1", "passage", "Article", "Article", 0, len(passage), passage)
    source = Source(1, RetrievedChunk(chunk, 1.0, 1.0, 1.0, 1), passage, passage)
    return Prompt(question, [source], answer_messages(question, [source]), [source.retrieved])
