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
The features are computed from the prompt the model reads (reading.py), by the engine and by the trainer alike.
The weights are fitted by `tools/train_answerability.py` on the SQuAD 2.0 calibration questions (Wikipedia,
nothing from any collection this product ships); a weights file records what it was fitted for (the excerpt
budget, datamarking, the withholding of flagged sentences, the embedder), and the engine refuses weights fitted
for another prompt.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..config import AnswerSettings
from ..errors import ChatbotError
from ..textutils import keyword_tokens
from .check import numbers_in, sentence_windows
from .reading import Prompt
from .vectors import SentenceVectors

# The shipped weights: one head per kind of prompt (whole passages, excerpts of 1,200 characters).
SHIPPED_WEIGHTS = (Path(__file__).with_name("answerability-excerpts.json"), Path(__file__).with_name("answerability.json"))


# What a head must have been fitted for: the prompt's size and the embedder shape every feature. Datamarking and
# withholding flagged sentences are recorded too, but they are switched off only to measure the defences.
MUST_MATCH = ("excerpt_chars", "embedding_model")


def fitted_for(settings: AnswerSettings, embedding_model: str) -> dict:
    """What a head's features depend on besides the question: what the model reads, and the embedder."""
    return {"excerpt_chars": settings.excerpt_chars, "datamark": settings.datamark,
            "withhold_flagged": settings.withhold_flagged, "embedding_model": embedding_model}

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


def verdict_features(prompt: Prompt, vectors: SentenceVectors, llm_yes: float) -> tuple[dict[str, float], str, int]:
    """The features of a prompt as the model reads it, the source sentence that covers the question best, and
    its source's index; the one feature path of the engine and the trainer."""
    return question_features(vectors, prompt.question, [s.evidence_text for s in prompt.sources], llm_yes)


def question_features(vectors: SentenceVectors, question: str, passages: list[str], llm_yes: float) -> tuple[dict[str, float], str, int]:
    """The features, the passage sentence that covers the question best, and its passage's index."""
    windows = [(i, w) for i, p in enumerate(passages) for w in sentence_windows(p)]
    if not windows:
        return dict.fromkeys(FEATURES, 0.0) | {"llm_yes": _logit(llm_yes)}, "", 0
    asked = set(keyword_tokens([question])[0])
    window_tokens = keyword_tokens([w for _, w in windows])
    cover = [len(asked & set(t)) / len(asked) if asked else 0.0 for t in window_tokens]
    # Cached sentence vectors: the citation check needs the same ones next.
    sims = vectors.of([w for _, w in windows]) @ vectors.query(question)
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
    def __init__(self, vectors: SentenceVectors, settings: AnswerSettings, embedding_model: str):
        self.vectors, self.threshold = vectors, settings.verdict_min_probability
        self.weights = weights_for(settings, embedding_model)

    @property
    def asks_the_model(self) -> bool:
        """Whether the head uses the model's own P(yes) (one short extra prompt per question)."""
        return "llm_yes" in self.weights["features"]

    def probability(self, features: dict[str, float]) -> float:
        w = self.weights
        z = w["intercept"] + sum(w["coef"][f] * (features[f] - w["mean"][f]) / w["scale"][f] for f in w["features"])
        return 1.0 / (1.0 + math.exp(-z))

    def verdict(self, prompt: Prompt, llm_yes: float) -> Verdict:
        features, evidence, passage = verdict_features(prompt, self.vectors, llm_yes)
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


def weights_for(settings: AnswerSettings, embedding_model: str) -> dict:
    """The weights fitted for this prompt: CHATBOT_VERDICT_WEIGHTS, or the shipped file that fits; else one sentence."""
    wanted = fitted_for(settings, embedding_model)
    paths = [Path(settings.verdict_weights).expanduser()] if settings.verdict_weights else list(SHIPPED_WEIGHTS)
    found = [(path, load_weights(path)) for path in paths]
    for _, weights in found:
        if all(weights.get("fitted_for", {}).get(key) == wanted[key] for key in MUST_MATCH):
            return weights
    fits = "; ".join(f"{path.name}: {_settings_text({k: w.get('fitted_for', {}).get(k) for k in MUST_MATCH})}" for path, w in found)
    wanted = {key: wanted[key] for key in MUST_MATCH}
    raise ChatbotError(f"No answerability weights are fitted for {_settings_text(wanted)} ({fits}); change those settings "
                       "back, or fit weights with `python -m tools.train_answerability` and set CHATBOT_VERDICT_WEIGHTS to the "
                       "file (or CHATBOT_VERDICT=false).")


def _settings_text(values: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items()) or "no recorded settings"


@lru_cache(maxsize=8)
def load_weights(path: Path) -> dict:
    try:
        weights = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ChatbotError(f"The answerability weights {path} cannot be read ({exc}); fix CHATBOT_VERDICT_WEIGHTS.") from None
    unknown = set(weights.get("features", [])) - set(FEATURES)
    if unknown:
        raise ChatbotError(f"{path.name} names unknown features {sorted(unknown)}; refit it with `python -m tools.train_answerability`.")
    return weights

