"""What the model reads of the retrieved passages: the sentences that bear on the question, each with its
neighbours, under a character budget, instead of whole passages.

The prompt's sources are what a 2-core machine spends its time on before the first word (prefill), and
most of a passage does not bear on the question. Sentences are ranked as the answerability verdict ranks
them (share of the question's terms + MiniLM similarity; the vectors are cached and reused by the verdict
and the citation check); each chosen sentence brings the one before and after it, so a pronoun keeps its
referent. A source keeps its passage: citations still name and highlight the whole passage, and the
support check still reads it (`evidence_text`).
"""
from __future__ import annotations

from ..textutils import keyword_tokens, split_sentences
from .prompt import Source
from .vectors import SentenceVectors

GAP = " … "  # where sentences of a passage were left out


def excerpt_sources(sources: list[Source], question: str, vectors: SentenceVectors, budget_chars: int) -> list[Source]:
    """The sources cut down to about `budget_chars` characters in all (0: whole passages); a source with
    nothing chosen is left out, the others keep their numbers (the retrieval ranks, as the evaluation reads them)."""
    if budget_chars <= 0 or sum(len(s.text) for s in sources) <= budget_chars:
        return sources
    spans = [split_sentences(s.text) for s in sources]
    sentences = [[s.text[a:b] for a, b in found] for s, found in zip(sources, spans)]
    units = [(i, j) for i, found in enumerate(sentences) for j in range(len(found))]
    if not units:
        return sources
    texts = [sentences[i][j] for i, j in units]
    asked = set(keyword_tokens([question])[0])
    cover = [len(asked & set(t)) / len(asked) if asked else 0.0 for t in keyword_tokens(texts)]
    sims = vectors.of(texts) @ vectors.query(question)
    chosen: set[tuple[int, int]] = set()
    used = 0
    for u in sorted(range(len(units)), key=lambda u: -(cover[u] + float(sims[u]))):
        i, j = units[u]
        group = [(i, x) for x in (j, j - 1, j + 1) if 0 <= x < len(sentences[i]) and (i, x) not in chosen]
        for size in (3, 1):  # with its neighbours if they fit, else alone
            cost = sum(len(sentences[i][x]) + 1 for _, x in group[:size])
            if group and (used + cost <= budget_chars or not chosen):
                chosen.update(group[:size])
                used += cost
                break
        if used >= budget_chars:
            break
    out = []
    for i, source in enumerate(sources):
        picked = sorted(x for a, x in chosen if a == i)
        if picked:
            out.append(Source(source.n, source.retrieved, _joined(source.text, spans[i], picked), source.evidence_text))
    return out


def _joined(text: str, spans: list[tuple[int, int]], picked: list[int]) -> str:
    """Runs of consecutive chosen sentences as they stand in the passage, gaps marked."""
    runs, start = [], picked[0]
    for before, x in zip(picked, picked[1:] + [None]):
        if x != before + 1:
            runs.append(text[spans[start][0]:spans[before][1]])
            start = x
    return ("… " if picked[0] > 0 else "") + GAP.join(runs) + (" …" if picked[-1] < len(spans) - 1 else "")
