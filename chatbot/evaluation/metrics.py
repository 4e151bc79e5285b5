"""Evaluation metrics as pure functions over plain values, so each can be tested on hand-made cases."""
from __future__ import annotations

import re
import string
from collections import Counter


def normalise_space(text: str) -> str:
    return " ".join(text.split()).lower()


def evidence_ranks(evidence: list[str], retrieved_texts: list[str]) -> list[int | None]:
    """For each evidence quote, the 1-based rank of the first retrieved chunk containing it (whitespace-normalised)."""
    chunks = [normalise_space(t) for t in retrieved_texts]
    ranks = []
    for quote in evidence:
        q = normalise_space(quote)
        ranks.append(next((i for i, c in enumerate(chunks, 1) if q in c), None))
    return ranks


def reciprocal_rank(ranks: list[int | None]) -> float:
    found = [r for r in ranks if r is not None]
    return 1.0 / min(found) if found else 0.0


def doc_recall(gold_docs: list[str], retrieved_docs: list[str]) -> float:
    return len(set(gold_docs) & set(retrieved_docs)) / len(set(gold_docs)) if gold_docs else 0.0


def _squad_tokens(text: str) -> list[str]:
    text = re.sub(r"\[\d+\]", " ", text.lower())  # citation markers are not answer words
    text = "".join(ch for ch in text if ch not in set(string.punctuation) | {"’", "‘", "“", "”"})
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return text.split()


def contains_answer(prediction: str, answers: list[str]) -> bool:
    """SQuAD-style containment: one accepted answer appears in the prediction, after normalising both
    (lower case, no punctuation, no articles, no citation markers)."""
    text = f" {' '.join(_squad_tokens(prediction))} "
    return any(f" {' '.join(tokens)} " in text for tokens in map(_squad_tokens, answers) if tokens)


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1."""
    pred, ref = _squad_tokens(prediction), _squad_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def cites_gold_doc(cited_docs: list[str], gold_docs: list[str]) -> bool:
    return bool(set(cited_docs) & set(gold_docs))


def citation_scores(sentence_support: list[tuple[bool, list[bool]]]) -> tuple[float | None, float | None]:
    """ALCE-style citation recall and precision for one answer.

    `sentence_support` has one item per answer sentence: (is the sentence supported by its cited
    passages together, [does each cited passage support it on its own]). Recall = supported sentences /
    sentences (a sentence with no citation counts as unsupported); precision = supporting citations /
    citations. None where there is nothing to count.
    """
    if not sentence_support:
        return None, None
    recall = sum(ok for ok, _ in sentence_support) / len(sentence_support)
    each = [ok for _, per_citation in sentence_support for ok in per_citation]
    precision = sum(each) / len(each) if each else None
    return recall, precision


def decision_cost(confidently_wrong: int, false_refusals: int) -> int:
    """The cost that set the defaults (docs/decisions): a confidently wrong answer is twice as bad as a refusal of
    a question the documents answer."""
    return 2 * confidently_wrong + false_refusals


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile, q in [0, 100]."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mean(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None
