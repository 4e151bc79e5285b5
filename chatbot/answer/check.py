"""Citation checks: parse the answer's sentences and [n] markers, judge support, re-cite or drop.

The support judge (no NLI model ships in a package, so it is built from parts we have):
  - every number in the sentence must appear in the passage, else the score is 0 (a dose, a cost
    or a percentage the passage does not state is never "supported");
  - lexical recall: the share of the sentence's content words (stemmed) found in the passage;
  - semantic similarity: the best cosine between the sentence and any one or two adjacent sentences
    of the passage (MiniLM);
  score = mean of the two. Its threshold (`AnswerSettings.citation_min_support`) was chosen on hand-labelled
  sentence–passage pairs in tests/data/support_pairs.jsonl (docs/decisions/0005-support-threshold.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..textutils import keyword_tokens, split_sentences
from .vectors import SentenceVectors

_MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)")
# A list the model ended with its citation instead of the last item ("exercise, rest, and [2]."): the
# conjunction is left hanging once the marker is removed; dropping it removes no claim.
_DANGLING_CONJUNCTION = re.compile(r",?\s+(?:and|or)\s*([.!?])$", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
                 "eight": "8", "nine": "9", "ten": "10", "twice": "2", "half": "50"}


@dataclass
class AnswerSentence:
    text: str  # without citation markers
    cited: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Support:
    score: float
    evidence: str  # the passage sentence(s) that match best


def parse_answer(raw: str) -> list[AnswerSentence]:
    """Sentences with the source numbers cited in them; a marker after the full stop belongs to the sentence before."""
    raw = _MARKERS_AFTER_STOP.sub(r"\2\1", raw)  # "large. [1] It" -> "large [1]. It"
    sentences: list[AnswerSentence] = []
    for s, e in split_sentences(raw):
        piece = raw[s:e]
        cited = [int(n) for m in _MARKER.finditer(piece) for n in re.split(r"[,;]", m.group(1))]
        text = _DANGLING_CONJUNCTION.sub(r"\1", _MARKER.sub("", piece).strip())
        if re.fullmatch(r"[\W_]*", text):  # only markers/punctuation: attach to the previous sentence
            if sentences:
                sentences[-1].cited.extend(n for n in cited if n not in sentences[-1].cited)
            continue
        sentences.append(AnswerSentence(text, list(dict.fromkeys(cited))))
    return sentences


def numbers_in(text: str) -> set[str]:
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    return found


class SupportJudge:
    def __init__(self, vectors: SentenceVectors, threshold: float):
        self.vectors, self.threshold = vectors, threshold

    def judge(self, sentence: str, passage: str) -> Support:
        return self.judge_many(sentence, [passage])[0]

    def judge_many(self, sentence: str, passages: list[str]) -> list[Support]:
        sentence_vector = self.vectors.query(sentence)
        sentence_tokens = set(keyword_tokens([sentence])[0])
        sentence_numbers = numbers_in(sentence)
        results = []
        for passage in passages:
            windows = sentence_windows(passage)
            if not windows:
                results.append(Support(0.0, ""))
                continue
            sims = self.vectors.of(windows) @ sentence_vector
            # The quote shown is the window closest in meaning and in words: by meaning alone, "The front of the boat.
            # Stern" was quoted for "The stern is the back of the boat" (its neighbour "Stern The back of the boat."
            # holds every word). The score stays as calibrated (decision 0005): the passage's words, the best meaning.
            shared = np.array([_share(sentence_tokens, _tokens(w)) for w in windows])
            quote = windows[int(np.argmax(sims + shared))]
            if not sentence_numbers <= numbers_in(passage):
                results.append(Support(0.0, quote))
                continue
            lexical = _share(sentence_tokens, _tokens(passage))
            results.append(Support(round(0.5 * lexical + 0.5 * float(sims.max()), 4), quote))
        return results

    def supports(self, support: Support) -> bool:
        return support.score >= self.threshold


@dataclass
class CheckedSentence:
    text: str
    cited: list[int]  # the source numbers that support it, after checking
    status: str  # "kept", "recited" (the model cited the wrong source) or "dropped" (nothing supports it)
    supports: dict[int, Support]


def check_sentence(sentence: AnswerSentence, sources: dict[int, str], judge: SupportJudge) -> CheckedSentence:
    """Keep the citations that support the sentence; else re-cite to the best supporting source; else drop."""
    numbers = list(sources)
    supports = dict(zip(numbers, judge.judge_many(sentence.text, [sources[n] for n in numbers])))
    valid = [n for n in sentence.cited if n in supports and judge.supports(supports[n])]
    if valid:
        return CheckedSentence(sentence.text, valid, "kept", supports)
    best = max(numbers, key=lambda n: supports[n].score, default=None)
    if best is not None and judge.supports(supports[best]):
        return CheckedSentence(sentence.text, [best], "recited", supports)
    return CheckedSentence(sentence.text, [], "dropped", supports)


def sentence_windows(passage: str) -> list[str]:
    """Single sentences and adjacent pairs: a claim often joins two sentences of its source."""
    sentences = [passage[s:e] for s, e in split_sentences(passage)]
    return sentences + [f"{a} {b}" for a, b in zip(sentences, sentences[1:])]


def _share(words: set[str], found: frozenset[str]) -> float:
    return len(words & found) / len(words) if words else 0.0


@lru_cache(maxsize=4096)
def _tokens(passage: str) -> frozenset[str]:
    """A passage's stemmed content words (passages repeat across sentences and questions)."""
    return frozenset(keyword_tokens([passage])[0])
