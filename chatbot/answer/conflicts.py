"""Sources that disagree: when another source states the same thing with a different figure, the answer says so and
cites it too, instead of silently picking one.

A kept answer sentence that gives a number (a year, a dose, a count) is compared with the sentences of the sources
it does not cite: one that says nearly the same thing (close in meaning and sharing most of its words) but gives
other numbers, and none of the sentence's, is a disagreement. It is added to the answer as a quote with its
citation, so the reader sees both figures and both sources. Numbers only: names and wordings that differ are too
often the same fact said twice.
"""
from __future__ import annotations

from ..textutils import keyword_tokens
from .check import CheckedSentence, Support, numbers_in, sentence_windows
from .reading import Prompt
from .vectors import SentenceVectors

SAME_CLAIM_SIMILARITY = 0.7  # MiniLM cosine between the answer sentence and the other source's sentence
SAME_CLAIM_WORDS = 0.5  # share of the answer sentence's content words (numbers aside) the other sentence has
NOTE = "Another source gives a different figure: “{quote}”"


def disagreements(kept: list[CheckedSentence], prompt: Prompt, vectors: SentenceVectors) -> list[CheckedSentence]:
    """A quoting, cited sentence for each source that states a kept sentence's fact with other numbers."""
    notes, quoted = [], set()
    for sentence in kept:
        numbers = numbers_in(sentence.text)
        if not numbers:
            continue
        words = {w for w in keyword_tokens([sentence.text])[0] if not w.isdigit()}
        vector = vectors.query(sentence.text)
        for source in prompt.sources:
            if source.n in sentence.cited or source.n in quoted:
                continue
            for window in (w for w in sentence_windows(source.evidence_text) if "\n" not in w):
                other = numbers_in(window)
                if not other or other & numbers:
                    continue
                shared = len(words & set(keyword_tokens([window])[0])) / len(words) if words else 0.0
                if shared >= SAME_CLAIM_WORDS and float(vectors.of([window])[0] @ vector) >= SAME_CLAIM_SIMILARITY:
                    quote = " ".join(window.split())
                    notes.append(CheckedSentence(NOTE.format(quote=quote), [source.n], "disagrees",
                                                 {source.n: Support(1.0, window)}))
                    quoted.add(source.n)
                    break
    return notes
