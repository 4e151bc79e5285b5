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
            support = sentence.supports[n]
            if n not in renumber:
                renumber[n] = len(renumber) + 1
                citations[n] = Citation.of(renumber[n], by_number[n], support.evidence)
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
