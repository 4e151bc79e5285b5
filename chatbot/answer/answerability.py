"""The answerability verdict: do the retrieved passages state the answer to *this* question?

Sharing the question's words is not enough: "Who controlled the city for 40 years?" is not answered by
"the bridge stayed under city control for 40 years". The verdict is a small logistic head over
features that need no answer, so it is in before the model writes a word:
  - the language model as its own judge: P("yes") to "do the sources state the answer to this
    question?", read from the next-token distribution after the sources it is about to answer from
    (llama.cpp reuses the cached sources, so only the question's few tokens cost time);
  - how much of the question the closest passage sentence covers, and how many question terms appear
    in no passage at all (an answerable-looking question often swaps in one entity or date);
  - whether that sentence holds the kind of thing asked for (a number for "how many", a time for
    "when", a name for "who");
  - the question–sentence similarity (MiniLM).
Its weights are fitted by `benchmarks/train_answerability.py` on the SQuAD 2.0 calibration questions
(Wikipedia, nothing from any collection this product ships) and committed as answerability.json.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..textutils import keyword_tokens
from .check import SupportJudge, numbers_in, sentence_windows

WEIGHTS_FILE = Path(__file__).with_name("answerability.json")


def weights_file(excerpt_chars: int) -> Path:
    """The head fitted on the kind of prompt the model reads: whole passages, or excerpts of them (shown
    less, the model says "yes" less often; the excerpt head records the budget it was fitted at)."""
    return WEIGHTS_FILE if excerpt_chars <= 0 else WEIGHTS_FILE.with_name("answerability-excerpts.json")

VERIFY_QUESTION = "Do the sources state the answer to this question? Reply with yes or no."

_QUANTITY = re.compile(r"^\s*(how (many|much|long|old|far|often|large|big|high|tall)|what (percentage|percent|proportion|number|amount))\b", re.I)
_TIME = re.compile(r"^\s*(when|what (year|years|century|decade|date|day|month|time|period|era))\b|\b(in what|which) (year|century|decade)\b", re.I)
_PERSON = re.compile(r"^\s*(who|whom|whose)\b", re.I)
_TIME_WORDS = re.compile(r"\b(1\d{3}|20\d{2}|\d{1,2}(st|nd|rd|th)|century|centuries|decade|january|february|march|april|may|june|"
                         r"july|august|september|october|november|december|spring|summer|autumn|winter|bc|ad)\b", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")

FEATURES = ("llm_yes", "question_cover_sentence", "question_cover_passages", "terms_missing", "similarity",
            "asks_typed", "type_present")


@dataclass(frozen=True)
class Verdict:
    probability: float  # that the passages state the answer
    answerable: bool
    evidence: str  # the passage sentence closest to the question
    evidence_passage: int  # its index among the passages
    features: dict[str, float]


def asked_type_present(question: str, sentence: str) -> tuple[float, float]:
    """(does the question ask for a typed answer, does the sentence hold something of that type)."""
    if _QUANTITY.search(question):
        return 1.0, float(bool(numbers_in(sentence)))
    if _TIME.search(question):
        return 1.0, float(bool(_TIME_WORDS.search(sentence)))
    if _PERSON.search(question):
        asked = {w.lower() for w in re.findall(r"[A-Za-z]+", question)}
        return 1.0, float(any(name.lower() not in asked for name in _NAME.findall(sentence)))
    return 0.0, 0.0


def question_features(judge: SupportJudge, question: str, passages: list[str], llm_yes: float) -> tuple[dict[str, float], str, int]:
    """The features, the passage sentence that covers the question best, and its passage's index."""
    windows = [(i, w) for i, p in enumerate(passages) for w in sentence_windows(p)]
    if not windows:
        return dict.fromkeys(FEATURES, 0.0) | {"llm_yes": _logit(llm_yes)}, "", 0
    asked = set(keyword_tokens([question])[0])
    window_tokens = keyword_tokens([w for _, w in windows])
    cover = [len(asked & set(t)) / len(asked) if asked else 0.0 for t in window_tokens]
    # Window vectors come from the support judge's cache: the citation check needs the same ones next.
    sims = judge.vectors([w for _, w in windows]) @ judge.embedder.embed([question])[0]
    # The evidence sentence: most of the question's terms, then the closest in meaning.
    best = max(range(len(windows)), key=lambda j: (round(cover[j], 2), sims[j]))
    in_passages = set().union(*map(set, keyword_tokens(passages)))
    asks_typed, type_present = asked_type_present(question, windows[best][1])
    features = {
        "llm_yes": _logit(llm_yes),
        "question_cover_sentence": cover[best],
        "question_cover_passages": len(asked & in_passages) / len(asked) if asked else 0.0,
        "terms_missing": float(min(len(asked - in_passages), 3)),
        "similarity": float(np.max(sims)),
        "asks_typed": asks_typed,
        "type_present": type_present,
    }
    return features, windows[best][1], windows[best][0]


class AnswerabilityJudge:
    def __init__(self, judge: SupportJudge, threshold: float, weights_file: Path = WEIGHTS_FILE):
        self.judge, self.threshold = judge, threshold
        self.weights = _load_weights(weights_file)

    @property
    def asks_the_model(self) -> bool:
        """Whether the head uses the model's own P(yes) (one short extra prompt per question)."""
        return "llm_yes" in self.weights["features"]

    def probability(self, features: dict[str, float]) -> float:
        w = self.weights
        z = w["intercept"] + sum(w["coef"][f] * (features[f] - w["mean"][f]) / w["scale"][f] for f in w["features"])
        return 1.0 / (1.0 + math.exp(-z))

    def verdict(self, question: str, passages: list[str], llm_yes: float) -> Verdict:
        features, evidence, passage = question_features(self.judge, question, passages, llm_yes)
        p = self.probability(features)
        return Verdict(round(p, 4), p >= self.threshold, evidence, passage, features)


def verify_messages(answer_messages: list[dict]) -> list[dict]:
    """The answer prompt with its last instruction swapped for the yes/no question: everything before it
    (system prompt, sources, question) is the same text, so llama.cpp evaluates only the new line."""
    *head, user = answer_messages
    body = user["content"].rsplit("\n", 1)[0]
    return [*head, {"role": "user", "content": f"{body}\n{VERIFY_QUESTION}"}]


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


@lru_cache(maxsize=4)
def _load_weights(path: Path) -> dict:
    weights = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(weights["features"]) - set(FEATURES)
    if unknown:
        raise ValueError(f"{path.name} names unknown features {sorted(unknown)}; run benchmarks/train_answerability.py")
    return weights

