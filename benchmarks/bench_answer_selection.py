"""Does a cross-encoder trained to pick the sentence that answers a question catch the non-answers the word check
misses? (issue 30; rejected, docs/results/2026-12-04-fine-tuned-minilm.md)

    .venv/bin/python -m benchmarks.bench_answer_selection [--blanked]     # about 8 minutes here

Pairs from squad2-dev's calibration questions (outside data, never the labelled sentences): each sentence of the
question's paragraph, positive when it holds an accepted answer span. Two articles are held out to check the model
learned the task. --blanked adds, for each positive, the same sentence with its answer span replaced by a pointer
("this", "it", …): a restatement that keeps every word but the answer. The model then scores
benchmarks/data/answer_sentences.jsonl; reported: AUC of answers over non-answers by set, and the non-answers caught
(alone, and with the word check) at the cuts that catch 0, 0.5, 1 and 2 % of the labelled answers.
"""
from __future__ import annotations

import argparse
import json
import random

import numpy as np
from sklearn.metrics import roc_auc_score

from benchmarks.bench_injection import SHARED
from benchmarks.bench_non_answers import LABELLED, read
from benchmarks.fine_tune import Example, fine_tuned, scores
from chatbot.answer.refusals import adds_nothing, model_refused
from chatbot.evaluation.metrics import contains_answer
from chatbot.textutils import split_sentences

HELD_OUT_ARTICLES = ("Harvard_University", "Packet_switching")
NEGATIVES_PER_POSITIVE = 3
POINTERS = ("this", "it", "that", "something", "these", "some of them")


def squad_pairs(blanked: bool, rng: random.Random) -> tuple[list[Example], list[Example]]:
    """(fitting pairs, held-out-article pairs)."""
    fit, held = [], []
    for line in (SHARED / "squad2-dev" / "calibration.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        paragraph, spans = row["paragraph"], [a.strip(" .,") for a in row["answers"] if a.strip(" .,")]
        for a, b in split_sentences(paragraph):
            sentence = paragraph[a:b].strip()
            if len(sentence.split()) < 4:
                continue
            answered = contains_answer(sentence, spans)
            pairs = [Example(row["question"], float(answered), sentence)]
            found = [s for s in sorted(spans, key=len, reverse=True) if s.lower() in sentence.lower()]
            if blanked and answered and found:
                at = sentence.lower().find(found[0].lower())
                restated = sentence[:at] + rng.choice(POINTERS) + sentence[at + len(found[0]):]
                pairs.append(Example(row["question"], 0.0, restated))
            (held if row["article"] in HELD_OUT_ARTICLES else fit).extend(pairs)
    positives = [e for e in fit if e.label]
    negatives = [e for e in fit if not e.label]
    return positives + rng.sample(negatives, min(len(negatives), NEGATIVES_PER_POSITIVE * len(positives))), held


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """The chance that a random positive outscores a random negative."""
    if not len(positive) or not len(negative):
        return float("nan")
    return float(roc_auc_score(np.r_[np.ones(len(positive)), np.zeros(len(negative))], np.r_[positive, negative]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blanked", action="store_true", help="add answer-blanked restatements as negatives")
    args = parser.parse_args()
    fit, held = squad_pairs(args.blanked, random.Random(1))
    print(f"{len(fit)} fitting pairs ({int(sum(e.label for e in fit))} positive); {len(held)} held-out pairs")
    tokenizer, model = fine_tuned(fit)
    held_scores, held_labels = scores(tokenizer, model, held), np.array([e.label for e in held])
    print(f"held-out articles {', '.join(HELD_OUT_ARTICLES)}: AUC {auc(held_scores[held_labels == 1], held_scores[held_labels == 0]):.3f}")

    rows = read(LABELLED)
    score = scores(tokenizer, model, [Example(r["question"], 0.0, r["sentence"]) for r in rows])
    label = np.array([r["label"] for r in rows])
    words = np.array([adds_nothing(r["sentence"], r["question"]) or model_refused(r["sentence"]) for r in rows])
    for name in ("all", "development", "squad2-dev", "mixed"):
        inside = np.array([name in ("all", r["set"]) for r in rows])
        print(f"AUC answers over non-answers, {name}: "
              f"{auc(score[inside & (label == 'answer')], score[inside & (label == 'non-answer')]):.3f}")
    answers, non = np.sort(score[label == "answer"]), label == "non-answer"
    for share in (0.0, 0.005, 0.01, 0.02):
        caught = int(share * len(answers))
        below = score < answers[caught]
        print(f"cut catching {caught}/{len(answers)} answers: non-answers {int((below & non).sum())}/{int(non.sum())}, "
              f"with the word check {int(((below | words) & non).sum())}/{int(non.sum())} (the word check alone "
              f"{int((words & non).sum())}); partials {int((below & (label == 'partial')).sum())}/{int((label == 'partial').sum())}")


if __name__ == "__main__":
    main()
