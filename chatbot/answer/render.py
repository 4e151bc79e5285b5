"""Render: the checked sentences as the answer text, citations renumbered 1..m in order of first use."""
from __future__ import annotations

from .check import CheckedSentence
from .prompt import Source
from .types import Citation


def render(kept: list[CheckedSentence], sources: list[Source]) -> tuple[str, list[Citation]]:
    """The answer text with [n] markers, and one Citation per source it cites."""
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
                citations[n] = Citation(n=renumber[n], doc_id=chunk.doc_id, title=chunk.title, section=chunk.section,
                                        chunk_id=chunk.chunk_id, text=chunk.text, flagged=chunk.flagged_sentences())
            support = sentence.supports[n]
            citation = citations[n]
            citation.sentences.append(sentence.text)
            if support.evidence not in citation.evidence:
                citation.evidence.append(support.evidence)
            citation.score = max(citation.score, support.score)
            shown.append(renumber[n])
        parts.append(with_markers(sentence.text, shown))
    return " ".join(parts), sorted(citations.values(), key=lambda c: c.n)


def with_markers(sentence: str, numbers: list[int]) -> str:
    """The sentence with its [n] markers placed before its final punctuation."""
    markers = "".join(f"[{n}]" for n in numbers)
    body = sentence.rstrip()
    if body and body[-1] in ".!?":
        return f"{body[:-1].rstrip()} {markers}{body[-1]}"
    return f"{body} {markers}."
