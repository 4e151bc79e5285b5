"""The learned screen: a second look, at reading time, for instruction-like sentences the rules missed.

The rules (ingest/instructions.py) flag sentences at indexing by their form, and know the forms they were written
for. This screen is a linear classifier over the MiniLM vector of each sentence of a retrieved passage (the vectors
excerpting computes anyway, so it costs a dot product): it learned the kind (text that speaks to an assistant or
about its reply) from injected texts of 49 styles against ordinary prose, and caught styles it never saw
(tools/fit_instruction_screen.py, leave-one-style-out; decision 0038). A sentence it flags is treated as the rules'
are: withheld from the model, never evidence, shown marked in the source viewer.

It reads English passages only: MiniLM is an English model and the screen never saw ordinary text in another
language, so there it would mistake a language for an instruction. Another embedder than the one it was fitted on
turns it off (its vectors mean something else).
"""
from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..index.retrieval import RetrievedChunk
from ..ingest.instructions import language_of, own_instructions, speaks_to_a_machine
from ..textutils import split_sentences
from .vectors import SentenceVectors

WEIGHTS = Path(__file__).with_name("instruction-screen.json")


@dataclasses.dataclass(frozen=True)
class InstructionScreen:
    embedding_model: str  # the embedder whose vectors it reads
    weights: np.ndarray
    bias: float
    cut: float  # scores above it are instructions

    def flags(self, vectors: np.ndarray) -> np.ndarray:
        return vectors @ self.weights + self.bias > self.cut

    def to_json(self) -> dict:
        return {"embedding_model": self.embedding_model, "weights": [round(float(w), 6) for w in self.weights],
                "bias": round(self.bias, 6), "cut": round(self.cut, 6)}


@functools.cache
def shipped_screen(embedding_model: str) -> InstructionScreen | None:
    """The shipped screen when it was fitted on `embedding_model`'s vectors, else None (no screen)."""
    fitted = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    if fitted["embedding_model"] != embedding_model:
        return None
    return InstructionScreen(fitted["embedding_model"], np.asarray(fitted["weights"], np.float32), fitted["bias"], fitted["cut"])


def screen_retrieved(retrieved: list[RetrievedChunk], vectors: SentenceVectors) -> list[RetrievedChunk]:
    """The passages with the sentences the shipped screen flags added to their flagged spans (the rules' own stay)."""
    screen = shipped_screen(vectors.embedder.name)
    if screen is None:
        return retrieved
    return screen_passages(retrieved, lambda sentences: screen.flags(vectors.of(sentences)))


def screen_passages(retrieved: list[RetrievedChunk], flags_of: Callable[[list[str]], np.ndarray]) -> list[RetrievedChunk]:
    """The passages with the English sentences `flags_of` flags (one bool per sentence) added to their flagged spans,
    but for a passage of advice on answering. The shipped screen's classifier is one `flags_of`; benchmarks try others."""
    out = []
    for r in retrieved:
        chunk = r.chunk
        spans = [(a, b) for a, b in split_sentences(chunk.text)
                 if not _overlaps((a, b), chunk.flagged)] if language_of(chunk.text) == "en" else []
        flagged = [span for span, hit in zip(spans, flags_of([chunk.text[a:b] for a, b in spans])) if hit] if spans else []
        flagged = _less_advice(chunk, flagged)
        if flagged:
            chunk = dataclasses.replace(chunk, flagged=tuple(sorted(chunk.flagged + tuple(flagged))))
            r = dataclasses.replace(r, chunk=chunk)
        out.append(r)
    return out


def _less_advice(chunk, flagged: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The flagged sentences less what a passage tells its human reader: all of them in a passage whose subject is
    answering (an exam guide, a manual for replying to customers: most of its sentences read as talk about replies),
    and in a passage of instructions (a recipe, a cover-letter guide) those about its own subject
    (ingest/instructions.py::own_instructions); none when one of them speaks to a machine. Text planted for an
    assistant is a line or two about something else; this is what the rules' document-wide test
    (ingest/instructions.py::reader_advice) says of a whole document, said here of the one passage the screen sees."""
    language = language_of(chunk.text)
    if not flagged or any(speaks_to_a_machine(chunk.text[a:b], language) for a, b in flagged):
        return flagged
    spans = split_sentences(chunk.text)
    withheld = [*flagged, *chunk.flagged]
    if len(withheld) >= _ADVICE_MIN_SENTENCES and len(withheld) >= len(spans) / 2:
        return []
    flags = [_overlaps(span, withheld) for span in spans]
    spared = own_instructions([chunk.text[a:b] for a, b in spans], flags, [i for i, span in enumerate(spans) if span in flagged])
    return [span for i, span in enumerate(spans) if span in flagged and i not in spared]


def _overlaps(span: tuple[int, int], spans) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


_ADVICE_MIN_SENTENCES = 4
